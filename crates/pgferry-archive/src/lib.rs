//! pg_dump's archive model and formats, with no database and no network.
//!
//! The main types:
//! - [`Toc`] and [`TocEntry`]: the table of contents that every format shares. The dump side builds one, every
//!   writer consumes one, every reader yields one, and restore and `list` work on it whoever wrote the archive.
//! - [`script`]: the plain SQL writer (`-Fp`, and `pg_restore -f`), which renders a TOC as the script pg_restore
//!   would print.
//!
//! The byte-level formats (custom, directory, tar) join this crate with the archives issue.

pub mod format;
pub mod quote;
pub mod read;
pub mod script;
mod toc;
pub mod write;

pub use toc::{
    desc, ArchiveHeader, CreationTime, DataLocation, DumpId, Section, Toc, TocEntry, TocHeader,
};
