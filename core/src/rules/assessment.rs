//! Model-community assessment (示范社区考核): 100-point indicator schemes two levels
//! deep, scored partly from rule results and statistics and partly by hand with a
//! reason; veto items (一票否决); eligibility at a threshold; ranking for selecting model
//! sites (以点带面).

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evaluate::{EvaluationRequest, Units};
use super::expr::CmpOp;
use super::period::Range;
use super::spec::{Check, Rule, RuleSet, Target, Threshold};
use crate::error::{Error, Result};
use crate::network::{Hierarchy, UnitId, UnitKind};
use crate::register::day;
use crate::registry::{Batch, View};

/// Where an item's points come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// Points × the unit's compliance rate with a rule.
    Rule {
        /// The rule's id in the rule set assessed with.
        rule: String,
        /// Points when the rule found nothing to judge in the unit (no subject, no
        /// trigger): `none` (the default: no evidence, no points) or `full`.
        #[serde(default)]
        if_none: IfNone,
    },
    /// Full points when `expr op right` holds for the unit (the threshold language).
    Expr {
        /// Left-hand expression.
        expr: String,
        /// Comparison.
        op: CmpOp,
        /// Right-hand expression.
        right: String,
    },
    /// Entered by hand with a reason (`"manual"`).
    Manual(ManualTag),
}

/// Points for a rule-based item when the rule found nothing to judge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IfNone {
    /// No points: nothing recorded, nothing shown.
    #[default]
    None,
    /// Full points: nothing was required (no resident in hardship, say).
    Full,
}

/// The word `manual`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualTag {
    /// Entered by hand.
    #[serde(alias = "人工", alias = "手工")]
    Manual,
}

/// A second-level indicator (二级指标).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Id (`A1`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Points.
    pub points: f64,
    /// Evidence kinds archived for it.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The responsible role.
    #[serde(default)]
    pub role: Option<String>,
    /// Where its points come from.
    pub source: Source,
}

/// A first-level indicator (一级指标).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Id (`A`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Points (the sum of its items').
    pub points: f64,
    /// Its items.
    #[serde(rename = "item")]
    pub items: Vec<Item>,
}

/// A veto item (一票否决).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Veto {
    /// Id (`V1`).
    pub id: String,
    /// Name.
    pub name: String,
    /// A rule any non-compliant finding of which vetoes (else entered by hand).
    #[serde(default)]
    pub rule: Option<String>,
}

fn ninety() -> f64 {
    90.0
}

/// An indicator scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Eligible at this many points or more, without a veto (default 90).
    #[serde(default = "ninety")]
    pub threshold: f64,
    /// Units of this kind are assessed (default: communities).
    #[serde(default = "community")]
    pub unit_kind: UnitKind,
    /// First-level indicators.
    #[serde(rename = "indicator")]
    pub indicators: Vec<Indicator>,
    /// Veto items.
    #[serde(default, rename = "veto")]
    pub vetoes: Vec<Veto>,
}

fn community() -> UnitKind {
    UnitKind::Community
}

impl Scheme {
    /// Reads a scheme from TOML or JSON text; checks that items add up to their
    /// indicator, indicators to 100, and ids are unique.
    pub fn from_text(text: &str) -> Result<Scheme> {
        let v: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| Error::json("assessment scheme", &e))?
        } else {
            super::spec::toml_to_json(text, "assessment scheme")?
        };
        let s: Scheme = crate::error::from_json_value("assessment scheme", v)?;
        s.check()?;
        Ok(s)
    }

    /// Reads a scheme file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Scheme> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
            path: p.display().to_string(),
            source,
        })?;
        Scheme::from_text(&text)
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::invalid("assessment scheme", m));
        let mut ids: Vec<&str> = Vec::new();
        let mut total = 0.0;
        for ind in &self.indicators {
            let sum: f64 = ind.items.iter().map(|i| i.points).sum();
            if (sum - ind.points).abs() > 1e-6 {
                return bad(format!(
                    "indicator {}: its items add up to {sum}, not {}",
                    ind.id, ind.points
                ));
            }
            total += ind.points;
            for id in
                std::iter::once(ind.id.as_str()).chain(ind.items.iter().map(|i| i.id.as_str()))
            {
                if ids.contains(&id) {
                    return bad(format!("the id {id} is used twice"));
                }
                ids.push(id);
            }
            for i in &ind.items {
                if i.points.is_nan() || i.points <= 0.0 {
                    return bad(format!("item {}: points must be positive", i.id));
                }
            }
        }
        if (total - 100.0).abs() > 1e-6 {
            return bad(format!("the indicators add up to {total}, not 100"));
        }
        for v in &self.vetoes {
            if ids.contains(&v.id.as_str()) {
                return bad(format!("the id {} is used twice", v.id));
            }
            ids.push(&v.id);
        }
        if !(0.0..=100.0).contains(&self.threshold) {
            return bad("threshold: between 0 and 100".into());
        }
        Ok(())
    }

    fn item(&self, id: &str) -> Option<&Item> {
        self.indicators
            .iter()
            .flat_map(|i| &i.items)
            .find(|i| i.id == id)
    }
}

