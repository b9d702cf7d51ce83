//! Working days (工作日): weekends off, listed holidays off, listed make-up working days
//! (调休上班) on.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A working-day calendar: Saturdays and Sundays are off unless listed in `workdays`;
/// every day in `holidays` is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Public holidays (法定节假日), including the weekdays given off.
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days worked instead (调休上班).
    #[serde(default)]
    pub workdays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Reads a calendar file: TOML or JSON `{holidays = [...], workdays = [...]}`, or
    /// plain lines `2024-10-01 holiday` / `2024-10-12 workday` (`#` starts a comment;
    /// 休/假 and 班 are accepted too).
    pub fn from_text(text: &str) -> Result<Calendar> {
        let t = text.trim_start();
        if t.starts_with('{') {
            return crate::error::from_json("calendar", text);
        }
        if t.contains('=') {
            let v = super::spec::toml_to_json(text, "calendar")?;
            return crate::error::from_json_value("calendar", v);
        }
        let mut cal = Calendar::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(day), kind) = (parts.next(), parts.next().unwrap_or("holiday")) else {
                continue;
            };
            let day = crate::time::parse_date("calendar day", day)
                .map_err(|_| Error::invalid("calendar", format!("line {}: not a date", i + 1)))?;
            match kind {
                "holiday" | "休" | "假" | "off" => cal.holidays.insert(day),
                "workday" | "班" | "work" => cal.workdays.insert(day),
                other => {
                    return Err(Error::invalid(
                        "calendar",
                        format!("line {}: {other:?} is neither holiday nor workday", i + 1),
                    ))
                }
            };
        }
        Ok(cal)
    }

    /// Whether `d` is a working day.
    pub fn is_working(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return false;
        }
        if self.workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The `n`th working day after `start` (`start` itself is day 0).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working(d) {
                left -= 1;
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn working_days_skip_weekends_and_holidays_and_count_make_up_days() {
        let cal = Calendar::from_text(
            "# 2024 国庆\n2024-10-01 holiday\n2024-10-02 休\n2024-10-03 休\n2024-10-04 休\n\
             2024-10-07 休\n2024-10-12 班\n",
        )
        .unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Monday 30 September + 1 working day: 1–7 October are off → 8 October.
        assert_eq!(cal.add_working_days(d("2024-09-30"), 1), d("2024-10-08"));
        // Friday 11 October + 1: Saturday 12 October is a make-up working day.
        assert_eq!(cal.add_working_days(d("2024-10-11"), 1), d("2024-10-12"));
        assert_eq!(cal.add_working_days(d("2024-10-11"), 0), d("2024-10-11"));
        let toml =
            Calendar::from_text("holidays = [\"2024-10-01\"]\nworkdays = [2024-10-12]").unwrap();
        assert!(toml.workdays.contains(&d("2024-10-12")));
        assert!(Calendar::from_text("2024-10-01 maybe").is_err());
    }
}
