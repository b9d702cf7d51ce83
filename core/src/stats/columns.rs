//! The columnar snapshot the statistics engine scans: one row per stay (a residence or
//! registration interval), held as compact columns.
//!
//! Per stay: the resident (8 bytes), the place index (4), category and ethnicity packed
//! in one byte, the interval (4 + 4), sex (1), birth day (4) and origin province (1):
//! 27 bytes. Rows are ordered by place, then resident (so the scan's counters are hit in
//! order). A write touching a few residents is applied by replacing just their rows —
//! found through the places the store says they had — without reading the whole
//! register again.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use crate::codes::Ethnicity;
use crate::error::Result;
use crate::network::{TxId, UnitId};
use crate::register::ResidentId;

/// Number of ethnicity slots: codes 01–56, then 97 and 98.
pub(crate) const ETH_SLOTS: usize = 58;
/// Slots of the packed category × ethnicity byte (registered, migrant).
pub(crate) const CE_SLOTS: usize = 2 * ETH_SLOTS;
/// `from` of a removed row: never present on any day.
pub(crate) const GONE: i32 = i32::MAX;
/// `to` of an open interval.
pub(crate) const OPEN: i32 = i32::MAX;
/// Birth day when unknown.
pub(crate) const NO_BIRTH: i32 = i32::MIN;

/// The ethnicity slot of a GB/T 3304 number (01–56, 97, 98).
pub(crate) fn eth_slot(number: u8) -> Option<u8> {
    match number {
        1..=56 => Some(number - 1),
        97 => Some(56),
        98 => Some(57),
        _ => None,
    }
}

/// The ethnicity in a slot.
pub(crate) fn slot_ethnicity(slot: usize) -> Option<Ethnicity> {
    let number = match slot {
        0..=55 => slot as u8 + 1,
        56 => 97,
        57 => 98,
        _ => return None,
    };
    Ethnicity::from_code(number)
}

/// Packs category (1 registered, 2 migrant) and ethnicity slot into one byte.
pub(crate) fn pack_ce(category: i64, slot: u8) -> u8 {
    let c = u8::from(category == 2);
    c * ETH_SLOTS as u8 + slot
}

/// Which intervals a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Basis {
    /// Where residents live (the `residence` table).
    Residence,
    /// Where residents are registered, when that is a unit of the registry.
    Registration,
}

impl Basis {
    fn table(self) -> &'static str {
        match self {
            Basis::Residence => "residence",
            Basis::Registration => "registration",
        }
    }
}

/// What the stays need of a resident's core record.
#[derive(Debug, Clone, Copy)]
struct Person {
    ce: u8,
    sex: u8,
    birth: i32,
    origin: u8,
}

/// An ethnicity change: from `from` on, the stay's packed byte is `ce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Change {
    pub(crate) stay: u32,
    pub(crate) from: i32,
    pub(crate) ce: u8,
}

/// The snapshot's columns (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Stays {
    pub(crate) transaction: TxId,
    pub(crate) resident: Vec<ResidentId>,
    pub(crate) place: Vec<u32>,
    pub(crate) ce: Vec<u8>,
    pub(crate) from: Vec<i32>,
    pub(crate) to: Vec<i32>,
    pub(crate) sex: Vec<u8>,
    pub(crate) birth: Vec<i32>,
    pub(crate) origin: Vec<u8>,
    /// Places (units lived in) by index.
    pub(crate) places: Vec<UnitId>,
    place_index: HashMap<UnitId, u32>,
    /// Ethnicity changes, by stay then date.
    pub(crate) changes: Vec<Change>,
    /// Rows `..sorted` are ordered by place, resident and start; later rows were
    /// appended by deltas.
    sorted: usize,
    /// Start of each place's rows within `..sorted` (one more entry than places).
    group: Vec<u32>,
    /// Removed rows (still in the columns, never present).
    removed: usize,
}

impl Stays {
    /// Rows in the columns (including removed ones).
    pub(crate) fn len(&self) -> usize {
        self.from.len()
    }

    /// Bytes held per row, for the benchmark's memory report.
    pub(crate) fn bytes(&self) -> usize {
        self.resident.capacity() * 8
            + self.place.capacity() * 4
            + self.ce.capacity()
            + self.from.capacity() * 4
            + self.to.capacity() * 4
            + self.sex.capacity()
            + self.birth.capacity() * 4
            + self.origin.capacity()
            + self.changes.capacity() * std::mem::size_of::<Change>()
            + self.places.capacity() * 8
            + self.group.capacity() * 4
    }

    fn place_of(&mut self, unit: UnitId) -> u32 {
        if let Some(i) = self.place_index.get(&unit) {
            return *i;
        }
        let i = self.places.len() as u32;
        self.places.push(unit);
        self.place_index.insert(unit, i);
        i
    }

