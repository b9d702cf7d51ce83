//! Reporting upward (逐级上报): a query's unsuppressed counts as a mergeable table, and
//! disclosure control applied to a merged one.
//!
//! A cube file is CSV with the columns `code_path` (the unit codes from the root, joined
//! by `/`), `level`, `name`, one column per key (the value code; empty on a unit's
//! total row) and `headcount`. Cubes from several registries (two cities of a province)
//! merge by summing `headcount` grouped by every other column but `name`; the merged
//! cube is then protected with [`protect_cube`] before it is published.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::geography::UnitInfo;
use super::query::{Dimension, PopulationQuery, ShareUnit};
use super::table::{dimension_values, CellStatus, Table, TOTAL};
use super::DEFAULT_AGE_BANDS;
use crate::access::Role;
use crate::error::{Error, Result};
use crate::network::Hierarchy;
use crate::registry::View;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CubeReport {
    /// The file written.
    pub path: String,
    /// Rows written (header excluded).
    pub rows: usize,
    /// The transaction the counts reflect.
    pub transaction: i64,
}

impl View {
    /// 上报数据 — writes `q`'s counts, unsuppressed, as a cube to `path`. Only
    /// administrators and operators report upward; the cube holds small counts, so it
    /// is for the level above, not for publication.
    pub fn export_cube(&self, q: &PopulationQuery, path: &str) -> Result<CubeReport> {
        let p = self.registry().principal();
        if !matches!(p.role, Role::Administrator | Role::Operator) {
            return Err(
                p.denied("only administrators and operators export cubes for reporting upward")
            );
        }
        let mut q = q.clone();
        q.k = Some(1);
        q.publish = false;
        let t = self.population(&q)?;
        let text = cube_csv(&t);
        std::fs::write(path, text.as_bytes()).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(CubeReport {
            path: path.to_owned(),
            rows: t.len(),
            transaction: t.transaction,
        })
    }
}

/// The code path of each unit of a table (codes from the table's root down).
fn code_paths(t: &Table) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(t.units.len());
    for u in &t.units {
        let own = u.code.clone().unwrap_or_else(|| format!("id{}", u.id));
        let path = match u.parent {
            Some(p) => format!("{}/{own}", out[p as usize]),
            None => own,
        };
        out.push(path);
    }
    out
}

