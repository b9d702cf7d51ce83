//! Aggregate inputs (汇总数据): tables of unit × ethnicity × reference date → count, such
//! as census results (人口普查) or a household-register extract (户籍人口统计). They are
//! queried through the same population API (`source`), alone or as the denominators of
//! shares.
//!
//! File layout (CSV or XLSX, Chinese or English headers, title rows allowed):
//! `单位代码`/`unit` (a division code, or a name path such as `苏州市/姑苏区`),
//! `民族`/`ethnicity` (any notation; blank, `合计`, `总计`, `全部`, `all` or `total` =
//! everyone), `日期`/`date` (the reference date, e.g. `2020-11-01`) and `人数`/`count`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::codes::Ethnicity;
use crate::error::{Error, Result, Warning};
use crate::ingest::{read_table, Encoding, Format, ReadOptions, RowProblem, SheetSelection};
use crate::network::{Hierarchy, Network, TxId, UnitId};
use crate::registry::Registry;

/// Header spellings of an aggregate table.
pub const AGGREGATE_FIELDS: &[(&str, &[&str])] = &[
    (
        "unit",
        &[
            "单位代码",
            "区划代码",
            "行政区划代码",
            "单位",
            "地区",
            "unit",
            "unit_code",
            "code",
        ],
    ),
    ("ethnicity", &["民族", "民族成份", "ethnicity"]),
    (
        "date",
        &[
            "日期",
            "统计日期",
            "参考日期",
            "标准时点",
            "date",
            "ref_date",
        ],
    ),
    (
        "count",
        &["人数", "人口数", "人口", "总人口", "count", "population"],
    ),
];

/// The kind of table whose totals serve as denominators.
pub const POPULATION_KIND: &str = "population";

fn default_kind() -> String {
    POPULATION_KIND.to_owned()
}

/// How to import an aggregate table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateImportOptions {
    /// The file (CSV or XLSX).
    pub path: String,
    /// The table's name (a re-import under the same name replaces what changed);
    /// default: the file's name without its extension. A blank name is refused.
    #[serde(default)]
    pub name: Option<String>,
    /// `population` (the default: each unit's total population, used as denominators)
    /// or any other label (`census`, `household_register` …).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// The format; default from the extension.
    #[serde(default)]
    pub format: Option<Format>,
    /// The text encoding of a CSV.
    #[serde(default)]
    pub encoding: Encoding,
    /// Which sheets (XLSX).
    #[serde(default)]
    pub sheet: SheetSelection,
    /// The header row, if not detected.
    #[serde(default)]
    pub header_row: Option<usize>,
    /// Header → field overrides (`unit`, `ethnicity`, `date`, `count`).
    #[serde(default, deserialize_with = "crate::ingest::pairs_or_map")]
    pub mapping: Vec<(String, String)>,
    /// Validate and report without writing.
    #[serde(default)]
    pub dry_run: bool,
}

impl AggregateImportOptions {
    /// Options for `path` under `name`, kind `population`.
    pub fn new(path: impl Into<String>, name: impl Into<String>) -> AggregateImportOptions {
        AggregateImportOptions {
            path: path.into(),
            name: Some(name.into()),
            kind: default_kind(),
            format: None,
            encoding: Encoding::Auto,
            sheet: SheetSelection::First,
            header_row: None,
            mapping: Vec::new(),
            dry_run: false,
        }
    }
}

/// What an aggregate import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AggregateImportReport {
    /// The transaction recorded (`None`: dry run or nothing changed).
    pub transaction: Option<TxId>,
    /// Data rows read.
    pub rows_read: usize,
    /// Counts stored new or changed.
    pub stored: usize,
    /// Counts already stored with the same value.
    pub unchanged: usize,
    /// Rejected rows (every other row was kept).
    pub rejected: Vec<RowProblem>,
    /// Warnings (legacy notations and the like).
    pub warnings: Vec<Warning>,
}

/// One count: (unit, ethnicity number or 0 = everyone, reference day) → count.
type Key = (UnitId, u8, i64);

