//! `pgferry dump`: pg_dump's options, spelled as pg_dump spells them.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use clap::Args;
use pgferry::dump::{
    parse_compression, ArchiveFormat, ArchiveOptions, ArchiveTarget, ArchiveVersion,
    CompressedWriter, Compression, DumpOptions, DumpSummary, ScriptOptions, Sections,
};

use crate::conn_args::ConnArgs;
use crate::exit::{self, Stop};
use crate::output::{Counting, Reporter};
use crate::staged::StagedFile;
use pgferry::progress::Progress;

/// Arguments of `pgferry dump`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true, disable_version_flag = true, version)]
pub(crate) struct DumpArgs {
    #[command(flatten)]
    conn: ConnArgs,

    /// Output file or directory (default: standard output; the directory format needs one). Written under a
    /// temporary name and renamed when complete.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,

    /// Output format: p (plain SQL), c (custom archive), d (directory archive), t (tar archive).
    #[arg(
        short = 'F',
        long = "format",
        value_name = "FORMAT",
        default_value = "p"
    )]
    format: String,

    /// Dump this many tables at once, each on its own connection in the same snapshot (directory and custom
    /// formats).
    #[arg(short = 'j', long = "jobs", value_name = "NUM")]
    jobs: Option<u32>,

    /// Archive version to write: 1.14 (the default; pg_restore 12 and later read it), 1.15 (the default for
    /// lz4 and zstd; pg_restore 16+), or 1.16 (large objects in groups; pg_restore 17.6, 16.10 and later).
    #[arg(long = "archive-version", value_name = "VERSION")]
    archive_version: Option<String>,

    /// Compression: 0-9, none, gzip[:LEVEL], lz4, zstd[:LEVEL]. Archives compress their data (default: gzip for
    /// the custom and directory formats, none for tar); plain output is compressed whole (default: none).
    #[arg(short = 'Z', long = "compress", value_name = "METHOD[:LEVEL]")]
    compress: Option<String>,

    /// Do not wait for a directory archive to be written safely to disk.
    #[arg(long = "no-sync")]
    no_sync: bool,

    /// How output is made durable: fsync or syncfs. pgferry syncs each file it wrote (and its directory) either
    /// way, which gives the guarantee both stand for.
    #[arg(long = "sync-method", value_name = "METHOD")]
    sync_method: Option<String>,

    /// Dump only the object definitions, not data.
    #[arg(short = 's', long = "schema-only")]
    schema_only: bool,

    /// Dump only the data, not the object definitions.
    #[arg(short = 'a', long = "data-only")]
    data_only: bool,

    /// Do not dump data.
    #[arg(long = "no-data")]
    no_data: bool,

    /// Do not dump object definitions.
    #[arg(long = "no-schema")]
    no_schema: bool,

    /// Do not dump statistics (the default: pgferry does not dump statistics yet, and pg_dump 18 leaves them
    /// out unless asked).
    #[arg(long = "no-statistics")]
    no_statistics: bool,

    /// Dump statistics: not supported yet (refused).
    #[arg(long = "statistics", hide = true)]
    statistics: bool,

    /// Dump only statistics: not supported yet (refused).
    #[arg(long = "statistics-only", hide = true)]
    statistics_only: bool,

    /// Include large objects (the default for whole-database dumps with data).
    #[arg(short = 'b', long = "large-objects", visible_alias = "blobs")]
    large_objects: bool,

    /// Exclude large objects.
    #[arg(short = 'B', long = "no-large-objects", visible_alias = "no-blobs")]
    no_large_objects: bool,

    /// Dump sequence values even without data (with --schema-only).
    #[arg(long = "sequence-data")]
    sequence_data: bool,

    /// Dump data as INSERT statements rather than COPY.
    #[arg(long = "inserts")]
    inserts: bool,

    /// Dump data as INSERT statements with column names.
    #[arg(long = "column-inserts", alias = "attribute-inserts")]
    column_inserts: bool,

    /// Rows per INSERT statement (implies --inserts).
    #[arg(long = "rows-per-insert", value_name = "NROWS")]
    rows_per_insert: Option<String>,

    /// Add ON CONFLICT DO NOTHING to INSERT statements.
    #[arg(long = "on-conflict-do-nothing")]
    on_conflict_do_nothing: bool,

    /// Disable triggers while restoring data (data-only dumps).
    #[arg(long = "disable-triggers")]
    disable_triggers: bool,

    /// With --disable-triggers, disable and enable them as this superuser (SET SESSION AUTHORIZATION) rather
    /// than as the user the script runs as (plain-text output).
    #[arg(short = 'S', long = "superuser", value_name = "NAME")]
    superuser: Option<String>,

    /// Load partitions' data through the root table of their partition tree.
    #[arg(long = "load-via-partition-root")]
    load_via_partition_root: bool,

    /// Do not dump the data of unlogged tables.
    #[arg(long = "no-unlogged-table-data")]
    no_unlogged_table_data: bool,

    /// Dump only the matching schemas (pattern; repeatable).
    #[arg(short = 'n', long = "schema", value_name = "PATTERN")]
    schemas: Vec<String>,

    /// Do not dump the matching schemas.
    #[arg(short = 'N', long = "exclude-schema", value_name = "PATTERN")]
    exclude_schemas: Vec<String>,

    /// Dump only the matching tables, views, sequences (pattern; repeatable).
    #[arg(short = 't', long = "table", value_name = "PATTERN")]
    tables: Vec<String>,

    /// Do not dump the matching tables.
    #[arg(short = 'T', long = "exclude-table", value_name = "PATTERN")]
    exclude_tables: Vec<String>,

    /// Do not dump the rows of the matching tables.
    #[arg(long = "exclude-table-data", value_name = "PATTERN")]
    exclude_table_data: Vec<String>,

    /// Like -t, and also every partition and inheritance child of the matching tables.
    #[arg(long = "table-and-children", value_name = "PATTERN")]
    tables_and_children: Vec<String>,

    /// Like -T, and also every partition and inheritance child of the matching tables.
    #[arg(long = "exclude-table-and-children", value_name = "PATTERN")]
    exclude_tables_and_children: Vec<String>,

    /// Like --exclude-table-data, and also for every partition and inheritance child.
    #[arg(long = "exclude-table-data-and-children", value_name = "PATTERN")]
    exclude_table_data_and_children: Vec<String>,

    /// Dump only the matching extensions.
    #[arg(short = 'e', long = "extension", value_name = "PATTERN")]
    extensions: Vec<String>,

    /// Do not dump the matching extensions.
    #[arg(long = "exclude-extension", value_name = "PATTERN")]
    exclude_extensions: Vec<String>,

    /// Dump the rows of the foreign tables on the matching foreign servers (pattern; repeatable).
    #[arg(long = "include-foreign-data", value_name = "PATTERN")]
    include_foreign_data: Vec<String>,

    /// Every -n, -t and -e pattern must match something.
    #[arg(long = "strict-names")]
    strict_names: bool,

    /// Read include/exclude patterns from FILE (`include|exclude KIND PATTERN` lines; `-` for stdin).
    #[arg(long = "filter", value_name = "FILE")]
    filter: Vec<PathBuf>,

    /// Dump only this section: pre-data, data or post-data (repeatable).
    #[arg(long = "section", value_name = "SECTION")]
    sections: Vec<String>,

    /// Skip ownership (no ALTER ... OWNER TO).
    #[arg(short = 'O', long = "no-owner")]
    no_owner: bool,

    /// Skip privileges (no GRANT/REVOKE).
    #[arg(short = 'x', long = "no-privileges", alias = "no-acl")]
    no_privileges: bool,

    /// Skip comments.
    #[arg(long = "no-comments")]
    no_comments: bool,

    /// Skip publications.
    #[arg(long = "no-publications")]
    no_publications: bool,

    /// Skip subscriptions.
    #[arg(long = "no-subscriptions")]
    no_subscriptions: bool,

    /// Skip security labels.
    #[arg(long = "no-security-labels")]
    no_security_labels: bool,

    /// Skip tablespace assignments.
    #[arg(long = "no-tablespaces")]
    no_tablespaces: bool,

    /// Skip table access methods.
    #[arg(long = "no-table-access-method")]
    no_table_access_method: bool,

    /// Skip column compression settings.
    #[arg(long = "no-toast-compression")]
    no_toast_compression: bool,

    /// Skip row-level security policies.
    #[arg(long = "no-policies")]
    no_policies: bool,

    /// Drop objects before creating them.
    #[arg(short = 'c', long = "clean")]
    clean: bool,

    /// With --clean, use DROP ... IF EXISTS.
    #[arg(long = "if-exists")]
    if_exists: bool,

    /// Include CREATE DATABASE and connect to it.
    #[arg(short = 'C', long = "create")]
    create: bool,

    /// Quote every identifier.
    #[arg(long = "quote-all-identifiers")]
    quote_all_identifiers: bool,

    /// Write function bodies as standard string literals instead of in dollar quotes.
    #[arg(long = "disable-dollar-quoting")]
    disable_dollar_quoting: bool,

    /// Set extra_float_digits to NUM (-15..3) while dumping, instead of 3 (the most precise).
    #[arg(
        long = "extra-float-digits",
        value_name = "NUM",
        allow_negative_numbers = true
    )]
    extra_float_digits: Option<String>,

    /// Dump in this client encoding: only UTF8, which pgferry always writes, is supported (other encodings are
    /// refused).
    #[arg(short = 'E', long = "encoding", value_name = "ENCODING", hide = true)]
    encoding: Option<String>,

    /// Use SET SESSION AUTHORIZATION instead of ALTER ... OWNER TO.
    #[arg(long = "use-set-session-authorization")]
    use_set_session_authorization: bool,

    /// Dump only the rows row-level security lets the user see.
    #[arg(long = "enable-row-security")]
    enable_row_security: bool,

    /// Wait for a snapshot that cannot see serialization anomalies.
    #[arg(long = "serializable-deferrable")]
    serializable_deferrable: bool,

    /// Use this exported snapshot.
    #[arg(long = "snapshot", value_name = "SNAPSHOT")]
    snapshot: Option<String>,

    /// Fail after waiting this long for a table lock (e.g. 10s).
    #[arg(long = "lock-wait-timeout", value_name = "TIMEOUT")]
    lock_wait_timeout: Option<String>,

    /// The key for psql's \restrict (default: random).
    #[arg(long = "restrict-key", value_name = "KEY")]
    restrict_key: Option<String>,

    /// SET ROLE to this role before dumping.
    #[arg(long = "role", value_name = "ROLE")]
    role: Option<String>,

    /// Never prompt for a password (pgferry never does: it takes passwords from the connection string,
    /// PGPASSWORD or the password file).
    #[arg(short = 'w', long = "no-password")]
    no_password: bool,

    /// Ask for the password on the terminal before connecting (otherwise pgferry never prompts).
    #[arg(short = 'W', long = "password")]
    password: bool,

    /// For pg_upgrade only: not applicable (refused).
    #[arg(long = "binary-upgrade", hide = true)]
    binary_upgrade: bool,

    /// Dump through a transaction-mode connection pooler anyway.
    #[arg(long)]
    allow_pooler: bool,

    #[command(flatten)]
    pub(crate) output: crate::output::OutputArgs,

    /// Print the version.
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,

    /// Print help.
    #[arg(short = '?', long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

