//! The dump engine: session and snapshot, locks, catalog read, plan, and writing the archive.
//!
//! [`dump`] connects (refusing transaction poolers unless allowed), sets the session up as pg_dump does,
//! opens a `REPEATABLE READ, READ ONLY` transaction (or imports a snapshot), resolves the selection patterns
//! against the catalog, reads the catalog with the selected tables locked, plans the TOC and writes it.
//!
//! The output is the plain SQL script ([`dump`]), with table data (COPY blocks or INSERT statements), sequence
//! values and large objects read in the same snapshot while the script is written (modules `data` and `plain`),
//! or an archive in the custom, directory or tar format ([`dump_archive`]; module `archive`), written serially on
//! the one session or by `-j` workers in the leader's snapshot (module `parallel`). [`PreparedDump`] hands the
//! same data out as streams, for `pgferry copy`.

mod archive;
mod data;
mod parallel;
mod plain;
mod select;
mod session;
mod stream;

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use pgferry_archive::quote::Quoter;
use pgferry_archive::script::{write_script, NoData, ScriptOptions};
use pgferry_catalog::{read_catalog, Catalog, CatalogError, ReadOptions, Table};
use pgferry_conn::pooler;
use pgferry_conn::{ConnConfig, ConnectError, Session};
use pgferry_plan::{PlanError, PlanOptions};
use pgferry_progress::Progress;

pub use archive::ArchiveTarget;
pub use data::DataOptions;
pub use pgferry_archive::format::{ArchiveFormat, ArchiveVersion, Compression};
pub use select::{NamePattern, PatternError};
pub use session::SessionOptions;
pub use stream::{DataStreamer, PreparedDump, StreamOutput};

/// Everything a dump needs to know.
#[derive(Debug, Clone, Default)]
pub struct DumpOptions {
    /// What goes into the plan (schema, data, `--no-*`); the OID sets are filled from the patterns below.
    pub plan: PlanOptions,
    /// Session and snapshot settings.
    pub session: SessionOptions,
    /// `-n`.
    pub schemas: Vec<String>,
    /// `-N`.
    pub exclude_schemas: Vec<String>,
    /// `-t`.
    pub tables: Vec<String>,
    /// `-T`.
    pub exclude_tables: Vec<String>,
    /// `--exclude-table-data`.
    pub exclude_table_data: Vec<String>,
    /// `--table-and-children`: like `-t`, with every inheritance child and partition below a match.
    pub tables_and_children: Vec<String>,
    /// `--exclude-table-and-children`.
    pub exclude_tables_and_children: Vec<String>,
    /// `--exclude-table-data-and-children`.
    pub exclude_table_data_and_children: Vec<String>,
    /// `-e`.
    pub extensions: Vec<String>,
    /// `--exclude-extension`.
    pub exclude_extensions: Vec<String>,
    /// `--include-foreign-data`: foreign server name patterns (unqualified); the rows of the foreign tables
    /// on the matching servers are dumped. Every pattern must match a server, `--strict-names` or not.
    pub include_foreign_data: Vec<String>,
    /// `--strict-names`: every include pattern must match something.
    pub strict_names: bool,
    /// How the script is written (clean, if-exists, create, owners, restrict key).
    pub script: ScriptOptions,
    /// `--allow-pooler`: dump through a transaction-mode pooler anyway.
    pub allow_pooler: bool,
    /// How table rows are written (COPY or INSERT statements).
    pub data: DataOptions,
    /// `-E UTF8`: declare UTF8 as the script's encoding even for a SQL_ASCII database (whose bytes the server
    /// hands over unconverted), as pg_dump -E UTF8 does. Other databases are declared UTF8 anyway: pgferry
    /// reads everything in UTF-8.
    pub declare_utf8: bool,
    /// Counters for a progress report (rows and bytes per table), when someone reports it.
    pub progress: Option<Arc<Progress>>,
}

/// What a dump did.
#[derive(Debug, Clone, Default)]
pub struct DumpSummary {
    /// TOC entries written.
    pub entries: usize,
    /// Catalog queries the read took.
    pub catalog_queries: usize,
    /// Statements spent locking tables.
    pub lock_statements: usize,
    /// Warnings (unresolved dependency loops and the like).
    pub warnings: Vec<String>,
}

