//! Restoring an archive into a database (`pgferry restore -d`), entry by entry as pg_restore does.
//!
//! Each entry's SQL is rendered by the script writer's [`EntryRenderer`] (so a restore runs exactly what
//! `restore -f` would print) and sent with the simple query protocol, one entry per round trip: the statements
//! of one entry succeed or fail together, as with pg_restore. Table data goes through `COPY ... FROM STDIN`,
//! streamed from the archive in chunks by a thread that owns the archive reader (decompression runs there, off
//! the async threads), so no table is held in memory. Large objects are written with `lowrite` in pieces.
//! Where the data comes from is a [`DataFeed`]: the archive thread for archives, or a live source database's
//! streams (`pgferry copy`, through [`restore_feed`](crate::restore_feed)); either way through bounded channels.
//!
//! A failed entry is reported with the entry it came from and the restore goes on, unless `--exit-on-error` or
//! `--single-transaction` says to stop; the count comes back in the summary.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::SinkExt;
use pgferry_archive::read::Archive;
use pgferry_archive::script::{restore_pass, EntryRenderer, RestorePass, ScriptOptions};
use pgferry_archive::{desc, DumpId, Section, Toc, TocEntry};
use pgferry_conn::{ConnConfig, Session};
use pgferry_progress::{Phase, Progress, TableProgress};
use tokio::sync::{mpsc, oneshot};

use crate::RestoreError;

/// Data is read from the archive in chunks of this size.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the archive thread and the connection.
const CHANNEL_DEPTH: usize = 8;
/// Large objects are written in pieces of this size.
const LO_PIECE: usize = 256 * 1024;
/// `INV_WRITE`.
const INV_WRITE: i32 = 0x20000;

/// How a restore into a database runs.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// What is restored and how it is rendered (schema/data, clean, create, owners, ...).
    pub script: ScriptOptions,
    /// `-e/--exit-on-error`: stop at the first failed entry. `script.transaction_size` (commit every N
    /// entries) implies it.
    pub exit_on_error: bool,
    /// `--no-data-for-failed-tables`: when a table cannot be created (it exists already, say), skip its
    /// data rather than appending the archive's rows to what the table holds.
    pub no_data_for_failed_tables: bool,
    /// Counters for a progress report (entries done, rows and bytes per table), when someone reports it.
    pub progress: Option<Arc<Progress>>,
}

/// One entry that failed.
#[derive(Debug, Clone)]
pub struct EntryError {
    /// The entry, as pg_restore names it: `215; 1259 16386 TABLE public t owner`.
    pub entry: String,
    /// The server's (or the archive's) error.
    pub message: String,
    /// The statement that failed, when there is one.
    pub statement: Option<String>,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "from TOC entry {}: {}", self.entry, self.message)?;
        if let Some(statement) = &self.statement {
            write!(f, "\nCommand was: {}", statement.trim_end())?;
        }
        Ok(())
    }
}

/// What a restore did.
#[derive(Debug, Clone, Default)]
pub struct RestoreSummary {
    /// Entries restored (or attempted).
    pub entries: usize,
    /// The entries that failed, when the restore went on.
    pub errors: Vec<EntryError>,
}

/// An entry in archive read errors: `3358 (TABLE DATA app authors)`.
pub(crate) fn entry_name(entry: &TocEntry) -> String {
    match entry.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(schema) => format!("{} ({} {schema} {})", entry.dump_id, entry.desc, entry.tag),
        None => format!("{} ({} {})", entry.dump_id, entry.desc, entry.tag),
    }
}

/// How pg_restore names an entry in messages: as `pg_restore -l` lists it.
fn entry_label(entry: &TocEntry) -> String {
    pgferry_archive::read::list_line(entry)
}

/// Restores `toc` (the archive's TOC, as selected) from `archive` into the database `config` names, on one
/// connection.
pub async fn restore_archive(
    config: &ConnConfig,
    archive: Archive,
    toc: &Toc,
    options: &RestoreOptions,
) -> Result<RestoreSummary, RestoreError> {
    restore_serial(
        config,
        Box::new(ArchiveThread::start(archive)),
        toc,
        options,
        None,
    )
    .await
}