pub(crate) async fn run(args: DumpArgs, verbose: u8) -> i32 {
    match run_inner(args, verbose).await {
        Ok(()) => exit::SUCCESS,
        Err(stop) => stop.report(),
    }
}

async fn run_inner(args: DumpArgs, verbose: u8) -> Result<(), Stop> {
    // pg_dump takes the names in any case.
    let format = match args.format.to_ascii_lowercase().as_str() {
        "p" | "plain" => None,
        "c" | "custom" => Some(ArchiveFormat::Custom),
        "d" | "directory" => Some(ArchiveFormat::Directory),
        "t" | "tar" => Some(ArchiveFormat::Tar),
        other => {
            return Err(Stop::usage(format!(
                "invalid output format \"{other}\" specified (use p, c, d or t)"
            )))
        }
    };
    if let Some(message) = args.conn.usage_error() {
        return Err(Stop::Usage(message));
    }
    refuse_unsupported(&args, format)?;
    if args.jobs.is_some_and(|jobs| jobs > 1) && !args.include_foreign_data.is_empty() {
        // pg_dump refuses this before it looks at the format (--filter patterns are checked in build_options).
        return Err(Stop::usage(FOREIGN_DATA_WITH_JOBS));
    }
    let jobs = match args.jobs {
        Some(jobs) if (1..=MAX_JOBS).contains(&jobs) => jobs as usize,
        Some(jobs) => {
            return Err(Stop::usage(format!(
                "-j/--jobs must be in range 1..{MAX_JOBS}, not {jobs}"
            )))
        }
        None => 1,
    };
    if jobs > 1
        && !matches!(
            format,
            Some(ArchiveFormat::Directory | ArchiveFormat::Custom)
        )
    {
        return Err(Stop::usage(
            "parallel dumps (-j) write the directory format (-Fd) or the custom format (-Fc)",
        ));
    }
    let archive_version = match &args.archive_version {
        Some(text) => {
            if format.is_none() {
                return Err(Stop::usage(
                    "--archive-version applies to archives (-Fc, -Fd, -Ft)",
                ));
            }
            Some(parse_archive_version(text).map_err(Stop::Usage)?)
        }
        None => None,
    };
    if args.if_exists && !args.clean {
        return Err(Stop::usage("option --if-exists requires option -c/--clean"));
    }
    let compression = match &args.compress {
        Some(spec) => Some(parse_compression(spec).map_err(|e| Stop::usage(e.to_string()))?),
        None => None,
    };
    if format == Some(ArchiveFormat::Directory) && args.file.is_none() {
        return Err(Stop::usage(
            "option -F d requires an output directory (-f DIR)",
        ));
    }
    let mut options = build_options(&args)?;
    if format.is_some() {
        warn_plain_only(&args);
    } else {
        options.script.superuser = args.superuser.clone();
        let triggers_disabled = args.disable_triggers && !options.plan.schema;
        if args.superuser.is_some() && !triggers_disabled {
            eprintln!(
                "pgferry: warning: -S/--superuser is used only with --disable-triggers in a data-only dump"
            );
        }
    }
    let archive = format.map(|format| ArchiveOptions {
        format,
        compression,
        version: archive_version,
        sync: !args.no_sync,
        jobs,
    });
    if let Some(archive) = &archive {
        archive.validate().map_err(|e| Stop::usage(e.to_string()))?;
    }
    let mut config = args.conn.resolve().map_err(|e| e.to_string())?;
    if args.password {
        crate::conn_args::prompt_password(&mut config)?;
    }

    let progress = Progress::new();
    options.progress = Some(Arc::clone(&progress));
    let reporter = Reporter::start(&args.output, progress, false);
    let streamed = Arc::new(AtomicU64::new(0));
    let file = args.file.as_deref();
    let summary = match &archive {
        Some(archive) => dump_archive(&config, &options, archive, file, &streamed).await?,
        None => dump_plain(&config, &options, file, &streamed, compression).await?,
    };
    reporter.finish(Some(written_size(file, &streamed)), true)?;
    if verbose > 0 {
        eprintln!(
            "pgferry: dumped {} TOC entries; the catalog read took {} queries (and {} statements to lock tables)",
            summary.entries, summary.catalog_queries, summary.lock_statements
        );
    }
    Ok(())
}