/// A score or veto entered by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualEntry {
    /// The community.
    pub unit: UnitId,
    /// The assessment period (`2024`).
    #[serde(with = "period_text")]
    pub period: Range,
    /// A manual item's id, or a veto's id.
    pub indicator: String,
    /// Points for an item (`None` for a veto).
    #[serde(default)]
    pub points: Option<f64>,
    /// For a veto: whether it applies.
    #[serde(default)]
    pub veto: bool,
    /// Why (required).
    pub reason: String,
}

mod period_text {
    use super::Range;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(r: &Range, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}..{}", r.from, r.to))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Range, D::Error> {
        Range::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// One item's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    /// The first-level indicator.
    pub indicator: String,
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// Points given.
    pub points: f64,
    /// Points possible.
    pub max: f64,
    /// `rule`, `expr`, `manual` or `manual_missing`.
    pub basis: &'static str,
    /// How the points were found (rate, value, or the entry's reason).
    pub note: String,
}

/// One unit's assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Rank (1 = best) among the units assessed.
    pub rank: usize,
    /// The unit.
    pub unit: UnitId,
    /// Its code.
    pub code: Option<String>,
    /// Its name.
    pub name: String,
    /// Total points.
    pub total: f64,
    /// Vetoes that apply.
    pub vetoed: Vec<String>,
    /// At or above the threshold and without a veto.
    pub eligible: bool,
    /// Item by item.
    pub items: Vec<ItemScore>,
}

/// An assessment of the units in a subtree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The scheme's id.
    pub scheme: String,
    /// Its version.
    pub version: String,
    /// The threshold.
    pub threshold: f64,
    /// The period.
    pub period: Range,
    /// The transaction seen.
    pub transaction: i64,
    /// Scores, best first: eligible units, then the others without a veto, then vetoed
    /// ones; by total within each.
    pub scores: Vec<Score>,
}

const TAG: &str = "_assess.";

impl Batch<'_> {
    /// 人工评分 — enters a manual item's points or a veto for a unit and period under
    /// `scheme`; a new entry for the same item supersedes the old one.
    pub fn enter_assessment(&mut self, scheme: &Scheme, e: ManualEntry) -> Result<i64> {
        self.require_writable(e.unit)?;
        if e.reason.trim().is_empty() {
            return Err(Error::invalid("assessment entry", "a reason is required"));
        }
        let is_veto = scheme.vetoes.iter().any(|v| v.id == e.indicator);
        match (scheme.item(&e.indicator), is_veto) {
            (Some(item), _) => {
                if !matches!(item.source, Source::Manual(_)) {
                    return Err(Error::invalid(
                        "assessment entry",
                        format!("item {} is computed, not entered by hand", item.id),
                    ));
                }
                match e.points {
                    Some(p) if (0.0..=item.points).contains(&p) => {}
                    _ => {
                        return Err(Error::invalid(
                            "assessment entry",
                            format!("points for {} go from 0 to {}", item.id, item.points),
                        ))
                    }
                }
            }
            (None, true) => {}
            (None, false) => {
                return Err(Error::invalid(
                    "assessment entry",
                    format!("the scheme has no item or veto {:?}", e.indicator),
                ))
            }
        }
        let pday = day(e.period.from);
        let old: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM assessment_entry WHERE scheme = ?1 AND unit = ?2 AND period_day = ?3
                 AND indicator = ?4 AND sys_to IS NULL",
                params![scheme.id, e.unit, pday, e.indicator],
                |r| r.get(0),
            )
            .optional()?;
        let id = match old {
            Some(id) => {
                crate::register::supersede(self.conn, "assessment_entry", id, self.tx)?;
                id
            }
            None => crate::register::allocate_ids(self.conn, 1)?,
        };
        self.conn.execute(
            "INSERT INTO assessment_entry(id, sys_from, scheme, unit, period_day, indicator, points,
                                          veto, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, self.tx, scheme.id, e.unit, pday, e.indicator, e.points, e.veto, e.reason.trim()],
        )?;
        self.touched.push(id);
        Ok(id)
    }
}

