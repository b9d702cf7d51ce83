//! What a population query asks for.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::Ethnicity;
use crate::network::{Hierarchy, UnitId, UnitKind};
use crate::register::Category;

/// A key a population table can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 民族 — GB/T 3304 ethnicity (the one valid on the date).
    #[serde(alias = "民族")]
    Ethnicity,
    /// 人员类别 — registered (户籍) or migrant (流动).
    #[serde(alias = "人员类别")]
    Category,
    /// 性别 — sex.
    #[serde(alias = "性别")]
    Sex,
    /// 年龄段 — age band on the date (see [`PopulationQuery::age_bands`]).
    #[serde(alias = "年龄段")]
    AgeBand,
    /// 流出地省份 — the province of the origin region.
    #[serde(alias = "流出地")]
    OriginProvince,
}

impl Dimension {
    /// The column name in result tables.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Ethnicity => "ethnicity",
            Dimension::Category => "category",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::OriginProvince => "origin_province",
        }
    }

    /// The Chinese column name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Dimension::Ethnicity => "民族",
            Dimension::Category => "人员类别",
            Dimension::Sex => "性别",
            Dimension::AgeBand => "年龄段",
            Dimension::OriginProvince => "流出地省份",
        }
    }
}

/// Which place counts: where residents live (the default) or where they are registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// 居住地 — the community lived in.
    #[default]
    #[serde(alias = "居住地")]
    Residence,
    /// 户籍地 — the unit of registration (residents registered outside the registry's
    /// units are not counted).
    #[serde(alias = "户籍地")]
    Registration,
}

/// The unit of shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareUnit {
    /// ‰ (the usual unit of ethnic-affairs reports).
    #[default]
    #[serde(alias = "‰")]
    Permille,
    /// %.
    #[serde(alias = "%")]
    Percent,
}

impl ShareUnit {
    /// The factor a fraction is multiplied by.
    pub fn factor(self) -> f64 {
        match self {
            ShareUnit::Permille => 1000.0,
            ShareUnit::Percent => 100.0,
        }
    }
}

/// The default age boundaries (years): bands 0–17, 18–34, 35–59, 60+.
pub const DEFAULT_AGE_BANDS: &[u32] = &[18, 35, 60];

/// Default minimum cell size for published tables and for analysts.
pub const DEFAULT_K: u32 = 5;

fn yes() -> bool {
    true
}

/// A population query (see [`crate::Registry::population`]). In JSON every field is
/// optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationQuery {
    /// Residents living there on this date are counted (default: the registry's today).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// Group keys, in column order.
    #[serde(default)]
    pub by: Vec<Dimension>,
    /// The level of units reported (`city`, `district`, `street`, `area`, `community`, a
    /// custom kind, or `all` — the default — for every level at once).
    #[serde(default)]
    pub level: Option<String>,
    /// Only this unit's subtree (default: the principal's scope, or everything).
    #[serde(default)]
    pub under: Option<UnitId>,
    /// The hierarchy units roll up in.
    #[serde(default)]
    pub hierarchy: Hierarchy,
    /// Residence (default) or registration place.
    #[serde(default)]
    pub place: Place,
    /// Only these categories.
    #[serde(default)]
    pub categories: Option<Vec<Category>>,
    /// Only these ethnicities.
    #[serde(default)]
    pub ethnicities: Option<Vec<Ethnicity>>,
    /// Only minorities (not 01 汉族; 97/98 are kept out too).
    #[serde(default)]
    pub minorities_only: bool,
    /// Report on the units valid on this date instead of those valid on `as_of`,
    /// following lineage (see [`crate::stats`]).
    #[serde(default)]
    pub rebase_to: Option<NaiveDate>,
    /// Age boundaries in years (default 18, 35, 60).
    #[serde(default)]
    pub age_bands: Option<Vec<u32>>,
    /// Minimum cell size; counts 1..k−1 are suppressed (see [`crate::stats::disclosure`]).
    #[serde(default)]
    pub k: Option<u32>,
    /// A table for publication: k defaults to 5.
    #[serde(default)]
    pub publish: bool,
    /// Whether zero cells are published (default true).
    #[serde(default = "yes")]
    pub publish_zeros: bool,
    /// Unit of the share columns.
    #[serde(default)]
    pub share_unit: ShareUnit,
    /// The aggregate table that supplies each unit's total population (denominator of
    /// the share), by name; default: the newest imported table of kind `population`.
    #[serde(default)]
    pub denominators: Option<String>,
    /// Count from this aggregate table instead of the register (by name; see
    /// [`crate::stats::aggregates`]). Only `ethnicity` can be a key then.
    #[serde(default)]
    pub source: Option<String>,
}