/// pg_dump's options pgferry does not implement (yet, or at all), refused before anything runs; and options
/// whose values are checked before anything runs.
fn refuse_unsupported(args: &DumpArgs, format: Option<ArchiveFormat>) -> Result<(), Stop> {
    if args.binary_upgrade {
        return Err(Stop::usage(
            "option --binary-upgrade is for pg_upgrade only, which runs pg_dump itself; pgferry does not \
             support it",
        ));
    }
    if args.statistics || args.statistics_only {
        let option = if args.statistics_only {
            "--statistics-only"
        } else {
            "--statistics"
        };
        return Err(Stop::usage(format!(
            "option {option} is not supported yet: pgferry does not dump statistics (pg_dump 18 leaves them \
             out by default too; run ANALYZE after restoring)"
        )));
    }
    if let Some(encoding) = &args.encoding {
        if !is_utf8_name(encoding) {
            return Err(Stop::usage(format!(
                "option -E/--encoding {encoding} is not supported yet: pgferry dumps in UTF8 only (-E UTF8)"
            )));
        }
    }
    if let Some(method) = &args.sync_method {
        if method != "fsync" && method != "syncfs" {
            return Err(Stop::usage(format!(
                "unrecognized sync method: {method} (use fsync or syncfs)"
            )));
        }
    }
    if format.is_some() {
        if args.restrict_key.is_some() {
            return Err(Stop::usage(
                "option --restrict-key can only be used with --format=plain",
            ));
        }
        if args.superuser.is_some() {
            return Err(Stop::usage(
                "option -S/--superuser applies to plain-text output only: give it to pgferry restore when \
                 restoring the archive",
            ));
        }
    }
    Ok(())
}

