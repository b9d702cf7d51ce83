//! Importing a residents' ledger (台账): CSV, XLSX or JSON Lines in, a report out.
//!
//! Every good row is kept and every bad row reported (row number as the file shows it,
//! column header as written, the value with ID numbers and phones masked, a stable code,
//! an English and a Chinese message). The batch commits atomically; `dry_run` validates
//! and reports without writing. Re-importing the same file changes nothing.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::keys::{self, KeyMap};
use super::records::NewResident;
use super::writes::{NewRecord, PreparedRows, Writer};
use super::{store, ResidentId};
use crate::access::mask_phone;
use crate::codes::{mask_id_number, Ethnicity};
use crate::error::{Error, Result, Warning};
use crate::ingest::values::{self, ValueProblem};
use crate::ingest::{self, Encoding, Format, ReadOptions, SheetSelection, Skipped};
use crate::network::{Hierarchy, TxId, UnitId};
use crate::registry::{Batch, Checks};
use crate::Registry;

/// How a file relates to what is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Add and update the residents in the file (default).
    #[default]
    Upsert,
    /// The file is complete for `snapshot_unit` as of `snapshot_date`: residents of that
    /// unit missing from it are recorded as departed on that date.
    Snapshot,
}

/// What to do with a row whose resident is already registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Update the resident (default).
    #[default]
    Update,
    /// Leave the resident as registered (counted as skipped).
    Skip,
    /// Reject the row.
    Reject,
}

/// What to import and how.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResidentImportOptions {
    /// The file.
    pub path: String,
    /// Format (default: from the extension).
    pub format: Option<Format>,
    /// Encoding of CSV / JSON Lines (default: detected).
    pub encoding: Encoding,
    /// XLSX sheets (default: the first).
    pub sheet: SheetSelection,
    /// Header row as the file shows it (default: detected below title rows).
    pub header_row: Option<usize>,
    /// Header → field pairs overriding the built-in synonyms.
    #[serde(deserialize_with = "ingest::pairs_or_map")]
    pub mapping: Vec<(String, String)>,
    /// Upsert (default) or snapshot.
    pub mode: ImportMode,
    /// Snapshot mode: the unit the file is complete for.
    pub snapshot_unit: Option<UnitId>,
    /// Snapshot mode: the date it is complete as of.
    pub snapshot_date: Option<NaiveDate>,
    /// Policy for residents already registered.
    pub on_conflict: OnConflict,
    /// Validate and report without writing.
    pub dry_run: bool,
    /// Threads: with 2 (the default), one helper thread reads and validates rows while
    /// the calling thread writes them; 1 keeps everything on the calling thread.
    pub threads: Option<usize>,
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// File name.
    pub file: String,
    /// Sheet (XLSX).
    pub sheet: Option<String>,
    /// Row number as the file shows it.
    pub row: usize,
    /// The column header as written, if one column is at fault.
    pub column: Option<String>,
    /// The value (ID numbers and phones masked).
    pub value: Option<String>,
    /// Stable code.
    pub code: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
}

/// A warning about one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowWarning {
    /// File name.
    pub file: String,
    /// Sheet (XLSX).
    pub sheet: Option<String>,
    /// Row number as the file shows it.
    pub row: usize,
    /// Stable code (`ethnicity.legacy_name`, `id_number.upgraded` …).
    pub code: String,
    /// English message.
    pub message: String,
}

/// A row skipped as not being data (totals, blank rows, notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRow {
    /// File name.
    pub file: String,
    /// Sheet (XLSX).
    pub sheet: Option<String>,
    /// The row and why.
    #[serde(flatten)]
    pub skipped: Skipped,
}

/// How far an import has got (for progress bars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// Data rows processed.
    pub done: usize,
    /// Data rows in all sheets.
    pub total: usize,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ResidentImportReport {
    /// The transaction it recorded (None for a dry run or when nothing changed).
    pub transaction: Option<TxId>,
    /// Data rows read.
    pub rows_read: usize,
    /// New residents.
    pub inserted: usize,
    /// Residents updated.
    pub updated: usize,
    /// Rows that changed nothing.
    pub unchanged: usize,
    /// Rows left alone by `on_conflict = skip`.
    pub skipped_existing: usize,
    /// Residents recorded as departed (snapshot mode).
    pub departed: usize,
    /// Rows matched without an ID number (fallback key: name, birth date, sex, community):
    /// the match is uncertain.
    pub uncertain_matches: Vec<usize>,
    /// Rejected rows.
    pub rejected: Vec<RejectedRow>,
    /// Rows that are not data.
    pub skipped: Vec<SkippedRow>,
    /// Warnings per row.
    pub warnings: Vec<RowWarning>,
    /// Warnings about the file (unmapped columns …).
    pub file_warnings: Vec<Warning>,
}

/// A row's outcome: the value, or why the row is rejected (boxed: the cold path).
type RowResult<T> = std::result::Result<T, Box<RejectedRow>>;

/// Columns a ledger must have.
const REQUIRED: &[&str] = &["name", "ethnicity", "community"];

