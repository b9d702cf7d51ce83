//! Evaluation runs: stored with the rule set (its canonical text and hash), the request,
//! "today" and the transaction evaluated, so that a run can be reproduced exactly.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::evaluate::{Evaluation, EvaluationRequest};
use super::spec::RuleSet;
use crate::error::{Error, Result};
use crate::network::TxId;
use crate::registry::Registry;

/// What a run stores besides the rules.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    request: EvaluationRequest,
    today: NaiveDate,
}

/// A stored evaluation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    /// The run's id.
    pub id: i64,
    /// The transaction that recorded it.
    pub recorded_in: TxId,
    /// The transaction it evaluated.
    pub transaction: TxId,
    /// The rule set's id, version and hash.
    pub rule_set: String,
    /// Version.
    pub version: String,
    /// Hash.
    pub hash: String,
    /// Findings it produced.
    pub findings: usize,
    /// Their digest.
    pub digest: String,
}

impl Registry {
    /// 制度检查 — evaluates `rules` on the latest record (see [`crate::View::evaluate`]).
    /// With `record`, the run is stored (rule set, request, today, the transaction seen,
    /// the findings' digest) in a new transaction and its id returned in
    /// [`Evaluation::run`]; only principals who may write can record.
    pub fn evaluate(
        &self,
        rules: &RuleSet,
        req: &EvaluationRequest,
        record: bool,
    ) -> Result<Evaluation> {
        let view = self.view()?;
        let mut ev = view.evaluate(rules, req)?;
        if record {
            ev.run = Some(self.record_run(rules, req, &ev)?);
        }
        Ok(ev)
    }

    /// Evaluates as the `evaluate` operation does: with `pinned`, as recorded by that
    /// transaction (never recorded: `record: Some(true)` is refused); otherwise on the
    /// latest record, recorded when `record` says so — by default when the principal may
    /// write (a principal who may not is refused `Some(true)`).
    pub fn evaluate_as(
        &self,
        rules: &RuleSet,
        req: &EvaluationRequest,
        record: Option<bool>,
        pinned: Option<TxId>,
    ) -> Result<Evaluation> {
        let may_write = self.principal().role.may_write();
        match (pinned, record) {
            (Some(_), Some(true)) => Err(Error::invalid(
                "record",
                "an evaluation pinned to a past transaction cannot be recorded",
            )),
            (Some(tx), _) => self.view_at(tx)?.evaluate(rules, req),
            (None, Some(true)) if !may_write => Err(self
                .principal()
                .denied("only writers may record evaluation runs")),
            (None, record) => self.evaluate(rules, req, record.unwrap_or(may_write)),
        }
    }

    fn record_run(&self, rules: &RuleSet, req: &EvaluationRequest, ev: &Evaluation) -> Result<i64> {
        let stored = serde_json::to_string(&Stored {
            request: req.clone(),
            today: ev.today,
        })
        .map_err(|e| Error::Internal(format!("cannot encode the run: {e}")))?;
        let seen = ev.transaction;
        let (id, tx) = self.write_batch(Some("evaluation"), |b| {
            let id = crate::register::allocate_ids(b.conn, 1)?;
            b.conn.execute(
                "INSERT INTO evaluation(id, tx, seen, rule_set, version, hash, rules, request,
                                        findings, digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    b.tx,
                    seen,
                    rules.id,
                    rules.version,
                    ev.hash,
                    rules.canonical_json(),
                    stored,
                    ev.findings.len() as i64,
                    ev.digest
                ],
            )?;
            b.touched.push(id);
            Ok((id, b.tx))
        })?;
        // Recording a run changes nothing the rules read: the cached data stays good.
        if tx == seen + 1 {
            self.carry_rules_cache(seen, tx);
        }
        Ok(id)
    }

    /// The stored run `id`.
    pub fn run_info(&self, id: i64) -> Result<RunInfo> {
        self.with_reader(|c| {
            c.query_row(
                "SELECT id, tx, seen, rule_set, version, hash, findings, digest FROM evaluation
                 WHERE id = ?1",
                [id],
                |r| {
                    Ok(RunInfo {
                        id: r.get(0)?,
                        recorded_in: r.get(1)?,
                        transaction: r.get(2)?,
                        rule_set: r.get(3)?,
                        version: r.get(4)?,
                        hash: r.get(5)?,
                        findings: r.get::<_, i64>(6)? as usize,
                        digest: r.get(7)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::not_found(format!("evaluation run {id}")))
        })
    }

    /// Re-runs the stored evaluation `id` at the transaction it saw, with its rules and
    /// its "today"; the findings are the same as then (compare [`Evaluation::digest`]
    /// with [`RunInfo::digest`]).
    pub fn reproduce(&self, id: i64) -> Result<Evaluation> {
        let (rules, stored, seen): (String, String, TxId) = self.with_reader(|c| {
            c.query_row(
                "SELECT rules, request, seen FROM evaluation WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::not_found(format!("evaluation run {id}")))
        })?;
        let rules = RuleSet::from_text(&rules)?;
        let stored: Stored = crate::error::from_json("stored evaluation", &stored)?;
        let view = self.view_at(seen)?;
        let mut ev = view.evaluate_on(&rules, &stored.request, stored.today)?;
        ev.run = Some(id);
        Ok(ev)
    }
}
