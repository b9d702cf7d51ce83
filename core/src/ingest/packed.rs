//! Sheets whose data rows are packed into one text buffer: the form the ledger import
//! reads. A million rows held as a million `Vec<String>` take several times the size of
//! the file and ten million allocations; packed, they take about the file's size.

use super::sheet::DataRows;
use super::{file_name, Input, ReadOptions, Sheet};
use crate::error::{Error, Result};

/// A sheet (see [`Sheet`]; its `rows` are empty) with its data rows packed.
#[derive(Debug)]
pub(crate) struct PackedSheet {
    /// Everything but the data rows.
    pub(crate) sheet: Sheet,
    rows: PackedRows,
}

/// Data rows in one buffer: the cells of row `i` are cells `i * width ..` of `ends`.
#[derive(Debug, Default)]
struct PackedRows {
    /// Row numbers as the file shows them.
    numbers: Vec<usize>,
    /// Every cell's text, one after the other.
    text: String,
    /// Where each cell's text ends in `text`.
    ends: Vec<u32>,
    /// The file, for the error when it is too large.
    file: String,
}

impl DataRows for PackedRows {
    fn push<'a>(&mut self, row: usize, cells: impl Iterator<Item = &'a str>) -> Result<()> {
        for c in cells {
            self.text.push_str(c);
            let end = u32::try_from(self.text.len()).map_err(|_| {
                Error::invalid(
                    &self.file,
                    "the file is too large to import at once (over 4 GiB of text); split it",
                )
            })?;
            self.ends.push(end);
        }
        self.numbers.push(row);
        Ok(())
    }
}

impl PackedSheet {
    /// How many data rows there are.
    pub(crate) fn len(&self) -> usize {
        self.rows.numbers.len()
    }

    /// The row number (as the file shows it) of data row `i`.
    pub(crate) fn row_number(&self, i: usize) -> usize {
        self.rows.numbers.get(i).copied().unwrap_or_default()
    }

    /// The (trimmed) cell of data row `i` in column `column`; `""` if there is none.
    pub(crate) fn cell(&self, i: usize, column: usize) -> &str {
        let width = self.sheet.columns.len();
        if column >= width {
            return "";
        }
        let k = i * width + column;
        let end = self.rows.ends.get(k).map_or(0, |e| *e as usize);
        let start = match k.checked_sub(1) {
            Some(prev) => self.rows.ends.get(prev).map_or(0, |e| *e as usize),
            None => 0,
        };
        self.rows.text.get(start..end).unwrap_or_default()
    }

    /// Packs the rows of a sheet read as [`Sheet`].
    fn from_sheet(mut sheet: Sheet) -> Result<PackedSheet> {
        let mut rows = PackedRows {
            file: sheet.file.clone(),
            ..PackedRows::default()
        };
        let width = sheet.columns.len();
        for r in std::mem::take(&mut sheet.rows) {
            let pad = width.saturating_sub(r.cells.len());
            let cells = r.cells.iter().map(String::as_str).take(width);
            rows.push(r.row, cells.chain(std::iter::repeat_n("", pad)))?;
        }
        Ok(PackedSheet { sheet, rows })
    }
}

/// [`super::read_table`], with the data rows packed. A CSV file is read in one pass:
/// its rows are never held as strings.
pub(crate) fn read_packed(
    path: &str,
    spec: &[(&'static str, &[&str])],
    options: &ReadOptions,
) -> Result<Vec<PackedSheet>> {
    let input = Input::open(path, spec, options)?;
    if !input.is_csv() {
        return input
            .read_other(options)?
            .into_iter()
            .map(PackedSheet::from_sheet)
            .collect();
    }
    let mut rows = PackedRows {
        file: file_name(path),
        // The cells take about the file's size.
        text: String::with_capacity(input.len()),
        ..PackedRows::default()
    };
    let sheet = input.read_csv(options, &mut rows)?;
    rows.text.shrink_to_fit();
    Ok(vec![PackedSheet { sheet, rows }])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ingest::{read_table, LEDGER_FIELDS};

    #[test]
    fn packed_rows_read_as_the_sheet_does() {
        let dir = std::env::temp_dir().join(format!("shiliu-packed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "\u{FEFF}台账\n\n序号,姓名,民族, 电话 \n1, 张三 ,回族,138\n\n合计,,\n2,\"李\r\n四\",满族,,x\n3,王五\n\n";
        for (name, bytes) in [
            ("a.csv", text.as_bytes().to_vec()),
            (
                "b.csv",
                encoding_rs::GB18030.encode(&text[3..]).0.into_owned(),
            ),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            let path = path.to_str().unwrap();
            let opts = ReadOptions::default();
            let sheet = read_table(path, LEDGER_FIELDS, &opts).unwrap().remove(0);
            let packed = read_packed(path, LEDGER_FIELDS, &opts).unwrap().remove(0);
            assert_eq!(packed.len(), sheet.rows.len());
            assert_eq!(packed.len(), 3);
            for (i, r) in sheet.rows.iter().enumerate() {
                assert_eq!(packed.row_number(i), r.row);
                for (c, cell) in r.cells.iter().enumerate() {
                    assert_eq!(packed.cell(i, c), cell);
                }
                assert_eq!(packed.cell(i, 99), "");
            }
            assert_eq!(packed.cell(0, 1), "张三");
            assert_eq!(packed.cell(1, 1), "李\n四");
            assert_eq!(packed.cell(2, 2), "");
            let mut bare = sheet.clone();
            bare.rows.clear();
            assert_eq!(packed.sheet, bare);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