impl PopulationQuery {
    /// A query for `as_of` with every other field at its default.
    pub fn new(as_of: NaiveDate) -> PopulationQuery {
        PopulationQuery {
            as_of: Some(as_of),
            by: Vec::new(),
            level: None,
            under: None,
            hierarchy: Hierarchy::Legal,
            place: Place::Residence,
            categories: None,
            ethnicities: None,
            minorities_only: false,
            rebase_to: None,
            age_bands: None,
            k: None,
            publish: false,
            publish_zeros: true,
            share_unit: ShareUnit::Permille,
            denominators: None,
            source: None,
        }
    }

    /// The same query grouped by `dims`.
    pub fn by(mut self, dims: &[Dimension]) -> PopulationQuery {
        self.by = dims.to_vec();
        self
    }

    /// The same query at one level (`"district"`, `"street"` …) or `"all"`.
    pub fn level(mut self, level: &str) -> PopulationQuery {
        self.level = Some(level.to_owned());
        self
    }

    /// The same query with a minimum cell size.
    pub fn k(mut self, k: u32) -> PopulationQuery {
        self.k = Some(k);
        self
    }

    /// The level filter: `None` = every level.
    pub(crate) fn level_kind(&self) -> Option<UnitKind> {
        match self.level.as_deref().map(str::trim) {
            None | Some("") | Some("all") | Some("全部") => None,
            Some(l) => Some(UnitKind::parse(l)),
        }
    }
}

/// How periods of a trend are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// 月.
    #[serde(alias = "月")]
    Month,
    /// 季度.
    #[serde(alias = "季度")]
    Quarter,
    /// 半年.
    #[serde(alias = "半年")]
    HalfYear,
    /// 年.
    #[serde(alias = "年")]
    Year,
}

impl Period {
    /// Months per period.
    pub fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
            Period::HalfYear => 6,
            Period::Year => 12,
        }
    }
}

/// A trend: the same population query at every period end in a range. In JSON the
/// query's fields sit beside `from`, `to` and `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct TrendQuery {
    /// The query; its `as_of` is replaced by each period end.
    pub query: PopulationQuery,
    /// First day of the first period.
    pub from: NaiveDate,
    /// Last day of the range: it is cut into whole periods from `from`, the last ending
    /// on or before this day.
    pub to: NaiveDate,
    /// Period length.
    pub period: Period,
}

/// Takes `names` out of a JSON object, leaving the rest (a query beside other fields).
pub(crate) fn split_fields(
    what: &str,
    v: serde_json::Value,
    names: &[&str],
) -> Result<
    (
        serde_json::Map<String, serde_json::Value>,
        serde_json::Value,
    ),
    String,
> {
    let serde_json::Value::Object(mut rest) = v else {
        return Err(format!("{what}: expected an object"));
    };
    let mut taken = serde_json::Map::new();
    for n in names {
        if let Some(x) = rest.remove(*n) {
            taken.insert((*n).to_owned(), x);
        }
    }
    Ok((taken, serde_json::Value::Object(rest)))
}

impl TryFrom<serde_json::Value> for TrendQuery {
    type Error = String;
    fn try_from(v: serde_json::Value) -> Result<TrendQuery, String> {
        #[derive(Deserialize)]
        struct Range {
            from: NaiveDate,
            to: NaiveDate,
            period: Period,
        }
        let (range, rest) = split_fields("trend", v, &["from", "to", "period"])?;
        let range: Range = crate::error::from_json_value("trend", serde_json::Value::Object(range))
            .map_err(|e| e.to_string())?;
        let query: PopulationQuery =
            crate::error::from_json_value("trend", rest).map_err(|e| e.to_string())?;
        Ok(TrendQuery {
            query,
            from: range.from,
            to: range.to,
            period: range.period,
        })
    }
}

/// A population query with the path of the cube file to write.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct CubeExport {
    /// The query.
    pub query: PopulationQuery,
    /// Where to write the cube.
    pub path: String,
}

impl TryFrom<serde_json::Value> for CubeExport {
    type Error = String;
    fn try_from(v: serde_json::Value) -> Result<CubeExport, String> {
        let (taken, rest) = split_fields("export_cube", v, &["path"])?;
        let path = taken
            .get("path")
            .and_then(serde_json::Value::as_str)
            .ok_or("export_cube: path: a file path is required")?
            .to_owned();
        let query: PopulationQuery =
            crate::error::from_json_value("export_cube", rest).map_err(|e| e.to_string())?;
        Ok(CubeExport { query, path })
    }
}