/// Where a restore takes the data of its data entries from, when it is not an archive it reads itself: a
/// live database, say (`pgferry copy` hands a source database's rows straight to the restore). Each
/// connection of a restore has its own feed, and asks it for one entry's data at a time.
///
/// The data comes through bounded channels, so the feed waits while the restore is busy and no entry is ever
/// held whole. A receiver may be dropped before its end (the restore's `COPY` failed): the feed should then
/// stop sending, or go on for another purpose of its own, but never block on it.
pub trait DataFeed: Send {
    /// The data of `entry` (a data entry with a data stream, not `BLOBS`): COPY text ending with the `\.`
    /// line when the entry has a COPY statement, SQL statements otherwise, in chunks of any size. An `Err`
    /// item means the data could not be read: the restore fails with it.
    fn data(&mut self, entry: &TocEntry) -> mpsc::Receiver<io::Result<Bytes>>;

    /// The large objects of the `BLOBS` entry `entry`, in order: each one's start, contents and end.
    fn blobs(&mut self, entry: &TocEntry) -> mpsc::Receiver<BlobEvent>;
}

/// Restores on one connection, the data coming from `feed`.
pub(crate) async fn restore_serial(
    config: &ConnConfig,
    feed: Box<dyn DataFeed + '_>,
    toc: &Toc,
    options: &RestoreOptions,
    estimated_bytes: Option<u64>,
) -> Result<RestoreSummary, RestoreError> {
    plan_progress(toc, options, estimated_bytes);
    let mut run = Worker::connect(config, feed, toc, options).await?;
    if options.script.single_transaction {
        run.execute_control("BEGIN").await?;
    }
    run.drops().await?;
    for pass in [RestorePass::Main, RestorePass::Acl, RestorePass::PostAcl] {
        for entry in toc.entries.iter().filter(|e| restore_pass(e) == pass) {
            run.entry(entry).await?;
        }
    }
    if options.script.single_transaction {
        run.execute_control("COMMIT").await?;
    }
    run.finish().await?;
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    Ok(run.summary)
}

/// Tells the progress counters what the restore will do: the entries it takes, and the data streams among them
/// (about `estimated_bytes` of data, when someone knows).
pub(crate) fn plan_progress(toc: &Toc, options: &RestoreOptions, estimated_bytes: Option<u64>) {
    let Some(progress) = &options.progress else {
        return;
    };
    let renderer = EntryRenderer::new(options.script.clone());
    let (mut objects, mut tables) = (0, 0);
    for entry in &toc.entries {
        let parts = renderer.parts(entry);
        if parts.schema || parts.data {
            objects += 1;
        }
        if parts.data && entry.had_dumper {
            tables += 1;
        }
    }
    progress.plan(objects, tables, estimated_bytes);
}

/// `schema.table` for progress reports.
fn progress_name(entry: &TocEntry) -> String {
    match entry.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(schema) => format!("{schema}.{}", entry.tag),
        None => entry.tag.clone(),
    }
}

/// The encoding COPY data is in, when it is not UTF-8 (the connection's): pg_dump's archives of other
/// databases hold their rows in the database's encoding.
fn copy_encoding(toc: &Toc) -> Option<String> {
    let encoding = toc.header.encoding.as_str();
    (!matches!(encoding, "" | "UTF8" | "SQL_ASCII")).then(|| encoding.to_owned())
}

fn render(e: io::Error) -> RestoreError {
    RestoreError::Archive(e.to_string())
}

/// One connection of a restore, with its own rendering state and archive reader.
pub(crate) struct Worker<'a> {
    pub(crate) summary: RestoreSummary,
    config: ConnConfig,
    session: Session,
    renderer: EntryRenderer,
    options: &'a RestoreOptions,
    toc: &'a Toc,
    reader: Box<dyn DataFeed + 'a>,
    copy_encoding: Option<String>,
    /// `--transaction-size`: a transaction is open, and how many entries it holds.
    batch: Option<usize>,
    /// What became of the TABLE entries, shared by every connection of the restore.
    tables: Arc<Mutex<TableOutcomes>>,
}

/// The TABLE entries a restore created, and those it failed to create.
#[derive(Debug, Default)]
struct TableOutcomes {
    /// Their data can be loaded with COPY FREEZE.
    created: HashSet<DumpId>,
    /// With `--no-data-for-failed-tables`, their data is skipped.
    failed: HashSet<DumpId>,
}

