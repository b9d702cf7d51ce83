//! Periods: the range an evaluation covers, and the calendar periods (year, half-year,
//! quarter, month — optionally from a financial-year start) a rule counts in.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The length of the periods a rule counts in (考核周期).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// 年 — a (calendar or financial) year.
    #[serde(alias = "年", alias = "annual", alias = "yearly")]
    Year,
    /// 半年 — a half-year.
    #[serde(alias = "半年", alias = "half")]
    HalfYear,
    /// 季度 — a quarter.
    #[serde(alias = "季度", alias = "季", alias = "quarterly")]
    Quarter,
    /// 月 — a month.
    #[serde(alias = "月", alias = "monthly")]
    Month,
}

impl PeriodKind {
    fn months(self) -> u32 {
        match self {
            PeriodKind::Year => 12,
            PeriodKind::HalfYear => 6,
            PeriodKind::Quarter => 3,
            PeriodKind::Month => 1,
        }
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Range {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
}

impl Range {
    /// A range; fails when `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Range> {
        if to < from {
            return Err(Error::invalid(
                "period",
                format!("ends on {to}, before it starts on {from}"),
            ));
        }
        Ok(Range { from, to })
    }

    /// Days in the range.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Whether `d` lies in the range.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The part of the range inside `other`, if any.
    pub fn clip(&self, other: &Range) -> Option<Range> {
        let from = self.from.max(other.from);
        let to = self.to.min(other.to);
        (from <= to).then_some(Range { from, to })
    }

    /// Reads `2024`, `2024-H1`, `2024-Q3`, `2024-03`, `2024-01-01..2024-06-30` (also
    /// `2024年`, `2024年第三季度`, `2024年上半年`, `2024年3月`).
    pub fn parse(text: &str) -> Result<Range> {
        let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || {
            Error::invalid(
                "period",
                format!(
                    "{text:?} is not a period; write 2024, 2024-H1, 2024-Q3, 2024-03 or \
                     2024-01-01..2024-06-30"
                ),
            )
        };
        if let Some((a, b)) = t.split_once("..") {
            let from = crate::time::parse_date("period start", a)?;
            let to = crate::time::parse_date("period end", b)?;
            return Range::new(from, to);
        }
        let t = t
            .replace("年第一季度", "-Q1")
            .replace("年第二季度", "-Q2")
            .replace("年第三季度", "-Q3")
            .replace("年第四季度", "-Q4")
            .replace("年上半年", "-H1")
            .replace("年下半年", "-H2")
            .replace('年', "-")
            .replace('月', "");
        let t = t.trim_end_matches('-');
        let (year, rest) = match t.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (t, None),
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(1900..=2200).contains(&year) {
            return Err(bad());
        }
        let (start_month, months) = match rest.map(|r| r.to_ascii_uppercase()) {
            None => (1, 12),
            Some(r) if r.starts_with('H') => match &r[1..] {
                "1" => (1, 6),
                "2" => (7, 6),
                _ => return Err(bad()),
            },
            Some(r) if r.starts_with('Q') => match r[1..].parse::<u32>() {
                Ok(q @ 1..=4) => (3 * q - 2, 3),
                _ => return Err(bad()),
            },
            Some(r) => match r.parse::<u32>() {
                Ok(m @ 1..=12) => (m, 1),
                _ => return Err(bad()),
            },
        };
        let from = NaiveDate::from_ymd_opt(year, start_month, 1).ok_or_else(bad)?;
        let to = from
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(bad)?;
        Range::new(from, to)
    }

    /// A label for the range: `2024`, `2024-H1`, `2024-Q2`, `2024-03`, or `from..to`.
    pub fn label(&self) -> String {
        let (y, m, d) = (self.from.year(), self.from.month(), self.from.day());
        let months = self.months();
        match months {
            Some(12) if m == 1 && d == 1 => format!("{y}"),
            Some(6) if d == 1 && (m == 1 || m == 7) => format!("{y}-H{}", m / 6 + 1),
            Some(3) if d == 1 && (m - 1) % 3 == 0 => format!("{y}-Q{}", (m - 1) / 3 + 1),
            Some(1) if d == 1 => format!("{y}-{m:02}"),
            _ => format!("{}..{}", self.from, self.to),
        }
    }

    /// The range in Chinese: `2024年`, `2024年上半年`, `2024年第二季度`, `2024年3月`, or
    /// `2024-04-01至2025-03-31`.
    pub fn label_zh(&self) -> String {
        let (y, m, d) = (self.from.year(), self.from.month(), self.from.day());
        const Q: [&str; 4] = ["一", "二", "三", "四"];
        match self.months() {
            Some(12) if m == 1 && d == 1 => format!("{y}年"),
            Some(6) if d == 1 && m == 1 => format!("{y}年上半年"),
            Some(6) if d == 1 && m == 7 => format!("{y}年下半年"),
            Some(3) if d == 1 && (m - 1) % 3 == 0 => {
                format!("{y}年第{}季度", Q[((m - 1) / 3) as usize])
            }
            Some(1) if d == 1 => format!("{y}年{m}月"),
            _ => format!("{}至{}", self.from, self.to),
        }
    }

    /// Whole months the range spans exactly (first of a month to the last of one).
    fn months(&self) -> Option<u32> {
        if self.from.day() != 1 || self.to.succ_opt()?.day() != 1 {
            return None;
        }
        let end = self.to.succ_opt()?;
        let m =
            (end.year() - self.from.year()) * 12 + end.month() as i32 - self.from.month() as i32;
        u32::try_from(m).ok()
    }
}

/// The periods of `kind` (years starting in month `year_start`) that overlap `range`,
/// each with its full extent and the part inside `range`.
pub(crate) fn periods(kind: PeriodKind, year_start: u32, range: &Range) -> Vec<(Range, Range)> {
    let len = kind.months();
    let start_month = year_start.clamp(1, 12);
    // The first aligned start on or before range.from.
    let (y, m) = (range.from.year(), range.from.month());
    let offset = (m + 12 - start_month) % len;
    let mut start = NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.checked_sub_months(Months::new(offset)))
        .unwrap_or(range.from);
    let mut out = Vec::new();
    while start <= range.to {
        let Some(next) = start.checked_add_months(Months::new(len)) else {
            break;
        };
        let full = Range {
            from: start,
            to: next.pred_opt().unwrap_or(next),
        };
        if let Some(part) = full.clip(range) {
            out.push((full, part));
        }
        start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_labels_periods() {
        for (text, from, to, label) in [
            ("2024", "2024-01-01", "2024-12-31", "2024"),
            ("2024-H2", "2024-07-01", "2024-12-31", "2024-H2"),
            ("2024年第三季度", "2024-07-01", "2024-09-30", "2024-Q3"),
            ("2024-02", "2024-02-01", "2024-02-29", "2024-02"),
            (
                "2024-03-05..2024-04-01",
                "2024-03-05",
                "2024-04-01",
                "2024-03-05..2024-04-01",
            ),
        ] {
            let r = Range::parse(text).unwrap();
            assert_eq!((r.from, r.to), (d(from), d(to)), "{text}");
            assert_eq!(r.label(), label);
        }
        assert_eq!(
            Range::parse("2024-Q2").unwrap().label_zh(),
            "2024年第二季度"
        );
        assert!(Range::parse("2024-Q5").is_err());
        assert!(Range::parse("2024-06-30..2024-01-01").is_err());
        assert!(Range::parse("soon").is_err());
    }

    #[test]
    fn periods_follow_the_year_start() {
        let year = Range::parse("2024").unwrap();
        let q = periods(PeriodKind::Quarter, 1, &year);
        assert_eq!(q.len(), 4);
        assert_eq!(q[1].0.label(), "2024-Q2");
        // A financial year from April: two pieces of the calendar year.
        let fy = periods(PeriodKind::Year, 4, &year);
        assert_eq!(fy.len(), 2);
        assert_eq!(
            (fy[0].0.from, fy[0].0.to),
            (d("2023-04-01"), d("2024-03-31"))
        );
        assert_eq!(
            (fy[0].1.from, fy[0].1.to),
            (d("2024-01-01"), d("2024-03-31"))
        );
        assert_eq!(fy[1].1.to, d("2024-12-31"));
        // Half-years from April: Apr–Sep, Oct–Mar.
        let h = periods(PeriodKind::HalfYear, 4, &year);
        assert_eq!(
            h.iter().map(|p| p.0.from).collect::<Vec<_>>(),
            [d("2023-10-01"), d("2024-04-01"), d("2024-10-01")]
        );
    }
}