fn is_total(s: &str) -> bool {
    matches!(
        s.trim().to_lowercase().as_str(),
        "" | "合计" | "总计" | "全部" | "小计" | "all" | "total" | "总人口"
    )
}

fn problem(
    file: &str,
    row: usize,
    column: Option<&str>,
    value: &str,
    code: &str,
    reason: String,
) -> RowProblem {
    RowProblem {
        file: file.to_owned(),
        row,
        column: column.map(str::to_owned),
        value: Some(value.to_owned()),
        code: code.to_owned(),
        reason,
    }
}

/// The unit named by a code or a name path on `date`.
fn resolve_unit(net: &Network, text: &str, date: NaiveDate) -> Result<UnitId> {
    if text.chars().all(|c| c.is_ascii_digit()) {
        net.find_by_code(text, date)
    } else {
        net.find_by_path(text, date, &Hierarchy::Legal)
    }
}

impl Registry {
    /// Imports an aggregate table (see the module docs). Bad rows are reported and
    /// skipped; the rest commits in one transaction. Re-importing the same file changes
    /// nothing; a changed count supersedes the stored one (the old stays readable).
    pub fn import_aggregates(
        &self,
        opts: &AggregateImportOptions,
    ) -> Result<AggregateImportReport> {
        let stem = std::path::Path::new(&opts.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match &opts.name {
            None => stem.trim().to_owned(),
            Some(n) => n.trim().to_owned(),
        };
        if name.is_empty() {
            return Err(Error::invalid("aggregate import", "the table needs a name"));
        }
        let read = ReadOptions {
            format: opts.format,
            encoding: opts.encoding,
            sheet: opts.sheet.clone(),
            header_row: opts.header_row,
            mapping: opts.mapping.clone(),
        };
        let sheets = read_table(&opts.path, AGGREGATE_FIELDS, &read)?;
        let mut report = AggregateImportReport::default();
        let view = self.view()?;
        let net = view.network();
        let mut counts: BTreeMap<Key, (i64, usize)> = BTreeMap::new();
        for sheet in &sheets {
            sheet.require(&["unit", "date", "count"])?;
            report.warnings.extend(sheet.warnings.iter().cloned());
            for rec in &sheet.rows {
                report.rows_read += 1;
                let col = |f: &str| sheet.column_of(f);
                let get = |f: &str| sheet.get(rec, f).unwrap_or_default();
                let fail = |f: &str, code: &str, reason: String| {
                    problem(&sheet.file, rec.row, col(f), get(f), code, reason)
                };
                let date = match crate::time::parse_date("date", get("date")) {
                    Ok(d) => d,
                    Err(_) => {
                        report.rejected.push(fail(
                            "date",
                            "aggregate.bad_date",
                            "not a date".into(),
                        ));
                        continue;
                    }
                };
                let unit = match resolve_unit(net, get("unit"), date) {
                    Ok(u) => u,
                    Err(e) => {
                        report.rejected.push(fail(
                            "unit",
                            "aggregate.unknown_unit",
                            format!("no such unit on {date}: {e}"),
                        ));
                        continue;
                    }
                };
                if !view.scope().covers(unit) {
                    report.rejected.push(fail(
                        "unit",
                        "aggregate.out_of_scope",
                        "the unit is outside the principal's scope".into(),
                    ));
                    continue;
                }
                let eth_text = get("ethnicity");
                let ethnicity = if is_total(eth_text) {
                    0
                } else {
                    match Ethnicity::parse(eth_text) {
                        Ok(p) => {
                            report.warnings.extend(p.warnings.iter().cloned());
                            p.value.number()
                        }
                        Err(e) => {
                            report.rejected.push(fail(
                                "ethnicity",
                                "aggregate.bad_ethnicity",
                                e.to_string(),
                            ));
                            continue;
                        }
                    }
                };
                let count = match get("count").replace([',', '，'], "").parse::<i64>() {
                    Ok(n) if n >= 0 => n,
                    _ => {
                        report.rejected.push(fail(
                            "count",
                            "aggregate.bad_count",
                            "not a whole number of people".into(),
                        ));
                        continue;
                    }
                };
                let key = (unit, ethnicity, crate::register::day(date));
                if let Some((_, first)) = counts.get(&key) {
                    report.rejected.push(fail(
                        "count",
                        "aggregate.duplicate",
                        format!("the same unit, ethnicity and date as row {first}"),
                    ));
                    continue;
                }
                counts.insert(key, (count, rec.row));
            }
        }
        let label = format!("import aggregates {name}");
        let kind = opts.kind.trim().to_owned();
        let tx = self.write_batch_inner(Some(&label), opts.dry_run, |b| {
            for (&(unit, eth, day), &(count, _)) in &counts {
                b.require_writable(unit)?;
                match stored(b.conn, &name, unit, eth, day)? {
                    Some(old) if old == count => {
                        report.unchanged += 1;
                        continue;
                    }
                    Some(_) => {
                        b.conn.execute(
                            "UPDATE aggregate_count SET sys_to = ?1 WHERE name = ?2 AND unit = ?3
                             AND ethnicity = ?4 AND ref_day = ?5 AND sys_to IS NULL",
                            params![b.tx, name, unit, eth, day],
                        )?;
                    }
                    None => {}
                }
                b.conn.execute(
                    "INSERT INTO aggregate_count(name, unit, ethnicity, ref_day, sys_from, count, kind)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![name, unit, eth, day, b.tx, count, kind],
                )?;
                report.stored += 1;
                b.touched.push(unit);
            }
            Ok(b.transaction())
        })?;
        report.transaction = (!opts.dry_run && report.stored > 0).then_some(tx);
        Ok(report)
    }
}

fn stored(conn: &Connection, name: &str, unit: UnitId, eth: u8, day: i64) -> Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT count FROM aggregate_count WHERE name = ?1 AND unit = ?2 AND ethnicity = ?3
             AND ref_day = ?4 AND sys_to IS NULL",
        )?
        .query_row(params![name, unit, eth, day], |r| r.get(0))
        .optional()?)
}

