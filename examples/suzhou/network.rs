//! The seed's network: 苏州市 in 2003 and the reorganisations since (domain.md §2, §5).
//!
//! Units, bodies and institutions follow the source report; the people are placeholders
//! and the communities beside 道前社区 are illustrative.

use chrono::NaiveDate;
use shiliu::network::{
    BodyKind, Hierarchy, NewBody, NewMembership, NewOrganisation, NewPerson, NewPosition, NewPost,
    NewUnit, PostRole, Reorganisation, Successor, UnitId, UnitKind,
};
use shiliu::{Batch, Registry, Result};

/// Ids of the units the example talks about.
#[allow(dead_code)]
pub struct Suzhou {
    pub city: UnitId,
    pub canglang: UnitId,
    pub pingjiang: UnitId,
    pub jinchang: UnitId,
    pub gusu: UnitId,
    pub fuqian: UnitId,
    pub nanmen: UnitId,
    pub daoqian: UnitId,
    pub south_area: UnitId,
    pub north_area: UnitId,
    pub pingjianglu: UnitId,
    pub new_pingjiang: UnitId,
    pub wujiang: UnitId,
    pub sip: UnitId,
    pub loufeng: UnitId,
    pub shuangta: UnitId,
    pub fuqian_group: shiliu::network::BodyId,
    pub fuqian_leader_post: shiliu::network::PostId,
}

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

fn unit(
    b: &mut Batch<'_>,
    kind: UnitKind,
    name: &str,
    code: Option<&str>,
    parent: Option<UnitId>,
    from: &str,
) -> Result<UnitId> {
    let mut u = NewUnit::new(kind, name, d(from));
    u.code = code.map(str::to_owned);
    u.parent = parent;
    b.add_unit(u)
}

/// People by name, so that one person holding posts in two bodies is one record.
type People = std::collections::HashMap<&'static str, shiliu::network::PersonId>;

fn person(
    b: &mut Batch<'_>,
    people: &mut People,
    name: &'static str,
) -> Result<shiliu::network::PersonId> {
    if let Some(id) = people.get(name) {
        return Ok(*id);
    }
    let id = b.add_person(NewPerson {
        name: name.into(),
        phone: None,
    })?;
    people.insert(name, id);
    Ok(id)
}

