#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! Principals: scope across reorganisations, roles, masking, audit of personal reads.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use std::path::PathBuf;

use shiliu::network::{Hierarchy, NewUnit, UnitKind};
use shiliu::{ErrorKind, OpenOptions, Principal, Registry, Role};
use suzhou::d;

/// A database file removed (with its WAL files) when the test ends.
struct TempDb(PathBuf);

impl std::ops::Deref for TempDb {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDb {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", self.0.display()));
        }
    }
}

fn built(name: &str) -> (TempDb, suzhou::Suzhou) {
    let path = TempDb(
        std::env::temp_dir().join(format!("shiliu-access-{name}-{}.db", std::process::id())),
    );
    drop(TempDb(path.0.clone()));
    let reg = Registry::open(&*path, OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&reg).unwrap();
    (path, s)
}

fn as_principal(path: &PathBuf, role: Role, scope: i64) -> Registry {
    let p = Principal::new(format!("{role:?}@test"), role, Some(scope)).with_purpose("检查");
    Registry::open(
        path,
        OpenOptions::default().today(d("2024-12-31")).principal(p),
    )
    .unwrap()
}

#[test]
fn a_gusu_scope_covers_the_old_districts_before_2012() {
    let (path, s) = built("gusu");
    let reg = as_principal(&path, Role::Operator, s.gusu);
    let v = reg.view().unwrap();
    // Without a root: the trees the scope covers on each date.
    let roots = |date: &str| -> Vec<String> {
        v.tree(None, d(date), &Hierarchy::Legal)
            .unwrap()
            .into_iter()
            .filter(|n| n.depth == 0)
            .map(|n| n.unit.name)
            .collect()
    };
    assert_eq!(roots("2003-06-30"), ["沧浪区", "平江区", "金阊区"]);
    assert_eq!(roots("2024-12-31"), ["姑苏区"]);
    let all: Vec<String> = v
        .tree(None, d("2003-06-30"), &Hierarchy::Legal)
        .unwrap()
        .into_iter()
        .map(|n| n.unit.name)
        .collect();
    assert!(all.contains(&"府前街道".to_string()));
    assert!(!all
        .iter()
        .any(|n| n == "吴中区" || n == "娄葑街道" || n == "苏州市"));
    // Units of the old districts are readable, historical posts included.
    assert!(v
        .tree(Some(s.canglang), d("2003-06-30"), &Hierarchy::Legal)
        .is_ok());
    assert!(v.post_holders(s.fuqian, d("2003-06-30")).is_ok());
    // Outside the scope: refused, never silently empty.
    for r in [
        v.tree(Some(s.loufeng), d("2024-12-31"), &Hierarchy::Legal)
            .map(|_| ()),
        v.tree(Some(s.city), d("2024-12-31"), &Hierarchy::Legal)
            .map(|_| ()),
        v.find_by_path("吴中区/娄葑街道", d("2024-12-31"), &Hierarchy::Legal)
            .map(|_| ()),
        v.find_by_code("320584", d("2010-01-01")).map(|_| ()),
        v.post_holders(s.loufeng, d("2024-12-31")).map(|_| ()),
    ] {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::AccessDenied);
    }
    // Writes inside succeed, outside are denied.
    reg.write(|b| {
        b.add_unit(NewUnit::new(UnitKind::Community, "新社区", d("2020-01-01")).parent(s.nanmen))
    })
    .unwrap();
    let e = reg.write(|b| {
        b.add_unit(NewUnit::new(UnitKind::Community, "外社区", d("2020-01-01")).parent(s.loufeng))
    });
    assert_eq!(e.unwrap_err().kind(), ErrorKind::AccessDenied);
    let e = reg.write(|b| b.add_unit(NewUnit::new(UnitKind::City, "新市", d("2020-01-01"))));
    assert_eq!(e.unwrap_err().kind(), ErrorKind::AccessDenied);
}

