//! JSON Lines: one object per line, keys as headers (in the order first seen), values
//! as strings. A line that is not an object is reported in [`Sheet::bad_lines`] and
//! reading goes on.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::header::{normalise_header, Mapper};
use super::sheet::{self, Meta};
use super::{no_header, RowProblem, Sheet};
use crate::error::{Error, Result};

/// A JSON object with its keys in document order.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Ordered, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A value as a cell: strings as is, numbers as serde_json writes them, `null` empty,
/// booleans `true`/`false`, arrays and objects as compact JSON.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads JSON Lines text.
pub(crate) fn read(
    text_in: &str,
    file: String,
    encoding: &'static str,
    mapper: &Mapper<'_>,
) -> Result<Sheet> {
    let mut keys: Vec<String> = Vec::new();
    let mut objects: Vec<(usize, Vec<(String, Value)>)> = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text_in.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Ordered>(line) {
            Ok(Ordered(pairs)) => {
                for (k, _) in &pairs {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
                objects.push((line_no, pairs));
            }
            Err(e) => {
                let what = match e.classify() {
                    serde_json::error::Category::Data => "not a JSON object",
                    serde_json::error::Category::Eof => "cut short",
                    _ => "not valid JSON",
                };
                bad.push(RowProblem {
                    file: file.clone(),
                    row: line_no,
                    column: None,
                    value: None,
                    code: "ingest.bad_json".to_owned(),
                    reason: format!("line {line_no} is {what} (at column {})", e.column()),
                });
            }
        }
    }
    if !keys.is_empty() && !keys.iter().any(|k| mapper.field_of(k).is_some()) {
        return Err(no_header(&file, mapper));
    }
    let header_norm = keys.iter().map(|k| normalise_header(k)).collect();
    let meta = Meta {
        file,
        sheet: None,
        encoding,
    };
    let mut builder =
        sheet::Builder::with_columns(meta, mapper, 0, mapper.columns(&keys), header_norm);
    // Rows for the shared classification; blank lines between objects are not rows.
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    for (row, pairs) in objects {
        cells.clear();
        cells.resize(keys.len(), String::new());
        for (k, v) in pairs {
            if let Some(i) = keys.iter().position(|x| *x == k) {
                cells[i] = text(&v);
            }
        }
        builder.push(row, &cells, &mut rows)?;
    }
    let mut sheet = builder
        .finish()?
        .ok_or_else(|| Error::Internal("JSON Lines columns vanished".into()))?;
    sheet.rows = rows;
    sheet.bad_lines = bad;
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ingest::{SkipReason, LEDGER_FIELDS};

    #[test]
    fn reads_objects_and_reports_bad_lines() {
        let text = concat!(
            "{\"姓名\":\"张三\",\"民族\":\"回族\",\"phone\":13812345678,\"x\":null}\n",
            "\n",
            "[1,2]\n",
            "{\"name\":\"李四\",\"民族\":\"满族\",\"序号\":1.5e3}\n",
            "{\"name\": \"secret-value\n",
            "{\"姓名\":\"合计\",\"民族\":\"\"}\n",
        );
        let m = Mapper::new(LEDGER_FIELDS, &[]).unwrap();
        let s = read(text, "p.jsonl".into(), "utf-8", &m).unwrap();
        assert_eq!(s.header_row, 0);
        let headers: Vec<_> = s.columns.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(headers, ["姓名", "民族", "phone", "x", "name", "序号"]);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.rows[0].row, 1);
        assert_eq!(s.get(&s.rows[0], "phone"), Some("13812345678"));
        assert_eq!(s.rows[0].cells[3], "");
        // 姓名 and name both map to name: the first wins, the second is dropped.
        assert_eq!(s.get(&s.rows[1], "name"), None);
        assert_eq!(s.rows[1].cells[5], "1500.0");
        assert_eq!(s.skipped[0].reason, SkipReason::Total);
        assert_eq!(s.skipped[0].row, 6);
        let bad: Vec<_> = s.bad_lines.iter().map(|p| p.row).collect();
        assert_eq!(bad, [3, 5]);
        for p in &s.bad_lines {
            assert_eq!(p.code, "ingest.bad_json");
            assert!(!p.reason.contains("secret"), "{}", p.reason);
        }
        assert!(s.bad_lines[0].reason.contains("not a JSON object"));
    }
}
