//! End-to-end tests of the `pgferry` binary against real PostgreSQL servers started by `pgferry-testkit`.

mod archive_roundtrip;
mod bad_archives;
mod check_versions;
mod conn_errors;
mod data_roundtrip;
mod dump_options;
mod foreign_data;
mod list;
mod parallel;
mod pooler;
mod restore;
mod schema_roundtrip;
mod support;
mod tls;
