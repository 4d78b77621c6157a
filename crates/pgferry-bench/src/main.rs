//! `pgferry-bench`: pgferry's benchmarks.
//!
//! * `pgferry-bench generate --url URL --dataset NAME --scale GIB` creates a dataset with server-side SQL;
//! * `pgferry-bench run --url URL` (or `--start-server MAJOR` for a throwaway cluster) times `pgferry dump` against
//!   the reference `pg_dump` on the same data, then `pgferry restore` against `pg_restore`, each restoring both
//!   tools' archives into a fresh database (checked against the source after each restore), and prints Markdown
//!   tables: median wall time, peak RSS, archive size and the ratios pg_dump/pgferry and pg_restore/pgferry.
//!
//! See docs/benchmarks.md. Progress goes to stderr, the report to stdout.

mod conn;
mod datasets;
mod measure;
mod report;
mod verify;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Parser, Subcommand};
use pgferry_testkit::{reference_for_server, Cluster, RefTool};

use crate::datasets::Dataset;
use crate::measure::{remove_path, run_measured, size_on_disk, Measured};
use crate::report::{Format, Pair, RestorePair, Series};

/// The database a throwaway cluster's dataset goes in.
const BENCH_DB: &str = "bench";

/// The database each restore goes in (dropped and created again for every run).
const RESTORE_DB: &str = "pgferry_bench_restore";

/// Times pgferry against pg_dump/pg_restore on the same data.
#[derive(Debug, Parser)]
#[command(name = "pgferry-bench", version, disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Create a dataset in a database with server-side SQL (generate_series), then VACUUM ANALYZE.
    Generate(GenerateArgs),
    /// Time pgferry dump against pg_dump, then pgferry restore against pg_restore of both tools' archives, and
    /// print a Markdown report.
    Run(RunArgs),
    /// Run one command and print its wall time and peak RSS, measured as `run` does.
    Measure(MeasureArgs),
}

#[derive(Debug, Args)]
struct MeasureArgs {
    /// The command and its arguments (after `--`).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<OsString>,
}

#[derive(Debug, Args)]
struct DatasetArgs {
    /// The dataset: one-big-table or many-tables.
    #[arg(long, value_enum)]
    dataset: Option<Dataset>,

    /// About how many GiB of COPY text the dataset holds (e.g. 0.05, 1).
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    scale: f64,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Connection string of the database to fill (URL or key=value).
    #[arg(long)]
    url: String,

    #[command(flatten)]
    data: DatasetArgs,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Connection string of the database to dump (URL or key=value); the same string is given to every tool.
    #[arg(
        long,
        required_unless_present = "start_server",
        conflicts_with = "start_server"
    )]
    url: Option<String>,

    /// Instead of --url, start a throwaway cluster of this PostgreSQL major (pgferry-testkit; needs
    /// scripts/provision-postgres) and a --dataset in it. Its data dir goes under $PGFERRY_TEST_TMP or the system
    /// temp dir.
    #[arg(long, value_name = "MAJOR", requires = "dataset")]
    start_server: Option<u32>,

    /// A server setting for --start-server, NAME=VALUE (repeatable).
    #[arg(long = "server-setting", value_name = "NAME=VALUE", requires = "start_server", value_parser = parse_setting)]
    server_settings: Vec<(String, String)>,

    /// Generate this dataset before timing (see `generate`).
    #[command(flatten)]
    data: DatasetArgs,

    /// -j for the commands that take it: pgferry dump -Fc/-Fd, pg_dump -Fd, pgferry restore of c, d and t,
    /// pg_restore of c and d.
    #[arg(short = 'j', long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: u32,

    /// Archive formats to time, comma-separated: p, c, d, t.
    #[arg(long, value_delimiter = ',', default_value = "c,d")]
    formats: Vec<Format>,

    /// -Z passed to both dump tools (default: theirs, gzip for c and d).
    #[arg(short = 'Z', long, value_name = "METHOD[:LEVEL]")]
    compress: Option<String>,

    /// Runs of each command; the median wall time is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,

    /// The pgferry executable (default: the one next to this program, else `pgferry` on PATH).
    #[arg(long, value_name = "PATH")]
    pgferry: Option<PathBuf>,

    /// The reference pg_dump (default: the one the tests compare with for the server's major, from
    /// scripts/provision-postgres: 18.6 for 18, 17.10 for 12-17 but 15, 15 for 15; else `pg_dump` on PATH).
    #[arg(long = "pg-dump", value_name = "PATH")]
    pg_dump: Option<PathBuf>,

    /// The pg_restore (default: next to --pg-dump, else the reference for the server's major as for --pg-dump,
    /// else `pg_restore` on PATH).
    #[arg(long = "pg-restore", value_name = "PATH")]
    pg_restore: Option<PathBuf>,

    /// Skip the restore side (pgferry restore and pg_restore of the archives).
    #[arg(long)]
    no_restore: bool,

    /// Where archives and logs go, kept afterwards (default: a temp dir, removed at the end).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1024.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a scale: give GiB above 0, e.g. 0.05 or 1"
        )),
    }
}

