//! A write batch: one numbered transaction, validated against the network as it stands.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::access::{Principal, Scope};
use crate::error::{Error, Result};
use crate::network::{Fact, FactId, Network, TxId, UnitId};
use crate::store;

/// Writes inside one transaction. Obtained from [`crate::Registry::write`]; everything
/// it records commits together or not at all.
pub struct Batch<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) tx: TxId,
    pub(crate) net: Network,
    pub(crate) scope: Scope,
    pub(crate) principal: &'a Principal,
    pub(crate) today: NaiveDate,
    pub(crate) touched: Vec<FactId>,
}

impl Batch<'_> {
    /// The transaction number this batch records under.
    pub fn transaction(&self) -> TxId {
        self.tx
    }

    /// The network including this batch's writes so far.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The principal acting.
    pub fn principal(&self) -> &Principal {
        self.principal
    }

    /// The registry's "today".
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// Records a new fact.
    pub(crate) fn insert(&mut self, fact: Fact) -> Result<FactId> {
        let id = store::insert_fact(self.conn, self.tx, &fact)?;
        self.net.apply(id, fact);
        self.touched.push(id);
        Ok(id)
    }

    /// Records a new version of a fact.
    pub(crate) fn replace(&mut self, id: FactId, fact: Fact) -> Result<()> {
        store::replace_fact(self.conn, self.tx, id, &fact)?;
        self.net.retract(id);
        self.net.apply(id, fact);
        self.touched.push(id);
        Ok(())
    }

    /// Fails unless the principal may write to `unit`.
    pub(crate) fn require_writable(&self, unit: UnitId) -> Result<()> {
        self.checks().require_writable(unit)
    }

    /// What validation needs of the batch, shareable with another thread.
    pub(crate) fn checks(&self) -> Checks<'_> {
        Checks {
            net: &self.net,
            scope: &self.scope,
            principal: self.principal,
            today: self.today,
        }
    }

    /// Fails unless the principal's scope is the whole registry.
    pub(crate) fn require_unscoped(&self, action: &str) -> Result<()> {
        self.principal.require_write()?;
        if self.scope.is_everything() {
            Ok(())
        } else {
            Err(self
                .principal
                .denied(format!("only an unscoped administrator may {action}")))
        }
    }

    /// Adds a unit created in this batch to the scope.
    pub(crate) fn grant(&mut self, unit: UnitId) {
        self.scope.grant(unit);
    }
}

/// The read-only part of a batch that validation needs: the network, the principal and
/// its scope, "today". `Sync`, so that an import can validate rows on one thread while
/// the calling thread writes.
#[derive(Clone, Copy)]
pub(crate) struct Checks<'a> {
    pub(crate) net: &'a Network,
    pub(crate) scope: &'a Scope,
    pub(crate) principal: &'a Principal,
    pub(crate) today: NaiveDate,
}

impl Checks<'_> {
    /// The network.
    pub(crate) fn network(&self) -> &Network {
        self.net
    }

    /// The registry's "today".
    pub(crate) fn today(&self) -> NaiveDate {
        self.today
    }

    /// Fails unless the principal may write to `unit`.
    pub(crate) fn require_writable(&self, unit: UnitId) -> Result<()> {
        self.principal.require_write()?;
        if !matches!(self.net.fact(unit), Some(Fact::Unit { .. })) {
            return Err(Error::not_found(format!("unit {unit}")));
        }
        if self.scope.covers(unit) {
            Ok(())
        } else {
            Err(self
                .principal
                .denied(format!("unit {unit} is outside the scope")))
        }
    }
}
