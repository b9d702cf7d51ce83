//! Importing units from CSV in the layout `gen_population.py` writes to units.csv
//! (`code, name, level, parent_code, valid_from, valid_to`, keyed by code + valid_from,
//! optional `managing_parent_code`), plus an optional reorganisations CSV
//! (`date, event, from_codes, to_codes`) that records lineage.
//!
//! Consecutive rows of one code become one unit; where the name or parent changes
//! between them, a rename or move event is recorded. Bad rows are reported with their
//! row number and never abort the file; the good rows commit in one transaction.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::facts::{Fact, Hierarchy, ReorgKind, UnitKind};
use super::{TxId, UnitId};
use crate::error::{Error, Result, Warning};
use crate::ingest::{RowProblem, Table};
use crate::registry::Batch;
use crate::Registry;

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UnitImportOptions {
    /// Path of the units CSV (UTF-8).
    pub path: String,
    /// Path of an optional reorganisations CSV (`date, event, from_codes, to_codes`).
    #[serde(default)]
    pub reorganisations: Option<String>,
    /// Validate and report without writing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ImportReport {
    /// The transaction the import recorded (`None` for a dry run or when nothing was written).
    pub transaction: Option<TxId>,
    /// Data rows read (both files).
    pub rows_read: usize,
    /// Units created.
    pub units_created: usize,
    /// Units already in the registry with the same code and start (left as they are).
    pub units_unchanged: usize,
    /// Rename, move and lineage events recorded.
    pub events: usize,
    /// Rejected rows; every other row was kept.
    pub rejected: Vec<RowProblem>,
    /// Warnings (data on the result; never printed).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone)]
struct UnitRow {
    row: usize,
    code: String,
    name: String,
    kind: UnitKind,
    parent: Option<String>,
    managing: Option<String>,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

const UNIT_COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["code", "代码", "区划代码", "单位代码"]),
    ("name", &["name", "名称", "单位名称"]),
    ("level", &["level", "kind", "层级", "级别", "类型"]),
    ("parent_code", &["parent_code", "上级代码", "上级"]),
    (
        "valid_from",
        &["valid_from", "起始日期", "开始日期", "设立日期"],
    ),
    (
        "valid_to",
        &["valid_to", "终止日期", "结束日期", "撤销日期"],
    ),
    (
        "managing_parent_code",
        &["managing_parent_code", "管理上级代码"],
    ),
];

const REORG_COLUMNS: &[(&str, &[&str])] = &[
    ("date", &["date", "日期"]),
    ("event", &["event", "事件", "类型"]),
    ("from_codes", &["from_codes", "from", "原单位代码"]),
    ("to_codes", &["to_codes", "to", "新单位代码"]),
    ("note", &["note", "备注", "文号"]),
];

fn parse_row(
    t: &Table,
    line: usize,
    rec: &csv::StringRecord,
) -> std::result::Result<UnitRow, Box<RowProblem>> {
    let bad = |col: &str, value: Option<&str>, code: &str, reason: String| {
        Box::new(t.problem(line, col, value, code, reason))
    };
    let date = |col: &str| match t.get(rec, col) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                bad(
                    col,
                    Some(v),
                    "unit.bad_date",
                    format!("{v:?} is not a date (YYYY-MM-DD)"),
                )
            }),
    };
    let code = t
        .get(rec, "code")
        .ok_or_else(|| bad("code", None, "unit.missing", "the code is empty".into()))?;
    let name = t
        .get(rec, "name")
        .ok_or_else(|| bad("name", None, "unit.missing", "the name is empty".into()))?;
    let from = date("valid_from")?.ok_or_else(|| {
        bad(
            "valid_from",
            None,
            "unit.missing",
            "valid_from is empty".into(),
        )
    })?;
    let to = date("valid_to")?;
    if to.is_some_and(|t| t <= from) {
        return Err(bad(
            "valid_to",
            t.get(rec, "valid_to"),
            "unit.bad_interval",
            format!("valid_to is not after valid_from {from}"),
        ));
    }
    Ok(UnitRow {
        row: line,
        code: super::queries::normalise_code(code),
        name: name.to_owned(),
        kind: UnitKind::parse(t.get(rec, "level").unwrap_or("unit")),
        parent: t
            .get(rec, "parent_code")
            .map(super::queries::normalise_code),
        managing: t
            .get(rec, "managing_parent_code")
            .map(super::queries::normalise_code),
        from,
        to,
    })
}

