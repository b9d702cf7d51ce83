//! Reading tabular input (CSV today; XLSX, GB18030 and JSON Lines with the register):
//! header mapping, row numbers as the file shows them, and row-level problem reports.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{Error, Result};

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

/// A CSV file read into header-mapped records with their row numbers.
pub(crate) struct Table {
    pub(crate) file: String,
    columns: HashMap<&'static str, usize>,
    pub(crate) rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    /// Reads `path`, mapping headers through `spec` (canonical name, accepted spellings);
    /// fails if a `required` column is missing.
    pub(crate) fn read(
        path: &str,
        spec: &[(&'static str, &[&str])],
        required: &[&str],
    ) -> Result<Table> {
        let file = std::path::Path::new(path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_owned());
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        // Row numbers as the file shows them, blank lines included.
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let headers = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim_start_matches('\u{feff}').trim();
            if let Some((name, _)) = spec
                .iter()
                .find(|(_, alts)| alts.iter().any(|a| a.eq_ignore_ascii_case(h)))
            {
                columns.entry(*name).or_insert(i);
            }
        }
        for r in required {
            if !columns.contains_key(r) {
                return Err(Error::invalid(
                    format!("{file} header"),
                    format!("the column {r} is missing"),
                ));
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| csv_error(path, e))?;
            let mut byte = rec.position().map(|p| p.byte() as usize).unwrap_or(0);
            // The reader's position may sit before skipped blank lines.
            while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            let line = line_starts.partition_point(|start| *start <= byte);
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push((line, rec));
        }
        Ok(Table {
            file,
            columns,
            rows,
        })
    }

    /// The trimmed, non-empty value of a column.
    pub(crate) fn get<'r>(&self, rec: &'r csv::StringRecord, col: &str) -> Option<&'r str> {
        self.columns
            .get(col)
            .and_then(|i| rec.get(*i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// A problem with one cell of a row.
    pub(crate) fn problem(
        &self,
        row: usize,
        column: &str,
        value: Option<&str>,
        code: &str,
        reason: String,
    ) -> RowProblem {
        RowProblem {
            file: self.file.clone(),
            row,
            column: Some(column.to_owned()),
            value: value.map(str::to_owned),
            code: code.to_owned(),
            reason,
        }
    }
}

fn csv_error(path: &str, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: path.to_owned(),
            source,
        },
        csv::ErrorKind::Utf8 { pos, .. } => Error::invalid(
            path,
            format!(
                "row {} is not UTF-8",
                pos.map(|p| p.line()).unwrap_or_default()
            ),
        ),
        other => Error::invalid(path, format!("unreadable CSV: {other:?}")),
    }
}
