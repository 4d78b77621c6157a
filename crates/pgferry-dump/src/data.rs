//! Reading data out of the server for the data entries of a TOC: table rows as COPY text or INSERT statements,
//! large object contents, and (servers before 18) sequence values.
//!
//! Everything runs in the dump's snapshot transaction, on its session, one entry at a time in TOC order. Rows
//! are streamed: a COPY chunk goes from the connection straight to the output, and INSERT mode holds at most
//! one `FETCH 100` of rows. Nothing holds a whole table.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, Write};
use std::sync::Arc;

use futures_util::{pin_mut, StreamExt};
use pgferry_archive::quote::{self, Quoter};
use pgferry_archive::{desc, DumpId, Toc, TocEntry};
use pgferry_catalog::{Catalog, Oid, Table};
use pgferry_conn::Session;
use pgferry_progress::{Progress, TableProgress};
use tokio_postgres::SimpleQueryMessage;

use crate::DumpError;

/// Where the data of one entry goes: a plain script's output, or an archive's data stream. Chunks are handed
/// over as they come, so that nothing holds a whole table.
pub(crate) trait Output: Send {
    /// Append `bytes`.
    fn put(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
}

/// A synchronous writer (the plain script's output).
pub(crate) struct SyncOutput<'a>(pub(crate) &'a mut (dyn Write + Send));

impl Output for SyncOutput<'_> {
    #[allow(clippy::manual_async_fn)]
    fn put(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send {
        async move { self.0.write_all(bytes) }
    }
}

/// How table rows are written: COPY (the default) or INSERT statements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataOptions {
    /// Rows per INSERT statement: 0 writes COPY blocks (the default), 1 is `--inserts` and
    /// `--column-inserts`, more is `--rows-per-insert N`.
    pub rows_per_insert: usize,
    /// `--column-inserts`: name the columns in each INSERT (generated columns are left out).
    pub column_inserts: bool,
    /// `--on-conflict-do-nothing`: end each INSERT with `ON CONFLICT DO NOTHING`.
    pub on_conflict_do_nothing: bool,
}

/// pg_dump's `INV_READ`.
const INV_READ: i32 = 0x40000;
/// pg_dump reads large objects in chunks of this size (`LOBBUFSIZE`); each becomes one `lowrite`.
const LO_CHUNK: usize = 16384;
/// Rows fetched per round trip in INSERT mode, as pg_dump fetches them.
const FETCH_ROWS: usize = 100;

/// What one data entry reads from the server.
#[derive(Debug, Clone)]
enum Job {
    /// `COPY ... TO stdout`, written as it comes.
    Copy {
        /// The table, for messages.
        table: String,
        /// The statement.
        query: String,
    },
    /// A cursor over the table's rows, written as INSERT statements.
    Inserts(InsertJob),
    /// Large object contents, written as `lo_open`/`lowrite`/`lo_close` calls.
    LargeObjects(Vec<Oid>),
}

#[derive(Debug, Clone)]
struct InsertJob {
    /// The table, for messages.
    table: String,
    /// `DECLARE _pg_dump_cursor CURSOR FOR SELECT ...`.
    declare: String,
    /// `INSERT INTO target [(cols)] [OVERRIDING SYSTEM VALUE] VALUES`, or the whole statement for a table
    /// without columns.
    head: String,
    /// Per selected column: how its values are written.
    columns: Vec<ValueKind>,
}

/// How INSERT mode writes a column's values (pg_dump decides by the result column's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// A generated column: `DEFAULT`.
    Default,
    /// Integer, float, numeric and oid types: bare when the text is a plain number, quoted otherwise
    /// (`'NaN'`, `'Infinity'`).
    Number,
    /// bit and varbit: `B'0101'`.
    Bits,
    /// boolean: `true` / `false`.
    Bool,
    /// Everything else: a string literal.
    Text,
}