/// Chinese messages of the row codes the import itself raises.
fn zh(code: &str) -> &'static str {
    match code {
        "required.missing" => "必填项为空",
        "ethnicity.unknown" => "民族无法识别",
        "id_number.invalid" => "公民身份号码不合法",
        "community.unknown" => "所属社区不存在或该日期不存在",
        "community.ambiguous" => "所属社区名称不唯一，请填写社区代码或完整路径",
        "community.outside_scope" => "所属社区不在您的权限范围内",
        "row.duplicate" => "与本文件中前面的行重复（同一人）",
        "resident.exists" => "该居民已登记，按设置拒绝导入",
        "resident.invalid" => "该行数据不合法",
        "date.missing" => "来苏时间（迁入日期）为空",
        "value.masked" => "姓名已脱敏（如“张**”），请使用未脱敏的台账导入",
        _ => "该行数据有误",
    }
}

struct RowContext<'a> {
    file: &'a str,
    sheet: &'a Option<String>,
    row: usize,
}

impl RowContext<'_> {
    fn reject(
        &self,
        column: Option<&str>,
        value: Option<String>,
        code: &str,
        en: String,
        zh_msg: &str,
    ) -> Box<RejectedRow> {
        Box::new(RejectedRow {
            file: self.file.to_owned(),
            sheet: self.sheet.clone(),
            row: self.row,
            column: column.map(str::to_owned),
            value,
            code: code.to_owned(),
            message: en,
            message_zh: zh_msg.to_owned(),
        })
    }

    fn rejected_value(
        &self,
        column: Option<&str>,
        value: Option<String>,
        p: ValueProblem,
    ) -> Box<RejectedRow> {
        self.reject(column, value, p.code, p.en, &p.zh)
    }
}

/// Masks what may identify a person in a reported value.
fn shown(field: &str, value: &str) -> String {
    match field {
        "id_number" => mask_id_number(value),
        "phone" => mask_phone(value),
        _ => value.to_owned(),
    }
}

/// The ledger fields the import reads, each with a fixed slot.
const FIELDS: [&str; 14] = [
    "name",
    "sex",
    "ethnicity",
    "id_number",
    "birth_date",
    "phone",
    "community",
    "registration",
    "category",
    "origin",
    "arrived_on",
    "left_on",
    "household",
    "hardship",
];

/// The slot of a field name (no hashing: this runs per cell).
fn slot(field: &str) -> Option<usize> {
    FIELDS.iter().position(|f| *f == field)
}

/// Where each field is in a sheet, found once per sheet (not per cell).
struct Fields {
    /// The sheet (without rows).
    sheet: ingest::Sheet,
    at: [Option<usize>; FIELDS.len()],
}

impl Fields {
    fn new(sheet: ingest::Sheet) -> Fields {
        let mut at = [None; FIELDS.len()];
        for (i, c) in sheet.columns.iter().enumerate() {
            if let Some(k) = c.field.and_then(slot).and_then(|k| at.get_mut(k)) {
                k.get_or_insert(i);
            }
        }
        Fields { sheet, at }
    }

    /// The value of `field` in a row's (trimmed) cells, if not empty.
    fn get<'r>(&self, cells: &[&'r str], field: &str) -> Option<&'r str> {
        slot(field)
            .and_then(|k| self.at.get(k).copied().flatten())
            .and_then(|c| cells.get(c).copied())
            .filter(|s| !s.is_empty())
    }
}

/// Values seen before in this import: ledgers repeat the same few ethnicities and
/// communities over and over.
#[derive(Default)]
struct Caches {
    ethnicity: HashMap<String, std::result::Result<crate::Parsed<Ethnicity>, String>>,
    /// Communities by name as written and arrival date.
    places: HashMap<String, HashMap<NaiveDate, RowResult<UnitId>>>,
    /// Units by code as written, each with the interval it held the code.
    codes: HashMap<String, Vec<CodeHolder>>,
    /// The match keys of the valid rows so far, with their row.
    seen: KeyMap<usize>,
}

/// A unit that held a code: when, when the unit existed, whether the principal may
/// write to it (all the network has to say about it for an import, looked up once).
struct CodeHolder {
    unit: UnitId,
    held: crate::time::Interval,
    existed: Option<crate::time::Interval>,
    writable: bool,
}

impl Caches {
    /// The unit a code names on `date` and whether it is writable, when the cache knows
    /// (`None`: resolve fully). The unit exists on `date`.
    fn by_code(&mut self, b: &Checks<'_>, code: &str, date: NaiveDate) -> Option<(UnitId, bool)> {
        if !self.codes.contains_key(code) {
            let net = b.network();
            let normal = crate::network::normalise_code(code);
            let found: Vec<CodeHolder> = net
                .code_facts(&normal)
                .filter_map(|(_, f)| match f {
                    crate::network::Fact::UnitCode { unit, valid, .. } => Some(CodeHolder {
                        unit: *unit,
                        held: *valid,
                        existed: match net.fact(*unit) {
                            Some(crate::network::Fact::Unit { valid, .. }) => Some(*valid),
                            _ => None,
                        },
                        writable: b.require_writable(*unit).is_ok(),
                    }),
                    _ => None,
                })
                .collect();
            self.codes.insert(code.to_owned(), found);
        }
        let holders = self.codes.get(code)?;
        let mut valid = holders
            .iter()
            .filter(|h| h.held.contains(date) && h.existed.is_some_and(|e| e.contains(date)));
        match (valid.next(), valid.next()) {
            (Some(h), None) => Some((h.unit, h.writable)),
            _ => None,
        }
    }
}

