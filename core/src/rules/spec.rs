//! Rule files: one rule set (id, version, rules) in TOML or JSON. Every error names the
//! rule (its id and position) and the field at fault.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::calendar::Calendar;
use super::expr::{self, CmpOp, Expr};
use super::period::PeriodKind;
use crate::activity::ActivityKind;
use crate::error::{Error, Result};
use crate::network::{BodyKind, PostRole, UnitKind};
use crate::register::{Category, FlagKind, LifeEventKind};

/// One value or a list of them (`activity = "visit"` or `activity = ["visit", "aid"]`).
fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        One(T),
        Many(Vec<T>),
    }
    Ok(match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::One(x) => vec![x],
        OneOrMany::Many(v) => v,
    })
}

fn one_or_many_opt<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    one_or_many(d)
}

fn one() -> u32 {
    1
}

fn warn_default() -> f64 {
    0.8
}

/// What a rule is checked for: each unit of a kind, or each body of a kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Each unit of this kind (`street`, `community`, `area` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_kind: Option<UnitKind>,
    /// Each body of this kind (`leadership_group`, `fellowship_association` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_kind: Option<BodyKind>,
}

/// How a unit or body that exists for only part of a period is treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prorate {
    /// The requirement times the share of the period it existed, rounded up (default).
    #[default]
    Proportional,
    /// The same, rounded down.
    RoundDown,
    /// The full requirement as soon as it exists on any day.
    Full,
    /// Not applicable unless it existed the whole period.
    Exempt,
}

/// Which activities count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cadence {
    /// Activity kinds that count.
    #[serde(deserialize_with = "one_or_many")]
    pub activity: Vec<ActivityKind>,
    /// Subtypes that count (any when empty).
    #[serde(
        default,
        deserialize_with = "one_or_many_opt",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subtype: Vec<String>,
    /// At least this many per period.
    pub min: u32,
    /// The period.
    pub period: PeriodKind,
    /// The month a year starts in (1 = calendar year; 4 for a financial year from April).
    #[serde(default = "one")]
    pub year_start: u32,
    /// For each unit or body of a kind; for a body, its own activities count.
    pub of: Target,
    /// A meeting counts only with at least this many participants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_participants: Option<u32>,
    /// A meeting counts only when this share of the body's members on its day took part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<f64>,
    /// Partial periods.
    #[serde(default)]
    pub prorate: Prorate,
}

/// Posts that must be filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    /// The post's role (`leader` 组长, `area_head` 片长 …).
    pub role: PostRole,
    /// Posts of each body (or unit) of a kind.
    pub of: Target,
    /// The holder must hold this position on each day (e.g. 街道党工委书记).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// A vacancy spell of up to this many days is tolerated.
    #[serde(default)]
    pub tolerance_days: u32,
}

/// Who may arrive for an arrival trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// 流动 — migrants.
    #[serde(alias = "流动")]
    Migrant,
    /// 户籍 — registered residents.
    #[serde(alias = "户籍")]
    Registered,
    /// Anyone.
    Any,
}

/// What starts a deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// A resident's life event of these kinds (住院, 受灾, 纠纷 …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_event: Option<Vec<LifeEventKind>>,
    /// A resident's arrival (the start of a residence) of this category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<Arrival>,
    /// An activity of these kinds (an important matter, say); its unit is the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Vec<ActivityKind>>,
    /// Subtypes of the triggering activity (any when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtype: Vec<String>,
}

/// How deadlines count days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Calendar days (default).
    #[default]
    #[serde(alias = "自然日")]
    Calendar,
    /// Working days by the rule set's calendar.
    #[serde(alias = "工作日")]
    Working,
}

/// A response due within a number of days of a trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// What starts the clock.
    pub on: Trigger,
    /// Activity kinds that answer.
    #[serde(deserialize_with = "one_or_many")]
    pub activity: Vec<ActivityKind>,
    /// Subtypes that answer (any when empty).
    #[serde(
        default,
        deserialize_with = "one_or_many_opt",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subtype: Vec<String>,
    /// Days allowed; the trigger's day is day 0 and day N is still on time.
    pub within_days: u32,
    /// Calendar or working days.
    #[serde(default)]
    pub days: DayCount,
    /// A pending item that has used this share of its time is a warning.
    #[serde(default = "warn_default")]
    pub warn_at: f64,
}

/// Who must be covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subjects {
    /// Residents carrying this flag during the period (counted while flagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<FlagKind>,
    /// Residents of this category living in the unit during the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
}