impl<'a> Worker<'a> {
    /// Connects and sets the session up; the data of the entries comes from `feed`.
    pub(crate) async fn connect(
        config: &ConnConfig,
        feed: Box<dyn DataFeed + 'a>,
        toc: &'a Toc,
        options: &'a RestoreOptions,
    ) -> Result<Worker<'a>, RestoreError> {
        let mut worker = Worker {
            config: config.clone(),
            session: pgferry_conn::connect(config).await?,
            renderer: EntryRenderer::new(options.script.clone()),
            options,
            toc,
            reader: feed,
            summary: RestoreSummary::default(),
            copy_encoding: copy_encoding(toc),
            batch: None,
            tables: Arc::default(),
        };
        worker.start_session().await?;
        Ok(worker)
    }

    /// Shares the record of created and failed tables with `other` (parallel workers see what the leader
    /// created).
    pub(crate) fn share_tables(&mut self, other: &Worker<'_>) {
        self.tables = Arc::clone(&other.tables);
    }

    /// Commits the open `--transaction-size` batch, if any.
    pub(crate) async fn finish(&mut self) -> Result<(), RestoreError> {
        if self.batch.take().is_some() {
            self.execute_control("COMMIT").await?;
        }
        Ok(())
    }

    /// After an entry: with `--transaction-size`, commit when the batch is full.
    async fn count_in_batch(&mut self) -> Result<(), RestoreError> {
        let size = self.options.script.transaction_size;
        if let Some(count) = self.batch.as_mut() {
            *count += 1;
            if *count >= size {
                self.execute_control("COMMIT").await?;
                self.execute_control("BEGIN").await?;
                self.batch = Some(0);
            }
        }
        Ok(())
    }

    /// The connection settings in use (after `--create`, the new database's).
    pub(crate) fn config(&self) -> &ConnConfig {
        &self.config
    }

    /// `--clean`: every entry's DROP, in reverse order.
    pub(crate) async fn drops(&mut self) -> Result<(), RestoreError> {
        if !self.options.script.clean {
            return Ok(());
        }
        for entry in self.toc.entries.iter().rev() {
            let mut text = Vec::new();
            self.renderer.drop_entry(entry, &mut text).map_err(render)?;
            self.execute_entry(entry, text).await?;
        }
        Ok(())
    }

    /// pg_restore's fixed session settings, but the connection's client encoding stays UTF-8 (the driver's):
    /// the server converts.
    async fn start_session(&mut self) -> Result<(), RestoreError> {
        let mut text = Vec::new();
        self.renderer
            .session_settings(self.toc, &mut text)
            .map_err(render)?;
        let text = String::from_utf8_lossy(&text);
        // Servers before 17 have no transaction_timeout (pg_restore 17+ sends it anyway, and fails there).
        let old_server = self.session.server_version() < pgferry_conn::ServerVersion::V17;
        let settings: String = text
            .lines()
            .filter(|l| !l.starts_with("SET client_encoding"))
            .filter(|l| !(old_server && l.starts_with("SET transaction_timeout")))
            .map(|l| format!("{l}\n"))
            .collect();
        self.session
            .client()
            .batch_execute(&settings)
            .await
            .map_err(|source| RestoreError::Session {
                statement: settings.trim().to_owned(),
                source,
            })?;
        self.batch = None;
        if self.options.script.transaction_size > 0 {
            self.execute_control("BEGIN").await?;
            self.batch = Some(0);
        }
        Ok(())
    }

    pub(crate) async fn execute_control(&mut self, statement: &str) -> Result<(), RestoreError> {
        self.session
            .client()
            .batch_execute(statement)
            .await
            .map_err(|source| RestoreError::Session {
                statement: statement.to_owned(),
                source,
            })
    }

    /// Records a failed entry; an error to return when the restore must stop.
    fn failed(
        &mut self,
        entry: &TocEntry,
        message: String,
        statement: Option<String>,
    ) -> Result<(), RestoreError> {
        let error = EntryError {
            entry: entry_label(entry),
            message,
            statement,
        };
        if self.options.exit_on_error
            || self.options.script.single_transaction
            || self.options.script.transaction_size > 0
        {
            return Err(RestoreError::Entry(Box::new(error)));
        }
        // The caller reports the errors (pgferry restore: at the end, before the count); -v shows them as
        // they happen.
        tracing::debug!("{error}");
        self.summary.errors.push(error);
        Ok(())
    }

    /// Sends one entry's rendered SQL.
    /// Sends one entry's rendered SQL; whether it succeeded (a failure is recorded, or returned when the
    /// restore must stop).
    async fn execute_entry(
        &mut self,
        entry: &TocEntry,
        text: Vec<u8>,
    ) -> Result<bool, RestoreError> {
        let text = String::from_utf8_lossy(&text).into_owned();
        if text.trim().is_empty() {
            return Ok(true);
        }
        match self.session.client().batch_execute(&text).await {
            Ok(()) => Ok(true),
            Err(e) => {
                let message = pgferry_conn::describe_pg_error(&e);
                self.failed(entry, message, Some(text))?;
                Ok(false)
            }
        }
    }

    /// Sends an entry's statements one by one (CREATE DATABASE cannot run in the implicit transaction of a query
    /// of several statements); whether all succeeded.
    async fn execute_each(&mut self, entry: &TocEntry, text: &[u8]) -> Result<bool, RestoreError> {
        let mut splitter = SimpleStatements::new(self.toc.header.std_strings);
        let mut statements = splitter.push(text);
        statements.push(splitter.finish());
        let mut all = true;
        for statement in statements {
            all &= self.execute_entry(entry, statement.into_bytes()).await?;
        }
        Ok(all)
    }

    /// Restores one entry: its definition, its data, or both.
    pub(crate) async fn entry(&mut self, entry: &TocEntry) -> Result<(), RestoreError> {
        let parts = self.renderer.parts(entry);
        if !(parts.schema || parts.data) {
            return Ok(());
        }
        self.summary.entries += 1;
        if parts.schema {
            if entry.desc == desc::DATABASE {
                // CREATE DATABASE cannot run inside a transaction block.
                self.finish().await?;
            }
            let mut text = Vec::new();
            self.renderer
                .schema(self.toc, entry, &mut text)
                .map_err(render)?;
            let created = if entry.desc == desc::DATABASE {
                self.execute_each(entry, &text).await?
            } else {
                self.execute_entry(entry, text).await?
            };
            if entry.desc == desc::TABLE {
                let mut tables = lock_tables(&self.tables);
                if created {
                    tables.created.insert(entry.dump_id);
                } else {
                    tables.failed.insert(entry.dump_id);
                }
            }
            if entry.desc == desc::DATABASE {
                self.reconnect(&entry.tag).await?;
            }
        }
        if parts.data && self.skips_data_of_failed_table(entry) {
            tracing::warn!(
                "table \"{}\" could not be created, its data is not restored",
                entry.tag
            );
            return Ok(());
        }
        if let Some(progress) = &self.options.progress {
            progress.phase(match entry.section {
                Section::Data => Phase::Data,
                Section::PostData => Phase::PostData,
                _ => Phase::PreData,
            });
        }
        if parts.data {
            if entry.had_dumper {
                self.data(entry).await?;
            } else {
                let mut text = Vec::new();
                self.renderer
                    .data_statement(self.toc, entry, &mut text)
                    .map_err(render)?;
                self.execute_entry(entry, text).await?;
            }
        }
        self.count_in_batch().await?;
        if let Some(progress) = &self.options.progress {
            progress.object_done();
        }
        Ok(())
    }

    /// `--no-data-for-failed-tables`: whether `entry` is the data of a table that could not be created (a
    /// TABLE DATA entry's first dependency is its table).
    fn skips_data_of_failed_table(&self, entry: &TocEntry) -> bool {
        self.options.no_data_for_failed_tables
            && entry.desc == desc::TABLE_DATA
            && entry
                .dependencies
                .first()
                .is_some_and(|table| lock_tables(&self.tables).failed.contains(table))
    }

    /// `--create`: the database was just created; the rest goes into it.
    async fn reconnect(&mut self, dbname: &str) -> Result<(), RestoreError> {
        let mut config = self.config.clone();
        config.dbname = dbname.to_owned();
        self.session = pgferry_conn::connect(&config).await?;
        self.config = config;
        self.renderer = EntryRenderer::new(self.options.script.clone());
        self.start_session().await?;
        if self.options.script.single_transaction {
            self.execute_control("BEGIN").await?;
        }
        Ok(())
    }

    async fn data(&mut self, entry: &TocEntry) -> Result<(), RestoreError> {
        let mut start = Vec::new();
        self.renderer
            .data_start(self.toc, entry, &mut start)
            .map_err(render)?;
        self.execute_entry(entry, start).await?;
        if entry.desc == desc::BLOBS {
            self.large_objects(entry).await?;
        } else {
            match entry.copy_stmt.as_deref().filter(|c| !c.trim().is_empty()) {
                Some(copy) => self.copy(entry, copy).await?,
                None => self.statements(entry).await?,
            }
        }
        let mut end = Vec::new();
        self.renderer.data_end(entry, &mut end).map_err(render)?;
        self.execute_entry(entry, end).await.map(drop)
    }

    /// `COPY ... FROM stdin` with the entry's rows, streamed from the archive.
    async fn copy(&mut self, entry: &TocEntry, copy: &str) -> Result<(), RestoreError> {
        let freeze = self.prepare_freeze(entry, copy).await?;
        let statement = copy_statement(copy, self.copy_encoding.as_deref(), freeze.is_some());
        let result = self.copy_rows(entry, &statement).await;
        match (freeze, &result) {
            (Some(Freeze::OwnTransaction), Ok(())) => self.execute_control("COMMIT").await?,
            (Some(Freeze::Savepoint), Ok(())) => {
                self.execute_control("RELEASE SAVEPOINT pgferry_freeze")
                    .await?
            }
            _ => {}
        }
        result
    }

    /// Whether the rows of `entry` can go in with COPY FREEZE: its table was created by this restore and is
    /// the COPY's target (not a partition root loaded through). Outside `-1` (where the table was created in
    /// the same transaction) the table is emptied with TRUNCATE in the COPY's own transaction or
    /// subtransaction, which the server requires; if TRUNCATE fails, the rows go in without FREEZE.
    async fn prepare_freeze(
        &mut self,
        entry: &TocEntry,
        copy: &str,
    ) -> Result<Option<Freeze>, RestoreError> {
        let Some(table) = entry
            .dependencies
            .first()
            .and_then(|id| self.toc.entry(*id))
            .filter(|t| t.desc == desc::TABLE)
        else {
            return Ok(None);
        };
        if !lock_tables(&self.tables).created.contains(&table.dump_id) {
            return Ok(None);
        }
        let name = pgferry_archive::quote::qualified(
            entry.namespace.as_deref().unwrap_or_default(),
            &entry.tag,
        );
        if !copy.starts_with(&format!("COPY {name} ")) {
            return Ok(None);
        }
        if self.options.script.single_transaction {
            return Ok(Some(Freeze::SameTransaction));
        }
        let (begin, undo, freeze) = if self.batch.is_some() {
            (
                "SAVEPOINT pgferry_freeze",
                "ROLLBACK TO SAVEPOINT pgferry_freeze",
                Freeze::Savepoint,
            )
        } else {
            ("BEGIN", "ROLLBACK", Freeze::OwnTransaction)
        };
        self.execute_control(begin).await?;
        let truncate = format!("TRUNCATE TABLE ONLY {name}");
        match self.session.client().batch_execute(&truncate).await {
            Ok(()) => Ok(Some(freeze)),
            Err(e) => {
                tracing::debug!(
                    "loading {name} without FREEZE: {}",
                    pgferry_conn::describe_pg_error(&e)
                );
                self.execute_control(undo).await?;
                Ok(None)
            }
        }
    }

    /// Streams the rows of `entry` into `statement` (a `COPY ... FROM stdin`).
    async fn copy_rows(&mut self, entry: &TocEntry, statement: &str) -> Result<(), RestoreError> {
        let statement = statement.to_owned();
        let mut chunks = self.reader.data(entry);
        let counted = self.track(entry);
        let result = async {
            let sink = self
                .session
                .client()
                .copy_in::<_, Bytes>(&statement)
                .await?;
            let mut sink = Box::pin(sink);
            let mut terminator = CopyEnd::default();
            let mut read_error = None;
            while let Some(chunk) = chunks.recv().await {
                match chunk {
                    Ok(chunk) => {
                        let (rows, done) = terminator.rows(&chunk);
                        // The rows are the chunk's first bytes: hand them on without a copy.
                        let rows = match rows {
                            Cow::Borrowed(prefix) => chunk.slice(..prefix.len()),
                            Cow::Owned(bytes) => Bytes::from(bytes),
                        };
                        if !rows.is_empty() {
                            if let Some(counted) = &counted {
                                counted.add(&rows);
                            }
                            sink.send(rows).await?;
                        }
                        if done {
                            break;
                        }
                    }
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                }
            }
            if read_error.is_none() && !terminator.done {
                // pg_dump ends every table's rows with the `\.` line: rows without it were cut short (an
                // uncompressed data file truncated at a row's end reads as if it were whole).
                read_error = Some(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the rows stop before their end marker (\\.): the archive is damaged",
                ));
            }
            if let Some(e) = read_error {
                // Dropping the sink unfinished abandons the COPY: the server discards what it got.
                drop(sink);
                return Ok(Err(e));
            }
            sink.as_mut().finish().await.map(|_| Ok(()))
        }
        .await;
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(read)) => Err(RestoreError::Archive(format!(
                "reading the data of TOC entry {}: {read}",
                entry_name(entry)
            ))),
            Err(e) => {
                let message = pgferry_conn::describe_pg_error(&e);
                self.failed(entry, message, Some(statement))?;
                // After a COPY that failed, tokio-postgres may be out of step with the server (it can send a
                // Sync too many when the COPY fails before its data, rust-postgres issue 789): go on with a new
                // connection rather than trust this one.
                self.fresh_connection().await
            }
        }
    }

    /// Starts counting `entry`'s data, when the restore reports progress.
    fn track(&self, entry: &TocEntry) -> Option<TableProgress> {
        let progress = self.options.progress.as_ref()?;
        Some(progress.table(&progress_name(entry), None))
    }

    /// Replaces the connection by a new one with the same settings.
    async fn fresh_connection(&mut self) -> Result<(), RestoreError> {
        self.session = pgferry_conn::connect(&self.config).await?;
        self.renderer = EntryRenderer::new(self.options.script.clone());
        self.start_session().await
    }

    /// Data stored as SQL (`--inserts` archives): each statement on its own, as pg_restore runs them.
    async fn statements(&mut self, entry: &TocEntry) -> Result<(), RestoreError> {
        let mut chunks = self.reader.data(entry);
        let mut splitter = SimpleStatements::new(self.toc.header.std_strings);
        let counted = self.track(entry);
        while let Some(chunk) = chunks.recv().await {
            let chunk = chunk.map_err(|e| {
                RestoreError::Archive(format!(
                    "reading the data of TOC entry {}: {e}",
                    entry_name(entry)
                ))
            })?;
            if let Some(counted) = &counted {
                counted.add(&chunk);
            }
            for statement in splitter.push(&chunk) {
                self.execute_entry(entry, statement.into_bytes()).await?;
            }
        }
        let rest = splitter.finish();
        self.execute_entry(entry, rest.into_bytes()).await.map(drop)
    }

    /// The large objects of a BLOBS entry, in one transaction (unless the whole restore is one).
    async fn large_objects(&mut self, entry: &TocEntry) -> Result<(), RestoreError> {
        let own_transaction = !self.options.script.single_transaction && self.batch.is_none();
        if own_transaction {
            self.execute_control("BEGIN").await?;
        }
        let mut events = self.reader.blobs(entry);
        let counted = self.track(entry);
        let mut current: Option<(u32, i32)> = None;
        let mut failure = None;
        while let Some(event) = events.recv().await {
            let step = match event {
                BlobEvent::Start(oid) => {
                    let open = self
                        .session
                        .client()
                        .query_one("SELECT pg_catalog.lo_open($1, $2)", &[&oid, &INV_WRITE])
                        .await;
                    open.map(|row| current = Some((oid, row.get::<_, i32>(0))))
                        .map_err(|e| (format!("large object {oid}"), e))
                }
                BlobEvent::Chunk(bytes) => match current {
                    Some((oid, fd)) => {
                        if let Some(counted) = &counted {
                            counted.add_counts(0, bytes.len() as u64);
                        }
                        self.session
                            .client()
                            .execute("SELECT pg_catalog.lowrite($1, $2)", &[&fd, &&bytes[..]])
                            .await
                            .map(drop)
                            .map_err(|e| (format!("large object {oid}"), e))
                    }
                    None => Ok(()),
                },
                BlobEvent::End => match current.take() {
                    Some((oid, fd)) => self
                        .session
                        .client()
                        .execute("SELECT pg_catalog.lo_close($1)", &[&fd])
                        .await
                        .map(drop)
                        .map_err(|e| (format!("large object {oid}"), e)),
                    None => Ok(()),
                },
                BlobEvent::Failed(e) => {
                    return Err(RestoreError::Archive(format!(
                        "reading the large objects of TOC entry {}: {e}",
                        entry_name(entry)
                    )))
                }
            };
            if let Err((what, e)) = step {
                failure = Some(format!("{what}: {}", pgferry_conn::describe_pg_error(&e)));
                break;
            }
        }
        drop(events);
        if let Some(message) = failure {
            if own_transaction {
                let _ = self.session.client().batch_execute("ROLLBACK").await;
            }
            return self.failed(entry, message, None);
        }
        if own_transaction {
            self.execute_control("COMMIT").await?;
        }
        Ok(())
    }
}