fn parse_setting(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("'{s}' is not NAME=VALUE")),
    }
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => fail(&format!("could not start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            BenchCommand::Generate(args) => generate(args).await,
            BenchCommand::Run(args) => run(args).await,
            BenchCommand::Measure(args) => measure(args),
        }
    });
    runtime.shutdown_background();
    if let Err(message) = result {
        fail(&message);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("pgferry-bench: error: {message}");
    std::process::exit(1);
}

async fn generate(args: GenerateArgs) -> Result<(), String> {
    let Some(dataset) = args.data.dataset else {
        return Err("generate needs --dataset (one-big-table or many-tables)".into());
    };
    let session = conn::connect(&args.url).await?;
    let generated = datasets::generate(session.client(), dataset, args.data.scale).await?;
    println!(
        "{}: {} rows, about {:.0} MiB of COPY text; database size {:.0} MiB",
        dataset_name(dataset),
        generated.rows,
        mib(generated.copy_bytes),
        mib(generated.database_bytes)
    );
    Ok(())
}

fn measure(args: MeasureArgs) -> Result<(), String> {
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..]);
    let log = tempfile::NamedTempFile::new().map_err(|e| format!("creating a temp file: {e}"))?;
    let m = tokio::task::block_in_place(|| run_measured(&mut cmd, log.path()))
        .map_err(|e| format!("running {:?}: {e}", args.command[0]))?;
    println!(
        "{:.3} s, peak RSS {:.1} MiB (wait4 {:.1} MiB, spawn floor {:.1} MiB), tree RSS {:.1} MiB{}",
        m.wall.as_secs_f64(),
        m.max_rss_kib as f64 / 1024.0,
        m.wait4_rss_kib as f64 / 1024.0,
        m.floor_kib as f64 / 1024.0,
        m.tree_rss_kib as f64 / 1024.0,
        m.failure.map(|f| format!(", failed: {f}")).unwrap_or_default()
    );
    Ok(())
}

fn dataset_name(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::OneBigTable => "one-big-table",
        Dataset::ManyTables => "many-tables",
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0 * 1024.0)
}

/// Free bytes for an unprivileged user on the file system holding `path`.
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value of this plain C struct.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is NUL-terminated and st is valid for writes.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut st) };
    (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// The disk needed for a run: the database about twice its COPY text, four archives and a restored copy.
fn check_room(path: &Path, scale: f64, what: &str) {
    let needed = scale * 6.0;
    match free_bytes(path) {
        Some(free) if gib(free) < needed => eprintln!(
            "warning: {} has {:.1} GiB free, and {what} may need about {needed:.1} GiB",
            path.display(),
            gib(free)
        ),
        Some(free) => eprintln!("{what}: {} ({:.1} GiB free)", path.display(), gib(free)),
        None => {}
    }
}

/// The first line of `program --version`, or why it could not run.
fn version_line(program: &Path) -> String {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned(),
        Ok(out) => format!("--version failed: {}", out.status),
        Err(e) => format!("does not run: {e}"),
    }
}

