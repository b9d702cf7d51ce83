#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! The organisational network over time, on the seed's Suzhou network.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use shiliu::network::{
    Hierarchy, NewMembership, NewPerson, NewPost, NewUnit, PostRole, Reorganisation, Successor,
    UnitKind,
};
use shiliu::{Error, ErrorKind, OpenOptions, Registry};
use suzhou::d;

fn registry() -> (Registry, suzhou::Suzhou) {
    let reg = Registry::open_in_memory(OpenOptions::default().today(d("2024-12-31")))
        .unwrap_or_else(|e| panic!("open: {e}"));
    let s = suzhou::build(&reg).unwrap_or_else(|e| panic!("build: {e}"));
    (reg, s)
}

fn names(nodes: &[shiliu::network::TreeNode]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| format!("{}{}", "-".repeat(n.depth), n.unit.name))
        .collect()
}

#[test]
fn the_tree_as_it_was_and_as_it_is() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let legal = Hierarchy::Legal;
    let t2003 = names(&v.tree(Some(s.canglang), d("2003-06-30"), &legal).unwrap());
    assert_eq!(
        t2003,
        [
            "沧浪区",
            "-双塔街道",
            "--百步街社区",
            "-南门街道",
            "-府前街道",
            "--北片",
            "--南片",
            "--道前社区",
            "--锦帆路社区"
        ]
    );
    // 2004-03: 府前街道 merged into 南门街道, whose children now include its areas and communities.
    let t2005 = names(&v.tree(Some(s.nanmen), d("2005-01-01"), &legal).unwrap());
    assert_eq!(
        t2005,
        ["南门街道", "-北片", "-南片", "-道前社区", "-锦帆路社区"]
    );
    // 2024: 沧浪区 is gone, 姑苏区 holds the streets of the three old districts.
    let t2024 = names(&v.tree(Some(s.gusu), d("2024-12-31"), &legal).unwrap());
    assert_eq!(t2024[0], "姑苏区");
    assert!(t2024.contains(&"-沧浪街道".to_string()));
    assert!(t2024.contains(&"-平江街道".to_string()));
    assert!(!t2024
        .iter()
        .any(|n| n.contains("府前") || n.contains("观前")));
    assert!(v.tree(Some(s.canglang), d("2024-12-31"), &legal).is_err());
    // The whole city on each date: the old districts exist exactly before 2012-09-01.
    let city = |date: &str| names(&v.tree(None, d(date), &legal).unwrap());
    assert!(city("2012-08-31").contains(&"-沧浪区".to_string()));
    assert!(!city("2012-09-01").contains(&"-沧浪区".to_string()));
    assert!(city("2012-09-01").contains(&"-姑苏区".to_string()));
}

#[test]
fn hierarchies_fall_back_to_the_legal_parent() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let working = names(
        &v.tree(Some(s.fuqian), d("2003-06-30"), &Hierarchy::Working)
            .unwrap(),
    );
    assert_eq!(
        working,
        ["府前街道", "-北片", "--锦帆路社区", "-南片", "--道前社区"]
    );
    // Before the areas existed (2001) the communities hang directly under the street.
    let early = names(
        &v.tree(Some(s.fuqian), d("2001-06-30"), &Hierarchy::Working)
            .unwrap(),
    );
    assert_eq!(early, ["府前街道", "-道前社区", "-锦帆路社区"]);
    // 娄葑街道: legal parent 吴中区, managed by the industrial park.
    let legal = v
        .ancestors(s.loufeng, d("2024-12-31"), &Hierarchy::Legal)
        .unwrap();
    let managing = v
        .ancestors(s.loufeng, d("2024-12-31"), &Hierarchy::Managing)
        .unwrap();
    assert_eq!(legal.last().map(|u| u.name.as_str()), Some("吴中区"));
    assert_eq!(
        managing.last().map(|u| u.name.as_str()),
        Some("苏州工业园区")
    );
    let park = names(
        &v.tree(Some(s.sip), d("2024-12-31"), &Hierarchy::Managing)
            .unwrap(),
    );
    assert_eq!(park, ["苏州工业园区", "-娄葑街道"]);
}