    /// Reads every stay current as of transaction `at` (the whole register).
    pub(crate) fn load(conn: &Connection, basis: Basis, at: TxId) -> Result<Stays> {
        let mut people: Vec<(ResidentId, Person)> = Vec::new();
        {
            let mut stmt = conn.prepare(
                "SELECT id, sex, birth_day, ethnicity, category, origin FROM resident
                 WHERE sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)",
            )?;
            let mut rows = stmt.query([at])?;
            while let Some(r) = rows.next()? {
                people.push((r.get(0)?, person_from(r)?));
            }
        }
        people.sort_unstable_by_key(|p| p.0);
        let mut s = Stays {
            transaction: at,
            ..Stays::default()
        };
        let mut raw: Vec<(ResidentId, UnitId, i32, i32)> = Vec::new();
        {
            let sql = format!(
                "SELECT resident, unit, from_day, to_day FROM {}
                 WHERE unit IS NOT NULL AND sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)",
                basis.table()
            );
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query([at])?;
            while let Some(r) = rows.next()? {
                raw.push((
                    r.get(0)?,
                    r.get(1)?,
                    day32(r.get(2)?),
                    r.get::<_, Option<i64>>(3)?.map_or(OPEN, day32),
                ));
            }
        }
        raw.sort_unstable_by_key(|r| (r.0, r.2));
        s.reserve(raw.len());
        for (resident, unit, from, to) in raw {
            let Ok(i) = people.binary_search_by_key(&resident, |p| p.0) else {
                continue;
            };
            let place = s.place_of(unit);
            s.push(resident, place, from, to, &people[i].1);
        }
        // Rows are in resident order here: attach the changes, then order by place.
        s.sorted = s.len();
        s.group = vec![0, s.len() as u32];
        let changes = read_changes(conn, at, None)?;
        s.attach_changes_by_resident(&changes);
        s.compact();
        Ok(s)
    }

    fn reserve(&mut self, n: usize) {
        self.resident.reserve_exact(n);
        self.place.reserve_exact(n);
        self.ce.reserve_exact(n);
        self.from.reserve_exact(n);
        self.to.reserve_exact(n);
        self.sex.reserve_exact(n);
        self.birth.reserve_exact(n);
        self.origin.reserve_exact(n);
    }

    fn push(&mut self, resident: ResidentId, place: u32, from: i32, to: i32, p: &Person) {
        self.resident.push(resident);
        self.place.push(place);
        self.ce.push(p.ce);
        self.from.push(from);
        self.to.push(to);
        self.sex.push(p.sex);
        self.birth.push(p.birth);
        self.origin.push(p.origin);
    }

    /// Turns (resident, from, ethnicity number) changes into per-stay changes while the
    /// rows are still in resident order (right after loading).
    fn attach_changes_by_resident(&mut self, changes: &[(ResidentId, i32, u8)]) {
        for &(resident, from, number) in changes {
            let start = self.resident.partition_point(|r| *r < resident);
            let end = self.resident.partition_point(|r| *r <= resident);
            self.push_changes(start..end, from, number);
        }
        self.changes.sort_unstable();
    }

    fn push_changes(&mut self, rows: impl Iterator<Item = usize>, from: i32, number: u8) {
        let Some(slot) = eth_slot(number) else {
            return;
        };
        for i in rows {
            let category = if usize::from(self.ce[i]) >= ETH_SLOTS {
                2
            } else {
                1
            };
            self.changes.push(Change {
                stay: i as u32,
                from,
                ce: pack_ce(category, slot),
            });
        }
    }

    /// Row indices of a resident's stays (removed rows excluded), given the places the
    /// resident may have rows in.
    pub(crate) fn rows_of(&self, resident: ResidentId, places: &[u32]) -> Vec<usize> {
        let mut out = Vec::new();
        for &p in places {
            let (Some(&lo), Some(&hi)) =
                (self.group.get(p as usize), self.group.get(p as usize + 1))
            else {
                continue;
            };
            let g = &self.resident[lo as usize..hi as usize];
            let start = lo as usize + g.partition_point(|r| *r < resident);
            let end = lo as usize + g.partition_point(|r| *r <= resident);
            out.extend(start..end);
        }
        out.extend((self.sorted..self.len()).filter(|i| self.resident[*i] == resident));
        out.retain(|i| self.from[*i] != GONE);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Applies the writes of later transactions that touched `ids` (resident ids among
    /// them; other ids are ignored): their rows are replaced by their current ones.
    pub(crate) fn apply(
        &mut self,
        conn: &Connection,
        basis: Basis,
        at: TxId,
        ids: &[i64],
    ) -> Result<()> {
        let mut touched: Vec<ResidentId> = ids.to_vec();
        touched.sort_unstable();
        touched.dedup();
        // The places each resident had rows in, as the snapshot saw them.
        let sql = format!(
            "SELECT DISTINCT unit FROM {} WHERE resident = ?2 AND unit IS NOT NULL
             AND sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)",
            basis.table()
        );
        let mut old_places = conn.prepare_cached(&sql)?;
        for &r in &touched {
            let units = old_places
                .query_map(params![self.transaction, r], |row| row.get::<_, UnitId>(0))?
                .collect::<rusqlite::Result<Vec<UnitId>>>()?;
            let places: Vec<u32> = units
                .iter()
                .filter_map(|u| self.place_index.get(u).copied())
                .collect();
            for i in self.rows_of(r, &places) {
                self.from[i] = GONE;
                self.removed += 1;
            }
        }
        self.changes.retain(|c| self.from[c.stay as usize] != GONE);
        let mut person_stmt = conn.prepare_cached(
            "SELECT id, sex, birth_day, ethnicity, category, origin FROM resident
             WHERE id = ?2 AND sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)",
        )?;
        let sql = format!(
            "SELECT unit, from_day, to_day FROM {} WHERE resident = ?2 AND unit IS NOT NULL
             AND sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1) ORDER BY from_day",
            basis.table()
        );
        let mut stay_stmt = conn.prepare_cached(&sql)?;
        for &r in &touched {
            let mut rows = person_stmt.query(params![at, r])?;
            let Some(row) = rows.next()? else {
                continue;
            };
            let person = person_from(row)?;
            drop(rows);
            let mut rows = stay_stmt.query(params![at, r])?;
            let mut added = 0;
            while let Some(row) = rows.next()? {
                added += 1;
                let unit: UnitId = row.get(0)?;
                let from = day32(row.get(1)?);
                let to = row.get::<_, Option<i64>>(2)?.map_or(OPEN, day32);
                let place = self.place_of(unit);
                self.push(r, place, from, to, &person);
            }
            let first = self.len() - added;
            for (_, from, number) in read_changes(conn, at, Some(r))? {
                self.push_changes(first..self.len(), from, number);
            }
        }
        self.changes.sort_unstable();
        self.transaction = at;
        if self.removed + (self.len() - self.sorted) > self.sorted / 8 + 1024 {
            self.compact();
        }
        Ok(())
    }

    /// Drops removed rows and re-sorts appended ones into place.
    fn compact(&mut self) {
        let mut order: Vec<u32> = (0..self.len() as u32)
            .filter(|i| self.from[*i as usize] != GONE)
            .collect();
        order.sort_unstable_by_key(|i| {
            let i = *i as usize;
            (self.place[i], self.resident[i], self.from[i])
        });
        let mut new_index = vec![u32::MAX; self.len()];
        for (n, o) in order.iter().enumerate() {
            new_index[*o as usize] = n as u32;
        }
        fn gather<T: Copy>(v: &[T], order: &[u32]) -> Vec<T> {
            order.iter().map(|i| v[*i as usize]).collect()
        }
        self.resident = gather(&self.resident, &order);
        self.place = gather(&self.place, &order);
        self.ce = gather(&self.ce, &order);
        self.from = gather(&self.from, &order);
        self.to = gather(&self.to, &order);
        self.sex = gather(&self.sex, &order);
        self.birth = gather(&self.birth, &order);
        self.origin = gather(&self.origin, &order);
        for c in &mut self.changes {
            c.stay = new_index[c.stay as usize];
        }
        self.changes.sort_unstable();
        self.sorted = self.len();
        self.removed = 0;
        let mut group = vec![0u32; self.places.len() + 1];
        for p in &self.place {
            group[*p as usize + 1] += 1;
        }
        for i in 1..group.len() {
            group[i] += group[i - 1];
        }
        self.group = group;
    }
}

