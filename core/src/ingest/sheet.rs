//! From rows of cells to a [`Sheet`]: finding the header row, mapping columns, and
//! setting aside totals, blank rows, repeated headers and notes.

use super::header::{is_blank, normalise_header, trim_cell, Mapper};
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

/// A row's cells as read, however they are held.
pub(crate) trait Cells {
    /// How many cells the row has.
    fn count(&self) -> usize;
    /// Cell `i` (`""` past the end).
    fn cell(&self, i: usize) -> &str;
}

impl Cells for [String] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> &str {
        self.get(i).map_or("", String::as_str)
    }
}

impl Cells for Vec<String> {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> &str {
        self.get(i).map_or("", String::as_str)
    }
}

impl Cells for [&str] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> &str {
        self.get(i).copied().unwrap_or("")
    }
}

impl Cells for csv::StringRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> &str {
        self.get(i).unwrap_or("")
    }
}

fn cells_of<C: Cells + ?Sized>(c: &C) -> impl Iterator<Item = &str> {
    (0..c.count()).map(|i| c.cell(i))
}

fn blank_row<C: Cells + ?Sized>(c: &C) -> bool {
    cells_of(c).all(|s| trim_cell(s).is_empty())
}

/// Where the data rows of a sheet go: a `Vec` of [`Record`]s, or a packed buffer.
pub(crate) trait DataRows {
    /// The header has been read: the sheet as far as it is known then (no rows, no
    /// skipped rows).
    fn header(&mut self, _sheet: &Sheet) -> Result<()> {
        Ok(())
    }

    /// Takes a data row: its number and one trimmed cell per column.
    fn push<'a>(&mut self, row: usize, cells: impl Iterator<Item = &'a str>) -> Result<()>;
}

impl DataRows for Vec<Record> {
    fn push<'a>(&mut self, row: usize, cells: impl Iterator<Item = &'a str>) -> Result<()> {
        Vec::push(
            self,
            Record {
                row,
                cells: cells.map(str::to_owned).collect(),
            },
        );
        Ok(())
    }
}

/// Builds a sheet from its rows as they are read, one at a time: finds the header (or
/// takes `header_row`), then classifies every row below it, handing data rows to a
/// [`DataRows`] and keeping the rest in [`Sheet::skipped`]. Only the rows above the
/// header are kept as read.
pub(crate) struct Builder<'m, 's> {
    meta: Meta,
    mapper: &'m Mapper<'s>,
    header_row: Option<usize>,
    state: State,
}

enum State {
    /// Looking for the header; the rows above it so far, and how many are not blank.
    Searching {
        above: Vec<RawRow>,
        non_blank: usize,
    },
    /// No header among the first rows.
    NoHeader,
    /// Below the header.
    Body(Body),
}

struct Body {
    header_row: usize,
    columns: Vec<Column>,
    warnings: Vec<Warning>,
    header_norm: Vec<String>,
    titles: Vec<Vec<String>>,
    /// The first characters of every text a first cell is compared with in
    /// [`classify`]: a row whose first cell starts otherwise is data.
    starts: Vec<char>,
    skipped: Vec<Skipped>,
    /// Blank rows not yet followed by another row (trailing blank rows are not listed).
    blanks: Vec<usize>,
    extra_warned: bool,
}

impl<'m, 's> Builder<'m, 's> {
    /// A builder that looks for the header row (or takes `header_row`).
    pub(crate) fn new(meta: Meta, mapper: &'m Mapper<'s>, header_row: Option<usize>) -> Self {
        Builder {
            meta,
            mapper,
            header_row,
            state: State::Searching {
                above: Vec::new(),
                non_blank: 0,
            },
        }
    }

    /// A builder whose columns are already known (JSON Lines: the keys).
    pub(crate) fn with_columns(
        meta: Meta,
        mapper: &'m Mapper<'s>,
        header_row: usize,
        (columns, warnings): (Vec<Column>, Vec<Warning>),
        header_norm: Vec<String>,
    ) -> Self {
        Builder {
            meta,
            mapper,
            header_row: Some(header_row),
            state: State::Body(Body::new(
                header_row,
                columns,
                warnings,
                header_norm,
                Vec::new(),
            )),
        }
    }

    /// Whether reading on can still change the sheet (false once no header was found).
    pub(crate) fn wants_more(&self) -> bool {
        !matches!(self.state, State::NoHeader)
    }

