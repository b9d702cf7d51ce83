//! Evaluating a rule set over a period and a unit subtree.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::data::RulesData;
use super::expr::{Env, Func};
use super::finding::{ComplianceRow, Finding, Status, SubjectKind};
use super::period::{periods, Range};
use super::spec::{
    Arrival, Cadence, Check, Coverage, DayCount, Deadline, Prorate, Rule, RuleSet, Structure,
    Target, Threshold,
};
use crate::activity::{ActivityKind, ActivityRow};
use crate::error::{Error, Result};
use crate::network::{Fact, Hierarchy, Network, UnitId, UnitKind};
use crate::register::{date, ResidentId};
use crate::registry::View;
use crate::stats::{day_of, Basis, Stays, ETH_SLOTS, GONE};

/// What to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    /// The period (`2024`, `2024-Q1`, `2024-01-01..2024-06-30` in JSON).
    #[serde(with = "range_text")]
    pub period: Range,
    /// The subtree (default: the principal's scope, or everything).
    #[serde(default)]
    pub under: Option<UnitId>,
    /// The hierarchy the subtree and roll-up follow.
    #[serde(default)]
    pub hierarchy: Hierarchy,
    /// Only these rules (all when empty).
    #[serde(default)]
    pub rules: Vec<String>,
}

mod range_text {
    use super::Range;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(r: &Range, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}..{}", r.from, r.to))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Range, D::Error> {
        let t = String::deserialize(d)?;
        Range::parse(&t).map_err(serde::de::Error::custom)
    }
}

impl EvaluationRequest {
    /// Evaluate over `period` (see [`Range::parse`]).
    pub fn new(period: &str) -> Result<EvaluationRequest> {
        Ok(EvaluationRequest {
            period: Range::parse(period)?,
            under: None,
            hierarchy: Hierarchy::Legal,
            rules: Vec::new(),
        })
    }

    /// Only the subtree of `unit`.
    pub fn under(mut self, unit: UnitId) -> EvaluationRequest {
        self.under = Some(unit);
        self
    }
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The rule set's id.
    pub rule_set: String,
    /// Its version.
    pub version: String,
    /// Its hash.
    pub hash: String,
    /// The transaction the evaluation saw.
    pub transaction: i64,
    /// "Today" for pending and overdue deadlines.
    pub today: NaiveDate,
    /// The period.
    pub period: Range,
    /// The subtree's root, if one was asked for.
    pub under: Option<UnitId>,
    /// Findings, by rule in file order, then subject and period.
    pub findings: Vec<Finding>,
    /// Compliance rates rolled up the unit tree: per unit, all rules then each rule.
    pub compliance: Vec<ComplianceRow>,
    /// SHA-256 over the findings' rules, subjects, periods, statuses, values and evidence
    /// (equal findings, equal digest).
    pub digest: String,
    /// The stored run, when it was recorded.
    pub run: Option<i64>,
}

/// A unit taking part in an evaluation.
#[derive(Debug, Clone)]
pub(crate) struct UnitInfo {
    pub(crate) kind: UnitKind,
    /// The part of the period it existed (inclusive range).
    pub(crate) exists: Range,
    /// Its parent within the evaluation (on its last day in the period).
    pub(crate) parent: Option<UnitId>,
    pub(crate) depth: usize,
    pub(crate) name: String,
    pub(crate) code: Option<String>,
}

/// The units of an evaluation: the subtree, as it was during the period.
pub(crate) struct Units {
    pub(crate) info: FxHashMap<UnitId, UnitInfo>,
    /// Units ordered for roll-up: parents before children, siblings by code.
    pub(crate) order: Vec<UnitId>,
}

/// Whether `unit` lies in the subtree of `root` (legal hierarchy) on `date`.
pub(crate) fn is_under(net: &Network, unit: UnitId, root: UnitId, date: NaiveDate) -> bool {
    is_under_in(net, unit, root, date, &Hierarchy::Legal)
}

/// Whether `unit` lies in the subtree of `root` in `hierarchy` on `date`.
fn is_under_in(
    net: &Network,
    unit: UnitId,
    root: UnitId,
    date: NaiveDate,
    hierarchy: &Hierarchy,
) -> bool {
    let mut u = Some(unit);
    // Hierarchies are acyclic; the bound only guards against a corrupt file.
    for _ in 0..64 {
        match u {
            Some(x) if x == root => return true,
            Some(x) => u = net.parent_at(x, hierarchy, date),
            None => return false,
        }
    }
    false
}

impl Units {
    pub(crate) fn build(view: &View, req: &EvaluationRequest) -> Result<Units> {
        let net = view.network();
        let range = req.period;
        let scope = view.scope();
        let mut info: FxHashMap<UnitId, UnitInfo> = FxHashMap::default();
        for (id, f) in net.facts() {
            let Fact::Unit { kind, valid } = f else {
                continue;
            };
            let last = valid
                .to
                .and_then(|t| t.pred_opt())
                .unwrap_or(NaiveDate::MAX);
            let Some(exists) = Range::new(valid.from, last)
                .ok()
                .and_then(|e| e.clip(&range))
            else {
                continue;
            };
            let anchor = exists.to;
            let inside = match req.under {
                Some(root) => is_under_in(net, id, root, anchor, &req.hierarchy),
                None => scope.covers(id),
            };
            if !inside {
                continue;
            }
            info.insert(
                id,
                UnitInfo {
                    kind: kind.clone(),
                    exists,
                    parent: net.parent_at(id, &req.hierarchy, anchor),
                    depth: 0,
                    name: net.name_at(id, anchor).unwrap_or_default().to_owned(),
                    code: net.code_at(id, anchor).map(str::to_owned),
                },
            );
        }
        if let Some(root) = req.under {
            if !info.contains_key(&root) {
                return Err(Error::not_found(format!(
                    "unit {root} between {} and {}",
                    range.from, range.to
                )));
            }
        }
        // Parents outside the evaluation make roots.
        let ids: Vec<UnitId> = info.keys().copied().collect();
        for id in &ids {
            let p = info[id].parent;
            if p.is_some_and(|p| !info.contains_key(&p)) || Some(*id) == req.under {
                if let Some(u) = info.get_mut(id) {
                    u.parent = None;
                }
            }
        }
        let mut children: FxHashMap<Option<UnitId>, Vec<UnitId>> = FxHashMap::default();
        for (id, u) in &info {
            children.entry(u.parent).or_default().push(*id);
        }
        for kids in children.values_mut() {
            kids.sort_by(|a, b| {
                (info[a].code.as_deref(), &info[a].name, a).cmp(&(
                    info[b].code.as_deref(),
                    &info[b].name,
                    b,
                ))
            });
        }
        let mut order = Vec::with_capacity(info.len());
        let mut stack: Vec<(UnitId, usize)> = children
            .get(&None)
            .map(|r| r.iter().rev().map(|u| (*u, 0)).collect())
            .unwrap_or_default();
        while let Some((u, depth)) = stack.pop() {
            order.push(u);
            if let Some(i) = info.get_mut(&u) {
                i.depth = depth;
            }
            if let Some(kids) = children.get(&Some(u)) {
                stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
            }
        }
        Ok(Units { info, order })
    }