#[test]
fn names_codes_and_paths_resolve_by_date() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let legal = Hierarchy::Legal;
    assert_eq!(
        v.find_by_path("沧浪区/府前街道", d("2003-06-30"), &legal)
            .unwrap()
            .id,
        s.fuqian
    );
    assert_eq!(
        v.find_by_path("苏州市/沧浪区/府前街道", d("2003-06-30"), &legal)
            .unwrap()
            .id,
        s.fuqian
    );
    assert_eq!(
        v.find_by_path("姑苏区/沧浪街道", d("2024-12-31"), &legal)
            .unwrap()
            .id,
        s.nanmen
    );
    let err = v
        .find_by_path("沧浪区/府前街道", d("2024-12-31"), &legal)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    // Two different units called 平江街道: the renamed 平江路街道 until 2017-03-24, then the new one.
    assert_eq!(
        v.find_by_path("姑苏区/平江街道", d("2015-01-01"), &legal)
            .unwrap()
            .id,
        s.pingjianglu
    );
    assert_eq!(
        v.find_by_path("姑苏区/平江街道", d("2020-01-01"), &legal)
            .unwrap()
            .id,
        s.new_pingjiang
    );
    assert_eq!(
        v.find_by_path("平江区/平江路街道", d("2003-01-01"), &legal)
            .unwrap()
            .id,
        s.pingjianglu
    );
    // Codes: 吴江市 320584 became 吴江区 320509 on 2012-09-01; padded statistical codes shorten.
    assert_eq!(
        v.find_by_code("320584", d("2010-01-01")).unwrap().id,
        s.wujiang
    );
    assert_eq!(
        v.find_by_code("320509", d("2013-01-01")).unwrap().name,
        "吴江区"
    );
    assert_eq!(
        v.find_by_code("320509000000", d("2013-01-01")).unwrap().id,
        s.wujiang
    );
    assert!(v.find_by_code("320584", d("2013-01-01")).is_err());
    let unit = v.unit(s.wujiang, d("2010-01-01"), &legal).unwrap();
    assert_eq!(
        (unit.name.as_str(), unit.code.as_deref()),
        ("吴江市", Some("320584"))
    );
}

#[test]
fn lineage_successors_and_predecessors() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let today = d("2024-12-31");
    let succ = v.successors(s.fuqian, today).unwrap();
    assert_eq!(succ.len(), 1);
    assert_eq!((succ[0].id, succ[0].name.as_str()), (s.nanmen, "沧浪街道"));
    // Before the merge 府前街道 is its own successor.
    assert_eq!(
        v.successors(s.fuqian, d("2003-01-01")).unwrap()[0].id,
        s.fuqian
    );
    // 平江路街道 → renamed 平江街道 → merged into the new 平江街道 in 2017.
    assert_eq!(
        v.successors(s.pingjianglu, today).unwrap()[0].id,
        s.new_pingjiang
    );
    assert_eq!(v.successors(s.canglang, today).unwrap()[0].id, s.gusu);
    let preds: Vec<(String, String)> = v
        .predecessors(s.gusu)
        .unwrap()
        .into_iter()
        .map(|l| (l.predecessor_name, l.date.to_string()))
        .collect();
    for old in ["沧浪区", "平江区", "金阊区"] {
        assert!(
            preds.contains(&(old.to_string(), "2012-09-01".to_string())),
            "{preds:?}"
        );
    }
    let np: Vec<String> = v
        .predecessors(s.new_pingjiang)
        .unwrap()
        .into_iter()
        .map(|l| l.predecessor_name)
        .collect();
    assert!(np.contains(&"观前街道".to_string()) && np.contains(&"娄门街道".to_string()));
}