impl View {
    /// 示范社区考核 — assesses every unit of the scheme's kind in the subtree over
    /// `period` with `rules` (the rule set items and vetoes refer to), ranked best first.
    pub fn assess(
        &self,
        scheme: &Scheme,
        rules: &RuleSet,
        period: Range,
        under: Option<UnitId>,
    ) -> Result<Assessment> {
        // Expression items become threshold rules of an extended set.
        let mut set = rules.clone();
        for ind in &scheme.indicators {
            for item in &ind.items {
                match &item.source {
                    Source::Rule { rule, .. } if rules.rule(rule).is_none() => {
                        return Err(Error::invalid(
                            "assessment scheme",
                            format!("item {}: the rule set has no rule {rule:?}", item.id),
                        ))
                    }
                    Source::Expr { expr, op, right } => {
                        let mut t = Threshold {
                            of: Target {
                                unit_kind: Some(scheme.unit_kind.clone()),
                                body_kind: None,
                            },
                            left: expr.clone(),
                            op: *op,
                            right: right.clone(),
                            period: None,
                            year_start: 1,
                            parsed: None,
                        };
                        let parse = |s: &str| {
                            super::expr::parse(s).map_err(|e| {
                                Error::invalid(
                                    "assessment scheme",
                                    format!("item {}: {e}", item.id),
                                )
                            })
                        };
                        t.parsed = Some((parse(expr)?, parse(right)?));
                        set.rules.push(Rule {
                            id: format!("{TAG}{}", item.id),
                            title: None,
                            title_en: None,
                            check: Check::Threshold(t),
                        });
                    }
                    _ => {}
                }
            }
        }
        for v in &scheme.vetoes {
            if let Some(r) = &v.rule {
                if rules.rule(r).is_none() {
                    return Err(Error::invalid(
                        "assessment scheme",
                        format!("veto {}: the rule set has no rule {r:?}", v.id),
                    ));
                }
            }
        }
        let req = EvaluationRequest {
            period,
            under,
            hierarchy: Hierarchy::Legal,
            rules: Vec::new(),
        };
        let ev = self.evaluate(&set, &req)?;
        let units = Units::build(self, &req)?;
        let tx = self.transaction();
        let entries: Vec<(UnitId, String, Option<f64>, bool, String)> =
            self.registry().with_reader(|c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT unit, indicator, points, veto, reason FROM assessment_entry
                     WHERE scheme = ?2 AND period_day = ?3 AND {}",
                    crate::register::AS_OF_TX
                ))?;
                let rows = stmt.query_map(params![tx, scheme.id, day(period.from)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })?;
        let rate = |unit: UnitId, rule: &str| {
            ev.compliance
                .iter()
                .find(|c| c.unit == unit && c.rule.as_deref() == Some(rule))
        };
        let mut scores = Vec::new();
        for u in &units.order {
            let info = &units.info[u];
            if info.kind != scheme.unit_kind {
                continue;
            }
            let mut items = Vec::new();
            for ind in &scheme.indicators {
                for item in &ind.items {
                    let (points, basis, note) = match &item.source {
                        Source::Rule { rule, if_none } => {
                            match (rate(*u, rule).and_then(|c| c.rate), if_none) {
                                (Some(r), _) => (
                                    item.points * r,
                                    "rule",
                                    format!("{rule}：达标率 {:.1}%", r * 100.0),
                                ),
                                (None, IfNone::Full) => (
                                    item.points,
                                    "rule",
                                    format!("{rule}：无须评判的事项，得满分"),
                                ),
                                (None, IfNone::None) => {
                                    (0.0, "rule", format!("{rule}：无可评判的记录，不得分"))
                                }
                            }
                        }
                        Source::Expr { .. } => {
                            let id = format!("{TAG}{}", item.id);
                            let f = ev.findings.iter().find(|f| f.rule == id && f.unit == *u);
                            match f {
                                Some(f) if f.status.compliant() == Some(true) => {
                                    (item.points, "expr", f.explanation_zh.clone())
                                }
                                Some(f) => (0.0, "expr", f.explanation_zh.clone()),
                                None => (0.0, "expr", "无数据".to_owned()),
                            }
                        }
                        Source::Manual(_) => {
                            match entries.iter().find(|e| e.0 == *u && e.1 == item.id) {
                                Some(e) => (e.2.unwrap_or(0.0), "manual", e.4.clone()),
                                None => (0.0, "manual_missing", "未录入".to_owned()),
                            }
                        }
                    };
                    items.push(ItemScore {
                        indicator: ind.id.clone(),
                        item: item.id.clone(),
                        name: item.name.clone(),
                        points: (points * 100.0).round() / 100.0,
                        max: item.points,
                        basis,
                        note,
                    });
                }
            }
            let mut vetoed = Vec::new();
            for v in &scheme.vetoes {
                let by_rule = v
                    .rule
                    .as_deref()
                    .is_some_and(|r| rate(*u, r).is_some_and(|c| c.non_compliant > 0));
                let by_hand = entries.iter().any(|e| e.0 == *u && e.1 == v.id && e.3);
                if by_rule || by_hand {
                    vetoed.push(v.id.clone());
                }
            }
            let total = (items.iter().map(|i| i.points).sum::<f64>() * 100.0).round() / 100.0;
            scores.push(Score {
                rank: 0,
                unit: *u,
                code: info.code.clone(),
                name: info.name.clone(),
                total,
                eligible: total >= scheme.threshold - 1e-9 && vetoed.is_empty(),
                vetoed,
                items,
            });
        }
        scores.sort_by(|a, b| {
            b.eligible
                .cmp(&a.eligible)
                .then(a.vetoed.is_empty().cmp(&b.vetoed.is_empty()).reverse())
                .then(b.total.total_cmp(&a.total))
                .then(a.code.cmp(&b.code))
                .then(a.unit.cmp(&b.unit))
        });
        for (i, s) in scores.iter_mut().enumerate() {
            s.rank = i + 1;
        }
        Ok(Assessment {
            scheme: scheme.id.clone(),
            version: scheme.version.clone(),
            threshold: scheme.threshold,
            period,
            transaction: ev.transaction,
            scores,
        })
    }
}
