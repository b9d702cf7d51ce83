//! Days as small integers (days since 1900-01-01) and their ISO spellings, precomputed
//! so writing a date costs one slice copy.

use chrono::{Datelike, NaiveDate};

/// Builds a date known to be valid at compile time.
const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(x) => x,
        None => NaiveDate::MIN,
    }
}

/// Day 0 of the tables.
pub const BASE: NaiveDate = date(1900, 1, 1);
/// First possible arrival; the valid_from of units that existed from the start.
pub const START: NaiveDate = date(1990, 1, 1);
/// Last possible arrival or departure.
pub const END: NaiveDate = date(2026, 10, 31);
/// The 2012 reorganisation (沧浪区 + 平江区 → 姑苏区).
pub const REORG: NaiveDate = date(2012, 9, 1);

/// A day as days since [`BASE`].
pub type Day = u32;

/// The day number of `d` (dates before [`BASE`] map to 0; none are generated).
pub fn day(d: NaiveDate) -> Day {
    u32::try_from(d.signed_duration_since(BASE).num_days()).unwrap_or(0)
}

/// The day number of `y-m-d`, or `fallback` if no such date exists.
pub fn ymd(y: i32, m: u32, d: u32, fallback: Day) -> Day {
    NaiveDate::from_ymd_opt(y, m, d).map_or(fallback, day)
}

/// ISO spellings of every day from [`BASE`] to just after [`END`].
pub struct Calendar {
    iso: Vec<[u8; 10]>,
}

impl Calendar {
    /// Builds the table.
    pub fn new() -> Self {
        let n = day(END) as usize + 2;
        let iso = BASE
            .iter_days()
            .take(n)
            .map(|d| {
                let mut b = [0u8; 10];
                let y = d.year().unsigned_abs();
                write_digits(&mut b[0..4], y);
                b[4] = b'-';
                write_digits(&mut b[5..7], d.month());
                b[7] = b'-';
                write_digits(&mut b[8..10], d.day());
                b
            })
            .collect();
        Calendar { iso }
    }

    /// `YYYY-MM-DD` of day `d` (clamped to the table).
    pub fn iso(&self, d: Day) -> &[u8; 10] {
        let i = (d as usize).min(self.iso.len().saturating_sub(1));
        &self.iso[i]
    }

    /// `YYYY-MM-DD` of day `d` as text.
    pub fn iso_str(&self, d: Day) -> &str {
        std::str::from_utf8(self.iso(d)).unwrap_or("")
    }

    /// `YYYYMMDD` of day `d`, as in an ID number.
    pub fn compact(&self, d: Day) -> [u8; 8] {
        let s = self.iso(d);
        [s[0], s[1], s[2], s[3], s[5], s[6], s[8], s[9]]
    }
}

/// Writes `v` as zero-padded decimal filling `out`.
pub fn write_digits(out: &mut [u8], mut v: u32) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}