/// `pg_dump (PostgreSQL) 18.6` -> `pg_dump 18.6`; `pgferry 0.1.0` stays.
fn tool_label(program: &str, version_line: &str) -> String {
    match version_line.split_whitespace().last() {
        Some(v) if v.starts_with(|c: char| c.is_ascii_digit()) => format!("{program} {v}"),
        _ => program.to_owned(),
    }
}

/// The executables a run uses.
#[derive(Debug)]
struct Tools {
    pgferry: PathBuf,
    pg_dump: PathBuf,
    pg_restore: PathBuf,
}

impl Tools {
    /// The tools for a server of `server_major`: the reference pg_dump/pg_restore default to the testkit's pick
    /// for that server (18.6 for 18, 17.10 for 12 to 17 but 15, Debian's 15 for 15), which restores into it.
    fn resolve(args: &RunArgs, server_major: u32) -> Tools {
        let pgferry = args.pgferry.clone().unwrap_or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join("pgferry")))
                .filter(|p| p.is_file())
                .unwrap_or_else(|| PathBuf::from("pgferry"))
        });
        let reference = |tool: RefTool| {
            pgferry_testkit::reference_tool(tool, reference_for_server(server_major))
                .unwrap_or_else(|_| PathBuf::from(tool.program()))
        };
        let pg_dump = args
            .pg_dump
            .clone()
            .unwrap_or_else(|| reference(RefTool::PgDump));
        let pg_restore = args.pg_restore.clone().unwrap_or_else(|| {
            match (args.pg_dump.as_deref(), pg_dump.parent()) {
                (Some(_), Some(dir)) if dir.join("pg_restore").is_file() => dir.join("pg_restore"),
                _ => reference(RefTool::PgRestore),
            }
        });
        Tools {
            pgferry,
            pg_dump,
            pg_restore,
        }
    }
}

/// The arguments of one dump command (after the program), as the report shows them with OUT and URL.
fn dump_args(
    pgferry: bool,
    format: Format,
    jobs: u32,
    compress: Option<&str>,
) -> (Vec<String>, u32) {
    let mut args = Vec::new();
    if pgferry {
        args.push("dump".to_owned());
    }
    args.push(format!("-F{}", format.letter()));
    let parallel = if pgferry {
        format.pgferry_parallel()
    } else {
        format.pg_dump_parallel()
    };
    let jobs = if parallel && jobs > 1 { jobs } else { 1 };
    if jobs > 1 {
        args.extend(["-j".to_owned(), jobs.to_string()]);
    }
    if let Some(z) = compress {
        args.extend(["-Z".to_owned(), z.to_owned()]);
    }
    (args, jobs)
}

/// The arguments of one restore command (after the program, before `-d CONN ARCHIVE`): `restore [-j N]` for
/// pgferry, which restores every archive format from a file in parallel, `[-j N]` for pg_restore, which cannot
/// restore a tar archive in parallel. With the `-j` the command gets (1 when none).
fn restore_args(pgferry: bool, format: Format, jobs: u32) -> (Vec<String>, u32) {
    let parallel = if pgferry {
        format.pgferry_restore_parallel()
    } else {
        format.restore() == Some(true)
    };
    let jobs = if parallel && jobs > 1 { jobs } else { 1 };
    let mut args = Vec::new();
    if pgferry {
        args.push("restore".to_owned());
    }
    if jobs > 1 {
        args.extend(["-j".to_owned(), jobs.to_string()]);
    }
    (args, jobs)
}

fn archive_name(who: &str, format: Format) -> String {
    match format {
        Format::Directory => format!("{who}-dir"),
        Format::Plain => format!("{who}.sql"),
        Format::Custom => format!("{who}.dump"),
        Format::Tar => format!("{who}.tar"),
    }
}

