//! The audit log: append-only (SQL triggers refuse updates and deletes) and
//! tamper-evident (each entry carries the SHA-256 of its predecessor's hash and its own content).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;

/// The hash the first entry chains from.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record: a transaction, or a read that revealed personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// UTC timestamp, ISO 8601.
    pub at: String,
    /// Who acted.
    pub principal: String,
    /// Their role.
    pub role: String,
    /// What was done: `write`, `read`, `reveal` ….
    pub action: String,
    /// The purpose the principal stated, if any.
    pub purpose: Option<String>,
    /// What was touched (entity ids, a query name; never personal data).
    pub target: String,
    /// The transaction, for writes.
    pub transaction: Option<i64>,
    /// SHA-256 chaining this entry to the previous one.
    pub hash: String,
}

/// Content of a new audit entry.
pub(crate) struct NewAudit<'a> {
    pub at: &'a str,
    pub principal: &'a str,
    pub role: &'a str,
    pub action: &'a str,
    pub purpose: Option<&'a str>,
    pub target: &'a str,
    pub transaction: Option<i64>,
}

fn entry_hash(prev: &str, e: &NewAudit<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        e.at,
        e.principal,
        e.role,
        e.action,
        e.purpose.unwrap_or(""),
        e.target,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.update(e.transaction.unwrap_or(0).to_le_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an entry; call inside the transaction that does the work.
pub(crate) fn append(conn: &Connection, e: &NewAudit<'_>) -> Result<()> {
    let prev: String = conn
        .query_row("SELECT hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_else(|| AUDIT_GENESIS.to_owned());
    let hash = entry_hash(&prev, e);
    conn.execute(
        "INSERT INTO audit(at, principal, role, action, purpose, target, tx, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.at,
            e.principal,
            e.role,
            e.action,
            e.purpose,
            e.target,
            e.transaction,
            prev,
            hash
        ],
    )?;
    Ok(())
}

/// Reads entries (newest last) and verifies the hash chain; returns the entries and
/// the id of the first entry whose hash does not match, if any.
pub(crate) fn read_and_verify(conn: &Connection) -> Result<(Vec<AuditEntry>, Option<i64>)> {
    let mut stmt = conn.prepare(
        "SELECT id, at, principal, role, action, purpose, target, tx, prev_hash, hash
         FROM audit ORDER BY id",
    )?;
    let mut out = Vec::new();
    let mut broken = None;
    let mut prev = AUDIT_GENESIS.to_owned();
    let rows = stmt.query_map([], |r| {
        Ok((
            AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                principal: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                purpose: r.get(5)?,
                target: r.get(6)?,
                transaction: r.get(7)?,
                hash: r.get(9)?,
            },
            r.get::<_, String>(8)?,
        ))
    })?;
    for row in rows {
        let (e, prev_hash) = row?;
        let expect = entry_hash(
            &prev,
            &NewAudit {
                at: &e.at,
                principal: &e.principal,
                role: &e.role,
                action: &e.action,
                purpose: e.purpose.as_deref(),
                target: &e.target,
                transaction: e.transaction,
            },
        );
        if broken.is_none() && (prev_hash != prev || expect != e.hash) {
            broken = Some(e.id);
        }
        prev = e.hash.clone();
        out.push(e);
    }
    Ok((out, broken))
}