/// Reads one ledger row into a resident, or says what is wrong with it; also says
/// whether the community is known to be writable and to exist on the arrival date.
fn read_row(
    b: &Checks<'_>,
    fields: &Fields,
    cells: &[&str],
    ctx: &RowContext<'_>,
    caches: &mut Caches,
) -> RowResult<(NewResident, Vec<Warning>, bool)> {
    let sheet = &fields.sheet;
    let col = |f: &str| sheet.column_of(f);
    let get = |f: &str| fields.get(cells, f);
    let mut warnings = Vec::new();
    for f in REQUIRED {
        if get(f).is_none() {
            return Err(ctx.reject(
                col(f),
                None,
                "required.missing",
                format!("{f} is empty"),
                zh("required.missing"),
            ));
        }
    }
    let name = get("name").unwrap_or_default().to_owned();
    // A masked export read back in: the real name is not in the file.
    if name.contains(['*', '＊']) {
        return Err(ctx.reject(
            col("name"),
            Some(name),
            "value.masked",
            "the name is masked (张**); import from an unmasked ledger".into(),
            zh("value.masked"),
        ));
    }
    let raw_eth = get("ethnicity").unwrap_or_default();
    if !caches.ethnicity.contains_key(raw_eth) {
        let parsed = Ethnicity::parse(raw_eth).map_err(|e| e.to_string());
        caches.ethnicity.insert(raw_eth.to_owned(), parsed);
    }
    let ethnicity = match caches.ethnicity.get(raw_eth) {
        Some(Ok(p)) => {
            warnings.extend(p.warnings.iter().cloned());
            p.value
        }
        Some(Err(e)) => {
            return Err(ctx.reject(
                col("ethnicity"),
                Some(raw_eth.to_owned()),
                "ethnicity.unknown",
                e.clone(),
                zh("ethnicity.unknown"),
            ))
        }
        None => {
            return Err(ctx.reject(
                None,
                None,
                "resident.invalid",
                "internal cache miss".into(),
                zh(""),
            ))
        }
    };
    let id_number = match get("id_number") {
        Some(v) if values::excel_mangled_id(v) => {
            return Err(ctx.rejected_value(
                col("id_number"),
                Some(shown("id_number", v)),
                ValueProblem::excel_mangled_id(),
            ))
        }
        Some(v) => Some(v.to_owned()),
        None => None,
    };
    let date = |f: &str| -> RowResult<Option<NaiveDate>> {
        match get(f) {
            None => Ok(None),
            Some(v) => values::parse_date(v)
                .map(Some)
                .map_err(|p| ctx.rejected_value(col(f), Some(v.to_owned()), p)),
        }
    };
    let birth_date = date("birth_date")?;
    let left_on = date("left_on")?;
    let arrived_on = date("arrived_on")?.ok_or_else(|| {
        ctx.reject(
            col("arrived_on"),
            None,
            "date.missing",
            "arrived_on is empty".into(),
            zh("date.missing"),
        )
    })?;
    let sex = match get("sex") {
        None => None,
        Some(v) => Some(
            values::parse_sex(v)
                .map_err(|p| ctx.rejected_value(col("sex"), Some(v.to_owned()), p))?,
        ),
    };
    let category = match get("category") {
        None => super::Category::Registered,
        Some(v) => values::parse_category(v)
            .map_err(|p| ctx.rejected_value(col("category"), Some(v.to_owned()), p))?,
    };
    let phone = match get("phone") {
        None => None,
        Some(v) => Some(
            values::parse_phone(v)
                .map_err(|p| ctx.rejected_value(col("phone"), Some(shown("phone", v)), p))?,
        ),
    };
    let place = get("community").unwrap_or_default();
    let mut checked = false;
    let community = if place.bytes().all(|c| c.is_ascii_digit()) {
        match caches.by_code(b, place, arrived_on) {
            Some((u, true)) => {
                checked = true;
                u
            }
            Some((u, false)) => {
                let e = b.require_writable(u).err().unwrap_or_else(|| {
                    Error::Internal("a unit became writable during an import".into())
                });
                return Err(ctx.reject(
                    col("community"),
                    Some(place.to_owned()),
                    "community.outside_scope",
                    e.to_string(),
                    zh("community.outside_scope"),
                ));
            }
            None => resolve_community(b, place, arrived_on, ctx, col("community"))?,
        }
    } else {
        let cached = caches
            .places
            .get(place)
            .and_then(|by_date| by_date.get(&arrived_on));
        let found = match cached {
            Some(found) => found.clone(),
            None => {
                let found = resolve_community(b, place, arrived_on, ctx, col("community"));
                caches
                    .places
                    .entry(place.to_owned())
                    .or_default()
                    .insert(arrived_on, found.clone());
                found
            }
        };
        found.map_err(|mut r| {
            r.row = ctx.row;
            r
        })?
    };
    // 户籍地: a unit of the registry when the text names one, else a code or address.
    let (registered_unit, registered_division) = match get("registration") {
        None => (None, None),
        Some(v) if v.bytes().all(|c| c.is_ascii_digit()) => (None, Some(v.to_owned())),
        Some(v) => match b.network().find_by_path(v, arrived_on, &Hierarchy::Legal) {
            Ok(u) => (Some(u), None),
            Err(_) => (None, Some(v.to_owned())),
        },
    };
    Ok((
        NewResident {
            name,
            sex,
            birth_date,
            id_number,
            ethnicity,
            phone,
            category,
            origin: get("origin").map(str::to_owned),
            household: get("household").map(str::to_owned),
            father_ethnicity: None,
            mother_ethnicity: None,
            community,
            arrived_on,
            left_on,
            registered_unit,
            registered_division,
            hardship: get("hardship").map(str::to_owned),
        },
        warnings,
        checked,
    ))
}

