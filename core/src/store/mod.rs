//! The SQLite store: schema, migrations, recorded-time versioning of facts.
//!
//! Every fact version is one row of `fact` with the transaction that recorded it
//! (`sys_from`) and the one that superseded it (`sys_to`, NULL while current). Rows are
//! never deleted or edited except to set `sys_to` once — triggers enforce it — so any
//! earlier state can be read back exactly ([`load_network`] with a transaction number).

mod schema;

use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::error::{Error, Result};
use crate::network::{Fact, FactId, Network, TxId};

pub use schema::SCHEMA_VERSION;

/// `PRAGMA application_id` of a shiliu database ("SHLU").
pub const APPLICATION_ID: i32 = 0x5348_4C55;

/// Opens (and creates or migrates) a database file. A file that is not a shiliu
/// database, or one from a newer schema, is refused without being modified.
pub(crate) fn open_file(path: &Path, create: bool) -> Result<Connection> {
    let shown = path.display().to_string();
    if !create && !path.exists() {
        return Err(Error::not_found(format!("database file {shown}")));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| map_open_error(e, &shown))?;
    configure(&conn, &shown, true)?;
    Ok(conn)
}

/// Opens another connection to an existing, already-migrated file (for readers).
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let shown = path.display().to_string();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| map_open_error(e, &shown))?;
    configure(&conn, &shown, false)?;
    Ok(conn)
}

/// Opens a private in-memory database.
pub(crate) fn open_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn, ":memory:", true)?;
    Ok(conn)
}

fn map_open_error(e: rusqlite::Error, path: &str) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::NotShiliuDatabase {
            path: path.to_owned(),
        },
        _ => Error::Storage(e),
    }
}

