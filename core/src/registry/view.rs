//! Read views: as-of queries with the principal's scope and masking applied.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Registry, Snapshot};
use crate::access::{mask_name, read_audit, AuditEntry, Role};
use crate::error::{Error, Result};
use crate::network::{
    Fact, FactId, Hierarchy, Lineage, MembershipView, Network, PersonId, PersonRef, PositionView,
    PostHolding, TreeNode, TxId, UnitId, UnitView,
};
use crate::store::{self, FactVersion, TransactionInfo};

/// A consistent read of the registry as recorded by one transaction, seen by one principal.
/// Every query checks scope: asking about a unit outside it fails with `AccessDenied`.
pub struct View {
    reg: Registry,
    snap: Arc<Snapshot>,
}

/// An organisation in the jurisdiction (辖区单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationView {
    /// Its id.
    pub id: FactId,
    /// Name.
    pub name: String,
    /// Unified social credit code, if any.
    pub credit_code: Option<String>,
    /// The unit it is located in.
    pub unit: UnitId,
    /// Free-text kind.
    pub kind: Option<String>,
    /// When it was there.
    pub valid: crate::time::Interval,
}

/// A person's posts and positions over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonHistory {
    /// The person (masked for viewers).
    pub person: PersonRef,
    /// Posts held, oldest first (only those in scope).
    pub memberships: Vec<MembershipView>,
    /// Positions held, oldest first (only those in scope).
    pub positions: Vec<PositionView>,
}

impl View {
    pub(crate) fn new(reg: Registry, snap: Arc<Snapshot>) -> View {
        View { reg, snap }
    }

    /// The registry this view reads.
    pub(crate) fn registry(&self) -> &Registry {
        &self.reg
    }

    /// The principal's scope over this view's network.
    pub(crate) fn scope(&self) -> &crate::access::Scope {
        &self.snap.scope
    }

    /// The recorded transaction this view reflects.
    pub fn transaction(&self) -> TxId {
        self.snap.network.transaction()
    }

    /// The network (unfiltered; for engines inside the crate and tests).
    pub fn network(&self) -> &Network {
        &self.snap.network
    }

    pub(crate) fn require_scope(&self, unit: UnitId) -> Result<()> {
        if !matches!(self.snap.network.fact(unit), Some(Fact::Unit { .. })) {
            return Err(Error::not_found(format!("unit {unit}")));
        }
        if self.snap.scope.covers(unit) {
            Ok(())
        } else {
            Err(self
                .reg
                .principal()
                .denied(format!("unit {unit} is outside the scope")))
        }
    }

    /// One unit as it was on `as_of`.
    pub fn unit(&self, unit: UnitId, as_of: NaiveDate, hierarchy: &Hierarchy) -> Result<UnitView> {
        self.require_scope(unit)?;
        self.snap.network.unit_view(unit, as_of, hierarchy)
    }

