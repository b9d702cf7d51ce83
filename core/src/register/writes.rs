//! Adding and updating residents; moves and departures. Every write is validated first
//! and recorded as new versions in the batch's transaction.

use chrono::NaiveDate;
use serde::Serialize;

use super::records::{NewResident, Residence, ResidentRecord};
use super::{store, ResidentId};
use crate::codes::{DivisionCode, IdNumber};
use crate::error::{Error, Result, Warning};
use crate::network::UnitId;
use crate::registry::{Batch, Checks};
use crate::time::Interval;

/// What an upsert did to a resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentUpdate {
    /// A new resident.
    Inserted,
    /// A new version of an existing resident.
    Updated,
    /// Nothing changed.
    Unchanged,
}

/// A validated resident, ready to store.
pub(crate) struct Prepared {
    pub record: ResidentRecord,
    pub residence: Residence,
    /// 户籍地: a unit of the registry, or a division code or address text.
    pub registration: Option<(Option<UnitId>, Option<String>)>,
    /// 困难类型: a hardship flag with this detail.
    pub hardship: Option<String>,
    pub key: String,
    pub hash: i64,
    pub warnings: Vec<Warning>,
}

impl Prepared {
    /// How many ids storing it as new takes.
    pub fn ids_needed(&self) -> i64 {
        self.as_new().ids_needed()
    }

    /// What storing it as new takes.
    pub fn as_new(&self) -> NewRecord<'_> {
        NewRecord {
            record: self.record.row(&self.key, self.hash),
            residence: self.residence,
            registration: self
                .registration
                .as_ref()
                .map(|(unit, division)| (*unit, division.as_deref())),
            hardship: self.hardship.as_deref(),
        }
    }
}

/// What storing a new resident takes, borrowed: from a [`Prepared`], or from an import's
/// [`PreparedRows`].
#[derive(Clone, Copy)]
pub(crate) struct NewRecord<'a> {
    /// The core record (its id is given when stored).
    pub record: store::ResidentRow<'a>,
    /// The residence (its id is given when stored).
    pub residence: Residence,
    /// 户籍地: a unit of the registry, or a division code or address text.
    pub registration: Option<(Option<UnitId>, Option<&'a str>)>,
    /// 困难类型: a hardship flag with this detail.
    pub hardship: Option<&'a str>,
}

impl NewRecord<'_> {
    /// How many ids storing it takes.
    pub fn ids_needed(&self) -> i64 {
        2 + i64::from(self.registration.is_some()) + i64::from(self.hardship.is_some())
    }
}

/// A text of a [`PreparedRows`] entry: (start, length); `None` as [`ABSENT`].
type Span = (u32, u32);
const ABSENT: Span = (u32::MAX, 0);

/// One entry of [`PreparedRows`]: everything but the text, and where its texts are.
#[derive(Clone, Copy)]
struct PackedRecord {
    sex: Option<crate::codes::Sex>,
    birth_date: Option<NaiveDate>,
    ethnicity: crate::codes::Ethnicity,
    category: super::Category,
    father_ethnicity: Option<crate::codes::Ethnicity>,
    mother_ethnicity: Option<crate::codes::Ethnicity>,
    residence: Residence,
    /// The registration place's unit, when there is a registration place.
    registration: Option<Option<UnitId>>,
    hash: i64,
    /// name, ID number, phone, origin, household, match key, registration division,
    /// hardship.
    texts: [Span; 8],
}

/// Prepared residents packed for the trip from an import's validating thread to its
/// writing thread: one fixed-size entry and one run of text each, where a [`Prepared`]
/// is a dozen heap allocations that the writer would read one cache miss at a time.
#[derive(Default)]
pub(crate) struct PreparedRows {
    records: Vec<PackedRecord>,
    text: String,
}

