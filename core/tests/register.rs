#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! The resident register: identity, residence over time, ethnicity rules, masking.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use shiliu::codes::{Ethnicity, Sex};
use shiliu::network::Hierarchy;
use shiliu::register::{Category, EthnicityChange, NewResident, ResidentUpdate};
use shiliu::{ErrorKind, OpenOptions, Principal, Registry, Role};
use suzhou::d;

fn hui() -> Ethnicity {
    Ethnicity::parse("回族").unwrap().value
}

fn resident(s: &suzhou::Suzhou, name: &str, id_number: Option<&str>) -> NewResident {
    NewResident {
        name: name.into(),
        sex: None,
        birth_date: None,
        id_number: id_number.map(str::to_owned),
        ethnicity: hui(),
        phone: Some("13812345678".into()),
        category: Category::Migrant,
        origin: Some("640104".into()),
        household: None,
        father_ethnicity: None,
        mother_ethnicity: None,
        community: s.daoqian,
        arrived_on: d("2015-03-01"),
        left_on: None,
        registered_unit: None,
        registered_division: None,
        hardship: None,
    }
}

fn setup() -> (Registry, suzhou::Suzhou) {
    let admin = Registry::open_in_memory(OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&admin).unwrap();
    (admin, s)
}

#[test]
fn a_resident_is_added_once_and_read_masked() {
    let (reg, s) = setup();
    let (id, warnings) = reg
        .write(|b| b.add_resident(resident(&s, "马小龙", Some("11010519491231002x"))))
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let v = reg.view().unwrap();
    let r = v.resident(id, d("2024-12-31")).unwrap();
    assert_eq!(r.name, "马**");
    assert_eq!(r.id_number.as_deref(), Some("110105********002X"));
    assert_eq!(r.phone.as_deref(), Some("138****5678"));
    assert_eq!(
        (r.sex, r.birth_date),
        (Some(Sex::Female), Some(d("1949-12-31")))
    );
    assert_eq!(
        (r.ethnicity.as_str(), r.ethnicity_name.as_str()),
        ("03", "回族")
    );
    assert_eq!(r.community, Some(s.daoqian));
    assert!(r.masked);
    // The same ID number (even written as its 15-digit form) is the same person.
    let again = reg.write(|b| b.add_resident(resident(&s, "马小龙", Some("110105491231002"))));
    assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);
    // Listed among the community's residents.
    let list = v
        .residents(s.nanmen, d("2024-12-31"), &Hierarchy::Legal)
        .unwrap();
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    assert!(v
        .residents(s.nanmen, d("2015-02-28"), &Hierarchy::Legal)
        .unwrap()
        .is_empty());
}