/// A community by code (any length) or by name path, as of the arrival date (historical
/// names and codes resolve for historical dates), or by today's name or code of a unit
/// that existed on the arrival date.
fn resolve_community(
    b: &Checks<'_>,
    place: &str,
    on: NaiveDate,
    ctx: &RowContext<'_>,
    column: Option<&str>,
) -> RowResult<UnitId> {
    let net = b.network();
    let lookup = |date: NaiveDate| {
        if place.chars().all(|c| c.is_ascii_digit()) {
            net.find_by_code(place, date)
        } else {
            net.find_by_path(place, date, &Hierarchy::Legal)
        }
    };
    // The name or code valid on the arrival date; failing that, today's, when it names a
    // unit that already existed then (ledgers are written with today's names).
    let found = lookup(on).or_else(|first| match lookup(b.today()) {
        Ok(u) if net.unit_exists(u, on) => Ok(u),
        _ => Err(first),
    });
    let unit = found.map_err(|e| {
        let code = if e.kind() == crate::ErrorKind::Conflict {
            "community.ambiguous"
        } else {
            "community.unknown"
        };
        ctx.reject(
            column,
            Some(place.to_owned()),
            code,
            e.to_string(),
            zh(code),
        )
    })?;
    b.require_writable(unit).map_err(|e| {
        ctx.reject(
            column,
            Some(place.to_owned()),
            "community.outside_scope",
            e.to_string(),
            zh("community.outside_scope"),
        )
    })?;
    Ok(unit)
}

impl Registry {
    /// Imports a residents' ledger. `progress` is called every few thousand rows and at
    /// the end; returning `false` cancels the import (nothing is written; the error is
    /// `import cancelled`).
    pub fn import_residents(
        &self,
        opts: &ResidentImportOptions,
        mut progress: Option<&mut dyn FnMut(ImportProgress) -> bool>,
    ) -> Result<ResidentImportReport> {
        if opts.mode == ImportMode::Snapshot
            && (opts.snapshot_unit.is_none() || opts.snapshot_date.is_none())
        {
            return Err(Error::invalid(
                "snapshot",
                "snapshot mode needs snapshot_unit and snapshot_date",
            ));
        }
        let mut report = ResidentImportReport::default();
        let label = format!("import residents {}", ingest::file_name(&opts.path));
        let tx = self.write_batch_inner(Some(&label), opts.dry_run, |b| {
            let conn = b.conn;
            let mut writer = Writer {
                conn,
                tx: b.tx,
                today: b.today,
                touched: Vec::new(),
                inserts: store::Inserts::default(),
            };
            let checks = b.checks();
            let read = ReadOptions {
                format: opts.format,
                encoding: opts.encoding,
                sheet: opts.sheet.clone(),
                header_row: opts.header_row,
                mapping: opts.mapping.clone(),
            };
            let ledger = ingest::Ledger::open(&opts.path, ingest::LEDGER_FIELDS, &read)?;
            let mut store = Store::new(&mut writer, &mut report, &mut progress);
            if opts.threads.unwrap_or(2) <= 1 {
                store.start(opts, &ledger)?;
                let mut emit = |c| store.rows(c);
                let mut empty = Chunk::default;
                let mut validator = Validator::new(&checks, &mut emit, &mut empty);
                ledger.visit(&mut validator)?;
                validator.finish()?;
            } else {
                pipeline(opts, &checks, &ledger, &mut store)?;
            }
            store.flush()?;
            let total = store.total;
            let mut state = store
                .state
                .take()
                .ok_or_else(|| Error::Internal("the import read no file".into()))?;
            if store.sheets.is_empty() {
                return Err(Error::Internal("the import read no file".into()));
            }
            state.by_id_number.restore(conn)?;
            state.by_match_key.restore(conn)?;
            if total == 0 {
                report_progress(store.progress, 0, 0)?;
            }
            let touched = std::mem::take(&mut writer.touched);
            b.touched.extend(touched);
            if let (ImportMode::Snapshot, Some(unit), Some(date)) =
                (opts.mode, opts.snapshot_unit, opts.snapshot_date)
            {
                report.departed = depart_missing(b, unit, date, &state.present)?;
            }
            Ok(b.transaction())
        })?;
        let wrote = report.inserted + report.updated + report.departed > 0;
        report.transaction = (!opts.dry_run && wrote).then_some(tx);
        Ok(report)
    }
}

/// The progress callback.
type Progress<'p> = Option<&'p mut dyn FnMut(ImportProgress) -> bool>;

/// Calls the progress callback; `false` from it cancels the import.
fn report_progress(progress: &mut Progress<'_>, done: usize, total: usize) -> Result<()> {
    if let Some(f) = progress.as_mut() {
        if !f(ImportProgress { done, total }) {
            return Err(Error::invalid(
                "import",
                "cancelled by the progress callback",
            ));
        }
    }
    Ok(())
}

/// A row after validation: (sheet index, row number, outcome).
type Item = (usize, usize, Validated);

/// Validated rows on their way to the writer: the outcomes in file order, the prepared
/// residents among them packed.
#[derive(Default)]
struct Chunk {
    items: Vec<Item>,
    rows: PreparedRows,
}

/// Rows per [`Chunk`].
const CHUNK: usize = 512;