/// Whether `name` is UTF8 as PostgreSQL spells its names (case and punctuation do not matter).
fn is_utf8_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    folded == "utf8" || folded == "unicode"
}

/// pg_dump ignores these options when it writes an archive (pg_restore takes them instead); pgferry says so.
fn warn_plain_only(args: &DumpArgs) {
    let ignored = [
        (args.clean, "-c/--clean"),
        (args.if_exists, "--if-exists"),
        (args.create, "-C/--create"),
        (args.no_owner, "-O/--no-owner"),
        (args.disable_triggers, "--disable-triggers"),
        (
            args.use_set_session_authorization,
            "--use-set-session-authorization",
        ),
        (args.no_table_access_method, "--no-table-access-method"),
    ];
    for (_, option) in ignored.iter().filter(|(given, _)| *given) {
        eprintln!(
            "pgferry: warning: {option} applies to plain-text output; an archive records no such choice: \
             give it to pgferry restore (or pg_restore) instead"
        );
    }
}

/// The most workers `-j` takes (pg_dump's limit on most systems).
const MAX_JOBS: u32 = 1024;

/// `1.14`, `1.15` or `1.16`.
fn parse_archive_version(text: &str) -> Result<ArchiveVersion, String> {
    match text.trim() {
        "1.14" => Ok(ArchiveVersion::V1_14),
        "1.15" => Ok(ArchiveVersion::V1_15),
        "1.16" => Ok(ArchiveVersion::V1_16),
        other => Err(format!(
            "unsupported archive version \"{other}\": pgferry writes 1.14, 1.15 and 1.16"
        )),
    }
}