#[test]
fn posts_holders_and_vacancies() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let posts = v.post_holders(s.fuqian, d("2003-06-30")).unwrap();
    let group: Vec<_> = posts
        .iter()
        .filter(|p| p.body == Some(s.fuqian_group))
        .collect();
    assert_eq!(group.len(), 5);
    assert_eq!(group[0].role_zh, "组长");
    assert_eq!(
        group[0].holder.as_ref().map(|h| h.name.as_str()),
        Some("张明")
    );
    assert!(group[0]
        .holder_titles
        .contains(&"街道党工委书记".to_string()));
    assert_eq!(group[1].role_zh, "副组长");
    // The group ended with the street in 2004.
    assert!(v.post_holders(s.fuqian, d("2005-01-01")).is_err());
    // Areas keep their posts after moving to 南门街道.
    let south = v.post_holders(s.south_area, d("2010-01-01")).unwrap();
    let roles: Vec<&str> = south.iter().map(|p| p.role_zh.as_str()).collect();
    assert_eq!(roles, ["片长", "片联络员"]);
    assert!(v
        .vacant_posts(s.nanmen, d("2010-01-01"), &Hierarchy::Legal)
        .unwrap()
        .is_empty());

    // The 片长 of 南片 leaves at the end of 2010: the post is vacant from 2011.
    let membership = reg
        .view()
        .unwrap()
        .network()
        .facts()
        .find_map(|(id, f)| match f {
            shiliu::network::Fact::Membership { post, .. } if *post == south[0].post => Some(id),
            _ => None,
        });
    let m = membership.unwrap();
    reg.write(|b| b.end(m, d("2011-01-01"))).unwrap();
    let v = reg.view().unwrap();
    let vacant = v
        .vacant_posts(s.nanmen, d("2011-06-30"), &Hierarchy::Legal)
        .unwrap();
    assert_eq!(vacant.len(), 1);
    assert_eq!(
        (vacant[0].post, vacant[0].role_zh.as_str()),
        (south[0].post, "片长")
    );
    assert!(v
        .vacant_posts(s.nanmen, d("2010-06-30"), &Hierarchy::Legal)
        .unwrap()
        .is_empty());
    // The person's history shows the ended post.
    let person = south[0].holder.as_ref().unwrap().id;
    let h = v.person_history(person).unwrap();
    assert_eq!(h.memberships.len(), 1);
    assert_eq!(h.memberships[0].valid.to, Some(d("2011-01-01")));
    // A post has one holder at a time.
    let other = reg
        .write(|b| {
            b.add_person(NewPerson {
                name: "新人".into(),
                phone: None,
            })
        })
        .unwrap();
    let clash = reg.write(|b| {
        b.add_membership(NewMembership {
            post: south[0].post,
            person: other,
            valid_from: d("2010-06-01"),
            valid_to: None,
        })
    });
    assert_eq!(clash.unwrap_err().kind(), ErrorKind::Conflict);
    reg.write(|b| {
        b.add_membership(NewMembership {
            post: south[0].post,
            person: other,
            valid_from: d("2011-03-01"),
            valid_to: None,
        })
    })
    .unwrap();
    assert!(reg
        .view()
        .unwrap()
        .vacant_posts(s.nanmen, d("2011-06-30"), &Hierarchy::Legal)
        .unwrap()
        .is_empty());
}

#[test]
fn invalid_writes_are_refused_and_change_nothing() {
    let (reg, s) = registry();
    let before = reg.view().unwrap().transaction();
    let bad = |r: shiliu::Result<i64>| r.unwrap_err();
    // A child outliving its parent's existence.
    let e = bad(reg.write(|b| {
        b.add_unit(NewUnit::new(UnitKind::Street, "新街道", d("2010-01-01")).parent(s.canglang))
    }));
    assert_eq!(e.kind(), ErrorKind::Conflict);
    // An interval ending before it starts.
    let mut u = NewUnit::new(UnitKind::Street, "倒序", d("2010-01-01")).parent(s.gusu);
    u.valid_to = Some(d("2009-01-01"));
    assert_eq!(
        bad(reg.write(|b| b.add_unit(u.clone()))).kind(),
        ErrorKind::Validation
    );
    // A code held by another unit at the same time.
    let dup = NewUnit::new(UnitKind::District, "重复", d("2013-01-01"))
        .code("320508")
        .parent(s.city);
    assert_eq!(
        bad(reg.write(|b| b.add_unit(dup.clone()))).kind(),
        ErrorKind::Conflict
    );
    // A cycle.
    let e = reg.write(|b| {
        b.reorganise(Reorganisation::Move {
            unit: s.gusu,
            date: d("2020-01-01"),
            parent: s.nanmen,
            hierarchy: Hierarchy::Legal,
            note: None,
        })
    });
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Conflict);
    // Closing a unit that still has children.
    let e = reg.write(|b| {
        b.reorganise(Reorganisation::Close {
            unit: s.gusu,
            date: d("2020-01-01"),
            note: None,
        })
    });
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Conflict);
    // A failing batch rolls back its earlier writes.
    let e = reg.write(|b| {
        b.add_unit(NewUnit::new(UnitKind::Street, "半途", d("2020-01-01")).parent(s.gusu))?;
        b.add_post(NewPost {
            body: None,
            unit: Some(99_999),
            role: PostRole::Member,
            responsibility: None,
            valid_from: d("2020-01-01"),
            valid_to: None,
        })
    });
    assert!(matches!(e, Err(Error::NotFound { .. })));
    let v = reg.view().unwrap();
    assert_eq!(v.transaction(), before);
    assert!(v
        .find_by_path("姑苏区/半途", d("2021-01-01"), &Hierarchy::Legal)
        .is_err());
}

