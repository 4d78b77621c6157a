//! `pgferry copy`: one database into another, schema and data, streamed with no intermediate file.
//!
//! It takes @neondatabase/pg-import's flags (`--source`, `--destination`, `--backup-file-path`, `--silent`), with
//! one difference on purpose: a failure always exits non-zero. A few of pg_dump's and pg_restore's options are
//! taken too, with their meaning: the selection (`-n/-N/-t/-T/--exclude-table-data`) and `-x`/`--no-comments`
//! apply to what is read from the source, `-O` and `-c/--if-exists` to how the destination is restored.

use std::path::PathBuf;

use clap::Args;
use pgferry::copy::{copy, CopyOptions};
use pgferry::progress::Progress;
use pgferry::{ConnConfig, Overrides, ProcessEnv};

use crate::exit::{self, Stop};
use crate::output::{OutputArgs, Reporter};
use crate::staged::StagedFile;

/// `-j` at most, as for dumps.
const MAX_JOBS: u32 = 1024;

/// Arguments of `pgferry copy`.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit status: 0 when everything was copied; 1 on a failure (no connection, a source that cannot be read, a \
backup file that cannot be written, ...); 2 when the command line is wrong; 3 when the copy finished but some \
entries failed at the destination and were skipped (each is printed, as pg_restore prints them).

The destination database must exist. Roles (owners, grantees) are not copied: they are the cluster's, not \
the database's; create them first, or use -O and -x.")]
pub(crate) struct CopyArgs {
    /// The database to copy: a connection string (URL or key=value) or a database name. The PG* environment
    /// variables and ~/.pgpass fill in what it leaves out.
    #[arg(long = "source", value_name = "CONNECTION")]
    source: Option<String>,

    /// The database to copy into (it must exist), in the same forms. Without it, --backup-file-path is
    /// required and only the archive is written.
    #[arg(long = "destination", value_name = "CONNECTION")]
    destination: Option<String>,

    /// Connections on each side besides the two leaders: N tables are read and loaded at once (largest
    /// first), and the destination builds N indexes and constraints at once.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<u32>,

    /// Also keep a custom-format archive (what pgferry dump -Fc writes; pg_restore reads it) of what is copied
    /// in FILE. It is written as the data passes, not read a second time, under a temporary name renamed when
    /// the copy is complete.
    #[arg(long = "backup-file-path", value_name = "FILE")]
    backup_file_path: Option<PathBuf>,

    /// No progress and no summary on stderr; errors are still printed and the exit status still tells a
    /// failure. Takes a value as pg-import does: --silent, --silent true or --silent false.
    #[arg(
        long = "silent",
        value_name = "true|false",
        num_args = 0..=1,
        require_equals = false,
        default_missing_value = "true",
        value_parser = parse_silent
    )]
    silent: Option<bool>,

    /// Copy only the schemas matching PATTERN, as pg_dump -n (repeatable).
    #[arg(short = 'n', long = "schema", value_name = "PATTERN")]
    schemas: Vec<String>,

    /// Do not copy the schemas matching PATTERN (repeatable).
    #[arg(short = 'N', long = "exclude-schema", value_name = "PATTERN")]
    exclude_schemas: Vec<String>,

    /// Copy only the tables matching PATTERN, as pg_dump -t (repeatable).
    #[arg(short = 't', long = "table", value_name = "PATTERN")]
    tables: Vec<String>,

    /// Do not copy the tables matching PATTERN (repeatable).
    #[arg(short = 'T', long = "exclude-table", value_name = "PATTERN")]
    exclude_tables: Vec<String>,

    /// Copy the definition of the tables matching PATTERN but not their rows (repeatable).
    #[arg(long = "exclude-table-data", value_name = "PATTERN")]
    exclude_table_data: Vec<String>,

    /// Do not set the owners of the objects the copy creates: the destination's user owns them.
    #[arg(short = 'O', long = "no-owner")]
    no_owner: bool,

    /// Do not copy privileges (GRANT/REVOKE).
    #[arg(short = 'x', long = "no-privileges", visible_alias = "no-acl")]
    no_privileges: bool,

    /// Do not copy comments.
    #[arg(long = "no-comments")]
    no_comments: bool,

    /// Drop each object in the destination before creating it (as pg_restore -c).
    #[arg(short = 'c', long = "clean")]
    clean: bool,

    /// With --clean, use DROP ... IF EXISTS.
    #[arg(long = "if-exists")]
    if_exists: bool,

    #[command(flatten)]
    output: OutputArgs,
}

/// pg-import's `--silent` takes a value, of which only `true` counts; pgferry takes `true` and `false` and
/// refuses anything else rather than guess.
fn parse_silent(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("\"{other}\" is neither true nor false")),
    }
}