/// Each subject gets at least `min` activities per period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Who.
    pub subjects: Subjects,
    /// Activity kinds that count.
    #[serde(deserialize_with = "one_or_many")]
    pub activity: Vec<ActivityKind>,
    /// Subtypes that count (any when empty).
    #[serde(
        default,
        deserialize_with = "one_or_many_opt",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subtype: Vec<String>,
    /// The period.
    pub period: PeriodKind,
    /// The month a year starts in.
    #[serde(default = "one")]
    pub year_start: u32,
    /// At least this many per subject and period.
    #[serde(default = "one")]
    pub min: u32,
}

/// `left ⟨op⟩ right` over a unit's counts and statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// For each unit of a kind.
    pub of: Target,
    /// Left-hand expression.
    pub left: String,
    /// Comparison.
    pub op: CmpOp,
    /// Right-hand expression.
    pub right: String,
    /// The period (the whole evaluation range when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodKind>,
    /// The month a year starts in.
    #[serde(default = "one")]
    pub year_start: u32,
    #[serde(skip)]
    pub(crate) parsed: Option<(Expr, Expr)>,
}

impl PartialEq for Threshold {
    fn eq(&self, o: &Threshold) -> bool {
        (
            &self.of,
            &self.left,
            self.op,
            &self.right,
            self.period,
            self.year_start,
        ) == (&o.of, &o.left, o.op, &o.right, o.period, o.year_start)
    }
}

/// The check a rule makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// Activity K at least N times per period.
    Cadence(Cadence),
    /// Posts filled on every day, within a vacancy tolerance.
    Structure(Structure),
    /// A response within N days of each trigger.
    Deadline(Deadline),
    /// Each flagged resident reached at least once per period.
    Coverage(Coverage),
    /// An expression compared with a value.
    Threshold(Threshold),
}

impl Check {
    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Cadence(_) => "cadence",
            Check::Structure(_) => "structure",
            Check::Deadline(_) => "deadline",
            Check::Coverage(_) => "coverage",
            Check::Threshold(_) => "threshold",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its id within the set (`R1`).
    pub id: String,
    /// Its title (Chinese, as the regulation says it).
    pub title: Option<String>,
    /// Its title in English.
    pub title_en: Option<String>,
    /// The check.
    pub check: Check,
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.check).map_err(serde::ser::Error::custom)?;
        if let Value::Object(m) = &mut v {
            let mut out = Map::new();
            out.insert("id".into(), Value::String(self.id.clone()));
            if let Some(t) = &self.title {
                out.insert("title".into(), Value::String(t.clone()));
            }
            if let Some(t) = &self.title_en {
                out.insert("title_en".into(), Value::String(t.clone()));
            }
            out.append(m);
            v = Value::Object(out);
        }
        v.serialize(s)
    }
}

/// A rule set (制度规则集): id, version and rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    /// Its id (`suzhou`).
    pub id: String,
    /// Its version (`2024.1`).
    pub version: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The working-day calendar deadlines in working days use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// The text it was read from.
    #[serde(skip)]
    source: String,
}

/// Reads TOML text into JSON values (TOML dates become ISO date strings).
pub(crate) fn toml_to_json(text: &str, what: &str) -> Result<Value> {
    let v: toml::Value = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: ")
            })
            .unwrap_or_default();
        Error::invalid(what, format!("{at}{}", e.message()))
    })?;
    fn conv(v: toml::Value) -> Value {
        match v {
            toml::Value::String(s) => Value::String(s),
            toml::Value::Integer(i) => Value::from(i),
            toml::Value::Float(f) => Value::from(f),
            toml::Value::Boolean(b) => Value::Bool(b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(a) => Value::Array(a.into_iter().map(conv).collect()),
            toml::Value::Table(t) => {
                Value::Object(t.into_iter().map(|(k, v)| (k, conv(v))).collect())
            }
        }
    }
    Ok(conv(v))
}

const COMMON: &[&str] = &["id", "kind", "title", "title_en", "description"];

impl RuleSet {
    /// Reads a rule set from TOML or JSON text (JSON when it starts with `{`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the rule (id and position) and the field, for
    /// a syntax error, an unknown kind or field, a bad value, a duplicate rule id, an
    /// expression that does not parse or refers to an unknown rule.
    pub fn from_text(text: &str) -> Result<RuleSet> {
        let doc = if text.trim_start().starts_with('{') {
            serde_json::from_str::<Value>(text).map_err(|e| Error::json("rule set", &e))?
        } else {
            toml_to_json(text, "rule set")?
        };
        let mut set = RuleSet::from_value(doc)?;
        set.source = text.to_owned();
        Ok(set)
    }

