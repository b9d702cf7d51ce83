//! Schema versions and forward migrations (`PRAGMA user_version`).

use rusqlite::Connection;

use crate::error::Result;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 4;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[fn() -> String] = &[|| V1.to_owned(), v2, || V3.to_owned(), v4];

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

/// Tables of the resident register (version 2). Like `fact`, every table keeps each
/// version of a record (`id` stable, `sys_from`/`sys_to` the recording transactions;
/// one version per record and transaction).
/// Dates are whole days since 1970-01-01 (compact and fast to scan); the `*_dated`
/// views show them as ISO dates.
const REGISTER_TABLES: &[(&str, &str)] = &[
    (
        "resident",
        "name TEXT NOT NULL, sex INTEGER, birth_day INTEGER, id_number TEXT,
         ethnicity INTEGER NOT NULL, phone TEXT, category INTEGER NOT NULL, origin TEXT,
         household TEXT, father_ethnicity INTEGER, mother_ethnicity INTEGER,
         match_key TEXT NOT NULL, hash INTEGER NOT NULL",
    ),
    (
        "residence",
        "resident INTEGER NOT NULL, unit INTEGER NOT NULL REFERENCES entity(id),
         from_day INTEGER NOT NULL, to_day INTEGER",
    ),
    (
        "registration",
        "resident INTEGER NOT NULL, unit INTEGER REFERENCES entity(id), division TEXT,
         from_day INTEGER NOT NULL, to_day INTEGER",
    ),
    (
        "ethnicity_change",
        "resident INTEGER NOT NULL, ethnicity INTEGER NOT NULL, from_day INTEGER NOT NULL,
         provenance TEXT NOT NULL, reason TEXT",
    ),
    (
        "flag",
        "resident INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT,
         from_day INTEGER NOT NULL, to_day INTEGER",
    ),
    (
        "life_event",
        "resident INTEGER NOT NULL, kind TEXT NOT NULL, day INTEGER NOT NULL, note TEXT",
    ),
    (
        "preference",
        "resident INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
         declared_day INTEGER NOT NULL",
    ),
];

/// SQL creating a versioned record table (`id`, `sys_from`, `sys_to` + `columns`) with
/// the triggers that keep its history append-only, and (with `by_resident`) an index
/// of current rows by resident.
fn versioned_table(table: &str, columns: &str, by_resident: bool) -> String {
    // Every data column must stay as it was when a version is superseded.
    let changed: String = columns
        .split(',')
        .filter_map(|c| c.split_whitespace().next())
        .map(|c| format!(" OR NEW.{c} IS NOT OLD.{c}"))
        .collect();
    // Clustered by record id (ids are allocated in increasing order, so bulk inserts
    // append). A version may change only to record its superseding transaction — or
    // while the transaction that wrote it is still the newest, i.e. before it commits
    // (a record written and changed again in one batch).
    let mut sql = format!(
        "CREATE TABLE {table} (
            id       INTEGER NOT NULL,
            sys_from INTEGER NOT NULL REFERENCES txn(id),
            sys_to   INTEGER REFERENCES txn(id),
            {columns},
            PRIMARY KEY (id, sys_from)
        ) WITHOUT ROWID;
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        WHEN OLD.sys_from IS NOT (SELECT max(id) FROM txn)
        BEGIN SELECT RAISE(ABORT, 'shiliu: register records are never deleted'); END;
        CREATE TRIGGER {table}_only_supersede BEFORE UPDATE ON {table}
        WHEN OLD.sys_from IS NOT (SELECT max(id) FROM txn) AND (
          OLD.sys_to IS NOT NULL OR NEW.sys_to IS NULL OR NEW.id IS NOT OLD.id
          OR NEW.sys_from IS NOT OLD.sys_from{changed})
        BEGIN SELECT RAISE(ABORT, 'shiliu: a register record may only be superseded'); END;
        "
    );
    if by_resident {
        sql.push_str(&format!(
            "CREATE INDEX {table}_by_resident ON {table}(resident) WHERE sys_to IS NULL;\n"
        ));
    }
    sql
}

fn v2() -> String {
    let mut sql = String::new();
    for (table, columns) in REGISTER_TABLES {
        sql.push_str(&versioned_table(table, columns, *table != "resident"));
    }
    sql.push_str(
        "CREATE UNIQUE INDEX resident_id_number ON resident(id_number)
             WHERE sys_to IS NULL AND id_number IS NOT NULL;
         CREATE INDEX resident_match_key ON resident(match_key)
             WHERE sys_to IS NULL AND id_number IS NULL;",
    );
    sql
}

