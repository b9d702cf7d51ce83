//! A ledger as the import reads it: the sheets first (with how many data rows they
//! hold, for progress), then every data row, one at a time. A CSV file is read in two
//! passes over its decoded text and none of its rows is kept: a million rows held as a
//! million `Vec<String>` take several times the size of the file, and keeping them
//! means reading the whole file before the first row can be validated.

use super::sheet::DataRows;
use super::{CsvText, Input, ReadOptions, Sheet};
use crate::error::Result;

/// A ledger file opened for the import.
pub(crate) enum Ledger<'s> {
    /// A CSV file's text.
    Csv(CsvText<'s>),
    /// The sheets of another format, read whole.
    Sheets(Vec<Sheet>),
}

/// What [`Ledger::visit`] hands over, sheet by sheet, in file order.
pub(crate) trait Visitor {
    /// Sheet `index` has a header: the sheet as far as it is known then (no rows, no
    /// skipped rows).
    fn sheet(&mut self, index: usize, sheet: &Sheet) -> Result<()>;

    /// A data row of sheet `index`: its number as the file shows it and one trimmed
    /// cell per column.
    fn row(&mut self, index: usize, row: usize, cells: &[&str]) -> Result<()>;
}

/// Counts data rows.
struct Count(usize);

impl DataRows for Count {
    fn push<'a>(&mut self, _: usize, _: impl Iterator<Item = &'a str>) -> Result<()> {
        self.0 += 1;
        Ok(())
    }
}

/// Hands a CSV file's header and data rows to a visitor.
struct Visit<'v>(&'v mut dyn Visitor);

impl DataRows for Visit<'_> {
    fn header(&mut self, sheet: &Sheet) -> Result<()> {
        self.0.sheet(0, sheet)
    }

    fn push<'a>(&mut self, row: usize, cells: impl Iterator<Item = &'a str>) -> Result<()> {
        // Ledgers are narrow: the cells go on the stack.
        const ON_STACK: usize = 32;
        let mut stack = [""; ON_STACK];
        let mut heap = Vec::new();
        let mut n = 0;
        for c in cells {
            match stack.get_mut(n) {
                Some(slot) => *slot = c,
                None => {
                    if heap.is_empty() {
                        heap.extend_from_slice(&stack);
                    }
                    heap.push(c);
                }
            }
            n += 1;
        }
        let cells = if n <= ON_STACK {
            stack.get(..n).unwrap_or_default()
        } else {
            &heap
        };
        self.0.row(0, row, cells)
    }
}

impl<'s> Ledger<'s> {
    /// Opens a ledger: reads and decodes the file (and reads any other format whole).
    pub(crate) fn open(
        path: &str,
        spec: &'s [(&'static str, &'s [&'s str])],
        options: &ReadOptions,
    ) -> Result<Ledger<'s>> {
        let input = Input::open(path, spec, options)?;
        Ok(if input.is_csv() {
            Ledger::Csv(input.decode_csv(options)?)
        } else {
            Ledger::Sheets(input.read_other(options)?)
        })
    }

    /// The sheets without their rows, and how many data rows they hold together.
    pub(crate) fn sheets(&self) -> Result<(Vec<Sheet>, usize)> {
        match self {
            Ledger::Csv(text) => {
                let mut count = Count(0);
                let sheet = text.read(&mut count)?;
                Ok((vec![sheet], count.0))
            }
            Ledger::Sheets(sheets) => {
                let bare = sheets
                    .iter()
                    .map(|s| Sheet {
                        rows: Vec::new(),
                        ..s.clone()
                    })
                    .collect();
                Ok((bare, sheets.iter().map(|s| s.rows.len()).sum()))
            }
        }
    }

    /// Hands every sheet's header and data rows to `visitor`, in file order.
    pub(crate) fn visit(&self, visitor: &mut dyn Visitor) -> Result<()> {
        match self {
            Ledger::Csv(text) => text.read(&mut Visit(visitor)).map(|_| ()),
            Ledger::Sheets(sheets) => {
                let mut cells: Vec<&str> = Vec::new();
                for (i, sheet) in sheets.iter().enumerate() {
                    visitor.sheet(
                        i,
                        &Sheet {
                            rows: Vec::new(),
                            skipped: Vec::new(),
                            ..sheet.clone()
                        },
                    )?;
                    for r in &sheet.rows {
                        cells.clear();
                        cells.extend(r.cells.iter().map(String::as_str));
                        visitor.row(i, r.row, &cells)?;
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ingest::{read_table, LEDGER_FIELDS};

    #[derive(Default)]
    struct Seen {
        sheets: Vec<Sheet>,
        rows: Vec<crate::ingest::Record>,
    }

    impl Visitor for Seen {
        fn sheet(&mut self, index: usize, sheet: &Sheet) -> Result<()> {
            assert_eq!(index, self.sheets.len());
            assert!(sheet.rows.is_empty() && sheet.skipped.is_empty());
            self.sheets.push(sheet.clone());
            Ok(())
        }
        fn row(&mut self, index: usize, row: usize, cells: &[&str]) -> Result<()> {
            assert_eq!(index + 1, self.sheets.len());
            self.rows.push(crate::ingest::Record {
                row,
                cells: cells.iter().map(|c| c.to_string()).collect(),
            });
            Ok(())
        }
    }

    #[test]
    fn a_ledger_reads_as_the_table_does() {
        let dir = std::env::temp_dir().join(format!("shiliu-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "\u{FEFF}台账\n\n序号,姓名,民族, 电话 \n1, 张三 ,回族,138\n\n合计,,\n2,\"李\r\n四\",满族,,x\n3,王五\n\n";
        let wide = format!(
            "姓名,民族{}\n张三,回族{}\n",
            ",x".repeat(40),
            ",1".repeat(40)
        );
        for (name, bytes) in [
            ("a.csv", text.as_bytes().to_vec()),
            (
                "b.csv",
                encoding_rs::GB18030.encode(&text[3..]).0.into_owned(),
            ),
            ("c.csv", text.replace('"', "").into_bytes()),
            ("d.csv", wide.into_bytes()),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            let path = path.to_str().unwrap();
            let opts = ReadOptions::default();
            let table = read_table(path, LEDGER_FIELDS, &opts).unwrap().remove(0);
            let ledger = Ledger::open(path, LEDGER_FIELDS, &opts).unwrap();
            let (sheets, total) = ledger.sheets().unwrap();
            assert_eq!(total, table.rows.len(), "{name}");
            let mut bare = table.clone();
            bare.rows.clear();
            assert_eq!(sheets, [bare], "{name}");
            let mut seen = Seen::default();
            ledger.visit(&mut seen).unwrap();
            assert_eq!(seen.rows, table.rows, "{name}");
            assert_eq!(seen.sheets.len(), 1, "{name}");
            assert_eq!(seen.sheets[0].columns, table.columns, "{name}");
            assert_eq!(seen.sheets[0].header_row, table.header_row, "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