/// One unit to create: contiguous rows of one code.
struct Group {
    rows: Vec<UnitRow>,
}

impl Group {
    fn from(&self) -> NaiveDate {
        self.rows[0].from
    }
    fn to(&self) -> Option<NaiveDate> {
        self.rows.last().and_then(|r| r.to)
    }
    fn code(&self) -> &str {
        &self.rows[0].code
    }
}

/// Splits each code's rows (sorted by start) into groups of contiguous rows; overlapping
/// rows are rejected.
fn group_rows(t: &Table, rows: Vec<UnitRow>, report: &mut ImportReport) -> Vec<Group> {
    let mut by_code: BTreeMap<String, Vec<UnitRow>> = BTreeMap::new();
    for r in rows {
        by_code.entry(r.code.clone()).or_default().push(r);
    }
    let mut groups = Vec::new();
    for (_, mut rows) in by_code {
        rows.sort_by_key(|r| (r.from, r.row));
        let mut current: Vec<UnitRow> = Vec::new();
        for r in rows {
            if let Some(prev) = current.last() {
                let overlap = match prev.to {
                    None => Some(format!(
                        "code {} is already valid from {} (row {}) with no end",
                        r.code, prev.from, prev.row
                    )),
                    Some(end) if r.from < end => Some(format!(
                        "code {} overlaps row {} (valid until {end})",
                        r.code, prev.row
                    )),
                    _ => None,
                };
                if let Some(reason) = overlap {
                    let from = r.from.to_string();
                    report.rejected.push(t.problem(
                        r.row,
                        "valid_from",
                        Some(&from),
                        "unit.overlap",
                        reason,
                    ));
                    continue;
                }
                if let Some(end) = prev.to.filter(|end| r.from > *end) {
                    report.warnings.push(Warning::new(
                        "unit.gap",
                        format!(
                            "code {} is unused from {end} to {}; row {} starts a new unit",
                            r.code, r.from, r.row
                        ),
                    ));
                    groups.push(Group {
                        rows: std::mem::take(&mut current),
                    });
                }
            }
            current.push(r);
        }
        if !current.is_empty() {
            groups.push(Group { rows: current });
        }
    }
    groups
}

impl Registry {
    /// Imports units (and optionally reorganisation lineage) from CSV. Bad rows are
    /// reported and skipped; everything else commits in one transaction.
    pub fn import_units(&self, opts: &UnitImportOptions) -> Result<ImportReport> {
        let units = Table::read(&opts.path, UNIT_COLUMNS, &["code", "name", "valid_from"])?;
        let reorgs = opts
            .reorganisations
            .as_deref()
            .map(|p| {
                Table::read(
                    p,
                    REORG_COLUMNS,
                    &["date", "event", "from_codes", "to_codes"],
                )
            })
            .transpose()?;
        let mut report = ImportReport {
            rows_read: units.rows.len() + reorgs.as_ref().map_or(0, |r| r.rows.len()),
            ..ImportReport::default()
        };
        let mut rows = Vec::new();
        for (line, rec) in &units.rows {
            match parse_row(&units, *line, rec) {
                Ok(r) => rows.push(r),
                Err(p) => report.rejected.push(*p),
            }
        }
        let groups = group_rows(&units, rows, &mut report);
        let label = format!("import units {}", units.file);
        let dry_run = opts.dry_run;
        let result = self.write_batch_inner(Some(&label), dry_run, |b| {
            create_groups(b, &units, groups, &mut report)?;
            if let Some(t) = &reorgs {
                record_lineage(b, t, &mut report)?;
            }
            Ok(b.transaction())
        })?;
        let wrote = report.units_created + report.events > 0;
        report.transaction = (!dry_run && wrote).then_some(result);
        report
            .rejected
            .sort_by(|a, b| (&a.file, a.row).cmp(&(&b.file, b.row)));
        Ok(report)
    }
}

/// Resolves a code to the unit carrying it over all of `[from, to)`.
fn resolve_code(
    b: &Batch<'_>,
    code: &str,
    from: NaiveDate,
    to: Option<NaiveDate>,
) -> Option<UnitId> {
    let u = b.network().find_by_code(code, from).ok()?;
    match b.network().fact(u) {
        Some(Fact::Unit { valid, .. }) if valid.covers(&crate::time::Interval { from, to }) => {
            Some(u)
        }
        _ => None,
    }
}

