//! Flags over intervals (困难, 独居老人 …), dated life events (住院, 受灾 …) — the triggers
//! the rules check — and self-declared preferences, stored only when declared.

use chrono::NaiveDate;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{date, day, store, FlagKind, LifeEventKind, PreferenceKind, ResidentId};
use crate::error::{Error, Result};
use crate::registry::{Batch, View};
use crate::time::Interval;

/// A flag to set on a resident.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFlag {
    /// The resident.
    pub resident: ResidentId,
    /// Kind (`hardship` / 困难, `elderly_alone` / 独居老人, … or custom).
    pub kind: FlagKind,
    /// Detail (e.g. the kind of hardship, 困难类型).
    #[serde(default)]
    pub detail: Option<String>,
    /// First day.
    pub valid_from: NaiveDate,
    /// End (exclusive), if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

/// A dated life event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLifeEvent {
    /// The resident.
    pub resident: ResidentId,
    /// Kind (`hospitalised` / 住院, `disaster` / 受灾, `dispute` / 纠纷, `special`, `death`).
    pub kind: LifeEventKind,
    /// The day it happened.
    pub date: NaiveDate,
    /// A note (personal data: shown only to principals who may see it).
    #[serde(default)]
    pub note: Option<String>,
}

/// A preference the resident declared themself (never inferred from ethnicity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// The resident.
    pub resident: ResidentId,
    /// Kind (`halal_diet` / 清真饮食, `burial_custom` / 丧葬习俗, or custom).
    pub kind: PreferenceKind,
    /// What was declared (e.g. `yes`, `土葬`).
    pub value: String,
    /// The day it was declared.
    pub declared_on: NaiveDate,
}

/// A flag as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagView {
    /// The flag record's id.
    pub id: i64,
    /// Kind label.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_zh: String,
    /// Detail (None when masked).
    pub detail: Option<String>,
    /// When.
    pub valid: Interval,
}

/// A life event as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifeEventView {
    /// The event record's id.
    pub id: i64,
    /// Kind label.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_zh: String,
    /// The day.
    pub date: NaiveDate,
    /// Note (None when masked).
    pub note: Option<String>,
}

/// A resident's flags, events and preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Circumstances {
    /// The resident.
    pub resident: ResidentId,
    /// Flags, oldest first.
    pub flags: Vec<FlagView>,
    /// Life events, oldest first.
    pub events: Vec<LifeEventView>,
    /// Declared preferences, oldest first.
    pub preferences: Vec<Preference>,
}

impl Batch<'_> {
    fn require_resident_writable(&self, resident: ResidentId) -> Result<()> {
        let residences = store::residences(self.conn, resident, self.tx)?;
        if residences.is_empty() {
            return Err(Error::not_found(format!("resident {resident}")));
        }
        match residences
            .iter()
            .find(|r| self.require_writable(r.unit).is_ok())
        {
            Some(_) => Ok(()),
            None => Err(self
                .principal()
                .denied(format!("resident {resident} lives outside the scope"))),
        }
    }

    /// Sets a flag over an interval; returns its record id.
    pub fn add_flag(&mut self, f: NewFlag) -> Result<i64> {
        self.require_resident_writable(f.resident)?;
        let valid = Interval::new(f.valid_from, f.valid_to)?;
        let id = store::allocate_ids(self.conn, 1)?;
        self.conn
            .prepare_cached(
                "INSERT INTO flag(id, sys_from, resident, kind, detail, from_day, to_day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                self.tx,
                f.resident,
                f.kind.label(),
                f.detail,
                day(valid.from),
                valid.to.map(day)
            ])?;
        self.touched.push(f.resident);
        Ok(id)
    }

    /// Records a life event; returns its record id.
    pub fn add_life_event(&mut self, e: NewLifeEvent) -> Result<i64> {
        self.require_resident_writable(e.resident)?;
        if e.date > self.today() {
            return Err(Error::invalid("life event date", "it is in the future"));
        }
        let id = store::allocate_ids(self.conn, 1)?;
        self.conn
            .prepare_cached(
                "INSERT INTO life_event(id, sys_from, resident, kind, day, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                self.tx,
                e.resident,
                e.kind.label(),
                day(e.date),
                e.note
            ])?;
        self.touched.push(e.resident);
        Ok(id)
    }

    /// Stores a preference the resident declared.
    pub fn declare_preference(&mut self, p: Preference) -> Result<i64> {
        self.require_resident_writable(p.resident)?;
        if p.value.trim().is_empty() {
            return Err(Error::invalid("preference", "the declared value is empty"));
        }
        let id = store::allocate_ids(self.conn, 1)?;
        self.conn
            .prepare_cached(
                "INSERT INTO preference(id, sys_from, resident, kind, value, declared_day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                self.tx,
                p.resident,
                p.kind.label(),
                p.value.trim(),
                day(p.declared_on)
            ])?;
        self.touched.push(p.resident);
        Ok(id)
    }
}

impl View {
    /// A resident's flags, events and declared preferences. Details and notes are shown
    /// only to principals who may see personal data (such reads are audited).
    pub fn circumstances(&self, resident: ResidentId) -> Result<Circumstances> {
        // Scope and role checks of the resident apply.
        self.resident(resident, self.registry().today())?;
        let shows = self.registry().principal().role.sees_personal_data();
        let tx = self.transaction();
        let out = self.registry().with_reader(|c| {
            let q = |table: &str, cols: &str, order: &str| {
                format!(
                    "SELECT {cols} FROM {table} WHERE resident = ?2 AND {} ORDER BY {order}, id",
                    store::AS_OF_TX
                )
            };
            let mut stmt =
                c.prepare_cached(&q("flag", "id, kind, detail, from_day, to_day", "from_day"))?;
            let flags = stmt
                .query_map(params![tx, resident], |r| {
                    let kind = FlagKind::parse(&r.get::<_, String>(1)?);
                    Ok(FlagView {
                        id: r.get(0)?,
                        kind: kind.label().to_owned(),
                        kind_zh: kind.name_zh().to_owned(),
                        detail: r.get::<_, Option<String>>(2)?.filter(|_| shows),
                        valid: Interval {
                            from: date(r.get(3)?),
                            to: r.get::<_, Option<i64>>(4)?.map(date),
                        },
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare_cached(&q("life_event", "id, kind, day, note", "day"))?;
            let events = stmt
                .query_map(params![tx, resident], |r| {
                    let kind = LifeEventKind::parse(&r.get::<_, String>(1)?);
                    Ok(LifeEventView {
                        id: r.get(0)?,
                        kind: kind.label().to_owned(),
                        kind_zh: kind.name_zh().to_owned(),
                        date: date(r.get(2)?),
                        note: r.get::<_, Option<String>>(3)?.filter(|_| shows),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare_cached(&q(
                "preference",
                "kind, value, declared_day",
                "declared_day",
            ))?;
            let preferences = stmt
                .query_map(params![tx, resident], |r| {
                    Ok(Preference {
                        resident,
                        kind: PreferenceKind::parse(&r.get::<_, String>(0)?),
                        value: r.get(1)?,
                        declared_on: date(r.get(2)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Circumstances {
                resident,
                flags,
                events,
                preferences,
            })
        })?;
        let revealed = out.flags.iter().any(|f| f.detail.is_some())
            || out.events.iter().any(|e| e.note.is_some());
        if revealed {
            self.registry().audit_read(
                "read_personal",
                &format!("circumstances of resident {resident}"),
            )?;
        }
        Ok(out)
    }
}
