//! CSV text to rows numbered by the line each record starts on (blank lines counted,
//! quoted newlines inside a field not starting a new row; inside a field they become
//! `\n`). Tab-separated text — what
//! Excel's "文本文件(制表符分隔)" writes — is recognised by its tabs.

use super::sheet::Cells;
use super::RawRow;
use crate::error::{Error, Result};

/// How many lines from the top decide between comma and tab.
const SNIFF_LINES: usize = 20;

/// The delimiter: a tab when the first lines hold more tabs than commas.
fn delimiter(text: &str) -> u8 {
    let (mut tabs, mut commas) = (0usize, 0usize);
    for line in text.lines().take(SNIFF_LINES) {
        tabs += line.matches('\t').count();
        commas += line.matches([',', '，']).count();
    }
    if tabs > commas {
        b'\t'
    } else {
        b','
    }
}

/// Reads every row of `text`, blank lines included (as rows of no cells), each with its
/// 1-based line number.
pub(crate) fn read_rows(text: &str, file: &str) -> Result<Vec<RawRow>> {
    let mut rows = Vec::new();
    for_each_row(text, file, |row, cells| {
        rows.push(RawRow {
            row,
            cells: (0..cells.count())
                .map(|i| cells.cell(i).to_owned())
                .collect(),
        });
        Ok(())
    })?;
    Ok(rows)
}

/// A row's cells as [`for_each_row`] hands them over.
pub(crate) enum RowCells<'a> {
    /// As the CSV reader read them.
    Record(&'a csv::StringRecord),
    /// Slices of the text.
    Fields(&'a [&'a str]),
}

impl Cells for RowCells<'_> {
    fn count(&self) -> usize {
        match self {
            RowCells::Record(r) => r.len(),
            RowCells::Fields(f) => f.len(),
        }
    }
    fn cell(&self, i: usize) -> &str {
        match self {
            RowCells::Record(r) => r.get(i).unwrap_or(""),
            RowCells::Fields(f) => f.get(i).copied().unwrap_or(""),
        }
    }
}

/// Calls `f` with every row of `text` in order, blank lines included (as rows of no
/// cells), each with its 1-based line number. Nothing is kept: a large file is read in
/// one pass without a copy of its rows.
pub(crate) fn for_each_row(
    text: &str,
    file: &str,
    mut f: impl FnMut(usize, &RowCells<'_>) -> Result<()>,
) -> Result<()> {
    let delimiter = delimiter(text);
    if unquoted(text) {
        return for_each_line(text, delimiter, f);
    }
    let bytes = text.as_bytes();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut rec = csv::StringRecord::new();
    let blank = csv::StringRecord::new();
    let mut next_line = 1;
    // Line breaks before `counted` (records come in order, so each byte is counted once).
    let (mut counted, mut breaks) = (0, 0);
    while rdr.read_record(&mut rec).map_err(|e| csv_error(file, e))? {
        let mut byte = rec
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .min(bytes.len());
        // The reader's position may sit before the blank lines it skipped.
        while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte < counted {
            (counted, breaks) = (0, 0);
        }
        breaks += line_breaks(bytes.get(counted..byte).unwrap_or_default());
        counted = byte;
        let line = breaks + 1;
        for row in next_line..line {
            f(row, &RowCells::Record(&blank))?;
        }
        next_line = line + 1 + line_breaks(rec.as_slice().as_bytes());
        if rec.as_slice().contains('\r') {
            // Line breaks inside quoted fields as `\n`, as in XLSX cells.
            let fixed: csv::StringRecord = rec.iter().map(|c| c.replace("\r\n", "\n")).collect();
            f(line, &RowCells::Record(&fixed))?;
        } else {
            f(line, &RowCells::Record(&rec))?;
        }
    }
    Ok(())
}

/// Whether `text` has no quote and no carriage return but before a line feed: then each
/// line is a record and each delimiter ends a field, as the CSV reader would read them.
fn unquoted(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.contains(&b'"')
        && text
            .match_indices('\r')
            .all(|(i, _)| bytes.get(i + 1) == Some(&b'\n'))
}

/// [`for_each_row`] for [`unquoted`] text: lines split at the delimiter, the cells slices
/// of the text (no copy, no second UTF-8 check). Like the CSV reader, blank lines after
/// the last record are not rows.
fn for_each_line(
    text: &str,
    delimiter: u8,
    mut f: impl FnMut(usize, &RowCells<'_>) -> Result<()>,
) -> Result<()> {
    let mut fields: Vec<&str> = Vec::new();
    let mut blank_from = None;
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            blank_from.get_or_insert(i + 1);
            continue;
        }
        for row in blank_from.take().unwrap_or(i + 1)..=i {
            f(row, &RowCells::Fields(&[]))?;
        }
        fields.clear();
        // Fields are short: a plain loop beats a search per field. The delimiter is
        // ASCII, so every cut is a character boundary.
        let mut start = 0;
        for (at, b) in line.bytes().enumerate() {
            if b == delimiter {
                fields.push(line.get(start..at).unwrap_or_default());
                start = at + 1;
            }
        }
        fields.push(line.get(start..).unwrap_or_default());
        f(i + 1, &RowCells::Fields(&fields))?;
    }
    Ok(())
}

fn line_breaks(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

fn csv_error(file: &str, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    match line {
        Some(l) => Error::invalid(file, format!("unreadable CSV at row {l}")),
        None => Error::invalid(file, "unreadable CSV".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn numbered(text: &str) -> Vec<(usize, Vec<String>)> {
        read_rows(text, "t.csv")
            .unwrap()
            .into_iter()
            .map(|r| (r.row, r.cells))
            .collect()
    }

    /// The rows as the CSV reader reads them (a quoted line put first, then taken off).
    fn by_the_reader(text: &str) -> Vec<(usize, Vec<String>)> {
        let rows = numbered(&format!("\"\"\n{text}"));
        assert_eq!(rows[0], (1, vec![String::new()]));
        rows[1..].iter().map(|(n, c)| (n - 1, c.clone())).collect()
    }

    #[test]
    fn unquoted_text_reads_as_the_reader_reads_it() {
        for text in [
            "",
            "\n",
            "a,b",
            "a,b\n",
            "\n\na,b\n\n,\nc\n\n\n",
            "a,b\r\n\r\nc,d\r\n",
            "姓名\t民族\n\n张三\t回族\n  \n",
            " a , b ,\n,,\n",
            "a,b\n\n",
        ] {
            assert!(unquoted(text), "{text:?}");
            assert_eq!(numbered(text), by_the_reader(text), "{text:?}");
        }
        assert!(!unquoted("a\rb"));
        assert!(!unquoted("a,\"b\""));
        assert!(!unquoted("a\r"));
    }

    #[test]
    fn line_numbers_count_blank_lines_and_quoted_newlines() {
        let rows = numbered("a,b\n\n\"x\ny\",2\r\n\r\nc,3\n,\n");
        let got: Vec<(usize, usize)> = rows.iter().map(|(n, c)| (*n, c.len())).collect();
        assert_eq!(got, [(1, 2), (2, 0), (3, 2), (5, 0), (6, 2), (7, 2)]);
        assert_eq!(rows[2].1[0], "x\ny");
    }

    #[test]
    fn tabs_and_leading_blank_lines() {
        let rows = numbered("\n\n姓名\t民族\n张三\t回族");
        assert_eq!(rows[2], (3, vec!["姓名".to_owned(), "民族".to_owned()]));
        assert_eq!(rows[3].0, 4);
        assert_eq!(rows.len(), 4);
    }
}