/// The reading side: validates every row in file order as the ledger hands it over,
/// passing the rows on in chunks (from `empty`: fresh or recycled ones).
struct Validator<'v, 'c> {
    checks: &'v Checks<'c>,
    emit: &'v mut dyn FnMut(Chunk) -> Result<()>,
    empty: &'v mut dyn FnMut() -> Chunk,
    /// Where each field is, per sheet.
    fields: Vec<Fields>,
    caches: Caches,
    chunk: Chunk,
}

impl<'v, 'c> Validator<'v, 'c> {
    fn new(
        checks: &'v Checks<'c>,
        emit: &'v mut dyn FnMut(Chunk) -> Result<()>,
        empty: &'v mut dyn FnMut() -> Chunk,
    ) -> Self {
        let chunk = empty();
        Validator {
            checks,
            emit,
            empty,
            fields: Vec::new(),
            caches: Caches::default(),
            chunk,
        }
    }

    /// Passes on the last rows.
    fn finish(mut self) -> Result<()> {
        if !self.chunk.items.is_empty() {
            (self.emit)(std::mem::take(&mut self.chunk))?;
        }
        Ok(())
    }
}

impl ingest::Visitor for Validator<'_, '_> {
    fn sheet(&mut self, index: usize, sheet: &ingest::Sheet) -> Result<()> {
        sheet.require(REQUIRED)?;
        if index != self.fields.len() {
            return Err(Error::Internal("ledger sheets out of order".into()));
        }
        self.fields.push(Fields::new(sheet.clone()));
        Ok(())
    }

    fn row(&mut self, index: usize, row: usize, cells: &[&str]) -> Result<()> {
        let fields = self
            .fields
            .get(index)
            .ok_or_else(|| Error::Internal("a row of an unknown sheet".into()))?;
        let ctx = RowContext {
            file: &fields.sheet.file,
            sheet: &fields.sheet.sheet,
            row,
        };
        let rows = &mut self.chunk.rows;
        let v = validate(self.checks, fields, cells, &ctx, &mut self.caches, rows)?;
        self.chunk.items.push((index, row, v));
        if self.chunk.items.len() == CHUNK {
            let full = std::mem::replace(&mut self.chunk, (self.empty)());
            (self.emit)(full)?;
        }
        Ok(())
    }
}

/// The writing side: the report, the progress callback, and the state of the import.
struct Store<'w, 'c, 'o, 'p> {
    writer: &'w mut Writer<'c>,
    report: &'w mut ResidentImportReport,
    progress: &'w mut Progress<'p>,
    /// Set before the first rows arrive.
    state: Option<Importer<'o>>,
    /// The sheets, once read.
    sheets: Vec<ingest::Sheet>,
    total: usize,
    done: usize,
    /// Chunks with new residents not stored yet (a bulk load).
    held: Vec<Chunk>,
    /// Those residents: (ID number as a number, chunk, row in the chunk).
    pending: Vec<(u64, usize, usize)>,
    /// Where stored chunks go (to the helper thread, which frees them).
    give_back: Option<std::sync::mpsc::Sender<Chunk>>,
    /// A bulk load's larger page cache (once asked for).
    cache: Option<Option<store::LargerCache<'c>>>,
}

/// New residents of a bulk load stored at once, sorted by ID number: the rebuilt index
/// then reads its keys in long sorted runs, which it sorts several times faster than
/// keys at random (ids stay consecutive, given in the order stored).
const RUN: usize = 65_536;

/// The shortest run stored early, when the writer would otherwise wait for rows.
const SHORT_RUN: usize = 8192;

impl<'w, 'c, 'o, 'p> Store<'w, 'c, 'o, 'p> {
    fn new(
        writer: &'w mut Writer<'c>,
        report: &'w mut ResidentImportReport,
        progress: &'w mut Progress<'p>,
    ) -> Self {
        Store {
            writer,
            report,
            progress,
            state: None,
            sheets: Vec::new(),
            total: 0,
            done: 0,
            held: Vec::new(),
            pending: Vec::new(),
            give_back: None,
            cache: None,
        }
    }

    /// Gets ready for the rows: loads the registered residents' keys, then reads the
    /// ledger once without keeping its rows (their number is the progress total; what
    /// the file says about itself goes into the report).
    fn start(
        &mut self,
        opts: &'o ResidentImportOptions,
        ledger: &ingest::Ledger<'_>,
    ) -> Result<()> {
        let known = store::current_keys(self.writer.conn)?;
        self.state = Some(Importer::new(opts, known));
        let (sheets, total) = ledger.sheets()?;
        for s in &sheets {
            s.require(REQUIRED)?;
        }
        self.read(sheets, total);
        Ok(())
    }

    /// What the file says about itself goes into the report.
    fn read(&mut self, sheets: Vec<ingest::Sheet>, total: usize) {
        let report = &mut *self.report;
        report.rows_read = total;
        for sheet in &sheets {
            report.file_warnings.extend(sheet.warnings.iter().cloned());
            report
                .skipped
                .extend(sheet.skipped.iter().map(|s| SkippedRow {
                    file: sheet.file.clone(),
                    sheet: sheet.sheet.clone(),
                    skipped: s.clone(),
                }));
            for p in &sheet.bad_lines {
                report.rejected.push(RejectedRow {
                    file: p.file.clone(),
                    sheet: None,
                    row: p.row,
                    column: None,
                    value: None,
                    code: p.code.clone(),
                    message: p.reason.clone(),
                    message_zh: "该行不是 JSON 对象".into(),
                });
            }
        }
        if let Some(state) = self.state.as_mut() {
            state.expect(total);
        }
        self.sheets = sheets;
        self.total = total;
    }

