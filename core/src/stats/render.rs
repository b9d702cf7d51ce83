//! Tables as JSON rows and as CSV text (the C face and files).

use serde_json::{json, Value};

use super::table::{Table, TOTAL};

/// Column names of a table's rows, in order.
pub fn column_names(t: &Table) -> Vec<String> {
    let mut cols: Vec<String> = [
        "period", "unit", "code", "name", "level", "level_zh", "path", "depth",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for d in &t.dimensions {
        cols.push(d.dimension.label().to_owned());
        cols.push(format!("{}_name", d.dimension.label()));
    }
    cols.extend(
        [
            "headcount",
            "components",
            "migrant_share",
            "population",
            "share",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    if !t.arrivals.is_empty() {
        cols.extend(
            ["arrivals", "departures", "growth"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
    }
    cols.extend(
        ["status", "status_zh", "split"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    cols
}

/// The values of row `i`, in the order of [`column_names`].
fn row_values(t: &Table, i: usize) -> Vec<Value> {
    let u = &t.units[t.unit[i] as usize];
    let mut v = vec![
        json!(t.periods.get(t.period[i] as usize)),
        json!(u.id),
        json!(u.code),
        json!(u.name),
        json!(u.level),
        json!(u.level_zh),
        json!(u.path),
        json!(u.depth),
    ];
    for (d, col) in t.dimensions.iter().zip(&t.keys) {
        let k = col[i];
        if k == TOTAL {
            v.push(Value::Null);
            v.push(json!("合计"));
        } else {
            v.push(json!(d.codes[k as usize]));
            v.push(json!(d.names[k as usize]));
        }
    }
    v.push(json!(t.headcount[i]));
    v.push(json!(t.components[i]));
    v.push(json!(t.migrant_share[i]));
    v.push(json!(t.population.get(i).copied().flatten()));
    v.push(json!(t.share.get(i).copied().flatten()));
    if !t.arrivals.is_empty() {
        v.push(json!(t.arrivals[i]));
        v.push(json!(t.departures[i]));
        v.push(json!(t.growth.get(i).copied().flatten()));
    }
    v.push(json!(t.status[i].label()));
    v.push(json!(t.status[i].name_zh()));
    v.push(json!(t.split[i]));
    v
}

/// Rows serialised straight from the columns (no per-cell JSON values).
struct Rows<'a> {
    t: &'a Table,
    columns: &'a [String],
}

impl serde::Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Row<'a>(&'a Table, &'a [String], usize);
        impl serde::Serialize for Row<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Row(t, cols, i) = *self;
                let mut m = s.serialize_map(Some(cols.len()))?;
                for (c, v) in cols.iter().zip(row_values(t, i)) {
                    m.serialize_entry(c, &v)?;
                }
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.t.len()))?;
        for i in 0..self.t.len() {
            seq.serialize_element(&Row(self.t, self.columns, i))?;
        }
        seq.end()
    }
}

/// The header of a JSON table.
#[derive(serde::Serialize)]
struct Document<'a> {
    transaction: i64,
    hierarchy: &'a crate::network::Hierarchy,
    geography: Option<chrono::NaiveDate>,
    periods: &'a [chrono::NaiveDate],
    k: Option<u32>,
    share_unit: super::query::ShareUnit,
    dimensions: Vec<&'static str>,
    notes: &'a [String],
    columns: &'a [String],
    rows: Rows<'a>,
}

/// The table as a JSON document, written straight from the columns: header fields and
/// `rows` (one object per row; a total row has `null` keys named `合计`; suppressed
/// measures are `null`).
pub fn to_json_text(t: &Table) -> String {
    let cols = column_names(t);
    let doc = Document {
        transaction: t.transaction,
        hierarchy: &t.hierarchy,
        geography: t.geography,
        periods: &t.periods,
        k: t.k,
        share_unit: t.share_unit,
        dimensions: t.dimensions.iter().map(|d| d.dimension.label()).collect(),
        notes: &t.notes,
        columns: &cols,
        rows: Rows { t, columns: &cols },
    };
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The table as CSV text (UTF-8, header row, `\n` line ends; empty cells for missing or
/// suppressed values).
pub fn to_csv(t: &Table) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let cell = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // Writing to memory cannot fail.
    let _ = w.write_record(column_names(t));
    for i in 0..t.len() {
        let _ = w.write_record(row_values(t, i).iter().map(cell));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
