//! The vocabulary of the network and the facts it is recorded as.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{BodyId, PersonId, PostId, UnitId};
use crate::time::Interval;

use crate::vocabulary::vocabulary;

vocabulary! {
    /// The kind of a unit (单位类型).
    UnitKind {
        /// 省 — province.
        Province => "province", "省";
        /// 市 — city (prefecture level).
        City => "city", "市" | "地级市";
        /// 区 / 县级市 — district or county-level unit.
        District => "district", "区" | "县" | "县级市" | "县级";
        /// 街道 / 镇 — street (sub-district) or town.
        Street => "street", "街道" | "镇" | "乡";
        /// 联络片 — a liaison area grouping a street's communities.
        Area => "area", "联络片" | "片区" | "片";
        /// 社区 — community (residents' committee 居委会) or village.
        Community => "community", "社区" | "居委会" | "社区居委会" | "村委会";
    }
}

/// A hierarchy of units. Every unit has a legal parent; the others fall back to it where
/// a unit has no parent of their own. A closed set: an unknown name is an error, so a
/// typo never creates a hierarchy nobody queries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum Hierarchy {
    /// 法定隶属 — the legal parent (the default).
    #[default]
    Legal,
    /// 管理 — the managing parent (an industrial park managing streets of two districts).
    Managing,
    /// 工作 — the working parent (a street's 联络片 grouping its communities).
    Working,
}

impl Hierarchy {
    /// Reads `legal` / `managing` / `working` or their Chinese names.
    pub fn parse(term: &str) -> Option<Hierarchy> {
        let t = term.trim();
        let is = |en: &str, zh: &[&str]| t.eq_ignore_ascii_case(en) || zh.contains(&t);
        if is("legal", &["法定", "隶属"]) {
            Some(Hierarchy::Legal)
        } else if is("managing", &["管理", "托管"]) {
            Some(Hierarchy::Managing)
        } else if is("working", &["工作", "联络"]) {
            Some(Hierarchy::Working)
        } else {
            None
        }
    }

    /// The stable English label.
    pub fn label(&self) -> &'static str {
        match self {
            Hierarchy::Legal => "legal",
            Hierarchy::Managing => "managing",
            Hierarchy::Working => "working",
        }
    }

    /// The Chinese name.
    pub fn name_zh(&self) -> &'static str {
        match self {
            Hierarchy::Legal => "法定",
            Hierarchy::Managing => "管理",
            Hierarchy::Working => "工作",
        }
    }
}

impl TryFrom<String> for Hierarchy {
    type Error = String;
    fn try_from(s: String) -> Result<Hierarchy, String> {
        Hierarchy::parse(&s)
            .ok_or_else(|| "unknown hierarchy; expected legal, managing or working".to_owned())
    }
}

impl From<Hierarchy> for String {
    fn from(h: Hierarchy) -> String {
        h.label().to_owned()
    }
}

vocabulary! {
    /// The kind of a body (机构) attached to a unit.
    BodyKind {
        /// 社区少数民族工作领导小组 — leadership group.
        LeadershipGroup => "leadership_group", "领导小组" | "社区少数民族工作领导小组";
        /// 社区民族工作协调小组 — coordination group.
        CoordinationGroup => "coordination_group", "协调小组" | "社区民族工作协调小组";
        /// 少数民族咨询服务站 — consultation and service station.
        ServiceStation => "service_station", "咨询服务站" | "少数民族咨询服务站" | "服务站";
        /// 少数民族联谊会 — fellowship association.
        FellowshipAssociation => "fellowship_association", "联谊会" | "少数民族联谊会";
    }
}

vocabulary! {
    /// The role of a post (岗位).
    PostRole {
        /// 组长 — leader.
        Leader => "leader", "组长";
        /// 副组长 — deputy leader.
        DeputyLeader => "deputy_leader", "副组长";
        /// 组员 — member.
        Member => "member", "组员" | "成员";
        /// 片长 — head of a liaison area.
        AreaHead => "area_head", "片长";
        /// 片联络员 — liaison of a liaison area.
        AreaLiaison => "area_liaison", "片联络员" | "联络员";
        /// 站长 — head of a station.
        StationHead => "station_head", "站长";
    }
}

/// The kind of a reorganisation event (区划调整).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReorgKind {
    /// 合并 — predecessors merge into one successor.
    Merge,
    /// 拆分 — one predecessor splits into successors.
    Split,
    /// 隶属变更 — a unit moves to another parent.
    Move,
    /// 更名 — a unit is renamed.
    Rename,
    /// 代码变更 — a unit gets a new code.
    Recode,
    /// 撤销 — a unit closes.
    Close,
    /// 设立 — a unit opens.
    Open,
}

