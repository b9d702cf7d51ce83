//! SQL of the `activity` table (schema version 4).

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::model::{ActivityKind, ActivityView, Evidence, NewActivity};
use super::ActivityId;
use crate::error::{Error, Result};
use crate::network::{BodyId, TxId, UnitId};
use crate::register::{date, day, ResidentId};

/// The columns kept as one JSON document: what no rule selects on.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Detail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resolved: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aid_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

/// Ids as stored: space-separated decimal numbers.
fn ids_text(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&id.to_string());
    }
    s
}

fn ids_of(text: &str) -> Box<[i64]> {
    text.split_ascii_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// The identity an activity is matched on: its reference within its unit, or else
/// its whole content.
pub(super) fn key_of(a: &NewActivity) -> Result<String> {
    use sha2::{Digest, Sha256};
    if let Some(r) = a
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        return Ok(format!("ref:{}:{r}", a.unit));
    }
    let text = serde_json::to_string(a)
        .map_err(|e| Error::Internal(format!("cannot encode activity: {e}")))?;
    let digest = Sha256::digest(text.as_bytes());
    Ok(format!("h:{}", hex(&digest[..16])))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Inserts a version of an activity.
pub(super) fn insert(
    conn: &Connection,
    tx: TxId,
    id: ActivityId,
    a: &NewActivity,
    key: &str,
) -> Result<()> {
    let detail = Detail {
        title: a.title.clone(),
        category: a.category.clone(),
        resolved: a.resolved,
        aid_kind: a.aid_kind.clone(),
        amount: a.amount,
        evidence: a.evidence.clone(),
        note: a.note.clone(),
        reference: a.reference.clone(),
    };
    let detail = serde_json::to_string(&detail)
        .map_err(|e| Error::Internal(format!("cannot encode activity: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO activity(id, sys_from, kind, subtype, day, unit, body, participants,
                              subjects, answers, detail, key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        id,
        tx,
        a.kind.label(),
        a.subtype,
        day(a.date),
        a.unit,
        a.body,
        ids_text(&a.participants),
        ids_text(&a.subjects),
        a.answers,
        detail,
        key
    ])?;
    Ok(())
}

const COLUMNS: &str =
    "id, kind, subtype, day, unit, body, participants, subjects, answers, detail, sys_from";

/// A stored version read back as the activity it records, with its id and transaction.
fn read_row(r: &Row<'_>) -> rusqlite::Result<(ActivityId, NewActivity, TxId)> {
    let detail: String = r.get(9)?;
    let d: Detail = serde_json::from_str(&detail).unwrap_or_default();
    let a = NewActivity {
        kind: ActivityKind::parse(&r.get::<_, String>(1)?),
        subtype: r.get(2)?,
        date: date(r.get(3)?),
        unit: r.get(4)?,
        body: r.get(5)?,
        participants: ids_of(&r.get::<_, String>(6)?).into_vec(),
        subjects: ids_of(&r.get::<_, String>(7)?).into_vec(),
        answers: r.get(8)?,
        title: d.title,
        category: d.category,
        resolved: d.resolved,
        aid_kind: d.aid_kind,
        amount: d.amount,
        evidence: d.evidence,
        note: d.note,
        reference: d.reference,
    };
    Ok((r.get(0)?, a, r.get(10)?))
}

/// The current activity with identity `key`, if any.
pub(super) fn by_key(conn: &Connection, key: &str) -> Result<Option<(ActivityId, NewActivity)>> {
    let sql = format!("SELECT {COLUMNS} FROM activity WHERE key = ?1 AND sys_to IS NULL");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([key], read_row)
        .optional()?
        .map(|(id, a, _)| (id, a)))
}

/// The activity `id` as recorded by transaction `at`.
pub(super) fn by_id(
    conn: &Connection,
    id: ActivityId,
    at: TxId,
) -> Result<Option<(NewActivity, TxId)>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM activity WHERE id = ?2 AND {}",
        crate::register::AS_OF_TX
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![at, id], read_row)
        .optional()?
        .map(|(_, a, tx)| (a, tx)))
}

/// Activities in `units` (all units when `None`) whose day lies in `[from, to]`, as
/// recorded by transaction `at`, in day order.
pub(super) fn list(
    conn: &Connection,
    at: TxId,
    from: NaiveDateRange,
) -> Result<Vec<(ActivityId, NewActivity, TxId)>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM activity WHERE day BETWEEN ?2 AND ?3 AND {}
         ORDER BY day, id",
        crate::register::AS_OF_TX
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![at, day(from.0), day(from.1)], read_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// An inclusive range of dates.
pub(super) type NaiveDateRange = (chrono::NaiveDate, chrono::NaiveDate);

/// What the rules need of an activity, compactly.
#[derive(Debug, Clone)]
pub(crate) struct ActivityRow {
    pub(crate) id: ActivityId,
    pub(crate) kind: ActivityKind,
    pub(crate) subtype: Option<Box<str>>,
    /// Days since 1970-01-01.
    pub(crate) day: i32,
    pub(crate) unit: UnitId,
    pub(crate) body: Option<BodyId>,
    pub(crate) participants: Box<[i64]>,
    pub(crate) subjects: Box<[ResidentId]>,
    pub(crate) answers: Option<i64>,
}

/// Every activity current as of transaction `at`, in day order.
pub(crate) fn load_current(conn: &Connection, at: TxId) -> Result<Vec<ActivityRow>> {
    let sql = format!(
        "SELECT id, kind, subtype, day, unit, body, participants, subjects, answers
         FROM activity WHERE {} ORDER BY day, id",
        crate::register::AS_OF_TX
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut kinds: Vec<(String, ActivityKind)> = Vec::new();
    let mut rows = stmt.query([at])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind_text = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let kind = match kinds.iter().find(|(t, _)| t == kind_text) {
            Some((_, k)) => k.clone(),
            None => {
                let k = ActivityKind::parse(kind_text);
                kinds.push((kind_text.to_owned(), k.clone()));
                k
            }
        };
        out.push(ActivityRow {
            id: r.get(0)?,
            kind,
            subtype: r.get::<_, Option<String>>(2)?.map(String::into_boxed_str),
            day: r.get(3)?,
            unit: r.get(4)?,
            body: r.get(5)?,
            participants: ids_of(r.get_ref(6)?.as_str().map_err(rusqlite::Error::from)?),
            subjects: ids_of(r.get_ref(7)?.as_str().map_err(rusqlite::Error::from)?),
            answers: r.get(8)?,
        });
    }
    Ok(out)
}

/// An activity as read back, with its note masked unless `shows_personal`.
pub(super) fn view_of(
    id: ActivityId,
    a: NewActivity,
    tx: TxId,
    unit_name: Option<String>,
    shows_personal: bool,
) -> ActivityView {
    ActivityView {
        id,
        kind: a.kind.label().to_owned(),
        kind_zh: a.kind.name_zh().to_owned(),
        subtype: a.subtype,
        date: a.date,
        unit: a.unit,
        unit_name,
        body: a.body,
        participants: a.participants,
        subjects: a.subjects,
        answers: a.answers,
        title: a.title,
        category: a.category,
        resolved: a.resolved,
        aid_kind: a.aid_kind,
        amount: a.amount,
        evidence: a.evidence,
        note: a.note.filter(|_| shows_personal),
        reference: a.reference,
        transaction: tx,
    }
}