/// How a COPY FREEZE was prepared.
enum Freeze {
    /// `-1`: the table was created in this very transaction.
    SameTransaction,
    /// A transaction of its own, begun with the TRUNCATE: commit after the rows.
    OwnTransaction,
    /// A subtransaction of the `--transaction-size` batch: release after the rows.
    Savepoint,
}

/// The COPY statement to send: the archive's `COPY t (a) FROM stdin;`, with `FREEZE`, and with the encoding
/// the rows are in when it is not UTF-8.
fn copy_statement(copy: &str, encoding: Option<&str>, freeze: bool) -> String {
    let statement = copy.trim_end().trim_end_matches(';');
    let mut options = Vec::new();
    if freeze {
        options.push("FREEZE".to_owned());
    }
    if let Some(encoding) = encoding {
        options.push(format!(
            "ENCODING {}",
            pgferry_archive::quote::literal(encoding, true)
        ));
    }
    if options.is_empty() {
        statement.to_owned()
    } else {
        format!("{statement} WITH ({})", options.join(", "))
    }
}

fn lock_tables(tables: &Mutex<TableOutcomes>) -> std::sync::MutexGuard<'_, TableOutcomes> {
    tables.lock().unwrap_or_else(|e| e.into_inner())
}

/// Finds the end of COPY rows in an archive's data stream: the line `\.` (rows never hold it: COPY escapes
/// backslashes), after which only blank lines follow. The server must not see it, nor what comes after.
#[derive(Debug, Default)]
struct CopyEnd {
    /// The previous chunk ended a line (or nothing came yet).
    mid_line: bool,
    /// A line start followed by a backslash ended the previous chunk.
    pending_backslash: bool,
    done: bool,
}

