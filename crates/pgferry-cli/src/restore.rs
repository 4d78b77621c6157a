//! `pgferry restore`: pg_restore's options, spelled as pg_restore spells them.

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use pgferry::archive::{Archive, ArchiveFormat, ReadError};
use pgferry::restore::{
    data_sizes, restore_archive, restore_archive_parallel, select, write_script, RestoreError,
    RestoreOptions, ScriptOptions, SelectOptions,
};

use crate::conn_args::ConnArgs;
use crate::exit::{self, Stop};
use crate::output::Reporter;
use pgferry::progress::Progress;

/// Arguments of `pgferry restore`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true, disable_version_flag = true, version)]
pub(crate) struct RestoreArgs {
    /// The archive: a custom or tar file, a directory archive, or standard input when left out.
    #[arg(value_name = "ARCHIVE")]
    archive: Option<PathBuf>,

    /// Restore into this database (a name or a connection string).
    #[arg(short = 'd', long = "dbname", value_name = "DBNAME")]
    dbname: Option<String>,

    /// Server host name or socket directory.
    #[arg(short = 'h', long = "host", value_name = "HOST")]
    host: Option<String>,

    /// Server port.
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    port: Option<String>,

    /// User name to connect as.
    #[arg(short = 'U', long = "username", value_name = "USER")]
    username: Option<String>,

    /// Write the SQL script to FILE instead of restoring (- for standard output).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,

    /// Archive format (c, d or t); detected from the archive, so only checked.
    #[arg(short = 'F', long = "format", value_name = "FORMAT")]
    format: Option<String>,

    /// Print the archive's table of contents (what would be restored) and stop.
    #[arg(short = 'l', long = "list")]
    list: bool,

    /// Restore only the entries this list names, in its order (a `-l` listing, edited).
    #[arg(short = 'L', long = "use-list", value_name = "FILE")]
    use_list: Option<PathBuf>,

    /// Restore only objects in this schema (repeatable).
    #[arg(short = 'n', long = "schema", value_name = "NAME")]
    schemas: Vec<String>,

    /// Do not restore objects in this schema (repeatable).
    #[arg(short = 'N', long = "exclude-schema", value_name = "NAME")]
    exclude_schemas: Vec<String>,

    /// Restore only this table, view, sequence or foreign table (repeatable).
    #[arg(short = 't', long = "table", value_name = "NAME")]
    tables: Vec<String>,

    /// Restore only this index (repeatable).
    #[arg(short = 'I', long = "index", value_name = "NAME")]
    indexes: Vec<String>,

    /// Restore only this function, given as name(arguments) (repeatable).
    #[arg(short = 'P', long = "function", value_name = "NAME(ARGS)")]
    functions: Vec<String>,

    /// Restore only this trigger (repeatable).
    #[arg(short = 'T', long = "trigger", value_name = "NAME")]
    triggers: Vec<String>,

    /// Restore only this section: pre-data, data or post-data (repeatable).
    #[arg(long = "section", value_name = "SECTION")]
    sections: Vec<String>,

    /// Restore only the data.
    #[arg(short = 'a', long = "data-only")]
    data_only: bool,

    /// Restore only the object definitions.
    #[arg(short = 's', long = "schema-only")]
    schema_only: bool,

    /// Do not restore data.
    #[arg(long = "no-data")]
    no_data: bool,

    /// Do not restore object definitions.
    #[arg(long = "no-schema")]
    no_schema: bool,

    /// Restore only the statistics.
    #[arg(long = "statistics-only")]
    statistics_only: bool,

    /// Do not restore statistics.
    #[arg(long = "no-statistics")]
    no_statistics: bool,

    /// Restore statistics (the default).
    #[arg(long = "statistics")]
    statistics: bool,

    /// Every -n, -t, -I, -P and -T name must match an entry.
    #[arg(long = "strict-names")]
    strict_names: bool,

    /// Read include/exclude names from FILE.
    #[arg(long = "filter", value_name = "FILE")]
    filter: Vec<PathBuf>,

    /// Drop objects before creating them.
    #[arg(short = 'c', long = "clean")]
    clean: bool,

    /// With --clean, use DROP ... IF EXISTS.
    #[arg(long = "if-exists")]
    if_exists: bool,

    /// Create the database, then restore into it.
    #[arg(short = 'C', long = "create")]
    create: bool,