pub(crate) async fn run(args: CopyArgs) -> i32 {
    match run_inner(args).await {
        Ok(code) => code,
        // One line: an entry's failing command, which may follow the message, is left out.
        Err(Stop::Failed(message)) => Stop::Failed(one_line(&message).to_owned()).report(),
        Err(stop) => stop.report(),
    }
}

/// The first line of a message (an entry's failing command follows on the next lines).
fn one_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

fn resolve(text: &str) -> Result<ConnConfig, String> {
    let mut config = ConnConfig::resolve(Some(text), &Overrides::default(), &ProcessEnv)
        .map_err(|e| e.to_string())?;
    if config.fallback_application_name.is_none() {
        config.fallback_application_name = Some("pgferry".to_owned());
    }
    Ok(config)
}

async fn run_inner(args: CopyArgs) -> Result<i32, Stop> {
    let usage = |message: &str| Err(Stop::Usage(message.to_owned()));
    let Some(source) = &args.source else {
        return usage("--source is required: the database to copy");
    };
    if args.destination.is_none() && args.backup_file_path.is_none() {
        return usage("nothing to copy into: give --destination, --backup-file-path, or both");
    }
    let jobs = match args.jobs {
        None => 1,
        Some(jobs) if (1..=MAX_JOBS).contains(&jobs) => jobs as usize,
        Some(jobs) => {
            return Err(Stop::Usage(format!(
                "-j/--jobs must be in range 1..{MAX_JOBS}, not {jobs}"
            )))
        }
    };
    if args.if_exists && !args.clean {
        return usage("option --if-exists requires option -c/--clean");
    }
    if args.destination.is_none() {
        // They say how the destination is restored: without one they would mean nothing.
        for (given, option) in [(args.clean, "-c/--clean"), (args.no_owner, "-O/--no-owner")] {
            if given {
                return Err(Stop::Usage(format!(
                    "option {option} applies to the destination: give --destination"
                )));
            }
        }
    }
    let source = resolve(source).map_err(|e| Stop::Failed(format!("--source: {e}")))?;
    let destination = match &args.destination {
        Some(text) => Some(resolve(text).map_err(|e| Stop::Failed(format!("--destination: {e}")))?),
        None => None,
    };
    if let Some(destination) = &destination {
        if destination.targets == source.targets && destination.dbname == source.dbname {
            return usage("--source and --destination name the same database");
        }
    }

    let silent = args.silent.unwrap_or(false);
    let progress = Progress::new();
    let options = copy_options(&args, jobs, &progress);
    let reporter = Reporter::start(&args.output, progress, silent);
    let staged = match &args.backup_file_path {
        Some(path) => Some(StagedFile::create(path).map_err(Stop::Failed)?),
        None => None,
    };
    let backup = match &staged {
        Some(staged) => Some(
            staged
                .file
                .try_clone()
                .map_err(|e| Stop::Failed(format!("{}: {e}", staged.target().display())))?,
        ),
        None => None,
    };
    let copied = copy(&source, destination.as_ref(), backup, &options).await;
    // On a failure the reporter is dropped: it stops and clears its bars, and the error is the last word.
    let summary = copied.map_err(|e| Stop::Failed(e.to_string()))?;
    let written = match staged {
        Some(staged) => Some(staged.commit().map_err(Stop::Failed)?),
        None => None,
    };
    let errors = summary.errors();
    reporter
        .finish(written, errors.is_empty())
        .map_err(Stop::Failed)?;
    for error in errors {
        eprintln!(
            "pgferry: error: destination database: from TOC entry {}: {}",
            error.entry,
            one_line(&error.message)
        );
    }
    Ok(exit::errors_ignored(errors.len() as u64))
}

fn copy_options(args: &CopyArgs, jobs: usize, progress: &std::sync::Arc<Progress>) -> CopyOptions {
    let mut options = CopyOptions {
        jobs,
        progress: Some(std::sync::Arc::clone(progress)),
        ..CopyOptions::default()
    };
    let dump = &mut options.dump;
    dump.schemas = args.schemas.clone();
    dump.exclude_schemas = args.exclude_schemas.clone();
    dump.tables = args.tables.clone();
    dump.exclude_tables = args.exclude_tables.clone();
    dump.exclude_table_data = args.exclude_table_data.clone();
    dump.plan.no_privileges = args.no_privileges;
    dump.plan.no_comments = args.no_comments;
    let script = &mut options.restore.script;
    script.no_owner = args.no_owner;
    script.clean = args.clean;
    script.if_exists = args.if_exists;
    options
}