    /// Stores validated rows (new residents of a bulk load later, see [`RUN`]).
    fn rows(&mut self, mut chunk: Chunk) -> Result<()> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| Error::Internal("import rows before its setup".into()))?;
        let held = self.held.len();
        let before = self.pending.len();
        for (si, row, v) in chunk.items.iter_mut() {
            let sheet = self
                .sheets
                .get(*si)
                .ok_or_else(|| Error::Internal("import rows before the file".into()))?;
            if let Some(i) = state.apply(self.writer, sheet, *row, v, &chunk.rows, self.report)? {
                let key = chunk
                    .rows
                    .get(i)
                    .and_then(|r| keys::pack(r.record.match_key))
                    .unwrap_or(u64::MAX);
                self.pending.push((key, held, i));
            }
            self.done += 1;
            if self.done.is_multiple_of(4096) && self.done != self.total {
                report_progress(self.progress, self.done, self.total)?;
            }
        }
        if self.pending.len() > before {
            self.held.push(chunk);
            if self.cache.is_none() {
                self.cache = Some(store::LargerCache::new(self.writer.conn)?);
            }
        } else {
            self.release(chunk);
        }
        if self.pending.len() >= RUN || self.done == self.total {
            self.flush()?;
        }
        if self.done == self.total && self.total > 0 {
            report_progress(self.progress, self.done, self.total)?;
        }
        Ok(())
    }

    /// The helper has no rows ready: stores the new residents held back, if they are a
    /// run worth sorting, instead of waiting.
    fn idle(&mut self) -> Result<()> {
        if self.pending.len() >= SHORT_RUN {
            self.flush()?;
        }
        Ok(())
    }

    /// Stores the new residents held back, sorted by ID number.
    fn flush(&mut self) -> Result<()> {
        self.pending.sort_unstable();
        if let Some(state) = self.state.as_mut() {
            let held = &self.held;
            let row = |&(_, chunk, i): &(u64, usize, usize)| {
                held.get(chunk)
                    .and_then(|c| c.rows.get(i))
                    .ok_or_else(|| Error::Internal("a held import row vanished".into()))
            };
            let mut batch = Vec::with_capacity(store::MANY);
            for (k, run) in self.pending.chunks(store::MANY).enumerate() {
                // The rows lie all over the held chunks: read the next batch's now, so
                // that they are in the cache when it is stored (instead of each read
                // waiting for memory in turn).
                if let Some(next) = self.pending.get((k + 1) * store::MANY..) {
                    for &(_, chunk, i) in next.iter().take(store::MANY) {
                        std::hint::black_box(held.get(chunk).map(|c| c.rows.touch(i)));
                    }
                }
                batch.clear();
                for p in run {
                    batch.push(row(p)?);
                }
                state.insert_many(self.writer, &batch)?;
            }
        }
        self.pending.clear();
        for chunk in std::mem::take(&mut self.held) {
            self.release(chunk);
        }
        Ok(())
    }

    /// Frees a stored chunk (on the helper thread, when there is one).
    fn release(&self, chunk: Chunk) {
        if let Some(back) = &self.give_back {
            // The helper gone (it has sent its last chunk): freed here.
            let _ = back.send(chunk);
        }
    }
}

/// Rows validated on a helper thread, stored in order on the calling thread: validation
/// and SQLite writes overlap on two cores. Meanwhile the calling thread loads the
/// registered residents' keys and counts the rows (for progress). Chunks keep the
/// hand-over cheap; the channel is bounded, so memory stays flat. Stored chunks go back
/// to the helper, which frees their rows: memory is freed by the thread that allocated it
/// (freeing it on the other thread makes the two contend for the allocator's locks). An
/// error on either side stops both.
fn pipeline<'o>(
    opts: &'o ResidentImportOptions,
    checks: &Checks<'_>,
    ledger: &ingest::Ledger<'_>,
    store: &mut Store<'_, '_, 'o, '_>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Result<Chunk>>(2 * RUN / CHUNK);
        let (give_back, stored) = std::sync::mpsc::channel::<Chunk>();
        let producer = scope.spawn(move || {
            let mut emit = |c: Chunk| {
                // The receiver gone means the writer stopped: stop reading too.
                send.send(Ok(c))
                    .map_err(|_| Error::Internal("import writer stopped".into()))
            };
            let mut empty = || match stored.try_recv() {
                Ok(mut done) => {
                    done.items.clear();
                    done.rows.clear();
                    done
                }
                Err(_) => Chunk::default(),
            };
            let mut validator = Validator::new(checks, &mut emit, &mut empty);
            let outcome = ledger
                .visit(&mut validator)
                .and_then(|()| validator.finish());
            if let Err(e) = outcome {
                let _ = send.send(Err(e));
            }
        });
        let result = (|| -> Result<()> {
            store.start(opts, ledger)?;
            store.give_back = Some(give_back);
            loop {
                let chunk = match receive.try_recv() {
                    Ok(chunk) => chunk,
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        // Nothing to read yet: store what is held rather than wait.
                        store.idle()?;
                        match receive.recv() {
                            Ok(chunk) => chunk,
                            Err(_) => break,
                        }
                    }
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                };
                store.rows(chunk?)?;
            }
            Ok(())
        })();
        drop(receive);
        match producer.join() {
            Ok(()) => result,
            Err(_) => Err(Error::Internal(
                "the import's reading thread panicked".into(),
            )),
        }
    })
}

