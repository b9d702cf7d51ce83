//! Header cells: normalisation, synonyms (the ledger spec [`LEDGER_FIELDS`]), the user's
//! mapping, and finding the header row below title rows.

use crate::error::{Error, Result, Warning};

/// The columns of a residents' ledger (台账): canonical field name and the header
/// spellings accepted for it (compared after [`normalise_header`]).
pub const LEDGER_FIELDS: &[(&str, &[&str])] = &[
    ("name", &["姓名", "名字", "name"]),
    ("sex", &["性别", "sex", "gender"]),
    ("ethnicity", &["民族", "民族成份", "民族成分", "ethnicity"]),
    (
        "id_number",
        &[
            "公民身份号码",
            "身份证号",
            "身份证号码",
            "证件号码",
            "身份证",
            "id_number",
        ],
    ),
    ("birth_date", &["出生日期", "出生年月日", "birth_date"]),
    (
        "phone",
        &[
            "联系电话",
            "手机",
            "手机号码",
            "手机号",
            "电话",
            "电话号码",
            "phone",
        ],
    ),
    (
        "community",
        &["所属社区", "社区", "居住地", "现居住社区", "community"],
    ),
    ("registration", &["户籍地", "户籍所在地", "registration"]),
    (
        "category",
        &["人员类别", "户籍类别", "人口类别", "category"],
    ),
    ("origin", &["流出地", "原籍", "origin"]),
    (
        "arrived_on",
        &["来苏时间", "迁入日期", "到达日期", "arrived_on"],
    ),
    ("left_on", &["离开时间", "迁出日期", "left_on"]),
    ("hardship", &["困难类型", "hardship"]),
];

/// Normalises a header cell (also used for the first cell of total and note rows):
/// full-width forms to ASCII, all white space removed (U+3000 too), bracketed parts
/// such as `（必填）`, `(选填)`, `【YYYY-MM-DD】` removed, required-column markers `*`/`＊`
/// removed at both ends, `_` and `-` removed, ASCII lower-cased. So `＊公民身份号码（必填）`
/// becomes `公民身份号码` and `ID-Number` becomes `idnumber`.
pub fn normalise_header(input: &str) -> String {
    let mapped: String = input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '【' | '〔' => '[',
            '】' | '〕' => ']',
            _ => c,
        })
        .filter(|c| !is_blank(*c) && *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let stripped = strip_brackets(&mapped);
    let stripped = if stripped.trim_matches('*').is_empty() {
        mapped.as_str()
    } else {
        stripped.as_str()
    };
    stripped.trim_matches('*').to_owned()
}

/// Blank as the code parsers see it: white space plus zero-width space and BOM.
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// A cell trimmed of blanks at both ends.
pub(crate) fn trim_cell(s: &str) -> &str {
    // Most cells have nothing to trim: look at both ends before trimming.
    match (s.chars().next(), s.chars().next_back()) {
        (Some(first), Some(last)) if !is_blank(first) && !is_blank(last) => s,
        _ => s.trim_matches(is_blank),
    }
}

/// Removes every `(…)` and `[…]` part (unbalanced brackets are kept as they are).
fn strip_brackets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut pending = String::new();
    for c in s.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                pending.push(c);
            }
            ')' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    pending.clear();
                } else {
                    pending.push(c);
                }
            }
            _ if depth > 0 => pending.push(c),
            _ => out.push(c),
        }
    }
    out.push_str(&pending);
    out
}

/// Maps header cells to canonical fields: the user's mapping first, then the spec's
/// synonyms (both compared after [`normalise_header`]).
pub(crate) struct Mapper<'s> {
    spec: &'s [(&'static str, &'s [&'s str])],
    /// (normalised header, field; `None` = ignore the column, original header).
    user: Vec<(String, Option<&'static str>, String)>,
}

