//! The resident register (少数民族居民台账): residents, where they live and where they are
//! registered over time (人户分离), ethnicity with provenance, flags, life events and
//! self-declared preferences.
//!
//! Residents live in their own typed tables (schema version 2), not in the network's
//! facts: a city has millions of them. Every change records a new version in a numbered
//! transaction, so a resident's earlier state stays readable.

mod circumstances;
mod ethnicity_rules;
mod export;
mod import;
mod keys;
mod queries;
mod records;
mod store;
mod vocabulary;
mod writes;

pub use circumstances::{
    Circumstances, FlagView, LifeEventView, NewFlag, NewLifeEvent, Preference,
};
pub use ethnicity_rules::EthnicityChange;
pub use export::{ExportFormat, ExportReport};
pub use import::{
    ImportMode, ImportProgress, OnConflict, RejectedRow, ResidentImportOptions,
    ResidentImportReport, RowWarning, SkippedRow,
};
pub use records::{NewResident, Residence, ResidentRecord, ResidentView};
pub(crate) use store::{allocate_ids, residences, supersede, AS_OF_TX};
pub use vocabulary::{Category, FlagKind, LifeEventKind, PreferenceKind};
pub use writes::ResidentUpdate;

use chrono::NaiveDate;

/// Stable id of a resident (from the same id space as every other entity).
pub type ResidentId = i64;

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A date as stored: whole days since 1970-01-01.
pub(crate) fn day(d: NaiveDate) -> i64 {
    (d - EPOCH).num_days()
}

/// A stored day back as a date.
pub(crate) fn date(day: i64) -> NaiveDate {
    EPOCH + chrono::Duration::days(day)
}
