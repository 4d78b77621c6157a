//! The restore engine: what `pg_restore` and `psql` do with a dump.
//!
//! * [`select`]: which TOC entries a restore takes (pg_restore's `-n/-N/-t/-I/-P/-T`, `--section`, `-a/-s`,
//!   `-L` lists, `--no-*`), the one place those rules live: the script writer, the database restore and
//!   `restore -l` all use it.
//! * [`engine`]: an archive into a database, entry by entry, data streamed through `COPY`; with
//!   [`restore_archive_parallel`], on several connections as pg_restore `-j` schedules them. [`restore_feed`]
//!   does the same with the data from a [`DataFeed`] instead of an archive (a live database: `pgferry copy`).
//! * [`write_script`]: an archive as a SQL script, as `pg_restore -f` prints it.
//! * [`sql`]: plain SQL dumps without psql: a sans-IO statement splitter that knows dollar quoting, quoted
//!   identifiers, comments, `E''` strings, `COPY ... FROM stdin` data and the psql meta-commands pg_dump writes,
//!   and a runner that applies a script to a session.

pub mod engine;
mod parallel;
mod script;
pub mod select;
pub mod sql;

use std::io::Write;

use pgferry_archive::read::Archive;
use pgferry_archive::script::ScriptOptions;
use pgferry_archive::Toc;

pub use engine::{
    restore_archive, BlobEvent, DataFeed, EntryError, RestoreOptions, RestoreSummary,
};
pub use parallel::{data_sizes, restore_archive_parallel, restore_feed, OpenArchive, OpenFeed};

/// Why a restore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// No connection.
    #[error(transparent)]
    Connect(#[from] pgferry_conn::ConnectError),
    /// A session statement (settings, transaction control) failed.
    #[error("restoring failed at \"{statement}\": {}", pgferry_conn::describe_pg_error(.source))]
    Session {
        /// The statement.
        statement: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// An entry failed and the restore stops (`--exit-on-error`, `--single-transaction`).
    #[error("{0}")]
    Entry(Box<EntryError>),
    /// The archive could not be read.
    #[error("{0}")]
    Archive(String),
    /// Writing the script failed.
    #[error("writing the script failed: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes `toc` (the archive's TOC, as selected) as the SQL script pg_restore prints without a database, with
/// the data read from `archive`.
pub fn write_script(
    archive: &mut Archive,
    toc: &Toc,
    options: &ScriptOptions,
    out: &mut dyn Write,
) -> Result<(), RestoreError> {
    let std_strings = toc.header.std_strings;
    let mut data = script::ArchiveData {
        archive,
        std_strings,
        in_transaction: options.single_transaction || options.transaction_size > 0,
        read_failed: None,
    };
    match pgferry_archive::script::write_script(toc, options, &mut data, out) {
        Ok(()) => Ok(()),
        // The archive's fault, not the output's.
        Err(_) if data.read_failed.is_some() => Err(RestoreError::Archive(
            data.read_failed.take().unwrap_or_default(),
        )),
        Err(e) => Err(RestoreError::Write(e)),
    }
}
