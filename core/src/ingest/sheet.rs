//! From rows of cells to a [`Sheet`]: finding the header row, mapping columns, and
//! setting aside totals, blank rows, repeated headers and notes.

use super::header::{normalise_header, trim_cell, Mapper};
use super::{Column, RawRow, Record, Sheet, SkipReason, Skipped};
use crate::error::{Error, Result, Warning};

/// How many non-blank rows from the top may hold the header.
const HEADER_SCAN: usize = 15;

/// First cells (normalised, see [`normalise_header`]) that start a total row.
const TOTALS: &[&str] = &["合计", "总计", "共计", "总合计"];
/// First cells that start a subtotal row.
const SUBTOTALS: &[&str] = &["小计"];
/// First cells that start a note row (signatures, instructions).
const NOTES: &[&str] = &[
    "制表人",
    "制表:",
    "制表单位",
    "制表日期",
    "制表时间",
    "填表人",
    "填表:",
    "填表单位",
    "填表日期",
    "填表说明",
    "填报人",
    "填报单位",
    "填报日期",
    "填报说明",
    "审核人",
    "审核:",
    "负责人",
    "单位负责人",
    "统计人",
    "说明:",
    "注:",
    "备注:",
];

/// Where the rows came from.
pub(crate) struct Meta {
    pub(crate) file: String,
    pub(crate) sheet: Option<String>,
    pub(crate) encoding: &'static str,
}

impl Meta {
    fn label(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{} [{s}]", self.file),
            None => self.file.clone(),
        }
    }
}

/// Finds the header (or takes `header_row`) and builds the sheet; `Ok(None)` when no
/// row looks like a header.
pub(crate) fn build(
    meta: Meta,
    mut raw: Vec<RawRow>,
    mapper: &Mapper<'_>,
    header_row: Option<usize>,
) -> Result<Option<Sheet>> {
    let at = match header_row {
        Some(n) => match raw.iter().position(|r| r.row == n && !r.is_blank()) {
            Some(i) => i,
            None => {
                return Err(Error::invalid(
                    format!("{} header", meta.label()),
                    format!("row {n} is blank or past the end of the file"),
                ))
            }
        },
        None => match raw
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_blank())
            .take(HEADER_SCAN)
            .find(|(_, r)| mapper.mapped_count(&r.cells) >= mapper.header_threshold())
        {
            Some((i, _)) => i,
            None => return Ok(None),
        },
    };
    // The data rows move on; only the header and title rows stay behind.
    let data = raw.split_off(at + 1);
    let header = &raw[at];
    let titles: Vec<Vec<String>> = raw[..at]
        .iter()
        .filter(|r| !r.is_blank())
        .map(|r| normalised(&r.cells))
        .collect();
    let (columns, warnings) = mapper.columns(&header.cells);
    Ok(Some(assemble(
        meta,
        header.row,
        columns,
        warnings,
        normalised(&header.cells),
        &titles,
        data,
    )))
}

