//! The archive writers checked against the real pg_restore: every format, compression and archive version is
//! listed (`pg_restore -l`), printed (`pg_restore -f -`) and restored (`pg_restore -d`, also `-j 2` and through a
//! pipe) by each pg_restore that reads it, and the restored database is checked.
//!
//! Needs a PostgreSQL 17 server and the reference tools 15, 17.10 and 18.6 (see `pgferry-testkit`); without them
//! the server tests print `SKIPPED` (and fail under `CI=true`).

mod api;
mod fixture;
mod matrix;
mod roundtrip;
mod tools;