/// The counts of one aggregate table valid on a date: for each unit and ethnicity (0 =
/// everyone), the count at the latest reference date on or before it.
#[derive(Debug, Clone, Default)]
pub(crate) struct AggregateCounts {
    pub(crate) name: String,
    pub(crate) counts: BTreeMap<(UnitId, u8), (NaiveDate, u64)>,
}

/// Reads table `name` (or, without a name, the newest table of kind `population`) as of
/// transaction `at`, for `as_of`. `None` when there is no such table.
pub(crate) fn read_counts(
    conn: &Connection,
    name: Option<&str>,
    as_of: NaiveDate,
    at: TxId,
) -> Result<Option<AggregateCounts>> {
    use rusqlite::OptionalExtension;
    let name: Option<String> = match name {
        Some(n) => conn
            .query_row(
                "SELECT name FROM aggregate_count WHERE name = ?1 AND sys_from <= ?2
                 AND (sys_to IS NULL OR sys_to > ?2) LIMIT 1",
                params![n, at],
                |r| r.get(0),
            )
            .optional()?,
        None => conn
            .query_row(
                "SELECT name FROM aggregate_count WHERE kind = ?1 AND sys_from <= ?2
                 AND (sys_to IS NULL OR sys_to > ?2) ORDER BY sys_from DESC LIMIT 1",
                params![POPULATION_KIND, at],
                |r| r.get(0),
            )
            .optional()?,
    };
    let Some(name) = name else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT unit, ethnicity, ref_day, count FROM aggregate_count
         WHERE name = ?1 AND ref_day <= ?2 AND sys_from <= ?3 AND (sys_to IS NULL OR sys_to > ?3)
         ORDER BY unit, ethnicity, ref_day",
    )?;
    let rows = stmt.query_map(params![name, crate::register::day(as_of), at], |r| {
        Ok((
            r.get::<_, UnitId>(0)?,
            r.get::<_, u8>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut counts = BTreeMap::new();
    for row in rows {
        let (unit, eth, day, n) = row?;
        // Ordered by date: the last one wins.
        counts.insert((unit, eth), (crate::register::date(day), n.max(0) as u64));
    }
    Ok(Some(AggregateCounts { name, counts }))
}