/// Whether every parent code of the row resolves over the row's interval.
fn row_ready(b: &Batch<'_>, r: &UnitRow) -> bool {
    [&r.parent, &r.managing]
        .into_iter()
        .flatten()
        .all(|p| resolve_code(b, p, r.from, r.to).is_some())
}

fn orphan(t: &Table, b: &Batch<'_>, r: &UnitRow) -> RowProblem {
    let (col, code) = if r
        .parent
        .as_ref()
        .is_some_and(|p| resolve_code(b, p, r.from, r.to).is_none())
    {
        ("parent_code", r.parent.as_deref())
    } else {
        ("managing_parent_code", r.managing.as_deref())
    };
    t.problem(
        r.row,
        col,
        code,
        "unit.orphan",
        format!(
            "no unit has code {} over [{}, {})",
            code.unwrap_or_default(),
            r.from,
            r.to.map(|d| d.to_string()).unwrap_or_else(|| "…".into())
        ),
    )
}

/// Creates units parents first. When nothing more can be created, rows whose parent
/// code nobody in the registry or the file carries are rejected (with the rows of the
/// same code after them), and the rest is tried again.
fn create_groups(
    b: &mut Batch<'_>,
    t: &Table,
    groups: Vec<Group>,
    report: &mut ImportReport,
) -> Result<()> {
    let mut pending = groups;
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        for g in pending {
            if g.rows.iter().all(|r| row_ready(b, r)) {
                create_group(b, t, &g, report)?;
            } else {
                waiting.push(g);
            }
        }
        pending = waiting;
        if pending.len() < before {
            continue;
        }
        let waiting_codes: std::collections::HashSet<String> =
            pending.iter().map(|g| g.code().to_owned()).collect();
        let mut trimmed = false;
        let mut kept = Vec::new();
        for mut g in pending {
            let cut = g.rows.iter().position(|r| {
                !row_ready(b, r)
                    && [&r.parent, &r.managing].into_iter().flatten().any(|p| {
                        !waiting_codes.contains(p) && resolve_code(b, p, r.from, r.to).is_none()
                    })
            });
            if let Some(i) = cut {
                trimmed = true;
                let rest = g.rows.split_off(i);
                report.rejected.push(orphan(t, b, &rest[0]));
                for r in &rest[1..] {
                    report.rejected.push(t.problem(
                        r.row,
                        "code",
                        Some(&r.code),
                        "unit.after_rejected",
                        format!("follows rejected row {} of the same code", rest[0].row),
                    ));
                }
            }
            if !g.rows.is_empty() {
                kept.push(g);
            }
        }
        if !trimmed {
            // Parents that only wait on each other: a cycle in the file.
            for g in &kept {
                for r in &g.rows {
                    report.rejected.push(orphan(t, b, r));
                }
            }
            break;
        }
        pending = kept;
    }
    Ok(())
}

/// Consecutive equal values of a row attribute as (value, interval) segments.
fn segments<T: PartialEq + Clone>(
    rows: &[UnitRow],
    value: impl Fn(&UnitRow) -> T,
) -> Vec<(T, crate::time::Interval)> {
    let mut out: Vec<(T, crate::time::Interval)> = Vec::new();
    for r in rows {
        let v = value(r);
        match out.last_mut() {
            Some((last, span)) if *last == v => span.to = r.to,
            _ => out.push((
                v,
                crate::time::Interval {
                    from: r.from,
                    to: r.to,
                },
            )),
        }
    }
    out
}