/// Writes the data of a dump's data entries, on one session (the dump's own, or a parallel worker's: see
/// [`DataWriter::on`]).
pub(crate) struct DataWriter<'a> {
    session: &'a Session,
    plan: Arc<DataPlan>,
}

/// What every data entry reads, worked out once for all sessions.
pub(crate) struct DataPlan {
    jobs: HashMap<DumpId, Planned>,
    rows_per_insert: usize,
    on_conflict_do_nothing: bool,
    std_strings: bool,
    progress: Option<Arc<Progress>>,
}

/// One data entry's job, with what parallel workers need to schedule it.
struct Planned {
    job: Job,
    /// The table's size in pages (`relpages`), or the number of large objects: larger entries go first.
    size: i64,
    /// `LOCK TABLE ... NOWAIT` for a worker, when the leader locked the table.
    lock: Option<String>,
    /// A foreign table (`--include-foreign-data`): the session may read it only for this entry.
    foreign: bool,
}

impl<'a> DataWriter<'a> {
    /// Works out what every data entry of `toc` reads (and tells `progress` what that is).
    pub(crate) fn new(
        session: &'a Session,
        catalog: &Catalog,
        toc: &Toc,
        quoter: Quoter,
        options: &DataOptions,
        progress: Option<Arc<Progress>>,
    ) -> DataWriter<'a> {
        let mut jobs = HashMap::new();
        for entry in toc.entries.iter().filter(|e| e.had_dumper) {
            let planned = match entry.desc.as_str() {
                desc::TABLE_DATA => catalog.relations.table(entry.oid).map(|table| {
                    let job = table_job(catalog, entry, table, quoter, options);
                    let name =
                        quoter.qualified(catalog.namespace_name(table.namespace), &table.name);
                    Planned {
                        job,
                        size: table.pages,
                        // The tables the leader locked (pg_dump's workers lock every table they dump; pgferry
                        // skips foreign tables, which cannot be locked).
                        lock: matches!(table.relkind, b'r' | b'p')
                            .then(|| format!("LOCK TABLE {name} IN ACCESS SHARE MODE NOWAIT")),
                        foreign: table.relkind == b'f',
                    }
                }),
                desc::BLOBS => blobs_job(toc, entry).map(|job| {
                    let size = match &job {
                        Job::LargeObjects(oids) => oids.len() as i64,
                        _ => 0,
                    };
                    Planned {
                        job,
                        size,
                        lock: None,
                        foreign: false,
                    }
                }),
                _ => None,
            };
            if let Some(planned) = planned {
                jobs.insert(entry.dump_id, planned);
            }
        }
        let writer = DataWriter {
            session,
            plan: Arc::new(DataPlan {
                jobs,
                rows_per_insert: options.rows_per_insert.max(1),
                on_conflict_do_nothing: options.on_conflict_do_nothing,
                std_strings: catalog.database.std_strings,
                progress,
            }),
        };
        writer.plan_progress(toc);
        writer
    }

    /// The same data writer on another session (a parallel worker's, in the same snapshot).
    pub(crate) fn on<'b>(&self, session: &'b Session) -> DataWriter<'b> {
        DataWriter {
            session,
            plan: Arc::clone(&self.plan),
        }
    }

    /// The data writer of `plan` on `session` (a streamer's: see [`crate::stream`]).
    pub(crate) fn with_plan(session: &'a Session, plan: Arc<DataPlan>) -> DataWriter<'a> {
        DataWriter { session, plan }
    }

    /// The plan, to make data writers on other sessions later ([`DataWriter::with_plan`]).
    pub(crate) fn plan(&self) -> Arc<DataPlan> {
        Arc::clone(&self.plan)
    }

    /// How large entry `id` is: pages for table data, large objects for BLOBS (0 if unknown).
    pub(crate) fn size(&self, id: DumpId) -> i64 {
        self.plan.jobs.get(&id).map_or(0, |p| p.size)
    }

    /// What entry `id` should amount to in bytes, from its table's size on disk (0 for large objects and
    /// unknown entries).
    pub(crate) fn estimated_bytes(&self, id: DumpId) -> u64 {
        self.plan.jobs.get(&id).map_or(0, estimated_bytes)
    }

    /// Tells the progress counters what the dump will read: its entries, data streams and their size on disk.
    fn plan_progress(&self, toc: &Toc) {
        if let Some(progress) = &self.plan.progress {
            let estimate = self.plan.jobs.values().map(estimated_bytes).sum::<u64>();
            progress.plan(toc.entries.len(), self.plan.jobs.len(), Some(estimate));
            progress.phase(pgferry_progress::Phase::Data);
        }
    }

    /// Starts counting entry `id`'s data, when the dump reports progress.
    pub(crate) fn track(&self, id: DumpId) -> Option<TableProgress> {
        let progress = self.plan.progress.as_ref()?;
        let planned = self.plan.jobs.get(&id)?;
        let name = match &planned.job {
            Job::Copy { table, .. } => table.as_str(),
            Job::Inserts(job) => job.table.as_str(),
            Job::LargeObjects(_) => "large objects",
        };
        let estimate = estimated_bytes(planned);
        Some(progress.table(name, (estimate > 0).then_some(estimate)))
    }

    /// A parallel worker locks the table of entry `id` before reading it, without waiting: if someone asked for
    /// an exclusive lock since the leader locked it, waiting would hang the dump (the request waits for the
    /// leader, the worker for the request).
    pub(crate) async fn lock_for_worker(&self, id: DumpId) -> Result<(), DumpError> {
        let Some(Planned {
            lock: Some(statement),
            job,
            ..
        }) = self.plan.jobs.get(&id)
        else {
            return Ok(());
        };
        let table = match job {
            Job::Copy { table, .. } => table.as_str(),
            Job::Inserts(job) => job.table.as_str(),
            Job::LargeObjects(_) => "",
        };
        let locked = self.session.client().simple_query(statement).await;
        match locked {
            Ok(_) => Ok(()),
            // lock_not_available: someone queued for an exclusive lock after the leader's.
            Err(source)
                if source.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) =>
            {
                Err(DumpError::WorkerLock {
                    table: table.to_owned(),
                    source,
                })
            }
            // Anything else (the connection lost, the server gone) is no lock conflict.
            Err(source) => Err(DumpError::Data {
                what: format!("the contents of table {table}"),
                source,
            }),
        }
    }

    /// Writes the data of entry `id` to `out`: COPY rows and the `\.` terminator, INSERT statements, or large
    /// object calls.
    pub(crate) async fn write<O: Output>(
        &self,
        id: DumpId,
        out: &mut O,
        counted: Option<&TableProgress>,
    ) -> Result<(), DumpError> {
        let Some(Planned { job, foreign, .. }) = self.plan.jobs.get(&id) else {
            return Err(DumpError::Unsupported(format!(
                "pgferry cannot dump the data of TOC entry {id}"
            )));
        };
        let (allow, restrict) = crate::session::foreign_table_access();
        if *foreign {
            self.setting(&allow).await?;
        }
        match job {
            Job::Copy { table, query } => self.copy(table, query, out, counted).await?,
            Job::Inserts(job) => self.inserts(job, out, counted).await?,
            Job::LargeObjects(oids) => self.large_objects(oids, out, counted).await?,
        }
        if *foreign {
            self.setting(&restrict).await?;
        }
        Ok(())
    }

    async fn setting(&self, statement: &str) -> Result<(), DumpError> {
        self.session
            .client()
            .simple_query(statement)
            .await
            .map(drop)
            .map_err(|source| DumpError::Session {
                statement: statement.to_owned(),
                source,
            })
    }

    /// The large objects of the `BLOBS` entry `id`, if it is one.
    pub(crate) fn large_object_oids(&self, id: DumpId) -> Option<&[Oid]> {
        match self.plan.jobs.get(&id).map(|p| &p.job) {
            Some(Job::LargeObjects(oids)) => Some(oids),
            _ => None,
        }
    }

    /// Writes the contents of large object `oid`, as raw bytes, a chunk at a time (archive formats).
    pub(crate) async fn large_object_bytes<O: Output>(
        &self,
        oid: Oid,
        out: &mut O,
        counted: Option<&TableProgress>,
    ) -> Result<(), DumpError> {
        let client = self.session.client();
        let failed = |source| DumpError::Data {
            what: format!("large object {oid}"),
            source,
        };
        let opened = client
            .simple_query(&format!("SELECT pg_catalog.lo_open('{oid}', {INV_READ})"))
            .await
            .map_err(failed)?;
        let fd = first_value(&opened)
            .ok_or_else(|| DumpError::Unsupported(format!("could not open large object {oid}")))?;
        let read = format!("SELECT pg_catalog.encode(pg_catalog.loread({fd}, {LO_CHUNK}), 'hex')");
        loop {
            let messages = client.simple_query(&read).await.map_err(failed)?;
            let hex = first_value(&messages).unwrap_or_default();
            if hex.is_empty() {
                break;
            }
            let bytes = decode_hex(&hex).ok_or_else(|| {
                DumpError::Unsupported(format!("large object {oid}: the server sent bad hex"))
            })?;
            if let Some(counted) = counted {
                counted.add_counts(0, bytes.len() as u64);
            }
            out.put(&bytes).await?;
        }
        client
            .simple_query(&format!("SELECT pg_catalog.lo_close({fd})"))
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn copy<O: Output>(
        &self,
        table: &str,
        query: &str,
        out: &mut O,
        counted: Option<&TableProgress>,
    ) -> Result<(), DumpError> {
        tracing::debug!(table, "dumping the contents of table");
        let failed = |source| DumpError::Data {
            what: format!("the contents of table {table}"),
            source,
        };
        let stream = self
            .session
            .client()
            .copy_out(query)
            .await
            .map_err(failed)?;
        pin_mut!(stream);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(failed)?;
            if let Some(counted) = counted {
                counted.add(&chunk);
            }
            out.put(&chunk).await?;
        }
        out.put(b"\\.\n\n\n").await?;
        Ok(())
    }

    async fn inserts<O: Output>(
        &self,
        job: &InsertJob,
        out: &mut O,
        counted: Option<&TableProgress>,
    ) -> Result<(), DumpError> {
        tracing::debug!(
            table = job.table,
            "dumping the contents of table as INSERTs"
        );
        let failed = |source| DumpError::Data {
            what: format!("the contents of table {}", job.table),
            source,
        };
        let client = self.session.client();
        client.simple_query(&job.declare).await.map_err(failed)?;
        let terminator = if self.plan.on_conflict_do_nothing {
            " ON CONFLICT DO NOTHING;\n"
        } else {
            ";\n"
        };
        let fetch = format!("FETCH {FETCH_ROWS} FROM _pg_dump_cursor");
        let mut in_statement = 0usize;
        loop {
            let messages = client.simple_query(&fetch).await.map_err(failed)?;
            let mut text = String::new();
            let mut rows = 0usize;
            for message in &messages {
                let SimpleQueryMessage::Row(row) = message else {
                    continue;
                };
                rows += 1;
                if in_statement == 0 {
                    text.push_str(&job.head);
                }
                if job.columns.is_empty() {
                    // A table without columns: one complete statement per row, whatever rows-per-insert says.
                    continue;
                }
                text.push_str(if self.plan.rows_per_insert == 1 {
                    " ("
                } else if in_statement > 0 {
                    ",\n\t("
                } else {
                    "\n\t("
                });
                for (i, kind) in job.columns.iter().enumerate() {
                    if i > 0 {
                        text.push_str(", ");
                    }
                    let value = row.try_get(i).map_err(failed)?;
                    push_value(&mut text, *kind, value, self.plan.std_strings);
                }
                text.push(')');
                in_statement += 1;
                if in_statement >= self.plan.rows_per_insert {
                    text.push_str(terminator);
                    in_statement = 0;
                }
            }
            if let Some(counted) = counted {
                counted.add_counts(rows as u64, text.len() as u64);
            }
            out.put(text.as_bytes()).await?;
            if rows == 0 {
                break;
            }
        }
        if in_statement > 0 {
            out.put(terminator.as_bytes()).await?;
        }
        out.put(b"\n\n").await?;
        client
            .simple_query("CLOSE _pg_dump_cursor")
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn large_objects<O: Output>(
        &self,
        oids: &[Oid],
        out: &mut O,
        counted: Option<&TableProgress>,
    ) -> Result<(), DumpError> {
        let client = self.session.client();
        out.put(b"BEGIN;\n\n").await?;
        for &oid in oids {
            let failed = |source| DumpError::Data {
                what: format!("large object {oid}"),
                source,
            };
            let opened = client
                .simple_query(&format!("SELECT pg_catalog.lo_open('{oid}', {INV_READ})"))
                .await
                .map_err(failed)?;
            let fd = first_value(&opened).ok_or_else(|| {
                DumpError::Unsupported(format!("could not open large object {oid}"))
            })?;
            out.put(format!("SELECT pg_catalog.lo_open('{oid}', 131072);\n").as_bytes())
                .await?;
            // Hex text whatever bytea_output says; one lowrite per chunk, as pg_dump writes them.
            let read =
                format!("SELECT pg_catalog.encode(pg_catalog.loread({fd}, {LO_CHUNK}), 'hex')");
            loop {
                let messages = client.simple_query(&read).await.map_err(failed)?;
                let hex = first_value(&messages).unwrap_or_default();
                if hex.is_empty() {
                    break;
                }
                if let Some(counted) = counted {
                    counted.add_counts(0, hex.len() as u64 / 2);
                }
                let prefix = if self.plan.std_strings {
                    "'\\x"
                } else {
                    "'\\\\x"
                };
                out.put(format!("SELECT pg_catalog.lowrite(0, {prefix}{hex}');\n").as_bytes())
                    .await?;
            }
            client
                .simple_query(&format!("SELECT pg_catalog.lo_close({fd})"))
                .await
                .map_err(failed)?;
            out.put(b"SELECT pg_catalog.lo_close(0);\n\n").await?;
        }
        out.put(b"COMMIT;\n\n").await?;
        Ok(())
    }
}