impl CopyEnd {
    /// The rows in `chunk` (with a backslash held back from the previous chunk, when it turned out to be data),
    /// and whether the end marker came.
    fn rows<'c>(&mut self, chunk: &'c [u8]) -> (Cow<'c, [u8]>, bool) {
        if self.done {
            return (Cow::Borrowed(&[]), true);
        }
        if self.pending_backslash {
            self.pending_backslash = false;
            if is_marker_rest(chunk) {
                self.done = true;
                return (Cow::Borrowed(&[]), true);
            }
            // The backslash started a row: send it with the rest.
            self.mid_line = true;
            let (rows, done) = self.rows(chunk);
            let mut with = Vec::with_capacity(rows.len() + 1);
            with.push(b'\\');
            with.extend_from_slice(&rows);
            return (Cow::Owned(with), done);
        }
        let mut at_line_start = !self.mid_line;
        for i in 0..chunk.len() {
            if at_line_start && chunk[i] == b'\\' {
                if i + 1 == chunk.len() {
                    self.pending_backslash = true;
                    self.mid_line = false;
                    return (Cow::Borrowed(&chunk[..i]), false);
                }
                if is_marker_rest(&chunk[i + 1..]) {
                    self.done = true;
                    return (Cow::Borrowed(&chunk[..i]), true);
                }
            }
            at_line_start = chunk[i] == b'\n';
        }
        self.mid_line = !at_line_start;
        (Cow::Borrowed(chunk), false)
    }
}

