//! SQL of the register tables. Every table is versioned like `fact`: a change supersedes
//! the current version (`sys_to`) and inserts a new one under the same id.

use rusqlite::{params, CachedStatement, Connection, OptionalExtension, Row};

use super::keys::KeyMap;
use super::{date, day, Category, Residence, ResidentId, ResidentRecord};
use crate::codes::{Ethnicity, Sex};
use crate::error::{Error, Result};
use crate::network::{TxId, UnitId};
use crate::time::Interval;

/// The rows current as of transaction `at`.
pub(crate) const AS_OF_TX: &str = "sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)";

/// Reserves `n` consecutive ids from the shared entity sequence; returns the first.
pub(crate) fn allocate_ids(conn: &Connection, n: i64) -> Result<i64> {
    let updated: Option<i64> = conn
        .query_row(
            "UPDATE sqlite_sequence SET seq = seq + ?1 WHERE name = 'entity' RETURNING seq",
            [n],
            |r| r.get(0),
        )
        .optional()?;
    let last = match updated {
        Some(last) => last,
        None => {
            conn.execute(
                "INSERT INTO sqlite_sequence(name, seq) VALUES ('entity', ?1)",
                [n],
            )?;
            n
        }
    };
    Ok(last - n + 1)
}

/// Marks the current version of record `id` in `table` superseded by `tx`.
pub(crate) fn supersede(conn: &Connection, table: &str, id: i64, tx: TxId) -> Result<()> {
    // A version this same transaction wrote is replaced, not kept: one version per
    // record and transaction.
    let sql = format!("DELETE FROM {table} WHERE id = ?2 AND sys_from = ?1 AND sys_to IS NULL");
    if conn.prepare_cached(&sql)?.execute(params![tx, id])? == 1 {
        return Ok(());
    }
    let sql = format!("UPDATE {table} SET sys_to = ?1 WHERE id = ?2 AND sys_to IS NULL");
    let n = conn.prepare_cached(&sql)?.execute(params![tx, id])?;
    if n == 1 {
        Ok(())
    } else {
        Err(Error::not_found(format!("current {table} record {id}")))
    }
}

/// A version of a resident's core record as an insert binds it.
#[derive(Clone, Copy)]
pub(crate) struct ResidentRow<'a> {
    pub id: ResidentId,
    pub name: &'a str,
    pub sex: Option<Sex>,
    pub birth_date: Option<chrono::NaiveDate>,
    pub id_number: Option<&'a str>,
    pub ethnicity: Ethnicity,
    pub phone: Option<&'a str>,
    pub category: Category,
    pub origin: Option<&'a str>,
    pub household: Option<&'a str>,
    pub father_ethnicity: Option<Ethnicity>,
    pub mother_ethnicity: Option<Ethnicity>,
    pub match_key: &'a str,
    pub hash: i64,
}

impl ResidentRecord {
    /// The record as an insert binds it.
    pub(crate) fn row<'a>(&'a self, match_key: &'a str, hash: i64) -> ResidentRow<'a> {
        ResidentRow {
            id: self.id,
            name: &self.name,
            sex: self.sex,
            birth_date: self.birth_date,
            id_number: self.id_number.as_deref(),
            ethnicity: self.ethnicity,
            phone: self.phone.as_deref(),
            category: self.category,
            origin: self.origin.as_deref(),
            household: self.household.as_deref(),
            father_ethnicity: self.father_ethnicity,
            mother_ethnicity: self.mother_ethnicity,
            match_key,
            hash,
        }
    }
}

const RESIDENT_COLUMNS_INSERTED: &str = "id, sys_from, name, sex, birth_day, id_number, \
     ethnicity, phone, category, origin, household, father_ethnicity, mother_ethnicity, \
     match_key, hash";
const RESIDENCE_COLUMNS_INSERTED: &str = "id, sys_from, resident, unit, from_day, to_day";

/// Rows per multi-row insert (see [`Inserts::residents`]).
pub(crate) const MANY: usize = 32;

/// `INSERT INTO table(columns) VALUES (?, …), …` for `rows` rows of `width` values.
fn insert_sql(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; width].join(", "));
    format!(
        "INSERT INTO {table}({columns}) VALUES {}",
        vec![one; rows].join(", ")
    )
}

/// The inserts a writer runs for every resident, each prepared once and kept (an import
/// runs them a million times; looking a statement up in the connection's cache each
/// time costs as much as binding it).
#[derive(Default)]
pub(crate) struct Inserts<'c> {
    resident: Option<CachedStatement<'c>>,
    residence: Option<CachedStatement<'c>>,
    residents: Option<CachedStatement<'c>>,
    residences: Option<CachedStatement<'c>>,
}