/// Ids reserved in blocks, so that a large import does not update the sequence per row.
#[derive(Default)]
struct IdBlock {
    next: i64,
    end: i64,
}

impl IdBlock {
    fn take(&mut self, conn: &rusqlite::Connection, n: i64) -> Result<i64> {
        if self.next + n > self.end {
            let size = 8192.max(n);
            self.next = store::allocate_ids(conn, size)?;
            self.end = self.next + size;
        }
        let first = self.next;
        self.next += n;
        Ok(first)
    }
}

/// Inserts that make an import a bulk load: at least this many new residents, and at
/// least half as many as were registered (per index, see [`BulkIndex`]).
const BULK_MIN: usize = 4096;

/// A secondary index of `resident` that a bulk load drops and creates again before it
/// commits: building an index from sorted keys is several times faster than inserting a
/// million keys at random places. The import checks in memory what the index would
/// (one current resident per ID number: `known` and `seen`); the recreation checks it
/// again over every current row. See [`store::DroppedIndex`] for why neither a reader
/// nor a rollback ever sees the index missing.
struct BulkIndex {
    name: &'static str,
    /// New residents after which the index is dropped.
    threshold: usize,
    inserted: usize,
    dropped: Option<store::DroppedIndex>,
}

impl BulkIndex {
    /// `registered`: current residents that the index holds (or would hold).
    fn new(name: &'static str, registered: usize) -> BulkIndex {
        BulkIndex {
            name,
            threshold: BULK_MIN.max(registered / 2),
            inserted: 0,
            dropped: None,
        }
    }

    /// Counts a new resident the index holds; drops the index once the import is a bulk
    /// load.
    fn inserted(&mut self, conn: &rusqlite::Connection) -> Result<()> {
        self.inserted += 1;
        if self.inserted == self.threshold && self.dropped.is_none() {
            self.dropped = Some(store::drop_index(conn, self.name)?);
        }
        Ok(())
    }

    /// Creates the index again if it was dropped.
    fn restore(&mut self, conn: &rusqlite::Connection) -> Result<()> {
        match self.dropped.take() {
            Some(index) => store::recreate_index(conn, index),
            None => Ok(()),
        }
    }
}

/// The state of one import: who is registered, who was seen in the file, caches.
struct Importer<'o> {
    opts: &'o ResidentImportOptions,
    /// Registered residents by match key: (id, content hash).
    known: KeyMap<(ResidentId, i64)>,
    /// Residents present in the file (snapshot mode only).
    present: HashSet<ResidentId>,
    ids: IdBlock,
    /// The unique index of current ID numbers.
    by_id_number: BulkIndex,
    /// The index of the fallback keys of current residents without an ID number.
    by_match_key: BulkIndex,
}

/// A row after reading and validation (on the helper thread, when there is one).
enum Validated {
    /// Rejected, with why.
    Rejected(Box<RejectedRow>),
    /// Valid, but the same resident as the row given (the first), with the row's
    /// warnings.
    Duplicate(usize, Vec<Warning>),
    /// Ready to store (the resident is in its chunk's [`PreparedRows`] at this index),
    /// with the row's warnings.
    Ready(usize, Vec<Warning>),
}

/// Reads and validates one row; only storage failures and bugs are errors.
fn validate(
    checks: &Checks<'_>,
    fields: &Fields,
    cells: &[&str],
    ctx: &RowContext<'_>,
    caches: &mut Caches,
    rows: &mut PreparedRows,
) -> Result<Validated> {
    let sheet = &fields.sheet;
    let (resident, mut warnings, checked) = match read_row(checks, fields, cells, ctx, caches) {
        Ok(r) => r,
        Err(rejected) => return Ok(Validated::Rejected(rejected)),
    };
    let prepared = if checked {
        checks.prepare_resident_in_checked_community(resident)
    } else {
        checks.prepare_resident(resident)
    };
    let mut p = match prepared {
        Ok(p) => p,
        Err(e @ (Error::Storage(_) | Error::Internal(_))) => return Err(e),
        Err(e) => {
            let (column, code) = match &e {
                Error::InvalidIdNumber { .. } => {
                    (sheet.column_of("id_number"), "id_number.invalid")
                }
                Error::InvalidDivisionCode { .. } => {
                    (sheet.column_of("origin"), "resident.invalid")
                }
                _ => (None, "resident.invalid"),
            };
            return Ok(Validated::Rejected(ctx.reject(
                column,
                None,
                code,
                e.to_string(),
                zh(code),
            )));
        }
    };
    warnings.append(&mut p.warnings);
    // The second row of the same resident (the first is the one that counts).
    if let Some(first) = caches.seen.get(&p.key) {
        return Ok(Validated::Duplicate(*first, warnings));
    }
    caches.seen.insert(&p.key, ctx.row);
    Ok(Validated::Ready(rows.push(&p)?, warnings))
}