    /// Maxima of `values` over each unit's subtree (units without one are left out).
    fn roll_up_max(&self, values: &FxHashMap<UnitId, f64>) -> FxHashMap<UnitId, f64> {
        let mut out: FxHashMap<UnitId, f64> = FxHashMap::default();
        for u in self.order.iter().rev() {
            let own = values.get(u).copied();
            let below = out.get(u).copied();
            let v = match (own, below) {
                (Some(a), Some(b)) => a.max(b),
                (a, b) => match a.or(b) {
                    Some(x) => x,
                    None => continue,
                },
            };
            out.insert(*u, v);
            if let Some(p) = self.info[u].parent {
                let e = out.entry(p).or_insert(v);
                *e = e.max(v);
            }
        }
        out
    }

    /// Sums of `values` over each unit's subtree.
    fn roll_up(&self, values: &FxHashMap<UnitId, f64>) -> FxHashMap<UnitId, f64> {
        let mut out: FxHashMap<UnitId, f64> = FxHashMap::default();
        for u in self.order.iter().rev() {
            let v = values.get(u).copied().unwrap_or(0.0) + out.get(u).copied().unwrap_or(0.0);
            out.insert(*u, v);
            if let Some(p) = self.info[u].parent {
                *out.entry(p).or_insert(0.0) += v;
            }
        }
        out
    }
}

/// Where residents lived: each needed resident's stays (unit, from, to) in day numbers.
struct Homes {
    of: FxHashMap<ResidentId, Vec<(UnitId, i32, i32)>>,
}

impl Homes {
    fn build(stays: &Stays, needed: &FxHashSet<ResidentId>) -> Homes {
        let mut of: FxHashMap<ResidentId, Vec<(UnitId, i32, i32)>> = FxHashMap::default();
        if needed.is_empty() {
            return Homes { of };
        }
        for i in 0..stays.resident.len() {
            let r = stays.resident[i];
            if stays.from[i] != GONE && needed.contains(&r) {
                of.entry(r).or_default().push((
                    stays.places[stays.place[i] as usize],
                    stays.from[i],
                    stays.to[i],
                ));
            }
        }
        Homes { of }
    }

    /// The unit `resident` lived in on `day`.
    fn at(&self, resident: ResidentId, day: i32) -> Option<UnitId> {
        self.of
            .get(&resident)?
            .iter()
            .find(|(_, f, t)| *f <= day && day < *t)
            .map(|(u, ..)| *u)
    }
}

fn matches(a: &ActivityRow, kinds: &[ActivityKind], subtypes: &[String]) -> bool {
    kinds.contains(&a.kind)
        && (subtypes.is_empty()
            || a.subtype
                .as_deref()
                .is_some_and(|s| subtypes.iter().any(|x| x == s)))
}

fn kinds_text(kinds: &[ActivityKind], subtypes: &[String], zh: bool) -> String {
    if !subtypes.is_empty() {
        return subtypes.join("/");
    }
    kinds
        .iter()
        .map(|k| if zh { k.name_zh() } else { k.label() })
        .collect::<Vec<_>>()
        .join("/")
}

/// Everything one evaluation works with.
struct Ctx<'a> {
    net: &'a Network,
    set: &'a RuleSet,
    data: &'a RulesData,
    stays: &'a Stays,
    units: Units,
    range: Range,
    today: NaiveDate,
    homes: Homes,
    ledger: Option<&'a FxHashMap<UnitId, i32>>,
}

/// A finding under construction: the parts every kind fills.
struct Draft {
    subject_kind: SubjectKind,
    subject: i64,
    subject_name: Option<String>,
    unit: UnitId,
    period: Range,
    status: Status,
    expected: Option<f64>,
    actual: Option<f64>,
    triggered: Option<NaiveDate>,
    due: Option<NaiveDate>,
    evidence: Vec<i64>,
    en: String,
    zh: String,
}

