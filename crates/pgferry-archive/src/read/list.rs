//! The TOC as `pg_restore -l` prints it (`PrintTOCSummary` in pg_backup_archiver.c), as pg_restore 18 prints
//! it: the archive summary, then one line per entry that a restore with default options would process.

use std::io::{self, Write};

use crate::format::ArchiveFormat;
use crate::toc::{desc, ArchiveHeader, Toc, TocEntry};

/// Newlines (and carriage returns) become spaces, so that each entry stays on one line (`sanitize_line`).
fn sanitize(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Whether `pg_restore -l` (no other options) lists `entry`: pg_restore's `_tocEntryRequired` with default
/// options gives it a schema, data or statistics part.
///
/// Not listed: the special entries (`ENCODING`, `STDSTRINGS`, `SEARCHPATH`), `DATABASE` and
/// `DATABASE PROPERTIES` and the comments, ACLs and security labels of the database (restored only with `-C`),
/// the obsolete `<Init>`/`Max OID` entry, and entries with neither a data stream nor a definition.
pub fn is_listed(entry: &TocEntry) -> bool {
    let d = entry.desc.as_str();
    if d == desc::ENCODING || d == desc::STDSTRINGS || d == desc::SEARCHPATH {
        return false;
    }
    if d == desc::DATABASE || d == desc::DATABASE_PROPERTIES {
        return false;
    }
    if (d == desc::ACL || d == desc::COMMENT || d == desc::SECURITY_LABEL)
        && entry.tag.starts_with("DATABASE ")
    {
        return false;
    }
    if d == "<Init>" && entry.tag == "Max OID" {
        return false;
    }
    if d == desc::STATISTICS_DATA {
        return true;
    }
    // An entry has a data part when it has a data stream, or is of a kind pg_restore counts as data; and a
    // schema part when it has a definition. Either is enough to be listed.
    let large_object_label = (d == desc::ACL || d == desc::COMMENT || d == desc::SECURITY_LABEL)
        && entry.tag.starts_with("LARGE OBJECT");
    let data = entry.had_dumper
        || d == desc::SEQUENCE_SET
        || d == desc::BLOB
        || d == desc::BLOB_METADATA
        || large_object_label;
    let schema = entry
        .defn
        .as_deref()
        .is_some_and(|defn| !defn.is_empty() && !defn.starts_with("-- load via partition root "));
    data || schema
}

/// Writes the listing `pg_restore -l` prints for an archive with this header and TOC, as pg_restore 18 prints
/// it (`Compression: none/gzip/lz4/zstd`), with the creation time in UTC (as pg_restore prints it under
/// `TZ=UTC`).
pub fn write_list<W: Write + ?Sized>(
    header: &ArchiveHeader,
    toc: &Toc,
    out: &mut W,
) -> io::Result<()> {
    write_list_entries(
        header,
        toc.entries.len(),
        toc.entries.iter().filter(|e| is_listed(e)),
        out,
    )
}

/// Writes a `pg_restore -l` listing of exactly `entries`, in the order given, for an archive with this header
/// whose TOC holds `toc_count` entries in all (the summary's `TOC Entries`, which pg_restore counts before any
/// selection). [`write_list`] is this with the entries a restore with default options takes; a restore with
/// other options (`-n`, `-L`, `-C`, ...) passes the entries its selection requires.
pub fn write_list_entries<'a, W, I>(
    header: &ArchiveHeader,
    toc_count: usize,
    entries: I,
    out: &mut W,
) -> io::Result<()>
where
    W: Write + ?Sized,
    I: IntoIterator<Item = &'a TocEntry>,
{
    let format = match header.format {
        ArchiveFormat::Custom => "CUSTOM",
        ArchiveFormat::Directory => "DIRECTORY",
        ArchiveFormat::Tar => "TAR",
        ArchiveFormat::Plain => "UNKNOWN",
    };
    writeln!(out, ";")?;
    writeln!(out, "; Archive created at {}", header.created.display_utc())?;
    writeln!(
        out,
        ";     dbname: {}",
        sanitize(header.dbname.as_deref().unwrap_or(""))
    )?;
    writeln!(out, ";     TOC Entries: {toc_count}")?;
    writeln!(
        out,
        ";     Compression: {}",
        header.compression.method.name()
    )?;
    writeln!(out, ";     Dump Version: {}", header.version)?;
    writeln!(out, ";     Format: {format}")?;
    writeln!(out, ";     Integer: {} bytes", header.int_size)?;
    writeln!(out, ";     Offset: {} bytes", header.off_size)?;
    if let Some(server) = &header.server_version {
        writeln!(out, ";     Dumped from database version: {server}")?;
    }
    if let Some(dumper) = &header.dumper_version {
        writeln!(out, ";     Dumped by pg_dump version: {dumper}")?;
    }
    writeln!(out, ";\n;\n; Selected TOC Entries:\n;")?;
    for entry in entries {
        writeln!(out, "{}", list_line(entry))?;
    }
    Ok(())
}

/// An entry as `pg_restore -l` lists it (and as pg_restore names it in error messages):
/// `216; 1259 16387 TABLE app authors postgres`.
pub fn list_line(entry: &TocEntry) -> String {
    format!(
        "{}; {} {} {} {} {} {}",
        entry.dump_id,
        entry.table_oid,
        entry.oid,
        entry.desc,
        // pg_restore prints a hyphen for a missing or empty schema.
        entry
            .namespace
            .as_deref()
            .filter(|ns| !ns.is_empty())
            .map(sanitize)
            .unwrap_or_else(|| "-".to_owned()),
        sanitize(&entry.tag),
        sanitize(entry.owner.as_deref().unwrap_or("")),
    )
}