/// What a data entry will read, from its size on disk (tables; 0 for large objects, whose size is unknown).
fn estimated_bytes(planned: &Planned) -> u64 {
    match planned.job {
        Job::LargeObjects(_) => 0,
        _ => planned.size.max(0) as u64 * 8192,
    }
}

/// Decodes hex text (`encode(..., 'hex')`, no prefix).
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The first column of the first row of a simple query's answer.
fn first_value(messages: &[SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

/// Appends one value as pg_dump's INSERT mode writes it.
fn push_value(out: &mut String, kind: ValueKind, value: Option<&str>, std_strings: bool) {
    if kind == ValueKind::Default {
        out.push_str("DEFAULT");
        return;
    }
    let Some(value) = value else {
        out.push_str("NULL");
        return;
    };
    match kind {
        ValueKind::Number => {
            if value.bytes().all(|b| b"0123456789 +-eE.".contains(&b)) {
                out.push_str(value);
            } else {
                out.push('\'');
                out.push_str(value);
                out.push('\'');
            }
        }
        ValueKind::Bits => {
            out.push_str("B'");
            out.push_str(value);
            out.push('\'');
        }
        ValueKind::Bool => out.push_str(if value == "t" { "true" } else { "false" }),
        ValueKind::Text | ValueKind::Default => quote::push_literal(out, value, std_strings),
    }
}

/// pg_dump's choice by result column type: int2, int4, int8, oid, float4, float8, numeric are numbers; bit and
/// varbit bit strings; bool booleans. (A domain column reports its base type.)
fn value_kind(type_oid: Oid) -> ValueKind {
    match type_oid {
        21 | 23 | 20 | 26 | 700 | 701 | 1700 => ValueKind::Number,
        1560 | 1562 => ValueKind::Bits,
        16 => ValueKind::Bool,
        _ => ValueKind::Text,
    }
}

/// The WHERE condition an extension registered for one of its configuration tables, if any.
fn extension_condition(catalog: &Catalog, table: Oid) -> Option<String> {
    catalog.extensions.iter().find_map(|extension| {
        let at = extension.config_tables.iter().position(|&t| t == table)?;
        extension
            .config_conditions
            .get(at)
            .filter(|c| !c.is_empty())
            .cloned()
    })
}

fn table_job(
    catalog: &Catalog,
    entry: &TocEntry,
    table: &Table,
    quoter: Quoter,
    options: &DataOptions,
) -> Job {
    let name = quoter.qualified(catalog.namespace_name(table.namespace), &table.name);
    let condition = extension_condition(catalog, table.oid);
    let columns: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !c.is_dropped && c.generated == 0)
        .map(|c| quoter.ident(&c.name))
        .collect();
    if options.rows_per_insert == 0 {
        // A filter or a foreign table needs COPY (SELECT ...); anything else copies the table itself.
        let query = if condition.is_some() || table.relkind == b'f' {
            let select = if columns.is_empty() {
                "* ".to_owned()
            } else {
                format!("{} ", columns.join(", "))
            };
            format!(
                "COPY (SELECT {select}FROM {name} {}) TO stdout;",
                condition.as_deref().unwrap_or_default()
            )
        } else if columns.is_empty() {
            format!("COPY {name}  TO stdout;")
        } else {
            format!("COPY {name} ({}) TO stdout;", columns.join(", "))
        };
        return Job::Copy { table: name, query };
    }

    // INSERT mode: generated columns are selected as NULL and written as DEFAULT, or left out entirely when
    // the columns are named.
    let mut selected = Vec::new();
    let mut kinds = Vec::new();
    let mut names = Vec::new();
    for column in table.columns.iter().filter(|c| !c.is_dropped) {
        if column.generated != 0 {
            if options.column_inserts {
                continue;
            }
            selected.push("NULL".to_owned());
            kinds.push(ValueKind::Default);
        } else {
            selected.push(quoter.ident(&column.name));
            kinds.push(value_kind(column.base_type_oid));
        }
        names.push(quoter.ident(&column.name));
    }
    let mut declare = format!(
        "DECLARE _pg_dump_cursor CURSOR FOR SELECT {} FROM ONLY {name}",
        if selected.is_empty() {
            "NULL".to_owned()
        } else {
            selected.join(", ")
        }
    );
    if let Some(condition) = &condition {
        declare.push(' ');
        declare.push_str(condition);
    }
    // Data loaded through a partition root names the root (the entry's definition says which).
    let target = entry
        .defn
        .as_deref()
        .and_then(|d| d.strip_prefix("-- load via partition root "))
        .map(str::to_owned)
        .unwrap_or_else(|| name.clone());
    let mut head = format!("INSERT INTO {target} ");
    if kinds.is_empty() {
        head.push_str("DEFAULT VALUES;\n");
    } else {
        if options.column_inserts {
            head.push_str(&format!("({}) ", names.join(", ")));
        }
        if table
            .columns
            .iter()
            .any(|c| !c.is_dropped && c.identity == b'a')
        {
            head.push_str("OVERRIDING SYSTEM VALUE ");
        }
        head.push_str("VALUES");
    }
    Job::Inserts(InsertJob {
        table: name,
        declare,
        head,
        columns: kinds,
    })
}

/// A BLOBS entry's large objects: the OIDs its BLOB METADATA entry (its first dependency) lists.
fn blobs_job(toc: &Toc, entry: &TocEntry) -> Option<Job> {
    let metadata = toc.entry(*entry.dependencies.first()?)?;
    let oids = metadata
        .defn
        .as_deref()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    Some(Job::LargeObjects(oids))
}

/// Servers before 18 report no sequence values in the catalog: reads them for the SEQUENCE SET entries that
/// lack their statement, one `SELECT last_value, is_called FROM seq` each, as pg_dump does.
pub(crate) async fn fill_sequence_values(
    session: &Session,
    catalog: &Catalog,
    toc: &mut Toc,
    quoter: Quoter,
) -> Result<(), DumpError> {
    let sequences: HashMap<(&str, &str), &Table> = catalog
        .relations
        .tables
        .iter()
        .filter(|t| t.relkind == b'S')
        .map(|t| ((catalog.namespace_name(t.namespace), t.name.as_str()), t))
        .collect();
    for entry in toc
        .entries
        .iter_mut()
        .filter(|e| e.desc == desc::SEQUENCE_SET && e.defn.is_none())
    {
        let schema = entry.namespace.clone().unwrap_or_default();
        let Some(table) = sequences.get(&(schema.as_str(), entry.tag.as_str())) else {
            return Err(DumpError::Unsupported(format!(
                "sequence {schema}.{} is not in the catalog",
                entry.tag
            )));
        };
        let name = quoter.qualified(&schema, &table.name);
        let failed = |source| DumpError::Data {
            what: format!("the value of sequence {name}"),
            source,
        };
        let messages = session
            .client()
            .simple_query(&format!("SELECT last_value, is_called FROM {name}"))
            .await
            .map_err(failed)?;
        let row = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        });
        let (Some(last), Some(called)) = (row.and_then(|r| r.get(0)), row.and_then(|r| r.get(1)))
        else {
            return Err(DumpError::Unsupported(format!(
                "could not read the value of sequence {name}"
            )));
        };
        let last: i64 = last.parse().map_err(|_| {
            DumpError::Unsupported(format!("sequence {name} has an unreadable value {last:?}"))
        })?;
        entry.defn = Some(format!(
            "SELECT pg_catalog.setval({}, {last}, {});\n",
            quote::literal(&name, catalog.database.std_strings),
            called == "t"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_pg_dump_writes_them() {
        let mut out = String::new();
        let cases: &[(ValueKind, Option<&str>, &str)] = &[
            (ValueKind::Number, Some("-1.5e10"), "-1.5e10"),
            (ValueKind::Number, Some("NaN"), "'NaN'"),
            (ValueKind::Number, Some("-Infinity"), "'-Infinity'"),
            (ValueKind::Bits, Some("0101"), "B'0101'"),
            (ValueKind::Bool, Some("t"), "true"),
            (ValueKind::Bool, Some("f"), "false"),
            (ValueKind::Text, Some("it's \\ here"), "'it''s \\ here'"),
            (ValueKind::Text, None, "NULL"),
            (ValueKind::Default, Some("x"), "DEFAULT"),
        ];
        for (kind, value, expected) in cases {
            out.clear();
            push_value(&mut out, *kind, *value, true);
            assert_eq!(out, *expected, "{kind:?} {value:?}");
        }
        out.clear();
        push_value(&mut out, ValueKind::Text, Some("a\\b"), false);
        assert_eq!(out, "'a\\\\b'");
    }

    #[test]
    fn hex_is_decoded() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    fn number_types_are_recognised_by_oid() {
        for oid in [20, 21, 23, 26, 700, 701, 1700] {
            assert_eq!(value_kind(oid), ValueKind::Number);
        }
        assert_eq!(value_kind(1560), ValueKind::Bits);
        assert_eq!(value_kind(16), ValueKind::Bool);
        assert_eq!(value_kind(25), ValueKind::Text);
        assert_eq!(value_kind(790), ValueKind::Text);
    }
}
