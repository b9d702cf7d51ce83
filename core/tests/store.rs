#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! The SQLite store: reopening, refusing foreign files, recorded-time history, audit.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use std::path::PathBuf;

use shiliu::network::{Hierarchy, Reorganisation};
use shiliu::{Error, ErrorKind, OpenOptions, Registry};
use suzhou::d;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("shiliu-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn opts() -> OpenOptions {
    OpenOptions::default().today(d("2024-12-31"))
}

fn tree_json(reg: &Registry, date: &str) -> String {
    let v = reg.view().unwrap();
    serde_json::to_string(&v.tree(None, d(date), &Hierarchy::Legal).unwrap()).unwrap()
}

#[test]
fn reopening_gives_identical_answers() {
    let dir = TempDir::new("reopen");
    let path = dir.file("s.db");
    let reg = Registry::open(&path, opts()).unwrap();
    suzhou::build(&reg).unwrap();
    let before: Vec<String> = ["2003-06-30", "2012-09-01", "2024-12-31"]
        .iter()
        .map(|x| tree_json(&reg, x))
        .collect();
    let tx = reg.view().unwrap().transaction();
    reg.close().map_err(|(_, e)| e).unwrap();
    let reg = Registry::open(&path, opts()).unwrap();
    let after: Vec<String> = ["2003-06-30", "2012-09-01", "2024-12-31"]
        .iter()
        .map(|x| tree_json(&reg, x))
        .collect();
    assert_eq!(before, after);
    assert_eq!(reg.view().unwrap().transaction(), tx);
}

