//! Findings: what one rule says about one subject in one period, with the evidence and
//! one sentence of explanation in English and Chinese.

use chrono::NaiveDate;
use serde::Serialize;

use crate::activity::ActivityId;
use crate::network::UnitId;

/// The verdict of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 达标 — the requirement is met.
    Met,
    /// 未达标 — the requirement is not met.
    Breach,
    /// 按时 — answered within the deadline.
    OnTime,
    /// 逾期完成 — answered, after the deadline.
    Late,
    /// 已逾期 — not answered, and the deadline has passed.
    Overdue,
    /// 待办 — not answered yet, still within the deadline.
    Pending,
    /// 预警 — not answered yet, most of the time used.
    Warning,
    /// 不适用 — exempt (part-period) or no data to judge.
    NotApplicable,
}

impl Status {
    /// The stable label.
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Breach => "breach",
            Status::OnTime => "on_time",
            Status::Late => "late",
            Status::Overdue => "overdue",
            Status::Pending => "pending",
            Status::Warning => "warning",
            Status::NotApplicable => "not_applicable",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Status::Met => "达标",
            Status::Breach => "未达标",
            Status::OnTime => "按时",
            Status::Late => "逾期完成",
            Status::Overdue => "已逾期",
            Status::Pending => "待办",
            Status::Warning => "预警",
            Status::NotApplicable => "不适用",
        }
    }

    /// Reads a label.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Met,
            Status::Breach,
            Status::OnTime,
            Status::Late,
            Status::Overdue,
            Status::Pending,
            Status::Warning,
            Status::NotApplicable,
        ]
        .into_iter()
        .find(|x| x.label() == s || x.name_zh() == s)
    }

    /// `Some(true)` when compliant, `Some(false)` when not, `None` when undecided
    /// (pending, warning, not applicable) — undecided findings are left out of rates.
    pub fn compliant(self) -> Option<bool> {
        match self {
            Status::Met | Status::OnTime => Some(true),
            Status::Breach | Status::Late | Status::Overdue => Some(false),
            Status::Pending | Status::Warning | Status::NotApplicable => None,
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A unit (street, community, area …).
    Unit,
    /// A body (leadership group …).
    Body,
    /// A post.
    Post,
    /// A resident (named by id only: findings carry no personal data).
    Resident,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The rule set's version.
    pub version: String,
    /// The rule's kind.
    pub rule_kind: &'static str,
    /// What kind of subject.
    pub subject_kind: SubjectKind,
    /// The subject's id.
    pub subject: i64,
    /// The subject's name (units, bodies, posts; `None` for residents).
    pub subject_name: Option<String>,
    /// The unit the finding counts under in the roll-up.
    pub unit: UnitId,
    /// That unit's name.
    pub unit_name: String,
    /// First day of the period.
    pub period_from: NaiveDate,
    /// Last day of the period.
    pub period_to: NaiveDate,
    /// The verdict.
    pub status: Status,
    /// What was required (count, days, value).
    pub expected: Option<f64>,
    /// What was found.
    pub actual: Option<f64>,
    /// For deadlines: the trigger's day.
    pub triggered: Option<NaiveDate>,
    /// For deadlines: the last day still on time.
    pub due: Option<NaiveDate>,
    /// The activities that count as evidence.
    pub evidence: Vec<ActivityId>,
    /// One sentence in English.
    pub explanation: String,
    /// One sentence in Chinese.
    pub explanation_zh: String,
}

/// Compliance of one unit's subtree for one rule (or all rules when `rule` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceRow {
    /// The unit.
    pub unit: UnitId,
    /// Its code.
    pub code: Option<String>,
    /// Its name.
    pub name: String,
    /// Its depth below the evaluation's root (0 = root).
    pub depth: usize,
    /// The rule, or `None` for all rules together.
    pub rule: Option<String>,
    /// Compliant findings (met, on time).
    pub compliant: usize,
    /// Non-compliant findings (breach, late, overdue).
    pub non_compliant: usize,
    /// Undecided findings (pending, warning, not applicable).
    pub undecided: usize,
    /// compliant / (compliant + non-compliant); `None` when nothing was decided.
    pub rate: Option<f64>,
}
