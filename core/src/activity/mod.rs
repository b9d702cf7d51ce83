//! Activities (工作记录): dated records of the work the network does — meetings, visits,
//! consultations, aid, briefings, events, training, publicity — with their unit,
//! organising body, participants (people), subjects (residents), the trigger they
//! answer and their evidence. The rules check institutions against these records.
//!
//! Activities are versioned like the register (schema version 4): a change records a
//! new version in a new transaction and the old one stays readable.

mod import;
mod model;
mod store;
mod writes;

pub use import::{ActivityImportOptions, ActivityImportReport, ACTIVITY_FIELDS};
pub use model::{ActivityKind, ActivityView, Evidence, NewActivity, RecordOutcome};
pub(crate) use store::{hex as hex_of, load_current, ActivityRow};

/// Stable id of an activity (from the same id space as every other entity).
pub type ActivityId = i64;
