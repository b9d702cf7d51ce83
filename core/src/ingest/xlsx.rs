//! XLSX workbooks via calamine: cells to strings faithfully, rows numbered as Excel
//! shows them, sheet selection.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::header::Mapper;
use super::sheet::{self, Meta};
use super::{no_header, RawRow, ReadOptions, Sheet, SheetSelection};
use crate::error::{Error, Result, Warning};

/// Reads the selected sheets of a workbook.
pub(crate) fn read(
    bytes: Vec<u8>,
    file: &str,
    mapper: &Mapper<'_>,
    options: &ReadOptions,
) -> Result<Vec<Sheet>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| Error::invalid(file, format!("not a readable XLSX workbook ({e})")))?;
    let names = wb.sheet_names();
    let selected: Vec<String> = match &options.sheet {
        SheetSelection::First => names.first().cloned().into_iter().collect(),
        SheetSelection::All => names.clone(),
        SheetSelection::Named(want) => {
            let found = names
                .iter()
                .find(|n| *n == want)
                .or_else(|| names.iter().find(|n| n.trim() == want.trim()));
            match found {
                Some(n) => vec![n.clone()],
                None => {
                    return Err(Error::not_found(format!(
                        "sheet {want:?} in {file} (sheets: {})",
                        names.join(", ")
                    )))
                }
            }
        }
    };
    if selected.is_empty() {
        return Err(Error::invalid(
            file,
            "the workbook has no sheets".to_owned(),
        ));
    }
    let mut sheets = Vec::new();
    let mut skipped = Vec::new();
    for name in &selected {
        let range = wb.worksheet_range(name).map_err(|e| {
            Error::invalid(
                format!("{file} [{name}]"),
                format!("unreadable sheet ({e})"),
            )
        })?;
        let raw = rows_of(&range);
        let meta = Meta {
            file: file.to_owned(),
            sheet: Some(name.clone()),
            encoding: "xlsx",
        };
        match sheet::build(meta, raw, mapper, options.header_row)? {
            Some(s) => sheets.push(s),
            None if options.sheet == SheetSelection::All => skipped.push(name.clone()),
            None => return Err(no_header(&format!("{file} [{name}]"), mapper)),
        }
    }
    if sheets.is_empty() {
        return Err(no_header(&format!("{file} (every sheet)"), mapper));
    }
    for name in skipped {
        sheets[0].warnings.push(Warning::new(
            "ingest.sheet_without_header",
            format!("sheet {name:?} has no header row and was not read"),
        ));
    }
    Ok(sheets)
}

/// The rows of a range, numbered as Excel shows them (absolute row index + 1).
fn rows_of(range: &calamine::Range<Data>) -> Vec<RawRow> {
    let first = range.start().map_or(0, |(r, _)| r as usize);
    range
        .rows()
        .enumerate()
        .map(|(i, cells)| RawRow {
            row: first + i + 1,
            cells: cells.iter().map(cell_text).collect(),
        })
        .collect()
}

/// A cell as text: strings as is; whole numbers without `.0` (a phone stored as a number
/// stays `13812345678`); numbers of 16 digits or more — which Excel cannot hold exactly,
/// so an ID number stored as a number has already lost digits — in Excel's scientific
/// form (`1.10105194912310E+17` style, shortest round trip) so the loss stays visible;
/// other numbers in their shortest round-trip form; dates `YYYY-MM-DD` (with
/// ` HH:MM:SS` when there is a time of day); booleans `true`/`false`; errors empty.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if dt.as_f64() < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(dt) => float_text(dt.as_f64()),
        Data::DateTimeIso(s) => match s.split_once('T') {
            Some((date, time)) if time.chars().all(|c| matches!(c, '0' | ':' | '.')) => {
                date.to_owned()
            }
            Some((date, time)) => format!("{date} {time}"),
            None => s.clone(),
        },
        Data::DurationIso(s) => s.clone(),
    }
}

/// See [`cell_text`].
fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{f:.0}");
    }
    if f.fract() == 0.0 {
        // Shortest round-trip digits, Excel's notation: 1.1010519491231E+17.
        return format!("{f:e}").replace('e', "E+").replace("E+-", "E-");
    }
    format!("{f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_to_text() {
        assert_eq!(cell_text(&Data::Float(13812345678.0)), "13812345678");
        assert_eq!(
            cell_text(&Data::Float(110105194912310000.0)),
            "1.1010519491231E+17"
        );
        assert_eq!(cell_text(&Data::Float(1.10105e17)), "1.10105E+17");
        assert_eq!(cell_text(&Data::Float(45356.5)), "45356.5");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(-3.0)), "-3");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::Bool(true)), "true");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::Div0)), "");
        let date =
            calamine::ExcelDateTime::new(45356.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(date)), "2024-03-05");
        let dt =
            calamine::ExcelDateTime::new(45356.5, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(dt)), "2024-03-05 12:00:00");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-03-05T00:00:00".into())),
            "2024-03-05"
        );
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-03-05T08:30:00".into())),
            "2024-03-05 08:30:00"
        );
    }
}