/// Cells normalised for comparison, trailing empty cells dropped.
fn normalised(cells: &[String]) -> Vec<String> {
    let mut out: Vec<String> = cells.iter().map(|c| normalise_header(c)).collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// Builds the sheet from mapped columns and the rows below the header.
pub(crate) fn assemble(
    meta: Meta,
    header_row: usize,
    columns: Vec<Column>,
    mut warnings: Vec<Warning>,
    header_norm: Vec<String>,
    titles: &[Vec<String>],
    mut rows: Vec<RawRow>,
) -> Sheet {
    let last = rows.iter().rposition(|r| !r.is_blank());
    rows.truncate(last.map_or(0, |i| i + 1));
    let mut records = Vec::with_capacity(rows.len());
    let mut skipped = Vec::new();
    let mut extra_warned = false;
    for r in rows {
        if let Some((reason, text)) = classify(&r, &header_norm, titles) {
            skipped.push(Skipped {
                row: r.row,
                reason,
                text,
            });
            continue;
        }
        // The cells move over; only those with blanks around them are copied.
        let mut cells: Vec<String> = r
            .cells
            .into_iter()
            .map(|c| {
                let t = trim_cell(&c);
                if t.len() == c.len() {
                    c
                } else {
                    t.to_owned()
                }
            })
            .collect();
        if cells.len() > columns.len() {
            if !extra_warned && cells[columns.len()..].iter().any(|c| !c.is_empty()) {
                extra_warned = true;
                warnings.push(Warning::new(
                    "ingest.extra_cells",
                    format!(
                        "row {} has cells right of the last header column; they are ignored",
                        r.row
                    ),
                ));
            }
            cells.truncate(columns.len());
        }
        cells.resize(columns.len(), String::new());
        records.push(Record { row: r.row, cells });
    }
    Sheet {
        file: meta.file,
        sheet: meta.sheet,
        encoding: meta.encoding,
        header_row,
        columns,
        rows: records,
        skipped,
        warnings,
        bad_lines: Vec::new(),
    }
}

/// Why a row is not data, if it is not.
fn classify(
    r: &RawRow,
    header_norm: &[String],
    titles: &[Vec<String>],
) -> Option<(SkipReason, String)> {
    let Some(first) = r.cells.iter().map(|c| trim_cell(c)).find(|c| !c.is_empty()) else {
        return Some((SkipReason::Blank, String::new()));
    };
    let key = normalise_header(first);
    if TOTALS.iter().any(|t| key.starts_with(t)) {
        return Some((SkipReason::Total, first.to_owned()));
    }
    if SUBTOTALS.iter().any(|t| key.starts_with(t)) {
        return Some((SkipReason::Subtotal, first.to_owned()));
    }
    // A repeated header or title row starts with one of its cells: only then is the
    // whole row worth normalising (this runs for every data row).
    let could_repeat = header_norm.contains(&key) || titles.iter().any(|t| t.contains(&key));
    if could_repeat {
        let norm = normalised(&r.cells);
        let repeats_header = norm.iter().filter(|c| !c.is_empty()).count() >= 2
            && norm
                .iter()
                .enumerate()
                .all(|(i, c)| c.is_empty() || header_norm.get(i) == Some(c));
        if repeats_header || titles.contains(&norm) {
            return Some((SkipReason::RepeatedHeader, first.to_owned()));
        }
    }
    if NOTES.iter().any(|t| key.starts_with(t)) {
        return Some((SkipReason::Note, first.to_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ingest::LEDGER_FIELDS;

    fn rows(data: &[&[&str]]) -> Vec<RawRow> {
        data.iter()
            .enumerate()
            .map(|(i, cells)| RawRow {
                row: i + 1,
                cells: cells.iter().map(|c| c.to_string()).collect(),
            })
            .collect()
    }

    fn meta() -> Meta {
        Meta {
            file: "t.csv".into(),
            sheet: None,
            encoding: "utf-8",
        }
    }

    #[test]
    fn finds_header_below_title_and_skips_rows() {
        let raw = rows(&[
            &["某社区台账", "", ""],
            &["", "", ""],
            &["序号", "姓名", "民族"],
            &["1", "张三", "回族", ""],
            &["", "", ""],
            &["合 计", "", "2人"],
            &["某社区台账"],
            &["序号", "姓名", "民族"],
            &["2", "李四", "满族", "x"],
            &["小计：1"],
            &["制表人：王五"],
            &["注：数据截至年底"],
            &["", ""],
            &[""],
        ]);
        let m = Mapper::new(LEDGER_FIELDS, &[]).unwrap();
        let s = build(meta(), raw.clone(), &m, None).unwrap().unwrap();
        assert_eq!(s.header_row, 3);
        assert_eq!(
            s.rows.iter().map(|r| r.row).collect::<Vec<_>>(),
            [4, 9],
            "{s:?}"
        );
        assert_eq!(s.rows[1].cells, ["2", "李四", "满族"]);
        let skipped: Vec<_> = s
            .skipped
            .iter()
            .map(|k| (k.row, k.reason, k.text.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (5, SkipReason::Blank, ""),
                (6, SkipReason::Total, "合 计"),
                (7, SkipReason::RepeatedHeader, "某社区台账"),
                (8, SkipReason::RepeatedHeader, "序号"),
                (10, SkipReason::Subtotal, "小计：1"),
                (11, SkipReason::Note, "制表人：王五"),
                (12, SkipReason::Note, "注：数据截至年底"),
            ]
        );
        let codes: Vec<_> = s.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["ingest.unmapped_column", "ingest.extra_cells"]);
    }

    #[test]
    fn explicit_header_row_and_no_header() {
        let raw = rows(&[&["a", "b"], &["姓名", "x"], &["张三", "1"]]);
        let m = Mapper::new(LEDGER_FIELDS, &[]).unwrap();
        assert!(build(meta(), raw.clone(), &m, None).unwrap().is_none());
        let s = build(meta(), raw.clone(), &m, Some(2)).unwrap().unwrap();
        assert_eq!(s.header_row, 2);
        assert_eq!(s.rows.len(), 1);
        let err = build(meta(), raw, &m, Some(9)).unwrap_err();
        assert!(err.to_string().contains("row 9"), "{err}");
    }
}