/// Run one measured command (blocking this runtime thread, which the runtime tolerates): its figures when it
/// exited with 0, else how it failed. `tolerated`, given the command's stderr, says whether a failure is to be
/// counted as a success.
fn run_command(
    cmd: &mut Command,
    log: &Path,
    tolerated: Option<fn(&str) -> bool>,
) -> Result<Measured, String> {
    let mut m = tokio::task::block_in_place(|| run_measured(cmd, log))
        .map_err(|e| format!("could not run {:?}: {e}", cmd.get_program()))?;
    if let (Some(_), Some(tolerated)) = (&m.failure, tolerated) {
        if tolerated(&std::fs::read_to_string(log).unwrap_or_default()) {
            m.failure = None;
        }
    }
    match m.failure.take() {
        None => Ok(m),
        Some(failure) => Err(failure),
    }
}

/// Fold the outcome of one run into `series`: a success adds its wall time and memory, a failure ends the series
/// (its later runs are skipped, and the report shows the failure instead of a median).
fn record(series: &mut Series, outcome: Result<Measured, String>) -> Option<Measured> {
    match outcome {
        Ok(m) => {
            series.runs.push(m.wall);
            series.max_rss_kib = series.max_rss_kib.max(m.max_rss_kib);
            series.tree_rss_kib = series.tree_rss_kib.max(m.tree_rss_kib);
            Some(m)
        }
        Err(failure) => {
            series.failure = Some(failure);
            None
        }
    }
}

/// Whether the database at `target` holds what a restore of the source must (see [`verify`]): `Ok`, or what
/// differs.
async fn check_restored(target: &str, expected: &verify::Shape) -> Result<(), String> {
    let session = conn::connect(target)
        .await
        .map_err(|e| format!("checking the restored database: {e}"))?;
    let found = verify::Shape::of_restored(&session, expected).await?;
    verify::compare(expected, &found)
}

fn progress(what: &str, run: u32, repeat: u32, m: Option<&Measured>, series: &Series) {
    match m {
        Some(m) => eprintln!(
            "  {what} run {run}/{repeat}: {:.2} s, peak RSS {:.1} MiB (wait4 {:.1}, floor {:.1}), tree {:.1} MiB",
            m.wall.as_secs_f64(),
            m.max_rss_kib as f64 / 1024.0,
            m.wait4_rss_kib as f64 / 1024.0,
            m.floor_kib as f64 / 1024.0,
            m.tree_rss_kib as f64 / 1024.0
        ),
        None => eprintln!(
            "  {what} run {run}/{repeat} failed: {}",
            series.failure.as_deref().unwrap_or("?")
        ),
    }
}

/// A line of facts about this machine: CPUs, memory, load.
fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0.0, |kib| kib as f64 / (1024.0 * 1024.0));
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cpus} CPUs ({model}), {mem_gib:.1} GiB RAM, load average {load} at the start")
}