/// Whether what follows a line-starting backslash makes it the end marker: a dot, then the line's end.
fn is_marker_rest(rest: &[u8]) -> bool {
    rest.first() == Some(&b'.') && matches!(rest.get(1), Some(b'\n') | Some(b'\r') | None)
}

/// Splits SQL data (`--inserts` archives) into statements as pg_restore does: at semicolons outside single
/// and double quotes (backslash escapes in strings when standard_conforming_strings is off).
#[derive(Debug)]
struct SimpleStatements {
    std_strings: bool,
    current: Vec<u8>,
    quote: Option<u8>,
    backslash: bool,
}

impl SimpleStatements {
    fn new(std_strings: bool) -> SimpleStatements {
        SimpleStatements {
            std_strings,
            current: Vec::new(),
            quote: None,
            backslash: false,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut done = Vec::new();
        for &b in bytes {
            self.current.push(b);
            match self.quote {
                None => match b {
                    b'\'' | b'"' => self.quote = Some(b),
                    b';' => {
                        let statement = std::mem::take(&mut self.current);
                        done.push(String::from_utf8_lossy(&statement).into_owned());
                    }
                    _ => {}
                },
                Some(q) => {
                    if self.backslash {
                        self.backslash = false;
                    } else if b == b'\\' && q == b'\'' && !self.std_strings {
                        self.backslash = true;
                    } else if b == q {
                        self.quote = None;
                    }
                }
            }
        }
        done
    }

    /// What is left after the last semicolon (whitespace, normally).
    fn finish(self) -> String {
        String::from_utf8_lossy(&self.current).into_owned()
    }
}

/// The data of a `BLOBS` entry, as a [`DataFeed`] hands it over: for each large object, `Start`, its contents
/// in `Chunk`s, `End`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobEvent {
    /// A large object with this OID starts.
    Start(u32),
    /// Bytes of the current large object.
    Chunk(Bytes),
    /// The current large object is complete.
    End,
    /// The large objects could not be read (why): the restore fails.
    Failed(String),
}

