//! The organisational network (组织网络) over time: units and their hierarchies,
//! reorganisations with lineage, bodies, posts, people and memberships.
//!
//! Everything is stored as *facts* with a valid-time interval; the in-memory [`Network`]
//! is rebuilt from the facts of one recorded transaction and answers as-of queries.

mod facts;
mod import;
mod model;
mod queries;
mod reorg;
mod writes;

pub use crate::ingest::RowProblem;
pub use facts::{BodyKind, Fact, Hierarchy, PostRole, ReorgKind, UnitKind};
pub use import::{ImportReport, UnitImportOptions};
pub use model::Network;
pub(crate) use queries::normalise_code;
pub use queries::{
    Lineage, MembershipView, PathMatch, PersonRef, PositionView, PostHolding, TreeNode, UnitView,
};
pub use reorg::{Reorganisation, Successor};
pub use writes::{
    NewBody, NewMembership, NewOrganisation, NewPerson, NewPosition, NewPost, NewUnit,
};

/// Stable id of a unit (单位). Ids are unique across every kind of entity.
pub type UnitId = i64;
/// Stable id of a body (机构: 领导小组, 协调小组, 服务站 …).
pub type BodyId = i64;
/// Stable id of a post (岗位: 组长, 片长 …).
pub type PostId = i64;
/// Stable id of a person (cadre or staff member).
pub type PersonId = i64;
/// Stable id of a recorded fact (a name, a parent link, a membership …).
pub type FactId = i64;
/// Number of a recorded transaction.
pub type TxId = i64;
