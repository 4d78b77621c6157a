//! End-to-end tests of the `pgferry` binary against real PostgreSQL servers started by `pgferry-testkit`.

mod archive_roundtrip;
mod bad_archives;
mod check_versions;
mod compatibility;
mod conn_errors;
mod copy;
mod data_roundtrip;
mod docs;
mod dump_options;
mod exit_codes;
mod foreign_data;
mod list;
mod parallel;
mod pooler;
mod progress;
mod restore;
mod schema_roundtrip;
mod support;
mod tls;
