//! Recording activities inside a write batch.

use super::model::{NewActivity, RecordOutcome};
use super::{store, ActivityId, ActivityView};
use crate::error::{Error, Result};
use crate::network::Fact;
use crate::registry::{Batch, View};

impl Batch<'_> {
    /// Checks an activity against the record: its unit exists on the day and lies in
    /// the principal's scope, its body, participants, subjects and answered event exist.
    fn check_activity(&self, a: &NewActivity) -> Result<()> {
        self.require_writable(a.unit)?;
        let net = self.network();
        if !net.unit_exists(a.unit, a.date) {
            return Err(Error::not_found(format!("unit {} on {}", a.unit, a.date)));
        }
        if a.date > self.today() {
            return Err(Error::invalid("activity date", "it is in the future"));
        }
        if a.kind.label().trim().is_empty() {
            return Err(Error::invalid("activity kind", "it is empty"));
        }
        if let Some(b) = a.body {
            match net.fact(b) {
                Some(Fact::Body { valid, .. }) if valid.contains(a.date) => {}
                Some(Fact::Body { .. }) => {
                    return Err(Error::not_found(format!("body {b} on {}", a.date)))
                }
                _ => return Err(Error::not_found(format!("body {b}"))),
            }
        }
        for p in &a.participants {
            if !matches!(net.fact(*p), Some(Fact::Person { .. })) {
                return Err(Error::not_found(format!("person {p}")));
            }
        }
        for r in &a.subjects {
            if crate::register::residences(self.conn, *r, self.tx)?.is_empty() {
                return Err(Error::not_found(format!("resident {r}")));
            }
        }
        if let Some(e) = a.answers {
            let owner: Option<i64> = rusqlite::OptionalExtension::optional(
                self.conn
                    .prepare_cached(
                        "SELECT resident FROM life_event WHERE id = ?1 AND sys_to IS NULL",
                    )?
                    .query_row([e], |r| r.get(0)),
            )?;
            match owner {
                None => return Err(Error::not_found(format!("life event {e}"))),
                Some(o) if !a.subjects.contains(&o) => {
                    return Err(Error::invalid(
                        "activity answers",
                        format!("life event {e} is not about one of the activity's subjects"),
                    ))
                }
                Some(_) => {}
            }
        }
        if a.amount.is_some_and(|x| !x.is_finite() || x < 0.0) {
            return Err(Error::invalid(
                "activity amount",
                "not a non-negative number",
            ));
        }
        for e in &a.evidence {
            if e.document.trim().is_empty() {
                return Err(Error::invalid(
                    "activity evidence",
                    "a document has no name",
                ));
            }
            if let Some(h) = &e.sha256 {
                if h.len() != 64 || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return Err(Error::invalid(
                        "activity evidence",
                        format!("the SHA-256 of {:?} is not 64 hex digits", e.document),
                    ));
                }
            }
        }
        Ok(())
    }

    /// 记录工作 — records an activity. With a reference (编号) already recorded in the
    /// same unit, the activity gets a new version (or stays as it is when nothing
    /// changed); without one, recording exactly the same activity again changes nothing.
    pub fn record_activity(&mut self, a: NewActivity) -> Result<(ActivityId, RecordOutcome)> {
        let mut a = a;
        a.participants.sort_unstable();
        a.participants.dedup();
        a.subjects.sort_unstable();
        a.subjects.dedup();
        a.subtype = a
            .subtype
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        self.check_activity(&a)?;
        let key = store::key_of(&a)?;
        let outcome = match store::by_key(self.conn, &key)? {
            Some((id, old)) if old == a => return Ok((id, RecordOutcome::Unchanged)),
            Some((id, _)) => {
                crate::register::supersede(self.conn, "activity", id, self.tx)?;
                store::insert(self.conn, self.tx, id, &a, &key)?;
                (id, RecordOutcome::Updated)
            }
            None => {
                let id = crate::register::allocate_ids(self.conn, 1)?;
                store::insert(self.conn, self.tx, id, &a, &key)?;
                (id, RecordOutcome::Inserted)
            }
        };
        self.touched.push(outcome.0);
        Ok(outcome)
    }
}

impl View {
    /// One activity as recorded by this view's transaction. Its note is shown only to
    /// principals who may see personal data.
    pub fn activity(&self, id: ActivityId) -> Result<ActivityView> {
        let tx = self.transaction();
        let (a, recorded) = self
            .registry()
            .with_reader(|c| store::by_id(c, id, tx))?
            .ok_or_else(|| Error::not_found(format!("activity {id}")))?;
        self.require_scope(a.unit)?;
        let name = self.network().name_at(a.unit, a.date).map(str::to_owned);
        let shows = self.registry().principal().role.sees_personal_data();
        Ok(store::view_of(id, a, recorded, name, shows))
    }

    /// Activities from `from` to `to` (both included) in the subtree of `under` (the
    /// principal's scope, or everything, when `None`), in day order.
    pub fn activities(
        &self,
        under: Option<crate::network::UnitId>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<ActivityView>> {
        let tx = self.transaction();
        let rows = self
            .registry()
            .with_reader(|c| store::list(c, tx, (from, to)))?;
        let net = self.network();
        let shows = self.registry().principal().role.sees_personal_data();
        if let Some(u) = under {
            self.require_scope(u)?;
        }
        let mut out = Vec::new();
        for (id, a, recorded) in rows {
            let inside = match under {
                Some(u) => crate::rules::is_under(net, a.unit, u, a.date),
                None => self.scope().covers(a.unit),
            };
            if inside {
                let name = net.name_at(a.unit, a.date).map(str::to_owned);
                out.push(store::view_of(id, a, recorded, name, shows));
            }
        }
        Ok(out)
    }
}