    /// Restore in one transaction (stops at the first error).
    #[arg(short = '1', long = "single-transaction")]
    single_transaction: bool,

    /// Stop at the first error.
    #[arg(short = 'e', long = "exit-on-error")]
    exit_on_error: bool,

    /// Do not restore the data of a table that could not be created (it exists already, say).
    #[arg(long = "no-data-for-failed-tables")]
    no_data_for_failed_tables: bool,

    /// Commit after every N restored objects (implies --exit-on-error).
    #[arg(long = "transaction-size", value_name = "N")]
    transaction_size: Option<String>,

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

    /// Skip row-level security policies.
    #[arg(long = "no-policies")]
    no_policies: bool,

    /// Skip tablespace assignments.
    #[arg(long = "no-tablespaces")]
    no_tablespaces: bool,

    /// Skip table access methods.
    #[arg(long = "no-table-access-method")]
    no_table_access_method: bool,

    /// Disable triggers while restoring data (data-only restores).
    #[arg(long = "disable-triggers")]
    disable_triggers: bool,

    /// With --disable-triggers, disable and enable them as this superuser (SET SESSION AUTHORIZATION) rather
    /// than as the user the restore connects as.
    #[arg(short = 'S', long = "superuser", value_name = "NAME")]
    superuser: Option<String>,

    /// Restore with row security on (only rows policies allow).
    #[arg(long = "enable-row-security")]
    enable_row_security: bool,

    /// Use SET SESSION AUTHORIZATION instead of ALTER ... OWNER TO.
    #[arg(long = "use-set-session-authorization")]
    use_set_session_authorization: bool,

    /// SET ROLE to this role before restoring.
    #[arg(long = "role", value_name = "ROLE")]
    role: Option<String>,

    /// The key for psql's \restrict in a script (default: random).
    #[arg(long = "restrict-key", value_name = "KEY")]
    restrict_key: Option<String>,

    /// Restore with this many connections at once (custom files, directory and tar archives).
    #[arg(short = 'j', long = "jobs", value_name = "NUM")]
    jobs: Option<u32>,

    /// Never prompt for a password (pgferry never does: it takes passwords from the connection string,
    /// PGPASSWORD or the password file).
    #[arg(short = 'w', long = "no-password")]
    no_password: bool,

    /// Ask for the password on the terminal before connecting (otherwise pgferry never prompts).
    #[arg(short = 'W', long = "password")]
    password: bool,

    /// Print the version.
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,

    /// Print help.
    #[arg(short = '?', long, action = clap::ArgAction::Help)]
    help: Option<bool>,

    #[command(flatten)]
    pub(crate) output: crate::output::OutputArgs,
}

/// Where the dump comes from: a path (a file or a directory archive), or standard input with its first bytes
/// already read (to tell an archive from a plain script).
enum Input {
    Path(PathBuf),
    Stdin(Vec<u8>),
}

/// How many bytes tell an archive from a plain SQL script: a tar header is 512.
const SNIFF: usize = 512;

impl Input {
    fn open(archive: Option<&std::path::Path>) -> Result<Input, String> {
        match archive {
            Some(path) if path.as_os_str() != "-" => Ok(Input::Path(path.to_owned())),
            _ => {
                let mut head = Vec::with_capacity(SNIFF);
                io::stdin()
                    .take(SNIFF as u64)
                    .read_to_end(&mut head)
                    .map_err(|e| format!("could not read standard input: {e}"))?;
                Ok(Input::Stdin(head))
            }
        }
    }

    /// Not a custom or tar archive, nor a directory: a plain SQL script.
    fn is_plain_sql(&self) -> bool {
        let head = match self {
            Input::Path(path) if path.is_dir() => return false,
            Input::Path(path) => {
                let mut head = Vec::with_capacity(SNIFF);
                match std::fs::File::open(path) {
                    Ok(file) => {
                        let _ = file.take(SNIFF as u64).read_to_end(&mut head);
                    }
                    // Let the archive reader report it.
                    Err(_) => return false,
                }
                head
            }
            Input::Stdin(head) => head.clone(),
        };
        let tar = head.len() >= 262 && &head[257..262] == b"ustar";
        // A script is text: bytes with a NUL in them are a damaged archive (or no dump at all), for the archive
        // reader to report.
        !(head.starts_with(b"PGDMP") || tar || head.is_empty() || head.contains(&0))
    }

