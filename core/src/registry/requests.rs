//! One JSON request/response protocol shared by the C and Python faces, so that both
//! reach every capability through the same code.
//!
//! Request: `{"op": "<name>", "args": {…}, "transaction": N?}` — with `transaction`, a
//! read answers exactly as the registry did when that transaction was the newest.
//! Response: `{"format": 1, "transaction": N, "result": …, "warnings": […]}` where
//! `transaction` is the recorded transaction the answer reflects (for writes: the one
//! they recorded).

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::Registry;
use crate::activity::{ActivityImportOptions, NewActivity};
use crate::error::{Error, Result, Warning};
use crate::network::{
    FactId, Hierarchy, NewBody, NewMembership, NewOrganisation, NewPerson, NewPosition, NewPost,
    NewUnit, PersonId, Reorganisation, TxId, UnitId, UnitImportOptions,
};
use crate::register::{
    EthnicityChange, ExportFormat, NewFlag, NewLifeEvent, NewResident, Preference, ResidentId,
    ResidentImportOptions,
};
use crate::rules::{EvaluationRequest, ManualEntry, Range, RuleSet, Scheme};
use crate::stats::aggregates::AggregateImportOptions;
use crate::stats::{CubeExport, PopulationQuery, Table, TrendQuery};

/// Version of the JSON documents shiliu reads and writes; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    Unit {
        unit: UnitId,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    Tree {
        #[serde(default)]
        root: Option<UnitId>,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    Ancestors {
        unit: UnitId,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    Descendants {
        unit: UnitId,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    FindByCode {
        code: String,
        as_of: NaiveDate,
    },
    FindByPath {
        path: String,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    Successors {
        unit: UnitId,
        as_of: NaiveDate,
    },
    Predecessors {
        unit: UnitId,
    },
    PostHolders {
        unit: UnitId,
        as_of: NaiveDate,
    },
    VacantPosts {
        under: UnitId,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    PersonHistory {
        person: PersonId,
    },
    Organisations {
        under: UnitId,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    History {
        id: FactId,
    },
    TransactionInfo {
        transaction: TxId,
    },
    AuditLog {},
    AddUnit(NewUnit),
    AddBody(NewBody),
    AddPost(NewPost),
    AddPerson(NewPerson),
    AddPosition(NewPosition),
    AddMembership(NewMembership),
    AddOrganisation(NewOrganisation),
    End {
        id: FactId,
        date: NaiveDate,
    },
    SetParent {
        unit: UnitId,
        hierarchy: Hierarchy,
        parent: UnitId,
        from: NaiveDate,
    },
    Reorganise(Reorganisation),
    ImportUnits(UnitImportOptions),
    AddResident(NewResident),
    UpsertResident(NewResident),
    DepartResident {
        resident: ResidentId,
        date: NaiveDate,
    },
    MoveResident {
        resident: ResidentId,
        community: UnitId,
        date: NaiveDate,
    },
    ChangeEthnicity(EthnicityChange),
    AddFlag(NewFlag),
    AddLifeEvent(NewLifeEvent),
    DeclarePreference(Preference),
    Resident {
        resident: ResidentId,
        as_of: NaiveDate,
    },
    RevealResident {
        resident: ResidentId,
        as_of: NaiveDate,
    },
    Residents {
        under: UnitId,
        as_of: NaiveDate,
        #[serde(default)]
        hierarchy: Hierarchy,
    },
    Circumstances {
        resident: ResidentId,
    },
    ImportResidents(ResidentImportOptions),
    ExportResidents {
        under: UnitId,
        as_of: NaiveDate,
        path: String,
        format: ExportFormat,
    },
    Population(PopulationQuery),
    PopulationTrend(TrendQuery),
    Summary {
        unit: UnitId,
        #[serde(default)]
        as_of: Option<NaiveDate>,
        #[serde(default)]
        hierarchy: Hierarchy,
        #[serde(default)]
        denominators: Option<String>,
        #[serde(default)]
        k: Option<u32>,
    },
    ImportAggregates(AggregateImportOptions),
    ExportCube(CubeExport),
    ProtectCube {
        path: String,
        k: u32,
        #[serde(default = "yes")]
        publish_zeros: bool,
    },
    RecordActivity(NewActivity),
    ImportActivities(ActivityImportOptions),
    Activity {
        id: i64,
    },
    Activities {
        #[serde(default)]
        under: Option<UnitId>,
        from: NaiveDate,
        to: NaiveDate,
    },
    Preset {
        name: String,
    },
    CheckRules(RulesArg),
    Evaluate {
        #[serde(default)]
        rules: Option<String>,
        #[serde(default)]
        preset: Option<String>,
        #[serde(default, deserialize_with = "crate::ingest::pairs_or_map")]
        overrides: Vec<(String, String)>,
        period: String,
        #[serde(default)]
        under: Option<UnitId>,
        #[serde(default)]
        hierarchy: Hierarchy,
        #[serde(default)]
        only: Vec<String>,
        #[serde(default)]
        record: Option<bool>,
    },
    Reproduce {
        run: i64,
    },
    RunInfo {
        run: i64,
    },
    Assess {
        #[serde(default)]
        rules: Option<String>,
        #[serde(default)]
        preset: Option<String>,
        #[serde(default, deserialize_with = "crate::ingest::pairs_or_map")]
        overrides: Vec<(String, String)>,
        #[serde(default)]
        scheme: Option<String>,
        #[serde(default)]
        scheme_preset: Option<String>,
        period: String,
        #[serde(default)]
        under: Option<UnitId>,
    },
    EnterAssessment {
        #[serde(default)]
        scheme: Option<String>,
        #[serde(default)]
        scheme_preset: Option<String>,
        unit: UnitId,
        period: String,
        indicator: String,
        #[serde(default)]
        points: Option<f64>,
        #[serde(default)]
        veto: bool,
        reason: String,
    },
}

/// A rule set given as text (TOML or JSON) or as a preset's name with overrides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesArg {
    #[serde(default)]
    rules: Option<String>,
    #[serde(default)]
    preset: Option<String>,
    #[serde(default, deserialize_with = "crate::ingest::pairs_or_map")]
    overrides: Vec<(String, String)>,
}

impl RulesArg {
    fn load(&self) -> Result<RuleSet> {
        match (&self.rules, &self.preset) {
            (Some(text), None) if self.overrides.is_empty() => RuleSet::from_text(text),
            (None, Some(name)) => RuleSet::preset(name, &self.overrides),
            (None, None) => RuleSet::preset("suzhou", &self.overrides),
            _ => Err(Error::invalid(
                "rules",
                "give either rules (text) or preset (a name, with overrides)",
            )),
        }
    }
}

/// The scheme named by text or preset (default: the `model_community` preset).
fn scheme_of(text: &Option<String>, preset: &Option<String>) -> Result<Scheme> {
    match (text, preset) {
        (Some(t), None) => Scheme::from_text(t),
        (None, Some(p)) => Scheme::preset(p),
        (None, None) => Scheme::preset("model_community"),
        _ => Err(Error::invalid(
            "scheme",
            "give either scheme (text) or scheme_preset (a name)",
        )),
    }
}

fn yes() -> bool {
    true
}

/// What a request answers: a JSON value, or JSON text written directly (tables).
enum Answer {
    Value(Value),
    Text(String),
}

/// A write answering with a value and warnings.
type WriteOp<'a> = dyn Fn(&mut super::Batch<'_>) -> Result<(Value, Vec<Warning>)> + 'a;

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(format!("cannot encode result: {e}")))
}

/// The names of every request `execute_json` understands.
pub const OPERATIONS: &[&str] = &[
    "unit",
    "tree",
    "ancestors",
    "descendants",
    "find_by_code",
    "find_by_path",
    "successors",
    "predecessors",
    "post_holders",
    "vacant_posts",
    "person_history",
    "organisations",
    "history",
    "transaction_info",
    "audit_log",
    "add_unit",
    "add_body",
    "add_post",
    "add_person",
    "add_position",
    "add_membership",
    "add_organisation",
    "end",
    "set_parent",
    "reorganise",
    "import_units",
    "add_resident",
    "upsert_resident",
    "depart_resident",
    "move_resident",
    "change_ethnicity",
    "add_flag",
    "add_life_event",
    "declare_preference",
    "resident",
    "reveal_resident",
    "residents",
    "circumstances",
    "import_residents",
    "export_residents",
    "population",
    "population_trend",
    "summary",
    "import_aggregates",
    "export_cube",
    "protect_cube",
    "record_activity",
    "import_activities",
    "activity",
    "activities",
    "preset",
    "check_rules",
    "evaluate",
    "reproduce",
    "run_info",
    "assess",
    "enter_assessment",
];

/// The requests [`Registry::execute_csv`] answers (their result is a table).
pub const TABLE_OPERATIONS: &[&str] = &["population", "population_trend", "protect_cube"];

/// Reads `{"op", "args", "transaction"?}` into a request (only `allowed` ops).
fn parse_request(request: &str, allowed: &[&str]) -> Result<(Request, Option<TxId>)> {
    let raw: Value = serde_json::from_str(request).map_err(|e| Error::json("request", &e))?;
    match raw.get("op").and_then(Value::as_str) {
        Some(op) if allowed.contains(&op) => {}
        Some(op) => {
            return Err(Error::invalid(
                "request",
                format!("unknown op {op:?}; expected one of {}", allowed.join(", ")),
            ))
        }
        None => return Err(Error::invalid("request", "no \"op\" string")),
    }
    // {"op": X, "args": A} reads as the externally tagged {X: A}, so that an error
    // names its field's path (`tree.as_of`).
    let (op, args, pinned) = match raw {
        Value::Object(mut obj) => {
            let pinned = obj.remove("transaction");
            if let Some(k) = obj.keys().find(|k| *k != "op" && *k != "args") {
                return Err(Error::invalid(
                    "request",
                    format!("unknown key {k:?}; a request has op, args and transaction"),
                ));
            }
            (
                obj.remove("op").unwrap_or(Value::Null),
                obj.remove("args").unwrap_or(Value::Null),
                pinned,
            )
        }
        _ => (Value::Null, Value::Null, None),
    };
    let pinned = match pinned {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| Error::invalid("request transaction", "not a transaction number"))?,
        ),
    };
    let args = if args.is_null() { json!({}) } else { args };
    let mut tagged = serde_json::Map::new();
    tagged.insert(op.as_str().unwrap_or_default().to_owned(), args);
    let req: Request = crate::error::from_json_value("request", Value::Object(tagged))?;
    Ok((req, pinned))
}