fn prepared<'s, 'c>(
    slot: &'s mut Option<CachedStatement<'c>>,
    conn: &'c Connection,
    sql: impl FnOnce() -> String,
) -> Result<&'s mut CachedStatement<'c>> {
    Ok(match slot {
        Some(stmt) => stmt,
        None => slot.insert(conn.prepare_cached(&sql())?),
    })
}

/// Binds a resident's values after the first `at` parameters.
fn bind_resident(
    stmt: &mut CachedStatement<'_>,
    at: usize,
    tx: TxId,
    r: &ResidentRow<'_>,
) -> Result<()> {
    stmt.raw_bind_parameter(at + 1, r.id)?;
    stmt.raw_bind_parameter(at + 2, tx)?;
    stmt.raw_bind_parameter(at + 3, r.name)?;
    stmt.raw_bind_parameter(at + 4, r.sex.map(sex_code))?;
    stmt.raw_bind_parameter(at + 5, r.birth_date.map(day))?;
    stmt.raw_bind_parameter(at + 6, r.id_number)?;
    stmt.raw_bind_parameter(at + 7, r.ethnicity.number())?;
    stmt.raw_bind_parameter(at + 8, r.phone)?;
    stmt.raw_bind_parameter(at + 9, r.category.code())?;
    stmt.raw_bind_parameter(at + 10, r.origin)?;
    stmt.raw_bind_parameter(at + 11, r.household)?;
    stmt.raw_bind_parameter(at + 12, r.father_ethnicity.map(|e| e.number()))?;
    stmt.raw_bind_parameter(at + 13, r.mother_ethnicity.map(|e| e.number()))?;
    stmt.raw_bind_parameter(at + 14, r.match_key)?;
    stmt.raw_bind_parameter(at + 15, r.hash)?;
    Ok(())
}

/// Binds a residence's values after the first `at` parameters.
fn bind_residence(
    stmt: &mut CachedStatement<'_>,
    at: usize,
    tx: TxId,
    resident: ResidentId,
    r: &Residence,
) -> Result<()> {
    stmt.raw_bind_parameter(at + 1, r.id)?;
    stmt.raw_bind_parameter(at + 2, tx)?;
    stmt.raw_bind_parameter(at + 3, resident)?;
    stmt.raw_bind_parameter(at + 4, r.unit)?;
    stmt.raw_bind_parameter(at + 5, day(r.valid.from))?;
    stmt.raw_bind_parameter(at + 6, r.valid.to.map(day))?;
    Ok(())
}

impl<'c> Inserts<'c> {
    /// Inserts a version of a resident's core record.
    pub(crate) fn resident(
        &mut self,
        conn: &'c Connection,
        tx: TxId,
        r: &ResidentRow<'_>,
    ) -> Result<()> {
        let stmt = prepared(&mut self.resident, conn, || {
            insert_sql("resident", RESIDENT_COLUMNS_INSERTED, 15, 1)
        })?;
        bind_resident(stmt, 0, tx, r)?;
        stmt.raw_execute()?;
        Ok(())
    }

    /// Inserts versions of residents' core records: [`MANY`] in one statement (a
    /// statement's own work — opening its cursors, checking foreign keys' tables,
    /// finishing — is then done once for all of them), fewer one by one.
    pub(crate) fn residents(
        &mut self,
        conn: &'c Connection,
        tx: TxId,
        rows: &[ResidentRow<'_>],
    ) -> Result<()> {
        if rows.len() != MANY {
            return rows.iter().try_for_each(|r| self.resident(conn, tx, r));
        }
        let stmt = prepared(&mut self.residents, conn, || {
            insert_sql("resident", RESIDENT_COLUMNS_INSERTED, 15, MANY)
        })?;
        for (k, r) in rows.iter().enumerate() {
            bind_resident(stmt, 15 * k, tx, r)?;
        }
        stmt.raw_execute()?;
        Ok(())
    }

    /// Inserts a version of a residence interval.
    pub(crate) fn residence(
        &mut self,
        conn: &'c Connection,
        tx: TxId,
        resident: ResidentId,
        r: &Residence,
    ) -> Result<()> {
        let stmt = prepared(&mut self.residence, conn, || {
            insert_sql("residence", RESIDENCE_COLUMNS_INSERTED, 6, 1)
        })?;
        bind_residence(stmt, 0, tx, resident, r)?;
        stmt.raw_execute()?;
        Ok(())
    }

    /// Inserts versions of residence intervals, (resident, residence): like
    /// [`Inserts::residents`].
    pub(crate) fn residences(
        &mut self,
        conn: &'c Connection,
        tx: TxId,
        rows: &[(ResidentId, Residence)],
    ) -> Result<()> {
        if rows.len() != MANY {
            return rows
                .iter()
                .try_for_each(|(resident, r)| self.residence(conn, tx, *resident, r));
        }
        let stmt = prepared(&mut self.residences, conn, || {
            insert_sql("residence", RESIDENCE_COLUMNS_INSERTED, 6, MANY)
        })?;
        for (k, (resident, r)) in rows.iter().enumerate() {
            bind_residence(stmt, 6 * k, tx, *resident, r)?;
        }
        stmt.raw_execute()?;
        Ok(())
    }
}

/// Inserts a version of a residence interval.
pub(crate) fn insert_residence(
    conn: &Connection,
    tx: TxId,
    resident: ResidentId,
    r: &Residence,
) -> Result<()> {
    Inserts::default().residence(conn, tx, resident, r)
}

fn sex_code(s: Sex) -> i64 {
    match s {
        Sex::Male => 1,
        Sex::Female => 2,
    }
}

fn sex_from(c: Option<i64>) -> Option<Sex> {
    match c {
        Some(1) => Some(Sex::Male),
        Some(2) => Some(Sex::Female),
        _ => None,
    }
}

fn ethnicity_from(c: i64) -> rusqlite::Result<Ethnicity> {
    u8::try_from(c)
        .ok()
        .and_then(Ethnicity::from_code)
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, c))
}