    /// The archive's name in messages.
    fn name(&self) -> String {
        match self {
            Input::Path(path) => path.display().to_string(),
            Input::Stdin(_) => "standard input".to_owned(),
        }
    }
}

/// A failed restore's message: errors of reading the archive name it.
fn restore_error(error: RestoreError, archive: &str) -> String {
    match error {
        RestoreError::Archive(message) => format!("{archive}: {message}"),
        other => other.to_string(),
    }
}

/// Why writing a script failed: the message, and whether the cause was a reader that went away.
struct ScriptFailure {
    broken_pipe: bool,
    message: String,
}

/// Writes the script to `out`; an error of reading the archive names it (and is not called a write error).
fn write_script_to(
    archive: &mut Archive,
    toc: &pgferry::archive::Toc,
    script: &ScriptOptions,
    mut out: impl Write,
    name: &str,
) -> Result<(), ScriptFailure> {
    write_script(archive, toc, script, &mut out)
        .and_then(|()| out.flush().map_err(RestoreError::Write))
        .map_err(|e| ScriptFailure {
            broken_pipe: matches!(&e, RestoreError::Write(error) if error.kind() == io::ErrorKind::BrokenPipe),
            message: restore_error(e, name),
        })
}

/// Options a plain SQL script cannot honour: it runs as it is, statement by statement, so nothing can be
/// selected, left out or rewritten (pg_restore refuses such input altogether). The flags pgferry's script
/// runner does take are `-d` and the connection options, `-1`, `-e`, `-w` and `-j 1`.
fn options_needing_an_archive(args: &RestoreArgs) -> Vec<&'static str> {
    let given = [
        (args.format.is_some(), "-F"),
        (args.list, "-l"),
        (args.use_list.is_some(), "-L"),
        (!args.schemas.is_empty(), "-n"),
        (!args.exclude_schemas.is_empty(), "-N"),
        (!args.tables.is_empty(), "-t"),
        (!args.indexes.is_empty(), "-I"),
        (!args.functions.is_empty(), "-P"),
        (!args.triggers.is_empty(), "-T"),
        (!args.sections.is_empty(), "--section"),
        (args.data_only, "-a"),
        (args.schema_only, "-s"),
        (args.no_data, "--no-data"),
        (args.no_schema, "--no-schema"),
        (args.statistics_only, "--statistics-only"),
        (args.no_statistics, "--no-statistics"),
        (args.statistics, "--statistics"),
        (args.strict_names, "--strict-names"),
        (!args.filter.is_empty(), "--filter"),
        (args.clean, "-c"),
        (args.if_exists, "--if-exists"),
        (args.create, "-C"),
        (
            args.no_data_for_failed_tables,
            "--no-data-for-failed-tables",
        ),
        (args.transaction_size.is_some(), "--transaction-size"),
        (args.no_owner, "-O"),
        (args.no_privileges, "-x"),
        (args.no_comments, "--no-comments"),
        (args.no_publications, "--no-publications"),
        (args.no_subscriptions, "--no-subscriptions"),
        (args.no_security_labels, "--no-security-labels"),
        (args.no_policies, "--no-policies"),
        (args.no_tablespaces, "--no-tablespaces"),
        (args.no_table_access_method, "--no-table-access-method"),
        (args.disable_triggers, "--disable-triggers"),
        (args.superuser.is_some(), "-S"),
        (args.enable_row_security, "--enable-row-security"),
        (
            args.use_set_session_authorization,
            "--use-set-session-authorization",
        ),
        (args.role.is_some(), "--role"),
        (args.restrict_key.is_some(), "--restrict-key"),
    ];
    given
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect()
}

