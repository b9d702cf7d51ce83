//! Reading tabular input — the ledgers (台账) community staff keep in Excel or CSV —
//! into clean, header-mapped string rows with row numbers exactly as the user sees them.
//!
//! * Formats: CSV (also tab-separated `.txt`), XLSX (via calamine) and JSON Lines.
//! * Encodings: UTF-8 with or without BOM, UTF-16 with BOM, GB18030 (covers GBK/GB2312).
//! * Title rows above the header are passed over; the header row is found by its
//!   cells ([`header`]); 合计/小计 rows, blank rows, repeated headers and trailing notes
//!   (制表人：…) are skipped and listed in [`Sheet::skipped`].
//! * Values stay strings; [`values`] has the tolerant parsers for dates, sexes,
//!   categories and phones, and recognises ID numbers Excel has mangled.
//!
//! [`read_table`] is the entry point; it never validates values — the register does.

mod csv_reader;
mod encoding;
pub mod header;
mod jsonl;
mod ledger;
mod sheet;
mod table;
pub mod values;
mod xlsx;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Warning};

pub use header::{normalise_header, LEDGER_FIELDS};
pub(crate) use ledger::{Ledger, Visitor};
pub(crate) use table::Table;
pub use values::{
    excel_mangled_id, parse_category, parse_date, parse_phone, parse_sex, Category, ValueProblem,
};

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// File name (without directories).
    pub file: String,
    /// Row number as the file shows it (the header is row 1).
    pub row: usize,
    /// The column at fault, if one.
    pub column: Option<String>,
    /// The value at fault (units' data is not personal).
    pub value: Option<String>,
    /// Stable reason code (`unit.overlap`, `unit.orphan`, `unit.bad_date` …).
    pub code: String,
    /// English explanation.
    pub reason: String,
}

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma- (or tab-) separated values: `.csv`, `.txt`, `.tsv`.
    Csv,
    /// Excel 2007+ workbook: `.xlsx`, `.xlsm`.
    Xlsx,
    /// One JSON object per line: `.jsonl`, `.ndjson`.
    #[serde(alias = "jsonl", alias = "ndjson")]
    JsonLines,
}

/// The text encoding of a CSV or JSON Lines file (a byte-order mark always wins).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// BOM, else UTF-8 if the bytes are valid UTF-8, else GB18030.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// UTF-8.
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8", alias = "UTF8")]
    Utf8,
    /// GB18030, which also reads GBK and GB2312.
    #[serde(
        rename = "gb18030",
        alias = "gbk",
        alias = "gb2312",
        alias = "GB18030",
        alias = "GBK",
        alias = "GB2312"
    )]
    Gb18030,
}

/// Which sheets of a workbook to read (ignored for CSV and JSON Lines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetSelection {
    /// The first sheet (`"first"`).
    #[default]
    First,
    /// The sheet of this name (`{"named": "二社区"}`).
    Named(String),
    /// Every sheet that has a header row (`"all"`).
    All,
}

/// How to read a file. Every field has a default; unknown fields are an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadOptions {
    /// The format; `None` = from the file extension.
    pub format: Option<Format>,
    /// The text encoding (CSV, JSON Lines).
    pub encoding: Encoding,
    /// Which sheets (XLSX).
    pub sheet: SheetSelection,
    /// The 1-based row number of the header as the file shows it; `None` = detect.
    pub header_row: Option<usize>,
    /// Pairs (header as in the file → canonical field name) that override the built-in
    /// synonyms; a field name of `""` ignores the column. In JSON either
    /// `[["证件号", "id_number"]]` or `{"证件号": "id_number"}`.
    #[serde(deserialize_with = "pairs_or_map")]
    pub mapping: Vec<(String, String)>,
}