    /// The tree under `root` on `as_of` in pre-order; without a root, every tree the
    /// principal's scope covers on that date (for a 姑苏区 principal in 2003: 沧浪区,
    /// 平江区 and 金阊区).
    pub fn tree(
        &self,
        root: Option<UnitId>,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<TreeNode>> {
        let roots = self.tree_roots(root, as_of, hierarchy)?;
        self.snap.network.tree(&roots, as_of, hierarchy)
    }

    /// The roots [`View::tree`] lists: `root`, or every tree the scope covers.
    pub(crate) fn tree_roots(
        &self,
        root: Option<UnitId>,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<UnitId>> {
        let net = &self.snap.network;
        Ok(match root {
            Some(r) => {
                self.require_scope(r)?;
                net.require_unit(r, as_of)?;
                vec![r]
            }
            None if self.snap.scope.is_everything() => net.roots_at(hierarchy, as_of),
            None => {
                let mut roots: Vec<UnitId> = net
                    .unit_ids()
                    .filter(|u| {
                        self.snap.scope.covers(*u)
                            && net.unit_exists(*u, as_of)
                            && net
                                .parent_at(*u, hierarchy, as_of)
                                .is_none_or(|p| !self.snap.scope.covers(p))
                    })
                    .collect();
                roots.sort_by_cached_key(|u| net.sort_key(*u, as_of));
                roots
            }
        })
    }

    /// Ancestors of `unit` on `as_of`, root first.
    pub fn ancestors(
        &self,
        unit: UnitId,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<UnitView>> {
        self.require_scope(unit)?;
        let net = &self.snap.network;
        net.ancestors(unit, as_of, hierarchy)?
            .into_iter()
            .map(|u| net.unit_view(u, as_of, hierarchy))
            .collect()
    }

    /// Every unit below `unit` on `as_of`, in pre-order.
    pub fn descendants(
        &self,
        unit: UnitId,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<UnitView>> {
        let mut t = self.tree(Some(unit), as_of, hierarchy)?;
        t.remove(0);
        Ok(t.into_iter().map(|n| n.unit).collect())
    }

    /// The unit with `code` on `as_of`.
    pub fn find_by_code(&self, code: &str, as_of: NaiveDate) -> Result<UnitView> {
        let u = self.snap.network.find_by_code(code, as_of)?;
        self.unit(u, as_of, &Hierarchy::Legal)
    }

    /// The unit at a name path (`姑苏区/双塔街道`) on `as_of`; historical names resolve
    /// for historical dates.
    pub fn find_by_path(
        &self,
        path: &str,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<UnitView> {
        let u = self.snap.network.find_by_path(path, as_of, hierarchy)?;
        self.unit(u, as_of, hierarchy)
    }

    /// The units that carry on `unit` on `as_of` (itself while it exists).
    pub fn successors(&self, unit: UnitId, as_of: NaiveDate) -> Result<Vec<UnitView>> {
        self.require_scope(unit)?;
        let net = &self.snap.network;
        net.successors(unit, as_of)?
            .into_iter()
            .map(|u| net.unit_view(u, as_of, &Hierarchy::Legal))
            .collect()
    }

    /// Every lineage step leading into `unit`, newest first.
    pub fn predecessors(&self, unit: UnitId) -> Result<Vec<Lineage>> {
        self.require_scope(unit)?;
        self.snap.network.predecessors(unit)
    }

    fn person_ref(&self, id: PersonId, name: &str) -> PersonRef {
        let visible = self.reg.principal().role.sees_personal_data();
        PersonRef {
            id,
            name: if visible {
                name.to_owned()
            } else {
                mask_name(name)
            },
            masked: !visible,
        }
    }

    fn audit_reveal(&self, what: &str, shown: usize) -> Result<()> {
        if shown > 0 && self.reg.principal().role.sees_personal_data() {
            self.reg.audit_read("read_personal", what)?;
        }
        Ok(())
    }

    /// The posts of `unit` (and of its bodies) on `as_of` with their holders.
    pub fn post_holders(&self, unit: UnitId, as_of: NaiveDate) -> Result<Vec<PostHolding>> {
        self.reg.principal().require_people()?;
        self.require_scope(unit)?;
        self.snap.network.require_unit(unit, as_of)?;
        let out = self
            .snap
            .network
            .post_holdings(unit, as_of, &|p, n| self.person_ref(p, n));
        let shown = out.iter().filter(|h| h.holder.is_some()).count();
        self.audit_reveal(&format!("post_holders unit {unit} on {as_of}"), shown)?;
        Ok(out)
    }

    /// Posts in `under`'s subtree that nobody holds on `as_of`.
    pub fn vacant_posts(
        &self,
        under: UnitId,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<PostHolding>> {
        let net = &self.snap.network;
        let mut out = Vec::new();
        for node in self.tree(Some(under), as_of, hierarchy)? {
            out.extend(
                net.post_holdings(node.unit.id, as_of, &|p, n| self.person_ref(p, n))
                    .into_iter()
                    .filter(|h| h.holder.is_none()),
            );
        }
        Ok(out)
    }

    /// Organisations in the jurisdiction (辖区单位) located in `under`'s subtree on `as_of`.
    pub fn organisations(
        &self,
        under: UnitId,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<OrganisationView>> {
        let net = &self.snap.network;
        let mut out = Vec::new();
        for node in self.tree(Some(under), as_of, hierarchy)? {
            for (id, f) in net.attached_to(node.unit.id) {
                if let Fact::Organisation {
                    name,
                    credit_code,
                    unit,
                    kind,
                    valid,
                } = f
                {
                    if *unit == node.unit.id && valid.contains(as_of) {
                        out.push(OrganisationView {
                            id,
                            name: name.clone(),
                            credit_code: credit_code.clone(),
                            unit: *unit,
                            kind: kind.clone(),
                            valid: *valid,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// A person's posts and positions over time (those in scope).
    pub fn person_history(&self, person: PersonId) -> Result<PersonHistory> {
        self.reg.principal().require_people()?;
        let net = &self.snap.network;
        let name = match net.fact(person) {
            Some(Fact::Person { name, .. }) => name.clone(),
            _ => return Err(Error::not_found(format!("person {person}"))),
        };
        let scope = &self.snap.scope;
        let memberships: Vec<MembershipView> = net
            .person_memberships(person)?
            .into_iter()
            .filter(|m| scope.covers(m.unit))
            .collect();
        let positions: Vec<PositionView> = net
            .person_positions(person)
            .into_iter()
            .filter(|p| scope.covers(p.unit))
            .collect();
        if !scope.is_everything() && memberships.is_empty() && positions.is_empty() {
            return Err(self
                .reg
                .principal()
                .denied(format!("person {person} holds nothing in the scope")));
        }
        self.audit_reveal(&format!("person {person}"), 1)?;
        Ok(PersonHistory {
            person: self.person_ref(person, &name),
            memberships,
            positions,
        })
    }

    /// The unit a fact belongs to, for scope checks.
    fn owning_units(&self, fact: &Fact) -> Vec<UnitId> {
        let net = &self.snap.network;
        match fact {
            Fact::UnitName { unit, .. }
            | Fact::UnitCode { unit, .. }
            | Fact::UnitParent { unit, .. }
            | Fact::Body { unit, .. }
            | Fact::Post { unit, .. }
            | Fact::Position { unit, .. }
            | Fact::Organisation { unit, .. } => vec![*unit],
            Fact::Membership { post, .. } => match net.fact(*post) {
                Some(Fact::Post { unit, .. }) => vec![*unit],
                _ => vec![],
            },
            Fact::Reorganisation {
                predecessors,
                successors,
                ..
            } => predecessors.iter().chain(successors).copied().collect(),
            Fact::Unit { .. } | Fact::Person { .. } => vec![],
        }
    }

    /// Every recorded version of a record (unit, name, link, post, membership …), oldest
    /// first, with the transactions that recorded and superseded it. People's names
    /// and phones are masked unless the principal may see them.
    pub fn history(&self, id: FactId) -> Result<Vec<FactVersion>> {
        let versions = self.reg.with_reader(|c| store::fact_history(c, id))?;
        let p = self.reg.principal();
        let mut personal = false;
        let mut out = Vec::new();
        for (mut v, fact) in versions {
            match &fact {
                Fact::Unit { .. } => self.require_scope(id)?,
                Fact::Person { name, phone } => {
                    p.require_people()?;
                    if !self.snap.scope.is_everything() {
                        // Visible only through something the person holds in scope.
                        self.person_history(id)?;
                    }
                    personal = true;
                    if !p.role.sees_personal_data() {
                        v.fact["name"] = mask_name(name).into();
                        if let Some(ph) = phone {
                            v.fact["phone"] = crate::access::mask_phone(ph).into();
                        }
                    }
                }
                other => {
                    if matches!(other, Fact::Membership { .. } | Fact::Position { .. }) {
                        // They name a person: not for the analyst role.
                        p.require_people()?;
                    }
                    let units = self.owning_units(other);
                    if !self.snap.scope.is_everything()
                        && !units.iter().any(|u| self.snap.scope.covers(*u))
                    {
                        return Err(p.denied(format!("record {id} is outside the scope")));
                    }
                }
            }
            out.push(v);
        }
        if personal {
            self.audit_reveal(&format!("history of person {id}"), 1)?;
        }
        Ok(out)
    }

    /// The header of a recorded transaction (who, when, why). Administrators and
    /// operators only: it names the staff who wrote.
    pub fn transaction_info(&self, tx: TxId) -> Result<TransactionInfo> {
        let p = self.reg.principal();
        if !p.role.may_write() {
            return Err(p.denied("only administrators and operators read transaction headers"));
        }
        self.reg.with_reader(|c| store::transaction_info(c, tx))
    }

    /// The audit log with its verification: the id of the first entry whose hash chain
    /// is broken, if any. Administrators only.
    pub fn audit_log(&self) -> Result<(Vec<AuditEntry>, Option<i64>)> {
        let p = self.reg.principal();
        if p.role != Role::Administrator {
            return Err(p.denied("only administrators read the audit log"));
        }
        self.reg.with_reader(read_audit)
    }
}