/// Runs a plain SQL script into the database, as psql does with pg_dump's scripts.
async fn run_plain(args: &RestoreArgs, input: Input) -> Result<i32, Stop> {
    use pgferry::restore::sql::{run_script, RunOptions};
    let Some(dbname) = &args.dbname else {
        return Err(Stop::usage(
            "the input is a plain SQL script, not an archive: restore it with -d DBNAME (-f and -l need an \
             archive)",
        ));
    };
    let refused = options_needing_an_archive(args);
    if !refused.is_empty() {
        return Err(Stop::usage(format!(
            "the input is a plain SQL script, which runs as it is: {} need an archive",
            refused.join(", ")
        )));
    }
    if args.jobs.is_some_and(|j| j > 1) {
        return Err(Stop::usage(
            "a plain SQL script runs on one connection: use -j 1",
        ));
    }
    let config = connection(args, dbname)?;
    let progress = Progress::new();
    let reporter = Reporter::start(&args.output, Arc::clone(&progress), false);
    let printer = reporter.printer();
    let options = RunOptions {
        exit_on_error: args.exit_on_error,
        single_transaction: args.single_transaction,
        on_error: Some(Arc::new(move |error| {
            printer.line(&format!("pgferry: error: {error}"));
        })),
        progress: Some(progress),
    };
    let summary = match input {
        Input::Path(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| format!("could not open {}: {e}", path.display()))?;
            run_script(&config, tokio::io::BufReader::new(file), &options).await
        }
        Input::Stdin(head) => {
            let stdin = tokio::io::AsyncReadExt::chain(io::Cursor::new(head), tokio::io::stdin());
            run_script(&config, stdin, &options).await
        }
    }
    .map_err(|e| e.to_string())?;
    reporter.finish(None, summary.errors == 0)?;
    Ok(exit::errors_ignored(summary.errors))
}

/// The connection to restore into: `-d` with `-h/-p/-U`, the environment and the password file; with `-W`, the
/// password typed on the terminal.
fn connection(args: &RestoreArgs, dbname: &str) -> Result<pgferry::ConnConfig, Stop> {
    let conn = ConnArgs {
        connection: None,
        dbname: Some(dbname.to_owned()),
        host: args.host.clone(),
        port: args.port.clone(),
        username: args.username.clone(),
    };
    let mut config = conn.resolve().map_err(|e| e.to_string())?;
    if args.password {
        crate::conn_args::prompt_password(&mut config)?;
    }
    Ok(config)
}

pub(crate) async fn run(args: RestoreArgs) -> i32 {
    match run_inner(args).await {
        Ok(code) => code,
        Err(stop) => stop.report(),
    }
}

fn read_text(path: &PathBuf) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("could not read standard input: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))
}

/// The selection: bad section names are usage errors, filter and list files that cannot be read or parsed
/// failures.
fn select_options(args: &RestoreArgs) -> Result<SelectOptions, Stop> {
    let mut options = SelectOptions {
        schemas: args.schemas.clone(),
        exclude_schemas: args.exclude_schemas.clone(),
        tables: args.tables.clone(),
        indexes: args.indexes.clone(),
        functions: args.functions.clone(),
        triggers: args.triggers.clone(),
        data_only: args.data_only,
        schema_only: args.schema_only,
        no_data: args.no_data,
        no_schema: args.no_schema,
        statistics_only: args.statistics_only,
        no_statistics: args.no_statistics,
        statistics: args.statistics,
        create: args.create,
        no_privileges: args.no_privileges,
        no_comments: args.no_comments,
        no_policies: args.no_policies,
        no_publications: args.no_publications,
        no_subscriptions: args.no_subscriptions,
        no_security_labels: args.no_security_labels,
        strict_names: args.strict_names,
        ..SelectOptions::default()
    };
    for section in &args.sections {
        options
            .add_section(section)
            .map_err(|e| Stop::usage(e.to_string()))?;
    }
    for path in &args.filter {
        let text = read_text(path)?;
        options
            .add_filter(&text, &path.display().to_string())
            .map_err(|e| e.to_string())?;
    }
    if let Some(path) = &args.use_list {
        let text = read_text(path)?;
        options.use_list = Some(select::UseList::parse(&text));
    }
    Ok(options)
}

/// The format `-F` names: pg_restore looks at its first letter only, in either case.
fn asked_format(text: &str) -> Option<ArchiveFormat> {
    match text.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('c') => Some(ArchiveFormat::Custom),
        Some('d') => Some(ArchiveFormat::Directory),
        Some('t') => Some(ArchiveFormat::Tar),
        _ => None,
    }
}

fn format_name(format: ArchiveFormat) -> &'static str {
    match format {
        ArchiveFormat::Custom => "custom",
        ArchiveFormat::Directory => "directory",
        ArchiveFormat::Tar => "tar",
        ArchiveFormat::Plain => "plain",
    }
}