/// The table a table request answers.
fn table_of(v: &super::View, req: Request) -> Result<Table> {
    match req {
        Request::Population(q) => v.population(&q),
        Request::PopulationTrend(t) => v.population_trend(&t),
        Request::ProtectCube {
            path,
            k,
            publish_zeros,
        } => crate::stats::protect_cube(&path, k, publish_zeros),
        _ => Err(Error::invalid(
            "request",
            "this request does not answer a table",
        )),
    }
}

impl Registry {
    /// Answers one JSON request (see the module docs and the README for the protocol).
    pub fn execute_json(&self, request: &str) -> Result<String> {
        let (req, pinned) = parse_request(request, OPERATIONS)?;
        let (tx, result, warnings) = self.execute(req, pinned)?;
        let result = match result {
            Answer::Value(v) => v.to_string(),
            Answer::Text(json) => json,
        };
        let warnings = serde_json::to_string(&warnings)
            .map_err(|e| Error::Internal(format!("cannot encode warnings: {e}")))?;
        Ok(format!(
            "{{\"format\":{FORMAT_VERSION},\"transaction\":{tx},\"result\":{result},\"warnings\":{warnings}}}"
        ))
    }

    /// The view a request reads: the newest, or the one pinned to a transaction.
    fn view_for(&self, pinned: Option<TxId>) -> Result<super::View> {
        match pinned {
            Some(tx) => self.view_at(tx),
            None => self.view(),
        }
    }

