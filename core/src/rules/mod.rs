//! Institutions as code (制度建设进社区): rule sets checked offline against the record,
//! findings with evidence and explanations, compliance rolled up the unit tree, and
//! model-community assessments.
//!
//! A rule set is a TOML or JSON file (see [`RuleSet::from_text`] and the README) with
//! rules of five kinds:
//! * `cadence` — activity K at least N times per period, for each unit or body of a kind;
//! * `structure` — posts of a role filled on every day, within a vacancy tolerance;
//! * `deadline` — an activity within N (calendar or working) days of each trigger;
//! * `coverage` — each flagged resident reached at least N times per period;
//! * `threshold` — an expression over a unit's counts compared with a value.
//!
//! [`View::evaluate`](crate::View::evaluate) gives [`Finding`]s; runs recorded with
//! [`Registry::evaluate`](crate::Registry::evaluate) can be reproduced exactly.

mod assessment;
mod calendar;
mod data;
mod evaluate;
pub(crate) mod expr;
mod finding;
mod period;
mod runs;
pub(crate) mod spec;

pub use assessment::{
    Assessment, Indicator, Item, ItemScore, ManualEntry, ManualTag, Scheme, Score, Source, Veto,
};
pub use calendar::Calendar;
pub(crate) use data::RulesData;
pub(crate) use evaluate::is_under;
pub use evaluate::{Evaluation, EvaluationRequest};
pub use expr::CmpOp;
pub use finding::{ComplianceRow, Finding, Status, SubjectKind};
pub use period::{PeriodKind, Range};
pub use runs::RunInfo;
pub use spec::{
    Arrival, Cadence, Check, Coverage, DayCount, Deadline, Prorate, Rule, RuleSet, Structure,
    Subjects, Target, Threshold, Trigger,
};

use crate::error::{Error, Result};

/// Names of the built-in rule sets and schemes.
pub const PRESETS: &[&str] = &["suzhou", "model_community"];

/// The text of a built-in preset: the rule set `suzhou` (R1–R11 of the domain notes and
/// a must-visit on-time threshold) or the assessment scheme `model_community` — files a
/// user can copy and edit.
pub fn preset_text(name: &str) -> Result<&'static str> {
    match name {
        "suzhou" => Ok(include_str!("presets/suzhou.toml")),
        "model_community" => Ok(include_str!("presets/model_community.toml")),
        other => Err(Error::invalid(
            "preset",
            format!("unknown preset {other:?}; built in: {}", PRESETS.join(", ")),
        )),
    }
}

impl RuleSet {
    /// A built-in rule set (`suzhou`), with `overrides` applied: `("R6.within_days",
    /// "5")` sets a field of a rule (values are read as JSON, else as text).
    pub fn preset(name: &str, overrides: &[(String, String)]) -> Result<RuleSet> {
        let text = preset_text(name)?;
        if name == "model_community" {
            return Err(Error::invalid(
                "preset",
                "model_community is an assessment scheme",
            ));
        }
        if overrides.is_empty() {
            return RuleSet::from_text(text);
        }
        let mut doc = spec::toml_to_json(text, "rule set")?;
        for (path, value) in overrides {
            let (rule, field) = path.split_once('.').ok_or_else(|| {
                Error::invalid(
                    "override",
                    format!("{path:?}: write RULE.field, e.g. R6.within_days"),
                )
            })?;
            let v: serde_json::Value = serde_json::from_str(value)
                .unwrap_or_else(|_| serde_json::Value::String(value.clone()));
            let target = doc
                .get_mut("rule")
                .and_then(|r| r.as_array_mut())
                .and_then(|rs| {
                    rs.iter_mut()
                        .find(|r| r.get("id").and_then(|i| i.as_str()) == Some(rule))
                })
                .and_then(|r| r.as_object_mut())
                .ok_or_else(|| Error::invalid("override", format!("{path:?}: no rule {rule}")))?;
            target.insert(field.to_owned(), v);
        }
        let text = doc.to_string();
        RuleSet::from_text(&text)
    }
}

impl Scheme {
    /// A built-in assessment scheme (`model_community`).
    pub fn preset(name: &str) -> Result<Scheme> {
        if name != "model_community" {
            return Err(Error::invalid(
                "preset",
                format!("unknown assessment scheme {name:?}; built in: model_community"),
            ));
        }
        Scheme::from_text(preset_text(name)?)
    }
}
