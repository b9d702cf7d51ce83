//! Result tables: columns of cells, dictionary-encoded (units and group keys are indices
//! into small lists), so faces build data frames column by column.

use chrono::NaiveDate;
use serde::Serialize;

use super::columns::{slot_ethnicity, CE_SLOTS, ETH_SLOTS};
use super::count::Extra;
use super::geography::UnitInfo;
use super::provinces::PROVINCES;
use super::query::{Dimension, ShareUnit};
use crate::network::{Hierarchy, TxId};

/// Key value of a unit's total row (every group key is "all").
pub const TOTAL: u32 = u32::MAX;

/// Whether a cell is published, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// 公布 — published.
    Published,
    /// 主隐藏 — primary suppression: the count is 1..k−1 (or 0 when zeros are hidden).
    Primary,
    /// 次隐藏 — secondary suppression: hidden so the primary cells cannot be derived.
    Secondary,
}

impl CellStatus {
    /// The stable label.
    pub fn label(self) -> &'static str {
        match self {
            CellStatus::Published => "published",
            CellStatus::Primary => "primary",
            CellStatus::Secondary => "secondary",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            CellStatus::Published => "公布",
            CellStatus::Primary => "主隐藏",
            CellStatus::Secondary => "次隐藏",
        }
    }
}

/// The values of one group key: codes and Chinese names, indexed by the key columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DimensionValues {
    /// The key.
    pub dimension: Dimension,
    /// Value codes (`03`, `registered`, `1`, `18-34`, `32` …).
    pub codes: Vec<String>,
    /// Chinese names (`回族`, `户籍`, `男`, `18-34岁`, `江苏省` …).
    pub names: Vec<String>,
}

/// A population table (one period) or a trend (several), as columns. Row `i` is the cell
/// of unit `units[unit[i]]`, period `periods[period[i]]` and, for each key `d`, value
/// `dimensions[d].codes[keys[d][i]]` — or all values when `keys[d][i]` is [`TOTAL`].
/// Each unit has a total row first, then its non-zero cells in code order; units come in
/// pre-order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The transaction whose data the table reflects.
    pub transaction: TxId,
    /// The hierarchy units roll up in.
    pub hierarchy: Hierarchy,
    /// The date whose units the table is reported on (`None`: each period's own).
    pub geography: Option<NaiveDate>,
    /// Period ends (one for a population table).
    pub periods: Vec<NaiveDate>,
    /// The minimum cell size applied, if any.
    pub k: Option<u32>,
    /// Unit of `share`.
    pub share_unit: ShareUnit,
    /// Units of the rows.
    pub units: Vec<UnitInfo>,
    /// Group keys and their values.
    pub dimensions: Vec<DimensionValues>,
    /// Notes on how the table was made (re-basing of split units, missing denominators).
    pub notes: Vec<String>,
    /// Period index of each row.
    pub period: Vec<u32>,
    /// Unit index of each row.
    pub unit: Vec<u32>,
    /// Per key, the value index of each row ([`TOTAL`] on total rows).
    pub keys: Vec<Vec<u32>>,
    /// 人数 — headcount (`None` when suppressed).
    pub headcount: Vec<Option<u64>>,
    /// 民族成分数 — distinct ethnic components (97/98 are not components).
    pub components: Vec<Option<u32>>,
    /// Migrants' share of the cell (0–1).
    pub migrant_share: Vec<Option<f64>>,
    /// The unit's total population from the denominator table (`None`: missing).
    pub population: Vec<Option<u64>>,
    /// The cell's share of the unit's total population, in `share_unit`.
    pub share: Vec<Option<f64>>,
    /// Trends: arrivals in the period (empty for population tables).
    pub arrivals: Vec<Option<u64>>,
    /// Trends: departures in the period.
    pub departures: Vec<Option<u64>>,
    /// Trends: headcount change since the previous period end.
    pub growth: Vec<Option<i64>>,
    /// Disclosure status of each row.
    pub status: Vec<CellStatus>,
    /// The unit's count includes residents of a unit that was split (counted under the
    /// first successor; see [`crate::stats`]).
    pub split: Vec<bool>,
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.unit.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.unit.is_empty()
    }

    /// The row of `unit` (by id) in period 0 with the given key values (codes; `None`
    /// = total), if present.
    pub fn find(&self, unit: i64, keys: &[Option<&str>]) -> Option<usize> {
        let want: Vec<u32> = keys
            .iter()
            .zip(&self.dimensions)
            .map(|(k, d)| match k {
                None => Some(TOTAL),
                Some(code) => d.codes.iter().position(|c| c == code).map(|p| p as u32),
            })
            .collect::<Option<Vec<u32>>>()?;
        (0..self.len()).find(|&i| {
            self.units[self.unit[i] as usize].id == unit
                && self.period[i] == 0
                && self.keys.iter().zip(&want).all(|(col, w)| col[i] == *w)
        })
    }
}