#[test]
fn upserts_recognise_unchanged_rows_and_keep_old_versions() {
    let (reg, s) = setup();
    let row = resident(&s, "马小龙", Some("11010519491231002X"));
    let (id, what, _) = reg.write(|b| b.upsert_resident(row.clone())).unwrap();
    assert_eq!(what, ResidentUpdate::Inserted);
    let tx1 = reg.view().unwrap().transaction();
    let (_, what, _) = reg.write(|b| b.upsert_resident(row.clone())).unwrap();
    assert_eq!(what, ResidentUpdate::Unchanged);
    assert_eq!(
        reg.view().unwrap().transaction(),
        tx1,
        "an unchanged row records nothing"
    );
    // A new phone number and a departure: a new version; the old one stays readable.
    let mut changed = row.clone();
    changed.phone = Some("13900000000".into());
    changed.left_on = Some(d("2023-07-01"));
    let (id2, what, _) = reg.write(|b| b.upsert_resident(changed)).unwrap();
    assert_eq!((id2, what), (id, ResidentUpdate::Updated));
    let now = reg.view().unwrap();
    assert_eq!(
        now.resident(id, d("2024-12-31")).unwrap().phone.as_deref(),
        Some("139****0000")
    );
    assert!(now
        .residents(s.nanmen, d("2024-12-31"), &Hierarchy::Legal)
        .unwrap()
        .is_empty());
    assert_eq!(
        now.residents(s.nanmen, d("2023-06-30"), &Hierarchy::Legal)
            .unwrap()
            .len(),
        1
    );
    let then = reg.view_at(tx1).unwrap();
    assert_eq!(
        then.resident(id, d("2024-12-31")).unwrap().phone.as_deref(),
        Some("138****5678")
    );
    assert_eq!(
        then.residents(s.nanmen, d("2024-12-31"), &Hierarchy::Legal)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn moving_adds_an_interval_and_never_overwrites() {
    let (reg, s) = setup();
    let (id, _) = reg
        .write(|b| b.add_resident(resident(&s, "马小龙", None)))
        .unwrap();
    let jinfan = reg
        .view()
        .unwrap()
        .find_by_path("沧浪街道/锦帆路社区", d("2024-12-31"), &Hierarchy::Legal)
        .unwrap()
        .id;
    reg.write(|b| b.move_resident(id, jinfan, d("2020-01-01")))
        .unwrap();
    let v = reg.view().unwrap();
    let r = v.resident(id, d("2024-12-31")).unwrap();
    assert_eq!(r.residences.len(), 2);
    assert_eq!(r.residences[0].valid.to, Some(d("2020-01-01")));
    assert_eq!((r.residences[1].unit, r.community), (jinfan, Some(jinfan)));
    assert_eq!(
        v.resident(id, d("2019-12-31")).unwrap().community,
        Some(s.daoqian)
    );
    reg.write(|b| b.depart_resident(id, d("2022-01-01")))
        .unwrap();
    let v = reg.view().unwrap();
    assert_eq!(
        v.resident(id, d("2024-12-31")).unwrap().residences[1]
            .valid
            .to,
        Some(d("2022-01-01"))
    );
    assert_eq!(
        reg.write(|b| b.depart_resident(id, d("2023-01-01")))
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
}

#[test]
fn ethnicity_changes_follow_the_2015_rules() {
    let (reg, s) = setup();
    let manchu = Ethnicity::parse("满族").unwrap().value;
    let mut child = resident(&s, "关小妹", None);
    child.birth_date = Some(d("2005-06-15"));
    child.sex = Some(Sex::Female);
    child.father_ethnicity = Some(Ethnicity::HAN);
    child.mother_ethnicity = Some(manchu);
    child.ethnicity = Ethnicity::HAN;
    let (id, _) = reg.write(|b| b.add_resident(child)).unwrap();
    let change = |e: Ethnicity, date: &str| EthnicityChange {
        resident: id,
        ethnicity: e,
        date: d(date),
        reason: None,
    };
    // Not a parent's ethnicity: refused.
    let e = reg
        .write(|b| b.change_ethnicity(change(hui(), "2015-01-01")))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    // The mother's, at 10: allowed; a second change before 18: refused.
    assert!(reg
        .write(|b| b.change_ethnicity(change(manchu, "2015-01-01")))
        .unwrap()
        .is_empty());
    let e = reg
        .write(|b| b.change_ethnicity(change(Ethnicity::HAN, "2020-01-01")))
        .unwrap_err();
    assert!(e.to_string().contains("before 18"), "{e}");
    // One more within two years after turning 18 (2023-06-15 .. 2025-06-14).
    reg.write(|b| b.change_ethnicity(change(Ethnicity::HAN, "2024-01-01")))
        .unwrap();
    let v = reg.view().unwrap();
    assert_eq!(
        v.resident(id, d("2014-12-31")).unwrap().ethnicity_name,
        "汉族"
    );
    assert_eq!(
        v.resident(id, d("2016-01-01")).unwrap().ethnicity_name,
        "满族"
    );
    assert_eq!(
        v.resident(id, d("2024-06-01")).unwrap().ethnicity_name,
        "汉族"
    );
    // Two years after 18: no more changes.
    let late = reg
        .write(|b| b.change_ethnicity(change(manchu, "2025-06-15")))
        .unwrap_err();
    assert!(late.to_string().contains("two years"), "{late}");
}

#[test]
fn reveals_need_a_role_and_a_purpose_and_are_audited() {
    let dir = std::env::temp_dir().join(format!("shiliu-register-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let admin = Registry::open(&dir, OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&admin).unwrap();
    let (id, _) = admin
        .write(|b| b.add_resident(resident(&s, "马小龙", Some("11010519491231002X"))))
        .unwrap();
    let open = |role: Role, purpose: Option<&str>| {
        let mut p = Principal::new(format!("{role:?}"), role, Some(s.gusu));
        p.purpose = purpose.map(str::to_owned);
        Registry::open(
            &dir,
            OpenOptions::default().today(d("2024-12-31")).principal(p),
        )
        .unwrap()
    };
    let viewer = open(Role::Viewer, Some("看看"));
    assert_eq!(
        viewer
            .view()
            .unwrap()
            .reveal_resident(id, d("2024-12-31"))
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    let analyst = open(Role::Analyst, None);
    assert_eq!(
        analyst
            .view()
            .unwrap()
            .resident(id, d("2024-12-31"))
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    let op = open(Role::Operator, None);
    assert_eq!(
        op.view()
            .unwrap()
            .reveal_resident(id, d("2024-12-31"))
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    let op = open(Role::Operator, Some("四个必访：住院探望"));
    let r = op
        .view()
        .unwrap()
        .reveal_resident(id, d("2024-12-31"))
        .unwrap();
    assert_eq!(
        (r.name.as_str(), r.id_number.as_deref(), r.masked),
        ("马小龙", Some("11010519491231002X"), false)
    );
    let (log, broken) = admin.view().unwrap().audit_log().unwrap();
    assert_eq!(broken, None);
    let reveal = log.iter().find(|e| e.action == "reveal_resident").unwrap();
    assert_eq!(reveal.purpose.as_deref(), Some("四个必访：住院探望"));
    assert_eq!(reveal.target, format!("resident {id}"));
    // Outside the scope: refused.
    let park = Registry::open(
        &dir,
        OpenOptions::default()
            .principal(Principal::new("park", Role::Operator, Some(s.sip)).with_purpose("x")),
    )
    .unwrap();
    assert_eq!(
        park.view()
            .unwrap()
            .resident(id, d("2024-12-31"))
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    drop((admin, viewer, analyst, op, park));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", dir.display()));
    }
}

#[test]
fn flags_events_and_declared_preferences() {
    use shiliu::register::{
        FlagKind, LifeEventKind, NewFlag, NewLifeEvent, Preference, PreferenceKind,
    };
    let (reg, s) = setup();
    let (id, _) = reg
        .write(|b| b.add_resident(resident(&s, "马小龙", None)))
        .unwrap();
    reg.write(|b| {
        b.add_flag(NewFlag {
            resident: id,
            kind: FlagKind::parse("困难"),
            detail: Some("因病致困".into()),
            valid_from: d("2020-01-01"),
            valid_to: None,
        })?;
        b.add_life_event(NewLifeEvent {
            resident: id,
            kind: LifeEventKind::parse("住院"),
            date: d("2024-03-05"),
            note: Some("市立医院".into()),
        })?;
        b.declare_preference(Preference {
            resident: id,
            kind: PreferenceKind::parse("清真饮食"),
            value: "是".into(),
            declared_on: d("2024-01-10"),
        })
    })
    .unwrap();
    let c = reg.view().unwrap().circumstances(id).unwrap();
    assert_eq!(
        (c.flags[0].kind.as_str(), c.flags[0].detail.as_deref()),
        ("hardship", Some("因病致困"))
    );
    assert_eq!(
        (c.events[0].kind_zh.as_str(), c.events[0].date),
        ("住院", d("2024-03-05"))
    );
    assert_eq!(
        (
            c.preferences[0].kind.label(),
            c.preferences[0].value.as_str()
        ),
        ("halal_diet", "是")
    );
    // Nothing is inferred: a Hui resident without a declaration has no preference.
    let (other, _) = reg
        .write(|b| b.add_resident(resident(&s, "马大龙", None)))
        .unwrap();
    assert!(reg
        .view()
        .unwrap()
        .circumstances(other)
        .unwrap()
        .preferences
        .is_empty());
    // A future event is refused.
    let e = reg.write(|b| {
        b.add_life_event(NewLifeEvent {
            resident: id,
            kind: LifeEventKind::Dispute,
            date: d("2025-06-01"),
            note: None,
        })
    });
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Validation);
}

#[test]
fn the_id_number_wins_over_disagreeing_columns_with_a_warning() {
    let (reg, s) = setup();
    let mut r = resident(&s, "马小龙", Some("11010519491231002X"));
    r.birth_date = Some(d("1950-01-01"));
    r.sex = Some(Sex::Male);
    let (id, warnings) = reg.write(|b| b.add_resident(r)).unwrap();
    let codes: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(
        codes,
        ["resident.birth_date_mismatch", "resident.sex_mismatch"]
    );
    let v = reg.view().unwrap().resident(id, d("2024-12-31")).unwrap();
    assert_eq!(
        (v.birth_date, v.sex),
        (Some(d("1949-12-31")), Some(Sex::Female))
    );
}