impl<'o> Importer<'o> {
    fn new(opts: &'o ResidentImportOptions, known: KeyMap<(ResidentId, i64)>) -> Importer<'o> {
        Importer {
            opts,
            by_id_number: BulkIndex::new("resident_id_number", known.id_keys()),
            by_match_key: BulkIndex::new("resident_match_key", known.len() - known.id_keys()),
            known,
            present: HashSet::default(),
            ids: IdBlock::default(),
        }
    }

    /// Makes room for the rows of a file of `total` data rows.
    fn expect(&mut self, total: usize) {
        if self.opts.mode == ImportMode::Snapshot {
            self.present.reserve(total);
        }
    }

    /// Stores one validated row (on the calling thread).
    /// Stores one validated row (on the calling thread); in a bulk load, a new resident
    /// is only counted: `Ok(true)` says the caller is to store it later, with
    /// [`Importer::insert`].
    fn apply(
        &mut self,
        w: &mut Writer<'_>,
        sheet: &ingest::Sheet,
        row: usize,
        v: &mut Validated,
        rows: &PreparedRows,
        report: &mut ResidentImportReport,
    ) -> Result<Option<usize>> {
        let ctx = RowContext {
            file: &sheet.file,
            sheet: &sheet.sheet,
            row,
        };
        let (p, warnings, duplicate_of) = match v {
            Validated::Rejected(r) => {
                report.rejected.push((**r).clone());
                return Ok(None);
            }
            Validated::Duplicate(first, warnings) => (None, std::mem::take(warnings), Some(*first)),
            Validated::Ready(i, warnings) => (Some(*i), std::mem::take(warnings), None),
        };
        report
            .warnings
            .extend(warnings.into_iter().map(|w| RowWarning {
                file: ctx.file.to_owned(),
                sheet: ctx.sheet.clone(),
                row,
                code: w.code,
                message: w.message,
            }));
        let (i, p) = match (p.and_then(|i| Some((i, rows.get(i)?))), duplicate_of) {
            (Some(found), None) => found,
            (_, first) => {
                report.rejected.push(*ctx.reject(
                    sheet.column_of("id_number"),
                    None,
                    "row.duplicate",
                    format!("the same resident as row {}", first.unwrap_or_default()),
                    zh("row.duplicate"),
                ));
                return Ok(None);
            }
        };
        if p.record.id_number.is_none() {
            report.uncertain_matches.push(row);
        }
        let known = self.known.get(p.record.match_key).copied();
        match known {
            None => {
                report.inserted += 1;
                if self.bulk() {
                    return Ok(Some(i));
                }
                self.insert(w, &p)?;
            }
            Some((id, _)) if self.opts.on_conflict == OnConflict::Reject => {
                self.is_present(id);
                report.rejected.push(*ctx.reject(
                    None,
                    None,
                    "resident.exists",
                    format!("resident {id} is already registered"),
                    zh("resident.exists"),
                ));
            }
            Some((id, _)) if self.opts.on_conflict == OnConflict::Skip => {
                self.is_present(id);
                report.skipped_existing += 1;
            }
            Some((id, hash)) if hash == p.record.hash => {
                self.is_present(id);
                report.unchanged += 1;
            }
            Some((id, _)) => {
                let mut p = rows
                    .prepared(i)
                    .ok_or_else(|| Error::Internal("an import row vanished".into()))?;
                w.store_resident_update(id, &mut p)?;
                self.is_present(id);
                report.updated += 1;
            }
        }
        Ok(None)
    }

    /// Whether this import is a bulk load (the ID-number index is dropped): new residents
    /// are then stored in runs sorted by ID number (see [`Store::flush`]).
    fn bulk(&self) -> bool {
        self.by_id_number.dropped.is_some()
    }

    /// Stores a new resident.
    fn insert(&mut self, w: &mut Writer<'_>, r: &NewRecord<'_>) -> Result<()> {
        let first = self.ids.take(w.conn, r.ids_needed())?;
        let id = w.store_new(r, first)?;
        self.inserted(w, id, r)
    }

    /// Stores new residents, in this order.
    fn insert_many<'r>(&mut self, w: &mut Writer<'_>, rs: &[NewRecord<'r>]) -> Result<()> {
        let mut with_ids: Vec<(NewRecord<'r>, i64)> = Vec::with_capacity(rs.len());
        for r in rs {
            with_ids.push((*r, self.ids.take(w.conn, r.ids_needed())?));
        }
        w.store_new_many(&with_ids)?;
        for (r, id) in &with_ids {
            self.inserted(w, *id, r)?;
        }
        Ok(())
    }

    /// Notes a resident stored as new.
    fn inserted(&mut self, w: &Writer<'_>, id: ResidentId, r: &NewRecord<'_>) -> Result<()> {
        self.is_present(id);
        if r.record.id_number.is_some() {
            self.by_id_number.inserted(w.conn)
        } else {
            self.by_match_key.inserted(w.conn)
        }
    }

    /// Notes that a registered resident is in the file (needed in snapshot mode only).
    fn is_present(&mut self, id: ResidentId) {
        if self.opts.mode == ImportMode::Snapshot {
            self.present.insert(id);
        }
    }
}

/// Snapshot mode: residents of `unit`'s subtree living there on `date` but absent from
/// the file depart on `date`.
fn depart_missing(
    b: &mut Batch<'_>,
    unit: UnitId,
    date: NaiveDate,
    present: &HashSet<ResidentId>,
) -> Result<usize> {
    b.require_writable(unit)?;
    let units: Vec<UnitId> = b
        .network()
        .tree(&[unit], date, &Hierarchy::Legal)?
        .into_iter()
        .map(|n| n.unit.id)
        .collect();
    let living = store::living_in(b.conn, &units, date, b.transaction())?;
    let mut departed = 0;
    for (r, residence) in living {
        // Someone who arrived on the snapshot day itself cannot have left on it.
        if !present.contains(&r.id) && residence.valid.from < date {
            b.depart_resident(r.id, date)?;
            departed += 1;
        }
    }
    Ok(departed)
}