/// Reads `[[header, field], …]` or `{header: field, …}` into pairs (document order).
pub(crate) fn pairs_or_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<(String, String)>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of [header, field] pairs or an object {header: field}")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(pair) = seq.next_element::<(String, String)>()? {
                out.push(pair);
            }
            Ok(out)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(pair) = map.next_entry::<String, String>()? {
                out.push(pair);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// One column of a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The header as written (trimmed).
    pub header: String,
    /// The canonical field it maps to; `None` = unmapped or ignored.
    pub field: Option<&'static str>,
}

/// A data row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The row number as the user sees it (CSV/JSON Lines: line; XLSX: Excel row).
    pub row: usize,
    /// One trimmed cell per column (missing cells are `""`).
    pub cells: Vec<String>,
}

/// Why a row below the header was not returned as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// 合计, 总计, 共计.
    Total,
    /// 小计.
    Subtotal,
    /// Every cell empty (trailing blank rows are not listed).
    Blank,
    /// The header (or a title row) repeated, e.g. at a page break.
    RepeatedHeader,
    /// 制表人：, 填表说明, 注：, 审核人 … .
    Note,
}

/// A row that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Row number as the user sees it.
    pub row: usize,
    /// Why.
    pub reason: SkipReason,
    /// The row's first non-empty cell (`""` for blank rows).
    pub text: String,
}

/// One sheet (or the whole of a CSV or JSON Lines file), header-mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sheet {
    /// File name without directories.
    pub file: String,
    /// The sheet name (XLSX only).
    pub sheet: Option<String>,
    /// `"utf-8"`, `"gb18030"`, `"utf-16le"`, `"utf-16be"` or `"xlsx"`.
    pub encoding: &'static str,
    /// The header's row number (0 for JSON Lines, which has none).
    pub header_row: usize,
    /// The columns in file order.
    pub columns: Vec<Column>,
    /// The data rows.
    pub rows: Vec<Record>,
    /// Rows skipped below the header.
    pub skipped: Vec<Skipped>,
    /// Warnings (`ingest.unmapped_column`, `ingest.duplicate_column`, …).
    pub warnings: Vec<Warning>,
    /// JSON Lines lines that are not JSON objects (`ingest.bad_json`).
    pub bad_lines: Vec<RowProblem>,
}

impl Sheet {
    /// The trimmed, non-empty value of `field` in `rec`.
    pub fn get<'a>(&self, rec: &'a Record, field: &str) -> Option<&'a str> {
        self.columns
            .iter()
            .position(|c| c.field == Some(field))
            .and_then(|i| rec.cells.get(i))
            .map(|s| header::trim_cell(s))
            .filter(|s| !s.is_empty())
    }

    /// The header of `field` as written in the file (for error reports).
    pub fn column_of(&self, field: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.field == Some(field))
            .map(|c| c.header.as_str())
    }

    /// Fails unless every field in `fields` has a column.
    pub fn require(&self, fields: &[&str]) -> Result<()> {
        let missing: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| self.column_of(f).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::invalid(
            format!("{} header", self.label()),
            format!("missing columns: {}", missing.join(", ")),
        ))
    }

    /// `file` or `file [sheet]`, for messages.
    fn label(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{} [{s}]", self.file),
            None => self.file.clone(),
        }
    }
}

/// A row of cells as read, before header detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRow {
    /// Row number as the user sees it.
    pub(crate) row: usize,
    /// The cells (not yet trimmed).
    pub(crate) cells: Vec<String>,
}

impl RawRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| header::trim_cell(c).is_empty())
    }
}

/// The file name of `path` without directories.
pub(crate) fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_owned())
}

fn read_bytes(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// The format from the extension; unknown extensions are sniffed (zip → XLSX,
/// `{` → JSON Lines, else CSV).
fn detect_format(path: &str, bytes: &[u8]) -> Result<Format> {
    let ext = std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "csv" | "txt" | "tsv" => Format::Csv,
        "xlsx" | "xlsm" => Format::Xlsx,
        "jsonl" | "ndjson" => Format::JsonLines,
        "xls" | "et" | "wps" | "ods" => {
            return Err(Error::invalid(
                file_name(path),
                format!(".{ext} is not supported; save the file as .xlsx or .csv"),
            ))
        }
        _ if bytes.starts_with(b"PK\x03\x04") => Format::Xlsx,
        _ if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Format::JsonLines,
        _ => Format::Csv,
    })
}