async fn run(args: RunArgs) -> Result<(), String> {
    // A throwaway cluster, or the caller's database.
    let mut cluster: Option<Cluster> = None;
    let url = match (args.start_server, &args.url) {
        (Some(major), _) => {
            let base = std::env::var_os("PGFERRY_TEST_TMP")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir);
            check_room(&base, args.data.scale, "the cluster");
            let mut builder = Cluster::builder(major);
            for (name, value) in &args.server_settings {
                builder = builder.setting(name, value);
            }
            let started = builder
                .start()
                .await
                .map_err(|e| format!("starting PostgreSQL {major}: {e}"))?;
            started
                .create_database(BENCH_DB)
                .await
                .map_err(|e| format!("creating database {BENCH_DB}: {e}"))?;
            eprintln!(
                "started PostgreSQL {} at {} (data dir {}, log {})",
                started.server_version_num(),
                started.url(BENCH_DB),
                started.data_dir().display(),
                started.log_path().display()
            );
            let url = started.url(BENCH_DB);
            cluster = Some(started);
            url
        }
        (None, Some(url)) => url.clone(),
        (None, None) => return Err("give --url or --start-server".into()),
    };

    let session = conn::connect(&url).await?;
    if let Some(dataset) = args.data.dataset {
        eprintln!(
            "generating {} at scale {} ...",
            dataset_name(dataset),
            args.data.scale
        );
        let generated = datasets::generate(session.client(), dataset, args.data.scale).await?;
        eprintln!(
            "{}: {} rows, about {:.0} MiB of COPY text",
            dataset_name(dataset),
            generated.rows,
            mib(generated.copy_bytes)
        );
    }
    let facts = session
        .query_rows(
            "SELECT current_setting('server_version'), pg_database_size(current_database()), \
             (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')), \
             (SELECT count(*) FROM pg_largeobject_metadata)",
        )
        .await
        .map_err(|e| format!("reading the database size: {}", pgferry_conn::describe_pg_error(&e)))?;
    let fact = |i: usize| {
        facts
            .first()
            .and_then(|r| r.get(i).cloned().flatten())
            .unwrap_or_default()
    };
    let database_bytes: u64 = fact(1).parse().unwrap_or(0);

    // Where archives go.
    let temp_work;
    let work_dir = match &args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            dir.clone()
        }
        None => {
            temp_work = tempfile::Builder::new()
                .prefix("pgferry-bench-")
                .tempdir()
                .map_err(|e| format!("creating a work dir: {e}"))?;
            temp_work.path().to_path_buf()
        }
    };
    check_room(&work_dir, mib(database_bytes) / 1024.0, "the archives");

    let tools = Tools::resolve(&args, session.server_version().major());
    let versions = [
        version_line(&tools.pgferry),
        version_line(&tools.pg_dump),
        version_line(&tools.pg_restore),
    ];
    let pgferry_label = tool_label("pgferry", &versions[0]);
    let pg_dump_label = tool_label("pg_dump", &versions[1]);

    // What every restore is checked against, read before any timing.
    let expected = if args.no_restore {
        None
    } else {
        eprintln!("reading what a restore must reproduce ...");
        Some(verify::Shape::of_source(&session).await?)
    };

    let mut out = String::new();
    let command_line: Vec<String> = std::env::args_os()
        .map(|a: OsString| a.to_string_lossy().into_owned())
        .collect();
    out.push_str(&format!("## pgferry-bench: {}\n\n", pgferry_label));
    out.push_str(&format!(
        "- command: `{}`\n",
        conn::redact(&command_line.join(" "))
    ));
    out.push_str(&format!("- machine: {}\n", machine_line()));
    out.push_str(&format!(
        "- server: PostgreSQL {}{}; database size {:.0} MiB, tables: {}, large objects: {}\n",
        fact(0),
        if cluster.is_some() {
            " (throwaway cluster of pgferry-testkit: fsync off)"
        } else {
            ""
        },
        mib(database_bytes),
        fact(2),
        fact(3)
    ));
    out.push_str(&format!(
        "- work dir: {} ({:.1} GiB free at the start)\n",
        work_dir.display(),
        free_bytes(&work_dir).map_or(0.0, gib)
    ));
    for (path, version) in [
        (&tools.pgferry, &versions[0]),
        (&tools.pg_dump, &versions[1]),
        (&tools.pg_restore, &versions[2]),
    ] {
        out.push_str(&format!("- `{}`: {version}\n", path.display()));
    }
    out.push_str(&format!(
        "- each command {} time(s), interleaved with the other tool's; median wall time; peak RSS: the largest \
         single process's (wait4's ru_maxrss, or the sampled VmHWM when ru_maxrss is only this program's own RSS \
         at the spawn); tree RSS: the largest sampled sum over the process and its children\n",
        args.repeat
    ));
    if let Some(expected) = &expected {
        out.push_str(&format!(
            "- each restore goes into a freshly created empty database and is then checked (untimed) against the \
             source: {}; a restore that fails or differs is reported as failed, not timed. A pg_restore whose only \
             errors are its own `SET transaction_timeout` (servers before 17) counts as done\n",
            expected.describe()
        ));
    }
    eprint!("{out}");

    // Dumps, interleaved: pgferry, pg_dump, pgferry, ...
    let mut pairs = Vec::new();
    let mut commands = Vec::new();
    for &format in &args.formats {
        let (ferry_args, ferry_jobs) = dump_args(true, format, args.jobs, args.compress.as_deref());
        let (ref_args, ref_jobs) = dump_args(false, format, args.jobs, args.compress.as_deref());
        commands.push(format!(
            "pgferry {} -f {} URL",
            ferry_args.join(" "),
            archive_name("pgferry", format)
        ));
        commands.push(format!(
            "pg_dump {} -f {} URL",
            ref_args.join(" "),
            archive_name("pg_dump", format)
        ));
        let mut pair = Pair {
            format,
            pgferry: Series {
                tool: pgferry_label.clone(),
                jobs: ferry_jobs,
                ..Series::default()
            },
            reference: Series {
                tool: pg_dump_label.clone(),
                jobs: ref_jobs,
                ..Series::default()
            },
        };
        eprintln!("dump -F{format}:");
        for run in 1..=args.repeat {
            for pgferry in [true, false] {
                let (program, tool_args, series, who) = if pgferry {
                    (&tools.pgferry, &ferry_args, &mut pair.pgferry, "pgferry")
                } else {
                    (&tools.pg_dump, &ref_args, &mut pair.reference, "pg_dump")
                };
                if series.failure.is_some() {
                    continue;
                }
                let archive = work_dir.join(archive_name(who, format));
                remove_path(&archive)
                    .map_err(|e| format!("removing {}: {e}", archive.display()))?;
                let mut cmd = Command::new(program);
                cmd.args(tool_args).arg("-f").arg(&archive).arg(&url);
                let log = work_dir.join(format!("{who}-F{format}.stderr"));
                let m = record(series, run_command(&mut cmd, &log, None));
                progress(
                    &format!("{who} -F{format}"),
                    run,
                    args.repeat,
                    m.as_ref(),
                    series,
                );
                if m.is_some() {
                    series.archive_bytes = size_on_disk(&archive).ok();
                }
            }
        }
        pairs.push(pair);
    }

    // Restores of the last archive of each tool, by pgferry restore and by pg_restore, each into a fresh database
    // and checked afterwards, interleaved: for each run, each archive by each restorer.
    let mut restores = Vec::new();
    if let Some(expected) = &expected {
        let target = conn::with_dbname(&url, RESTORE_DB);
        let restorer_labels = [
            tool_label("pgferry restore", &versions[0]),
            tool_label("pg_restore", &versions[2]),
        ];
        for pair in &pairs {
            let format = pair.format;
            if format.restore().is_none() {
                continue;
            }
            let restorer_args = [
                restore_args(true, format, args.jobs),
                restore_args(false, format, args.jobs),
            ];
            for (program, (r_args, _)) in ["pgferry", "pg_restore"].into_iter().zip(&restorer_args)
            {
                let archive = archive_name("TOOL", format);
                commands.push(
                    std::iter::once(program)
                        .chain(r_args.iter().map(String::as_str))
                        .chain(["-d", "URL", &archive])
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            let series_for = |restorer: usize, producer: &Series| Series {
                tool: restorer_labels[restorer].clone(),
                jobs: restorer_args[restorer].1,
                failure: producer.failure.as_ref().map(|_| "no archive".to_owned()),
                ..Series::default()
            };
            let mut sets: Vec<(&str, RestorePair)> =
                [("pgferry", &pair.pgferry), ("pg_dump", &pair.reference)]
                    .into_iter()
                    .map(|(who, producer)| {
                        (
                            who,
                            RestorePair {
                                archive_from: producer.tool.clone(),
                                pair: Pair {
                                    format,
                                    pgferry: series_for(0, producer),
                                    reference: series_for(1, producer),
                                },
                            },
                        )
                    })
                    .collect();
            eprintln!("restore -F{format}:");
            for run in 1..=args.repeat {
                for (who, set) in &mut sets {
                    let archive = work_dir.join(archive_name(who, format));
                    for ferry in [true, false] {
                        let (series, restorer, program) = if ferry {
                            (&mut set.pair.pgferry, "pgferry-restore", &tools.pgferry)
                        } else {
                            (&mut set.pair.reference, "pg_restore", &tools.pg_restore)
                        };
                        if series.failure.is_some() {
                            continue;
                        }
                        let (r_args, _) = &restorer_args[usize::from(!ferry)];
                        recreate_database(session.client(), RESTORE_DB).await?;
                        let mut cmd = Command::new(program);
                        cmd.args(r_args).arg("-d").arg(&target).arg(&archive);
                        let log = work_dir.join(format!("{restorer}-of-{who}-F{format}.stderr"));
                        // pgferry restore sets transaction_timeout only where the server has it.
                        let tolerated =
                            (!ferry).then_some(only_transaction_timeout_errors as fn(&str) -> bool);
                        let mut outcome = run_command(&mut cmd, &log, tolerated);
                        if outcome.is_ok() {
                            if let Err(differs) = check_restored(&target, expected).await {
                                outcome = Err(differs);
                            }
                        }
                        let m = record(series, outcome);
                        progress(
                            &format!("{restorer} of {who}'s -F{format}"),
                            run,
                            args.repeat,
                            m.as_ref(),
                            series,
                        );
                    }
                }
            }
            restores.extend(sets.into_iter().map(|(_, set)| set));
        }
        drop_database(session.client(), RESTORE_DB).await?;
    }

    out.push_str("- commands:\n");
    for c in &commands {
        out.push_str(&format!("  - `{c}`\n"));
    }
    out.push_str("\n### Dump\n\n");
    out.push_str(&report::dump_table(&pairs));
    if !restores.is_empty() {
        out.push_str("\n### Restore (pgferry restore and pg_restore of each archive, into an empty database)\n\n");
        out.push_str(&report::restore_table(&restores));
    }
    print!("{out}");
    if args.work_dir.is_some() {
        eprintln!("archives and logs kept in {}", work_dir.display());
    }
    drop(session);
    drop(cluster);
    Ok(())
}

/// Whether pg_restore's only errors are its own `SET transaction_timeout` on a server before 17 (pg_restore 17 and
/// later sends it whatever the server; the restore is otherwise complete), as the round-trip tests accept.
fn only_transaction_timeout_errors(stderr: &str) -> bool {
    stderr.contains("\"transaction_timeout\"")
        && stderr
            .lines()
            .all(|line| !line.contains("error:") || line.contains("\"transaction_timeout\""))
}

async fn drop_database(client: &tokio_postgres::Client, db: &str) -> Result<(), String> {
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}",
            pgferry_testkit::quote_ident(db)
        ))
        .await
        .map_err(|e| {
            format!(
                "dropping database {db}: {}",
                pgferry_conn::describe_pg_error(&e)
            )
        })
}

