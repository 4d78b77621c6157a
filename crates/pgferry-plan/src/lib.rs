//! From the catalog model to TOC entries: SQL definitions, dependencies, sections and pg_dump's ordering.
//!
//! [`plan`] takes a [`Catalog`](pgferry_catalog::Catalog) and [`PlanOptions`] and returns a
//! [`Toc`](pgferry_archive::Toc) in restore order: the same entries, with the same `desc`, tag, schema, owner,
//! section and SQL, that pg_dump 18 would write for that database. Every archive writer, and the plain SQL
//! script writer, consumes that TOC.
//!
//! Inside: objects are collected with pg_dump's selection rules, connected by `pg_depend` edges and pg_dump's
//! hand-made ones, sorted ([`sort`]), and emitted with their comments and privileges ([`acl`]).

pub mod acl;
mod emit;
pub mod guc;
pub mod model;
mod options;
mod planner;
pub mod sort;

pub use options::{PlanOptions, Sections};
pub use pgferry_archive::quote;
pub use planner::{plan, Planner};

/// The version string written as "Dumped by pg_dump version": pgferry writes pg_dump 18's formats.
pub const DUMPER_VERSION: &str = concat!("18.6 (pgferry ", env!("CARGO_PKG_VERSION"), ")");

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// An object's ACL could not be read.
    #[error("could not dump the privileges of {object}: {reason}")]
    Acl {
        /// The object.
        object: String,
        /// What was wrong.
        reason: String,
    },
    /// The catalog does not hold what an object refers to.
    #[error("inconsistent catalog: {0}")]
    Inconsistent(String),
}
