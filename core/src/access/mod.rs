//! Principals, their scope and role, masking of personal data, and the audit log.
//!
//! Every registry handle acts for one [`Principal`]. Its scope is a unit: it covers that
//! unit's subtree in a hierarchy *across reorganisations* — the predecessors of a covered
//! unit, and everything ever under them, are covered too (a 姑苏区 principal covers 沧浪区,
//! 平江区 and 金阊区 before 2012).

mod audit;
mod mask;
mod scope;

pub(crate) use audit::append as append_audit;
pub(crate) use audit::{read_and_verify as read_audit, NewAudit};
pub use audit::{AuditEntry, AUDIT_GENESIS};
pub use mask::{mask_name, mask_phone};
pub use scope::Scope;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::network::{Hierarchy, UnitId};

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员 — everything within scope, personal data visible (reads are audited).
    Administrator,
    /// 操作员 — reads and writes within scope, personal data visible (reads are audited).
    Operator,
    /// 查看者 — reads within scope; personal data masked.
    Viewer,
    /// 分析员 — aggregates only: the network's units, never people.
    Analyst,
}

impl Role {
    /// The stable lower-case label (`administrator`, `operator`, `viewer`, `analyst`).
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
        }
    }

    /// Whether this role may write.
    pub fn may_write(self) -> bool {
        matches!(self, Role::Administrator | Role::Operator)
    }

    /// Whether this role sees personal data unmasked.
    pub fn sees_personal_data(self) -> bool {
        matches!(self, Role::Administrator | Role::Operator)
    }

    /// Whether this role may read person-level records at all (masked or not).
    pub fn reads_people(self) -> bool {
        !matches!(self, Role::Analyst)
    }
}

/// Who is acting: recorded on every transaction and audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Name of the person or system acting (e.g. `zhang.wei@gusu`).
    pub name: String,
    /// What the principal may do.
    pub role: Role,
    /// The unit whose subtree is covered; `None` = the whole registry (administrators only).
    #[serde(default)]
    pub scope: Option<UnitId>,
    /// The hierarchy the scope follows (default legal).
    #[serde(default)]
    pub hierarchy: Hierarchy,
    /// Why the principal is acting (recorded in the audit log).
    #[serde(default)]
    pub purpose: Option<String>,
}

impl Principal {
    /// The local administrator a registry acts for when opened without a principal.
    pub fn local_administrator() -> Principal {
        Principal {
            name: "local-administrator".into(),
            role: Role::Administrator,
            scope: None,
            hierarchy: Hierarchy::Legal,
            purpose: None,
        }
    }

    /// A principal with a role and a scope unit.
    pub fn new(name: impl Into<String>, role: Role, scope: Option<UnitId>) -> Principal {
        Principal {
            name: name.into(),
            role,
            scope,
            hierarchy: Hierarchy::Legal,
            purpose: None,
        }
    }

    /// The same principal with a stated purpose.
    pub fn with_purpose(mut self, purpose: impl Into<String>) -> Principal {
        self.purpose = Some(purpose.into());
        self
    }

    /// Checks that the principal is well-formed (only administrators may be unscoped).
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("principal", "the name is empty"));
        }
        if self.scope.is_none() && self.role != Role::Administrator {
            return Err(Error::invalid(
                "principal",
                "only an administrator may act without a scope unit",
            ));
        }
        Ok(())
    }

    /// An `AccessDenied` error for this principal.
    pub fn denied(&self, reason: impl Into<String>) -> Error {
        Error::AccessDenied {
            principal: self.name.clone(),
            reason: reason.into(),
        }
    }

    /// Fails unless the role may write.
    pub fn require_write(&self) -> Result<()> {
        if self.role.may_write() {
            Ok(())
        } else {
            Err(self.denied(format!("the {} role may not write", self.role.label())))
        }
    }

    /// Fails unless the role may read person-level records.
    pub fn require_people(&self) -> Result<()> {
        if self.role.reads_people() {
            Ok(())
        } else {
            Err(self.denied("the analyst role sees aggregates only, not people"))
        }
    }
}

impl Default for Principal {
    fn default() -> Self {
        Principal::local_administrator()
    }
}