/// Refusals of the command line alone, before any input is read.
fn check_usage(args: &RestoreArgs) -> Result<(), Stop> {
    if let Some(format) = &args.format {
        if asked_format(format).is_none() {
            return Err(Stop::usage(format!(
                "unrecognized archive format \"{format}\"; please specify \"c\", \"d\", or \"t\""
            )));
        }
    }
    let conflicts = [
        (
            args.dbname.is_some() && args.file.is_some(),
            "-d/--dbname",
            "-f/--file",
        ),
        (
            args.dbname.is_some() && args.restrict_key.is_some(),
            "-d/--dbname",
            "--restrict-key",
        ),
        (args.clean && args.data_only, "-c/--clean", "-a/--data-only"),
        (
            args.create && args.single_transaction,
            "-C/--create",
            "-1/--single-transaction",
        ),
        (
            args.single_transaction && args.transaction_size.is_some(),
            "-1/--single-transaction",
            "--transaction-size",
        ),
    ];
    if let Some((_, a, b)) = conflicts.iter().find(|(clash, _, _)| *clash) {
        return Err(Stop::usage(format!(
            "options {a} and {b} cannot be used together"
        )));
    }
    if args.dbname.is_none() && args.file.is_none() && !args.list {
        return Err(Stop::usage(
            "one of -d/--dbname and -f/--file must be specified",
        ));
    }
    if args.if_exists && !args.clean {
        return Err(Stop::usage("option --if-exists requires option -c/--clean"));
    }
    if args.jobs == Some(0) {
        return Err(Stop::usage(format!(
            "-j/--jobs must be in range 1..{}",
            i32::MAX
        )));
    }
    if args.single_transaction && args.jobs.is_some_and(|j| j > 1) {
        return Err(Stop::usage(
            "cannot specify both --single-transaction and multiple jobs",
        ));
    }
    let from_stdin = args.archive.as_deref().is_none_or(|p| p.as_os_str() == "-");
    if args.jobs.is_some_and(|j| j > 1) && from_stdin && args.dbname.is_some() {
        return Err(Stop::usage(
            "parallel restore (-j) reads the archive on several connections and cannot read it from \
             standard input: give the archive's path, or use -j 1",
        ));
    }
    Ok(())
}

/// Where a listing (`-l`) goes: `-f FILE`, or standard output.
fn write_listing(
    args: &RestoreArgs,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Stop> {
    match args.file.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("could not open {}: {e}", path.display()))?;
            let mut out = BufWriter::new(file);
            write(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| Stop::Failed(format!("could not write {}: {e}", path.display())))
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            match write(&mut out).and_then(|()| out.flush()) {
                Ok(()) => Ok(()),
                // A reader that stopped early (`pgferry restore -l x | head`) is not a failure.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Stop::Failed(format!("could not write the listing: {e}"))),
            }
        }
    }
}