    /// Answers a request whose result is a table (`population`, `population_trend`,
    /// `protect_cube`) with the table as CSV text instead of JSON.
    pub fn execute_csv(&self, request: &str) -> Result<String> {
        let (req, pinned) = parse_request(request, TABLE_OPERATIONS)?;
        let view = self.view_for(pinned)?;
        Ok(crate::stats::render::to_csv(&table_of(&view, req)?))
    }

    /// The transaction an import's answer reflects: the one it recorded, or (nothing
    /// recorded) the newest.
    fn answer_tx(&self, recorded: Option<TxId>) -> Result<TxId> {
        match recorded {
            Some(t) => Ok(t),
            None => Ok(self.view()?.transaction()),
        }
    }

    /// Runs a request; `pinned` answers a read as recorded by that transaction.
    fn execute(&self, req: Request, pinned: Option<TxId>) -> Result<(TxId, Answer, Vec<Warning>)> {
        use Request as R;
        let read =
            |f: &dyn Fn(&super::View) -> Result<Value>| -> Result<(TxId, Value, Vec<Warning>)> {
                let v = self.view_for(pinned)?;
                Ok((v.transaction(), f(&v)?, Vec::new()))
            };
        let refuse_pinned = || match pinned {
            Some(tx) => Err(Error::invalid(
                "request",
                format!("a write cannot be pinned to the past transaction {tx}"),
            )),
            None => Ok(()),
        };
        // An import answers with its report, its warnings and the transaction it recorded.
        let imported = |tx: Option<TxId>, report: Value, warnings: &[Warning]| {
            Ok((self.answer_tx(tx)?, report, warnings.to_vec()))
        };
        let write = |f: &WriteOp<'_>| {
            refuse_pinned()?;
            self.write(|b| {
                let (v, w) = f(b)?;
                Ok((b.transaction(), v, w))
            })
        };
        let answered = match req {
            R::Unit {
                unit,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.unit(unit, as_of, &hierarchy)?)),
            R::Tree {
                root,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.tree(root, as_of, &hierarchy)?)),
            R::Ancestors {
                unit,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.ancestors(unit, as_of, &hierarchy)?)),
            R::Descendants {
                unit,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.descendants(unit, as_of, &hierarchy)?)),
            R::FindByCode { code, as_of } => read(&|v| to_value(&v.find_by_code(&code, as_of)?)),
            R::FindByPath {
                path,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.find_by_path(&path, as_of, &hierarchy)?)),
            R::Successors { unit, as_of } => read(&|v| to_value(&v.successors(unit, as_of)?)),
            R::Predecessors { unit } => read(&|v| to_value(&v.predecessors(unit)?)),
            R::PostHolders { unit, as_of } => read(&|v| to_value(&v.post_holders(unit, as_of)?)),
            R::VacantPosts {
                under,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.vacant_posts(under, as_of, &hierarchy)?)),
            R::Organisations {
                under,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.organisations(under, as_of, &hierarchy)?)),
            R::PersonHistory { person } => read(&|v| to_value(&v.person_history(person)?)),
            R::History { id } => read(&|v| to_value(&v.history(id)?)),
            R::TransactionInfo { transaction } => {
                read(&|v| to_value(&v.transaction_info(transaction)?))
            }
            R::AuditLog {} => read(&|v| {
                let (entries, broken) = v.audit_log()?;
                Ok(json!({ "entries": to_value(&entries)?, "broken_at": broken }))
            }),
            R::AddUnit(u) => write(&|b| Ok((json!(b.add_unit(u.clone())?), vec![]))),
            R::AddBody(x) => write(&|b| Ok((json!(b.add_body(x.clone())?), vec![]))),
            R::AddPost(x) => write(&|b| Ok((json!(b.add_post(x.clone())?), vec![]))),
            R::AddPerson(x) => write(&|b| Ok((json!(b.add_person(x.clone())?), vec![]))),
            R::AddPosition(x) => write(&|b| Ok((json!(b.add_position(x.clone())?), vec![]))),
            R::AddMembership(x) => write(&|b| Ok((json!(b.add_membership(x.clone())?), vec![]))),
            R::AddOrganisation(x) => write(&|b| {
                let (id, w) = b.add_organisation(x.clone())?;
                Ok((json!(id), w))
            }),
            R::End { id, date } => write(&|b| {
                b.end(id, date)?;
                Ok((Value::Null, vec![]))
            }),
            R::SetParent {
                unit,
                hierarchy,
                parent,
                from,
            } => write(&|b| Ok((json!(b.set_parent(unit, hierarchy, parent, from)?), vec![]))),
            R::Reorganise(r) => write(&|b| Ok((to_value(&b.reorganise(r.clone())?)?, vec![]))),
            R::AddResident(r) => write(&|b| {
                let (id, w) = b.add_resident(r.clone())?;
                Ok((json!(id), w))
            }),
            R::UpsertResident(r) => write(&|b| {
                let (id, what, w) = b.upsert_resident(r.clone())?;
                Ok((json!({ "id": id, "outcome": what }), w))
            }),
            R::DepartResident { resident, date } => write(&|b| {
                b.depart_resident(resident, date)?;
                Ok((Value::Null, vec![]))
            }),
            R::MoveResident {
                resident,
                community,
                date,
            } => write(&|b| {
                b.move_resident(resident, community, date)?;
                Ok((Value::Null, vec![]))
            }),
            R::ChangeEthnicity(c) => write(&|b| Ok((Value::Null, b.change_ethnicity(c.clone())?))),
            R::AddFlag(f) => write(&|b| Ok((json!(b.add_flag(f.clone())?), vec![]))),
            R::AddLifeEvent(e) => write(&|b| Ok((json!(b.add_life_event(e.clone())?), vec![]))),
            R::DeclarePreference(p) => {
                write(&|b| Ok((json!(b.declare_preference(p.clone())?), vec![])))
            }
            R::Resident { resident, as_of } => read(&|v| to_value(&v.resident(resident, as_of)?)),
            R::RevealResident { resident, as_of } => {
                read(&|v| to_value(&v.reveal_resident(resident, as_of)?))
            }
            R::Residents {
                under,
                as_of,
                hierarchy,
            } => read(&|v| to_value(&v.residents(under, as_of, &hierarchy)?)),
            R::Circumstances { resident } => read(&|v| to_value(&v.circumstances(resident)?)),
            R::ImportResidents(opts) => {
                refuse_pinned()?;
                let report = self.import_residents(&opts, None)?;
                Ok((
                    self.answer_tx(report.transaction)?,
                    to_value(&report)?,
                    Vec::new(),
                ))
            }
            R::ExportResidents {
                under,
                as_of,
                path,
                format,
            } => read(&|v| to_value(&v.export_residents(under, as_of, &path, format)?)),
            R::Population(_) | R::PopulationTrend(_) | R::ProtectCube { .. } => {
                // Tables are written straight from their columns (they can be large).
                let v = self.view_for(pinned)?;
                let t = table_of(&v, req)?;
                return Ok((
                    v.transaction(),
                    Answer::Text(crate::stats::render::to_json_text(&t)),
                    Vec::new(),
                ));
            }
            R::Summary {
                unit,
                as_of,
                hierarchy,
                denominators,
                k,
            } => read(&|v| {
                let mut q = PopulationQuery::new(as_of.unwrap_or_else(|| self.today()));
                q.hierarchy = hierarchy;
                q.denominators = denominators.clone();
                q.k = k;
                to_value(&v.summary(unit, &q)?)
            }),
            R::ImportAggregates(opts) => {
                refuse_pinned()?;
                let r = self.import_aggregates(&opts)?;
                imported(r.transaction, to_value(&r)?, &r.warnings)
            }
            R::ExportCube(c) => read(&|v| to_value(&v.export_cube(&c.query, &c.path)?)),
            R::RecordActivity(a) => write(&|b| {
                let (id, outcome) = b.record_activity(a.clone())?;
                Ok((json!({ "id": id, "outcome": outcome }), vec![]))
            }),
            R::ImportActivities(opts) => {
                refuse_pinned()?;
                let r = self.import_activities(&opts)?;
                imported(r.transaction, to_value(&r)?, &r.warnings)
            }
            R::Activity { id } => read(&|v| to_value(&v.activity(id)?)),
            R::Activities { under, from, to } => {
                read(&|v| to_value(&v.activities(under, from, to)?))
            }
            R::Preset { name } => read(&|_| Ok(json!(crate::rules::preset_text(&name)?))),
            R::CheckRules(arg) => read(&|_| Ok(arg.load()?.summary())),
            R::Evaluate {
                rules,
                preset,
                overrides,
                period,
                under,
                hierarchy,
                only,
                record,
            } => {
                let set = RulesArg {
                    rules,
                    preset,
                    overrides,
                }
                .load()?;
                let req = EvaluationRequest {
                    period: Range::parse(&period)?,
                    under,
                    hierarchy,
                    rules: only,
                };
                let ev = self.evaluate_as(&set, &req, record, pinned)?;
                Ok((ev.transaction, to_value(&ev)?, Vec::new()))
            }
            R::Reproduce { run } => {
                let ev = self.reproduce(run)?;
                Ok((ev.transaction, to_value(&ev)?, Vec::new()))
            }
            R::RunInfo { run } => read(&|_| to_value(&self.run_info(run)?)),
            R::Assess {
                rules,
                preset,
                overrides,
                scheme,
                scheme_preset,
                period,
                under,
            } => {
                let set = RulesArg {
                    rules,
                    preset,
                    overrides,
                }
                .load()?;
                let scheme = scheme_of(&scheme, &scheme_preset)?;
                let period = Range::parse(&period)?;
                read(&|v| to_value(&v.assess(&scheme, &set, period, under)?))
            }
            R::EnterAssessment {
                scheme,
                scheme_preset,
                unit,
                period,
                indicator,
                points,
                veto,
                reason,
            } => {
                let scheme = scheme_of(&scheme, &scheme_preset)?;
                let entry = ManualEntry {
                    unit,
                    period: Range::parse(&period)?,
                    indicator,
                    points,
                    veto,
                    reason,
                };
                write(&|b| Ok((json!(b.enter_assessment(&scheme, entry.clone())?), vec![])))
            }
            R::ImportUnits(opts) => {
                refuse_pinned()?;
                let r = self.import_units(&opts)?;
                imported(r.transaction, to_value(&r)?, &r.warnings)
            }
        };
        answered.map(|(tx, v, w)| (tx, Answer::Value(v), w))
    }
}
