//! Plain SQL scripts (what `pg_dump -Fp` and `pgferry dump` write) run without psql.
//!
//! * [`split`]: the sans-IO splitter: bytes in, pushed in pieces of any size; statements (with their line
//!   numbers), COPY data in chunks, and psql meta-commands out, following psql's lexer.
//! * [`run`]: the runner: a script applied to a database over the simple query protocol, COPY data streamed,
//!   `\connect`, `\restrict`/`\unrestrict` and `\set ON_ERROR_STOP` honoured, errors counted or fatal.
//! * [`meta`]: the meta-commands and how their arguments are read.
//! * [`encoding`]: the scripts' encodings (`SET client_encoding`) converted to UTF-8.

pub mod encoding;
pub mod meta;
pub mod run;
pub mod split;

#[cfg(test)]
mod tests;

pub use encoding::ScriptEncoding;
pub use meta::{ConnectArgs, MetaCommand};
pub use run::{run_script, run_script_file, RunError, RunOptions, RunSummary, StatementError};
pub use split::{split_all, Event, SplitError, SplitErrorKind, Splitter, Statement};