/// Why a dump failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// No connection.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The connection goes through a transaction pooler.
    #[error(transparent)]
    Pooler(#[from] pooler::PoolerRefusal),
    /// Setting the session up failed.
    #[error("setting up the dump session failed at \"{statement}\": {}", pgferry_conn::describe_pg_error(.source))]
    Session {
        /// The statement.
        statement: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A pattern was invalid or, with `--strict-names`, matched nothing.
    #[error("{0}")]
    Selection(String),
    /// Reading the catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Reading data (table rows, a large object, a sequence value) failed.
    #[error("dumping {what} failed: {}", pgferry_conn::describe_pg_error(.source))]
    Data {
        /// What was being read: `the contents of table s.t`, `large object 16400`, ...
        what: String,
        /// The server's (or the connection's) error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Writing the output failed.
    #[error("writing the dump failed: {0}")]
    Write(#[from] std::io::Error),
    /// Writing the archive failed.
    #[error("writing the archive failed: {0}")]
    Archive(#[from] pgferry_archive::write::WriteError),
    /// A parallel worker could not lock a table the leader had locked.
    #[error(
        "a parallel worker could not lock table {table}: {}; someone asked for an exclusive lock on it after \
         the dump's leader session had locked it. Run the dump again once that session is done, or with -j 1",
        pgferry_conn::describe_pg_error(.source)
    )]
    WorkerLock {
        /// The table.
        table: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A parallel worker stopped because another one failed (never the error a dump returns).
    #[error("stopped because another parallel worker failed")]
    Stopped,
    /// Starting a parallel worker failed.
    #[error("starting parallel worker {number} failed: {source}")]
    Worker {
        /// The worker's number, from 1.
        number: usize,
        /// What failed.
        #[source]
        source: Box<DumpError>,
    },
    /// The request needs something pgferry cannot do yet.
    #[error("{0}")]
    Unsupported(String),
    /// A server error whose cause its SQLSTATE tells (a missing privilege, a full lock table), with what to do
    /// about it.
    #[error("{source}; {hint}")]
    Hinted {
        /// What to do.
        hint: String,
        /// The error.
        #[source]
        source: Box<DumpError>,
    },
}

impl DumpError {
    /// The server's error behind this one, when the server sent one.
    pub fn db_error(&self) -> Option<&tokio_postgres::error::DbError> {
        match self {
            DumpError::Connect(error) => error.db_error(),
            DumpError::Catalog(error) => error.db_error(),
            DumpError::Session { source, .. }
            | DumpError::Data { source, .. }
            | DumpError::WorkerLock { source, .. } => source.as_db_error(),
            DumpError::Worker { source, .. } | DumpError::Hinted { source, .. } => {
                source.db_error()
            }
            _ => None,
        }
    }

    /// Adds what to do to server errors whose SQLSTATE tells the cause: a privilege `role` lacks (42501), or a
    /// lock table too small for the tables the dump locks (53200, out of shared memory). Other errors are
    /// returned as they are.
    fn explained(self, role: &str) -> DumpError {
        if matches!(
            self,
            DumpError::Hinted { .. } | DumpError::Connect(_) | DumpError::Pooler(_)
        ) {
            return self;
        }
        let Some(db) = self.db_error() else {
            return self;
        };
        let hint = if *db.code() == tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE {
            let table = match &self {
                // A batch is "(one of N tables)": the server's message names the table, unqualified.
                DumpError::Catalog(CatalogError::Lock { table, .. }) if !table.starts_with('(') => {
                    Some(table.as_str())
                }
                _ => None,
            };
            privilege_hint(db.message(), role, table)
        } else if *db.code() == tokio_postgres::error::SqlState::OUT_OF_MEMORY
            && matches!(self, DumpError::Catalog(CatalogError::Lock { .. }))
        {
            "the dump holds a lock on every table it dumps until it ends, and the server's lock table is full: \
             raise max_locks_per_transaction (a server restart), or dump fewer tables at once with -n/-t"
                .to_owned()
        } else {
            return self;
        };
        DumpError::Hinted {
            hint,
            source: Box::new(self),
        }
    }
}

/// What to do when the server says `role` may not read an object (`permission denied for table x`, ...).
/// `table` is the table the failed statement was about, qualified, when it was about one.
fn privilege_hint(message: &str, role: &str, table: Option<&str>) -> String {
    let grantee = pgferry_archive::quote::ident(role);
    // The message is the server's, in English unless lc_messages says otherwise; an unknown shape gets the
    // general advice. The server names relations without their schema.
    let object = message
        .strip_prefix("permission denied for ")
        .and_then(|rest| {
            [
                "materialized view ",
                "foreign table ",
                "table ",
                "view ",
                "sequence ",
                "schema ",
                "large object ",
            ]
            .iter()
            .find_map(|kind| rest.strip_prefix(kind).map(|name| (kind.trim_end(), name)))
        });
    let (grant, leave_out) = match object {
        Some(("schema", name)) => (
            format!("GRANT USAGE ON SCHEMA {name} TO {grantee}"),
            format!("leave the schema out with -N {name}"),
        ),
        Some(("large object", name)) => (
            format!("GRANT SELECT ON LARGE OBJECT {name} TO {grantee}"),
            "leave large objects out with -B".to_owned(),
        ),
        Some((kind, name)) => {
            let (target, pattern) = match table {
                Some(table) => (table.to_owned(), table.to_owned()),
                None => (name.to_owned(), format!("'*.{name}'")),
            };
            let on = if kind == "sequence" { "SEQUENCE " } else { "" };
            (
                format!("GRANT SELECT ON {on}{target} TO {grantee}"),
                format!("leave it out with -T {pattern}"),
            )
        }
        None => (
            format!("a GRANT to {grantee}"),
            "leave the object out (-N, -T, -B, or the --no-... option for its kind)".to_owned(),
        ),
    };
    format!(
        "role \"{role}\" lacks a privilege the dump needs: have it granted ({grant}), dump as a role that has it \
         (-U, --role), or {leave_out}"
    )
}

/// Dumps the database `config` names, writing the plain SQL script to `out`.
pub async fn dump(
    config: &ConnConfig,
    options: &DumpOptions,
    out: &mut (dyn Write + Send),
) -> Result<DumpSummary, DumpError> {
    let session = connect(config, options).await?;
    let role = acting_role(&session, options);
    dump_plain(session, options, out)
        .await
        .map_err(|e| e.explained(&role))
}

async fn dump_plain(
    session: Session,
    options: &DumpOptions,
    out: &mut (dyn Write + Send),
) -> Result<DumpSummary, DumpError> {
    let prepared = prepare(session, options, options.plan.clone()).await?;
    let Prepared {
        session,
        catalog,
        toc,
        plan_options,
        quoter,
        entries,
    } = prepared;
    let mut script = options.script.clone();
    script.schema = plan_options.schema;
    // Without data the plan holds no data entries but sequence values (--sequence-data).
    script.data = plan_options.data || plan_options.sequence_data;
    script.transaction_timeout = session.server_version() >= pgferry_conn::ServerVersion::V17;
    if script.data && toc.entries.iter().any(|e| e.had_dumper) {
        let writer = data::DataWriter::new(
            &session,
            &catalog,
            &toc,
            quoter,
            &options.data,
            options.progress.clone(),
        );
        plain::write_with_data(toc, script, &writer, out).await?;
    } else {
        write_script(&toc, &script, &mut NoData, out)?;
    }
    out.flush()?;
    session::finish(&session).await?;
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    Ok(DumpSummary {
        entries,
        catalog_queries: catalog.query_count,
        lock_statements: catalog.lock_statements,
        warnings: Vec::new(),
    })
}

/// How an archive is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// Custom, directory or tar.
    pub format: ArchiveFormat,
    /// `-Z`; `None` for the format's default (gzip for custom and directory, none for tar).
    pub compression: Option<Compression>,
    /// The archive version; `None` for 1.14 (read by pg_restore 12 and later), or 1.15 when the compression
    /// needs it. 1.16 records large objects in groups with their metadata (pg_restore 17.6, 16.10 and later).
    pub version: Option<ArchiveVersion>,
    /// `fsync` a directory archive before returning (off with `--no-sync`).
    pub sync: bool,
    /// `-j`: worker sessions reading data in parallel, in the leader's snapshot (0 and 1: the leader reads it
    /// all). Directory and custom archives.
    pub jobs: usize,
}

impl ArchiveOptions {
    /// Checks what can be checked before connecting: the format takes `-j`, the compression and the version
    /// go together (tar cannot compress, lz4 and zstd need 1.15 or later). [`dump_archive`] checks the same.
    pub fn validate(&self) -> Result<(), DumpError> {
        self.write_options().map(|_| ())
    }

    fn write_options(&self) -> Result<pgferry_archive::write::WriteOptions, DumpError> {
        use pgferry_archive::write::{choose_version, default_compression, WriteOptions};
        if self.format == ArchiveFormat::Plain {
            return Err(DumpError::Unsupported(
                "a plain script is written with dump(), not as an archive".to_owned(),
            ));
        }
        if self.jobs > 1
            && !matches!(
                self.format,
                ArchiveFormat::Directory | ArchiveFormat::Custom
            )
        {
            return Err(DumpError::Unsupported(
                "parallel dumps (-j) write the directory format or the custom format".to_owned(),
            ));
        }
        let compression = self
            .compression
            .unwrap_or_else(|| default_compression(self.format));
        let version = choose_version(self.format, compression, self.version)?;
        let mut write_options = WriteOptions::new(self.format, compression, Some(version))?;
        write_options.sync = self.sync;
        Ok(write_options)
    }
}

impl Default for ArchiveOptions {
    fn default() -> ArchiveOptions {
        ArchiveOptions {
            format: ArchiveFormat::Custom,
            compression: None,
            version: None,
            sync: true,
            jobs: 1,
        }
    }
}

/// Dumps the database `config` names as an archive (custom, directory or tar) to `target`: serially on one
/// session, or with `jobs` workers in the same snapshot.
pub async fn dump_archive(
    config: &ConnConfig,
    options: &DumpOptions,
    archive: &ArchiveOptions,
    target: ArchiveTarget,
) -> Result<DumpSummary, DumpError> {
    let write_options = archive.write_options()?;
    let session = connect(config, options).await?;
    let role = acting_role(&session, options);
    write_archive(config, session, options, archive, write_options, target)
        .await
        .map_err(|e| e.explained(&role))
}

async fn write_archive(
    config: &ConnConfig,
    session: Session,
    options: &DumpOptions,
    archive: &ArchiveOptions,
    write_options: pgferry_archive::write::WriteOptions,
    target: ArchiveTarget,
) -> Result<DumpSummary, DumpError> {
    let parallel = archive.jobs > 1;
    let mut plan = options.plan.clone();
    // Archives always carry the DATABASE entries: pg_restore --create uses them.
    plan.database_entries = true;
    let Prepared {
        session,
        catalog,
        toc,
        quoter,
        entries,
        ..
    } = prepare(session, options, plan).await?;
    let writer = data::DataWriter::new(
        &session,
        &catalog,
        &toc,
        quoter,
        &options.data,
        options.progress.clone(),
    );
    let streams = toc.entries.iter().filter(|e| e.had_dumper).count();
    if parallel && streams > 0 {
        let workers = parallel::start_workers(
            config,
            &options.session,
            &session,
            archive.jobs.min(streams),
        )
        .await?;
        parallel::write_archive(
            toc,
            archive.format,
            write_options,
            &writer,
            target,
            &workers,
        )
        .await?;
        for worker in &workers {
            session::finish(worker).await?;
        }
    } else {
        archive::write_archive(toc, archive.format, write_options, &writer, target).await?;
    }
    session::finish(&session).await?;
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    Ok(DumpSummary {
        entries,
        catalog_queries: catalog.query_count,
        lock_statements: catalog.lock_statements,
        warnings: Vec::new(),
    })
}

/// A dump after planning: the session in its snapshot, the catalog, and the TOC with sequence values.
struct Prepared {
    session: Session,
    catalog: Catalog,
    toc: pgferry_archive::Toc,
    plan_options: PlanOptions,
    quoter: Quoter,
    entries: usize,
}

/// Connects and refuses a transaction-mode pooler (unless allowed).
async fn connect(config: &ConnConfig, options: &DumpOptions) -> Result<Session, DumpError> {
    let session = pgferry_conn::connect(config).await?;
    let verdict = pooler::assess(&session, config).await?;
    verdict.refuse_transaction_pooling(session.target(), options.allow_pooler)?;
    Ok(session)
}

/// The role whose privileges the dump reads with: `--role`, or the user it logged in as.
fn acting_role(session: &Session, options: &DumpOptions) -> String {
    options
        .session
        .role
        .clone()
        .unwrap_or_else(|| session.user().to_owned())
}

async fn prepare(
    session: Session,
    options: &DumpOptions,
    mut plan_options: PlanOptions,
) -> Result<Prepared, DumpError> {
    session::setup(&session, &options.session).await?;

    plan_options.inserts = options.data.rows_per_insert > 0;
    if plan_options.data && session::is_standby(&session).await? {
        // A hot standby cannot read unlogged tables: pg_dump leaves their data out there.
        plan_options.no_unlogged_table_data = true;
    }
    let read_options = ReadOptions {
        lock_wait_timeout: options.session.lock_wait_timeout.clone(),
    };
    let selection = Selection::compile(options)?;
    let catalog = read_catalog(&session, &read_options, &|catalog, table| {
        selection.should_lock(catalog, table)
    })
    .await?;
    selection.resolve(&catalog, &mut plan_options, options.strict_names)?;

    let mut toc = pgferry_plan::plan(&catalog, &plan_options)?;
    filter_sections(&mut toc, plan_options.sections);
    declare_utf8(&mut toc, options.declare_utf8);
    let quoter = Quoter {
        quote_all: plan_options.quote_all_identifiers,
    };
    if plan_options.data || plan_options.sequence_data {
        data::fill_sequence_values(&session, &catalog, &mut toc, quoter).await?;
    }
    let entries = toc.entries.len();
    Ok(Prepared {
        session,
        catalog,
        toc,
        plan_options,
        quoter,
        entries,
    })
}

/// The compiled patterns of a dump.
struct Selection {
    schemas: Vec<NamePattern>,
    exclude_schemas: Vec<NamePattern>,
    tables: Vec<NamePattern>,
    exclude_tables: Vec<NamePattern>,
    exclude_table_data: Vec<NamePattern>,
    tables_and_children: Vec<NamePattern>,
    exclude_tables_and_children: Vec<NamePattern>,
    exclude_table_data_and_children: Vec<NamePattern>,
    extensions: Vec<NamePattern>,
    exclude_extensions: Vec<NamePattern>,
    foreign_servers: Vec<NamePattern>,
}

impl Selection {
    fn compile(options: &DumpOptions) -> Result<Selection, DumpError> {
        let compile = |patterns: &[String],
                       qualified: bool|
         -> Result<Vec<NamePattern>, DumpError> {
            patterns
                .iter()
                .map(|p| {
                    NamePattern::new(p, qualified).map_err(|e| DumpError::Selection(e.to_string()))
                })
                .collect()
        };
        Ok(Selection {
            schemas: compile(&options.schemas, false)?,
            exclude_schemas: compile(&options.exclude_schemas, false)?,
            tables: compile(&options.tables, true)?,
            exclude_tables: compile(&options.exclude_tables, true)?,
            exclude_table_data: compile(&options.exclude_table_data, true)?,
            tables_and_children: compile(&options.tables_and_children, true)?,
            exclude_tables_and_children: compile(&options.exclude_tables_and_children, true)?,
            exclude_table_data_and_children: compile(
                &options.exclude_table_data_and_children,
                true,
            )?,
            extensions: compile(&options.extensions, false)?,
            exclude_extensions: compile(&options.exclude_extensions, false)?,
            // Server names are not qualified: a dot is an error, as pg_dump reports it.
            foreign_servers: compile(&options.include_foreign_data, false)?,
        })
    }

    fn table_matches(patterns: &[NamePattern], catalog: &Catalog, table: &Table) -> bool {
        let schema = catalog.namespace_name(table.namespace);
        patterns.iter().any(|p| p.matches(schema, &table.name))
    }

    /// Whether `table` or one of its ancestors (inheritance parents, partitioned parents) matches.
    fn self_or_ancestor_matches(
        patterns: &[NamePattern],
        catalog: &Catalog,
        table: &Table,
    ) -> bool {
        if patterns.is_empty() {
            return false;
        }
        let mut seen = HashSet::new();
        let mut pending = vec![table.oid];
        while let Some(oid) = pending.pop() {
            if !seen.insert(oid) {
                continue;
            }
            let Some(current) = catalog.relations.table(oid) else {
                continue;
            };
            if Self::table_matches(patterns, catalog, current) {
                return true;
            }
            pending.extend(
                catalog
                    .relations
                    .parents
                    .get(&oid)
                    .into_iter()
                    .flatten()
                    .copied(),
            );
        }
        false
    }

    fn included_by_table_patterns(&self, catalog: &Catalog, table: &Table) -> bool {
        Self::table_matches(&self.tables, catalog, table)
            || Self::self_or_ancestor_matches(&self.tables_and_children, catalog, table)
    }

    fn excluded_by_table_patterns(&self, catalog: &Catalog, table: &Table) -> bool {
        Self::table_matches(&self.exclude_tables, catalog, table)
            || Self::self_or_ancestor_matches(&self.exclude_tables_and_children, catalog, table)
    }

    fn tables_given(&self) -> bool {
        !self.tables.is_empty() || !self.tables_and_children.is_empty()
    }

    /// pg_dump locks the plain and partitioned tables whose definition or data it dumps.
    fn should_lock(&self, catalog: &Catalog, table: &Table) -> bool {
        if !matches!(table.relkind, b'r' | b'p')
            || catalog.extension_of(table.catalog_id()).is_some()
        {
            return false;
        }
        let schema = catalog.namespace_name(table.namespace);
        if self.tables_given() {
            return self.included_by_table_patterns(catalog, table)
                && !self.excluded_by_table_patterns(catalog, table);
        }
        let schema_in =
            self.schemas.is_empty() || self.schemas.iter().any(|p| p.matches_name(schema));
        schema_in
            && !self.exclude_schemas.iter().any(|p| p.matches_name(schema))
            && !self.excluded_by_table_patterns(catalog, table)
    }

    /// Turns the patterns into OID sets in the plan options.
    fn resolve(
        &self,
        catalog: &Catalog,
        plan: &mut PlanOptions,
        strict: bool,
    ) -> Result<(), DumpError> {
        let relkinds = |t: &Table| matches!(t.relkind, b'r' | b'S' | b'v' | b'm' | b'f' | b'p');
        let schema_oids = |patterns: &[NamePattern], check: bool| {
            matching_oids(
                patterns,
                check,
                "schemas",
                catalog
                    .namespaces
                    .iter()
                    .map(|n| (n.oid, "", n.name.as_str())),
            )
        };
        let table_oids = |patterns: &[NamePattern], check: bool| {
            let tables = catalog.relations.tables.iter().filter(|t| relkinds(t));
            let named =
                tables.map(|t| (t.oid, catalog.namespace_name(t.namespace), t.name.as_str()));
            matching_oids(patterns, check, "tables", named)
        };
        let extension_oids = |patterns: &[NamePattern], check: bool| {
            matching_oids(
                patterns,
                check,
                "extensions",
                catalog
                    .extensions
                    .iter()
                    .map(|e| (e.oid, "", e.name.as_str())),
            )
        };
        plan.include_schemas = schema_oids(&self.schemas, strict)?;
        if !self.schemas.is_empty() && plan.include_schemas.is_empty() {
            return Err(DumpError::Selection(
                "no matching schemas were found".to_owned(),
            ));
        }
        plan.exclude_schemas = schema_oids(&self.exclude_schemas, false)?;
        plan.tables_selected = self.tables_given();
        // pg_dump always insists that -t finds something (with --strict-names, every pattern must).
        plan.include_tables = table_oids(&self.tables, strict)?;
        plan.include_tables.extend(with_children(
            catalog,
            table_oids(&self.tables_and_children, strict)?,
        ));
        if plan.tables_selected && plan.include_tables.is_empty() {
            return Err(DumpError::Selection(
                "no matching tables were found".to_owned(),
            ));
        }
        plan.exclude_tables = table_oids(&self.exclude_tables, false)?;
        plan.exclude_tables.extend(with_children(
            catalog,
            table_oids(&self.exclude_tables_and_children, false)?,
        ));
        plan.exclude_table_data = table_oids(&self.exclude_table_data, false)?;
        plan.exclude_table_data.extend(with_children(
            catalog,
            table_oids(&self.exclude_table_data_and_children, false)?,
        ));
        // --include-foreign-data: every pattern must name a server, whatever --strict-names says.
        plan.include_foreign_data_servers = matching_oids(
            &self.foreign_servers,
            true,
            "foreign servers",
            catalog
                .foreign_and_search
                .servers
                .iter()
                .map(|s| (s.oid, "", s.name.as_str())),
        )?;
        plan.include_extensions = extension_oids(&self.extensions, strict)?;
        if !self.extensions.is_empty() && plan.include_extensions.is_empty() {
            return Err(DumpError::Selection(
                "no matching extensions were found".to_owned(),
            ));
        }
        plan.exclude_extensions = extension_oids(&self.exclude_extensions, false)?;
        Ok(())
    }
}

/// The session a dump runs in, for callers that drive the steps themselves.
pub type DumpSession = Session;

/// The OIDs of the objects (OID, schema, name) that any of `patterns` matches; schemas and extensions pass an
/// empty schema and are matched by name alone. With `check`, every pattern must match something.
fn matching_oids<'a>(
    patterns: &[NamePattern],
    check: bool,
    kind: &str,
    objects: impl Iterator<Item = (u32, &'a str, &'a str)> + Clone,
) -> Result<HashSet<u32>, DumpError> {
    let mut set = HashSet::new();
    for pattern in patterns {
        let mut found = false;
        for (oid, schema, name) in objects.clone() {
            let hit = if schema.is_empty() {
                pattern.matches_name(name)
            } else {
                pattern.matches(schema, name)
            };
            if hit {
                found = true;
                set.insert(oid);
            }
        }
        if !found && check {
            return Err(DumpError::Selection(format!(
                "no matching {kind} were found for pattern \"{}\"",
                pattern.text
            )));
        }
    }
    Ok(set)
}

/// `tables` and every relation that inherits from them or is a partition of them, at any depth.
fn with_children(catalog: &Catalog, tables: HashSet<u32>) -> HashSet<u32> {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
    for (child, parents) in &catalog.relations.parents {
        for parent in parents {
            children.entry(*parent).or_default().push(*child);
        }
    }
    let mut result = HashSet::new();
    let mut pending: Vec<u32> = tables.into_iter().collect();
    while let Some(oid) = pending.pop() {
        if result.insert(oid) {
            pending.extend(children.get(&oid).into_iter().flatten().copied());
        }
    }
    result
}

/// pgferry's session reads everything (catalog text, COPY rows, INSERT values) in UTF-8, whatever the database's
/// encoding; the script must say so, or psql would read UTF-8 bytes as, say, LATIN1 and restore them garbled.
/// (pg_dump reads in the database's encoding and names it; for UTF-8 databases the two are the same. A
/// SQL_ASCII server converts nothing: pgferry gets its bytes as they are, and the script says SQL_ASCII,
/// unless `always` (`-E UTF8`) says UTF8.)
fn declare_utf8(toc: &mut pgferry_archive::Toc, always: bool) {
    const UTF8: &str = "UTF8";
    match toc.header.encoding.as_str() {
        "" | UTF8 => return,
        "SQL_ASCII" if !always => return,
        _ => {}
    }
    toc.header.encoding = UTF8.to_owned();
    for entry in toc
        .entries
        .iter_mut()
        .filter(|e| e.desc == pgferry_archive::desc::ENCODING)
    {
        entry.defn = Some(format!("SET client_encoding = '{UTF8}';\n"));
    }
}

/// A random key for psql's `\restrict`, as pg_dump makes one: 63 letters and digits.
pub fn random_restrict_key() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 63)
}

/// Keeps only the entries of the chosen sections (`--section`). Comments and ACLs (section NONE) follow the
/// entry before them, as pg_restore treats them.
pub fn filter_sections(toc: &mut pgferry_archive::Toc, sections: pgferry_plan::Sections) {
    use pgferry_archive::Section;
    let mut current = Section::PreData;
    toc.entries.retain(|entry| {
        if entry.section != Section::None {
            current = entry.section;
        }
        if matches!(
            entry.desc.as_str(),
            "ENCODING" | "STDSTRINGS" | "SEARCHPATH"
        ) {
            return true;
        }
        match current {
            Section::PreData => sections.pre_data,
            Section::Data => sections.data,
            Section::PostData => sections.post_data,
            Section::None => true,
        }
    });
}
