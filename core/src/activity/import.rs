//! Importing activities from CSV, XLSX or JSON Lines, with the ledger import's
//! guarantees: every good row kept, every bad row reported with its row number, column,
//! value (ID numbers masked) and a reason in English and Chinese; one atomic batch;
//! re-importing the same file changes nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{ActivityKind, Evidence, NewActivity, RecordOutcome};
use crate::codes::{mask_id_number, IdNumber};
use crate::error::{Error, Result, Warning};
use crate::ingest::{read_table, Encoding, Format, ReadOptions, Record, Sheet, SheetSelection};
use crate::network::{Fact, Hierarchy, Network, PersonId, UnitId};
use crate::register::{RejectedRow, ResidentId};
use crate::registry::Registry;

/// The fields of an activity file and the headers accepted for them.
pub const ACTIVITY_FIELDS: &[(&str, &[&str])] = &[
    (
        "date",
        &[
            "日期",
            "活动日期",
            "时间",
            "活动时间",
            "会议日期",
            "走访日期",
        ],
    ),
    ("kind", &["类型", "活动类型", "工作类型", "类别", "type"]),
    ("subtype", &["子类型", "会议类型", "活动名称", "会议名称"]),
    ("title", &["主题", "标题", "活动主题", "会议主题", "内容"]),
    (
        "unit",
        &["单位", "社区", "所属社区", "街道", "所属单位", "地点单位"],
    ),
    ("body", &["机构", "组织", "主办机构", "组织机构"]),
    (
        "participants",
        &["参加人员", "参会人员", "参与人员", "走访人员", "出席人员"],
    ),
    (
        "subjects",
        &[
            "对象",
            "走访对象",
            "服务对象",
            "对象身份证号",
            "对象编号",
            "居民",
        ],
    ),
    ("answers", &["事由编号", "对应事件", "事件编号"]),
    ("category", &["咨询类别", "咨询类型"]),
    ("resolved", &["是否解决", "是否办结", "办结"]),
    ("aid_kind", &["帮扶类型", "救助类型", "帮扶内容"]),
    ("amount", &["金额", "金额(元)", "金额（元）", "帮扶金额"]),
    ("evidence", &["证明材料", "附件", "佐证材料"]),
    ("evidence_sha256", &["材料哈希", "附件哈希", "sha256"]),
    ("reference", &["编号", "记录编号", "序号编号", "ref"]),
    ("note", &["备注", "说明"]),
];

/// How to import activities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityImportOptions {
    /// The file.
    pub path: String,
    /// The format; default from the extension.
    #[serde(default)]
    pub format: Option<Format>,
    /// The text encoding of a CSV.
    #[serde(default)]
    pub encoding: Encoding,
    /// Which sheets (XLSX).
    #[serde(default)]
    pub sheet: SheetSelection,
    /// The header row, if not detected.
    #[serde(default)]
    pub header_row: Option<usize>,
    /// Header → field overrides (fields: see [`ACTIVITY_FIELDS`]).
    #[serde(default, deserialize_with = "crate::ingest::pairs_or_map")]
    pub mapping: Vec<(String, String)>,
    /// Validate and report without writing.
    #[serde(default)]
    pub dry_run: bool,
}

impl ActivityImportOptions {
    /// Options for `path`, everything else default.
    pub fn new(path: impl Into<String>) -> ActivityImportOptions {
        ActivityImportOptions {
            path: path.into(),
            ..ActivityImportOptions::default()
        }
    }
}

/// What an activity import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActivityImportReport {
    /// The transaction recorded (`None`: dry run or nothing changed).
    pub transaction: Option<i64>,
    /// Data rows read.
    pub rows_read: usize,
    /// New activities.
    pub inserted: usize,
    /// Activities with a reference that changed.
    pub updated: usize,
    /// Activities already recorded as they are.
    pub unchanged: usize,
    /// Rejected rows (every other row was kept).
    pub rejected: Vec<RejectedRow>,
    /// Warnings (unmapped columns and the like).
    pub warnings: Vec<Warning>,
}

/// A row's problem: field, stable code, English and Chinese reasons.
struct Problem {
    field: &'static str,
    code: &'static str,
    en: String,
    zh: String,
}

fn problem(field: &'static str, code: &'static str, en: String, zh: String) -> Problem {
    Problem {
        field,
        code,
        en,
        zh,
    }
}