fn day32(day: i64) -> i32 {
    i32::try_from(day).unwrap_or(if day < 0 { i32::MIN + 1 } else { OPEN - 1 })
}

fn person_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let sex: Option<i64> = r.get(1)?;
    let birth: Option<i64> = r.get(2)?;
    let eth: i64 = r.get(3)?;
    let category: i64 = r.get(4)?;
    let origin: Option<String> = r.get(5)?;
    let slot = u8::try_from(eth).ok().and_then(eth_slot).unwrap_or(56);
    Ok(Person {
        ce: pack_ce(category, slot),
        sex: match sex {
            Some(1) => 1,
            Some(2) => 2,
            _ => 0,
        },
        birth: birth.map_or(NO_BIRTH, day32),
        origin: super::provinces::province_index(origin.as_deref()),
    })
}

/// Ethnicity changes current at `at` (of one resident, or all), by resident and date.
fn read_changes(
    conn: &Connection,
    at: TxId,
    resident: Option<ResidentId>,
) -> Result<Vec<(ResidentId, i32, u8)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT resident, from_day, ethnicity FROM ethnicity_change
         WHERE (?2 IS NULL OR resident = ?2) AND sys_from <= ?1 AND (sys_to IS NULL OR sys_to > ?1)
         ORDER BY resident, from_day, id",
    )?;
    let rows = stmt.query_map(params![at, resident], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            day32(r.get(1)?),
            u8::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