/// A body with its seats (role, holder, 分工); a leadership group's 组长 is the street's
/// party secretary and its 副组长 the deputy secretary in charge. Returns (body, leader post).
fn group(
    b: &mut Batch<'_>,
    people: &mut People,
    unit: UnitId,
    kind: BodyKind,
    name: &str,
    from: &str,
    seats: &[(PostRole, &'static str, &str)],
) -> Result<(shiliu::network::BodyId, shiliu::network::PostId)> {
    let body = b.add_body(NewBody {
        unit,
        kind: kind.clone(),
        name: name.into(),
        valid_from: d(from),
        valid_to: None,
    })?;
    let mut leader = 0;
    for (role, holder, duty) in seats {
        let post = b.add_post(NewPost {
            body: Some(body),
            unit: None,
            role: role.clone(),
            responsibility: Some((*duty).into()),
            valid_from: d(from),
            valid_to: None,
        })?;
        if *role == PostRole::Leader {
            leader = post;
        }
        let person = person(b, people, holder)?;
        b.add_membership(NewMembership {
            post,
            person,
            valid_from: d(from),
            valid_to: None,
        })?;
        let title = match role {
            PostRole::Leader if kind == BodyKind::LeadershipGroup => Some("街道党工委书记"),
            PostRole::DeputyLeader if kind == BodyKind::LeadershipGroup => {
                Some("街道党工委分管副书记")
            }
            _ => None,
        };
        if let Some(title) = title {
            b.add_position(NewPosition {
                person,
                title: title.into(),
                unit,
                valid_from: d(from),
                valid_to: None,
            })?;
        }
    }
    Ok((body, leader))
}

/// Builds the network in one transaction and records the reorganisations, each in its own.
pub fn build(reg: &Registry) -> Result<Suzhou> {
    let s = reg.write(|b| {
        let mut people = People::new();
        let city = unit(
            b,
            UnitKind::City,
            "苏州市",
            Some("320500"),
            None,
            "1983-01-18",
        )?;
        let canglang = unit(
            b,
            UnitKind::District,
            "沧浪区",
            Some("320502"),
            Some(city),
            "1983-01-18",
        )?;
        let pingjiang = unit(
            b,
            UnitKind::District,
            "平江区",
            Some("320503"),
            Some(city),
            "1983-01-18",
        )?;
        let jinchang = unit(
            b,
            UnitKind::District,
            "金阊区",
            Some("320504"),
            Some(city),
            "1983-01-18",
        )?;
        let huqiu = unit(
            b,
            UnitKind::District,
            "虎丘区",
            Some("320505"),
            Some(city),
            "2000-09-01",
        )?;
        let wuzhong = unit(
            b,
            UnitKind::District,
            "吴中区",
            Some("320506"),
            Some(city),
            "2001-02-28",
        )?;
        let wujiang = unit(
            b,
            UnitKind::District,
            "吴江市",
            Some("320584"),
            Some(city),
            "1992-02-01",
        )?;
        let sip = unit(
            b,
            UnitKind::District,
            "苏州工业园区",
            Some("320571"),
            Some(city),
            "1994-02-26",
        )?;
        let _ = huqiu;
        // A street legally of 吴中区 managed by the industrial park (illustrative).
        let mut lf = NewUnit::new(UnitKind::Street, "娄葑街道", d("2001-02-28")).parent(wuzhong);
        lf.managing_parent = Some(sip);
        let loufeng = b.add_unit(lf)?;

        let fuqian = unit(
            b,
            UnitKind::Street,
            "府前街道",
            None,
            Some(canglang),
            "1983-01-18",
        )?;
        let nanmen = unit(
            b,
            UnitKind::Street,
            "南门街道",
            None,
            Some(canglang),
            "1983-01-18",
        )?;
        let shuangta = unit(
            b,
            UnitKind::Street,
            "双塔街道",
            Some("320502021"),
            Some(canglang),
            "2001-01-01",
        )?;
        unit(
            b,
            UnitKind::Community,
            "百步街社区",
            Some("320502021017"),
            Some(shuangta),
            "2001-01-01",
        )?;
        let south_area = unit(b, UnitKind::Area, "南片", None, Some(fuqian), "2002-01-01")?;
        let north_area = unit(b, UnitKind::Area, "北片", None, Some(fuqian), "2002-01-01")?;
        // Communities predate the areas; they join their area when it is set up.
        let daoqian = unit(
            b,
            UnitKind::Community,
            "道前社区",
            None,
            Some(fuqian),
            "2000-01-01",
        )?;
        let jinfan = unit(
            b,
            UnitKind::Community,
            "锦帆路社区",
            None,
            Some(fuqian),
            "2000-01-01",
        )?;
        b.set_parent(daoqian, Hierarchy::Working, south_area, d("2002-01-01"))?;
        b.set_parent(jinfan, Hierarchy::Working, north_area, d("2002-01-01"))?;
        let pingjianglu = unit(
            b,
            UnitKind::Street,
            "平江路街道",
            None,
            Some(pingjiang),
            "1983-01-18",
        )?;
        unit(
            b,
            UnitKind::Street,
            "观前街道",
            None,
            Some(pingjiang),
            "1983-01-18",
        )?;
        unit(
            b,
            UnitKind::Street,
            "娄门街道",
            None,
            Some(pingjiang),
            "1983-01-18",
        )?;

        // 府前街道: leadership group, areas with 片长 and 片联络员, the 道前社区 station.
        let (fuqian_group, fuqian_leader_post) = group(
            b,
            &mut people,
            fuqian,
            BodyKind::LeadershipGroup,
            "府前街道社区少数民族工作领导小组",
            "2002-03-01",
            &[
                (PostRole::Leader, "张明", "全面负责"),
                (PostRole::DeputyLeader, "李华", "分管民族工作"),
                (PostRole::Member, "王芳", "民政科：困难帮扶"),
                (PostRole::Member, "赵强", "综治办：矛盾调处"),
                (PostRole::Member, "陈静", "道前社区居委会：联络片工作"),
            ],
        )?;
        for (area, head, liaison) in [(south_area, "刘洋", "孙丽"), (north_area, "周杰", "吴敏")]
        {
            for (role, who) in [(PostRole::AreaHead, head), (PostRole::AreaLiaison, liaison)] {
                let post = b.add_post(NewPost {
                    body: None,
                    unit: Some(area),
                    role,
                    responsibility: None,
                    valid_from: d("2002-03-01"),
                    valid_to: None,
                })?;
                let person = person(b, &mut people, who)?;
                b.add_membership(NewMembership {
                    post,
                    person,
                    valid_from: d("2002-03-01"),
                    valid_to: None,
                })?;
            }
        }
        group(
            b,
            &mut people,
            daoqian,
            BodyKind::ServiceStation,
            "道前社区少数民族咨询服务站",
            "2002-06-01",
            &[(PostRole::StationHead, "郑红", "咨询服务、服务网点联络")],
        )?;

        // 平江路街道: leadership group and its coordination group with 辖区单位.
        group(
            b,
            &mut people,
            pingjianglu,
            BodyKind::LeadershipGroup,
            "平江路街道社区少数民族工作领导小组",
            "2002-03-01",
            &[
                (PostRole::Leader, "钱伟", "全面负责"),
                (PostRole::DeputyLeader, "冯刚", "分管民族工作"),
                (PostRole::Member, "何琳", "社区居委会"),
            ],
        )?;
        group(
            b,
            &mut people,
            pingjianglu,
            BodyKind::CoordinationGroup,
            "平江路街道社区民族工作协调小组",
            "2002-09-01",
            &[
                (PostRole::Leader, "冯刚", "召集协调"),
                (PostRole::DeputyLeader, "许宁", "辖区单位：医院"),
                (PostRole::Member, "沈洁", "辖区单位：学校"),
            ],
        )?;
        b.add_organisation(NewOrganisation {
            name: "辖区医院（示例）".into(),
            credit_code: Some("91110000600037341L".into()),
            credit_code_allow: vec![],
            unit: pingjianglu,
            kind: Some("医院".into()),
            valid_from: d("2002-09-01"),
            valid_to: None,
        })?;
        Ok(Suzhou {
            city,
            canglang,
            pingjiang,
            jinchang,
            gusu: 0,
            fuqian,
            nanmen,
            daoqian,
            south_area,
            north_area,
            pingjianglu,
            new_pingjiang: 0,
            wujiang,
            sip,
            loufeng,
            shuangta,
            fuqian_group,
            fuqian_leader_post,
        })
    })?;
    let mut s = s;
    // 2004-03: 府前街道 merges into 南门街道 (its communities and areas move there).
    reg.write(|b| {
        b.reorganise(Reorganisation::Merge {
            date: d("2004-03-01"),
            units: vec![s.fuqian],
            into: Successor::Existing(s.nanmen),
            note: Some("府前街道并入南门街道".into()),
        })
    })?;
    // 2012-09: 沧浪区, 平江区, 金阊区 merge into the new 姑苏区; 吴江市 becomes 吴江区.
    let gusu = reg.write(|b| {
        let out = b.reorganise(Reorganisation::Merge {
            date: d("2012-09-01"),
            units: vec![s.canglang, s.pingjiang, s.jinchang],
            into: Successor::New(
                NewUnit::new(UnitKind::District, "姑苏区", d("2012-09-01"))
                    .code("320508")
                    .parent(s.city),
            ),
            note: Some("国函〔2012〕111号".into()),
        })?;
        b.reorganise(Reorganisation::Rename {
            unit: s.wujiang,
            date: d("2012-09-01"),
            name: "吴江区".into(),
            note: None,
        })?;
        b.reorganise(Reorganisation::Recode {
            unit: s.wujiang,
            date: d("2012-09-01"),
            code: "320509".into(),
            note: None,
        })?;
        b.reorganise(Reorganisation::Recode {
            unit: s.shuangta,
            date: d("2012-09-01"),
            code: "320508021".into(),
            note: None,
        })?;
        Ok(out.successors[0])
    })?;
    s.gusu = gusu;
    // 2012-12: 南门街道 renamed 沧浪街道; 2012-12-21: 平江路街道 renamed 平江街道.
    reg.write(|b| {
        b.reorganise(Reorganisation::Rename {
            unit: s.nanmen,
            date: d("2012-12-21"),
            name: "沧浪街道".into(),
            note: None,
        })?;
        b.reorganise(Reorganisation::Rename {
            unit: s.pingjianglu,
            date: d("2012-12-21"),
            name: "平江街道".into(),
            note: None,
        })
    })?;
    // 2017-03-24: 观前 + 平江 + 娄门 merge into a new 平江街道.
    let view = reg.view()?;
    let merged: Vec<UnitId> = ["姑苏区/观前街道", "姑苏区/平江街道", "姑苏区/娄门街道"]
        .iter()
        .map(|p| {
            view.find_by_path(p, d("2017-03-23"), &Default::default())
                .map(|u| u.id)
        })
        .collect::<Result<_>>()?;
    s.new_pingjiang = reg.write(|b| {
        let out = b.reorganise(Reorganisation::Merge {
            date: d("2017-03-24"),
            units: merged.clone(),
            into: Successor::New(
                NewUnit::new(UnitKind::Street, "平江街道", d("2017-03-24")).parent(gusu),
            ),
            note: None,
        })?;
        Ok(out.successors[0])
    })?;
    Ok(s)
}