fn create_group(b: &mut Batch<'_>, t: &Table, g: &Group, report: &mut ImportReport) -> Result<()> {
    let first = &g.rows[0];
    // Idempotence: a unit with this code starting on the same day is the same unit.
    if let Ok(u) = b.network().find_by_code(g.code(), g.from()) {
        if matches!(b.network().fact(u), Some(Fact::Unit { valid, .. }) if valid.from == g.from()) {
            report.units_unchanged += 1;
            return Ok(());
        }
    }
    let mut parents = Vec::new();
    for (h, col) in [(Hierarchy::Legal, 0), (Hierarchy::Managing, 1)] {
        for (code, span) in segments(&g.rows, |r| {
            if col == 0 {
                r.parent.clone()
            } else {
                r.managing.clone()
            }
        }) {
            if let Some(code) = code {
                match resolve_code(b, &code, span.from, span.to) {
                    Some(p) => parents.push((h, p, span)),
                    None => {
                        report.rejected.push(orphan(t, b, first));
                        return Ok(());
                    }
                }
            }
        }
    }
    let spec = super::writes::UnitHistory {
        kind: first.kind.clone(),
        valid: crate::time::Interval {
            from: g.from(),
            to: g.to(),
        },
        names: segments(&g.rows, |r| r.name.clone()),
        code: Some(first.code.clone()),
        parents,
    };
    let id = match b.add_unit_history(spec) {
        Ok(id) => id,
        Err(e @ (Error::AccessDenied { .. } | Error::Storage(_) | Error::Internal(_))) => {
            return Err(e)
        }
        Err(e) => {
            report.rejected.push(t.problem(
                first.row,
                "code",
                Some(&first.code),
                "unit.rejected",
                e.to_string(),
            ));
            return Ok(());
        }
    };
    report.units_created += 1;
    // Lineage for the changes between consecutive rows.
    for pair in g.rows.windows(2) {
        let (prev, r) = (&pair[0], &pair[1]);
        let kinds = [
            (r.name != prev.name, ReorgKind::Rename),
            (
                r.parent != prev.parent || r.managing != prev.managing,
                ReorgKind::Move,
            ),
        ];
        for (changed, kind) in kinds {
            if changed {
                b.record_lineage(kind, r.from, vec![id], vec![id], None)?;
                report.events += 1;
            }
        }
    }
    Ok(())
}

fn record_lineage(b: &mut Batch<'_>, t: &Table, report: &mut ImportReport) -> Result<()> {
    for (line, rec) in &t.rows {
        let line = *line;
        let date_s = t.get(rec, "date").unwrap_or_default();
        let Ok(date) = NaiveDate::parse_from_str(date_s, "%Y-%m-%d") else {
            report.rejected.push(t.problem(
                line,
                "date",
                Some(date_s),
                "reorg.bad_date",
                format!("{date_s:?} is not a date (YYYY-MM-DD)"),
            ));
            continue;
        };
        let ev = t.get(rec, "event").unwrap_or_default();
        let Some(kind) = ReorgKind::parse(ev) else {
            report.rejected.push(t.problem(
                line,
                "event",
                Some(ev),
                "reorg.bad_event",
                format!("unknown event {ev:?} (merge, split, recode, rename, move, close, open)"),
            ));
            continue;
        };
        let before = date.pred_opt().unwrap_or(date);
        let mut resolve = |col: &str, on: NaiveDate| -> Option<Vec<UnitId>> {
            let raw = t.get(rec, col).unwrap_or_default();
            let mut out = Vec::new();
            for c in raw
                .split([';', '|', ' ', '；', '、'])
                .filter(|s| !s.is_empty())
            {
                match b.network().find_by_code(c, on) {
                    Ok(u) => out.push(u),
                    Err(e) => {
                        report.rejected.push(t.problem(
                            line,
                            col,
                            Some(c),
                            "reorg.unknown_code",
                            e.to_string(),
                        ));
                        return None;
                    }
                }
            }
            Some(out)
        };
        let (Some(from), Some(to)) = (resolve("from_codes", before), resolve("to_codes", date))
        else {
            continue;
        };
        b.record_lineage(kind, date, from, to, t.get(rec, "note").map(str::to_owned))?;
        report.events += 1;
    }
    Ok(())
}

impl Batch<'_> {
    /// Records lineage only (the structural changes are already in the record, as when a
    /// units file carries them row by row).
    pub fn record_lineage(
        &mut self,
        kind: ReorgKind,
        date: NaiveDate,
        predecessors: Vec<UnitId>,
        successors: Vec<UnitId>,
        note: Option<String>,
    ) -> Result<UnitId> {
        for u in predecessors.iter().chain(&successors) {
            self.require_writable(*u)?;
        }
        self.insert(Fact::Reorganisation {
            kind,
            date,
            predecessors,
            successors,
            note,
        })
    }
}
