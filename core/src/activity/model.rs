//! What an activity is: its kinds and the record written and read back.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ActivityId;
use crate::network::{BodyId, PersonId, TxId, UnitId};
use crate::register::ResidentId;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The kind of an activity (工作类型).
    ActivityKind {
        /// 会议 — a meeting (subtype: 联络片组长会议, 联络员会议, 领导小组研究 …).
        Meeting => "meeting", "会议" | "例会";
        /// 走访 — a visit to a resident (慰问, 上门走访).
        Visit => "visit", "走访" | "慰问" | "上门走访" | "家访" | "必访";
        /// 咨询 — a consultation (category; resolved or not).
        Consultation => "consultation", "咨询" | "来访咨询" | "咨询服务";
        /// 帮扶 — aid (kind, amount).
        Aid => "aid", "帮扶" | "救助" | "帮困" | "援助";
        /// 通报 — a briefing of minority representatives.
        Briefing => "briefing", "通报" | "情况通报";
        /// 活动 — an event (festival gathering, fellowship).
        Event => "event", "活动" | "联谊活动" | "节日活动";
        /// 培训 / 学习 — training or study.
        Training => "training", "培训" | "学习" | "学习培训";
        /// 宣传 — publicity.
        Publicity => "publicity", "宣传" | "宣传教育";
        /// 重要事项 — an important community matter (what briefings answer).
        Matter => "matter", "重要事项" | "社区重要事项" | "重大事项";
    }
}

/// A document kept as evidence: its name and, where known, its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The document's name (会议纪要2024-03.pdf).
    pub document: String,
    /// Its SHA-256 as 64 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// An activity to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    /// Kind (`meeting` / 会议, `visit` / 走访 …, or the user's own).
    pub kind: ActivityKind,
    /// Subtype (联络员会议, 领导小组研究 …).
    #[serde(default)]
    pub subtype: Option<String>,
    /// The day it took place.
    pub date: NaiveDate,
    /// The unit where (or for which) it took place.
    pub unit: UnitId,
    /// The organising body, if any.
    #[serde(default)]
    pub body: Option<BodyId>,
    /// People who took part (staff, cadres).
    #[serde(default)]
    pub participants: Vec<PersonId>,
    /// Residents it was about (visited, helped, consulted).
    #[serde(default)]
    pub subjects: Vec<ResidentId>,
    /// The life event (trigger) it answers, if any.
    #[serde(default)]
    pub answers: Option<i64>,
    /// Title or topic.
    #[serde(default)]
    pub title: Option<String>,
    /// Consultation category (政策咨询, 纠纷调解 …).
    #[serde(default)]
    pub category: Option<String>,
    /// Whether a consultation was resolved.
    #[serde(default)]
    pub resolved: Option<bool>,
    /// Kind of aid (慰问金, 物资 …).
    #[serde(default)]
    pub aid_kind: Option<String>,
    /// Amount of aid in yuan.
    #[serde(default)]
    pub amount: Option<f64>,
    /// Evidence documents.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// A note (personal data: shown only to principals who may see it).
    #[serde(default)]
    pub note: Option<String>,
    /// The record's own reference (编号); with one, recording the same reference again
    /// updates the activity instead of adding another.
    #[serde(default)]
    pub reference: Option<String>,
}

impl NewActivity {
    /// An activity of `kind` on `date` in `unit`; the rest empty.
    pub fn new(kind: ActivityKind, date: NaiveDate, unit: UnitId) -> NewActivity {
        NewActivity {
            kind,
            subtype: None,
            date,
            unit,
            body: None,
            participants: Vec::new(),
            subjects: Vec::new(),
            answers: None,
            title: None,
            category: None,
            resolved: None,
            aid_kind: None,
            amount: None,
            evidence: Vec::new(),
            note: None,
            reference: None,
        }
    }

    /// With a subtype.
    pub fn subtype(mut self, s: impl Into<String>) -> NewActivity {
        self.subtype = Some(s.into());
        self
    }

    /// Organised by `body`.
    pub fn body(mut self, body: BodyId) -> NewActivity {
        self.body = Some(body);
        self
    }

    /// With participants.
    pub fn participants(mut self, p: impl IntoIterator<Item = PersonId>) -> NewActivity {
        self.participants = p.into_iter().collect();
        self
    }

    /// About residents.
    pub fn subjects(mut self, s: impl IntoIterator<Item = ResidentId>) -> NewActivity {
        self.subjects = s.into_iter().collect();
        self
    }

    /// Answering a life event.
    pub fn answers(mut self, event: i64) -> NewActivity {
        self.answers = Some(event);
        self
    }

    /// With a reference (编号).
    pub fn reference(mut self, r: impl Into<String>) -> NewActivity {
        self.reference = Some(r.into());
        self
    }
}

/// What recording an activity did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    /// A new activity.
    Inserted,
    /// A new version of the activity with the same reference.
    Updated,
    /// The same activity was already recorded.
    Unchanged,
}

/// An activity as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityView {
    /// Its id.
    pub id: ActivityId,
    /// Kind label.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_zh: String,
    /// Subtype.
    pub subtype: Option<String>,
    /// The day.
    pub date: NaiveDate,
    /// The unit.
    pub unit: UnitId,
    /// The unit's name on that day.
    pub unit_name: Option<String>,
    /// The organising body.
    pub body: Option<BodyId>,
    /// Participants.
    pub participants: Vec<PersonId>,
    /// Subjects.
    pub subjects: Vec<ResidentId>,
    /// The life event answered.
    pub answers: Option<i64>,
    /// Title.
    pub title: Option<String>,
    /// Consultation category.
    pub category: Option<String>,
    /// Whether resolved.
    pub resolved: Option<bool>,
    /// Kind of aid.
    pub aid_kind: Option<String>,
    /// Amount of aid.
    pub amount: Option<f64>,
    /// Evidence documents.
    pub evidence: Vec<Evidence>,
    /// Note (None when masked).
    pub note: Option<String>,
    /// Reference (编号).
    pub reference: Option<String>,
    /// The transaction that recorded this version.
    pub transaction: TxId,
}
