//! pgferry: a native PostgreSQL logical backup engine, as a library.
//!
//! This crate is the small public API over pgferry's inner crates. Today it offers [`check`]: connect the way
//! pg_dump would and report whether a dump could run (server version, user and privileges, TLS, connection
//! pooler, database size); [`dump`], [`restore`] and [`archive`] re-export the engine crates' entry points.
//!
//! ```no_run
//! # async fn example() -> Result<(), pgferry::Error> {
//! use pgferry::{check, CheckOptions, ConnConfig, Overrides, ProcessEnv};
//!
//! let config = ConnConfig::resolve(Some("postgresql://postgres@127.0.0.1/postgres"), &Overrides::default(), &ProcessEnv)?;
//! let report = check(&config, &CheckOptions::default()).await?;
//! if !report.ready {
//!     eprintln!("a dump would fail: {}", report.problems.join("; "));
//! }
//! # Ok(()) }
//! ```

mod check;
mod error;

pub use check::{
    check, CheckOptions, CheckReport, DatabaseReport, PoolerReport, ServerReport, TlsReport,
    UserReport,
};
pub use error::Error;
pub use pgferry_conn::{
    connect, ConfigError, ConnConfig, ConnectError, Environment, Overrides, ProcessEnv,
    ServerVersion, Session, SslMode,
};

/// Dumping a database: options and the entry point, from `pgferry-dump`.
pub mod dump {
    pub use pgferry_archive::script::ScriptOptions;
    pub use pgferry_archive::write::{parse_compression, CompressedWriter};
    pub use pgferry_dump::{
        dump, dump_archive, random_restrict_key, ArchiveFormat, ArchiveOptions, ArchiveTarget,
        ArchiveVersion, Compression, DumpError, DumpOptions, DumpSummary, SessionOptions,
    };
    pub use pgferry_plan::{PlanOptions, Sections};
}

/// Progress counters a dump or restore fills as data flows ([`dump::DumpOptions::progress`],
/// [`restore::RestoreOptions::progress`]), and the snapshots a reporter reads, from `pgferry-progress`.
pub mod progress {
    pub use pgferry_progress::{
        count_lines, Phase, Progress, Snapshot, TableProgress, TableSnapshot,
    };
}

/// Restoring archives into a database or as a SQL script, from `pgferry-restore`.
pub mod restore {
    pub use pgferry_archive::script::ScriptOptions;
    pub use pgferry_restore::select::{self, SelectOptions, Selection};
    pub use pgferry_restore::sql;
    pub use pgferry_restore::{
        data_sizes, restore_archive, restore_archive_parallel, write_script, EntryError,
        RestoreError, RestoreOptions, RestoreSummary,
    };
}

/// Copying one database into another, schema and data, streamed in parallel with no intermediate file (and
/// optionally a custom archive of what was copied), from `pgferry-copy`.
pub mod copy {
    pub use pgferry_copy::{copy, CopyError, CopyOptions, CopySummary, CHANNEL_DEPTH};
}

/// Reading archives written by pg_dump or pgferry (custom, directory and tar, versions 1.12 to 1.16): the header
/// and TOC, the data streams and large objects, and the `pg_restore -l` listing, from `pgferry-archive`.
pub mod archive {
    pub use pgferry_archive::format::{
        ArchiveFormat, ArchiveVersion, Compression, CompressionMethod,
    };
    pub use pgferry_archive::read::{
        is_listed, write_list, Archive, DataReader, LargeObject, LargeObjects, Problem, ReadError,
        Where,
    };
    pub use pgferry_archive::{
        ArchiveHeader, CreationTime, DataLocation, DumpId, Section, Toc, TocEntry, TocHeader,
    };
}