impl<'s> Mapper<'s> {
    /// Builds a mapper; fails when the mapping names a field the spec does not know.
    /// A mapping to `""` or `"-"` means "ignore this column".
    pub(crate) fn new(
        spec: &'s [(&'static str, &'s [&'s str])],
        mapping: &[(String, String)],
    ) -> Result<Mapper<'s>> {
        let mut user = Vec::new();
        for (header, field) in mapping {
            let field = field.trim();
            let target = if field.is_empty() || field == "-" {
                None
            } else {
                match spec.iter().find(|(name, _)| *name == field) {
                    Some((name, _)) => Some(*name),
                    None => {
                        let known: Vec<&str> = spec.iter().map(|(n, _)| *n).collect();
                        return Err(Error::invalid(
                            "mapping",
                            format!(
                                "unknown field {field:?} for header {header:?}; known fields: {}",
                                known.join(", ")
                            ),
                        ));
                    }
                }
            };
            user.push((normalise_header(header), target, header.clone()));
        }
        Ok(Mapper { spec, user })
    }

    /// The field a header cell maps to: `Some(None)` when the user mapping says to
    /// ignore it, `None` when nothing matches.
    fn lookup(&self, header: &str) -> Option<Option<&'static str>> {
        let norm = normalise_header(header);
        if norm.is_empty() {
            return None;
        }
        if let Some((_, target, _)) = self.user.iter().find(|(h, _, _)| *h == norm) {
            return Some(*target);
        }
        self.spec
            .iter()
            .find(|(name, alts)| {
                normalise_header(name) == norm || alts.iter().any(|a| normalise_header(a) == norm)
            })
            .map(|(name, _)| Some(*name))
    }

    /// The field of a header cell, `None` when unmapped or ignored.
    pub(crate) fn field_of(&self, header: &str) -> Option<&'static str> {
        self.lookup(header).flatten()
    }

    /// How many distinct fields a row's cells map to.
    pub(crate) fn mapped_count<'c>(&self, cells: impl IntoIterator<Item = &'c str>) -> usize {
        let mut seen: Vec<&'static str> = Vec::new();
        for c in cells {
            if let Some(f) = self.field_of(c) {
                if !seen.contains(&f) {
                    seen.push(f);
                }
            }
        }
        seen.len()
    }

    /// How many mapped cells make a header row: 2, or 1 for a one-column spec.
    pub(crate) fn header_threshold(&self) -> usize {
        self.spec.len().clamp(1, 2)
    }

    /// Maps a header row to columns, with warnings for unmapped and duplicate columns
    /// and for user mappings that matched no header.
    pub(crate) fn columns(&self, headers: &[String]) -> (Vec<super::Column>, Vec<Warning>) {
        let mut columns: Vec<super::Column> = Vec::new();
        let mut warnings = Vec::new();
        for h in headers {
            let header = trim_cell(h).to_owned();
            let mut field = None;
            match self.lookup(&header) {
                Some(Some(f)) => {
                    if let Some(first) = columns.iter().find(|c| c.field == Some(f)) {
                        warnings.push(Warning::new(
                            "ingest.duplicate_column",
                            format!(
                                "columns {:?} and {:?} both mean {f}; the first is used",
                                first.header, header
                            ),
                        ));
                    } else {
                        field = Some(f);
                    }
                }
                Some(None) => {}
                None if header.is_empty() => {}
                None => warnings.push(Warning::new(
                    "ingest.unmapped_column",
                    format!("column {header:?} is not a known field and is ignored"),
                )),
            }
            columns.push(super::Column { header, field });
        }
        for (norm, _, original) in &self.user {
            if !headers.iter().any(|h| normalise_header(h) == *norm) {
                warnings.push(Warning::new(
                    "ingest.mapping_unused",
                    format!("the mapping for {original:?} matches no column"),
                ));
            }
        }
        (columns, warnings)
    }

    /// A few expected headers for an error message (the first Chinese spelling of the
    /// first fields).
    pub(crate) fn examples(&self) -> String {
        let names: Vec<&str> = self
            .spec
            .iter()
            .take(4)
            .map(|(name, alts)| alts.iter().copied().find(|a| !a.is_ascii()).unwrap_or(name))
            .collect();
        format!("{}, …", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn normalises_headers() {
        assert_eq!(normalise_header(" ＊公民身份号码（必填） "), "公民身份号码");
        assert_eq!(normalise_header("姓\u{3000}名*"), "姓名");
        assert_eq!(normalise_header("出生日期(YYYY-MM-DD)"), "出生日期");
        assert_eq!(normalise_header("联系电话【手机】"), "联系电话");
        assert_eq!(normalise_header("ID-Number"), "idnumber");
        assert_eq!(normalise_header("Ｎａｍｅ"), "name");
        assert_eq!(normalise_header("（必填）"), "(必填)");
        assert_eq!(normalise_header("合 计："), "合计:");
        assert_eq!(normalise_header("a(b"), "a(b");
    }

    #[test]
    fn maps_synonyms() {
        let m = Mapper::new(LEDGER_FIELDS, &[]).unwrap();
        for (h, f) in [
            ("身份证号", "id_number"),
            ("身份证号码", "id_number"),
            ("公民身份号码", "id_number"),
            ("证件号码", "id_number"),
            ("所属社区", "community"),
            ("社区", "community"),
            ("居住地", "community"),
            ("现居住社区", "community"),
            ("户籍地", "registration"),
            ("户籍所在地", "registration"),
            ("人员类别", "category"),
            ("户籍类别", "category"),
            ("人口类别", "category"),
            ("流出地", "origin"),
            ("原籍", "origin"),
            ("来苏时间", "arrived_on"),
            ("迁入日期", "arrived_on"),
            ("到达日期", "arrived_on"),
            ("离开时间", "left_on"),
            ("迁出日期", "left_on"),
            ("困难类型", "hardship"),
            ("出生日期", "birth_date"),
            ("出生年月日", "birth_date"),
            ("联系电话", "phone"),
            ("手机", "phone"),
            ("手机号码", "phone"),
            ("电话", "phone"),
            ("姓名", "name"),
            ("性别", "sex"),
            ("民族", "ethnicity"),
            ("民族成份", "ethnicity"),
            ("Name", "name"),
            ("ID_number", "id_number"),
            ("Birth Date", "birth_date"),
            ("arrived_on", "arrived_on"),
            ("left_on", "left_on"),
        ] {
            assert_eq!(m.field_of(h), Some(f), "{h}");
        }
        assert_eq!(m.field_of("序号"), None);
        assert_eq!(m.field_of(""), None);
    }

    #[test]
    fn user_mapping_overrides_and_validates() {
        let mapping = vec![
            ("证件号".to_owned(), "id_number".to_owned()),
            ("电话".to_owned(), "".to_owned()),
        ];
        let m = Mapper::new(LEDGER_FIELDS, &mapping).unwrap();
        assert_eq!(m.field_of("证件号"), Some("id_number"));
        assert_eq!(m.field_of("电话"), None);
        let bad = vec![("x".to_owned(), "nonsense".to_owned())];
        let err = Mapper::new(LEDGER_FIELDS, &bad).err().unwrap();
        assert!(err.to_string().contains("nonsense"));
    }

    #[test]
    fn columns_warn_once_per_problem() {
        let m = Mapper::new(LEDGER_FIELDS, &[("不存在".into(), "name".into())]).unwrap();
        let headers: Vec<String> = ["序号", "姓名", "手机", "电话", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (cols, warnings) = m.columns(&headers);
        let fields: Vec<_> = cols.iter().map(|c| c.field).collect();
        assert_eq!(fields, [None, Some("name"), Some("phone"), None, None]);
        let codes: Vec<_> = warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "ingest.unmapped_column",
                "ingest.duplicate_column",
                "ingest.mapping_unused"
            ]
        );
        assert_eq!(m.examples(), "姓名, 性别, 民族, 公民身份号码, …");
    }
}