    /// Reads a rule set file (TOML or JSON). A `calendar_file` it names is read
    /// relative to the rule file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<RuleSet> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let doc = if text.trim_start().starts_with('{') {
            serde_json::from_str::<Value>(&text).map_err(|e| Error::json("rule set", &e))?
        } else {
            toml_to_json(&text, "rule set")?
        };
        let mut doc = doc;
        if let Some(Value::String(f)) = doc.as_object_mut().and_then(|m| m.remove("calendar_file"))
        {
            let cal_path = path.parent().unwrap_or(std::path::Path::new(".")).join(&f);
            let cal_text = std::fs::read_to_string(&cal_path).map_err(|source| Error::Io {
                path: cal_path.display().to_string(),
                source,
            })?;
            let cal = Calendar::from_text(&cal_text)?;
            if let Value::Object(m) = &mut doc {
                m.insert(
                    "calendar".into(),
                    serde_json::to_value(cal).map_err(|e| Error::Internal(e.to_string()))?,
                );
            }
        }
        let mut set = RuleSet::from_value(doc)?;
        set.source = text;
        Ok(set)
    }

    fn from_value(doc: Value) -> Result<RuleSet> {
        let Value::Object(mut top) = doc else {
            return Err(Error::invalid(
                "rule set",
                "the document is not a table/object",
            ));
        };
        let field =
            |top: &mut Map<String, Value>, key: &str, required: bool| -> Result<Option<String>> {
                match top.remove(key) {
                    Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
                    Some(Value::Number(n)) => Ok(Some(n.to_string())),
                    None if !required => Ok(None),
                    _ => Err(Error::invalid(
                        "rule set",
                        format!("field {key}: a non-empty text is required"),
                    )),
                }
            };
        let id = field(&mut top, "id", true)?.unwrap_or_default();
        let version = field(&mut top, "version", true)?.unwrap_or_default();
        let name = field(&mut top, "name", false)?;
        let calendar = match top.remove("calendar") {
            None => None,
            Some(v) => Some(crate::error::from_json_value::<Calendar>(
                "rule set calendar",
                v,
            )?),
        };
        let rules = match (top.remove("rule"), top.remove("rules")) {
            (Some(Value::Array(r)), None) | (None, Some(Value::Array(r))) => r,
            (None, None) => Vec::new(),
            _ => {
                return Err(Error::invalid(
                    "rule set",
                    "rules go in one list: [[rule]] tables in TOML or \"rules\": [...] in JSON",
                ))
            }
        };
        if let Some(k) = top.keys().next() {
            return Err(Error::invalid(
                "rule set",
                format!("unknown field {k:?}; expected id, version, name, calendar, rule"),
            ));
        }
        let mut out = Vec::with_capacity(rules.len());
        for (i, r) in rules.into_iter().enumerate() {
            let rule = parse_rule(i + 1, r)?;
            if out.iter().any(|x: &Rule| x.id == rule.id) {
                return Err(Error::invalid(
                    format!("rule {} (#{})", rule.id, i + 1),
                    "field id: the id is used by an earlier rule",
                ));
            }
            out.push(rule);
        }
        // Thresholds may refer only to rules of the set.
        for (i, r) in out.iter().enumerate() {
            if let Check::Threshold(t) = &r.check {
                let mut refs = Vec::new();
                if let Some((l, rt)) = &t.parsed {
                    l.rule_refs(&mut refs);
                    rt.rule_refs(&mut refs);
                }
                for id in refs {
                    if !out.iter().any(|x| x.id == id) {
                        return Err(Error::invalid(
                            format!("rule {} (#{})", r.id, i + 1),
                            format!("field left/right: unknown rule id {id:?}"),
                        ));
                    }
                    if id == r.id {
                        return Err(Error::invalid(
                            format!("rule {} (#{})", r.id, i + 1),
                            "field left/right: a threshold cannot refer to itself",
                        ));
                    }
                }
            }
        }
        let needs_calendar = out
            .iter()
            .any(|r| matches!(&r.check, Check::Deadline(d) if d.days == DayCount::Working));
        if needs_calendar && calendar.is_none() {
            return Err(Error::invalid(
                "rule set",
                "a deadline counts working days but the set has no calendar \
                 (add [calendar] holidays/workdays or calendar_file)",
            ));
        }
        Ok(RuleSet {
            id,
            version,
            name,
            calendar,
            rules: out,
            source: String::new(),
        })
    }

    /// The canonical JSON of the set (what its hash is taken over).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 of the canonical JSON, in hex: the same rules give the same hash however
    /// the file was formatted.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        crate::activity::hex_of(&Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// The text the set was read from (TOML or JSON).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What the faces show of a set: `{id, version, name, hash, canonical, rules: [{id,
    /// kind, title, title_en}]}`.
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "hash": self.hash(),
            "canonical": self.canonical_json(),
            "rules": self.rules.iter().map(|r| serde_json::json!({
                "id": r.id, "kind": r.check.kind(), "title": r.title, "title_en": r.title_en
            })).collect::<Vec<_>>(),
        })
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn parse_rule(pos: usize, v: Value) -> Result<Rule> {
    let Value::Object(mut m) = v else {
        return Err(Error::invalid(
            format!("rule #{pos}"),
            "a rule is a table/object",
        ));
    };
    let id = match m.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(Error::invalid(
                format!("rule #{pos}"),
                "field id: missing or empty",
            ))
        }
    };
    let at = format!("rule {id} (#{pos})");
    let text = |m: &Map<String, Value>, k: &str| -> Result<Option<String>> {
        match m.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid(
                at.clone(),
                format!("field {k}: expected text"),
            )),
        }
    };
    let title = text(&m, "title")?;
    let title_en = text(&m, "title_en")?;
    let kind =
        text(&m, "kind")?.ok_or_else(|| Error::invalid(at.clone(), "field kind: missing"))?;
    for k in COMMON {
        m.remove(*k);
    }
    let body = Value::Object(m);
    fn de<T: DeserializeOwned>(at: &str, v: Value) -> Result<T> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = if path == "." {
                String::new()
            } else {
                format!("field {path}: ")
            };
            Error::invalid(at.to_owned(), format!("{field}{inner}"))
        })
    }
    let target_ok = |t: &Target, unit_only: bool| -> Result<()> {
        match (&t.unit_kind, &t.body_kind) {
            (Some(UnitKind::Custom(k)), _) => Err(Error::invalid(
                at.clone(),
                format!("field of.unit_kind: unknown unit kind {k:?}"),
            )),
            (Some(_), None) => Ok(()),
            (None, Some(_)) if !unit_only => Ok(()),
            (None, Some(_)) => Err(Error::invalid(
                at.clone(),
                "field of: this kind of rule is checked for units (unit_kind)",
            )),
            _ => Err(Error::invalid(
                at.clone(),
                "field of: give exactly one of unit_kind and body_kind",
            )),
        }
    };
    let positive = |field: &str, ok: bool| -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(
                at.clone(),
                format!("field {field}: out of range"),
            ))
        }
    };
    let check = match kind.as_str() {
        "cadence" => {
            let c: Cadence = de(&at, body)?;
            target_ok(&c.of, false)?;
            positive("year_start", (1..=12).contains(&c.year_start))?;
            positive("quorum", c.quorum.is_none_or(|q| q > 0.0 && q <= 1.0))?;
            positive("activity", !c.activity.is_empty())?;
            if c.quorum.is_some() && c.of.body_kind.is_none() {
                return Err(Error::invalid(
                    at,
                    "field quorum: a quorum needs a body (of.body_kind)",
                ));
            }
            Check::Cadence(c)
        }
        "structure" => {
            let s: Structure = de(&at, body)?;
            target_ok(&s.of, false)?;
            if let PostRole::Custom(r) = &s.role {
                return Err(Error::invalid(
                    at,
                    format!("field role: unknown role {r:?}"),
                ));
            }
            Check::Structure(s)
        }
        "deadline" => {
            let d: Deadline = de(&at, body)?;
            let set = [
                d.on.life_event.is_some(),
                d.on.arrival.is_some(),
                d.on.activity.is_some(),
            ];
            if set.iter().filter(|x| **x).count() != 1 {
                return Err(Error::invalid(
                    at,
                    "field on: give exactly one of life_event, arrival and activity",
                ));
            }
            positive("warn_at", d.warn_at > 0.0 && d.warn_at <= 1.0)?;
            positive("activity", !d.activity.is_empty())?;
            Check::Deadline(d)
        }
        "coverage" => {
            let c: Coverage = de(&at, body)?;
            if c.subjects.flag.is_none() && c.subjects.category.is_none() {
                return Err(Error::invalid(
                    at,
                    "field subjects: give a flag or a category",
                ));
            }
            positive("year_start", (1..=12).contains(&c.year_start))?;
            positive("activity", !c.activity.is_empty())?;
            Check::Coverage(c)
        }
        "threshold" => {
            let mut t: Threshold = de(&at, body)?;
            target_ok(&t.of, true)?;
            positive("year_start", (1..=12).contains(&t.year_start))?;
            let l = expr::parse(&t.left)
                .map_err(|e| Error::invalid(at.clone(), format!("field left: {}", reason(&e))))?;
            let r = expr::parse(&t.right)
                .map_err(|e| Error::invalid(at.clone(), format!("field right: {}", reason(&e))))?;
            t.parsed = Some((l, r));
            Check::Threshold(t)
        }
        other => {
            return Err(Error::invalid(
                at,
                format!(
                    "field kind: unknown kind {other:?}; expected cadence, structure, deadline, \
                     coverage or threshold"
                ),
            ))
        }
    };
    Ok(Rule {
        id,
        title,
        title_en,
        check,
    })
}

/// The reason of an invalid-argument error without its "invalid X:" prefix.
fn reason(e: &Error) -> String {
    match e {
        Error::InvalidArgument { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}
