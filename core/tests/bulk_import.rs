#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! A ledger large enough to be a bulk load: the import drops the resident indexes and
//! creates them again before it commits. Nothing of that may show: duplicates are still
//! refused, readers still see the indexes, a cancelled or failed import leaves them as
//! they were, and afterwards they are defined exactly as before.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use std::path::PathBuf;

use rusqlite::Connection;
use shiliu::codes::id_number::check_character;
use shiliu::register::{ImportProgress, ResidentImportOptions};
use shiliu::{OpenOptions, Registry};
use suzhou::d;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("shiliu-bulk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Rows past the point where the import drops the indexes (4,096 new residents).
const ROWS: usize = 9000;

/// The `i`-th distinct ID number.
fn id(i: usize) -> String {
    let born = d("1950-01-01") + chrono::Days::new((i / 999) as u64);
    let first17 = format!("320502{}{:03}", born.format("%Y%m%d"), i % 999 + 1);
    format!("{first17}{}", check_character(&first17).unwrap())
}

fn row(i: usize, id_number: &str) -> String {
    format!("居民{i},回族,{id_number},320502021017,2015-01-01,")
}

fn write(path: &str, rows: &[String]) {
    let mut text = String::from("姓名,民族,公民身份号码,所属社区,来苏时间,联系电话\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn setup(dir: &Dir) -> (Registry, String) {
    let db = dir.file("bulk.db");
    let reg = Registry::open(&db, OpenOptions::default().today(d("2024-12-31"))).unwrap();
    suzhou::build(&reg).unwrap();
    (reg, db)
}

fn import(
    reg: &Registry,
    path: &str,
    threads: usize,
    progress: Option<&mut dyn FnMut(ImportProgress) -> bool>,
) -> shiliu::Result<shiliu::register::ResidentImportReport> {
    let opts = ResidentImportOptions {
        path: path.into(),
        threads: Some(threads),
        ..Default::default()
    };
    reg.import_residents(&opts, progress)
}

/// The definitions of the resident indexes, as another connection reads them.
fn indexes(db: &str) -> Vec<(String, String)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'resident' ORDER BY name")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<(String, String)>>>()
        .unwrap();
    rows
}

/// Counts schema changes (a dropped and recreated index counts two).
fn schema_version(db: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row("PRAGMA schema_version", [], |r| r.get(0))
        .unwrap()
}

fn current_residents(db: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row(
        "SELECT count(*) FROM resident WHERE sys_to IS NULL",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn check_integrity(db: &str) {
    let conn = Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    // The ID-number index answers lookups again.
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT id FROM resident WHERE id_number = '1' AND sys_to IS NULL",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("resident_id_number"), "{plan}");
}

#[test]
fn a_bulk_load_refuses_duplicates_and_keeps_the_indexes_as_they_were() {
    for threads in [1, 2] {
        let dir = Dir::new(&format!("load{threads}"));
        let (reg, db) = setup(&dir);
        // Registered before: one with an ID number, one without.
        let first = dir.file("first.csv");
        write(
            &first,
            &[
                row(0, &id(0)),
                "无证居民,回族,,320502021017,2015-01-01,".into(),
            ],
        );
        let r = import(&reg, &first, threads, None).unwrap();
        assert_eq!(r.inserted, 2);
        let before = indexes(&db);
        assert_eq!(before.len(), 2, "{before:?}");
        let version = schema_version(&db);

        let mut rows: Vec<String> = (1..ROWS).map(|i| row(i, &id(i))).collect();
        // Past the drop: the same person again, a registered person with a new phone,
        // and someone without an ID number.
        rows.push(row(ROWS, &id(5000)));
        rows.push(format!(
            "{},13812345678",
            row(0, &id(0)).trim_end_matches(',')
        ));
        rows.push("另一无证居民,满族,,320502021017,2016-01-01,".into());
        let path = dir.file("big.csv");
        write(&path, &rows);
        let mut seen = Vec::new();
        let mut progress = |p: ImportProgress| {
            // Another connection, while the import holds the write lock.
            let conn = Connection::open(&db).unwrap();
            let registered: i64 = conn
                .query_row(
                    "SELECT count(*) FROM resident WHERE id_number = ?1 AND sys_to IS NULL",
                    [id(0)],
                    |r| r.get(0),
                )
                .unwrap();
            seen.push((p.done, indexes(&db), registered));
            true
        };
        let r = import(&reg, &path, threads, Some(&mut progress)).unwrap();
        assert_eq!(
            (r.rows_read, r.inserted, r.updated, r.unchanged),
            (ROWS + 2, ROWS, 1, 0)
        );
        let rejected: Vec<(usize, &str)> = r
            .rejected
            .iter()
            .map(|x| (x.row, x.code.as_str()))
            .collect();
        // Row numbers: the header is row 1; id(5000) first came as row 5001.
        assert_eq!(rejected, [(ROWS + 1, "row.duplicate")]);
        assert_eq!(r.rejected[0].message, "the same resident as row 5001");
        assert_eq!(r.uncertain_matches, [ROWS + 3]);
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            [4096, 8192, ROWS + 2]
        );
        for (done, during, registered) in &seen {
            assert_eq!(during, &before, "at {done}");
            assert_eq!(*registered, 1, "at {done}");
        }
        assert_eq!(indexes(&db), before);
        // Dropped and created again (the ID-number index only: few have no number).
        assert_eq!(schema_version(&db), version + 2);
        assert_eq!(current_residents(&db), 2 + ROWS as i64);
        check_integrity(&db);
        // Imported again, nothing changes (and nothing is dropped: no new residents).
        let again = import(&reg, &path, threads, None).unwrap();
        assert_eq!((again.inserted, again.unchanged), (0, ROWS + 1));
        assert_eq!(indexes(&db), before);
        assert_eq!(schema_version(&db), version + 2);
    }
}

#[test]
fn a_cancelled_bulk_load_leaves_the_indexes_and_writes_nothing() {
    let dir = Dir::new("cancel");
    let (reg, db) = setup(&dir);
    let before = indexes(&db);
    let rows: Vec<String> = (0..ROWS).map(|i| row(i, &id(i))).collect();
    let path = dir.file("big.csv");
    write(&path, &rows);
    let mut stop = |p: ImportProgress| p.done < 8192;
    let err = import(&reg, &path, 2, Some(&mut stop)).unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert_eq!(indexes(&db), before);
    assert_eq!(current_residents(&db), 0);
    check_integrity(&db);
}

#[test]
fn a_bulk_load_fails_whole_when_the_rebuilt_unique_index_would_not_hold() {
    let dir = Dir::new("unique");
    let (reg, db) = setup(&dir);
    // A current resident whose stored match key does not name its ID number (written
    // by hand): the import's in-memory check cannot see it, the unique index can.
    let clash = id(7000);
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO txn(at, principal, role) VALUES ('2024-12-31T00:00:00', 'test', 'admin')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO resident(id, sys_from, name, ethnicity, category, id_number, match_key, hash)
             VALUES (999999999, (SELECT max(id) FROM txn), '手写', 3, 1, ?1, 'fb:手写', 0)",
            [&clash],
        )
        .unwrap();
    }
    let before = indexes(&db);
    let rows: Vec<String> = (0..ROWS).map(|i| row(i, &id(i))).collect();
    let path = dir.file("big.csv");
    write(&path, &rows);
    let err = import(&reg, &path, 2, None).unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert!(!err.to_string().contains(&clash[6..14]), "{err}");
    assert_eq!(indexes(&db), before);
    assert_eq!(current_residents(&db), 1);
    check_integrity(&db);
}