/// Splits a list cell (、,，;； or spaces).
fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split(['、', ',', '，', ';', '；', ' ', '\u{3000}', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// What the rows resolve against, built once per import.
struct Lookup<'a> {
    net: &'a Network,
    persons: HashMap<String, Vec<PersonId>>,
    today: NaiveDate,
}

impl Lookup<'_> {
    fn unit(&self, text: &str, date: NaiveDate) -> std::result::Result<UnitId, Problem> {
        let found = if let Ok(id) = text.parse::<i64>().map(Some).or(Ok::<_, ()>(None)) {
            match id {
                Some(id) if text.len() < 12 && self.net.unit_exists(id, date) => Ok(id),
                _ if text.chars().all(|c| c.is_ascii_digit()) => self.net.find_by_code(text, date),
                _ => self.net.find_by_path(text, date, &Hierarchy::Legal),
            }
        } else {
            self.net.find_by_path(text, date, &Hierarchy::Legal)
        };
        found.map_err(|_| {
            problem(
                "unit",
                "activity.unknown_unit",
                format!("no unit with this code, id or name path on {date}"),
                format!("{date}不存在该代码、编号或名称路径的单位"),
            )
        })
    }

    fn body(&self, text: &str, unit: UnitId, date: NaiveDate) -> std::result::Result<i64, Problem> {
        if let Ok(id) = text.parse::<i64>() {
            if matches!(self.net.fact(id), Some(Fact::Body { .. })) {
                return Ok(id);
            }
        }
        let found: Vec<i64> = self
            .net
            .attached_to(unit)
            .filter_map(|(id, f)| match f {
                Fact::Body { name, valid, .. } if name == text && valid.contains(date) => Some(id),
                _ => None,
            })
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(problem(
                "body",
                "activity.unknown_body",
                "the unit has no body of this name on that day".into(),
                "该单位当日无此名称的机构".into(),
            )),
            _ => Err(problem(
                "body",
                "activity.ambiguous_body",
                "the unit has several bodies of this name".into(),
                "该单位有多个同名机构".into(),
            )),
        }
    }

    fn persons(&self, text: &str) -> std::result::Result<Vec<PersonId>, Problem> {
        let mut out = Vec::new();
        for item in items(text) {
            if let Ok(id) = item.parse::<i64>() {
                if matches!(self.net.fact(id), Some(Fact::Person { .. })) {
                    out.push(id);
                    continue;
                }
            }
            match self.persons.get(item).map(Vec::as_slice) {
                Some([one]) => out.push(*one),
                Some(_) => {
                    return Err(problem(
                        "participants",
                        "activity.ambiguous_person",
                        "a participant's name is shared by several people; give the person id"
                            .into(),
                        "参加人员姓名重名，请填写人员编号".into(),
                    ))
                }
                None => {
                    return Err(problem(
                        "participants",
                        "activity.unknown_person",
                        "a participant is not a recorded person".into(),
                        "参加人员不在人员名录中".into(),
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// The resident with ID number `n` (normalised; 15 digits upgraded), if registered.
fn resident_by_number(conn: &rusqlite::Connection, n: &str) -> Result<Option<ResidentId>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT id FROM resident WHERE id_number = ?1 AND sys_to IS NULL")?
        .query_row([n], |r| r.get(0))
        .optional()?)
}

/// Whether `id` is a current resident.
fn resident_exists(conn: &rusqlite::Connection, id: i64) -> Result<bool> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT 1 FROM resident WHERE id = ?1 AND sys_to IS NULL LIMIT 1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The column, code and Chinese reason for an activity the record refused.
fn refusal(e: &Error) -> (&'static str, &'static str, &'static str) {
    let text = e.to_string();
    let about = |w: &str| text.contains(w);
    match e {
        Error::AccessDenied { .. } => (
            "unit",
            "activity.out_of_scope",
            "单位不在本账号的权限范围内",
        ),
        Error::NotFound { .. } if about("life event") => {
            ("answers", "activity.unknown_event", "对应事件不存在")
        }
        Error::NotFound { .. } if about("body") => {
            ("body", "activity.unknown_body", "机构不存在或当日未设立")
        }
        Error::NotFound { .. } if about("person") => (
            "participants",
            "activity.unknown_person",
            "参加人员不在人员名录中",
        ),
        Error::NotFound { .. } if about("resident") => {
            ("subjects", "activity.unknown_subject", "对象不在居民台账中")
        }
        Error::NotFound { .. } => ("unit", "activity.unknown_unit", "单位当日不存在"),
        _ if about("answers") => ("answers", "activity.bad_event", "对应事件与活动对象不符"),
        _ if about("evidence") => (
            "evidence",
            "activity.bad_evidence",
            "证明材料信息不完整或哈希值格式错误",
        ),
        _ if about("future") => ("date", "activity.future_date", "日期晚于今天"),
        _ => ("kind", "activity.rejected", "记录不符合要求"),
    }
}

fn parse_row(
    sheet: &Sheet,
    rec: &Record,
    look: &Lookup<'_>,
    conn: &rusqlite::Connection,
) -> Result<std::result::Result<NewActivity, Problem>> {
    let get = |f: &str| sheet.get(rec, f);
    let date = match get("date").map(crate::ingest::parse_date) {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            return Ok(Err(problem(
                "date",
                "activity.bad_date",
                "not a date".into(),
                "日期格式无法识别".into(),
            )))
        }
        None => {
            return Ok(Err(problem(
                "date",
                "activity.missing_date",
                "the date is missing".into(),
                "缺少日期".into(),
            )))
        }
    };
    if date > look.today {
        return Ok(Err(problem(
            "date",
            "activity.future_date",
            "the date is in the future".into(),
            "日期晚于今天".into(),
        )));
    }
    let Some(kind) = get("kind").map(ActivityKind::parse) else {
        return Ok(Err(problem(
            "kind",
            "activity.missing_kind",
            "the kind is missing".into(),
            "缺少活动类型".into(),
        )));
    };
    let Some(unit_text) = get("unit") else {
        return Ok(Err(problem(
            "unit",
            "activity.missing_unit",
            "the unit is missing".into(),
            "缺少单位".into(),
        )));
    };
    let unit = match look.unit(unit_text, date) {
        Ok(u) => u,
        Err(p) => return Ok(Err(p)),
    };
    let mut a = NewActivity::new(kind, date, unit);
    a.subtype = get("subtype").map(str::to_owned);
    a.title = get("title").map(str::to_owned);
    if let Some(b) = get("body") {
        match look.body(b, unit, date) {
            Ok(b) => a.body = Some(b),
            Err(p) => return Ok(Err(p)),
        }
    }
    if let Some(p) = get("participants") {
        match look.persons(p) {
            Ok(v) => a.participants = v,
            Err(p) => return Ok(Err(p)),
        }
    }
    if let Some(s) = get("subjects") {
        for item in items(s) {
            let found = if item.len() >= 15 {
                match IdNumber::parse(item, look.today) {
                    Ok(n) => resident_by_number(conn, n.value.as_str())?,
                    Err(_) => {
                        return Ok(Err(problem(
                            "subjects",
                            "activity.bad_id_number",
                            "a subject's ID number is not valid".into(),
                            "对象身份证号码无效".into(),
                        )))
                    }
                }
            } else {
                match item.parse::<i64>() {
                    Ok(id) if resident_exists(conn, id)? => Some(id),
                    _ => None,
                }
            };
            match found {
                Some(r) => a.subjects.push(r),
                None => {
                    return Ok(Err(problem(
                        "subjects",
                        "activity.unknown_subject",
                        "a subject is not a registered resident".into(),
                        "对象不在居民台账中".into(),
                    )))
                }
            }
        }
    }
    if let Some(e) = get("answers") {
        match e.parse::<i64>() {
            Ok(e) => a.answers = Some(e),
            Err(_) => {
                return Ok(Err(problem(
                    "answers",
                    "activity.bad_event",
                    "not a life event number".into(),
                    "事件编号不是数字".into(),
                )))
            }
        }
    }
    a.category = get("category").map(str::to_owned);
    if let Some(r) = get("resolved") {
        a.resolved = match r {
            "是" | "已解决" | "已办结" | "yes" | "Y" | "y" | "1" | "true" => Some(true),
            "否" | "未解决" | "未办结" | "no" | "N" | "n" | "0" | "false" => Some(false),
            _ => {
                return Ok(Err(problem(
                    "resolved",
                    "activity.bad_resolved",
                    "expected 是/否 (yes/no)".into(),
                    "应填写 是 或 否".into(),
                )))
            }
        };
    }
    a.aid_kind = get("aid_kind").map(str::to_owned);
    if let Some(m) = get("amount") {
        match m
            .replace([',', '，', '元', '¥', '￥'], "")
            .trim()
            .parse::<f64>()
        {
            Ok(x) if x.is_finite() && x >= 0.0 => a.amount = Some(x),
            _ => {
                return Ok(Err(problem(
                    "amount",
                    "activity.bad_amount",
                    "not a non-negative amount".into(),
                    "金额应为非负数".into(),
                )))
            }
        }
    }
    if let Some(doc) = get("evidence") {
        a.evidence = vec![Evidence {
            document: doc.to_owned(),
            sha256: get("evidence_sha256").map(str::to_ascii_lowercase),
        }];
    }
    a.note = get("note").map(str::to_owned);
    a.reference = get("reference").map(str::to_owned);
    Ok(Ok(a))
}

/// The value of `field` as a report may show it (ID numbers masked).
fn shown(field: &str, value: Option<&str>) -> Option<String> {
    let v = value?;
    Some(if field == "subjects" {
        items(v)
            .map(|i| {
                if i.len() >= 15 {
                    mask_id_number(i)
                } else {
                    i.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("、")
    } else if field == "note" {
        "***".to_owned()
    } else {
        v.to_owned()
    })
}

impl Registry {
    /// 导入工作记录 — imports activities (see the module docs). Bad rows are reported and
    /// skipped; the rest commits in one transaction.
    pub fn import_activities(&self, opts: &ActivityImportOptions) -> Result<ActivityImportReport> {
        let read = ReadOptions {
            format: opts.format,
            encoding: opts.encoding,
            sheet: opts.sheet.clone(),
            header_row: opts.header_row,
            mapping: opts.mapping.clone(),
        };
        let sheets = read_table(&opts.path, ACTIVITY_FIELDS, &read)?;
        for s in &sheets {
            s.require(&["date", "kind", "unit"])?;
        }
        let mut report = ActivityImportReport::default();
        let file = crate::ingest::file_name(&opts.path);
        let label = format!("import activities {file}");
        let today = self.today();
        let tx = self.write_batch_inner(Some(&label), opts.dry_run, |b| {
            let mut persons: HashMap<String, Vec<PersonId>> = HashMap::new();
            for (id, f) in b.network().facts() {
                if let Fact::Person { name, .. } = f {
                    persons.entry(name.clone()).or_default().push(id);
                }
            }
            let net = b.network().clone();
            let look = Lookup {
                net: &net,
                persons,
                today,
            };
            for sheet in &sheets {
                report.warnings.extend(sheet.warnings.iter().cloned());
                for rec in &sheet.rows {
                    report.rows_read += 1;
                    let reject = |p: Problem| RejectedRow {
                        file: sheet.file.clone(),
                        sheet: sheet.sheet.clone(),
                        row: rec.row,
                        column: sheet.column_of(p.field).map(str::to_owned),
                        value: shown(p.field, sheet.get(rec, p.field)),
                        code: p.code.to_owned(),
                        message: p.en,
                        message_zh: p.zh,
                    };
                    let a = match parse_row(sheet, rec, &look, b.conn)? {
                        Ok(a) => a,
                        Err(p) => {
                            report.rejected.push(reject(p));
                            continue;
                        }
                    };
                    match b.record_activity(a) {
                        Ok((_, RecordOutcome::Inserted)) => report.inserted += 1,
                        Ok((_, RecordOutcome::Updated)) => report.updated += 1,
                        Ok((_, RecordOutcome::Unchanged)) => report.unchanged += 1,
                        Err(e @ (Error::Storage(_) | Error::Internal(_))) => return Err(e),
                        Err(e) => {
                            let (field, code, zh) = refusal(&e);
                            report.rejected.push(reject(problem(
                                field,
                                code,
                                e.to_string(),
                                zh.to_owned(),
                            )));
                        }
                    }
                }
            }
            Ok(b.transaction())
        })?;
        report.transaction = (!opts.dry_run && report.inserted + report.updated > 0).then_some(tx);
        Ok(report)
    }
}