fn cube_csv(t: &Table) -> String {
    let paths = code_paths(t);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut header = vec!["code_path".to_owned(), "level".into(), "name".into()];
    header.extend(t.dimensions.iter().map(|d| d.dimension.label().to_owned()));
    header.push("headcount".into());
    let _ = w.write_record(&header);
    for i in 0..t.len() {
        let u = t.unit[i] as usize;
        let mut rec = vec![
            paths[u].clone(),
            t.units[u].level.clone(),
            t.units[u].name.clone(),
        ];
        for (d, col) in t.dimensions.iter().zip(&t.keys) {
            rec.push(if col[i] == TOTAL {
                String::new()
            } else {
                d.codes[col[i] as usize].clone()
            });
        }
        rec.push(t.headcount[i].unwrap_or(0).to_string());
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Reads a cube (one registry's, or a merge of several) and applies disclosure control
/// with minimum cell size `k`: the same protection a registry applies to its own tables.
/// Rows come back in the registries' order (units by code path, totals first). The
/// table has no period end and its units have no registry ids: they are numbered -1,
/// -2, … in that order (codes and code paths identify them).
pub fn protect_cube(path: &str, k: u32, publish_zeros: bool) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let text =
        String::from_utf8(bytes).map_err(|_| Error::invalid(path, "a cube file is UTF-8 text"))?;
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| Error::invalid(path, format!("unreadable header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(cp), Some(lv), Some(hc)) = (col("code_path"), col("level"), col("headcount")) else {
        return Err(Error::invalid(
            path,
            "a cube needs the columns code_path, level and headcount",
        ));
    };
    let name_col = col("name");
    let dims: Vec<(Dimension, usize)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            serde_json::from_value::<Dimension>(serde_json::Value::String(h.clone()))
                .ok()
                .map(|d| (d, i))
        })
        .collect();
    let values: Vec<super::table::DimensionValues> = dims
        .iter()
        .map(|(d, _)| dimension_values(*d, DEFAULT_AGE_BANDS))
        .collect();
    // (code path, keys with totals first) → (keys, level, name, headcount), in the order
    // a registry lists its tables: units in pre-order by code, totals first.
    type Row = (Vec<u32>, String, String, u64);
    let mut rows: BTreeMap<(String, Vec<u64>), Row> = BTreeMap::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::invalid(path, format!("row {}: {e}", line + 2)))?;
        let get = |i: usize| rec.get(i).unwrap_or_default().trim();
        let mut keys = Vec::with_capacity(dims.len());
        for ((d, i), v) in dims.iter().zip(&values) {
            let code = get(*i);
            keys.push(if code.is_empty() {
                TOTAL
            } else {
                v.codes.iter().position(|c| c == code).ok_or_else(|| {
                    Error::invalid(
                        path,
                        format!("row {}: {code:?} is not a value of {}", line + 2, d.label()),
                    )
                })? as u32
            });
        }
        let n: u64 = get(hc).parse().map_err(|_| {
            Error::invalid(
                path,
                format!("row {}: headcount {:?} is not a count", line + 2, get(hc)),
            )
        })?;
        let name = name_col.map(|i| get(i).to_owned()).unwrap_or_default();
        let order: Vec<u64> = keys
            .iter()
            .map(|k| if *k == TOTAL { 0 } else { u64::from(*k) + 1 })
            .collect();
        let e = rows
            .entry((get(cp).to_owned(), order))
            .or_insert_with(|| (keys, get(lv).to_owned(), name, 0));
        e.3 += n;
    }
    // A cube carries no date: the table has no period end (rendered as null).
    let mut t = Table::with_header(
        0,
        Hierarchy::Legal,
        None,
        Vec::new(),
        Some(k),
        ShareUnit::Permille,
        values,
    );
    let mut unit_of: HashMap<String, u32> = HashMap::new();
    for ((code_path, _), (keys, level, name, n)) in rows {
        let u = match unit_of.get(&code_path) {
            Some(u) => *u,
            None => {
                let parent = code_path
                    .rsplit_once('/')
                    .and_then(|(p, _)| unit_of.get(p).copied());
                let code = code_path.rsplit('/').next().unwrap_or_default().to_owned();
                // A cube knows codes, not registry ids: units are numbered -1, -2, …
                t.units.push(UnitInfo {
                    id: -(t.units.len() as i64) - 1,
                    code: Some(code),
                    name: name.clone(),
                    level_zh: crate::network::UnitKind::parse(&level).name_zh().to_owned(),
                    level,
                    path: code_path.clone(),
                    depth: code_path.matches('/').count() as u32,
                    parent,
                });
                let u = t.units.len() as u32 - 1;
                unit_of.insert(code_path, u);
                u
            }
        };
        t.period.push(0);
        t.unit.push(u);
        for (c, k) in t.keys.iter_mut().zip(&keys) {
            c.push(*k);
        }
        t.headcount.push(Some(n));
        t.components.push(None);
        t.migrant_share.push(None);
        t.population.push(None);
        t.share.push(None);
        t.status.push(CellStatus::Published);
        t.split.push(false);
    }
    super::disclosure::protect(&mut t, k, publish_zeros);
    Ok(t)
}

/// 概况 — a unit's headline figures on a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The unit.
    pub unit: crate::network::UnitId,
    /// Its code then.
    pub code: Option<String>,
    /// Its name then.
    pub name: String,
    /// Its level.
    pub level: String,
    /// The date.
    pub as_of: chrono::NaiveDate,
    /// Residents (`None` when suppressed).
    pub headcount: Option<u64>,
    /// Distinct ethnic components.
    pub components: Option<u32>,
    /// Total population from the denominator table.
    pub population: Option<u64>,
    /// Share of the total population.
    pub share: Option<f64>,
    /// Unit of `share`.
    pub share_unit: ShareUnit,
    /// Migrants' share (0–1).
    pub migrant_share: Option<f64>,
    /// Disclosure status of the headcount.
    pub status: CellStatus,
    /// The minimum cell size applied.
    pub k: Option<u32>,
    /// Notes (missing denominators …).
    pub notes: Vec<String>,
}

impl View {
    /// 概况 — headcount, ethnic components and share of `unit` on `as_of` (the
    /// registry's today by default), with the query's denominators and k.
    pub fn summary(&self, unit: crate::network::UnitId, q: &PopulationQuery) -> Result<Summary> {
        let mut q = q.clone();
        q.under = Some(unit);
        q.by = Vec::new();
        let t = self.population(&q)?;
        let i = t
            .find(unit, &[])
            .ok_or_else(|| Error::not_found(format!("unit {unit} on the date asked")))?;
        let u = &t.units[t.unit[i] as usize];
        Ok(Summary {
            unit,
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level.clone(),
            as_of: t.periods[0],
            headcount: t.headcount[i],
            components: t.components[i],
            population: t.population.get(i).copied().flatten(),
            share: t.share.get(i).copied().flatten(),
            share_unit: t.share_unit,
            migrant_share: t.migrant_share[i],
            status: t.status[i],
            k: t.k,
            notes: t.notes.clone(),
        })
    }
}
