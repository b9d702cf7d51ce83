//! Ethnicity over time and the 2015 rules for changing it (《中国公民民族成份登记管理办法》):
//! a change must follow a parent's ethnicity where the parents are recorded; at most one
//! change before 18, and one more within the two years after turning 18; none later.

use chrono::{Datelike, NaiveDate};
use rusqlite::params;
use serde::Deserialize;

use super::{day, store, ResidentId};
use crate::codes::Ethnicity;
use crate::error::{Error, Result, Warning};
use crate::registry::Batch;

/// A change of a resident's ethnicity (民族成份变更).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EthnicityChange {
    /// The resident.
    pub resident: ResidentId,
    /// The new ethnicity.
    pub ethnicity: Ethnicity,
    /// The day it takes effect.
    pub date: NaiveDate,
    /// The decision's reference (文号) or reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Whole years between `birth` and `on`.
fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Which window of the rules a change on `on` falls in: 0 before 18, 1 within two years
/// after turning 18, None after that.
fn window(birth: NaiveDate, on: NaiveDate) -> Option<u8> {
    match age_on(birth, on) {
        a if a < 18 => Some(0),
        18 | 19 => Some(1),
        _ => None,
    }
}

impl Batch<'_> {
    /// Records a change of ethnicity after checking the 2015 rules as far as the record
    /// allows; returns warnings for the checks that could not be made.
    pub fn change_ethnicity(&mut self, c: EthnicityChange) -> Result<Vec<Warning>> {
        let tx = self.tx;
        let r = store::resident(self.conn, c.resident, tx)?
            .ok_or_else(|| Error::not_found(format!("resident {}", c.resident)))?;
        let residences = store::residences(self.conn, c.resident, tx)?;
        let unit = residences
            .last()
            .map(|x| x.unit)
            .ok_or_else(|| Error::not_found(format!("residence of resident {}", c.resident)))?;
        self.require_writable(unit)?;
        let mut warnings = Vec::new();
        let current = self.ethnicity_on(c.resident, r.ethnicity, c.date)?;
        if current == c.ethnicity {
            return Err(Error::invalid(
                "ethnicity change",
                "the resident already has this ethnicity",
            ));
        }
        let parents: Vec<Ethnicity> = [r.father_ethnicity, r.mother_ethnicity]
            .into_iter()
            .flatten()
            .collect();
        if parents.is_empty() {
            warnings.push(Warning::new(
                "ethnicity.parents_unknown",
                "no parent's ethnicity is recorded; the change could not be checked against them",
            ));
        } else if !parents.contains(&c.ethnicity) {
            return Err(Error::invalid(
                "ethnicity change",
                "a change must follow the father's or the mother's ethnicity (2015 rules, art. 5)",
            ));
        }
        match r.birth_date {
            None => warnings.push(Warning::new(
                "ethnicity.age_unknown",
                "no birth date is recorded; the age limits could not be checked",
            )),
            Some(birth) => {
                let Some(w) = window(birth, c.date) else {
                    return Err(Error::invalid(
                        "ethnicity change",
                        "no change is allowed two years or more after turning 18 (2015 rules, art. 6)",
                    ));
                };
                let earlier = self.ethnicity_change_days(c.resident)?;
                if earlier
                    .iter()
                    .any(|d| window(birth, super::date(*d)) == Some(w))
                {
                    return Err(Error::invalid(
                        "ethnicity change",
                        if w == 0 {
                            "only one change is allowed before 18 (2015 rules, art. 6)"
                        } else {
                            "only one change is allowed within two years after turning 18 (2015 rules, art. 6)"
                        },
                    ));
                }
            }
        }
        let id = store::allocate_ids(self.conn, 1)?;
        self.conn
            .prepare_cached(
                "INSERT INTO ethnicity_change(id, sys_from, resident, ethnicity, from_day, provenance, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'change', ?6)",
            )?
            .execute(params![id, tx, c.resident, c.ethnicity.number(), day(c.date), c.reason])?;
        self.touched.push(c.resident);
        Ok(warnings)
    }

    fn ethnicity_change_days(&self, resident: ResidentId) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT from_day FROM ethnicity_change WHERE resident = ?1 AND sys_to IS NULL",
        )?;
        let rows = stmt.query_map([resident], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The ethnicity valid on `on`: the registered one, or the latest change before it.
    pub(crate) fn ethnicity_on(
        &self,
        resident: ResidentId,
        registered: Ethnicity,
        on: NaiveDate,
    ) -> Result<Ethnicity> {
        super::queries::ethnicity_on(self.conn, resident, registered, on, self.tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_birthday() {
        let b = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap_or_default();
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(window(b, on(2018, 6, 14)), Some(0));
        assert_eq!(window(b, on(2018, 6, 15)), Some(1));
        assert_eq!(window(b, on(2020, 6, 14)), Some(1));
        assert_eq!(window(b, on(2020, 6, 15)), None);
    }
}
