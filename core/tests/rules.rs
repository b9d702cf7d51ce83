#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! Activities, rule sets, findings, roll-up, reproducible runs and assessment, checked by
//! hand on the seed's year at 府前街道 (2003).

#[path = "../../examples/suzhou/institutions.rs"]
mod institutions;
#[path = "../../examples/suzhou/network.rs"]
#[allow(dead_code)]
mod network;

use network::d;
use shiliu::activity::{ActivityImportOptions, ActivityKind, NewActivity};
use shiliu::rules::{EvaluationRequest, Finding, RuleSet, Scheme, Status, SubjectKind};
use shiliu::{ErrorKind, OpenOptions, Registry};

fn setup(today: &str) -> (Registry, network::Suzhou, institutions::Year) {
    let reg = Registry::open_in_memory(OpenOptions::default().today(d(today))).unwrap();
    let s = network::build(&reg).unwrap();
    let y = institutions::record_2003(&reg, &s).unwrap();
    (reg, s, y)
}

fn of<'a>(ev: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    ev.iter().filter(|f| f.rule == rule).collect()
}

fn year_2003(s: &network::Suzhou) -> EvaluationRequest {
    EvaluationRequest::new("2003").unwrap().under(s.fuqian)
}

#[test]
fn the_seed_year_is_judged_as_by_hand() {
    let (reg, s, y) = setup("2024-12-31");
    let rules = RuleSet::preset("suzhou", &[]).unwrap();
    let ev = reg
        .view()
        .unwrap()
        .evaluate(&rules, &year_2003(&s))
        .unwrap();
    let f = &ev.findings;

    // R1: two area-head meetings in the year.
    let r1 = of(f, "R1");
    assert_eq!(r1.len(), 1);
    assert_eq!(
        (r1[0].status, r1[0].actual, r1[0].expected),
        (Status::Met, Some(2.0), Some(2.0))
    );
    assert_eq!(r1[0].evidence.len(), 2);

    // R2: the liaisons missed the third quarter.
    let r2 = of(f, "R2");
    let by_quarter: Vec<(String, Status, Option<f64>)> = r2
        .iter()
        .map(|x| (x.period_from.to_string(), x.status, x.actual))
        .collect();
    assert_eq!(
        by_quarter,
        [
            ("2003-01-01".to_owned(), Status::Met, Some(1.0)),
            ("2003-04-01".to_owned(), Status::Met, Some(1.0)),
            ("2003-07-01".to_owned(), Status::Breach, Some(0.0)),
            ("2003-10-01".to_owned(), Status::Met, Some(1.0)),
        ]
    );
    assert_eq!(r2[3].evidence, [y.liaison_meetings[2]]);
    assert!(
        r2[2].explanation_zh.contains("2003年第三季度"),
        "{}",
        r2[2].explanation_zh
    );
    assert!(
        r2[2].explanation.contains("held 0"),
        "{}",
        r2[2].explanation
    );

    // R3: the 组长 post was vacant for 40 days against a 30-day tolerance.
    let r3 = of(f, "R3");
    let leader: Vec<_> = r3
        .iter()
        .filter(|x| x.subject_kind == SubjectKind::Post && x.subject == s.fuqian_leader_post)
        .collect();
    assert_eq!(leader.len(), 1);
    assert_eq!(
        (leader[0].status, leader[0].actual, leader[0].expected),
        (Status::Breach, Some(40.0), Some(30.0))
    );
    assert!(
        leader[0].explanation.contains("2003-03-01 to 2003-04-09"),
        "{}",
        leader[0].explanation
    );
    assert!(
        leader[0].explanation_zh.contains("空缺40天"),
        "{}",
        leader[0].explanation_zh
    );
    // The deputy's post was never vacant.
    assert!(
        of(f, "R3b").iter().all(|x| x.status == Status::Met),
        "{:?}",
        of(f, "R3b")
    );
    // R4: both areas have their heads and liaisons.
    assert_eq!(of(f, "R4").len(), 2);
    assert!(of(f, "R4")
        .iter()
        .chain(of(f, "R4b").iter())
        .all(|x| x.status == Status::Met));

    // R5: the leadership group studied ethnic work every quarter.
    let r5 = of(f, "R5");
    assert_eq!(r5.len(), 4);
    assert!(r5
        .iter()
        .all(|x| x.status == Status::Met && x.subject == s.fuqian_group));

    // R6: the hospitalisation was visited on day 9 of 7 (late), the dispute on day 3.
    let r6 = of(f, "R6");
    assert_eq!(r6.len(), 2);
    let late = r6
        .iter()
        .find(|x| x.triggered == Some(d("2003-05-01")))
        .unwrap();
    assert_eq!(
        (late.status, late.actual, late.expected, late.due),
        (Status::Late, Some(9.0), Some(7.0), Some(d("2003-05-08")))
    );
    assert_eq!(
        (late.subject_kind, late.subject),
        (SubjectKind::Resident, y.resident)
    );
    assert_eq!(late.evidence, [y.late_visit]);
    assert_eq!(late.unit, s.daoqian);
    assert!(
        late.explanation_zh.contains("逾期"),
        "{}",
        late.explanation_zh
    );
    assert!(
        late.explanation.contains("day 9 of 7"),
        "{}",
        late.explanation
    );
    assert!(
        late.subject_name.is_none(),
        "findings carry no resident names"
    );
    let timely = r6
        .iter()
        .find(|x| x.triggered == Some(d("2003-06-03")))
        .unwrap();
    assert_eq!((timely.status, timely.actual), (Status::OnTime, Some(3.0)));
    assert_eq!(timely.evidence, [y.timely_visit]);

    // R7: aid in every quarter but the third.
    let r7: Vec<Status> = of(f, "R7").iter().map(|x| x.status).collect();
    assert_eq!(r7, [Status::Met, Status::Met, Status::Breach, Status::Met]);
    // R8: the matter of 06-12 was briefed on 06-20.
    let r8 = of(f, "R8");
    assert_eq!((r8[0].status, r8[0].actual), (Status::OnTime, Some(8.0)));
    // R10: nobody arrived in 2003; R11: the ledger changed only after 2003 (no data).
    assert!(of(f, "R10").is_empty());
    assert!(of(f, "R11")
        .iter()
        .all(|x| x.status == Status::NotApplicable));
    // R12: one of two must-visits on time: 0.5 < 0.9.
    let r12 = of(f, "R12");
    assert_eq!(
        (r12[0].status, r12[0].actual, r12[0].expected),
        (Status::Breach, Some(0.5), Some(0.9))
    );

    // The roll-up: 府前街道's all-rules row adds up every decided finding.
    let root = ev
        .compliance
        .iter()
        .find(|c| c.unit == s.fuqian && c.rule.is_none())
        .unwrap();
    let yes = f
        .iter()
        .filter(|x| x.status.compliant() == Some(true))
        .count();
    let no = f
        .iter()
        .filter(|x| x.status.compliant() == Some(false))
        .count();
    assert_eq!((root.compliant, root.non_compliant), (yes, no));
    assert_eq!(root.depth, 0);
    let r6_daoqian = ev
        .compliance
        .iter()
        .find(|c| c.unit == s.daoqian && c.rule.as_deref() == Some("R6"))
        .unwrap();
    assert_eq!(
        (
            r6_daoqian.compliant,
            r6_daoqian.non_compliant,
            r6_daoqian.rate
        ),
        (1, 1, Some(0.5))
    );
    assert_eq!(ev.findings.len(), f.len());
}