/// The values of a key, for the table header.
pub(crate) fn dimension_values(d: Dimension, age_bands: &[u32]) -> DimensionValues {
    let (codes, names): (Vec<String>, Vec<String>) = match d {
        Dimension::Ethnicity => (0..ETH_SLOTS)
            .map(|s| {
                slot_ethnicity(s).map_or_else(
                    || (String::new(), String::new()),
                    |e| (e.code().to_owned(), e.name().to_owned()),
                )
            })
            .unzip(),
        Dimension::Category => (
            vec!["registered".into(), "migrant".into()],
            vec!["户籍".into(), "流动".into()],
        ),
        Dimension::Sex => (
            vec!["unknown".into(), "1".into(), "2".into()],
            vec!["未知".into(), "男".into(), "女".into()],
        ),
        Dimension::AgeBand => {
            let mut codes = Vec::new();
            let mut lo = 0;
            for b in age_bands {
                codes.push(format!("{lo}-{}", b.saturating_sub(1)));
                lo = *b;
            }
            codes.push(format!("{lo}+"));
            let mut names: Vec<String> = codes.iter().map(|c| format!("{c}岁")).collect();
            codes.push("unknown".into());
            names.push("未知".into());
            (codes, names)
        }
        Dimension::OriginProvince => std::iter::once(("00".to_owned(), "未知".to_owned()))
            .chain(
                PROVINCES
                    .iter()
                    .map(|(c, n)| ((*c).to_owned(), (*n).to_owned())),
            )
            .unzip(),
    };
    DimensionValues {
        dimension: d,
        codes,
        names,
    }
}

/// How internal counts (combination × category × ethnicity) become the cells of a
/// table grouped by the user's keys.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// Internal combination count of the extra keys.
    combos: usize,
    /// Radix of each extra key, in internal order.
    extra_radix: Vec<usize>,
    /// Stride (in the user key) of each extra key, in internal order.
    extra_stride: Vec<usize>,
    /// Stride of category and ethnicity in the user key, when grouped.
    cat_stride: Option<usize>,
    eth_stride: Option<usize>,
    /// Radix of each user key, in column order.
    radix: Vec<usize>,
    /// Which category × ethnicity slots pass the filters.
    allowed: [bool; CE_SLOTS],
}

/// Slots 97/98 are not ethnic components.
const COMPONENTS: u64 = (1u64 << 56) - 1;

impl Shape {
    /// The shape for `by` over the extras of `extras` (in the same relative order).
    pub(crate) fn new(by: &[Dimension], extras: &[Extra], allowed: [bool; CE_SLOTS]) -> Shape {
        let radix: Vec<usize> = by
            .iter()
            .map(|d| match d {
                Dimension::Ethnicity => ETH_SLOTS,
                Dimension::Category => 2,
                _ => 0,
            })
            .collect();
        let extra_radix: Vec<usize> = extras
            .iter()
            .map(|e| match e {
                Extra::Sex => 3,
                Extra::Age { cutoffs } => cutoffs.len() + 2,
                Extra::Origin => PROVINCES.len() + 1,
            })
            .collect();
        let mut radix = radix;
        let mut ei = 0;
        for r in radix.iter_mut() {
            if *r == 0 {
                *r = extra_radix[ei];
                ei += 1;
            }
        }
        // Strides: the first key is the most significant.
        let mut stride = vec![0usize; by.len()];
        let mut s = 1;
        for i in (0..by.len()).rev() {
            stride[i] = s;
            s *= radix[i];
        }
        let mut extra_stride = Vec::new();
        let mut cat_stride = None;
        let mut eth_stride = None;
        for (i, d) in by.iter().enumerate() {
            match d {
                Dimension::Ethnicity => eth_stride = Some(stride[i]),
                Dimension::Category => cat_stride = Some(stride[i]),
                _ => extra_stride.push(stride[i]),
            }
        }
        Shape {
            combos: extra_radix.iter().product(),
            extra_radix,
            extra_stride,
            cat_stride,
            eth_stride,
            radix,
            allowed,
        }
    }

    /// Size of the user key space.
    pub(crate) fn key_space(&self) -> usize {
        self.radix.iter().product()
    }

    /// Internal width of one unit's counts.
    pub(crate) fn width(&self) -> usize {
        self.combos * CE_SLOTS
    }
}

/// Accumulators over the user key space, reused from unit to unit.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    n: Vec<u64>,
    migrants: Vec<u64>,
    mask: Vec<u64>,
    touched: Vec<u32>,
}