/// Reads a ledger file into one [`Sheet`] per selected sheet (CSV and JSON Lines: one).
///
/// `spec` lists the canonical fields with their accepted header spellings (see
/// [`LEDGER_FIELDS`]). The header row is the first of the first rows in which at least
/// two cells name fields of `spec`, unless `options.header_row` says which.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::InvalidArgument`] for an
/// unsupported format, undecodable bytes (naming the row), an unknown field in the
/// mapping, a missing sheet (listing those there are) or no header row.
pub fn read_table(
    path: &str,
    spec: &[(&'static str, &[&str])],
    options: &ReadOptions,
) -> Result<Vec<Sheet>> {
    let input = Input::open(path, spec, options)?;
    match input.format {
        Format::Csv => {
            let mut rows = Vec::new();
            let mut sheet = input.read_csv(options, &mut rows)?;
            sheet.rows = rows;
            Ok(vec![sheet])
        }
        _ => input.read_other(options),
    }
}

/// A file about to be read: its bytes, format and header mapper.
pub(crate) struct Input<'s> {
    path: String,
    file: String,
    mapper: header::Mapper<'s>,
    bytes: Vec<u8>,
    format: Format,
}

impl<'s> Input<'s> {
    /// Reads the file's bytes and checks the options.
    pub(crate) fn open(
        path: &str,
        spec: &'s [(&'static str, &'s [&'s str])],
        options: &ReadOptions,
    ) -> Result<Input<'s>> {
        let file = file_name(path);
        let mapper = header::Mapper::new(spec, &options.mapping)?;
        if options.header_row == Some(0) {
            return Err(Error::invalid(
                "header_row",
                "row numbers start at 1".to_owned(),
            ));
        }
        let bytes = read_bytes(path)?;
        let format = match options.format {
            Some(f) => f,
            None => detect_format(path, &bytes)?,
        };
        Ok(Input {
            path: path.to_owned(),
            file,
            mapper,
            bytes,
            format,
        })
    }

    /// Whether the file is CSV.
    pub(crate) fn is_csv(&self) -> bool {
        self.format == Format::Csv
    }

    /// Decodes a CSV file's text (see [`CsvText`]).
    pub(crate) fn decode_csv(self, options: &ReadOptions) -> Result<CsvText<'s>> {
        let (text, encoding) = encoding::decode_owned(self.bytes, options.encoding, &self.file)?;
        Ok(CsvText {
            path: self.path,
            file: self.file,
            mapper: self.mapper,
            header_row: options.header_row,
            text,
            encoding,
        })
    }

    /// Reads a CSV file in one pass, handing its data rows to `rows`; the sheet comes
    /// back without them.
    pub(crate) fn read_csv<D: sheet::DataRows>(
        self,
        options: &ReadOptions,
        rows: &mut D,
    ) -> Result<Sheet> {
        self.decode_csv(options)?.read(rows)
    }

    /// Reads a JSON Lines file or an XLSX workbook.
    pub(crate) fn read_other(self, options: &ReadOptions) -> Result<Vec<Sheet>> {
        match self.format {
            Format::Csv => {
                let mut rows = Vec::new();
                let mut sheet = self.read_csv(options, &mut rows)?;
                sheet.rows = rows;
                Ok(vec![sheet])
            }
            Format::JsonLines => {
                let (text, encoding) =
                    encoding::decode_owned(self.bytes, options.encoding, &self.file)?;
                let sheet = jsonl::read(&text, self.file, encoding, &self.mapper)?;
                Ok(vec![sheet])
            }
            Format::Xlsx => xlsx::read(self.bytes, &self.file, &self.mapper, options),
        }
    }
}