#[test]
fn the_ledger_age_is_the_days_since_its_last_change() {
    let (reg, s, y) = setup("2024-12-31");
    // The register was written "today" (2024-12-31): as of 2024's end the ledger of
    // 道前社区 is 0 days old; communities without residents have no ledger to judge.
    let rules = RuleSet::preset("suzhou", &[]).unwrap();
    let mut req = EvaluationRequest::new("2024").unwrap().under(s.nanmen);
    req.rules = vec!["R11".into()];
    let ev = reg.view().unwrap().evaluate(&rules, &req).unwrap();
    let daoqian = ev.findings.iter().find(|f| f.subject == s.daoqian).unwrap();
    assert_eq!((daoqian.status, daoqian.actual), (Status::Met, Some(0.0)));
    assert!(ev
        .findings
        .iter()
        .filter(|f| f.subject != s.daoqian)
        .all(|f| f.status == Status::NotApplicable));
    // A threshold over the resident count of the subtree.
    let text = r#"id = "t"
version = "1"
[[rule]]
id = "N"
kind = "threshold"
of = { unit_kind = "street" }
left = "residents() + flagged('hardship') * 10"
op = "=="
right = "11"
"#;
    let ev = reg
        .view()
        .unwrap()
        .evaluate(
            &RuleSet::from_text(text).unwrap(),
            &EvaluationRequest::new("2024").unwrap().under(s.nanmen),
        )
        .unwrap();
    assert_eq!(ev.findings.len(), 1);
    assert_eq!(
        (ev.findings[0].status, ev.findings[0].actual),
        (Status::Met, Some(11.0))
    );
    let _ = y;
}