/// Measures of one cell before disclosure control.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cell {
    pub(crate) n: u64,
    pub(crate) migrants: u64,
    pub(crate) mask: u64,
}

impl Cell {
    pub(crate) fn components(&self) -> u32 {
        (self.mask & COMPONENTS).count_ones()
    }
}

impl Shape {
    /// The total and the non-zero cells (user key, measures) of one unit's internal
    /// counts `v` (length [`Shape::width`]), cells in key order.
    pub(crate) fn cells(
        &self,
        v: &[u32],
        scratch: &mut Scratch,
        out: &mut Vec<(u64, Cell)>,
    ) -> Cell {
        let space = self.key_space();
        if scratch.n.len() < space {
            scratch.n = vec![0; space];
            scratch.migrants = vec![0; space];
            scratch.mask = vec![0; space];
        }
        out.clear();
        if self.combos == 1 && self.cat_stride.is_none() {
            return self.cells_by_ethnicity(v, out);
        }
        let mut total = Cell::default();
        let mut digits = vec![0usize; self.extra_radix.len()];
        for c in 0..self.combos {
            // Decode c (mixed radix, first extra most significant).
            let mut rest = c;
            for j in (0..digits.len()).rev() {
                digits[j] = rest % self.extra_radix[j];
                rest /= self.extra_radix[j];
            }
            let base: usize = digits
                .iter()
                .zip(&self.extra_stride)
                .map(|(d, s)| d * s)
                .sum();
            let row = &v[c * CE_SLOTS..(c + 1) * CE_SLOTS];
            for (ce, &x) in row.iter().enumerate() {
                if x == 0 || !self.allowed[ce] {
                    continue;
                }
                let (cat, eth) = (ce / ETH_SLOTS, ce % ETH_SLOTS);
                let key = base
                    + self.cat_stride.map_or(0, |s| s * cat)
                    + self.eth_stride.map_or(0, |s| s * eth);
                let x = u64::from(x);
                let mig = if cat == 1 { x } else { 0 };
                total.n += x;
                total.migrants += mig;
                total.mask |= 1 << eth;
                if scratch.n[key] == 0 {
                    scratch.touched.push(key as u32);
                }
                scratch.n[key] += x;
                scratch.migrants[key] += mig;
                scratch.mask[key] |= 1 << eth;
            }
        }
        if space <= 1024 {
            // Small key spaces: walking them in order beats sorting the touched keys.
            scratch.touched.clear();
            scratch
                .touched
                .extend((0..space as u32).filter(|k| scratch.n[*k as usize] != 0));
        } else {
            scratch.touched.sort_unstable();
        }
        for &k in &scratch.touched {
            let k = k as usize;
            out.push((
                k as u64,
                Cell {
                    n: scratch.n[k],
                    migrants: scratch.migrants[k],
                    mask: scratch.mask[k],
                },
            ));
            scratch.n[k] = 0;
            scratch.migrants[k] = 0;
            scratch.mask[k] = 0;
        }
        scratch.touched.clear();
        total
    }

    /// [`Shape::cells`] when the only key is ethnicity (or there is none): one pass
    /// over the ethnicity slots, cells come out in order.
    fn cells_by_ethnicity(&self, v: &[u32], out: &mut Vec<(u64, Cell)>) -> Cell {
        let mut total = Cell::default();
        for eth in 0..ETH_SLOTS {
            let r = if self.allowed[eth] { v[eth] } else { 0 };
            let m = if self.allowed[ETH_SLOTS + eth] {
                v[ETH_SLOTS + eth]
            } else {
                0
            };
            if r | m == 0 {
                continue;
            }
            let cell = Cell {
                n: u64::from(r) + u64::from(m),
                migrants: u64::from(m),
                mask: 1 << eth,
            };
            total.n += cell.n;
            total.migrants += cell.migrants;
            total.mask |= cell.mask;
            if let Some(s) = self.eth_stride {
                out.push(((eth * s) as u64, cell));
            }
        }
        total
    }

    /// Splits a user key into one value index per key column.
    pub(crate) fn decode(&self, key: u64, into: &mut [u32]) {
        if let [only] = into {
            *only = key as u32;
            return;
        }
        let mut rest = key as usize;
        for i in (0..self.radix.len()).rev() {
            into[i] = (rest % self.radix[i]) as u32;
            rest /= self.radix[i];
        }
    }

    /// Joins one value index per key column into a user key.
    pub(crate) fn encode(&self, keys: &[u32]) -> usize {
        keys.iter()
            .zip(&self.radix)
            .fold(0, |acc, (k, r)| acc * r + *k as usize)
    }

    /// Number of key columns.
    pub(crate) fn columns(&self) -> usize {
        self.radix.len()
    }
}
