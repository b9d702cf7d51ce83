//! What evaluation reads from the store, loaded once per recorded transaction and
//! shared by every evaluation at that transaction: activities (indexed by unit, body
//! and subject), life events, flags and — when a rule asks — the ledger's last-change
//! dates.

use std::sync::OnceLock;

use rusqlite::Connection;
use rustc_hash::FxHashMap;

use crate::activity::{load_current, ActivityRow};
use crate::error::Result;
use crate::network::{TxId, UnitId};
use crate::register::{FlagKind, LifeEventKind, ResidentId, AS_OF_TX};

/// A life event.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) id: i64,
    pub(crate) resident: ResidentId,
    pub(crate) kind: LifeEventKind,
    pub(crate) day: i32,
}

/// A flag over `[from, to)` (days; `to` = `i32::MAX` when open).
#[derive(Debug, Clone)]
pub(crate) struct FlagRow {
    pub(crate) resident: ResidentId,
    pub(crate) kind: FlagKind,
    pub(crate) from: i32,
    pub(crate) to: i32,
}

/// Everything evaluation reads, as of one transaction.
#[derive(Debug, Default)]
pub(crate) struct RulesData {
    pub(crate) transaction: TxId,
    /// Activities in day order.
    pub(crate) activities: Vec<ActivityRow>,
    pub(crate) by_unit: FxHashMap<UnitId, Vec<u32>>,
    pub(crate) by_body: FxHashMap<i64, Vec<u32>>,
    pub(crate) by_subject: FxHashMap<ResidentId, Vec<u32>>,
    pub(crate) events: Vec<Event>,
    pub(crate) flags: Vec<FlagRow>,
    /// The day of the last change to each unit's residences (loaded on first use).
    ledger: OnceLock<FxHashMap<UnitId, i32>>,
}

fn intern<K: Clone>(cache: &mut Vec<(String, K)>, text: &str, parse: impl Fn(&str) -> K) -> K {
    if let Some((_, k)) = cache.iter().find(|(t, _)| t == text) {
        return k.clone();
    }
    let k = parse(text);
    cache.push((text.to_owned(), k.clone()));
    k
}

impl RulesData {
    /// Reads everything as of transaction `at`.
    pub(crate) fn load(conn: &Connection, at: TxId) -> Result<RulesData> {
        let activities = load_current(conn, at)?;
        let mut by_unit: FxHashMap<UnitId, Vec<u32>> = FxHashMap::default();
        let mut by_body: FxHashMap<i64, Vec<u32>> = FxHashMap::default();
        let mut by_subject: FxHashMap<ResidentId, Vec<u32>> = FxHashMap::default();
        for (i, a) in activities.iter().enumerate() {
            let i = i as u32;
            by_unit.entry(a.unit).or_default().push(i);
            if let Some(b) = a.body {
                by_body.entry(b).or_default().push(i);
            }
            for s in a.subjects.iter() {
                by_subject.entry(*s).or_default().push(i);
            }
        }
        let mut kinds = Vec::new();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id, resident, kind, day FROM life_event WHERE {AS_OF_TX} ORDER BY day, id"
        ))?;
        let mut rows = stmt.query([at])?;
        let mut events = Vec::new();
        while let Some(r) = rows.next()? {
            let kind = intern(
                &mut kinds,
                r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?,
                LifeEventKind::parse,
            );
            events.push(Event {
                id: r.get(0)?,
                resident: r.get(1)?,
                kind,
                day: r.get(3)?,
            });
        }
        let mut kinds = Vec::new();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT resident, kind, from_day, to_day FROM flag WHERE {AS_OF_TX} ORDER BY id"
        ))?;
        let mut rows = stmt.query([at])?;
        let mut flags = Vec::new();
        while let Some(r) = rows.next()? {
            let kind = intern(
                &mut kinds,
                r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?,
                FlagKind::parse,
            );
            flags.push(FlagRow {
                resident: r.get(0)?,
                kind,
                from: r.get(2)?,
                to: r.get::<_, Option<i32>>(3)?.unwrap_or(i32::MAX),
            });
        }
        Ok(RulesData {
            transaction: at,
            activities,
            by_unit,
            by_body,
            by_subject,
            events,
            flags,
            ledger: OnceLock::new(),
        })
    }

    /// The day of the last recorded change to each unit's residences (arrivals, moves,
    /// departures), read on first use.
    pub(crate) fn ledger(&self, conn: &Connection) -> Result<&FxHashMap<UnitId, i32>> {
        if let Some(l) = self.ledger.get() {
            return Ok(l);
        }
        // Transaction numbers grow with time: the newest one that wrote a unit's current
        // residences is its last change; its date comes from the (small) txn table.
        let mut stmt = conn.prepare(
            "SELECT unit, max(sys_from) FROM residence
             WHERE sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1) GROUP BY unit",
        )?;
        let last: Vec<(UnitId, i64)> = stmt
            .query_map([self.transaction], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut day_of_tx: FxHashMap<i64, Option<i32>> = FxHashMap::default();
        let mut at = conn.prepare_cached("SELECT at FROM txn WHERE id = ?1")?;
        let mut out = FxHashMap::default();
        for (unit, tx) in last {
            let day = match day_of_tx.get(&tx) {
                Some(d) => *d,
                None => {
                    let text: String = at.query_row([tx], |r| r.get(0))?;
                    let d =
                        chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(""), "%Y-%m-%d")
                            .ok()
                            .map(crate::stats::day_of);
                    day_of_tx.insert(tx, d);
                    d
                }
            };
            if let Some(d) = day {
                out.insert(unit, d);
            }
        }
        Ok(self.ledger.get_or_init(|| out))
    }
}