/// What the dump wrote: the size of its file or directory, or what went through a pipe or device.
fn written_size(file: Option<&Path>, streamed: &AtomicU64) -> u64 {
    let on_disk = file.and_then(|path| {
        let meta = std::fs::metadata(path).ok()?;
        if meta.is_file() {
            Some(meta.len())
        } else if meta.is_dir() {
            let entries = std::fs::read_dir(path).ok()?;
            Some(
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum(),
            )
        } else {
            None
        }
    });
    on_disk.unwrap_or_else(|| streamed.load(Ordering::Relaxed))
}

/// A failed dump: quiet when standard output's reader went away, else the error's one line.
fn dump_failed(error: pgferry::dump::DumpError) -> Stop {
    Stop::from_error(&error)
}

async fn dump_archive(
    config: &pgferry::ConnConfig,
    options: &DumpOptions,
    archive: &ArchiveOptions,
    file: Option<&Path>,
    streamed: &Arc<AtomicU64>,
) -> Result<DumpSummary, Stop> {
    let run = |target| pgferry::dump::dump_archive(config, options, archive, target);
    match (archive.format, file) {
        (ArchiveFormat::Directory, None) => Err(Stop::usage(
            "option -F d requires an output directory (-f DIR)",
        )),
        (ArchiveFormat::Directory, Some(dir)) => {
            if let Ok(mut entries) = std::fs::read_dir(dir) {
                if entries.next().is_some() {
                    return Err(Stop::Failed(format!(
                        "could not create directory \"{}\": the directory exists and is not empty",
                        dir.display()
                    )));
                }
            } else if dir.exists() {
                return Err(Stop::Failed(format!(
                    "could not create directory \"{}\": it exists and is not a directory",
                    dir.display()
                )));
            }
            run(ArchiveTarget::Directory(dir.to_owned()))
                .await
                .map_err(dump_failed)
        }
        (_, Some(path)) if is_regular_or_missing(path) => {
            let staged = StagedFile::create(path)?;
            let file = staged.file.try_clone().map_err(|e| e.to_string())?;
            let summary = run(ArchiveTarget::File(file)).await.map_err(dump_failed)?;
            staged.commit()?;
            Ok(summary)
        }
        (_, Some(path)) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("could not open {}: {e}", path.display()))?;
            run(ArchiveTarget::Stream(Box::new(Counting::new(
                file, streamed,
            ))))
            .await
            .map_err(dump_failed)
        }
        (_, None) => run(ArchiveTarget::Stream(Box::new(Counting::new(
            std::io::stdout(),
            streamed,
        ))))
        .await
        .map_err(dump_failed),
    }
}

