//! The deliberately bad (or legacy) rows planted with `--bad K`: their kinds, and
//! where they go.

use std::collections::HashSet;

use crate::rng::Rng;

/// PRNG stream of the defect plan (kept apart so the plan never shifts the residents).
const STREAM_PLAN: u64 = 3;

/// A kind of deliberately planted row, planted in this order, in turn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Defect {
    /// ID number turned into a number by Excel (`1.10105E+17`).
    ExcelId,
    /// 18-character ID with a wrong check character.
    WrongCheck,
    /// Ethnicity not in GB/T 3304 (`火星族`).
    UnknownEthnicity,
    /// Impossible arrival date (`2024-02-30`).
    ImpossibleDate,
    /// Community code that is not in units.csv.
    UnknownCommunity,
    /// Valid 15-digit legacy ID number (to be upgraded, not an error).
    LegacyId15,
    /// Legacy ethnicity name `崩龙族` (= 德昂族; valid with a warning).
    LegacyEthnicity,
    /// ID number of an earlier row again.
    DuplicateId,
}

impl Defect {
    /// All kinds, in planting order.
    pub const ALL: [Defect; 8] = [
        Defect::ExcelId,
        Defect::WrongCheck,
        Defect::UnknownEthnicity,
        Defect::ImpossibleDate,
        Defect::UnknownCommunity,
        Defect::LegacyId15,
        Defect::LegacyEthnicity,
        Defect::DuplicateId,
    ];

    /// Key in meta.json.
    pub fn key(self) -> &'static str {
        match self {
            Defect::ExcelId => "excel_id",
            Defect::WrongCheck => "wrong_check_char",
            Defect::UnknownEthnicity => "unknown_ethnicity",
            Defect::ImpossibleDate => "impossible_date",
            Defect::UnknownCommunity => "unknown_community",
            Defect::LegacyId15 => "legacy_id15",
            Defect::LegacyEthnicity => "legacy_ethnicity",
            Defect::DuplicateId => "duplicate_id",
        }
    }

    /// The column of residents.csv that carries the defect.
    pub fn column(self) -> &'static str {
        match self {
            Defect::ExcelId | Defect::WrongCheck | Defect::LegacyId15 | Defect::DuplicateId => {
                "公民身份号码"
            }
            Defect::UnknownEthnicity | Defect::LegacyEthnicity => "民族",
            Defect::ImpossibleDate => "来苏时间",
            Defect::UnknownCommunity => "所属社区",
        }
    }

    /// `error` (row must be rejected), `upgrade` (valid, converted) or `warning` (valid,
    /// reported).
    pub fn severity(self) -> &'static str {
        match self {
            Defect::LegacyId15 => "upgrade",
            Defect::LegacyEthnicity => "warning",
            _ => "error",
        }
    }
}

/// A planted row.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Planted {
    /// What is wrong with it.
    pub defect: Defect,
    /// 0-based data row index (file row number = index + 2).
    pub index: u64,
    /// For [`Defect::DuplicateId`]: the data row index whose ID number it repeats.
    pub source: Option<u64>,
}

/// Chooses where `bad` planted rows go among `residents` rows: distinct positions drawn
/// uniformly (never row 0, so a duplicate always has an earlier good row to copy), kinds
/// assigned in turn by position.
pub fn plan(residents: u64, bad: u64, seed: u64) -> Result<Vec<Planted>, String> {
    if bad == 0 {
        return Ok(Vec::new());
    }
    if bad >= residents {
        return Err(format!(
            "--bad {bad} needs at least {} residents",
            bad.saturating_add(1)
        ));
    }
    let mut rng = Rng::new(seed, STREAM_PLAN);
    // Floyd's sampling of `bad` distinct values from 1..residents.
    let m = residents - 1;
    let mut chosen = HashSet::new();
    for j in (m - bad)..m {
        let t = rng.below(j + 1) + 1;
        if !chosen.insert(t) {
            chosen.insert(j + 1);
        }
    }
    let mut positions: Vec<u64> = chosen.iter().copied().collect();
    positions.sort_unstable();
    let mut out = Vec::with_capacity(positions.len());
    for (j, &index) in positions.iter().enumerate() {
        let defect = Defect::ALL[j % Defect::ALL.len()];
        let source = (defect == Defect::DuplicateId).then(|| {
            (0..64)
                .map(|_| rng.below(index))
                .find(|s| !chosen.contains(s))
                .or_else(|| (0..index).rev().find(|s| !chosen.contains(s)))
                .unwrap_or(0)
        });
        out.push(Planted {
            defect,
            index,
            source,
        });
    }
    Ok(out)
}