#[test]
fn overrides_change_the_numbers_the_preset_uses() {
    let (reg, s, _) = setup("2024-12-31");
    let rules = RuleSet::preset(
        "suzhou",
        &[
            ("R6.within_days".into(), "10".into()),
            ("R3.tolerance_days".into(), "45".into()),
        ],
    )
    .unwrap();
    let ev = reg
        .view()
        .unwrap()
        .evaluate(&rules, &year_2003(&s))
        .unwrap();
    assert!(of(&ev.findings, "R6")
        .iter()
        .all(|x| x.status == Status::OnTime));
    assert!(of(&ev.findings, "R3")
        .iter()
        .all(|x| x.status == Status::Met));
    assert_ne!(rules.hash(), RuleSet::preset("suzhou", &[]).unwrap().hash());
    let bad = RuleSet::preset("suzhou", &[("R99.min".into(), "1".into())]).unwrap_err();
    assert!(bad.to_string().contains("R99"), "{bad}");
}

#[test]
fn deadlines_are_pending_then_warned_then_overdue() {
    let dir = std::env::temp_dir().join(format!("shiliu-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("deadline.db");
    let reg = Registry::open(&path, OpenOptions::default().today(d("2003-05-02"))).unwrap();
    let s = network::build(&reg).unwrap();
    let resident = reg
        .write(|b| {
            b.add_resident(shiliu::register::NewResident {
                name: "马文".into(),
                sex: None,
                birth_date: None,
                id_number: None,
                ethnicity: shiliu::codes::Ethnicity::parse("回族")?.value,
                phone: None,
                category: shiliu::register::Category::Registered,
                origin: None,
                household: None,
                father_ethnicity: None,
                mother_ethnicity: None,
                community: s.daoqian,
                arrived_on: d("2001-01-01"),
                left_on: None,
                registered_unit: None,
                registered_division: None,
                hardship: None,
            })
        })
        .unwrap()
        .0;
    reg.write(|b| {
        b.add_life_event(shiliu::register::NewLifeEvent {
            resident,
            kind: shiliu::register::LifeEventKind::Hospitalised,
            date: d("2003-05-01"),
            note: None,
        })
    })
    .unwrap();
    drop(reg);
    let rules = RuleSet::preset("suzhou", &[]).unwrap();
    let req = EvaluationRequest::new("2003-05").unwrap().under(s.fuqian);
    for (today, status) in [
        ("2003-05-02", Status::Pending),
        ("2003-05-06", Status::Pending), // 5 of 7 days used: 71 % < 80 %
        ("2003-05-07", Status::Warning), // 6 of 7: 86 %
        ("2003-05-08", Status::Warning), // the last day
        ("2003-05-09", Status::Overdue),
    ] {
        let reg = Registry::open(&path, OpenOptions::default().today(d(today))).unwrap();
        let ev = reg.view().unwrap().evaluate(&rules, &req).unwrap();
        let r6 = of(&ev.findings, "R6");
        assert_eq!(r6.len(), 1, "{today}");
        assert_eq!(r6[0].status, status, "{today}: {}", r6[0].explanation);
        assert_eq!(r6[0].due, Some(d("2003-05-08")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn working_days_follow_the_calendar() {
    let (reg, s, y) = setup("2024-12-31");
    let text = r#"
id = "wd"
version = "1"
[calendar]
holidays = ["2003-05-01", "2003-05-02", "2003-05-05", "2003-05-06", "2003-05-07"]
workdays = []

[[rule]]
id = "V"
kind = "deadline"
on = { life_event = ["hospitalised"] }
activity = "visit"
within_days = 7
days = "working"
"#;
    let rules = RuleSet::from_text(text).unwrap();
    let ev = reg
        .view()
        .unwrap()
        .evaluate(&rules, &year_2003(&s))
        .unwrap();
    let v = of(&ev.findings, "V");
    // Thursday 1 May + 7 working days (holidays to the 7th): 8, 9, 12, 13, 14, 15, 16 May.
    assert_eq!(v[0].due, Some(d("2003-05-16")));
    // Saturday 10 May is the second working day after (8 and 9 May).
    assert_eq!((v[0].status, v[0].actual), (Status::OnTime, Some(2.0)));
    assert_eq!(v[0].evidence, [y.late_visit]);
    // Working days need a calendar.
    let no_cal = text.replace("[calendar]", "[x]");
    assert!(RuleSet::from_text(&no_cal).is_err());
}

#[test]
fn partial_periods_are_pro_rated_and_quorums_counted() {
    let (reg, s, _) = setup("2024-12-31");
    // 府前街道 merged away on 2004-03-01: it existed 60 of 2004's 366 days.
    let text = |prorate: &str| {
        format!(
            r#"id = "p"
version = "1"
[[rule]]
id = "C"
kind = "cadence"
activity = "meeting"
min = 4
period = "year"
of = {{ unit_kind = "street" }}
prorate = "{prorate}"
"#
        )
    };
    let req = EvaluationRequest::new("2004").unwrap().under(s.fuqian);
    for (prorate, expected, status) in [
        ("proportional", Some(1.0), Status::Breach),
        ("round_down", None, Status::NotApplicable),
        ("full", Some(4.0), Status::Breach),
        ("exempt", None, Status::NotApplicable),
    ] {
        let rules = RuleSet::from_text(&text(prorate)).unwrap();
        let ev = reg.view().unwrap().evaluate(&rules, &req).unwrap();
        let c = of(&ev.findings, "C");
        let mine: Vec<_> = c.iter().filter(|x| x.subject == s.fuqian).collect();
        assert_eq!(mine.len(), 1, "{prorate}");
        assert_eq!(
            (mine[0].expected, mine[0].status),
            (expected, status),
            "{prorate}"
        );
        assert_eq!(mine[0].period_to, d("2004-02-29"));
    }
    // A quorum of the leadership group's members: the recorded studies had nobody listed.
    let quorum = r#"id = "q"
version = "1"
[[rule]]
id = "Q"
kind = "cadence"
activity = "meeting"
subtype = "领导小组研究"
min = 1
period = "year"
quorum = 0.5
of = { body_kind = "leadership_group" }
"#;
    let rules = RuleSet::from_text(quorum).unwrap();
    let ev = reg
        .view()
        .unwrap()
        .evaluate(&rules, &year_2003(&s))
        .unwrap();
    let q = of(&ev.findings, "Q");
    assert_eq!((q[0].status, q[0].actual), (Status::Breach, Some(0.0)));
    // Members present on the day make it count.
    let net = reg.view().unwrap();
    let members: Vec<i64> = net
        .post_holders(s.fuqian, d("2003-06-01"))
        .unwrap()
        .iter()
        .filter(|h| h.body == Some(s.fuqian_group))
        .filter_map(|h| h.holder.as_ref().map(|p| p.id))
        .collect();
    assert!(members.len() >= 2, "{members:?}");
    reg.write(|b| {
        b.record_activity(
            NewActivity::new(ActivityKind::Meeting, d("2003-06-01"), s.fuqian)
                .subtype("领导小组研究")
                .body(s.fuqian_group)
                .participants(members.clone()),
        )
    })
    .unwrap();
    let ev = reg
        .view()
        .unwrap()
        .evaluate(&rules, &year_2003(&s))
        .unwrap();
    assert_eq!(of(&ev.findings, "Q")[0].status, Status::Met);
}

#[test]
fn a_recorded_run_reproduces_after_later_writes() {
    let (reg, s, _) = setup("2024-12-31");
    let rules = RuleSet::preset("suzhou", &[]).unwrap();
    let first = reg.evaluate(&rules, &year_2003(&s), true).unwrap();
    let run = first.run.unwrap();
    let info = reg.run_info(run).unwrap();
    assert_eq!(
        (info.transaction, info.hash.as_str()),
        (first.transaction, first.hash.as_str())
    );
    assert_eq!(info.digest, first.digest);
    // The missed quarter is made up for afterwards (a record made later).
    reg.write(|b| {
        b.record_activity(
            NewActivity::new(ActivityKind::Meeting, d("2003-08-19"), s.fuqian)
                .subtype("联络员会议"),
        )
    })
    .unwrap();
    let now = reg.evaluate(&rules, &year_2003(&s), false).unwrap();
    assert_ne!(now.digest, first.digest);
    assert!(of(&now.findings, "R2")
        .iter()
        .all(|x| x.status == Status::Met));
    let again = reg.reproduce(run).unwrap();
    assert_eq!(again.findings, first.findings);
    assert_eq!(
        (again.digest, again.transaction),
        (first.digest, first.transaction)
    );
    // An unknown run is not found.
    assert_eq!(
        reg.reproduce(999_999).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn rule_file_errors_name_the_rule_and_the_field() {
    let base = r#"id = "x"
version = "1"
[[rule]]
id = "R2"
kind = "cadence"
activity = "meeting"
min = 1
period = "quarter"
of = { unit_kind = "street" }
"#;
    assert!(RuleSet::from_text(base).is_ok());
    for (edit, needle) in [
        (base.replace("\"quarter\"", "\"quater\""), "field period"),
        (base.replace("min = 1", "min = -1"), "field min"),
        (base.replace("min = 1", "min = 1\nmnimum = 2"), "mnimum"),
        (base.replace("\"cadence\"", "\"cadance\""), "field kind"),
        (base.replace("unit_kind = \"street\"", "unit_kind = \"stret\""), "unit kind"),
        (base.replace("of = { unit_kind = \"street\" }", ""), "of"),
        (format!("{base}{}", &base[base.find("[[rule]]").unwrap()..]), "used by an earlier rule"),
        (
            format!(
                "{base}\n[[rule]]\nid = \"T\"\nkind = \"threshold\"\nof = {{ unit_kind = \"community\" }}\n\
                 left = \"compliance('R2'\"\nop = \">=\"\nright = \"1\"\n"
            ),
            "column",
        ),
        (
            format!(
                "{base}\n[[rule]]\nid = \"T\"\nkind = \"threshold\"\nof = {{ unit_kind = \"community\" }}\n\
                 left = \"compliance('R9')\"\nop = \">=\"\nright = \"1\"\n"
            ),
            "unknown rule id \"R9\"",
        ),
    ] {
        let e = RuleSet::from_text(&edit).unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.kind(), ErrorKind::Validation, "{msg}");
        assert!(msg.contains(needle), "{needle}: {msg}");
        assert!(msg.contains("rule R2") || msg.contains("rule T"), "names the rule: {msg}");
    }
    let syntax = RuleSet::from_text("id = \"x\"\nversion = \"1\"\n[[rule]\n").unwrap_err();
    assert!(syntax.to_string().contains("line 3"), "{syntax}");
    // The canonical JSON reads back to the same set (and hash), formatting aside.
    let set = RuleSet::preset("suzhou", &[]).unwrap();
    let again = RuleSet::from_text(&set.canonical_json()).unwrap();
    assert_eq!(again.hash(), set.hash());
    assert_eq!(again.rules, set.rules);
}

#[test]
fn activities_import_with_the_ledger_guarantees() {
    let (reg, s, _) = setup("2024-12-31");
    let dir = std::env::temp_dir().join(format!("shiliu-acts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("活动台账.csv");
    let code = |u| {
        reg.view()
            .unwrap()
            .unit(u, d("2003-06-01"), &Default::default())
            .unwrap()
    };
    let _ = code(s.fuqian);
    let rows = [
        "府前街道2003年民族工作活动台账,,,,,",
        "日期,类型,会议类型,单位,编号,金额",
        "2003年7月8日,会议,联络员会议,苏州市/沧浪区/府前街道,F-01,",
        "2003/13/40,会议,联络员会议,苏州市/沧浪区/府前街道,F-02,",
        "2003-07-09,帮扶,,苏州市/沧浪区/府前街道/不存在社区,F-03,200",
        "2003-07-10,帮扶,,苏州市/沧浪区/府前街道/道前社区,F-04,-5",
        "2003-07-11,宣传,,苏州市/沧浪区/府前街道/道前社区,F-05,",
    ];
    std::fs::write(&path, rows.join("\n")).unwrap();
    let opts = ActivityImportOptions::new(path.to_string_lossy());
    let r = reg.import_activities(&opts).unwrap();
    assert_eq!(
        (r.rows_read, r.inserted, r.rejected.len()),
        (5, 2, 3),
        "{r:?}"
    );
    let codes: Vec<(usize, &str, Option<&str>)> = r
        .rejected
        .iter()
        .map(|x| (x.row, x.code.as_str(), x.column.as_deref()))
        .collect();
    assert_eq!(
        codes,
        [
            (4, "activity.bad_date", Some("日期")),
            (5, "activity.unknown_unit", Some("单位")),
            (6, "activity.bad_amount", Some("金额")),
        ]
    );
    assert!(r.rejected.iter().all(|x| !x.message_zh.is_empty()));
    // The liaisons' meeting now fills the third quarter.
    let rules = RuleSet::preset("suzhou", &[]).unwrap();
    let ev = reg
        .view()
        .unwrap()
        .evaluate(&rules, &year_2003(&s))
        .unwrap();
    assert!(of(&ev.findings, "R2")
        .iter()
        .all(|x| x.status == Status::Met));
    // Again: nothing changes; with one row edited, exactly that activity changes.
    let again = reg.import_activities(&opts).unwrap();
    assert_eq!(
        (
            again.inserted,
            again.updated,
            again.unchanged,
            again.transaction
        ),
        (0, 0, 2, None)
    );
    std::fs::write(
        &path,
        rows.join("\n")
            .replace("2003-07-11,宣传", "2003-07-12,宣传"),
    )
    .unwrap();
    let edited = reg.import_activities(&opts).unwrap();
    assert_eq!(
        (edited.inserted, edited.updated, edited.unchanged),
        (0, 1, 1)
    );
    let listed = reg
        .view()
        .unwrap()
        .activities(Some(s.daoqian), d("2003-07-01"), d("2003-07-31"))
        .unwrap();
    assert_eq!(
        listed.iter().map(|a| a.date).collect::<Vec<_>>(),
        [d("2003-07-12")]
    );
    // Subjects by resident id or ID number; an unknown one is named in its column.
    let who = dir.join("走访.csv");
    std::fs::write(
        &who,
        "日期,类型,单位,对象,参加人员\n\
         2003-07-20,走访,苏州市/沧浪区/府前街道/道前社区,999999,\n\
         2003-07-21,走访,苏州市/沧浪区/府前街道/道前社区,11010519491231002X,\n\
         2003-07-22,走访,苏州市/沧浪区/府前街道/道前社区,,无此人\n",
    )
    .unwrap();
    let r = reg
        .import_activities(&ActivityImportOptions::new(who.to_string_lossy()))
        .unwrap();
    let got: Vec<(usize, &str, Option<&str>, Option<&str>)> = r
        .rejected
        .iter()
        .map(|x| {
            (
                x.row,
                x.code.as_str(),
                x.column.as_deref(),
                x.value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "activity.unknown_subject", Some("对象"), Some("999999")),
            (
                3,
                "activity.unknown_subject",
                Some("对象"),
                Some("110105********002X")
            ),
            (
                4,
                "activity.unknown_person",
                Some("参加人员"),
                Some("无此人")
            ),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn communities_are_assessed_and_ranked() {
    let (reg, s, _) = setup("2024-12-31");
    let rules = RuleSet::preset("suzhou", &[]).unwrap();
    let scheme = Scheme::preset("model_community").unwrap();
    let period = shiliu::rules::Range::parse("2003").unwrap();
    let a = reg
        .view()
        .unwrap()
        .assess(&scheme, &rules, period, Some(s.fuqian))
        .unwrap();
    assert_eq!(a.scores.len(), 2, "道前社区 and 锦帆路社区");
    let daoqian = a.scores.iter().find(|x| x.unit == s.daoqian).unwrap();
    let item = |sc: &shiliu::rules::Score, id: &str| {
        sc.items.iter().find(|i| i.item == id).unwrap().points
    };
    // B1 (must-visits, 15 points): half on time → 7.5; B2 (hardship, 15): 3 of 4 quarters.
    assert_eq!(item(daoqian, "B1"), 7.5);
    assert_eq!(item(daoqian, "B2"), 11.25);
    assert_eq!(item(daoqian, "C3"), 0.0, "manual, not entered");
    let before = daoqian.total;
    let enter = |unit, indicator: &str, points, veto, reason: &str| {
        reg.write(|b| {
            b.enter_assessment(
                &scheme,
                shiliu::rules::ManualEntry {
                    unit,
                    period,
                    indicator: indicator.into(),
                    points,
                    veto,
                    reason: reason.into(),
                },
            )
        })
    };
    let assess = || {
        reg.view()
            .unwrap()
            .assess(&scheme, &rules, period, Some(s.fuqian))
            .unwrap()
    };
    // A manual score, with its reason shown.
    enter(s.daoqian, "C3", Some(8.0), false, "居民满意度测评 92%").unwrap();
    let a2 = assess();
    let d2 = a2.scores.iter().find(|x| x.unit == s.daoqian).unwrap();
    assert_eq!(d2.total, before + 8.0);
    assert_eq!(
        d2.items.iter().find(|i| i.item == "C3").unwrap().note,
        "居民满意度测评 92%"
    );
    let err = enter(s.daoqian, "C3", Some(11.0), false, "x").unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Validation,
        "more than the item's 10 points"
    );
    let err = enter(s.daoqian, "B1", Some(1.0), false, "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "B1 is computed");
    let err = enter(s.daoqian, "C3", Some(5.0), false, "  ").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "a reason is required");
    // The best community is vetoed: it drops below the others.
    let best = a2.scores[0].unit;
    assert_eq!(a2.scores[0].name, "锦帆路社区");
    enter(best, "V1", None, true, "群体性事件").unwrap();
    let a3 = assess();
    let vetoed = a3.scores.iter().find(|x| x.unit == best).unwrap();
    assert_eq!(vetoed.vetoed, ["V1"]);
    assert!(!vetoed.eligible);
    assert_eq!(a3.scores.last().unwrap().unit, best);
    assert_eq!(a3.scores[0].unit, s.daoqian);
    let ranks: Vec<usize> = a3.scores.iter().map(|x| x.rank).collect();
    assert_eq!(ranks, [1, 2]);
}

#[test]
fn the_json_protocol_evaluates_and_refuses_bad_requests() {
    let (reg, s, _) = setup("2024-12-31");
    let req = format!(
        r#"{{"op":"evaluate","args":{{"preset":"suzhou","period":"2003","under":{},"only":["R2","R6"]}}}}"#,
        s.fuqian
    );
    let out: serde_json::Value = serde_json::from_str(&reg.execute_json(&req).unwrap()).unwrap();
    let findings = out["result"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 6);
    assert!(
        out["result"]["run"].as_i64().is_some(),
        "writers record runs by default"
    );
    let late = findings.iter().find(|f| f["status"] == "late").unwrap();
    assert_eq!(late["due"], "2003-05-08");
    let bad = reg
        .execute_json(r#"{"op":"evaluate","args":{"preset":"suzhou","period":"2003","colour":1}}"#);
    assert!(bad.unwrap_err().to_string().contains("colour"));
    let missing = reg.execute_json(r#"{"op":"evaluate","args":{"preset":"suzhou"}}"#);
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("missing field `period`"));
    let pinned = reg.execute_json(
        r#"{"op":"evaluate","transaction":3,"args":{"preset":"suzhou","period":"2003","record":true}}"#,
    );
    assert_eq!(pinned.unwrap_err().kind(), ErrorKind::Validation);
    let check = reg
        .execute_json(r#"{"op":"check_rules","args":{"rules":"id = \"a\"\nversion = \"1\""}}"#)
        .unwrap();
    assert!(check.contains("\"hash\""), "{check}");
    let text: serde_json::Value = serde_json::from_str(
        &reg.execute_json(r#"{"op":"preset","args":{"name":"suzhou"}}"#)
            .unwrap(),
    )
    .unwrap();
    assert!(text["result"].as_str().unwrap().contains("[[rule]]"));
}