/// Version 3: aggregate tables (unit × ethnicity × reference date → count), versioned
/// like the register: a re-import supersedes the counts it changes.
const V3: &str = r#"
CREATE TABLE aggregate_count (
    name      TEXT NOT NULL,
    unit      INTEGER NOT NULL REFERENCES entity(id),
    ethnicity INTEGER NOT NULL,
    ref_day   INTEGER NOT NULL,
    sys_from  INTEGER NOT NULL REFERENCES txn(id),
    sys_to    INTEGER REFERENCES txn(id),
    count     INTEGER NOT NULL CHECK (count >= 0),
    kind      TEXT NOT NULL,
    PRIMARY KEY (name, unit, ethnicity, ref_day, sys_from)
) WITHOUT ROWID;
CREATE TRIGGER aggregate_count_no_delete BEFORE DELETE ON aggregate_count
BEGIN SELECT RAISE(ABORT, 'shiliu: aggregate counts are never deleted'); END;
CREATE TRIGGER aggregate_count_only_supersede BEFORE UPDATE ON aggregate_count
WHEN OLD.sys_to IS NOT NULL OR NEW.sys_to IS NULL OR NEW.count IS NOT OLD.count
  OR NEW.name IS NOT OLD.name OR NEW.unit IS NOT OLD.unit OR NEW.ethnicity IS NOT OLD.ethnicity
  OR NEW.ref_day IS NOT OLD.ref_day OR NEW.sys_from IS NOT OLD.sys_from OR NEW.kind IS NOT OLD.kind
BEGIN SELECT RAISE(ABORT, 'shiliu: an aggregate count may only be superseded'); END;
"#;

/// Version 4: activities (dated records of work), evaluation runs of rule sets,
/// assessment entries made by hand, and an index of superseded residences. Activities and entries are versioned like the
/// register; evaluation runs are append-only.
fn v4() -> String {
    let mut sql = versioned_table(
        "activity",
        "kind TEXT NOT NULL, subtype TEXT, day INTEGER NOT NULL,
         unit INTEGER NOT NULL REFERENCES entity(id), body INTEGER REFERENCES entity(id),
         participants TEXT NOT NULL, subjects TEXT NOT NULL, answers INTEGER,
         detail TEXT NOT NULL CHECK (json_valid(detail)), key TEXT NOT NULL",
        false,
    );
    sql.push_str(&versioned_table(
        "assessment_entry",
        "scheme TEXT NOT NULL, unit INTEGER NOT NULL REFERENCES entity(id),
         period_day INTEGER NOT NULL, indicator TEXT NOT NULL, points REAL,
         veto INTEGER NOT NULL, reason TEXT NOT NULL",
        false,
    ));
    sql.push_str(
        "CREATE INDEX activity_key ON activity(key) WHERE sys_to IS NULL;
         -- Superseded residences by resident, for reads as of an earlier transaction
         -- (current ones have residence_by_resident).
         CREATE INDEX residence_history ON residence(resident) WHERE sys_to IS NOT NULL;
         CREATE INDEX activity_day ON activity(day) WHERE sys_to IS NULL;
         CREATE INDEX assessment_entry_key ON assessment_entry(scheme, unit, period_day, indicator)
             WHERE sys_to IS NULL;
         CREATE TABLE evaluation (
             id         INTEGER PRIMARY KEY,
             tx         INTEGER NOT NULL REFERENCES txn(id),
             seen       INTEGER NOT NULL,
             rule_set   TEXT NOT NULL,
             version    TEXT NOT NULL,
             hash       TEXT NOT NULL,
             rules      TEXT NOT NULL,
             request    TEXT NOT NULL CHECK (json_valid(request)),
             findings   INTEGER NOT NULL,
             digest     TEXT NOT NULL
         );
         CREATE TRIGGER evaluation_no_update BEFORE UPDATE ON evaluation
         BEGIN SELECT RAISE(ABORT, 'shiliu: evaluation runs are append-only'); END;
         CREATE TRIGGER evaluation_no_delete BEFORE DELETE ON evaluation
         BEGIN SELECT RAISE(ABORT, 'shiliu: evaluation runs are append-only'); END;",
    );
    sql
}

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
            conn.execute_batch(&sql())?;
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