impl PreparedRows {
    /// Adds a prepared resident; returns its index.
    pub(crate) fn push(&mut self, p: &Prepared) -> Result<usize> {
        let mut span = |s: Option<&str>| -> Result<Span> {
            let Some(s) = s else { return Ok(ABSENT) };
            let start = u32::try_from(self.text.len());
            self.text.push_str(s);
            match (start, u32::try_from(s.len())) {
                (Ok(start), Ok(len)) if start != u32::MAX => Ok((start, len)),
                _ => Err(Error::invalid("row", "a value is too long")),
            }
        };
        let r = &p.record;
        let registration = p.registration.as_ref();
        let texts = [
            span(Some(&r.name))?,
            span(r.id_number.as_deref())?,
            span(r.phone.as_deref())?,
            span(r.origin.as_deref())?,
            span(r.household.as_deref())?,
            span(Some(&p.key))?,
            span(registration.and_then(|(_, d)| d.as_deref()))?,
            span(p.hardship.as_deref())?,
        ];
        self.records.push(PackedRecord {
            sex: r.sex,
            birth_date: r.birth_date,
            ethnicity: r.ethnicity,
            category: r.category,
            father_ethnicity: r.father_ethnicity,
            mother_ethnicity: r.mother_ethnicity,
            residence: p.residence,
            registration: registration.map(|(unit, _)| *unit),
            hash: p.hash,
            texts,
        });
        Ok(self.records.len() - 1)
    }

    /// Reads entry `i` (its fixed part and the start of its text) into the cache.
    pub(crate) fn touch(&self, i: usize) -> u64 {
        let Some(p) = self.records.get(i) else {
            return 0;
        };
        let first = self.text.as_bytes().get(p.texts[0].0 as usize).copied();
        p.hash as u64 ^ u64::from(first.unwrap_or_default())
    }

    fn text(&self, (start, len): Span) -> Option<&str> {
        if (start, len) == ABSENT {
            return None;
        }
        let start = start as usize;
        self.text.get(start..start + len as usize)
    }

    /// Entry `i`.
    pub(crate) fn get(&self, i: usize) -> Option<NewRecord<'_>> {
        let p = self.records.get(i)?;
        let [name, id_number, phone, origin, household, key, division, hardship] =
            p.texts.map(|t| self.text(t));
        Some(NewRecord {
            record: store::ResidentRow {
                id: 0,
                name: name.unwrap_or_default(),
                sex: p.sex,
                birth_date: p.birth_date,
                id_number,
                ethnicity: p.ethnicity,
                phone,
                category: p.category,
                origin,
                household,
                father_ethnicity: p.father_ethnicity,
                mother_ethnicity: p.mother_ethnicity,
                match_key: key.unwrap_or_default(),
                hash: p.hash,
            },
            residence: p.residence,
            registration: p.registration.map(|unit| (unit, division)),
            hardship,
        })
    }

    /// Entry `i` as a [`Prepared`] (without warnings), for a write that needs one.
    pub(crate) fn prepared(&self, i: usize) -> Option<Prepared> {
        let n = self.get(i)?;
        let r = n.record;
        let owned = |s: Option<&str>| s.map(str::to_owned);
        Some(Prepared {
            record: ResidentRecord {
                id: r.id,
                name: r.name.to_owned(),
                sex: r.sex,
                birth_date: r.birth_date,
                id_number: owned(r.id_number),
                ethnicity: r.ethnicity,
                phone: owned(r.phone),
                category: r.category,
                origin: owned(r.origin),
                household: owned(r.household),
                father_ethnicity: r.father_ethnicity,
                mother_ethnicity: r.mother_ethnicity,
            },
            residence: n.residence,
            registration: n.registration.map(|(unit, d)| (unit, owned(d))),
            hardship: owned(n.hardship),
            key: r.match_key.to_owned(),
            hash: r.hash,
            warnings: Vec::new(),
        })
    }

    /// Empties the rows, keeping their memory.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.text.clear();
    }
}
/// `s` without white space at either end (moved, not copied, when there is none).
fn trimmed(s: String) -> String {
    if s.trim().len() == s.len() {
        s
    } else {
        s.trim().to_owned()
    }
}

