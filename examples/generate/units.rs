//! The administrative hierarchy: 苏州市 → districts → streets (街道/镇) → communities
//! (社区/村), with the 2012-09-01 merger of 沧浪区 and 平江区 into 姑苏区.

use std::collections::HashSet;
use std::io::{self, Write};

use crate::calendar::{day, ymd, Calendar, Day, REORG, START};
use crate::rng::Rng;
use crate::tables::{CITY, DISTRICTS, MERGED_INTO, PLACE_CHARS};

/// PRNG stream of the units.
const STREAM_UNITS: u64 = 1;
/// Share of 社区 (not villages) that open later, as new estates (≈ 12 % of all communities).
const NEW_ESTATE_SHARE: f64 = 0.15;

/// One row of units.csv.  The key is (code, valid_from): a moved street has two rows.
pub struct UnitRow {
    /// 6, 9 or 12 digits.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// `city`, `district`, `street` or `community`.
    pub level: &'static str,
    /// Code of the parent (empty for the city).
    pub parent: String,
    /// First day of validity.
    pub valid_from: Day,
    /// First day no longer valid (half-open interval); `None` = still valid.
    pub valid_to: Option<Day>,
}

/// A community (社区居委会 or 村委会) as the resident generator sees it.
pub struct Community {
    /// 12-digit code.
    pub code: String,
    /// First day of validity; communities never close.
    pub valid_from: Day,
    /// Relative number of residents.
    pub weight: f64,
    /// Share of migrants, from its district.
    pub migrant_share: f64,
    /// Its district before the reorganisation day.
    pub district_before: &'static str,
    /// Its district from the reorganisation day on.
    pub district_after: &'static str,
}

/// Everything generated about the units.
pub struct Units {
    /// The rows of units.csv, in file order.
    pub rows: Vec<UnitRow>,
    /// The communities, in file order.
    pub communities: Vec<Community>,
}

/// Draws a two-character place name not yet in `used`.
fn place_name(rng: &mut Rng, chars: &[char], used: &mut HashSet<(char, char)>) -> String {
    loop {
        let a = chars[rng.index(chars.len())];
        let b = chars[rng.index(chars.len())];
        if a != b && used.insert((a, b)) {
            return [a, b].iter().collect();
        }
    }
}

/// Builds the hierarchy for `seed` (independent of the number of residents).
pub fn build(seed: u64) -> Units {
    let mut rng = Rng::new(seed, STREAM_UNITS);
    let chars: Vec<char> = PLACE_CHARS.chars().collect();
    let start = day(START);
    let reorg = day(REORG);
    let mut rows = vec![UnitRow {
        code: CITY.0.into(),
        name: CITY.1.into(),
        level: "city",
        parent: String::new(),
        valid_from: start,
        valid_to: None,
    }];
    let mut communities = Vec::new();
    let mut street_names = HashSet::new();
    for d in DISTRICTS {
        rows.push(UnitRow {
            code: d.code.into(),
            name: d.name.into(),
            level: "district",
            parent: CITY.0.into(),
            valid_from: if d.opens_at_reorg { reorg } else { start },
            valid_to: d.closes_at_reorg.then_some(reorg),
        });
        if d.size == 0.0 {
            continue;
        }
        let after = if d.closes_at_reorg {
            MERGED_INTO
        } else {
            d.code
        };
        let n_streets = 8 + rng.below(5) as usize; // 8..=12
        let n_subdistricts = n_streets - (n_streets as f64 * d.town_share).round() as usize;
        for si in 0..n_streets {
            let is_town = si >= n_subdistricts;
            let suffix = if is_town {
                100 + si - n_subdistricts + 1
            } else {
                si + 1
            };
            let street = format!("{}{suffix:03}", d.code);
            let name = place_name(&mut rng, &chars, &mut street_names)
                + if is_town { "镇" } else { "街道" };
            if d.closes_at_reorg {
                // The street keeps its code and moves: old row closes, new row opens.
                rows.push(UnitRow {
                    code: street.clone(),
                    name: name.clone(),
                    level: "street",
                    parent: d.code.into(),
                    valid_from: start,
                    valid_to: Some(reorg),
                });
                rows.push(UnitRow {
                    code: street.clone(),
                    name,
                    level: "street",
                    parent: MERGED_INTO.into(),
                    valid_from: reorg,
                    valid_to: None,
                });
            } else {
                rows.push(UnitRow {
                    code: street.clone(),
                    name,
                    level: "street",
                    parent: d.code.into(),
                    valid_from: start,
                    valid_to: None,
                });
            }
            let n_comm = 10 + rng.index(6); // 10..=15
            let n_villages = if is_town {
                (n_comm as f64 * (0.3 + 0.4 * rng.f64())) as usize
            } else {
                0
            };
            let first_village = n_comm - n_villages;
            let mut names = HashSet::new();
            for ci in 0..n_comm {
                let village = ci >= first_village;
                let suffix = if village {
                    200 + ci - first_village + 1
                } else {
                    ci + 1
                };
                let code = format!("{street}{suffix:03}");
                let name = place_name(&mut rng, &chars, &mut names)
                    + if village { "村" } else { "社区" };
                let mut valid_from = start;
                if !village && rng.chance(NEW_ESTATE_SHARE) {
                    let y = 1995 + rng.below(28) as i32; // 1995..=2022
                    let m = 1 + rng.below(12) as u32;
                    valid_from = ymd(y, m, 1, start);
                }
                // Log-normal-ish size; villages are smaller.
                let spread = rng.f64() + rng.f64() + rng.f64() - 1.5;
                let weight = d.size * (2.0 * spread).exp() * if village { 0.5 } else { 1.0 };
                rows.push(UnitRow {
                    code: code.clone(),
                    name,
                    level: "community",
                    parent: street.clone(),
                    valid_from,
                    valid_to: None,
                });
                communities.push(Community {
                    code,
                    valid_from,
                    weight,
                    migrant_share: d.migrant_share,
                    district_before: d.code,
                    district_after: after,
                });
            }
        }
    }
    Units { rows, communities }
}

/// Writes units.csv.
pub fn write_units(units: &Units, cal: &Calendar, w: &mut impl Write) -> io::Result<()> {
    w.write_all(b"code,name,level,parent_code,valid_from,valid_to\n")?;
    for r in &units.rows {
        let to = r.valid_to.map_or("", |d| cal.iso_str(d));
        writeln!(
            w,
            "{},{},{},{},{},{}",
            r.code,
            r.name,
            r.level,
            r.parent,
            cal.iso_str(r.valid_from),
            to
        )?;
    }
    Ok(())
}

/// Writes reorganisations.csv (one event).  Returns the number of data rows.
pub fn write_reorganisations(w: &mut impl Write) -> io::Result<usize> {
    let from: Vec<&str> = DISTRICTS
        .iter()
        .filter(|d| d.closes_at_reorg)
        .map(|d| d.code)
        .collect();
    w.write_all(b"date,event,from_codes,to_codes,note\n")?;
    writeln!(
        w,
        "2012-09-01,merge,{},{MERGED_INTO},撤销沧浪区、平江区，设立姑苏区；所辖街道代码不变，改隶姑苏区，社区不变",
        from.join(";")
    )?;
    Ok(1)
}