#[test]
fn splits_open_successors_and_close_the_unit() {
    let (reg, s) = registry();
    let street = reg
        .write(|b| {
            b.add_unit(NewUnit::new(UnitKind::Street, "旧街道", d("2015-01-01")).parent(s.gusu))
        })
        .unwrap();
    let out = reg
        .write(|b| {
            b.reorganise(Reorganisation::Split {
                date: d("2020-01-01"),
                unit: street,
                into: vec![
                    Successor::New(
                        NewUnit::new(UnitKind::Street, "东街道", d("2020-01-01")).parent(s.gusu),
                    ),
                    Successor::New(
                        NewUnit::new(UnitKind::Street, "西街道", d("2020-01-01")).parent(s.gusu),
                    ),
                ],
                note: None,
            })
        })
        .unwrap();
    let v = reg.view().unwrap();
    let succ: Vec<String> = v
        .successors(street, d("2021-01-01"))
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(succ, ["东街道", "西街道"]);
    assert_eq!(out.successors.len(), 2);
    assert!(v.unit(street, d("2020-01-01"), &Hierarchy::Legal).is_err());
    assert!(v.unit(street, d("2019-12-31"), &Hierarchy::Legal).is_ok());
}

#[test]
fn ending_a_record_ends_what_hangs_off_it_and_never_lengthens_it() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let before = v.post_holders(s.pingjianglu, d("2010-01-01")).unwrap();
    assert!(before.len() >= 3);
    let body = before[0].body.unwrap();
    // Ending the leadership group ends its posts and their memberships.
    reg.write(|b| b.end(body, d("2006-01-01"))).unwrap();
    let v = reg.view().unwrap();
    let after = v.post_holders(s.pingjianglu, d("2010-01-01")).unwrap();
    assert!(after.iter().all(|h| h.body != Some(body)), "{after:?}");
    let member = v
        .network()
        .facts()
        .find_map(|(id, f)| match f {
            shiliu::network::Fact::Membership { post, valid, .. } if *post == before[0].post => {
                Some((id, *valid))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(member.1.to, Some(d("2006-01-01")));
    // An end after the current end would lengthen the record: refused.
    let e = reg.write(|b| b.end(member.0, d("2010-01-01"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    // An end on or before the start is an invalid interval.
    let e = reg.write(|b| b.end(member.0, d("2001-01-01"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[test]
fn requests_name_what_is_wrong() {
    let (reg, s) = registry();
    let run = |req: String| {
        reg.execute_json(&req)
            .map_err(|e| (e.code(), e.to_string()))
    };
    let tree = |args: &str| run(format!(r#"{{"op":"tree","args":{args}}}"#));
    let (code, msg) = tree(r#"{"as_of":"2024-02-30"}"#).unwrap_err();
    assert_eq!(code, 1005);
    assert!(msg.contains("tree.as_of"), "{msg}");
    let (code, msg) = tree(r#"{"as_of":"2024-01-01","hierarchy":"workng"}"#).unwrap_err();
    assert_eq!(code, 1007);
    assert!(
        msg.contains("tree.hierarchy") && msg.contains("expected legal, managing or working"),
        "{msg}"
    );
    let (code, msg) = run(r#"{"op":"explode"}"#.into()).unwrap_err();
    assert_eq!(code, 1006);
    assert!(msg.contains("expected one of unit, tree"), "{msg}");
    let ok = tree(&format!(
        r#"{{"root":{},"as_of":"2003-06-30","hierarchy":"工作"}}"#,
        s.fuqian
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&ok).unwrap();
    assert_eq!(doc["format"], 1);
    assert_eq!(doc["transaction"], reg.view().unwrap().transaction());
    assert_eq!(doc["result"][1]["name"], "北片");
    // Merging a unit into itself is refused.
    let merge = format!(
        r#"{{"op":"reorganise","args":{{"event":"merge","date":"2020-01-01","units":[{0}],"into":{0}}}}}"#,
        s.gusu
    );
    assert_eq!(run(merge).unwrap_err().0, 1006);
}

#[test]
fn one_person_can_hold_posts_in_two_bodies() {
    let (reg, s) = registry();
    let v = reg.view().unwrap();
    let posts = v.post_holders(s.pingjianglu, d("2003-06-30")).unwrap();
    let deputy = posts
        .iter()
        .find(|p| {
            p.role_zh == "副组长"
                && p.body_name
                    .as_deref()
                    .is_some_and(|n| n.contains("领导小组"))
        })
        .and_then(|p| p.holder.clone())
        .unwrap();
    let coordinator = posts
        .iter()
        .find(|p| {
            p.role_zh == "组长"
                && p.body_name
                    .as_deref()
                    .is_some_and(|n| n.contains("协调小组"))
        })
        .and_then(|p| p.holder.clone())
        .unwrap();
    // The coordination group is led by the leadership group's deputy (分管副书记).
    assert_eq!(deputy.id, coordinator.id);
    let h = v.person_history(deputy.id).unwrap();
    assert_eq!(h.memberships.len(), 2);
    assert_eq!(h.positions.len(), 1);
    assert_eq!(h.positions[0].title, "街道党工委分管副书记");
}
