//! Valid time: half-open date intervals, and the clock a registry is opened with.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{Error, Result};

/// A half-open interval of days `[from, to)`; `to = None` means "still valid".
///
/// ```
/// use shiliu::Interval;
/// let d = |s: &str| s.parse().unwrap();
/// let i = Interval::new(d("2004-03-01"), Some(d("2012-09-01"))).unwrap();
/// assert!(i.contains(d("2004-03-01")));
/// assert!(!i.contains(d("2012-09-01")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interval {
    /// First day of validity.
    pub from: NaiveDate,
    /// First day no longer valid, if it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

impl Interval {
    /// Makes an interval; fails when `to <= from`.
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Interval> {
        match to {
            Some(t) if t <= from => Err(Error::invalid(
                "interval",
                format!("ends on {t}, not after its start {from}"),
            )),
            _ => Ok(Interval { from, to }),
        }
    }

    /// An interval open to the future.
    pub fn since(from: NaiveDate) -> Interval {
        Interval { from, to: None }
    }

    /// Whether day `d` lies in the interval.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && self.to.is_none_or(|t| d < t)
    }

    /// Whether two intervals share at least one day.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.from < other.to.unwrap_or(NaiveDate::MAX)
            && other.from < self.to.unwrap_or(NaiveDate::MAX)
    }

    /// Whether `inner` lies completely inside `self`.
    pub fn covers(&self, inner: &Interval) -> bool {
        self.from <= inner.from
            && match (self.to, inner.to) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) => b <= a,
            }
    }

    /// The same interval ending on `end` (exclusive); fails if that leaves it empty.
    pub fn ended(&self, end: NaiveDate) -> Result<Interval> {
        Interval::new(self.from, Some(end))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(t) => write!(f, "[{}, {})", self.from, t),
            None => write!(f, "[{}, …)", self.from),
        }
    }
}

/// Reads a date in ISO form (`2024-03-05`), naming `field` in the error.
pub fn parse_date(field: &str, input: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").map_err(|_| Error::InvalidDate {
        field: field.to_owned(),
        input: input.to_owned(),
    })
}

/// Where a registry gets "today" and the timestamps of its transactions.
///
/// Tests open registries with [`Clock::Fixed`], so every result is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock (UTC).
    #[default]
    System,
    /// A fixed day; transactions are stamped at midnight of that day.
    Fixed(NaiveDate),
}

impl Clock {
    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => Utc::now().date_naive(),
            Clock::Fixed(d) => *d,
        }
    }

    /// The current timestamp (UTC).
    pub fn now(&self) -> NaiveDateTime {
        match self {
            Clock::System => Utc::now().naive_utc(),
            Clock::Fixed(d) => d.and_time(chrono::NaiveTime::MIN),
        }
    }
}
