//! Schema versions and forward migrations (`PRAGMA user_version`).

use rusqlite::Connection;

use crate::error::Result;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1];

const V1: &str = r#"
CREATE TABLE txn (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    principal TEXT NOT NULL,
    role      TEXT NOT NULL,
    purpose   TEXT,
    batch     TEXT
);
CREATE TABLE entity (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    tx   INTEGER NOT NULL REFERENCES txn(id)
);
CREATE TABLE fact (
    version    INTEGER PRIMARY KEY,
    id         INTEGER NOT NULL REFERENCES entity(id),
    sys_from   INTEGER NOT NULL REFERENCES txn(id),
    sys_to     INTEGER REFERENCES txn(id),
    kind       TEXT NOT NULL,
    valid_from TEXT,
    valid_to   TEXT,
    body       TEXT NOT NULL CHECK (json_valid(body))
);
CREATE INDEX fact_by_id ON fact(id);
CREATE INDEX fact_current ON fact(kind) WHERE sys_to IS NULL;
CREATE INDEX fact_recorded ON fact(sys_from, sys_to);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    principal TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    purpose   TEXT,
    target    TEXT NOT NULL,
    tx        INTEGER REFERENCES txn(id),
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- History is append-only: transactions and audit entries never change; a fact version
-- changes only once, to record the transaction that superseded it.
CREATE TRIGGER txn_no_update BEFORE UPDATE ON txn
BEGIN SELECT RAISE(ABORT, 'shiliu: transactions are append-only'); END;
CREATE TRIGGER txn_no_delete BEFORE DELETE ON txn
BEGIN SELECT RAISE(ABORT, 'shiliu: transactions are append-only'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'shiliu: the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'shiliu: the audit log is append-only'); END;
CREATE TRIGGER fact_no_delete BEFORE DELETE ON fact
BEGIN SELECT RAISE(ABORT, 'shiliu: facts are never deleted'); END;
CREATE TRIGGER fact_only_supersede BEFORE UPDATE ON fact
WHEN OLD.sys_to IS NOT NULL OR NEW.sys_to IS NULL
  OR NEW.body IS NOT OLD.body OR NEW.id IS NOT OLD.id OR NEW.sys_from IS NOT OLD.sys_from
  OR NEW.kind IS NOT OLD.kind OR NEW.valid_from IS NOT OLD.valid_from
  OR NEW.valid_to IS NOT OLD.valid_to
BEGIN SELECT RAISE(ABORT, 'shiliu: a fact version may only be superseded'); END;

-- Read-only conveniences for SQL users (current versions).
CREATE VIEW unit_names AS
  SELECT json_extract(body, '$.unit') AS unit_id, json_extract(body, '$.name') AS name,
         valid_from, valid_to, id AS fact_id
  FROM fact WHERE kind = 'unit_name' AND sys_to IS NULL;
CREATE VIEW unit_codes AS
  SELECT json_extract(body, '$.unit') AS unit_id, json_extract(body, '$.code') AS code,
         valid_from, valid_to, id AS fact_id
  FROM fact WHERE kind = 'unit_code' AND sys_to IS NULL;
CREATE VIEW unit_parents AS
  SELECT json_extract(body, '$.unit') AS unit_id, json_extract(body, '$.hierarchy') AS hierarchy,
         json_extract(body, '$.parent') AS parent_id, valid_from, valid_to, id AS fact_id
  FROM fact WHERE kind = 'unit_parent' AND sys_to IS NULL;
"#;

/// Applies every migration after `from`, each in its own immediate transaction that
/// re-reads the version first (two processes may open a new file at once).
pub(crate) fn migrate(conn: &Connection, from: i64) -> Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i as i64 + 1;
        if target <= from {
            continue;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let step = (|| -> Result<()> {
            let now: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now >= target {
                return Ok(());
            }
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!(
                "PRAGMA application_id = {}; PRAGMA user_version = {target};",
                super::APPLICATION_ID
            ))?;
            Ok(())
        })();
        match step {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}