async fn run_inner(args: RestoreArgs) -> Result<i32, Stop> {
    check_usage(&args)?;
    let jobs = args.jobs.unwrap_or(1).max(1) as usize;
    let archive_path = args.archive.clone().filter(|p| p.as_os_str() != "-");
    let transaction_size = match &args.transaction_size {
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 && n <= i32::MAX as usize => n,
            _ => {
                return Err(Stop::usage(format!(
                    "--transaction-size must be in range 1..{}",
                    i32::MAX
                )))
            }
        },
        None => 0,
    };
    let select_options = select_options(&args)?;
    select_options
        .content()
        .map_err(|e| Stop::usage(e.to_string()))?;

    // A plain SQL script (what pg_dump -Fp writes) is run as psql would run it.
    let input = Input::open(args.archive.as_deref())?;
    if input.is_plain_sql() {
        return run_plain(&args, input).await;
    }

    let name = input.name();
    let opened = match input {
        Input::Path(path) => Archive::open(&path).map_err(|e| match e {
            // An I/O error of opening names the path itself.
            ReadError::Io { what, source } if what == name => {
                format!("could not read {what}: {source}")
            }
            e => format!("{name}: {e}"),
        }),
        Input::Stdin(head) => Archive::from_stream(io::Cursor::new(head).chain(io::stdin()))
            .map_err(|e| format!("{name}: {e}")),
    };
    let mut archive = opened?;
    if let Some(asked) = args.format.as_deref().and_then(asked_format) {
        // The format is detected; a -F that says otherwise is refused, as pg_restore fails to read it.
        if archive.format() != asked {
            return Err(Stop::Failed(format!(
                "{name} is a {} archive, not the {} format -F {} asks for",
                format_name(archive.format()),
                format_name(asked),
                args.format.as_deref().unwrap_or_default()
            )));
        }
    }
    let full_toc = archive.toc().clone();
    tracing::info!(
        "{name}: a {} archive, version {}, {} entries",
        format_name(archive.format()),
        archive.header().version,
        full_toc.entries.len()
    );
    let selection = select::select(&full_toc, &select_options).map_err(|e| e.to_string())?;
    for line in selection.ignored_lines() {
        eprintln!("pgferry: warning: {line}");
    }
    let unmatched = selection.unmatched().filter(|_| args.strict_names);

    if args.list {
        // pg_restore prints the listing (to -f FILE when given), then reports a name --strict-names did not
        // find.
        write_listing(&args, |out| {
            selection.write_list(archive.header(), &full_toc, out)
        })?;
        return match unmatched {
            Some(error) => Err(Stop::Failed(error.to_string())),
            None => Ok(exit::SUCCESS),
        };
    }
    if let Some(error) = unmatched {
        return Err(Stop::Failed(error.to_string()));
    }
    let triggers_disabled = args.disable_triggers && !selection.has_schema();
    if args.superuser.is_some() && !triggers_disabled {
        eprintln!(
            "pgferry: warning: -S/--superuser is used only with --disable-triggers in a data-only restore"
        );
    }

    let content = selection.content();
    let toc = selection.toc(&full_toc);
    tracing::info!("restoring {} of the entries", toc.entries.len());
    let mut script = ScriptOptions {
        schema: content.schema,
        data: content.data,
        statistics: content.statistics,
        clean: args.clean,
        if_exists: args.if_exists,
        create_db: args.create,
        no_owner: args.no_owner,
        use_set_session_authorization: args.use_set_session_authorization,
        no_tablespaces: args.no_tablespaces,
        no_table_access_method: args.no_table_access_method,
        enable_row_security: args.enable_row_security,
        single_transaction: args.single_transaction,
        transaction_size,
        role: args.role.clone(),
        restrict_key: None,
        transaction_timeout: true,
        quote_all_identifiers: false,
        // pg_restore disables triggers only when no definitions are restored.
        disable_triggers: args.disable_triggers && !selection.has_schema(),
        superuser: args.superuser.clone(),
    };
    if !selection.has_schema() {
        script.schema = false;
    }

    match &args.dbname {
        None => {
            script.restrict_key = Some(
                args.restrict_key
                    .clone()
                    .unwrap_or_else(pgferry::dump::random_restrict_key),
            );
            let path = args.file.clone().unwrap_or_else(|| PathBuf::from("-"));
            let written = if path.as_os_str() == "-" {
                let out = BufWriter::new(io::stdout().lock());
                write_script_to(&mut archive, &toc, &script, out, &name).map_err(|e| {
                    // The reader of the script went away (`| head`): the script is incomplete, and the
                    // reader knows why.
                    if e.broken_pipe {
                        Stop::BrokenPipe
                    } else {
                        Stop::Failed(e.message)
                    }
                })
            } else {
                let file = std::fs::File::create(&path)
                    .map_err(|e| format!("could not open {}: {e}", path.display()))?;
                write_script_to(&mut archive, &toc, &script, BufWriter::new(file), &name)
                    .map_err(|e| Stop::Failed(e.message))
            };
            written.map(|()| exit::SUCCESS)
        }
        Some(dbname) => {
            let config = connection(&args, dbname)?;
            let progress = Progress::new();
            let options = RestoreOptions {
                script,
                exit_on_error: args.exit_on_error,
                no_data_for_failed_tables: args.no_data_for_failed_tables,
                progress: Some(Arc::clone(&progress)),
            };
            let reporter = Reporter::start(&args.output, progress, false);
            let summary = match &archive_path {
                Some(path) if jobs > 1 => {
                    if !archive.can_seek() {
                        return Err(Stop::Failed(format!(
                            "{}: parallel restore needs an archive it can read in any order",
                            path.display()
                        )));
                    }
                    drop(archive);
                    let sizes = data_sizes(path, &full_toc);
                    let open =
                        || Archive::open(path).map_err(|e| RestoreError::Archive(e.to_string()));
                    restore_archive_parallel(&config, &open, &toc, &options, jobs, &sizes).await
                }
                _ => restore_archive(&config, archive, &toc, &options).await,
            }
            .map_err(|e| restore_error(e, &name))?;
            reporter.finish(None, summary.errors.is_empty())?;
            for error in &summary.errors {
                eprintln!("pgferry: error: {error}");
            }
            Ok(exit::errors_ignored(summary.errors.len() as u64))
        }
    }
}