#[test]
fn foreign_and_newer_files_are_refused_untouched() {
    let dir = TempDir::new("foreign");
    let text = dir.file("notes.txt");
    std::fs::write(
        &text,
        "这不是数据库 — not a database at all, just some text\n",
    )
    .unwrap();
    let bytes = std::fs::read(&text).unwrap();
    let err = Registry::open(&text, opts()).err().unwrap();
    assert!(matches!(err, Error::NotShiliuDatabase { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert_eq!(std::fs::read(&text).unwrap(), bytes);

    // Another application's SQLite database.
    let other = dir.file("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let bytes = std::fs::read(&other).unwrap();
    assert!(matches!(
        Registry::open(&other, opts()),
        Err(Error::NotShiliuDatabase { .. })
    ));
    assert_eq!(std::fs::read(&other).unwrap(), bytes);

    // A shiliu file from a newer schema.
    let newer = dir.file("newer.db");
    drop(Registry::open(&newer, opts()).unwrap());
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    let bytes = std::fs::read(&newer).unwrap();
    match Registry::open(&newer, opts()) {
        Err(Error::SchemaTooNew {
            found: 99,
            supported,
        }) => assert_eq!(supported, shiliu::store::SCHEMA_VERSION),
        other => panic!("expected SchemaTooNew, got {:?}", other.err()),
    }
    assert_eq!(std::fs::read(&newer).unwrap(), bytes);

    // must_exist refuses to create.
    let missing = dir.file("missing.db");
    let e = Registry::open(
        &missing,
        OpenOptions {
            must_exist: true,
            ..opts()
        },
    )
    .err()
    .unwrap();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(!missing.exists());
}

#[test]
fn schema_settings_are_durable() {
    let dir = TempDir::new("pragmas");
    let path = dir.file("p.db");
    drop(Registry::open(&path, opts()).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let app: i32 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(version, shiliu::store::SCHEMA_VERSION);
    assert_eq!(app, shiliu::store::APPLICATION_ID);
}

#[test]
fn history_is_kept_and_reproducible_by_transaction() {
    let reg = Registry::open_in_memory(opts()).unwrap();
    let s = suzhou::build(&reg).unwrap();
    let tx_before = reg.view().unwrap().transaction();
    let path_before = reg
        .view()
        .unwrap()
        .network()
        .path_of(s.gusu, d("2024-12-31"), &Hierarchy::Legal)
        .unwrap();
    reg.write(|b| {
        b.reorganise(Reorganisation::Rename {
            unit: s.gusu,
            date: d("2024-01-01"),
            name: "新姑苏区".into(),
            note: None,
        })
    })
    .unwrap();
    let now = reg.view().unwrap();
    assert_eq!(
        now.unit(s.gusu, d("2024-12-31"), &Hierarchy::Legal)
            .unwrap()
            .name,
        "新姑苏区"
    );
    assert_eq!(
        now.unit(s.gusu, d("2023-12-31"), &Hierarchy::Legal)
            .unwrap()
            .name,
        "姑苏区"
    );
    // The view as of the earlier transaction reproduces the earlier answer exactly.
    let then = reg.view_at(tx_before).unwrap();
    assert_eq!(then.transaction(), tx_before);
    assert_eq!(
        then.network()
            .path_of(s.gusu, d("2024-12-31"), &Hierarchy::Legal)
            .unwrap(),
        path_before
    );
    // The name record's versions: the original, superseded by the rename's transaction.
    let name_fact = now
        .network()
        .facts()
        .find_map(|(id, f)| match f {
            shiliu::network::Fact::UnitName { unit, name, .. }
                if *unit == s.gusu && name == "姑苏区" =>
            {
                Some(id)
            }
            _ => None,
        })
        .unwrap();
    let versions = now.history(name_fact).unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].superseded_in, Some(now.transaction()));
    assert_eq!(versions[1].recorded_in, now.transaction());
    assert_eq!(versions[0].fact["valid"]["to"], serde_json::Value::Null);
    assert_eq!(versions[1].fact["valid"]["to"], "2024-01-01");
    let info = now.transaction_info(now.transaction()).unwrap();
    assert_eq!(info.principal, "local-administrator");
    assert_eq!(info.at, "2024-12-31T00:00:00");
    assert!(reg.view_at(now.transaction() + 1).is_err());
}

#[test]
fn history_and_audit_cannot_be_rewritten() {
    let dir = TempDir::new("append-only");
    let path = dir.file("a.db");
    let reg = Registry::open(
        &path,
        opts().principal(shiliu::Principal::local_administrator().with_purpose("测试")),
    )
    .unwrap();
    suzhou::build(&reg).unwrap();
    let (entries, broken) = reg.view().unwrap().audit_log().unwrap();
    assert_eq!(broken, None);
    assert!(entries.len() >= 5);
    assert!(entries
        .iter()
        .all(|e| e.action == "write" && e.purpose.as_deref() == Some("测试")));
    let c = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "DELETE FROM audit",
        "UPDATE audit SET principal = 'x'",
        "DELETE FROM txn",
        "UPDATE txn SET principal = 'x'",
        "DELETE FROM fact",
        "UPDATE fact SET body = '{}'",
        "UPDATE fact SET sys_to = NULL WHERE sys_to IS NOT NULL",
    ] {
        let e = c.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("shiliu:"), "{sql}: {e}");
    }
    // Tampering that bypasses the triggers is detected by the hash chain.
    c.execute_batch(
        "DROP TRIGGER audit_no_update; UPDATE audit SET target = 'forged' WHERE id = 2;",
    )
    .unwrap();
    let (_, broken) = reg.view().unwrap().audit_log().unwrap();
    assert_eq!(broken, Some(2));
}

#[test]
fn a_request_pinned_to_a_transaction_reproduces_its_answer() {
    let reg = Registry::open_in_memory(opts()).unwrap();
    let s = suzhou::build(&reg).unwrap();
    let tree = |tx: Option<i64>| {
        let pin = tx
            .map(|t| format!(r#","transaction":{t}"#))
            .unwrap_or_default();
        let req = format!(
            r#"{{"op":"tree","args":{{"root":{},"as_of":"2024-12-31"}}{pin}}}"#,
            s.gusu
        );
        serde_json::from_str::<serde_json::Value>(&reg.execute_json(&req).unwrap()).unwrap()
    };
    let before = tree(None);
    let tx = before["transaction"].as_i64().unwrap();
    reg.write(|b| {
        b.reorganise(Reorganisation::Rename {
            unit: s.nanmen,
            date: d("2020-01-01"),
            name: "改名街道".into(),
            note: None,
        })
    })
    .unwrap();
    let now = tree(None);
    assert_ne!(now["result"], before["result"]);
    let again = tree(Some(tx));
    assert_eq!(again["result"], before["result"]);
    assert_eq!(again["transaction"], tx);
    // Writes cannot be pinned; unknown keys are refused.
    let write = r#"{"op":"add_person","args":{"name":"x"},"transaction":1}"#;
    assert_eq!(reg.execute_json(write).unwrap_err().code(), 1006);
    let typo = r#"{"op":"tree","args":{"as_of":"2024-12-31"},"transacton":1}"#;
    assert_eq!(reg.execute_json(typo).unwrap_err().code(), 1006);
}

#[test]
fn a_version_1_file_migrates_forward_and_answers_the_same() {
    let dir = TempDir::new("migrate");
    let path = dir.file("old.db");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/suzhou-v1.db");
    std::fs::copy(&fixture, &path).unwrap();
    let version = |p: &PathBuf| -> i64 {
        let c = rusqlite::Connection::open(p).unwrap();
        c.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&path), 1);
    let old = Registry::open(&path, opts()).unwrap();
    assert_eq!(version(&path), shiliu::store::SCHEMA_VERSION);
    // The same network as the example builds today.
    let fresh = Registry::open_in_memory(opts()).unwrap();
    suzhou::build(&fresh).unwrap();
    // Ids differ (the example now records fewer people); the structure must not.
    let shape = |reg: &Registry, date: &str| -> Vec<(String, Option<String>, usize, String)> {
        let v = reg.view().unwrap();
        v.tree(None, d(date), &Hierarchy::Legal)
            .unwrap()
            .into_iter()
            .map(|n| (n.unit.name, n.unit.code, n.depth, n.path))
            .collect()
    };
    for date in ["2003-06-30", "2012-09-01", "2024-12-31"] {
        assert_eq!(shape(&old, date), shape(&fresh, date), "as of {date}");
    }
    // The migrated file takes new writes and keeps its history.
    let v = old.view().unwrap();
    let tx = v.transaction();
    assert!(v.transaction_info(tx).is_ok());
    drop(v);
    old.write(|b| {
        b.add_person(shiliu::network::NewPerson {
            name: "新".into(),
            phone: None,
        })
    })
    .unwrap();
    assert_eq!(old.view().unwrap().transaction(), tx + 1);
}