/// The ID number's value where there is one (warning when the column disagrees), else
/// the column's.
fn prefer_id<T: PartialEq>(
    from_id: Option<T>,
    given: Option<T>,
    code: &str,
    what: &str,
    warnings: &mut Vec<Warning>,
) -> Option<T> {
    match (from_id, given) {
        (Some(a), Some(b)) if a != b => {
            warnings.push(Warning::new(
                code,
                format!("the {what} column disagrees with the ID number; the ID number's is kept"),
            ));
            Some(a)
        }
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

impl Checks<'_> {
    /// Validates a resident without writing: ID number (normalised, 15 digits upgraded,
    /// birth date and sex taken from it when absent, disagreement warned), community in
    /// scope and existing on the arrival date, interval, origin code.
    pub(crate) fn prepare_resident(&self, r: NewResident) -> Result<Prepared> {
        self.prepare(r, false)
    }

    /// [`Checks::prepare_resident`] for a resident whose community the caller has
    /// already found writable and existing on the arrival date (an import, from its
    /// cache of communities).
    pub(crate) fn prepare_resident_in_checked_community(&self, r: NewResident) -> Result<Prepared> {
        self.prepare(r, true)
    }

    fn prepare(&self, r: NewResident, community_checked: bool) -> Result<Prepared> {
        let mut warnings = Vec::new();
        let name = trimmed(r.name);
        if name.is_empty() {
            return Err(Error::invalid("name", "it is empty"));
        }
        let id = match r
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => {
                let p = IdNumber::parse(raw, self.today())?;
                warnings.extend(p.warnings);
                Some(p.value)
            }
            None => None,
        };
        let birth_date = prefer_id(
            id.as_ref().map(|n| n.birth_date()),
            r.birth_date,
            "resident.birth_date_mismatch",
            "birth date",
            &mut warnings,
        );
        let sex = prefer_id(
            id.as_ref().map(|n| n.sex()),
            r.sex,
            "resident.sex_mismatch",
            "sex",
            &mut warnings,
        );
        if birth_date.is_some_and(|b| b > self.today()) {
            return Err(Error::invalid("birth date", "it is in the future"));
        }
        let origin = match r.origin.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(o) => Some(DivisionCode::parse(o)?.value.as_str().to_owned()),
            None => None,
        };
        if !community_checked {
            self.require_writable(r.community)?;
            self.network().require_unit(r.community, r.arrived_on)?;
        }
        let valid = Interval::new(r.arrived_on, r.left_on)?;
        let record = ResidentRecord {
            id: 0,
            name,
            sex,
            birth_date,
            id_number: id.map(|n| n.as_str().to_owned()),
            ethnicity: r.ethnicity,
            phone: r.phone.map(trimmed).filter(|p| !p.is_empty()),
            category: r.category,
            origin,
            household: r.household.map(trimmed).filter(|h| !h.is_empty()),
            father_ethnicity: r.father_ethnicity,
            mother_ethnicity: r.mother_ethnicity,
        };
        let residence = Residence {
            id: 0,
            unit: r.community,
            valid,
        };
        let text = |o: Option<String>| o.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let division = match text(r.registered_division) {
            Some(d) if d.bytes().all(|c| c.is_ascii_digit()) => {
                Some(DivisionCode::parse(&d)?.value.as_str().to_owned())
            }
            other => other,
        };
        if let Some(u) = r.registered_unit {
            self.network().require_unit(u, r.arrived_on)?;
        }
        let registration = (r.registered_unit.is_some() || division.is_some())
            .then_some((r.registered_unit, division));
        let hardship = text(r.hardship);
        let reg_text = registration.as_ref().map(|(u, d)| {
            format!(
                "{}|{}",
                u.unwrap_or_default(),
                d.clone().unwrap_or_default()
            )
        });
        Ok(Prepared {
            key: record.match_key(r.community),
            hash: record.content_hash(&residence, &[reg_text.as_deref(), hardship.as_deref()]),
            record,
            residence,
            registration,
            hardship,
            warnings,
        })
    }
}

/// The writing side of a batch: its connection and transaction, and the residents it
/// touched (the audit entry lists them).
pub(crate) struct Writer<'c> {
    pub conn: &'c rusqlite::Connection,
    pub tx: crate::network::TxId,
    pub today: NaiveDate,
    pub touched: Vec<i64>,
    pub inserts: store::Inserts<'c>,
}