/// A CSV file's text, decoded once and read as often as wanted: the ledger import reads
/// it twice, first to count its data rows, then to validate them, and keeps none.
pub(crate) struct CsvText<'s> {
    path: String,
    file: String,
    mapper: header::Mapper<'s>,
    header_row: Option<usize>,
    text: String,
    encoding: &'static str,
}

impl CsvText<'_> {
    /// Reads the text, handing its data rows to `rows`; the sheet comes back without
    /// them.
    pub(crate) fn read<D: sheet::DataRows>(&self, rows: &mut D) -> Result<Sheet> {
        let meta = sheet::Meta {
            file: self.file.clone(),
            sheet: None,
            encoding: self.encoding,
        };
        let mut builder = sheet::Builder::new(meta, &self.mapper, self.header_row);
        csv_reader::for_each_row(&self.text, &self.file, |row, cells| {
            if builder.wants_more() {
                builder.push(row, cells, rows)
            } else {
                Ok(())
            }
        })?;
        builder
            .finish()?
            .ok_or_else(|| no_header(&sheet_label(&self.path, None), &self.mapper))
    }
}

fn sheet_label(path: &str, sheet: Option<&str>) -> String {
    match sheet {
        Some(s) => format!("{} [{s}]", file_name(path)),
        None => file_name(path),
    }
}

/// The error for a file (or sheet) in which no header row was found.
fn no_header(label: &str, mapper: &header::Mapper<'_>) -> Error {
    Error::invalid(
        format!("{label} header"),
        format!(
            "no header row found: expected columns such as {}",
            mapper.examples()
        ),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn options_deserialize_with_defaults() {
        let o: ReadOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, ReadOptions::default());
        let o: ReadOptions = serde_json::from_str(
            r#"{"format":"xlsx","encoding":"gbk","sheet":{"named":"二社区"},
                "header_row":2,"mapping":{"证件号":"id_number"}}"#,
        )
        .unwrap();
        assert_eq!(o.format, Some(Format::Xlsx));
        assert_eq!(o.encoding, Encoding::Gb18030);
        assert_eq!(o.sheet, SheetSelection::Named("二社区".into()));
        assert_eq!(o.header_row, Some(2));
        assert_eq!(o.mapping, [("证件号".to_owned(), "id_number".to_owned())]);
        let o: ReadOptions = serde_json::from_str(
            r#"{"encoding":"utf8","sheet":"all","format":"jsonl","mapping":[["a","name"]]}"#,
        )
        .unwrap();
        assert_eq!(o.encoding, Encoding::Utf8);
        assert_eq!(o.sheet, SheetSelection::All);
        assert_eq!(o.format, Some(Format::JsonLines));
        assert_eq!(o.mapping.len(), 1);
        assert!(serde_json::from_str::<ReadOptions>(r#"{"sheets":"all"}"#).is_err());
        assert!(serde_json::from_str::<ReadOptions>(r#"{"encoding":"latin1"}"#).is_err());
    }

    #[test]
    fn formats_from_extensions() {
        assert_eq!(detect_format("a/b.CSV", b"").unwrap(), Format::Csv);
        assert_eq!(detect_format("b.txt", b"").unwrap(), Format::Csv);
        assert_eq!(detect_format("b.xlsx", b"").unwrap(), Format::Xlsx);
        assert_eq!(detect_format("b.jsonl", b"").unwrap(), Format::JsonLines);
        assert_eq!(detect_format("b.ndjson", b"").unwrap(), Format::JsonLines);
        assert!(detect_format("b.xls", b"").is_err());
        assert_eq!(detect_format("b", b"PK\x03\x04").unwrap(), Format::Xlsx);
        assert_eq!(
            detect_format("b.dat", b" {\"a\":1}").unwrap(),
            Format::JsonLines
        );
        assert_eq!(detect_format("b.dat", b"a,b").unwrap(), Format::Csv);
    }
}