enum Request {
    Data(DumpId, mpsc::Sender<io::Result<Bytes>>),
    Blobs(DumpId, mpsc::Sender<BlobEvent>),
}

/// A thread that owns the archive reader and streams data streams to the connection on request: the
/// [`DataFeed`] of archives.
pub(crate) struct ArchiveThread {
    requests: std::sync::mpsc::Sender<Request>,
    _done: oneshot::Receiver<()>,
}

impl ArchiveThread {
    pub(crate) fn start(mut archive: Archive) -> ArchiveThread {
        let (requests, incoming) = std::sync::mpsc::channel::<Request>();
        let (done, _done) = oneshot::channel();
        std::thread::spawn(move || {
            while let Ok(request) = incoming.recv() {
                match request {
                    Request::Data(id, out) => stream_data(&mut archive, id, &out),
                    Request::Blobs(id, out) => stream_blobs(&mut archive, id, &out),
                }
            }
            let _ = done.send(());
        });
        ArchiveThread { requests, _done }
    }
}

impl DataFeed for ArchiveThread {
    fn data(&mut self, entry: &TocEntry) -> mpsc::Receiver<io::Result<Bytes>> {
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        let _ = self.requests.send(Request::Data(entry.dump_id, sender));
        receiver
    }

    fn blobs(&mut self, entry: &TocEntry) -> mpsc::Receiver<BlobEvent> {
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        let _ = self.requests.send(Request::Blobs(entry.dump_id, sender));
        receiver
    }
}

