//! # shiliu (石榴)
//!
//! An embeddable model of how a Chinese city carries its ethnic-affairs work down into
//! communities (民族工作进社区): the organisational network that does the work, the
//! institutions it keeps and the statistics it reports.
//!
//! This crate is the domain core. It has no C and no Python; the `shiliu-ffi` crate (C
//! ABI) and the `shiliu._native` Python module are thin faces over it.
//!
//! * [`codes`] — GB/T 3304 ethnicity, GB 11643 ID numbers, GB/T 2260 division codes,
//!   GB 32100 credit codes.
//! * [`network`] — units over time, reorganisations, bodies, posts, people, memberships.
//! * [`register`] — the resident register and the ledger (台账) import.
//! * [`activity`] — dated records of work: meetings, visits, aid, briefings ….
//! * [`rules`] — institutions as checkable rules, findings, compliance, assessments.
//! * [`stats`] — population statistics, trends, disclosure control.
//! * [`Registry`] — the SQLite-backed handle: principals, transactions, audit, queries.
#![forbid(unsafe_code)]

pub mod access;
pub mod activity;
pub mod codes;
pub mod error;
pub mod ingest;
pub mod network;
pub mod register;
mod registry;
pub mod rules;
pub mod stats;
pub mod store;
pub mod time;
mod vocabulary;

pub use access::{Principal, Role};
pub use error::{Error, ErrorKind, IdNumberProblem, Parsed, Result, Warning};
pub use registry::{
    Batch, OpenOptions, OrganisationView, PersonHistory, Registry, View, FORMAT_VERSION, OPERATIONS,
};
pub use time::{Clock, Interval};

/// The library version (`MAJOR.MINOR.PATCH`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