#[test]
fn the_managing_hierarchy_scopes_the_park() {
    let (path, s) = built("park");
    let p = Principal {
        hierarchy: Hierarchy::Managing,
        ..Principal::new("park", Role::Viewer, Some(s.sip))
    };
    let reg = Registry::open(&path, OpenOptions::default().principal(p)).unwrap();
    let v = reg.view().unwrap();
    assert!(v
        .unit(s.loufeng, d("2024-12-31"), &Hierarchy::Legal)
        .is_ok());
    assert_eq!(
        v.unit(s.gusu, d("2024-12-31"), &Hierarchy::Legal)
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
}

#[test]
fn roles_decide_what_is_seen() {
    let (path, s) = built("roles");
    let viewer = as_principal(&path, Role::Viewer, s.gusu);
    let holders = viewer
        .view()
        .unwrap()
        .post_holders(s.fuqian, d("2003-06-30"))
        .unwrap();
    let leader = holders[0].holder.as_ref().unwrap();
    assert_eq!((leader.name.as_str(), leader.masked), ("张*", true));
    assert!(holders
        .iter()
        .filter_map(|h| h.holder.as_ref())
        .all(|p| p.masked && p.name.ends_with('*')));
    let e = viewer.write(|b| {
        b.add_unit(NewUnit::new(UnitKind::Community, "x", d("2020-01-01")).parent(s.nanmen))
    });
    assert_eq!(e.unwrap_err().kind(), ErrorKind::AccessDenied);
    // A viewer's history of a person is masked too.
    let hist = viewer.view().unwrap().history(leader.id).unwrap();
    assert_eq!(hist[0].fact["name"], "张*");

    let analyst = as_principal(&path, Role::Analyst, s.gusu);
    let av = analyst.view().unwrap();
    assert!(av
        .tree(Some(s.gusu), d("2024-12-31"), &Hierarchy::Legal)
        .is_ok());
    assert_eq!(
        av.post_holders(s.fuqian, d("2003-06-30"))
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    assert_eq!(
        av.person_history(leader.id).unwrap_err().kind(),
        ErrorKind::AccessDenied
    );

    // Operators see names; each such read is audited with the stated purpose.
    let op = as_principal(&path, Role::Operator, s.gusu);
    let h = op
        .view()
        .unwrap()
        .post_holders(s.fuqian, d("2003-06-30"))
        .unwrap();
    assert_eq!(h[0].holder.as_ref().map(|p| p.name.as_str()), Some("张明"));
    assert_eq!(
        op.view().unwrap().audit_log().unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
    let admin = Registry::open(&path, OpenOptions::default()).unwrap();
    let (log, broken) = admin.view().unwrap().audit_log().unwrap();
    assert_eq!(broken, None);
    let reads: Vec<_> = log.iter().filter(|e| e.action == "read_personal").collect();
    assert_eq!(
        reads.len(),
        1,
        "viewer reads reveal nothing, so only the operator's is logged"
    );
    assert_eq!(reads[0].principal, "Operator@test");
    assert_eq!(reads[0].purpose.as_deref(), Some("检查"));
    assert!(reads[0].target.contains(&s.fuqian.to_string()));
    // Audit entries never carry names.
    assert!(log.iter().all(|e| !e.target.contains("张明")));
}

#[test]
fn principals_are_validated() {
    let (path, s) = built("validate");
    let unscoped = Principal::new("nobody", Role::Viewer, None);
    let e = Registry::open(&path, OpenOptions::default().principal(unscoped))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let missing = Principal::new("ghost", Role::Viewer, Some(s.gusu + 100_000));
    let e = Registry::open(&path, OpenOptions::default().principal(missing))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let json = r#"{"principal":{"name":"x","role":"viewer","scope":1},"today":"2024-12-31"}"#;
    let o = OpenOptions::from_json(json).unwrap();
    assert_eq!(o.principal.role, Role::Viewer);
    assert_eq!(o.clock.today(), d("2024-12-31"));
    let bad = OpenOptions::from_json(r#"{"principal":{"name":"x","role":"king"}}"#).unwrap_err();
    assert_eq!(bad.code(), 1007);
}

#[test]
fn the_analyst_sees_no_person_through_the_back_door() {
    let (path, s) = built("backdoor");
    let admin = Registry::open(&path, OpenOptions::default()).unwrap();
    let v = admin.view().unwrap();
    let membership = v
        .network()
        .facts()
        .find_map(|(id, f)| matches!(f, shiliu::network::Fact::Membership { .. }).then_some(id))
        .unwrap();
    let tx = v.transaction();
    let analyst = as_principal(&path, Role::Analyst, s.gusu);
    let av = analyst.view().unwrap();
    assert_eq!(
        av.history(membership).unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
    assert_eq!(
        av.transaction_info(tx).unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
    let viewer = as_principal(&path, Role::Viewer, s.gusu);
    assert_eq!(
        viewer
            .view()
            .unwrap()
            .transaction_info(tx)
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    let op = as_principal(&path, Role::Operator, s.gusu);
    assert_eq!(op.view().unwrap().transaction_info(tx).unwrap().id, tx);
}