fn configure(conn: &Connection, path: &str, migrate: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Read identity before anything writes to the file.
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| map_open_error(e, path))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    let fresh = app_id == 0 && version == 0 && tables == 0;
    if !fresh && app_id != APPLICATION_ID {
        return Err(Error::NotShiliuDatabase {
            path: path.to_owned(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if path != ":memory:" {
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;",
    )?;
    // A large page cache for the writer (bulk imports touch random index pages), a
    // modest one for readers.
    let cache_kib = if migrate { 131_072 } else { 16_384 };
    conn.execute_batch(&format!("PRAGMA cache_size = -{cache_kib};"))?;
    if migrate {
        schema::migrate(conn, version)?;
    }
    Ok(())
}

/// The newest recorded transaction (0 for an empty registry).
pub(crate) fn latest_transaction(conn: &Connection) -> Result<TxId> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM txn", [], |r| r.get(0))?)
}

/// Loads the network as recorded by transaction `at` (the latest when `None`).
pub(crate) fn load_network(conn: &Connection, at: Option<TxId>) -> Result<Network> {
    let latest = latest_transaction(conn)?;
    let tx = match at {
        Some(t) if t > latest || t < 0 => {
            return Err(Error::not_found(format!("transaction {t}")));
        }
        Some(t) => t,
        None => latest,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, body FROM fact
         WHERE sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)
         ORDER BY id",
    )?;
    let mut net = Network {
        transaction: tx,
        ..Network::default()
    };
    let rows = stmt.query_map([tx], |r| {
        Ok((r.get::<_, FactId>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (id, body) = row?;
        let fact: Fact = serde_json::from_str(&body)
            .map_err(|e| Error::Internal(format!("stored fact {id} unreadable: {e}")))?;
        net.apply(id, fact);
    }
    Ok(net)
}

/// A transaction's header.
pub(crate) struct TxHeader<'a> {
    pub at: &'a str,
    pub principal: &'a str,
    pub role: &'a str,
    pub purpose: Option<&'a str>,
    pub batch: Option<&'a str>,
}

/// Starts a numbered transaction; returns its number.
pub(crate) fn begin_transaction(conn: &Connection, h: &TxHeader<'_>) -> Result<TxId> {
    conn.execute(
        "INSERT INTO txn(at, principal, role, purpose, batch) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![h.at, h.principal, h.role, h.purpose, h.batch],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records a new fact (a new entity id) in transaction `tx`.
pub(crate) fn insert_fact(conn: &Connection, tx: TxId, fact: &Fact) -> Result<FactId> {
    conn.prepare_cached("INSERT INTO entity(kind, tx) VALUES (?1, ?2)")?
        .execute(params![fact.kind_name(), tx])?;
    let id = conn.last_insert_rowid();
    write_version(conn, tx, id, fact)?;
    Ok(id)
}

/// Records a new version of fact `id` in transaction `tx`; the old version stays readable.
pub(crate) fn replace_fact(conn: &Connection, tx: TxId, id: FactId, fact: &Fact) -> Result<()> {
    let n = conn
        .prepare_cached("UPDATE fact SET sys_to = ?1 WHERE id = ?2 AND sys_to IS NULL")?
        .execute(params![tx, id])?;
    if n != 1 {
        return Err(Error::not_found(format!("current record {id}")));
    }
    write_version(conn, tx, id, fact)
}

fn write_version(conn: &Connection, tx: TxId, id: FactId, fact: &Fact) -> Result<()> {
    let body = serde_json::to_string(fact)
        .map_err(|e| Error::Internal(format!("cannot encode fact: {e}")))?;
    let (from, to) = match fact.valid() {
        Some(v) => (Some(v.from.to_string()), v.to.map(|d| d.to_string())),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO fact(id, sys_from, kind, valid_from, valid_to, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id, tx, fact.kind_name(), from, to, body])?;
    Ok(())
}

/// One recorded version of a fact.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FactVersion {
    /// The fact's id.
    pub id: FactId,
    /// The transaction that recorded this version.
    pub recorded_in: TxId,
    /// The transaction that superseded it, if any.
    pub superseded_in: Option<TxId>,
    /// The version's content.
    pub fact: serde_json::Value,
}

/// Every recorded version of a fact, oldest first.
pub(crate) fn fact_history(conn: &Connection, id: FactId) -> Result<Vec<(FactVersion, Fact)>> {
    let mut stmt = conn
        .prepare_cached("SELECT sys_from, sys_to, body FROM fact WHERE id = ?1 ORDER BY version")?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, TxId>(0)?,
            r.get::<_, Option<TxId>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (from, to, body) = row?;
        let fact: Fact = serde_json::from_str(&body)
            .map_err(|e| Error::Internal(format!("stored fact {id} unreadable: {e}")))?;
        let value = serde_json::to_value(&fact)
            .map_err(|e| Error::Internal(format!("cannot encode fact: {e}")))?;
        out.push((
            FactVersion {
                id,
                recorded_in: from,
                superseded_in: to,
                fact: value,
            },
            fact,
        ));
    }
    if out.is_empty() {
        return Err(Error::not_found(format!("record {id}")));
    }
    Ok(out)
}

/// A recorded transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransactionInfo {
    /// Its number.
    pub id: TxId,
    /// UTC timestamp.
    pub at: String,
    /// Who.
    pub principal: String,
    /// Their role.
    pub role: String,
    /// Why.
    pub purpose: Option<String>,
    /// The import batch, if any.
    pub batch: Option<String>,
}

/// One transaction's header.
pub(crate) fn transaction_info(conn: &Connection, id: TxId) -> Result<TransactionInfo> {
    conn.query_row(
        "SELECT id, at, principal, role, purpose, batch FROM txn WHERE id = ?1",
        [id],
        |r| {
            Ok(TransactionInfo {
                id: r.get(0)?,
                at: r.get(1)?,
                principal: r.get(2)?,
                role: r.get(3)?,
                purpose: r.get(4)?,
                batch: r.get(5)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| Error::not_found(format!("transaction {id}")))
}