fn stream_data(archive: &mut Archive, id: DumpId, out: &mpsc::Sender<io::Result<Bytes>>) {
    let mut reader = match archive.data(id) {
        Ok(reader) => reader,
        Err(e) => {
            let _ = out.blocking_send(Err(io::Error::other(e.to_string())));
            return;
        }
    };
    loop {
        let mut chunk = vec![0u8; CHUNK];
        match reader.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                chunk.truncate(n);
                if out.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = out.blocking_send(Err(e));
                return;
            }
        }
    }
}

fn stream_blobs(archive: &mut Archive, id: DumpId, out: &mpsc::Sender<BlobEvent>) {
    let failed = |e: &dyn fmt::Display| {
        let _ = out.blocking_send(BlobEvent::Failed(e.to_string()));
    };
    let mut objects = match archive.large_objects(id) {
        Ok(objects) => objects,
        Err(e) => return failed(&e),
    };
    loop {
        let mut object = match objects.next_object() {
            Ok(Some(object)) => object,
            Ok(None) => return,
            Err(e) => return failed(&e),
        };
        if out.blocking_send(BlobEvent::Start(object.oid())).is_err() {
            return;
        }
        loop {
            let mut piece = vec![0u8; LO_PIECE];
            match object.read(&mut piece) {
                Ok(0) => break,
                Ok(n) => {
                    piece.truncate(n);
                    if out
                        .blocking_send(BlobEvent::Chunk(Bytes::from(piece)))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return failed(&e),
            }
        }
        if out.blocking_send(BlobEvent::End).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_end_marker_is_found_across_chunks() {
        let data = b"1\tx\n2\t\\\\.\n\\N\tz\n\\.\n\n\n";
        for cut in 0..data.len() {
            let mut end = CopyEnd::default();
            let mut rows = Vec::new();
            let mut finished = false;
            for piece in [&data[..cut], &data[cut..]] {
                let (got, done) = end.rows(piece);
                rows.extend_from_slice(&got);
                if done {
                    finished = true;
                    break;
                }
            }
            assert!(finished, "cut at {cut}");
            assert_eq!(rows, b"1\tx\n2\t\\\\.\n\\N\tz\n", "cut at {cut}");
        }
    }

    #[test]
    fn insert_data_splits_at_semicolons_outside_quotes() {
        let mut split = SimpleStatements::new(true);
        let mut got =
            split.push(b"INSERT INTO t VALUES ('a;b', \"c;\");\nINSERT INTO t VALUES ('it''s');");
        got.extend(split.push(b"\n\n"));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], "INSERT INTO t VALUES ('a;b', \"c;\");");
        let mut old = SimpleStatements::new(false);
        let got = old.push(b"INSERT INTO t VALUES ('x\\';y');");
        assert_eq!(got, vec!["INSERT INTO t VALUES ('x\\';y');".to_owned()]);
    }
}