async fn dump_plain(
    config: &pgferry::ConnConfig,
    options: &DumpOptions,
    file: Option<&Path>,
    streamed: &Arc<AtomicU64>,
    compression: Option<Compression>,
) -> Result<DumpSummary, Stop> {
    match file {
        // A regular file (or a new one) is written under a temporary name and renamed when complete; a
        // device or a pipe (-f /dev/null, -f /dev/stdout, a FIFO) is written as it is.
        Some(path) if is_regular_or_missing(path) => {
            let staged = StagedFile::create(path)?;
            let file = staged.file.try_clone().map_err(|e| e.to_string())?;
            let summary = write_plain(
                config,
                options,
                file,
                compression,
                &path.display().to_string(),
            )
            .await?;
            staged.commit()?;
            Ok(summary)
        }
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("could not open {}: {e}", path.display()))?;
            let out = Counting::new(file, streamed);
            write_plain(
                config,
                options,
                out,
                compression,
                &path.display().to_string(),
            )
            .await
        }
        None => {
            let out = Counting::new(std::io::stdout(), streamed);
            write_plain(config, options, out, compression, "standard output").await
        }
    }
}

/// The plain script into `out`, compressed as one gzip, lz4 or zstd stream when `compression` asks (pg_dump's
/// `-Fp -Z`: the file gets no suffix), and flushed.
async fn write_plain<W: Write + Send>(
    config: &pgferry::ConnConfig,
    options: &DumpOptions,
    out: W,
    compression: Option<Compression>,
    name: &str,
) -> Result<DumpSummary, Stop> {
    let write_failed = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Stop::BrokenPipe,
        _ => Stop::Failed(format!("could not write {name}: {e}")),
    };
    let mut writer = BufWriter::new(out);
    match compression.filter(|c| *c != Compression::NONE) {
        Some(compression) => {
            let mut compressed = CompressedWriter::new(&mut writer, compression)
                .map_err(|e| Stop::usage(e.to_string()))?;
            let summary = pgferry::dump::dump(config, options, &mut compressed)
                .await
                .map_err(dump_failed)?;
            compressed.finish().map_err(write_failed)?;
            writer.flush().map_err(write_failed)?;
            Ok(summary)
        }
        None => {
            let summary = pgferry::dump::dump(config, options, &mut writer)
                .await
                .map_err(dump_failed)?;
            writer.flush().map_err(write_failed)?;
            Ok(summary)
        }
    }
}