    /// Takes the next row (rows come in file order, blank rows included).
    pub(crate) fn push<C: Cells + ?Sized, D: DataRows>(
        &mut self,
        row: usize,
        cells: &C,
        out: &mut D,
    ) -> Result<()> {
        let (above, non_blank) = match &mut self.state {
            State::Body(body) => return body.push(row, cells, out),
            State::NoHeader => return Ok(()),
            State::Searching { above, non_blank } => (above, non_blank),
        };
        let blank = blank_row(cells);
        let is_header = match self.header_row {
            Some(n) if row > n || (row == n && blank) => {
                return Err(Error::invalid(
                    format!("{} header", self.meta.label()),
                    format!("row {n} is blank or past the end of the file"),
                ))
            }
            Some(n) => row == n,
            None if blank => false,
            None => {
                *non_blank += 1;
                self.mapper.mapped_count(cells_of(cells)) >= self.mapper.header_threshold()
            }
        };
        if is_header {
            let titles: Vec<Vec<String>> = above
                .iter()
                .filter(|r| !r.is_blank())
                .map(|r| normalised(&r.cells))
                .collect();
            let header: Vec<String> = cells_of(cells).map(str::to_owned).collect();
            let (columns, warnings) = self.mapper.columns(&header);
            let body = Body::new(row, columns, warnings, normalised(&header), titles);
            out.header(&Sheet {
                file: self.meta.file.clone(),
                sheet: self.meta.sheet.clone(),
                encoding: self.meta.encoding,
                header_row: row,
                columns: body.columns.clone(),
                rows: Vec::new(),
                skipped: Vec::new(),
                warnings: body.warnings.clone(),
                bad_lines: Vec::new(),
            })?;
            self.state = State::Body(body);
        } else if self.header_row.is_none() && *non_blank >= HEADER_SCAN {
            self.state = State::NoHeader;
        } else {
            above.push(RawRow {
                row,
                cells: cells_of(cells).map(str::to_owned).collect(),
            });
        }
        Ok(())
    }

    /// The sheet without its data rows (they went to the [`DataRows`]); `Ok(None)` when
    /// no row looks like a header.
    pub(crate) fn finish(self) -> Result<Option<Sheet>> {
        let body = match self.state {
            State::Body(body) => body,
            State::Searching { .. } if self.header_row.is_some() => {
                return Err(Error::invalid(
                    format!("{} header", self.meta.label()),
                    format!(
                        "row {} is blank or past the end of the file",
                        self.header_row.unwrap_or_default()
                    ),
                ))
            }
            State::Searching { .. } | State::NoHeader => return Ok(None),
        };
        Ok(Some(Sheet {
            file: self.meta.file,
            sheet: self.meta.sheet,
            encoding: self.meta.encoding,
            header_row: body.header_row,
            columns: body.columns,
            rows: Vec::new(),
            skipped: body.skipped,
            warnings: body.warnings,
            bad_lines: Vec::new(),
        }))
    }
}

impl Body {
    fn new(
        header_row: usize,
        columns: Vec<Column>,
        warnings: Vec<Warning>,
        header_norm: Vec<String>,
        titles: Vec<Vec<String>>,
    ) -> Body {
        let mut starts: Vec<char> = TOTALS
            .iter()
            .chain(SUBTOTALS)
            .chain(NOTES)
            .copied()
            .chain(header_norm.iter().map(String::as_str))
            .chain(titles.iter().flatten().map(String::as_str))
            .filter_map(|t| t.chars().next())
            .collect();
        starts.sort_unstable();
        starts.dedup();
        Body {
            header_row,
            columns,
            warnings,
            header_norm,
            titles,
            starts,
            skipped: Vec::new(),
            blanks: Vec::new(),
            extra_warned: false,
        }
    }