impl Ctx<'_> {
    fn finish(&self, rule: &Rule, d: Draft) -> Finding {
        Finding {
            rule: rule.id.clone(),
            version: self.set.version.clone(),
            rule_kind: rule.check.kind(),
            subject_kind: d.subject_kind,
            subject: d.subject,
            subject_name: d.subject_name,
            unit: d.unit,
            unit_name: self.unit_name(d.unit),
            period_from: d.period.from,
            period_to: d.period.to,
            status: d.status,
            expected: d.expected,
            actual: d.actual,
            triggered: d.triggered,
            due: d.due,
            evidence: d.evidence,
            explanation: d.en,
            explanation_zh: d.zh,
        }
    }

    fn unit_name(&self, u: UnitId) -> String {
        match self.units.info.get(&u) {
            Some(i) => i.name.clone(),
            None => self.net.last_name(u).unwrap_or_default().to_owned(),
        }
    }

    /// The targets of a rule: (subject kind, id, name, unit, existence in the period).
    fn targets(&self, t: &Target) -> Vec<(SubjectKind, i64, String, UnitId, Range)> {
        let mut out = Vec::new();
        if let Some(k) = &t.unit_kind {
            for u in &self.units.order {
                let i = &self.units.info[u];
                if &i.kind == k {
                    out.push((SubjectKind::Unit, *u, i.name.clone(), *u, i.exists));
                }
            }
        } else if let Some(k) = &t.body_kind {
            for u in &self.units.order {
                let mut bodies: Vec<(i64, String, Range)> = self
                    .net
                    .attached_to(*u)
                    .filter_map(|(id, f)| match f {
                        Fact::Body {
                            unit,
                            kind,
                            name,
                            valid,
                        } if unit == u && kind == k => {
                            let last = valid
                                .to
                                .and_then(|t| t.pred_opt())
                                .unwrap_or(NaiveDate::MAX);
                            let r = Range::new(valid.from, last)
                                .ok()?
                                .clip(&self.units.info[u].exists)?;
                            Some((id, name.clone(), r))
                        }
                        _ => None,
                    })
                    .collect();
                bodies.sort_by_key(|b| b.0);
                for (id, name, r) in bodies {
                    out.push((SubjectKind::Body, id, name, *u, r));
                }
            }
        }
        out
    }

    fn cadence(&self, rule: &Rule, c: &Cadence, out: &mut Vec<Finding>) {
        let what = kinds_text(&c.activity, &c.subtype, false);
        let what_zh = kinds_text(&c.activity, &c.subtype, true);
        for (sk, id, name, unit, exists) in self.targets(&c.of) {
            let acts = match sk {
                SubjectKind::Body => self.data.by_body.get(&id),
                _ => self.data.by_unit.get(&id),
            };
            let members = |day: i32| -> FxHashSet<i64> {
                let d = date(day.into());
                let mut m = FxHashSet::default();
                for (post, f) in self.net.attached_to(id) {
                    if matches!(f, Fact::Post { body: Some(b), valid, .. } if *b == id && valid.contains(d))
                    {
                        if let Some(p) = self.net.holder_at(post, d) {
                            m.insert(p);
                        }
                    }
                }
                m
            };
            for (full, part) in periods(c.period, c.year_start, &self.range) {
                let Some(live) = part.clip(&exists) else {
                    continue;
                };
                let share = live.days() as f64 / full.days() as f64;
                let min = f64::from(c.min);
                let required = match c.prorate {
                    Prorate::Proportional => (min * share - 1e-9).ceil(),
                    Prorate::RoundDown => (min * share + 1e-9).floor(),
                    Prorate::Full => min,
                    Prorate::Exempt if live == full => min,
                    Prorate::Exempt => -1.0,
                };
                let (lo, hi) = (day_of(live.from), day_of(live.to));
                let mut evidence = Vec::new();
                for &i in acts.map(Vec::as_slice).unwrap_or_default() {
                    let a = &self.data.activities[i as usize];
                    if a.day < lo || a.day > hi || !matches(a, &c.activity, &c.subtype) {
                        continue;
                    }
                    if c.min_participants
                        .is_some_and(|m| (a.participants.len() as u32) < m)
                    {
                        continue;
                    }
                    if let Some(q) = c.quorum {
                        let m = members(a.day);
                        let present = a.participants.iter().filter(|p| m.contains(p)).count();
                        if m.is_empty() || (present as f64) < (q * m.len() as f64 - 1e-9).ceil() {
                            continue;
                        }
                    }
                    evidence.push(a.id);
                }
                let n = evidence.len() as f64;
                let (status, en, zh) = if required <= 0.0 {
                    (
                        Status::NotApplicable,
                        format!(
                            "{name} existed for only part of {} ({} to {}); the rule does not apply.",
                            full.label(),
                            live.from,
                            live.to
                        ),
                        format!(
                            "{name}在{}仅部分时间存在（{}至{}），本规则不适用。",
                            full.label_zh(),
                            live.from,
                            live.to
                        ),
                    )
                } else {
                    let st = if n >= required {
                        Status::Met
                    } else {
                        Status::Breach
                    };
                    let part_note = if live == full {
                        String::new()
                    } else {
                        format!(" (pro-rated for {} to {})", live.from, live.to)
                    };
                    let part_zh = if live == full {
                        String::new()
                    } else {
                        format!("（按{}至{}折算）", live.from, live.to)
                    };
                    (
                        st,
                        format!(
                            "{name} held {n} {what} in {}; at least {required} required{part_note}.",
                            full.label()
                        ),
                        format!(
                            "{name}{}开展{what_zh}{n}次，要求至少{required}次{part_zh}。",
                            full.label_zh()
                        ),
                    )
                };
                out.push(self.finish(
                    rule,
                    Draft {
                        subject_kind: sk,
                        subject: id,
                        subject_name: Some(name.clone()),
                        unit,
                        period: live,
                        status,
                        expected: (required > 0.0).then_some(required),
                        actual: Some(n),
                        triggered: None,
                        due: None,
                        evidence,
                        en,
                        zh,
                    },
                ));
            }
        }
    }

    fn structure(&self, rule: &Rule, s: &Structure, out: &mut Vec<Finding>) {
        let today = day_of(self.today);
        let (lo, hi) = (day_of(self.range.from), day_of(self.range.to).min(today));
        if hi < lo {
            return;
        }
        let role_en = s.role.label().to_owned();
        let role_zh = s.role.name_zh().to_owned();
        for (sk, id, name, unit, exists) in self.targets(&s.of) {
            let posts: Vec<(i64, crate::time::Interval)> = self
                .net
                .attached_to(id)
                .filter_map(|(pid, f)| match f {
                    Fact::Post {
                        unit: pu,
                        body,
                        role,
                        valid,
                        ..
                    } if role == &s.role
                        && match sk {
                            SubjectKind::Body => *body == Some(id),
                            _ => *pu == id,
                        } =>
                    {
                        Some((pid, *valid))
                    }
                    _ => None,
                })
                .collect();
            let window = (day_of(exists.from), day_of(exists.to).min(hi));
            if window.1 < window.0 {
                continue;
            }
            let mut drafts: Vec<Draft> = Vec::new();
            // Days the target had no such post at all count as vacancy of a virtual post.
            let mut post_cover: Vec<(i32, i32)> = posts
                .iter()
                .map(|(_, v)| (day_of(v.from), v.to.map_or(i32::MAX, day_of)))
                .collect();
            post_cover.sort_unstable();
            let no_post = gaps(&post_cover, window.0, window.1 + 1);
            if let Some(&(g0, g1)) = no_post.iter().max_by_key(|(a, b)| (b - a, -a)) {
                let days = g1 - g0;
                let status = if days as u32 > s.tolerance_days {
                    Status::Breach
                } else {
                    Status::Met
                };
                if status == Status::Breach || posts.is_empty() {
                    let (from, to) = (date(g0.into()), date((g1 - 1).into()));
                    drafts.push(Draft {
                        subject_kind: sk,
                        subject: id,
                        subject_name: Some(name.clone()),
                        unit,
                        period: exists,
                        status,
                        expected: Some(f64::from(s.tolerance_days)),
                        actual: Some(f64::from(days)),
                        triggered: None,
                        due: None,
                        evidence: Vec::new(),
                        en: format!(
                            "{name} had no {role_en} post for {days} days ({from} to {to}); \
                             {} days are tolerated.",
                            s.tolerance_days
                        ),
                        zh: format!(
                            "{name}未设{role_zh}岗位{days}天（{from}至{to}），容许{}天。",
                            s.tolerance_days
                        ),
                    });
                }
            }
            for (post, valid) in &posts {
                let p0 = day_of(valid.from);
                let p1 = valid.to.map_or(i32::MAX, day_of);
                let (w0, w1) = (window.0.max(p0), window.1.min(p1 - 1));
                if w1 < w0 {
                    continue;
                }
                // Days a qualified holder held the post.
                let mut held: Vec<(i32, i32)> = Vec::new();
                for (_, f) in self.net.attached_to(*post) {
                    let Fact::Membership {
                        post: mp,
                        person,
                        valid: mv,
                    } = f
                    else {
                        continue;
                    };
                    if mp != post {
                        continue;
                    }
                    let (m0, m1) = (day_of(mv.from), mv.to.map_or(i32::MAX, day_of));
                    match &s.position {
                        None => held.push((m0, m1)),
                        Some(title) => {
                            let anchor = date(w1.into());
                            for (_, pf) in self.net.attached_to(*person) {
                                if let Fact::Position {
                                    person: pp,
                                    title: t,
                                    unit: pu,
                                    valid: pv,
                                } = pf
                                {
                                    if pp == person
                                        && t == title
                                        && is_under(self.net, unit, *pu, anchor)
                                    {
                                        let (q0, q1) =
                                            (day_of(pv.from), pv.to.map_or(i32::MAX, day_of));
                                        if q0.max(m0) < q1.min(m1) {
                                            held.push((q0.max(m0), q1.min(m1)));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                held.sort_unstable();
                // Vacancy spells over the post's whole life up to today, kept when they
                // touch the window.
                let known_end = p1.min(today + 1);
                let spells: Vec<(i32, i32)> = gaps(&held, p0, known_end)
                    .into_iter()
                    .filter(|(a, b)| *a <= w1 && *b > w0)
                    .collect();
                let worst = spells.iter().max_by_key(|(a, b)| (b - a, -a)).copied();
                let open_now = p1 > today && spells.iter().any(|(_, b)| *b == known_end);
                let post_name = format!("{name} {role_zh}");
                let (status, days, en, zh) = match worst {
                    None => (
                        Status::Met,
                        0,
                        format!(
                            "The {role_en} post of {name} was filled on every day of {}.",
                            self.range.label()
                        ),
                        format!(
                            "{name}{role_zh}岗位在{}内每天均有符合要求的人员在岗。",
                            self.range.label_zh()
                        ),
                    ),
                    Some((a, b)) => {
                        let days = b - a;
                        let (from, to) = (date(a.into()), date((b - 1).into()));
                        let qual = s
                            .position
                            .as_deref()
                            .map(|q| format!(" by a {q}"))
                            .unwrap_or_default();
                        let qual_zh = s
                            .position
                            .as_deref()
                            .map(|q| format!("（须由{q}担任）"))
                            .unwrap_or_default();
                        let status = if days as u32 > s.tolerance_days {
                            Status::Breach
                        } else if open_now {
                            Status::Warning
                        } else {
                            Status::Met
                        };
                        let verdict = if status == Status::Breach {
                            "beyond"
                        } else {
                            "within"
                        };
                        let verdict_zh = if status == Status::Breach {
                            "超过"
                        } else {
                            "未超过"
                        };
                        (
                            status,
                            days,
                            format!(
                                "The {role_en} post of {name} was not held{qual} for {days} days \
                                 ({from} to {to}), {verdict} the {}-day tolerance.",
                                s.tolerance_days
                            ),
                            format!(
                                "{name}{role_zh}岗位{qual_zh}空缺{days}天（{from}至{to}），{verdict_zh}{}天的容许期。",
                                s.tolerance_days
                            ),
                        )
                    }
                };
                drafts.push(Draft {
                    subject_kind: SubjectKind::Post,
                    subject: *post,
                    subject_name: Some(post_name),
                    unit,
                    period: Range {
                        from: date(w0.into()),
                        to: date(w1.into()),
                    },
                    status,
                    expected: Some(f64::from(s.tolerance_days)),
                    actual: Some(f64::from(days)),
                    triggered: None,
                    due: None,
                    evidence: Vec::new(),
                    en,
                    zh,
                });
            }
            out.extend(drafts.into_iter().map(|d| self.finish(rule, d)));
        }
    }

    fn due(&self, d: &Deadline, start: NaiveDate) -> NaiveDate {
        match (d.days, &self.set.calendar) {
            (DayCount::Working, Some(cal)) => cal.add_working_days(start, d.within_days),
            _ => start + Duration::days(i64::from(d.within_days)),
        }
    }

    fn deadline(&self, rule: &Rule, d: &Deadline, out: &mut Vec<Finding>) {
        let (lo, hi) = (day_of(self.range.from), day_of(self.range.to));
        let mut triggers: Vec<TriggerRow> = Vec::new();
        if let Some(kinds) = &d.on.life_event {
            for e in &self.data.events {
                if e.day < lo || e.day > hi || !kinds.contains(&e.kind) {
                    continue;
                }
                let Some(unit) = self.homes.at(e.resident, e.day) else {
                    continue;
                };
                if self.units.info.contains_key(&unit) {
                    triggers.push((
                        SubjectKind::Resident,
                        e.resident,
                        unit,
                        e.day,
                        Some(e.id),
                        event_noun(&e.kind),
                        e.kind.name_zh().to_owned(),
                    ));
                }
            }
        }
        if let Some(who) = d.on.arrival {
            let s = self.stays;
            for i in 0..s.resident.len() {
                let f = s.from[i];
                if f == GONE || f < lo || f > hi {
                    continue;
                }
                let migrant = usize::from(s.ce[i]) >= ETH_SLOTS;
                let ok = match who {
                    Arrival::Any => true,
                    Arrival::Migrant => migrant,
                    Arrival::Registered => !migrant,
                };
                let unit = s.places[s.place[i] as usize];
                if ok && self.units.info.contains_key(&unit) {
                    let (en, zh) = match who {
                        Arrival::Migrant => ("migrant arrival", "流动人员来此居住"),
                        _ => ("arrival", "来此居住"),
                    };
                    triggers.push((
                        SubjectKind::Resident,
                        s.resident[i],
                        unit,
                        f,
                        None,
                        en.to_owned(),
                        zh.to_owned(),
                    ));
                }
            }
        }
        if let Some(kinds) = &d.on.activity {
            for a in &self.data.activities {
                if a.day >= lo
                    && a.day <= hi
                    && matches(a, kinds, &d.on.subtype)
                    && self.units.info.contains_key(&a.unit)
                {
                    triggers.push((
                        SubjectKind::Unit,
                        a.unit,
                        a.unit,
                        a.day,
                        Some(a.id),
                        a.subtype.as_deref().unwrap_or(a.kind.label()).to_owned(),
                        a.subtype.as_deref().unwrap_or(a.kind.name_zh()).to_owned(),
                    ));
                }
            }
        }
        triggers.sort_by_key(|t| (t.1, t.3, t.4));
        let what = kinds_text(&d.activity, &d.subtype, false);
        let what_zh = kinds_text(&d.activity, &d.subtype, true);
        let judge = |t: &TriggerRow| self.answer(rule, d, &what, &what_zh, t.clone());
        let threads = crate::stats::threads();
        if threads > 1 && triggers.len() >= PARALLEL_TRIGGERS {
            // Triggers are independent: split them over the cores, keep their order.
            let chunk = triggers.len().div_ceil(threads);
            let parts: Vec<std::thread::Result<Vec<Finding>>> = std::thread::scope(|sc| {
                let handles: Vec<_> = triggers
                    .chunks(chunk)
                    .map(|c| sc.spawn(move || c.iter().map(judge).collect::<Vec<_>>()))
                    .collect();
                handles.into_iter().map(|h| h.join()).collect()
            });
            for part in parts {
                match part {
                    Ok(found) => out.extend(found),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        } else {
            out.extend(triggers.iter().map(judge));
        }
    }

    /// The finding of one deadline trigger: the activity that answers it, if any, and
    /// its status relative to the due day and "today".
    fn answer(
        &self,
        rule: &Rule,
        d: &Deadline,
        what: &str,
        what_zh: &str,
        (sk, subject, unit, day, event, trig_en, trig_zh): TriggerRow,
    ) -> Finding {
        let today = self.today;
        let start = date(day.into());
        let due = self.due(d, start);
        let pool = match sk {
            SubjectKind::Resident => self.data.by_subject.get(&subject),
            _ => self.data.by_unit.get(&unit),
        };
        let candidates = pool
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|i| &self.data.activities[*i as usize])
            .filter(|a| a.day >= day && matches(a, &d.activity, &d.subtype))
            .filter(|a| sk != SubjectKind::Unit || Some(a.id) != event);
        // An activity naming this event answers it; otherwise the first one after it
        // that does not answer another event.
        let mut first: Option<&ActivityRow> = None;
        let mut named: Option<&ActivityRow> = None;
        for a in candidates {
            if event.is_some() && a.answers == event && sk == SubjectKind::Resident {
                if named.is_none_or(|n| a.day < n.day) {
                    named = Some(a);
                }
            } else if a.answers.is_none() && first.is_none_or(|f| a.day < f.day) {
                first = Some(a);
            }
        }
        let answer = named.or(first);
        let who = match sk {
            SubjectKind::Resident => format!("resident #{subject}"),
            _ => self.unit_name(unit),
        };
        let who_zh = match sk {
            SubjectKind::Resident => format!("居民#{subject}"),
            _ => self.unit_name(unit),
        };
        let allowed = d.within_days;
        let unit_en = if d.days == DayCount::Working {
            "working days"
        } else {
            "days"
        };
        let unit_zh = if d.days == DayCount::Working {
            "个工作日"
        } else {
            "天"
        };
        let (status, actual, evidence, en, zh) = match answer {
            Some(a) => {
                let on = date(a.day.into());
                let elapsed = match (d.days, &self.set.calendar) {
                    (DayCount::Working, Some(cal)) => working_between(cal, start, on),
                    _ => (on - start).num_days(),
                };
                let st = if on <= due { Status::OnTime } else { Status::Late };
                let verdict = if st == Status::OnTime { "on time" } else { "late" };
                let verdict_zh = if st == Status::OnTime { "按时" } else { "逾期" };
                (
                    st,
                    Some(elapsed as f64),
                    vec![a.id],
                    format!(
                        "The {trig_en} of {who} on {start} was answered by a {what} on {on}, \
                         day {elapsed} of {allowed} {unit_en} ({verdict})."
                    ),
                    format!(
                        "{who_zh}于{start}发生{trig_zh}，{on}完成{what_zh}，为第{elapsed}{unit_zh}（时限{allowed}{unit_zh}，{verdict_zh}）。"
                    ),
                )
            }
            None if today > due => (
                Status::Overdue,
                None,
                Vec::new(),
                format!(
                    "The {trig_en} of {who} on {start} has no {what} by the deadline {due} \
                     ({allowed} {unit_en})."
                ),
                format!(
                    "{who_zh}于{start}发生{trig_zh}，截至时限{due}（{allowed}{unit_zh}）未开展{what_zh}。"
                ),
            ),
            None => {
                let used = (today - start).num_days().max(0) as f64;
                let total = ((due - start).num_days().max(1)) as f64;
                let st = if used / total >= d.warn_at {
                    Status::Warning
                } else {
                    Status::Pending
                };
                let left = (due - today).num_days();
                (
                    st,
                    None,
                    Vec::new(),
                    format!(
                        "The {trig_en} of {who} on {start} awaits a {what}, due by {due} \
                         ({left} days left)."
                    ),
                    format!(
                        "{who_zh}于{start}发生{trig_zh}，待开展{what_zh}，须于{due}前完成（剩余{left}天）。"
                    ),
                )
            }
        };
        let mut evidence = evidence;
        if sk == SubjectKind::Unit {
            evidence.extend(event);
        }
        self.finish(
            rule,
            Draft {
                subject_kind: sk,
                subject,
                subject_name: (sk != SubjectKind::Resident).then(|| self.unit_name(unit)),
                unit,
                period: self.range,
                status,
                expected: Some(f64::from(allowed)),
                actual,
                triggered: Some(start),
                due: Some(due),
                evidence,
                en,
                zh,
            },
        )
    }

    fn coverage(&self, rule: &Rule, c: &Coverage, out: &mut Vec<Finding>) {
        let (lo, hi) = (day_of(self.range.from), day_of(self.range.to));
        // (resident, from, to) intervals the subject is covered over.
        let mut subjects: Vec<(ResidentId, i32, i32, String, String)> = Vec::new();
        if let Some(flag) = &c.subjects.flag {
            for f in &self.data.flags {
                if &f.kind == flag && f.from <= hi && f.to > lo {
                    subjects.push((
                        f.resident,
                        f.from,
                        f.to,
                        flag.label().to_owned(),
                        flag.name_zh().to_owned(),
                    ));
                }
            }
        }
        if let Some(cat) = c.subjects.category {
            let s = self.stays;
            for i in 0..s.resident.len() {
                let migrant = usize::from(s.ce[i]) >= ETH_SLOTS;
                if s.from[i] == GONE || s.from[i] > hi || s.to[i] <= lo {
                    continue;
                }
                if migrant == (cat == crate::register::Category::Migrant) {
                    subjects.push((
                        s.resident[i],
                        s.from[i],
                        s.to[i],
                        cat.name_zh().to_owned(),
                        cat.name_zh().to_owned(),
                    ));
                }
            }
        }
        subjects.sort_by_key(|s| (s.0, s.1));
        let what = kinds_text(&c.activity, &c.subtype, false);
        let what_zh = kinds_text(&c.activity, &c.subtype, true);
        for (resident, f0, f1, label, label_zh) in subjects {
            for (full, part) in periods(c.period, c.year_start, &self.range) {
                let (a0, a1) = (day_of(part.from).max(f0), day_of(part.to).min(f1 - 1));
                if a1 < a0 {
                    continue;
                }
                let Some(unit) = self
                    .homes
                    .at(resident, a1)
                    .or_else(|| self.homes.at(resident, a0))
                else {
                    continue;
                };
                if !self.units.info.contains_key(&unit) {
                    continue;
                }
                let evidence: Vec<i64> = self
                    .data
                    .by_subject
                    .get(&resident)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|i| &self.data.activities[*i as usize])
                    .filter(|a| a.day >= a0 && a.day <= a1 && matches(a, &c.activity, &c.subtype))
                    .map(|a| a.id)
                    .collect();
                let n = evidence.len();
                let status = if n as u32 >= c.min {
                    Status::Met
                } else {
                    Status::Breach
                };
                let (from, to) = (date(a0.into()), date(a1.into()));
                out.push(self.finish(
                    rule,
                    Draft {
                        subject_kind: SubjectKind::Resident,
                        subject: resident,
                        subject_name: None,
                        unit,
                        period: Range { from, to },
                        status,
                        expected: Some(f64::from(c.min)),
                        actual: Some(n as f64),
                        triggered: None,
                        due: None,
                        evidence,
                        en: format!(
                            "Resident #{resident} ({label}) had {n} {what} from {from} to {to} \
                             ({}); at least {} required.",
                            full.label(),
                            c.min
                        ),
                        zh: format!(
                            "居民#{resident}（{label_zh}）在{from}至{to}（{}）获得{what_zh}{n}次，要求至少{}次。",
                            full.label_zh(),
                            c.min
                        ),
                    },
                ));
            }
        }
    }

    fn threshold(&self, rule: &Rule, t: &Threshold, done: &[Finding], out: &mut Vec<Finding>) {
        let Some((left, right)) = &t.parsed else {
            return;
        };
        let parts: Vec<(Range, Range)> = match t.period {
            Some(p) => periods(p, t.year_start, &self.range),
            None => vec![(self.range, self.range)],
        };
        for (full, part) in parts {
            let env = UnitEnv {
                ctx: self,
                part,
                done,
                memo: RefCell::new(HashMap::new()),
                unit: Cell::new(0),
            };
            for (_, id, name, unit, exists) in self.targets(&t.of) {
                let Some(live) = part.clip(&exists) else {
                    continue;
                };
                env.unit.set(id);
                let (l, r) = (left.eval(&env), right.eval(&env));
                let (status, en, zh) = match (l, r) {
                    (Some(a), Some(b)) => {
                        let ok = t.op.holds(a, b);
                        let st = if ok { Status::Met } else { Status::Breach };
                        let verdict = if ok { "met" } else { "not met" };
                        let verdict_zh = if ok { "达标" } else { "未达标" };
                        // A plain number on the right is shown once; an expression with
                        // its value.
                        let plain = t.right.trim().parse::<f64>().is_ok();
                        let want = if plain {
                            fmt_num(b)
                        } else {
                            format!("{} = {}", t.right, fmt_num(b))
                        };
                        (
                            st,
                            format!(
                                "For {name} in {}, {} = {}, required {} {want}: {verdict}.",
                                full.label(),
                                t.left,
                                fmt_num(a),
                                t.op.symbol(),
                            ),
                            format!(
                                "{name}{}：{} = {}，要求{} {want}，{verdict_zh}。",
                                full.label_zh(),
                                t.left,
                                fmt_num(a),
                                t.op.symbol(),
                            ),
                        )
                    }
                    _ => (
                        Status::NotApplicable,
                        format!(
                            "For {name} in {}, {} {} {} cannot be judged: no data.",
                            full.label(),
                            t.left,
                            t.op.symbol(),
                            t.right
                        ),
                        format!("{name}{}：{}无数据，无法判断。", full.label_zh(), t.left),
                    ),
                };
                out.push(self.finish(
                    rule,
                    Draft {
                        subject_kind: SubjectKind::Unit,
                        subject: id,
                        subject_name: Some(name.clone()),
                        unit,
                        period: live,
                        status,
                        expected: r,
                        actual: l,
                        triggered: None,
                        due: None,
                        evidence: Vec::new(),
                        en,
                        zh,
                    },
                ));
            }
        }
    }
}

/// A life event as a noun for explanations ("the hospitalisation of …").
fn event_noun(kind: &crate::register::LifeEventKind) -> String {
    use crate::register::LifeEventKind as K;
    match kind {
        K::Hospitalised => "hospitalisation".to_owned(),
        K::Disaster => "disaster".to_owned(),
        K::Dispute => "dispute".to_owned(),
        K::Special => "special circumstance".to_owned(),
        K::Death => "death".to_owned(),
        other => other.label().to_owned(),
    }
}

/// From this many triggers on, a deadline rule's triggers are judged on all cores.
const PARALLEL_TRIGGERS: usize = 8192;

/// A deadline's trigger: subject kind, subject, unit, day, event or activity id, and
/// what happened in English and Chinese.
type TriggerRow = (SubjectKind, i64, UnitId, i32, Option<i64>, String, String);

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.3}")
    }
}

/// Working days from `a` to `b` (`a` is day 0).
fn working_between(cal: &super::calendar::Calendar, a: NaiveDate, b: NaiveDate) -> i64 {
    let mut n = 0;
    let mut d = a;
    while d < b {
        match d.succ_opt() {
            Some(x) => d = x,
            None => break,
        }
        if cal.is_working(d) {
            n += 1;
        }
    }
    n
}

/// The gaps of sorted half-open `covered` intervals within `[from, to)`.
fn gaps(covered: &[(i32, i32)], from: i32, to: i32) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    let mut at = from;
    for &(a, b) in covered {
        if b <= at {
            continue;
        }
        if a >= to {
            break;
        }
        if a > at {
            out.push((at, a));
        }
        at = at.max(b);
        if at >= to {
            return out;
        }
    }
    if at < to {
        out.push((at, to));
    }
    out
}

/// Expressions of one threshold rule, evaluated for one unit and period.
struct UnitEnv<'c, 'a> {
    ctx: &'c Ctx<'a>,
    part: Range,
    done: &'c [Finding],
    /// Rolled-up values by function and arguments.
    memo: RefCell<HashMap<String, Arc<FxHashMap<UnitId, f64>>>>,
    unit: Cell<UnitId>,
}

impl UnitEnv<'_, '_> {
    /// Per-unit subtree totals of a function, computed once per rule and period.
    fn rolled(
        &self,
        key: String,
        base: impl FnOnce() -> FxHashMap<UnitId, f64>,
    ) -> Arc<FxHashMap<UnitId, f64>> {
        if let Some(v) = self.memo.borrow().get(&key) {
            return v.clone();
        }
        let v = Arc::new(self.ctx.units.roll_up(&base()));
        self.memo.borrow_mut().insert(key, v.clone());
        v
    }
}

impl UnitEnv<'_, '_> {
    /// Per-unit subtree maxima of a function, computed once per rule and period.
    fn rolled_max(
        &self,
        key: String,
        base: impl FnOnce() -> FxHashMap<UnitId, f64>,
    ) -> Arc<FxHashMap<UnitId, f64>> {
        if let Some(v) = self.memo.borrow().get(&key) {
            return v.clone();
        }
        let v = Arc::new(self.ctx.units.roll_up_max(&base()));
        self.memo.borrow_mut().insert(key, v.clone());
        v
    }
}

impl Env for UnitEnv<'_, '_> {
    fn call(&self, f: Func, args: &[String]) -> Option<f64> {
        let ctx = self.ctx;
        let (lo, hi) = (day_of(self.part.from), day_of(self.part.to));
        let key = format!("{f:?}|{}", args.join("|"));
        let unit = self.unit.get();
        let per_unit = |m: Arc<FxHashMap<UnitId, f64>>| m.get(&unit).copied().or(Some(0.0));
        match f {
            Func::Days => Some(self.part.days() as f64),
            Func::Activities => {
                let kind = ActivityKind::parse(&args[0]);
                let sub: Vec<String> = args.get(1).cloned().into_iter().collect();
                per_unit(self.rolled(key, || {
                    let mut m = FxHashMap::default();
                    for a in &ctx.data.activities {
                        if a.day >= lo
                            && a.day <= hi
                            && a.kind == kind
                            && matches(a, std::slice::from_ref(&kind), &sub)
                        {
                            *m.entry(a.unit).or_insert(0.0) += 1.0;
                        }
                    }
                    m
                }))
            }
            Func::Residents | Func::Migrants => per_unit(self.rolled(key, || {
                let s = ctx.stays;
                let mut m = FxHashMap::default();
                for i in 0..s.resident.len() {
                    if s.from[i] <= hi
                        && hi < s.to[i]
                        && (f == Func::Residents || usize::from(s.ce[i]) >= ETH_SLOTS)
                    {
                        *m.entry(s.places[s.place[i] as usize]).or_insert(0.0) += 1.0;
                    }
                }
                m
            })),
            Func::Flagged => {
                let kind = crate::register::FlagKind::parse(&args[0]);
                per_unit(self.rolled(key, || {
                    let mut m = FxHashMap::default();
                    for fl in &ctx.data.flags {
                        if fl.kind == kind && fl.from <= hi && fl.to > lo {
                            let day = hi.min(fl.to - 1);
                            if let Some(u) = ctx.homes.at(fl.resident, day) {
                                *m.entry(u).or_insert(0.0) += 1.0;
                            }
                        }
                    }
                    m
                }))
            }
            Func::Findings => {
                let status = args.get(1).and_then(|s| Status::parse(s));
                per_unit(self.rolled(key, || {
                    let mut m = FxHashMap::default();
                    for x in self.done {
                        if x.rule == args[0]
                            && status.is_none_or(|s| s == x.status)
                            && x.period_from <= self.part.to
                            && x.period_to >= self.part.from
                        {
                            *m.entry(x.unit).or_insert(0.0) += 1.0;
                        }
                    }
                    m
                }))
            }
            Func::Compliance => {
                let count = |want: bool| {
                    self.rolled(format!("{key}|{want}"), || {
                        let mut m = FxHashMap::default();
                        for x in self.done {
                            if x.rule == args[0]
                                && x.status.compliant() == Some(want)
                                && x.period_from <= self.part.to
                                && x.period_to >= self.part.from
                            {
                                *m.entry(x.unit).or_insert(0.0) += 1.0;
                            }
                        }
                        m
                    })
                };
                let yes = count(true).get(&unit).copied().unwrap_or(0.0);
                let no = count(false).get(&unit).copied().unwrap_or(0.0);
                (yes + no > 0.0).then(|| yes / (yes + no))
            }
            Func::LedgerAge => {
                let ledger = ctx.ledger?;
                // The latest change anywhere in the subtree: a maximum, rolled up once.
                let latest = self.rolled_max(key, || {
                    ledger
                        .iter()
                        .filter(|(_, d)| **d <= hi)
                        .map(|(u, d)| (*u, f64::from(*d)))
                        .collect()
                });
                latest.get(&unit).map(|d| f64::from(hi) - d)
            }
            Func::Min | Func::Max => None,
        }
    }
}

/// Compliance rows: per unit in tree order, all rules then each rule in file order.
fn roll_up_compliance(units: &Units, set: &RuleSet, findings: &[Finding]) -> Vec<ComplianceRow> {
    let n_rules = set.rules.len();
    let index: FxHashMap<&str, usize> = set
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    // [compliant, non-compliant, undecided] per unit and rule (+1 slot for all).
    let mut own: FxHashMap<UnitId, Vec<[usize; 3]>> = FxHashMap::default();
    for f in findings {
        let Some(&ri) = index.get(f.rule.as_str()) else {
            continue;
        };
        let slot = match f.status.compliant() {
            Some(true) => 0,
            Some(false) => 1,
            None => 2,
        };
        let v = own
            .entry(f.unit)
            .or_insert_with(|| vec![[0; 3]; n_rules + 1]);
        v[ri + 1][slot] += 1;
        v[0][slot] += 1;
    }
    let mut total: FxHashMap<UnitId, Vec<[usize; 3]>> = FxHashMap::default();
    for u in units.order.iter().rev() {
        let mut v = own.remove(u).unwrap_or_else(|| vec![[0; 3]; n_rules + 1]);
        if let Some(kids) = total.get(u) {
            for (a, b) in v.iter_mut().zip(kids) {
                for k in 0..3 {
                    a[k] += b[k];
                }
            }
        }
        if let Some(p) = units.info[u].parent {
            let pv = total.entry(p).or_insert_with(|| vec![[0; 3]; n_rules + 1]);
            for (a, b) in pv.iter_mut().zip(&v) {
                for k in 0..3 {
                    a[k] += b[k];
                }
            }
        }
        total.insert(*u, v);
    }
    let mut out = Vec::new();
    for u in &units.order {
        let i = &units.info[u];
        let Some(v) = total.get(u) else {
            continue;
        };
        for (slot, c) in v.iter().enumerate() {
            if slot > 0 && c.iter().sum::<usize>() == 0 {
                continue;
            }
            out.push(ComplianceRow {
                unit: *u,
                code: i.code.clone(),
                name: i.name.clone(),
                depth: i.depth,
                rule: (slot > 0).then(|| set.rules[slot - 1].id.clone()),
                compliant: c[0],
                non_compliant: c[1],
                undecided: c[2],
                rate: (c[0] + c[1] > 0).then(|| c[0] as f64 / (c[0] + c[1]) as f64),
            });
        }
    }
    out
}

/// SHA-256 over what the findings say: rule and version, subject, unit, period, status,
/// expected and actual values, trigger and due days, evidence. Names and explanation
/// sentences follow from these and the record, so they are left out (hashing them would
/// cost more than the evaluation).
pub(crate) fn digest(findings: &[Finding]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let day = |d: Option<NaiveDate>| d.map_or(i32::MIN, day_of).to_le_bytes();
    let num = |x: Option<f64>| x.map_or(u64::MAX, f64::to_bits).to_le_bytes();
    for f in findings {
        buf.clear();
        for text in [f.rule.as_str(), f.version.as_str(), f.status.label()] {
            buf.extend_from_slice(&(text.len() as u32).to_le_bytes());
            buf.extend_from_slice(text.as_bytes());
        }
        buf.push(f.subject_kind as u8);
        buf.extend_from_slice(&f.subject.to_le_bytes());
        buf.extend_from_slice(&f.unit.to_le_bytes());
        for d in [Some(f.period_from), Some(f.period_to), f.triggered, f.due] {
            buf.extend_from_slice(&day(d));
        }
        buf.extend_from_slice(&num(f.expected));
        buf.extend_from_slice(&num(f.actual));
        buf.extend_from_slice(&(f.evidence.len() as u32).to_le_bytes());
        for e in &f.evidence {
            buf.extend_from_slice(&e.to_le_bytes());
        }
        h.update(&buf);
    }
    crate::activity::hex_of(&h.finalize())
}

impl View {
    /// The rules data as of this view's transaction (cached per handle).
    fn rules_data(&self) -> Result<Arc<RulesData>> {
        let tx = self.transaction();
        let reg = self.registry();
        if let Some(d) = reg.rules_cache(tx) {
            return Ok(d);
        }
        let d = Arc::new(reg.with_reader(|c| RulesData::load(c, tx))?);
        reg.remember_rules(tx, &d);
        Ok(d)
    }

    /// 制度检查 — evaluates `rules` over a period and a subtree, as recorded by this view's
    /// transaction, with the registry's "today" for pending and overdue deadlines.
    /// Nothing is stored (see [`crate::Registry::evaluate`]).
    pub fn evaluate(&self, rules: &RuleSet, req: &EvaluationRequest) -> Result<Evaluation> {
        self.evaluate_on(rules, req, self.registry().today())
    }

    /// [`View::evaluate`] with a given "today".
    pub(crate) fn evaluate_on(
        &self,
        rules: &RuleSet,
        req: &EvaluationRequest,
        today: NaiveDate,
    ) -> Result<Evaluation> {
        if let Some(u) = req.under {
            self.require_scope(u)?;
        }
        for id in &req.rules {
            if rules.rule(id).is_none() {
                return Err(Error::invalid(
                    "rules",
                    format!("the set has no rule {id:?}"),
                ));
            }
        }
        let units = Units::build(self, req)?;
        let data = self.rules_data()?;
        let stays = self.stays(Basis::Residence)?;
        let chosen: Vec<&Rule> = rules
            .rules
            .iter()
            .filter(|r| req.rules.is_empty() || req.rules.contains(&r.id))
            .collect();
        // Residents whose homes the chosen rules need.
        let (lo, hi) = (day_of(req.period.from), day_of(req.period.to));
        let mut needed: FxHashSet<ResidentId> = FxHashSet::default();
        let mut needs_ledger = false;
        for r in &chosen {
            match &r.check {
                Check::Deadline(d) if d.on.life_event.is_some() => {
                    for e in &data.events {
                        if e.day >= lo && e.day <= hi {
                            needed.insert(e.resident);
                        }
                    }
                }
                Check::Coverage(c) if c.subjects.flag.is_some() => {
                    for f in &data.flags {
                        if f.from <= hi && f.to > lo {
                            needed.insert(f.resident);
                        }
                    }
                }
                Check::Coverage(_) => {
                    needed.extend(stays.resident.iter().copied());
                }
                Check::Threshold(t) => {
                    if let Some((l, r)) = &t.parsed {
                        if l.uses(Func::Flagged) || r.uses(Func::Flagged) {
                            for f in &data.flags {
                                if f.from <= hi && f.to > lo {
                                    needed.insert(f.resident);
                                }
                            }
                        }
                        needs_ledger |= l.uses(Func::LedgerAge) || r.uses(Func::LedgerAge);
                    }
                }
                _ => {}
            }
        }
        let homes = Homes::build(&stays, &needed);
        let ledger_rows;
        let ledger = if needs_ledger {
            ledger_rows = self.registry().with_reader(|c| data.ledger(c).cloned())?;
            Some(&ledger_rows)
        } else {
            None
        };
        let ctx = Ctx {
            net: self.network(),
            set: rules,
            data: &data,
            stays: &stays,
            units,
            range: req.period,
            today,
            homes,
            ledger,
        };
        let mut findings: Vec<Finding> = Vec::new();
        for r in &chosen {
            let mut out = Vec::new();
            match &r.check {
                Check::Cadence(c) => ctx.cadence(r, c, &mut out),
                Check::Structure(s) => ctx.structure(r, s, &mut out),
                Check::Deadline(d) => ctx.deadline(r, d, &mut out),
                Check::Coverage(c) => ctx.coverage(r, c, &mut out),
                Check::Threshold(t) => ctx.threshold(r, t, &findings, &mut out),
            }
            findings.extend(out);
        }
        let compliance = roll_up_compliance(&ctx.units, rules, &findings);
        Ok(Evaluation {
            rule_set: rules.id.clone(),
            version: rules.version.clone(),
            hash: rules.hash(),
            transaction: self.transaction(),
            today,
            period: req.period,
            under: req.under,
            digest: digest(&findings),
            findings,
            compliance,
            run: None,
        })
    }
}