impl Writer<'_> {
    fn today(&self) -> NaiveDate {
        self.today
    }

    /// Stores a prepared resident as new, with ids from `first_id` on (see
    /// [`Prepared::ids_needed`]).
    pub(crate) fn store_new_resident(
        &mut self,
        p: &mut Prepared,
        first_id: i64,
    ) -> Result<ResidentId> {
        p.record.id = first_id;
        p.residence.id = first_id + 1;
        self.store_new(&p.as_new(), first_id)
    }

    /// Stores a new resident with ids from `first_id` on (see [`NewRecord::ids_needed`]).
    pub(crate) fn store_new(&mut self, r: &NewRecord<'_>, first_id: i64) -> Result<ResidentId> {
        let (conn, tx) = (self.conn, self.tx);
        let id = first_id;
        self.inserts
            .resident(conn, tx, &store::ResidentRow { id, ..r.record })?;
        let residence = Residence {
            id: first_id + 1,
            ..r.residence
        };
        self.inserts.residence(conn, tx, id, &residence)?;
        self.store_new_extras(r, first_id)?;
        Ok(id)
    }

    /// Stores new residents, each with ids from its `first_id` on: core records and
    /// residences several to a statement (see [`store::Inserts::residents`]).
    pub(crate) fn store_new_many(&mut self, rows: &[(NewRecord<'_>, i64)]) -> Result<()> {
        let (conn, tx) = (self.conn, self.tx);
        for run in rows.chunks(store::MANY) {
            let residents: Vec<store::ResidentRow<'_>> = run
                .iter()
                .map(|(r, id)| store::ResidentRow {
                    id: *id,
                    ..r.record
                })
                .collect();
            self.inserts.residents(conn, tx, &residents)?;
            let residences: Vec<(ResidentId, Residence)> = run
                .iter()
                .map(|(r, id)| {
                    let residence = Residence {
                        id: id + 1,
                        ..r.residence
                    };
                    (*id, residence)
                })
                .collect();
            self.inserts.residences(conn, tx, &residences)?;
        }
        for (r, first_id) in rows {
            self.store_new_extras(r, *first_id)?;
        }
        Ok(())
    }

    /// Stores what comes with a new resident beside the core record and residence: the
    /// registration place and hardship flag; notes the resident as touched.
    fn store_new_extras(&mut self, r: &NewRecord<'_>, first_id: i64) -> Result<()> {
        let id = first_id;
        let residence = r.residence;
        let mut next = first_id + 2;
        if let Some((unit, division)) = r.registration {
            store::insert_registration(
                self.conn,
                self.tx,
                next,
                id,
                unit,
                division,
                residence.valid.from,
            )?;
            next += 1;
        }
        if let Some(detail) = r.hardship {
            store::insert_flag(
                self.conn,
                self.tx,
                next,
                id,
                "hardship",
                Some(detail),
                self.today(),
                None,
            )?;
        }
        self.touched.push(id);
        Ok(())
    }

    /// Stores a prepared resident as a new version of resident `id`: the core record if it
    /// changed, and the residence: the same community and arrival update the open
    /// interval (e.g. a departure date); another community or arrival is a move — the
    /// current interval ends where the new one starts.
    pub(crate) fn store_resident_update(&mut self, id: ResidentId, p: &mut Prepared) -> Result<()> {
        let tx = self.tx;
        p.record.id = id;
        if store::resident(self.conn, id, tx)?.is_none() {
            return Err(Error::not_found(format!("resident {id}")));
        }
        // A new core version even when only the residence changed: its hash follows.
        store::supersede(self.conn, "resident", id, tx)?;
        let (conn, row) = (self.conn, p.record.row(&p.key, p.hash));
        self.inserts.resident(conn, tx, &row)?;
        self.update_registration_and_hardship(id, p)?;
        let residences = store::residences(self.conn, id, tx)?;
        let same = residences
            .iter()
            .find(|r| r.unit == p.residence.unit && r.valid.from == p.residence.valid.from);
        match same {
            Some(r) if r.valid == p.residence.valid => {}
            Some(r) => {
                store::supersede(self.conn, "residence", r.id, tx)?;
                let updated = Residence {
                    id: r.id,
                    ..p.residence
                };
                store::insert_residence(self.conn, tx, id, &updated)?;
            }
            None => {
                for open in residences
                    .iter()
                    .filter(|r| r.valid.contains(p.residence.valid.from))
                {
                    store::supersede(self.conn, "residence", open.id, tx)?;
                    let ended = Residence {
                        valid: open.valid.ended(p.residence.valid.from)?,
                        ..*open
                    };
                    store::insert_residence(self.conn, tx, id, &ended)?;
                }
                p.residence.id = store::allocate_ids(self.conn, 1)?;
                store::insert_residence(self.conn, tx, id, &p.residence)?;
            }
        }
        self.touched.push(id);
        Ok(())
    }

    /// Brings the registration place and the hardship flag in line with `p`.
    fn update_registration_and_hardship(&mut self, id: ResidentId, p: &Prepared) -> Result<()> {
        let tx = self.tx;
        let current = store::current_registration(self.conn, id)?;
        let wanted = p.registration.clone();
        if current.as_ref().map(|(_, u, d)| (*u, d.clone())) != wanted {
            if let Some((rid, _, _)) = &current {
                store::supersede(self.conn, "registration", *rid, tx)?;
            }
            if let Some((unit, division)) = wanted {
                let rid = match &current {
                    Some((rid, _, _)) => *rid,
                    None => store::allocate_ids(self.conn, 1)?,
                };
                store::insert_registration(
                    self.conn,
                    tx,
                    rid,
                    id,
                    unit,
                    division.as_deref(),
                    p.residence.valid.from,
                )?;
            }
        }
        let open = store::open_flag(self.conn, id, "hardship")?;
        if open.as_ref().map(|(_, d, _)| d.clone()) != Some(p.hardship.clone())
            && (open.is_some() || p.hardship.is_some())
        {
            let today = self.today();
            if let Some((fid, detail, from)) = open {
                store::supersede(self.conn, "flag", fid, tx)?;
                if from < today {
                    store::insert_flag(
                        self.conn,
                        tx,
                        fid,
                        id,
                        "hardship",
                        detail.as_deref(),
                        from,
                        Some(today),
                    )?;
                }
            }
            if let Some(detail) = &p.hardship {
                let fid = store::allocate_ids(self.conn, 1)?;
                store::insert_flag(
                    self.conn,
                    tx,
                    fid,
                    id,
                    "hardship",
                    Some(detail),
                    today,
                    None,
                )?;
            }
        }
        Ok(())
    }
}

impl Batch<'_> {
    /// See [`Checks::prepare_resident`].
    pub(crate) fn prepare_resident(&self, r: NewResident) -> Result<Prepared> {
        self.checks().prepare_resident(r)
    }

    /// Runs `f` with the batch's writing side.
    pub(crate) fn with_writer<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut w = Writer {
            conn: self.conn,
            tx: self.tx,
            today: self.today,
            touched: Vec::new(),
            inserts: store::Inserts::default(),
        };
        let out = f(&mut w);
        self.touched.append(&mut w.touched);
        out
    }

    /// Adds a resident; fails with a conflict if one with the same ID number (or, without
    /// one, the same fallback key) exists. Returns the id and the warnings.
    pub fn add_resident(&mut self, r: NewResident) -> Result<(ResidentId, Vec<Warning>)> {
        let mut p = self.prepare_resident(r)?;
        if let Some(existing) = self.resident_by_key(&p.key)? {
            return Err(Error::conflict(format!(
                "resident {existing} already has this identity (ID number or name, birth date, sex and community)"
            )));
        }
        let first = store::allocate_ids(self.conn, p.ids_needed())?;
        let id = self.with_writer(|w| w.store_new_resident(&mut p, first))?;
        Ok((id, p.warnings))
    }

    /// Adds or updates the resident with this identity; returns what happened.
    pub fn upsert_resident(
        &mut self,
        r: NewResident,
    ) -> Result<(ResidentId, ResidentUpdate, Vec<Warning>)> {
        let mut p = self.prepare_resident(r)?;
        match self.resident_by_key(&p.key)? {
            None => {
                let first = store::allocate_ids(self.conn, p.ids_needed())?;
                let id = self.with_writer(|w| w.store_new_resident(&mut p, first))?;
                Ok((id, ResidentUpdate::Inserted, p.warnings))
            }
            Some(id) => {
                let hash: i64 = self.conn.query_row(
                    "SELECT hash FROM resident WHERE id = ?1 AND sys_to IS NULL",
                    [id],
                    |r| r.get(0),
                )?;
                if hash == p.hash {
                    return Ok((id, ResidentUpdate::Unchanged, p.warnings));
                }
                self.with_writer(|w| w.store_resident_update(id, &mut p))?;
                Ok((id, ResidentUpdate::Updated, p.warnings))
            }
        }
    }

    fn resident_by_key(&self, key: &str) -> Result<Option<ResidentId>> {
        use rusqlite::OptionalExtension;
        // Residents with an ID number are found through its unique index; the others
        // through the fallback key.
        let (sql, value) = match key.strip_prefix("id:") {
            Some(number) => ("SELECT id FROM resident WHERE id_number = ?1 AND sys_to IS NULL", number),
            None => (
                "SELECT id FROM resident WHERE match_key = ?1 AND sys_to IS NULL AND id_number IS NULL",
                key,
            ),
        };
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row([value], |r| r.get(0))
            .optional()?)
    }

    /// Records that a resident no longer lives where they live on `date` (departure).
    pub fn depart_resident(&mut self, id: ResidentId, date: NaiveDate) -> Result<()> {
        let tx = self.tx;
        let residences = store::residences(self.conn, id, tx)?;
        let open: Vec<Residence> = residences
            .into_iter()
            .filter(|r| r.valid.to.is_none_or(|t| t > date))
            .collect();
        if open.is_empty() {
            return Err(Error::conflict(format!(
                "resident {id} lives nowhere after {date}"
            )));
        }
        for r in open {
            self.require_writable(r.unit)?;
            store::supersede(self.conn, "residence", r.id, tx)?;
            let ended = Residence {
                valid: r.valid.ended(date)?,
                ..r
            };
            store::insert_residence(self.conn, tx, id, &ended)?;
        }
        self.touched.push(id);
        Ok(())
    }

    /// Moves a resident to `community` from `date` on (the current residence ends then).
    pub fn move_resident(
        &mut self,
        id: ResidentId,
        community: UnitId,
        date: NaiveDate,
    ) -> Result<()> {
        self.require_writable(community)?;
        self.network().require_unit(community, date)?;
        let current = store::residences(self.conn, id, self.tx)?;
        if current.iter().any(|r| r.valid.contains(date)) {
            self.depart_resident(id, date)?;
        }
        let rid = store::allocate_ids(self.conn, 1)?;
        store::insert_residence(
            self.conn,
            self.tx,
            id,
            &Residence {
                id: rid,
                unit: community,
                valid: Interval::since(date),
            },
        )?;
        self.touched.push(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::codes::{Ethnicity, Sex};
    use crate::register::Category;

    fn prepared(name: &str, id_number: Option<&str>, extras: bool) -> Prepared {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let some = |s: &str| Some(s.to_owned());
        Prepared {
            record: ResidentRecord {
                id: 0,
                name: name.into(),
                sex: Some(Sex::Female),
                birth_date: Some(d("1990-05-01")),
                id_number: id_number.map(str::to_owned),
                ethnicity: Ethnicity::from_code(3).unwrap(),
                phone: if extras { some("13812345678") } else { None },
                category: Category::Migrant,
                origin: if extras { some("640104") } else { None },
                household: if extras { some("") } else { None },
                father_ethnicity: None,
                mother_ethnicity: Ethnicity::from_code(4),
            },
            residence: Residence {
                id: 0,
                unit: 42,
                valid: Interval::new(d("2015-03-05"), Some(d("2020-01-01"))).unwrap(),
            },
            registration: extras.then(|| (Some(7), some("道前街道"))),
            hardship: if extras { some("低保") } else { None },
            key: format!("id:{}", id_number.unwrap_or("-")),
            hash: -99,
            warnings: Vec::new(),
        }
    }

    fn same(a: &Prepared, b: &Prepared) {
        assert_eq!(a.record, b.record);
        assert_eq!(a.residence, b.residence);
        assert_eq!(a.registration, b.registration);
        assert_eq!(a.hardship, b.hardship);
        assert_eq!((&a.key, a.hash), (&b.key, b.hash));
    }

    #[test]
    fn prepared_rows_give_back_what_they_took() {
        let all = [
            prepared("马小龙", Some("64010419900501001X"), true),
            prepared("阿依古丽", None, false),
            prepared("金美玉", Some("222401198502030027"), false),
        ];
        let mut rows = PreparedRows::default();
        for (i, p) in all.iter().enumerate() {
            assert_eq!(rows.push(p).unwrap(), i);
        }
        for (i, p) in all.iter().enumerate() {
            same(&rows.prepared(i).unwrap(), p);
            let n = rows.get(i).unwrap();
            assert_eq!(n.ids_needed(), p.ids_needed());
            assert_eq!(n.record.match_key, p.key);
            assert_eq!(rows.touch(i) & !0xFF, (p.hash as u64) & !0xFF);
        }
        assert!(rows.get(3).is_none() && rows.prepared(3).is_none());
        assert_eq!(rows.touch(3), 0);
        rows.clear();
        assert!(rows.get(0).is_none());
    }
}