/// pg_dump's refusal of `--include-foreign-data` with `-j` above 1.
const FOREIGN_DATA_WITH_JOBS: &str =
    "option --include-foreign-data is not supported with parallel backup";

/// The library's options; a filter file that cannot be read or parsed is a failure, anything else wrong a
/// usage error.
fn build_options(args: &DumpArgs) -> Result<DumpOptions, Stop> {
    let mut options = DumpOptions::default();
    let mut filter = crate::filter::FilterPatterns::default();
    for path in &args.filter {
        filter.read(path)?;
    }
    options.schemas = [args.schemas.clone(), filter.include_schemas].concat();
    options.exclude_schemas = [args.exclude_schemas.clone(), filter.exclude_schemas].concat();
    options.tables = [args.tables.clone(), filter.include_tables].concat();
    options.exclude_tables = [args.exclude_tables.clone(), filter.exclude_tables].concat();
    options.exclude_table_data =
        [args.exclude_table_data.clone(), filter.exclude_table_data].concat();
    options.tables_and_children = [
        args.tables_and_children.clone(),
        filter.include_tables_and_children,
    ]
    .concat();
    options.exclude_tables_and_children = [
        args.exclude_tables_and_children.clone(),
        filter.exclude_tables_and_children,
    ]
    .concat();
    options.exclude_table_data_and_children = [
        args.exclude_table_data_and_children.clone(),
        filter.exclude_table_data_and_children,
    ]
    .concat();
    options.extensions = [args.extensions.clone(), filter.include_extensions].concat();
    options.exclude_extensions =
        [args.exclude_extensions.clone(), filter.exclude_extensions].concat();
    options.include_foreign_data = [
        args.include_foreign_data.clone(),
        filter.include_foreign_data,
    ]
    .concat();
    options.strict_names = args.strict_names;
    options.allow_pooler = args.allow_pooler;

    let conflicts = [
        (
            args.schema_only && args.data_only,
            "-s/--schema-only",
            "-a/--data-only",
        ),
        (
            args.data_only && args.no_data,
            "-a/--data-only",
            "--no-data",
        ),
        (
            args.schema_only && args.no_schema,
            "-s/--schema-only",
            "--no-schema",
        ),
        (
            args.schema_only && !options.include_foreign_data.is_empty(),
            "-s/--schema-only",
            "--include-foreign-data",
        ),
        (args.data_only && args.clean, "-c/--clean", "-a/--data-only"),
    ];
    if let Some((_, a, b)) = conflicts.iter().find(|(clash, _, _)| *clash) {
        return Err(Stop::usage(format!(
            "options {a} and {b} cannot be used together"
        )));
    }
    if args.jobs.is_some_and(|jobs| jobs > 1) && !options.include_foreign_data.is_empty() {
        return Err(Stop::usage(FOREIGN_DATA_WITH_JOBS));
    }
    let mut rows_per_insert = 0usize;
    if args.inserts || args.column_inserts {
        rows_per_insert = 1;
    }
    if let Some(text) = &args.rows_per_insert {
        rows_per_insert = match text.trim().parse::<i64>() {
            Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => n as usize,
            Ok(_) => {
                return Err(Stop::usage(
                    "--rows-per-insert must be in range 1..2147483647",
                ))
            }
            Err(_) => {
                return Err(Stop::usage(format!(
                    "invalid value \"{text}\" for option --rows-per-insert"
                )))
            }
        };
    }
    if args.on_conflict_do_nothing && rows_per_insert == 0 {
        return Err(Stop::usage(
            "option --on-conflict-do-nothing requires option --inserts, --rows-per-insert, or --column-inserts",
        ));
    }
    options.data.rows_per_insert = rows_per_insert;
    options.data.column_inserts = args.column_inserts;
    options.data.on_conflict_do_nothing = args.on_conflict_do_nothing;

    let plan = &mut options.plan;
    plan.data = args.data_only || (!args.no_data && !args.schema_only);
    plan.schema = args.schema_only || (!args.no_schema && !args.data_only);
    plan.sequence_data = args.sequence_data;
    plan.large_objects = if args.large_objects {
        Some(true)
    } else if args.no_large_objects {
        Some(false)
    } else {
        None
    };
    plan.inserts = rows_per_insert > 0;
    plan.load_via_partition_root = args.load_via_partition_root;
    plan.no_unlogged_table_data = args.no_unlogged_table_data;
    plan.no_owner = args.no_owner;
    plan.no_privileges = args.no_privileges;
    plan.no_comments = args.no_comments;
    plan.no_publications = args.no_publications;
    plan.no_subscriptions = args.no_subscriptions;
    plan.no_security_labels = args.no_security_labels;
    plan.no_tablespaces = args.no_tablespaces;
    plan.no_table_access_method = args.no_table_access_method;
    plan.no_toast_compression = args.no_toast_compression;
    plan.no_policies = args.no_policies;
    plan.quote_all_identifiers = args.quote_all_identifiers;
    plan.disable_dollar_quoting = args.disable_dollar_quoting;
    plan.database_entries = args.create;
    if !args.sections.is_empty() {
        let mut sections = Sections {
            pre_data: false,
            data: false,
            post_data: false,
        };
        for section in &args.sections {
            match section.as_str() {
                "pre-data" => sections.pre_data = true,
                "data" => sections.data = true,
                "post-data" => sections.post_data = true,
                other => {
                    return Err(Stop::usage(format!(
                        "invalid section name \"{other}\" (use pre-data, data or post-data)"
                    )))
                }
            }
        }
        plan.sections = sections;
        if !sections.data {
            plan.data = false;
        }
    }

    options.session.serializable_deferrable = args.serializable_deferrable;
    options.session.snapshot = args.snapshot.clone();
    options.session.lock_wait_timeout = args.lock_wait_timeout.clone();
    options.session.enable_row_security = args.enable_row_security;
    options.session.quote_all_identifiers = args.quote_all_identifiers;
    options.session.role = args.role.clone();
    options.session.extra_float_digits = match &args.extra_float_digits {
        Some(text) => Some(parse_extra_float_digits(text)?),
        None => None,
    };
    options.declare_utf8 = args.encoding.is_some();

    let restrict_key = match &args.restrict_key {
        Some(key) if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            return Err(Stop::usage(
                "the restrict key may contain only letters and digits",
            ));
        }
        Some(key) => key.clone(),
        None => pgferry::dump::random_restrict_key(),
    };
    options.script = ScriptOptions {
        clean: args.clean,
        if_exists: args.if_exists,
        create_db: args.create,
        no_owner: args.no_owner,
        use_set_session_authorization: args.use_set_session_authorization,
        no_tablespaces: args.no_tablespaces,
        no_table_access_method: args.no_table_access_method,
        enable_row_security: args.enable_row_security,
        quote_all_identifiers: args.quote_all_identifiers,
        disable_triggers: args.disable_triggers,
        ..ScriptOptions::dump_defaults(Some(restrict_key))
    };
    Ok(options)
}

/// `--extra-float-digits`: an integer from -15 to 3, as pg_dump takes it.
fn parse_extra_float_digits(text: &str) -> Result<i32, Stop> {
    match text.trim().parse::<i64>() {
        Ok(n) if (-15..=3).contains(&n) => Ok(n as i32),
        Ok(_) => Err(Stop::usage("--extra-float-digits must be in range -15..3")),
        Err(_) => Err(Stop::usage(format!(
            "invalid value \"{text}\" for option --extra-float-digits"
        ))),
    }
}

/// Whether `path` is a regular file or does not exist yet (so that staging and renaming is right for it).
fn is_regular_or_missing(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(meta) => meta.is_file(),
        Err(_) => true,
    }
}