const RESIDENT_COLUMNS: &str = "id, name, sex, birth_day, id_number, ethnicity, phone, category,
     origin, household, father_ethnicity, mother_ethnicity";

fn resident_from(r: &Row<'_>) -> rusqlite::Result<ResidentRecord> {
    let opt_eth = |v: Option<i64>| v.map(ethnicity_from).transpose();
    Ok(ResidentRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        sex: sex_from(r.get(2)?),
        birth_date: r.get::<_, Option<i64>>(3)?.map(date),
        id_number: r.get(4)?,
        ethnicity: ethnicity_from(r.get(5)?)?,
        phone: r.get(6)?,
        category: Category::from_code(r.get(7)?).unwrap_or(Category::Migrant),
        origin: r.get(8)?,
        household: r.get(9)?,
        father_ethnicity: opt_eth(r.get(10)?)?,
        mother_ethnicity: opt_eth(r.get(11)?)?,
    })
}

/// A resident's core record as of transaction `at`.
pub(crate) fn resident(
    conn: &Connection,
    id: ResidentId,
    at: TxId,
) -> Result<Option<ResidentRecord>> {
    let sql = format!("SELECT {RESIDENT_COLUMNS} FROM resident WHERE id = ?2 AND {AS_OF_TX}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![at, id], resident_from)
        .optional()?)
}

