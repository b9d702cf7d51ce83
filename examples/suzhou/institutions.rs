//! A year of the seed's institutions at 府前街道 (2003, the year the seed describes): the meetings the regulations ask
//! for (with the liaisons' meeting of the third quarter missed), a leadership-group
//! leader post vacant for 40 days, a hospitalisation visited on day 9, a dispute visited
//! on day 3, aid to a resident in hardship (none in the third quarter) and a briefing
//! after an important matter. The main job prints what the preset rules find; the tests
//! check the same findings by hand.

use shiliu::activity::{ActivityId, ActivityKind, Evidence, NewActivity};
use shiliu::codes::Ethnicity;
use shiliu::network::{Fact, NewMembership, NewPerson, NewPosition, PersonId};
use shiliu::register::{Category, FlagKind, LifeEventKind, NewFlag, NewLifeEvent, NewResident};
use shiliu::{Registry, Result};

use super::network::{d, Suzhou};

/// What the year recorded, for checking.
#[allow(dead_code)]
pub struct Year {
    /// The resident hospitalised, in dispute and in hardship.
    pub resident: i64,
    /// The hospitalisation (2003-05-01) and its visit (2003-05-10, day 9).
    pub hospitalised: i64,
    /// The visit answering the hospitalisation.
    pub late_visit: ActivityId,
    /// The visit answering the dispute (day 3).
    pub timely_visit: ActivityId,
    /// The liaisons' meetings (Q1, Q2, Q4).
    pub liaison_meetings: Vec<ActivityId>,
    /// The leader appointed after the vacancy.
    pub new_leader: PersonId,
}

fn meeting(unit: i64, subtype: &str, date: &str, title: &str) -> NewActivity {
    let mut a = NewActivity::new(ActivityKind::Meeting, d(date), unit).subtype(subtype);
    a.title = Some(title.into());
    a.evidence = vec![Evidence {
        document: format!("{date} {subtype}纪要.pdf"),
        sha256: None,
    }];
    a
}

/// Records the year; returns its ids.
pub fn record_2003(reg: &Registry, s: &Suzhou) -> Result<Year> {
    // The leader's seat: the secretary leaves on 2003-03-01, the next one is appointed on
    // 2003-04-10 — 40 days without a 组长 (tolerated: 30).
    let new_leader = reg.write(|b| {
        let net = b.network().clone();
        for (id, f) in net.facts() {
            match f {
                Fact::Membership { post, valid, .. }
                    if *post == s.fuqian_leader_post && valid.contains(d("2003-03-01")) =>
                {
                    b.end(id, d("2003-03-01"))?;
                }
                Fact::Position {
                    title, unit, valid, ..
                } if title == "街道党工委书记"
                    && *unit == s.fuqian
                    && valid.contains(d("2003-03-01")) =>
                {
                    b.end(id, d("2003-03-01"))?;
                }
                _ => {}
            }
        }
        let person = b.add_person(NewPerson {
            name: "李新".into(),
            phone: None,
        })?;
        b.add_position(NewPosition {
            person,
            title: "街道党工委书记".into(),
            unit: s.fuqian,
            valid_from: d("2003-04-10"),
            valid_to: Some(d("2004-03-01")),
        })?;
        // Until the street merges into 南门街道.
        b.add_membership(NewMembership {
            post: s.fuqian_leader_post,
            person,
            valid_from: d("2003-04-10"),
            valid_to: Some(d("2004-03-01")),
        })?;
        Ok(person)
    })?;
    let (resident, _) = reg.write(|b| {
        b.add_resident(NewResident {
            name: "马文华".into(),
            sex: None,
            birth_date: None,
            id_number: None,
            ethnicity: Ethnicity::parse("回族")?.value,
            phone: None,
            category: Category::Migrant,
            origin: Some("640104".into()),
            household: None,
            father_ethnicity: None,
            mother_ethnicity: None,
            community: s.daoqian,
            arrived_on: d("2001-05-01"),
            left_on: None,
            registered_unit: None,
            registered_division: None,
            hardship: None,
        })
    })?;
    reg.write(|b| {
        let hospitalised = b.add_life_event(NewLifeEvent {
            resident,
            kind: LifeEventKind::Hospitalised,
            date: d("2003-05-01"),
            note: None,
        })?;
        let dispute = b.add_life_event(NewLifeEvent {
            resident,
            kind: LifeEventKind::Dispute,
            date: d("2003-06-03"),
            note: None,
        })?;
        b.add_flag(NewFlag {
            resident,
            kind: FlagKind::Hardship,
            detail: Some("因病致困".into()),
            valid_from: d("2003-01-01"),
            valid_to: None,
        })?;
        let mut ids = Vec::new();
        for (sub, date, title) in [
            ("联络片组长会议", "2003-03-15", "部署年度民族工作"),
            ("联络片组长会议", "2003-09-20", "半年工作推进"),
        ] {
            b.record_activity(meeting(s.fuqian, sub, date, title))?;
        }
        for date in ["2003-02-20", "2003-05-21", "2003-11-19"] {
            let (id, _) = b.record_activity(meeting(s.fuqian, "联络员会议", date, "联络员例会"))?;
            ids.push(id);
        }
        for date in ["2003-01-18", "2003-04-25", "2003-07-16", "2003-10-22"] {
            b.record_activity(
                meeting(s.fuqian, "领导小组研究", date, "研究民族工作").body(s.fuqian_group),
            )?;
        }
        let (late_visit, _) = b.record_activity(
            NewActivity::new(ActivityKind::Visit, d("2003-05-10"), s.daoqian)
                .subjects([resident])
                .answers(hospitalised),
        )?;
        let (timely_visit, _) = b.record_activity(
            NewActivity::new(ActivityKind::Visit, d("2003-06-06"), s.daoqian)
                .subjects([resident])
                .answers(dispute),
        )?;
        for date in ["2003-02-08", "2003-06-18", "2003-12-20"] {
            let mut aid =
                NewActivity::new(ActivityKind::Aid, d(date), s.daoqian).subjects([resident]);
            aid.aid_kind = Some("慰问金".into());
            aid.amount = Some(500.0);
            b.record_activity(aid)?;
        }
        b.record_activity(NewActivity::new(
            ActivityKind::Matter,
            d("2003-06-12"),
            s.daoqian,
        ))?;
        b.record_activity(NewActivity::new(
            ActivityKind::Briefing,
            d("2003-06-20"),
            s.daoqian,
        ))?;
        Ok(Year {
            resident,
            hospitalised,
            late_visit,
            timely_visit,
            liaison_meetings: ids,
            new_leader,
        })
    })
}