async fn recreate_database(client: &tokio_postgres::Client, db: &str) -> Result<(), String> {
    drop_database(client, db).await?;
    client
        .batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE template0",
            pgferry_testkit::quote_ident(db)
        ))
        .await
        .map_err(|e| {
            format!(
                "creating database {db}: {}",
                pgferry_conn::describe_pg_error(&e)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_options_parse() {
        let cli = Cli::try_parse_from([
            "pgferry-bench",
            "run",
            "--url",
            "postgresql://u@h/db",
            "-j",
            "2",
            "--formats",
            "d,c,t",
            "--repeat",
            "5",
        ])
        .unwrap();
        let BenchCommand::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.jobs, 2);
        assert_eq!(
            args.formats,
            [Format::Directory, Format::Custom, Format::Tar]
        );
        assert_eq!(args.repeat, 5);
        assert_eq!(args.data.scale, 1.0);
        assert!(args.data.dataset.is_none());

        let defaults = Cli::try_parse_from(["pgferry-bench", "run", "--url", "x"]).unwrap();
        let BenchCommand::Run(args) = defaults.command else {
            panic!("not run")
        };
        assert_eq!((args.jobs, args.repeat), (4, 3));
        assert_eq!(args.formats, [Format::Custom, Format::Directory]);

        for bad in [
            &["pgferry-bench", "run"][..],
            &["pgferry-bench", "run", "--url", "x", "--formats", "c,x"],
            &[
                "pgferry-bench",
                "run",
                "--url",
                "x",
                "--start-server",
                "18",
                "--dataset",
                "many-tables",
            ],
            &["pgferry-bench", "run", "--start-server", "18"],
            &["pgferry-bench", "run", "--url", "x", "-j", "0"],
            &["pgferry-bench", "generate", "--url", "x", "--scale", "-1"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?} parsed");
        }
        let ok = Cli::try_parse_from([
            "pgferry-bench",
            "run",
            "--start-server",
            "18",
            "--dataset",
            "one-big-table",
            "--scale",
            "0.05",
            "--server-setting",
            "shared_buffers=256MB",
        ])
        .unwrap();
        let BenchCommand::Run(args) = ok.command else {
            panic!("not run")
        };
        assert_eq!(args.data.dataset, Some(Dataset::OneBigTable));
        assert_eq!(
            args.server_settings,
            [("shared_buffers".to_owned(), "256MB".to_owned())]
        );
    }

    #[test]
    fn commands_get_jobs_only_where_the_tool_takes_them() {
        let (args, jobs) = dump_args(true, Format::Custom, 4, None);
        assert_eq!((args.join(" "), jobs), ("dump -Fc -j 4".to_owned(), 4));
        let (args, jobs) = dump_args(false, Format::Custom, 4, Some("0"));
        assert_eq!((args.join(" "), jobs), ("-Fc -Z 0".to_owned(), 1));
        let (args, jobs) = dump_args(false, Format::Directory, 4, None);
        assert_eq!((args.join(" "), jobs), ("-Fd -j 4".to_owned(), 4));
        let (args, jobs) = dump_args(true, Format::Directory, 1, None);
        assert_eq!((args.join(" "), jobs), ("dump -Fd".to_owned(), 1));
        let restore = |pgferry, format, jobs| {
            let (args, jobs) = restore_args(pgferry, format, jobs);
            (args.join(" "), jobs)
        };
        assert_eq!(restore(false, Format::Custom, 4), ("-j 4".to_owned(), 4));
        assert_eq!(restore(false, Format::Directory, 4), ("-j 4".to_owned(), 4));
        assert_eq!(restore(false, Format::Tar, 4), (String::new(), 1));
        assert_eq!(
            restore(true, Format::Custom, 4),
            ("restore -j 4".to_owned(), 4)
        );
        assert_eq!(
            restore(true, Format::Tar, 4),
            ("restore -j 4".to_owned(), 4)
        );
        assert_eq!(
            restore(true, Format::Directory, 1),
            ("restore".to_owned(), 1)
        );
        assert_eq!(restore(false, Format::Directory, 1), (String::new(), 1));
    }

    #[test]
    fn only_the_transaction_timeout_error_is_tolerated() {
        let timeout = "pg_restore: error: could not execute query: ERROR:  unrecognized configuration parameter \
                       \"transaction_timeout\"\nCommand was: SET transaction_timeout = 0;\n\
                       pg_restore: warning: errors ignored on restore: 1\n";
        assert!(only_transaction_timeout_errors(timeout));
        let other = format!("{timeout}pg_restore: error: COPY failed for table \"t\"\n");
        assert!(!only_transaction_timeout_errors(&other));
        assert!(!only_transaction_timeout_errors(
            "pg_restore: error: connection failed\n"
        ));
    }

    #[test]
    fn tool_labels() {
        assert_eq!(
            tool_label("pg_dump", "pg_dump (PostgreSQL) 18.6"),
            "pg_dump 18.6"
        );
        assert_eq!(tool_label("pgferry", "pgferry 0.1.0"), "pgferry 0.1.0");
        assert_eq!(tool_label("pgferry", "does not run: x"), "pgferry");
    }
}
