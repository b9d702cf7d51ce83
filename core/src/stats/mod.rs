//! Statistics (统计): population as of a date across reorganisations, trends and flows,
//! aggregate inputs as denominators, and disclosure control.
//!
//! The engine scans a columnar snapshot of the register ([`columns`]): one row per stay
//! (residence interval), held as compact columns and kept in step with this handle's
//! writes by replacing only the rows of the residents a write touched. A query counts
//! the stays present on the date into a dense array by place × keys, maps each place to
//! the unit it lands on in the reported geography, and rolls the counts up the tree,
//! which is in pre-order so a subtree is a contiguous range.
//!
//! **Geography.** A table is reported on the units valid on `as_of` ("as it was"), or on
//! another date with `rebase_to`. A place that does not exist on that date lands on its
//! successor by lineage (a merged district's history counts under its successor). A
//! place that was **split** cannot be divided person by person, so its residents are
//! counted under its first successor (the lowest id among the successors in the table);
//! every row whose count includes such residents has `split = true`, and the table says
//! so in `notes`. A place that did not exist yet lands on its nearest ancestor that did.
//!
//! **Measures.** Headcount; distinct ethnic components (97/98 are not components);
//! migrants' share (0–1); the share of the unit's total population in ‰ or %, where the
//! total comes from an aggregate table ([`aggregates`]) — a missing denominator is
//! `None`, never zero.

pub mod aggregates;
mod columns;
mod count;
pub mod cube;
mod denominators;
pub mod disclosure;
mod engine;
mod geography;
mod provinces;
mod query;
pub mod render;
mod table;

pub(crate) use columns::{Basis, Stays, ETH_SLOTS, GONE};
pub use cube::{protect_cube, CubeReport, Summary};
pub(crate) use engine::{threads, StatsState};
pub use geography::UnitInfo;
pub use provinces::PROVINCES;
pub use query::{
    CubeExport, Dimension, Period, Place, PopulationQuery, ShareUnit, TrendQuery,
    DEFAULT_AGE_BANDS, DEFAULT_K,
};
pub use table::{CellStatus, DimensionValues, Table, TOTAL};

use chrono::NaiveDate;

/// A date as the snapshot stores it (days since 1970-01-01).
pub(crate) fn day_of(d: NaiveDate) -> i32 {
    i32::try_from(crate::register::day(d)).unwrap_or(i32::MAX - 1)
}

impl Table {
    /// A table with this header and no rows.
    pub(crate) fn with_header(
        transaction: crate::network::TxId,
        hierarchy: crate::network::Hierarchy,
        geography: Option<NaiveDate>,
        periods: Vec<NaiveDate>,
        k: Option<u32>,
        share_unit: ShareUnit,
        dimensions: Vec<DimensionValues>,
    ) -> Table {
        let keys = vec![Vec::new(); dimensions.len()];
        Table {
            transaction,
            hierarchy,
            geography,
            periods,
            k,
            share_unit,
            units: Vec::new(),
            dimensions,
            notes: Vec::new(),
            period: Vec::new(),
            unit: Vec::new(),
            keys,
            headcount: Vec::new(),
            components: Vec::new(),
            migrant_share: Vec::new(),
            population: Vec::new(),
            share: Vec::new(),
            arrivals: Vec::new(),
            departures: Vec::new(),
            growth: Vec::new(),
            status: Vec::new(),
            split: Vec::new(),
        }
    }

    /// A table with the same header and no rows.
    pub(crate) fn clone_empty(&self) -> Table {
        let mut t = Table::with_header(
            self.transaction,
            self.hierarchy,
            self.geography,
            self.periods.clone(),
            self.k,
            self.share_unit,
            self.dimensions.clone(),
        );
        t.notes = self.notes.clone();
        t
    }

    /// Reserves room for `n` more rows.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.period.reserve(n);
        self.unit.reserve(n);
        for k in &mut self.keys {
            k.reserve(n);
        }
        self.headcount.reserve(n);
        self.components.reserve(n);
        self.migrant_share.reserve(n);
        self.status.reserve(n);
        self.split.reserve(n);
    }

    /// Appends the rows of `other` (same keys) as period `period`.
    pub(crate) fn append(&mut self, other: Table, period: u32) {
        let mut map = Vec::with_capacity(other.units.len());
        for u in &other.units {
            let i = match self.units.iter().position(|x| x.id == u.id) {
                Some(i) => i,
                None => {
                    self.units.push(u.clone());
                    self.units.len() - 1
                }
            };
            map.push(i as u32);
        }
        for n in other.notes {
            if !self.notes.contains(&n) {
                self.notes.push(n);
            }
        }
        self.period
            .extend(std::iter::repeat_n(period, other.unit.len()));
        self.unit
            .extend(other.unit.iter().map(|u| map[*u as usize]));
        for (a, b) in self.keys.iter_mut().zip(other.keys) {
            a.extend(b);
        }
        self.headcount.extend(other.headcount);
        self.components.extend(other.components);
        self.migrant_share.extend(other.migrant_share);
        self.population.extend(other.population);
        self.share.extend(other.share);
        self.status.extend(other.status);
        self.split.extend(other.split);
    }
}