    fn push<C: Cells + ?Sized, D: DataRows>(
        &mut self,
        row: usize,
        cells: &C,
        out: &mut D,
    ) -> Result<()> {
        if blank_row(cells) {
            self.blanks.push(row);
            return Ok(());
        }
        for blank in self.blanks.drain(..) {
            self.skipped.push(Skipped {
                row: blank,
                reason: SkipReason::Blank,
                text: String::new(),
            });
        }
        if let Some((reason, text)) = classify(cells, &self.header_norm, &self.titles, &self.starts)
        {
            self.skipped.push(Skipped { row, reason, text });
            return Ok(());
        }
        let width = self.columns.len();
        let count = cells.count();
        if !self.extra_warned
            && count > width
            && (width..count).any(|i| !trim_cell(cells.cell(i)).is_empty())
        {
            self.extra_warned = true;
            self.warnings.push(Warning::new(
                "ingest.extra_cells",
                format!("row {row} has cells right of the last header column; they are ignored"),
            ));
        }
        out.push(row, (0..width).map(|i| trim_cell(cells.cell(i))))
    }
}

/// Finds the header (or takes `header_row`) and builds the sheet; `Ok(None)` when no
/// row looks like a header.
pub(crate) fn build(
    meta: Meta,
    raw: Vec<RawRow>,
    mapper: &Mapper<'_>,
    header_row: Option<usize>,
) -> Result<Option<Sheet>> {
    let mut b = Builder::new(meta, mapper, header_row);
    let mut rows = Vec::new();
    for r in &raw {
        if !b.wants_more() {
            break;
        }
        b.push(r.row, &r.cells, &mut rows)?;
    }
    Ok(b.finish()?.map(|mut s| {
        s.rows = rows;
        s
    }))
}

/// Cells normalised for comparison, trailing empty cells dropped.
fn normalised<C: Cells + ?Sized>(cells: &C) -> Vec<String> {
    let mut out: Vec<String> = cells_of(cells).map(normalise_header).collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// Whether [`normalise_header`] leaves `s` as it is (so the common case, a name or a
/// number in the first cell of a data row, needs no copy): no blanks, no full-width
/// forms, no brackets or `*`, `_`, `-`, no ASCII capitals.
fn already_normal(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            !(is_blank(c)
                || ('\u{FF01}'..='\u{FF5E}').contains(&c)
                || matches!(
                    c,
                    '【' | '】' | '〔' | '〕' | '(' | ')' | '[' | ']' | '*' | '_' | '-'
                )
                || c.is_ascii_uppercase())
        })
}

/// Why a row is not data, if it is not.
fn classify<C: Cells + ?Sized>(
    cells: &C,
    header_norm: &[String],
    titles: &[Vec<String>],
    starts: &[char],
) -> Option<(SkipReason, String)> {
    let Some(first) = cells_of(cells).map(trim_cell).find(|c| !c.is_empty()) else {
        return Some((SkipReason::Blank, String::new()));
    };
    let key: std::borrow::Cow<'_, str> = if already_normal(first) {
        first.into()
    } else {
        normalise_header(first).into()
    };
    let key = key.as_ref();
    // Every test below needs the key to start as a total, a note, a header or title
    // cell starts (the common case, a name or a number, fails here).
    if key
        .chars()
        .next()
        .is_some_and(|c| starts.binary_search(&c).is_err())
    {
        return None;
    }
    if TOTALS.iter().any(|t| key.starts_with(t)) {
        return Some((SkipReason::Total, first.to_owned()));
    }
    if SUBTOTALS.iter().any(|t| key.starts_with(t)) {
        return Some((SkipReason::Subtotal, first.to_owned()));
    }
    // A repeated header or title row starts with one of its cells: only then is the
    // whole row worth normalising (this runs for every data row).
    let could_repeat =
        header_norm.iter().any(|h| h == key) || titles.iter().any(|t| t.iter().any(|c| c == key));
    if could_repeat {
        let norm = normalised(cells);
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
    fn first_cells_that_only_look_like_skips_stay_data() {
        let raw = rows(&[
            &["*", "姓名", "民族"],
            &["1", "单一", "回族"],
            &["合", "总二", "满族"],
            &["-", "张三", "回族"],
            &["*", "姓名", "民族"],
            &["　姓名", "x"],
            &["Ｘ", "李四", "回族"],
        ]);
        let m = Mapper::new(LEDGER_FIELDS, &[]).unwrap();
        let s = build(meta(), raw, &m, None).unwrap().unwrap();
        assert_eq!(
            s.rows.iter().map(|r| r.row).collect::<Vec<_>>(),
            [2, 3, 4, 6, 7]
        );
        let skipped: Vec<_> = s.skipped.iter().map(|k| (k.row, k.reason)).collect();
        assert_eq!(skipped, [(5, SkipReason::RepeatedHeader)]);
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