/// A resident's residence intervals as of transaction `at`, oldest first.
pub(crate) fn residences(
    conn: &Connection,
    resident: ResidentId,
    at: TxId,
) -> Result<Vec<Residence>> {
    // Current rows and superseded ones each have their own partial index by resident.
    let sql = "SELECT id, unit, from_day, to_day FROM (
             SELECT id, unit, from_day, to_day FROM residence
             WHERE resident = ?2 AND sys_to IS NULL AND sys_from <= ?1
             UNION ALL
             SELECT id, unit, from_day, to_day FROM residence
             WHERE resident = ?2 AND sys_to > ?1 AND sys_from <= ?1)
         ORDER BY from_day, id";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![at, resident], |r| {
        Ok(Residence {
            id: r.get(0)?,
            unit: r.get(1)?,
            valid: Interval {
                from: date(r.get(2)?),
                to: r.get::<_, Option<i64>>(3)?.map(date),
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Residents living in one of `units` on `as_of` (as of transaction `at`), with the
/// residence that places them there; ordered by unit, then id.
pub(crate) fn living_in(
    conn: &Connection,
    units: &[UnitId],
    as_of: chrono::NaiveDate,
    at: TxId,
) -> Result<Vec<(ResidentRecord, Residence)>> {
    let sql = format!(
        "SELECT {cols}, s.id, s.unit, s.from_day, s.to_day
         FROM residence s JOIN resident r ON r.id = s.resident
         WHERE s.unit = ?2 AND s.from_day <= ?3 AND (s.to_day IS NULL OR s.to_day > ?3)
           AND s.sys_from <= ?1 AND (s.sys_to IS NULL OR s.sys_to > ?1)
           AND r.sys_from <= ?1 AND (r.sys_to IS NULL OR r.sys_to > ?1)
         ORDER BY r.id",
        cols = RESIDENT_COLUMNS
            .split(',')
            .map(|c| format!("r.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = Vec::new();
    for unit in units {
        let rows = stmt.query_map(params![at, unit, day(as_of)], |r| {
            Ok((
                resident_from(r)?,
                Residence {
                    id: r.get(12)?,
                    unit: r.get(13)?,
                    valid: Interval {
                        from: date(r.get(14)?),
                        to: r.get::<_, Option<i64>>(15)?.map(date),
                    },
                },
            ))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Current residents by match key: (id, content hash).
pub(crate) fn current_keys(conn: &Connection) -> Result<KeyMap<(ResidentId, i64)>> {
    let mut keys = KeyMap::default();
    let mut stmt = conn.prepare("SELECT match_key, id, hash FROM resident WHERE sys_to IS NULL")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = r.get_ref(0)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?;
        keys.insert(key, (r.get(1)?, r.get(2)?));
    }
    Ok(keys)
}

/// An index dropped inside the current write transaction, to be created again from its
/// own recorded definition before that transaction commits.
///
/// Schema changes are transactional in SQLite: until the commit, every other connection
/// still reads the index, and a rollback (an error, a cancelled import, a crash) brings
/// it back. Whatever runs between the drop and [`recreate_index`] must therefore not
/// rely on the index (queries still work, as scans) — nor on the uniqueness it enforces,
/// which the recreation checks again over every current row.
pub(crate) struct DroppedIndex {
    sql: String,
}

/// Drops index `name` in the current transaction (see [`DroppedIndex`]).
pub(crate) fn drop_index(conn: &Connection, name: &str) -> Result<DroppedIndex> {
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| Error::Internal(format!("index {name} is missing")))?;
    conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    Ok(DroppedIndex { sql })
}

/// Creates a dropped index again, exactly as it was defined; fails (and so fails the
/// transaction) if a unique index no longer holds.
pub(crate) fn recreate_index(conn: &Connection, index: DroppedIndex) -> Result<()> {
    conn.execute_batch(&index.sql)?;
    Ok(())
}

/// The page cache of a bulk load, in KiB: its tables and indexes then stay in memory
/// until the commit (instead of being spilled to the WAL early and read back to build
/// the indexes again).
const BULK_CACHE_KIB: i64 = 262_144;

/// A larger page cache for the length of a bulk load; the connection's own cache size
/// comes back when it is dropped (the pages above it are freed as they are written).
pub(crate) struct LargerCache<'c> {
    conn: &'c Connection,
    previous: i64,
}

impl<'c> LargerCache<'c> {
    /// Raises the cache of `conn` to [`BULK_CACHE_KIB`] unless it is at least that large.
    pub(crate) fn new(conn: &'c Connection) -> Result<Option<LargerCache<'c>>> {
        let previous: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        if previous <= -BULK_CACHE_KIB {
            return Ok(None);
        }
        conn.execute_batch(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))?;
        Ok(Some(LargerCache { conn, previous }))
    }
}

impl Drop for LargerCache<'_> {
    fn drop(&mut self) {
        // Only a hint: a failure leaves the larger cache in place, which is harmless.
        let _ = self
            .conn
            .execute_batch(&format!("PRAGMA cache_size = {}", self.previous));
    }
}

/// Inserts a version of a registration place.
pub(crate) fn insert_registration(
    conn: &Connection,
    tx: TxId,
    id: i64,
    resident: ResidentId,
    unit: Option<UnitId>,
    division: Option<&str>,
    from: chrono::NaiveDate,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO registration(id, sys_from, resident, unit, division, from_day, to_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
    )?
    .execute(params![id, tx, resident, unit, division, day(from)])?;
    Ok(())
}

/// A registration place as stored: (record id, unit, division or address).
pub(crate) type RegistrationRow = (i64, Option<UnitId>, Option<String>);

/// The current registration place.
pub(crate) fn current_registration(
    conn: &Connection,
    resident: ResidentId,
) -> Result<Option<RegistrationRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, unit, division FROM registration
             WHERE resident = ?1 AND sys_to IS NULL AND to_day IS NULL",
        )?
        .query_row([resident], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// Inserts a version of a flag.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_flag(
    conn: &Connection,
    tx: TxId,
    id: i64,
    resident: ResidentId,
    kind: &str,
    detail: Option<&str>,
    from: chrono::NaiveDate,
    to: Option<chrono::NaiveDate>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO flag(id, sys_from, resident, kind, detail, from_day, to_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        tx,
        resident,
        kind,
        detail,
        day(from),
        to.map(day)
    ])?;
    Ok(())
}

/// The open flag of a kind: (record id, detail, first day).
pub(crate) fn open_flag(
    conn: &Connection,
    resident: ResidentId,
    kind: &str,
) -> Result<Option<(i64, Option<String>, chrono::NaiveDate)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, detail, from_day FROM flag
             WHERE resident = ?1 AND kind = ?2 AND sys_to IS NULL AND to_day IS NULL",
        )?
        .query_row(params![resident, kind], |r| {
            Ok((r.get(0)?, r.get(1)?, date(r.get(2)?)))
        })
        .optional()?)
}
