//! The plain CSV table the units import reads: the first non-blank line is the header,
//! every other non-blank line a record with its line number. No title rows, totals or
//! notes are recognised — units files are machine-written.

use std::collections::HashMap;

use super::header::Mapper;
use super::{csv_reader, encoding, file_name, read_bytes, Encoding, RowProblem};
use crate::error::{Error, Result};

/// A CSV file read into header-mapped records with their row numbers.
pub(crate) struct Table {
    pub(crate) file: String,
    columns: HashMap<&'static str, usize>,
    pub(crate) rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    /// Reads `path` (UTF-8, or GB18030 when not UTF-8), mapping headers through `spec`
    /// (canonical name, accepted spellings); fails if a `required` column is missing.
    /// Row numbers are the file's 1-based line numbers, blank lines counted.
    pub(crate) fn read(
        path: &str,
        spec: &[(&'static str, &[&str])],
        required: &[&str],
    ) -> Result<Table> {
        let file = file_name(path);
        let bytes = read_bytes(path)?;
        let (text, _) = encoding::decode(&bytes, Encoding::Auto, &file)?;
        let mut raw = csv_reader::read_rows(&text, &file)?
            .into_iter()
            .filter(|r| !r.is_blank());
        let header = raw.next().map(|r| r.cells).unwrap_or_default();
        let mapper = Mapper::new(spec, &[])?;
        let mut columns = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            if let Some(name) = mapper.field_of(h) {
                columns.entry(name).or_insert(i);
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
        let rows = raw
            .map(|r| {
                let cells: Vec<String> = r.cells.iter().map(|c| c.trim().to_owned()).collect();
                (r.row, csv::StringRecord::from(cells))
            })
            .collect();
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SPEC: &[(&str, &[&str])] = &[
        ("code", &["code", "代码"]),
        ("name", &["name", "名称"]),
        ("valid_from", &["valid_from", "起始日期"]),
    ];

    #[test]
    fn reads_units_csv_with_line_numbers() {
        let dir = std::env::temp_dir().join(format!("shiliu-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("units.csv");
        std::fs::write(
            &path,
            "\u{FEFF}code,name,valid_from\n320502,姑苏区,2012-10-26\n\n , ,\n320505, 虎丘区 ,2000-01-01\n",
        )
        .unwrap();
        let t = Table::read(path.to_str().unwrap(), SPEC, &["code", "name"]).unwrap();
        assert_eq!(t.file, "units.csv");
        let lines: Vec<usize> = t.rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 5]);
        assert_eq!(t.get(&t.rows[1].1, "name"), Some("虎丘区"));
        assert_eq!(t.get(&t.rows[1].1, "nothing"), None);
        let p = t.problem(5, "name", Some("x"), "unit.bad", "bad".into());
        assert_eq!((p.file.as_str(), p.row), ("units.csv", 5));
        let err = Table::read(path.to_str().unwrap(), SPEC, &["level"])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "invalid units.csv header: the column level is missing"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