impl ReorgKind {
    /// Reads an event name in English or Chinese.
    pub fn parse(s: &str) -> Option<ReorgKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "merge" | "合并" | "撤并" => ReorgKind::Merge,
            "split" | "拆分" | "分设" => ReorgKind::Split,
            "move" | "隶属变更" | "划转" => ReorgKind::Move,
            "rename" | "更名" => ReorgKind::Rename,
            "recode" | "代码变更" => ReorgKind::Recode,
            "close" | "撤销" => ReorgKind::Close,
            "open" | "设立" | "新设" => ReorgKind::Open,
            _ => return None,
        })
    }

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            ReorgKind::Merge => "合并",
            ReorgKind::Split => "拆分",
            ReorgKind::Move => "隶属变更",
            ReorgKind::Rename => "更名",
            ReorgKind::Recode => "代码变更",
            ReorgKind::Close => "撤销",
            ReorgKind::Open => "设立",
        }
    }
}

/// One recorded fact. Facts are never edited in place: a change records a new version
/// in a new transaction, and the old version stays readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// A unit exists over `valid`; its id is the fact's id.
    Unit {
        /// Kind.
        kind: UnitKind,
        /// Existence interval.
        valid: Interval,
    },
    /// A unit's name over an interval.
    UnitName {
        /// The unit.
        unit: UnitId,
        /// The name.
        name: String,
        /// When it was called so.
        valid: Interval,
    },
    /// A unit's division (or custom) code over an interval.
    UnitCode {
        /// The unit.
        unit: UnitId,
        /// The code.
        code: String,
        /// When it had it.
        valid: Interval,
    },
    /// A unit's parent in a hierarchy over an interval.
    UnitParent {
        /// The child.
        unit: UnitId,
        /// Which hierarchy.
        hierarchy: Hierarchy,
        /// The parent.
        parent: UnitId,
        /// When.
        valid: Interval,
    },
    /// A reorganisation event with its lineage.
    Reorganisation {
        /// What happened.
        kind: ReorgKind,
        /// The day it took effect.
        date: NaiveDate,
        /// Units before.
        predecessors: Vec<UnitId>,
        /// Units after.
        successors: Vec<UnitId>,
        /// Free text (the decision's document number, say).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A body attached to a unit.
    Body {
        /// The unit.
        unit: UnitId,
        /// Kind.
        kind: BodyKind,
        /// Name.
        name: String,
        /// When it existed.
        valid: Interval,
    },
    /// A post in a unit, optionally in one of its bodies.
    Post {
        /// The unit the post belongs to.
        unit: UnitId,
        /// The body, if the post is in one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<BodyId>,
        /// Role.
        role: PostRole,
        /// What the holder is responsible for (分工).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        responsibility: Option<String>,
        /// When the post existed.
        valid: Interval,
    },
    /// A person (personal data: masked for viewers).
    Person {
        /// Full name.
        name: String,
        /// Phone number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
    },
    /// A position a person holds (e.g. 街道党工委书记 of a street).
    Position {
        /// Who.
        person: PersonId,
        /// The title.
        title: String,
        /// Where.
        unit: UnitId,
        /// When.
        valid: Interval,
    },
    /// A person holds a post over an interval.
    Membership {
        /// The post.
        post: PostId,
        /// The holder.
        person: PersonId,
        /// When.
        valid: Interval,
    },
    /// An organisation located in the jurisdiction (辖区单位).
    Organisation {
        /// Name.
        name: String,
        /// Unified social credit code, where it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credit_code: Option<String>,
        /// The unit it is located in.
        unit: UnitId,
        /// Free-text kind (企业, 学校, 医院, 商户 …).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        /// When it was there.
        valid: Interval,
    },
}

impl Fact {
    /// Stable name of the fact's kind (the `kind` column in the store).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Fact::Unit { .. } => "unit",
            Fact::UnitName { .. } => "unit_name",
            Fact::UnitCode { .. } => "unit_code",
            Fact::UnitParent { .. } => "unit_parent",
            Fact::Reorganisation { .. } => "reorganisation",
            Fact::Body { .. } => "body",
            Fact::Post { .. } => "post",
            Fact::Person { .. } => "person",
            Fact::Position { .. } => "position",
            Fact::Membership { .. } => "membership",
            Fact::Organisation { .. } => "organisation",
        }
    }

    /// The fact's valid-time interval, if it has one.
    pub fn valid(&self) -> Option<Interval> {
        match self {
            Fact::Unit { valid, .. }
            | Fact::UnitName { valid, .. }
            | Fact::UnitCode { valid, .. }
            | Fact::UnitParent { valid, .. }
            | Fact::Body { valid, .. }
            | Fact::Post { valid, .. }
            | Fact::Position { valid, .. }
            | Fact::Membership { valid, .. }
            | Fact::Organisation { valid, .. } => Some(*valid),
            Fact::Reorganisation { .. } | Fact::Person { .. } => None,
        }
    }

    /// A copy whose interval ends on `end`.
    pub(crate) fn with_valid(&self, new: Interval) -> Fact {
        let mut f = self.clone();
        match &mut f {
            Fact::Unit { valid, .. }
            | Fact::UnitName { valid, .. }
            | Fact::UnitCode { valid, .. }
            | Fact::UnitParent { valid, .. }
            | Fact::Body { valid, .. }
            | Fact::Post { valid, .. }
            | Fact::Position { valid, .. }
            | Fact::Membership { valid, .. }
            | Fact::Organisation { valid, .. } => *valid = new,
            Fact::Reorganisation { .. } | Fact::Person { .. } => {}
        }
        f
    }
}
