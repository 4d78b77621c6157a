//! docs/compatibility.md, walked: every option of pg_dump 18.6 and pg_restore 18.6 is in its tables, every
//! supported option is in `--help` and changes what pgferry does (or a named test shows that it does), every
//! refused option is refused. Also the pg_dump- and pg_restore-style invocations the docs promise, and the plain
//! output of `-S`, `--disable-dollar-quoting` and `--extra-float-digits` against pg_dump's and pg_restore's.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use pgferry_testkit::{
    diff_lines, fixtures_dir, require_reference_or_skip, Cluster, RefTool, RefVersion,
};

use crate::archive_roundtrip::reference_command;
use crate::support::{Env, Run};

/// The fixture every row runs against: something for each option to change.
const FIXTURE: &str = r#"
DO $$ BEGIN CREATE ROLE walker_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application';
CREATE TABLE app.t (id integer PRIMARY KEY, f double precision, note text);
COMMENT ON TABLE app.t IS 'a table';
CREATE INDEX t_note_idx ON app.t (note);
INSERT INTO app.t VALUES (1, 0.1, 'it''s'), (2, 2.0 / 3, NULL);
ALTER TABLE app.t ALTER COLUMN note SET COMPRESSION pglz;
CREATE FUNCTION app.f(x integer) RETURNS text LANGUAGE sql AS $body$ SELECT 'it''s ' || x $body$;
CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN RETURN NEW; END $body$;
CREATE TRIGGER t_trg BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg();
CREATE TABLE app.p (id integer, at date) PARTITION BY RANGE (at);
CREATE TABLE app.p_2024 PARTITION OF app.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO app.p VALUES (1, '2024-05-01');
CREATE UNLOGGED TABLE app.scratch (x integer);
INSERT INTO app.scratch VALUES (1);
CREATE SEQUENCE app.s;
SELECT nextval('app.s');
ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_policy ON app.t USING (id > 0);
CREATE PUBLICATION walker_pub FOR TABLE app.t;
CREATE SUBSCRIPTION walker_sub CONNECTION 'dbname=nowhere' PUBLICATION walker_pub
    WITH (connect = false, slot_name = NONE);
CREATE EXTENSION citext SCHEMA app;
SELECT lo_from_bytea(424242, 'a large object');
GRANT SELECT ON app.t TO walker_reader;
CREATE TABLE app.secret (x integer);
"#;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Which command a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Tool {
    Dump,
    Restore,
}

impl Tool {
    fn command(self) -> &'static str {
        match self {
            Tool::Dump => "dump",
            Tool::Restore => "restore",
        }
    }

    fn reference(self) -> RefTool {
        match self {
            Tool::Dump => RefTool::PgDump,
            Tool::Restore => RefTool::PgRestore,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Supported,
    NotApplicable,
    NotYet,
}

/// What the `check` column says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    /// Run with `args`, and with `baseline`: the results must differ (or, refused options: `args` is refused).
    Args {
        args: Vec<String>,
        baseline: Vec<String>,
    },
    /// A test function that shows the effect: a file under tests/cli (`module`) or a path, and its name.
    Test { file: PathBuf, function: String },
}

#[derive(Debug, Clone)]
struct Row {
    tool: Tool,
    /// From the table of pgferry's own options.
    own: bool,
    /// As the table spells it: `-f, --file=FILENAME`.
    spelled: String,
    short: Option<String>,
    long: String,
    status: Status,
    check: Check,
}

/// Splits a check's arguments as a shell would split words with single quotes (and nothing else).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            c => {
                current.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(current);
    }
    words
}

fn parse_check(cell: &str, line: usize) -> Check {
    let cell = cell.trim();
    let spans: Vec<&str> = cell.split('`').collect();
    let code: Vec<&str> = spans.iter().skip(1).step_by(2).copied().collect();
    let first = code.first().copied().unwrap_or(cell);
    if let Some(reference) = first.strip_prefix("test:") {
        let (file, function) = reference
            .rsplit_once("::")
            .unwrap_or_else(|| panic!("line {line}: a test reference is test:module::function"));
        let file = if file.contains('/') {
            workspace_root().join(file)
        } else {
            workspace_root()
                .join("tests/cli")
                .join(format!("{file}.rs"))
        };
        return Check::Test {
            file,
            function: function.to_owned(),
        };
    }
    match code.as_slice() {
        [args] => Check::Args {
            args: words(args),
            baseline: Vec::new(),
        },
        [args, baseline] if spans[2].contains("vs") => Check::Args {
            args: words(args),
            baseline: words(baseline),
        },
        _ => panic!("line {line}: cannot read the check {cell:?}"),
    }
}

/// The option names of a table cell such as `` `-f, --file=FILENAME` `` or `` `--blobs` ``.
fn option_names(cell: &str, line: usize) -> (String, Option<String>, String) {
    let spelled = cell.trim().trim_matches('`').replace("\\|", "|");
    let mut short = None;
    let mut long = None;
    for part in spelled.split(", ") {
        let name = part.split(['=', ' ']).next().unwrap_or_default().to_owned();
        if name.starts_with("--") {
            long = Some(name);
        } else if name.starts_with('-') {
            short = Some(name);
        }
    }
    let long = long.unwrap_or_else(|| panic!("line {line}: no long option in {cell:?}"));
    (spelled, short, long)
}

/// The rows of every table in docs/compatibility.md.
fn rows(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut heading_tool = None;
    let mut columns: Option<Vec<String>> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(heading) = line.strip_prefix("## ") {
            heading_tool = if heading.contains("pg_dump") {
                Some(Tool::Dump)
            } else if heading.contains("pg_restore") {
                Some(Tool::Restore)
            } else {
                None
            };
            columns = None;
            continue;
        }
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells: Vec<String> = line
            .replace("\\|", "\u{1}")
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.replace('\u{1}', "\\|").trim().to_owned())
            .collect();
        match &columns {
            None => {
                columns = Some(cells);
                continue;
            }
            Some(_) if cells.iter().all(|c| c.chars().all(|ch| ch == '-')) => continue,
            Some(_) => {}
        }
        let names = columns.as_ref().unwrap();
        if !names.iter().any(|c| c == "check") {
            continue;
        }
        let cell = |name: &str| -> &str {
            let at = names
                .iter()
                .position(|c| c == name)
                .unwrap_or_else(|| panic!("line {number}: no {name} column"));
            cells.get(at).map(String::as_str).unwrap_or_default()
        };
        let tool = if names.iter().any(|c| c == "command") {
            match cell("command") {
                "dump" => Tool::Dump,
                "restore" => Tool::Restore,
                other => panic!("line {number}: unknown command {other:?}"),
            }
        } else {
            heading_tool
                .unwrap_or_else(|| panic!("line {number}: a table outside a tool's section"))
        };
        let status = match cell("status") {
            "supported" => Status::Supported,
            "not applicable" => Status::NotApplicable,
            "not yet" => Status::NotYet,
            other => panic!("line {number}: unknown status {other:?}"),
        };
        let (spelled, short, long) = option_names(cell("option"), number);
        rows.push(Row {
            tool,
            own: names.iter().any(|c| c == "command"),
            spelled,
            short,
            long,
            status,
            check: parse_check(cell("check"), number),
        });
    }
    rows
}

/// The long options a `--help` text lists (pg_dump's and pg_restore's, or pgferry's).
fn help_options(help: &str) -> BTreeSet<String> {
    let mut options = BTreeSet::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with('-') {
            continue;
        }
        for word in trimmed.split([' ', ',', '=', '[', ']']) {
            if word.starts_with("--") && word.len() > 2 {
                options.insert(word.to_owned());
            }
        }
    }
    options
}

/// Whether `text` mentions `option` as a whole word (`--statistics` is not in `--statistics-only`).
fn mentions(text: &str, option: &str) -> bool {
    text.match_indices(option).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + option.len()..].chars().next();
        let word =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        !word(before) && !word(after)
    })
}

/// The text of function `name` in `file`: from its `fn` line to the next test attribute (or the end).
fn function_text(file: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let start = text.find(&format!("fn {name}("))?;
    let rest = &text[start..];
    let end = ["#[test]", "#[tokio::test"]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// What a run did, made comparable: random `\restrict` keys, creation times and numbers on stderr (timings,
/// counts) are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    output: Option<String>,
}

fn mask_restrict_keys(text: &str) -> String {
    text.lines()
        .map(|line| {
            for command in ["\\restrict ", "\\unrestrict "] {
                if let Some(key) = line.strip_prefix(command) {
                    if key.len() == 63 {
                        return format!("{command}RANDOM");
                    }
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// stderr without the end-of-run summary (and periodic progress lines), which every data-moving run prints: an
/// option's effect must show in what it is about, not in the summary's sizes.
fn without_summary(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            !l.starts_with("pgferry: done: ") && !l.starts_with("pgferry: finished with errors: ")
        })
        .filter(|l| {
            !(l.starts_with("pgferry: ") && l.contains(" tables, ") && l.contains(" objects, "))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// Everything a test run needs: the cluster with the fixture, the archive of it, the files the checks name.
struct Walk {
    cluster: Cluster,
    env: Env,
    url: String,
    archive: String,
    scratch: tempfile::TempDir,
    counter: usize,
}

impl Walk {
    async fn start() -> Option<Walk> {
        let major = crate::support::one_major()?;
        if major < 14 {
            // The fixture needs column compression (14+); newer servers are what the table is about anyway.
            eprintln!(
                "compatibility: skipped, the newest server available is {major}, not 14 or later"
            );
            return None;
        }
        let cluster = Cluster::start(major).await.expect("cluster starts");
        cluster.create_database("walk").await.expect("database");
        cluster.execute_sql("walk", FIXTURE).await.expect("fixture");
        // The server comes from the environment, as with pg_dump, so that -h, -p, -U and -d decide (a connection
        // string's own settings would win over them, as in libpq).
        let env = Env::new()
            .var("PGHOST", cluster.host())
            .var("PGPORT", cluster.port().to_string())
            .var("PGUSER", cluster.user());
        let scratch = tempfile::tempdir().expect("scratch");
        let url = cluster.url("walk");
        let archive = scratch.path().join("walk.dump");
        let archive = archive.to_str().unwrap().to_owned();
        env.run(&["dump", "-Fc", "-f", &archive, &url])
            .await
            .success();
        std::fs::write(scratch.path().join("dump.filter"), "exclude table app.t\n").unwrap();
        std::fs::write(scratch.path().join("restore.filter"), "include table t\n").unwrap();
        let listing = env.run(&["list", &archive]).await.success().to_owned();
        assert!(
            listing.contains("TABLE DATA app t "),
            "no data line for app.t: {listing}"
        );
        let list: String = listing
            .lines()
            .map(|l| {
                if l.contains("TABLE DATA app t ") {
                    format!(";{l}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(scratch.path().join("restore.list"), list).unwrap();
        Some(Walk {
            cluster,
            env,
            url,
            archive,
            scratch,
            counter: 0,
        })
    }

    /// The arguments with their placeholders filled in, the output path `{out}` stands for (if any), and the
    /// command's trailing argument (the connection string, or the archive).
    async fn expand(&mut self, tool: Tool, args: &[String]) -> (Vec<String>, Option<PathBuf>) {
        self.counter += 1;
        let out = self.scratch.path().join(format!("out{}", self.counter));
        let mut used_out = false;
        let mut expanded = vec![tool.command().to_owned()];
        for arg in args {
            let mut arg = arg.clone();
            if arg.contains("{out}") {
                used_out = true;
                arg = arg.replace("{out}", out.to_str().unwrap());
            }
            if arg.contains("{newdb}") {
                let db = format!("fresh{}", self.counter);
                self.cluster.create_database(&db).await.expect("database");
                arg = arg.replace("{newdb}", &db);
            }
            let filter = match tool {
                Tool::Dump => "dump.filter",
                Tool::Restore => "restore.filter",
            };
            arg = arg.replace(
                "{filter}",
                self.scratch.path().join(filter).to_str().unwrap(),
            );
            arg = arg.replace(
                "{list}",
                self.scratch.path().join("restore.list").to_str().unwrap(),
            );
            expanded.push(arg);
        }
        let names_database = args
            .iter()
            .any(|a| a == "-d" || a == "--dbname" || a.starts_with("--dbname="));
        match tool {
            Tool::Dump if names_database => {}
            Tool::Dump => expanded.push("walk".to_owned()),
            Tool::Restore => expanded.push(self.archive.clone()),
        }
        (expanded, used_out.then_some(out))
    }

    async fn outcome(&mut self, tool: Tool, args: &[String]) -> (Outcome, Vec<String>) {
        let (argv, out) = self.expand(tool, args).await;
        let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
        let run = self.env.run(&refs).await;
        let output = match out {
            Some(path) => Some(self.describe_output(&path).await),
            None => None,
        };
        let outcome = Outcome {
            code: run.code,
            stdout: mask_restrict_keys(&run.stdout),
            stderr: mask_numbers(&without_summary(&run.stderr)),
            output,
        };
        (outcome, argv)
    }

    /// What an output path holds: an archive's listing (without its creation time) and size, or a script.
    async fn describe_output(&self, path: &Path) -> String {
        let Ok(meta) = std::fs::metadata(path) else {
            return "(nothing)".to_owned();
        };
        let size = if meta.is_dir() {
            std::fs::read_dir(path)
                .unwrap()
                .flatten()
                .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                .sum()
        } else {
            meta.len()
        };
        let bytes = if meta.is_file() {
            std::fs::read(path).unwrap()
        } else {
            Vec::new()
        };
        let tar = bytes.len() > 262 && &bytes[257..262] == b"ustar";
        if meta.is_dir() || bytes.starts_with(b"PGDMP") || tar {
            let run = self.env.run(&["list", path.to_str().unwrap()]).await;
            let listing: Vec<&str> = run
                .stdout
                .lines()
                .filter(|l| !l.contains("Archive created at"))
                .collect();
            format!("{} bytes\n{}", size, listing.join("\n"))
        } else {
            mask_restrict_keys(&String::from_utf8_lossy(&bytes))
        }
    }
}

fn doc_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(workspace_root().join("docs/compatibility.md"))
        .expect("docs/compatibility.md");
    rows(&text)
}

/// At most a few hundred characters of `text`, for messages.
fn short(text: &str) -> String {
    let mut end = text.len().min(400);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}...", &text[..end])
    } else {
        text.to_owned()
    }
}

/// The walker's findings for one row, or nothing.
async fn check_row(
    walk: &mut Walk,
    row: &Row,
    help: &HashMap<Tool, String>,
    baselines: &mut HashMap<(Tool, Vec<String>), Outcome>,
) -> Option<String> {
    let what = format!("{} `{}`", row.tool.command(), row.spelled);
    match (&row.status, &row.check) {
        (Status::Supported, check) => {
            let help = &help[&row.tool];
            let listed = match &row.short {
                Some(short) => help.contains(&format!("{short}, {}", row.long)),
                None => mentions(help, &row.long),
            };
            if !listed {
                return Some(format!(
                    "{what}: not in `pgferry {} --help`",
                    row.tool.command()
                ));
            }
            match check {
                Check::Test { file, function } => match function_text(file, function) {
                    None => Some(format!(
                        "{what}: no function {function} in {}",
                        file.display()
                    )),
                    Some(body) => {
                        let snake = row.long.trim_start_matches('-').replace('-', "_");
                        let quoted_short = row.short.as_ref().map(|s| format!("\"{s}\""));
                        let named = mentions(&body, &row.long)
                            || mentions(&body, &snake)
                            || quoted_short.is_some_and(|s| body.contains(&s));
                        (!named).then(|| format!("{what}: {function} does not mention it"))
                    }
                },
                Check::Args { args, baseline } => {
                    let key = (row.tool, baseline.clone());
                    let base = match baselines.get(&key) {
                        Some(base) => base.clone(),
                        None => {
                            let (first, argv) = walk.outcome(row.tool, baseline).await;
                            if first.code != 0 {
                                return Some(format!(
                                    "{what}: the run without it failed: pgferry {argv:?}: {}",
                                    short(&format!("{first:?}"))
                                ));
                            }
                            let (second, _) = walk.outcome(row.tool, baseline).await;
                            if let Some(diff) =
                                diff_lines(&format!("{first:#?}"), &format!("{second:#?}"))
                            {
                                return Some(format!(
                                    "{what}: pgferry {argv:?} differs from itself, so no option can be checked \
                                     against it:\n{}",
                                    short(&diff)
                                ));
                            }
                            baselines.insert(key, first.clone());
                            first
                        }
                    };
                    let (with, argv) = walk.outcome(row.tool, args).await;
                    (with == base).then(|| {
                        format!(
                            "{what}: pgferry {argv:?} does the same as with {baseline:?} instead: {}",
                            short(&format!("{with:?}"))
                        )
                    })
                }
            }
        }
        (_, Check::Args { args, .. }) => {
            let (argv, _) = walk.expand(row.tool, args).await;
            let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
            let run = walk.env.run(&refs).await;
            if run.code != 2 || !mentions(&run.stderr, &row.long) {
                return Some(format!(
                    "{what}: pgferry {argv:?} is not refused with exit 2 and a message naming {}: {}",
                    row.long,
                    short(&format!("{run:?}"))
                ));
            }
            let listed = help_options(&help[&row.tool]).contains(&row.long);
            listed.then(|| format!("{what}: refused, but listed in --help"))
        }
        (_, Check::Test { .. }) => Some(format!(
            "{what}: a refused option is checked by refusing it, not by a test"
        )),
    }
}

/// Every row of the tables does what its status says.
#[tokio::test(flavor = "multi_thread")]
async fn every_option_in_the_table_does_what_the_table_says() {
    let rows = doc_rows();
    assert!(rows.len() > 100, "only {} rows read", rows.len());
    // The tables list every option of pg_dump 18.6 and pg_restore 18.6, once.
    for tool in [Tool::Dump, Tool::Restore] {
        let documented: Vec<&str> = rows
            .iter()
            .filter(|r| r.tool == tool && !r.own)
            .map(|r| r.long.as_str())
            .collect();
        let unique: BTreeSet<&str> = documented.iter().copied().collect();
        assert_eq!(
            documented.len(),
            unique.len(),
            "{tool:?}: an option is listed twice"
        );
        if require_reference_or_skip(RefVersion::V18_6).is_some() {
            let output = reference_command(tool.reference(), RefVersion::V18_6)
                .arg("--help")
                .output()
                .await
                .expect("reference --help");
            let theirs = help_options(&String::from_utf8_lossy(&output.stdout));
            let missing: Vec<&String> = theirs
                .iter()
                .filter(|o| !unique.contains(o.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{tool:?}: options of the 18.6 --help missing from docs/compatibility.md: {missing:?}"
            );
        }
    }

    let Some(mut walk) = Walk::start().await else {
        return;
    };
    let mut help = HashMap::new();
    for tool in [Tool::Dump, Tool::Restore] {
        let run = walk.env.run(&[tool.command(), "--help"]).await;
        help.insert(tool, run.success().to_owned());
    }
    let mut baselines = HashMap::new();
    let mut problems = Vec::new();
    for row in &rows {
        if let Some(problem) = check_row(&mut walk, row, &help, &mut baselines).await {
            problems.push(problem);
        }
    }
    assert!(
        problems.is_empty(),
        "{} rows of docs/compatibility.md do not hold:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// The table's grammar, on rows that must fail: the walker is only as good as its reading of the table.
#[test]
fn the_walker_reads_the_table() {
    let text = "## pg_dump options\n\n\
                | option | status | notes | check |\n|---|---|---|---|\n\
                | `-F, --format=c\\|d\\|t\\|p` | supported | x | `-Fc -f {out}` vs `-f {out}` |\n\
                | `--bogus` | not yet | | `--bogus` |\n\
                | `-j, --jobs=NUM` | supported | | `test:parallel::workers_read_the_snapshot_the_dump_was_given` |\n\n\
                ## pgferry's own options\n\n\
                | command | option | status | notes | check |\n|---|---|---|---|---|\n\
                | restore | `--progress=MODE` | supported | | `-T 't t_trg'` |\n";
    let rows = rows(text);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].short.as_deref(), Some("-F"));
    assert_eq!(rows[0].long, "--format");
    assert_eq!(
        rows[0].check,
        Check::Args {
            args: vec!["-Fc".into(), "-f".into(), "{out}".into()],
            baseline: vec!["-f".into(), "{out}".into()],
        }
    );
    assert_eq!(rows[1].status, Status::NotYet);
    assert!(
        matches!(&rows[2].check, Check::Test { function, .. } if function == "workers_read_the_snapshot_the_dump_was_given")
    );
    assert_eq!(rows[3].tool, Tool::Restore);
    assert_eq!(
        rows[3].check,
        Check::Args {
            args: vec!["-T".into(), "t t_trg".into()],
            baseline: vec![],
        }
    );
    assert!(mentions("a --statistics b", "--statistics"));
    assert!(!mentions("a --statistics-only b", "--statistics"));
    assert!(mentions(
        "[\"--lock-wait-timeout=1s\"]",
        "--lock-wait-timeout"
    ));
}

/// `--no-sync` and `--sync-method`: durability cannot be seen from outside, so this shows that they are taken
/// (and a method pg_dump does not know is refused), and that the output stays the same.
#[tokio::test(flavor = "multi_thread")]
async fn sync_options_keep_the_output() {
    let Some(mut walk) = Walk::start().await else {
        return;
    };
    let mut listings = Vec::new();
    for options in [
        &[][..],
        &["--no-sync"],
        &["--sync-method", "fsync"],
        &["--sync-method=syncfs"],
    ] {
        let mut args: Vec<String> = vec!["-Fd".into(), "-f".into(), "{out}".into()];
        args.extend(options.iter().map(|o| o.to_string()));
        let (outcome, argv) = walk.outcome(Tool::Dump, &args).await;
        assert_eq!(outcome.code, 0, "{argv:?}: {outcome:?}");
        listings.push(outcome.output);
    }
    assert!(listings.windows(2).all(|w| w[0] == w[1]), "{listings:?}");
    let run = walk
        .env
        .run(&[
            "dump",
            "-Fd",
            "-f",
            "x",
            "--sync-method",
            "fdatasync",
            &walk.url,
        ])
        .await;
    assert!(
        crate::exit_codes::usage_line(&run).contains("unrecognized sync method: fdatasync"),
        "{run:?}"
    );
}

/// `--no-statistics` is what a dump does anyway (pgferry reads no statistics; pg_dump 18 leaves them out unless
/// asked): taken, and the output is the same.
#[tokio::test(flavor = "multi_thread")]
async fn dump_without_statistics_is_the_default() {
    let Some(mut walk) = Walk::start().await else {
        return;
    };
    let (with, _) = walk.outcome(Tool::Dump, &["--no-statistics".into()]).await;
    let (without, _) = walk.outcome(Tool::Dump, &[]).await;
    assert_eq!(with.code, 0, "{with:?}");
    assert_eq!(with, without);
}

/// `-w` is what pgferry always does: it never prompts. A server that wants a password it was not given fails the
/// same way with and without `-w`, at once, without reading standard input.
#[tokio::test(flavor = "multi_thread")]
async fn no_password_is_what_pgferry_always_does() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::builder(major)
        .hba("host all walker_pw 127.0.0.1/32 scram-sha-256")
        .start()
        .await
        .expect("cluster starts");
    cluster
        .execute_sql(
            "postgres",
            "SET password_encryption = 'scram-sha-256'; CREATE ROLE walker_pw LOGIN PASSWORD 'secret'",
        )
        .await
        .expect("role");
    let url = format!(
        "postgresql://walker_pw@127.0.0.1:{}/postgres",
        cluster.port()
    );
    let env = Env::new();
    let mut lines = Vec::new();
    for args in [
        &["dump", "-s", "-w", url.as_str()][..],
        &["dump", "-s", url.as_str()],
        &["restore", "-w", "-d", url.as_str(), "-f", "-"],
    ] {
        let run = env.run(args).await;
        lines.push((args.to_vec(), run.code, run.stderr.clone()));
    }
    assert_eq!(lines[0].1, 1, "{lines:?}");
    assert!(lines[0].2.contains("password"), "{lines:?}");
    assert_eq!((lines[0].1, &lines[0].2), (lines[1].1, &lines[1].2));
    // Into restore it is taken too (the -d/-f conflict shows it got past the parser).
    assert_eq!(lines[2].1, 2, "{lines:?}");
}

/// `-W` asks for the password on the terminal (util-linux `script` gives the binary one), before connecting, and
/// uses what was typed: the right password dumps, a wrong one fails authentication.
#[tokio::test(flavor = "multi_thread")]
async fn password_prompt_reads_the_terminal() {
    use tokio::io::AsyncWriteExt;
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::builder(major)
        .hba("host all prompted 127.0.0.1/32 scram-sha-256")
        .start()
        .await
        .expect("cluster starts");
    cluster
        .execute_sql(
            "postgres",
            "SET password_encryption = 'scram-sha-256'; CREATE ROLE prompted LOGIN PASSWORD 'typed secret'",
        )
        .await
        .expect("role");
    let url = format!(
        "postgresql://prompted@127.0.0.1:{}/postgres",
        cluster.port()
    );
    let home = tempfile::tempdir().expect("home");
    let binary = env!("CARGO_BIN_EXE_pgferry");
    // Types `typed` once the prompt is shown (typed earlier, the terminal would echo it before the prompt
    // turns echo off); returns the exit code and everything the terminal showed.
    let on_a_terminal = |command: String, typed: &'static str| {
        let home = home.path().to_owned();
        async move {
            use tokio::io::AsyncReadExt;
            let mut child = tokio::process::Command::new("script")
                .args(["-qec", &command, "/dev/null"])
                .env_clear()
                .env("HOME", home)
                .env("PATH", "/usr/bin:/bin")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("script runs");
            let mut stdin = child.stdin.take().expect("stdin");
            let mut stdout = child.stdout.take().expect("stdout");
            let mut shown = Vec::new();
            let mut typed_yet = false;
            let mut buf = [0u8; 4096];
            let read_all = async {
                loop {
                    let n = stdout.read(&mut buf).await.expect("read");
                    if n == 0 {
                        break;
                    }
                    shown.extend_from_slice(&buf[..n]);
                    if !typed_yet && String::from_utf8_lossy(&shown).contains("Password: ") {
                        stdin.write_all(typed.as_bytes()).await.expect("typed");
                        stdin.flush().await.expect("flush");
                        typed_yet = true;
                    }
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(60), read_all)
                .await
                .expect("no hang");
            drop(stdin);
            let status = child.wait().await.expect("exit");
            (
                status.code().unwrap_or(-1),
                String::from_utf8_lossy(&shown).into_owned(),
            )
        }
    };
    let (code, shown) = on_a_terminal(format!("'{binary}' dump -s -W '{url}'"), "wrong\n").await;
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("password authentication failed"), "{shown}");

    let (code, shown) = on_a_terminal(
        format!("'{binary}' restore -W -d '{url}' -l /dev/null"),
        "typed secret\n",
    )
    .await;
    // -l does not connect: pg_restore asks only when it connects, and so does pgferry (the archive is the
    // error here, not the password).
    assert!(!shown.contains("Password: "), "{code}: {shown}");

    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_c_z0.dump");
    let archive = archive.display();
    let (code, shown) = on_a_terminal(
        format!("'{binary}' restore -W -d '{url}' -t books '{archive}'"),
        "wrong\n",
    )
    .await;
    assert_eq!(code, 1, "{shown}");
    assert!(
        shown.starts_with("Password: ") && shown.contains("password authentication failed"),
        "{shown}"
    );
}

/// `--statistics` in a restore: pg_restore 18.6 restores statistics by default, so alone it changes nothing, and
/// it cannot be combined with `-s`, `-a` or `--no-statistics`. pgferry does what pg_restore 18.6 does with each.
#[tokio::test]
async fn restore_statistics_options() {
    if require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    let archive = fixtures_dir().join("archives").join("v18_stats.dump");
    let archive = archive.to_str().unwrap();
    let env = Env::new();
    for options in [
        &["--statistics"][..],
        &[],
        &["--statistics", "--no-data"],
        &["-s", "--statistics"],
        &["-a", "--statistics"],
        &["--statistics", "--no-statistics"],
    ] {
        let mut args = vec!["restore", "-f", "-", "--restrict-key", "k"];
        args.extend_from_slice(options);
        args.push(archive);
        let ours = env.run(&args).await;
        let output = reference_command(RefTool::PgRestore, RefVersion::V18_6)
            .args(["-f", "-", "--restrict-key", "k"])
            .args(options)
            .arg(archive)
            .output()
            .await
            .expect("pg_restore");
        if output.status.success() {
            let theirs = String::from_utf8(output.stdout).expect("UTF-8");
            let ours = ours.success();
            if let Some(diff) = diff_lines(&theirs, ours) {
                panic!("pgferry restore {options:?} differs from pg_restore 18.6's:\n{diff}");
            }
            assert!(ours.contains("pg_restore_relation_stats"), "{options:?}");
        } else {
            let theirs = String::from_utf8_lossy(&output.stderr);
            let line = crate::exit_codes::usage_line(&ours);
            let reason = theirs.lines().next().unwrap_or_default();
            let reason = reason.strip_prefix("pg_restore: error: ").unwrap_or(reason);
            assert!(line.ends_with(reason), "{options:?}: {line} vs {theirs}");
        }
    }
}

/// The script without its version line, which names pgferry.
fn without_version_line(script: &str) -> String {
    script
        .lines()
        .filter(|l| !l.starts_with("-- Dumped by pg_dump version"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `-S`, `--disable-dollar-quoting` and `--extra-float-digits` write what pg_dump 18.6 writes, and `-S` in a
/// restore script what pg_restore 18.6 writes, byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn new_options_write_what_pg_dump_and_pg_restore_write() {
    if require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    let Some(walk) = Walk::start().await else {
        return;
    };
    let cases: &[&[&str]] = &[
        &["-a", "--disable-triggers", "-S", "postgres"],
        &["-a", "--disable-triggers", "-S", "o'dd admin"],
        &["-s", "--disable-dollar-quoting"],
        &["-a", "--extra-float-digits=0"],
        &["-a", "--extra-float-digits", "-15", "--inserts"],
    ];
    for case in cases {
        let mut args = vec!["dump", "--restrict-key", "k"];
        args.extend_from_slice(case);
        args.push(&walk.url);
        let ours = walk.env.run(&args).await.success().to_owned();
        let output = reference_command(RefTool::PgDump, RefVersion::V18_6)
            .args(["--restrict-key", "k", "--no-password"])
            .args(*case)
            .args(["--dbname", &walk.url])
            .output()
            .await
            .expect("pg_dump");
        assert!(output.status.success(), "pg_dump {case:?}: {output:?}");
        let theirs = String::from_utf8(output.stdout).expect("UTF-8");
        let (theirs, ours) = (without_version_line(&theirs), without_version_line(&ours));
        if let Some(diff) = diff_lines(&theirs, &ours) {
            panic!("pgferry dump {case:?} differs from pg_dump 18.6's:\n{diff}");
        }
    }
    // The same archive as a script, with -S, by both restore programs.
    let dump = walk.scratch.path().join("reference.dump");
    let output = reference_command(RefTool::PgDump, RefVersion::V18_6)
        .args(["-Fc", "--no-password", "-f"])
        .arg(&dump)
        .args(["--dbname", &walk.url])
        .output()
        .await
        .expect("pg_dump");
    assert!(output.status.success(), "{output:?}");
    for case in [
        &["-a", "--disable-triggers", "-S", "o'dd admin"][..],
        &["-a", "--disable-triggers", "-S", "postgres", "-t", "t"],
        &["--disable-triggers", "-S", "postgres"],
    ] {
        let mut args = vec!["restore", "-f", "-", "--restrict-key", "k"];
        args.extend_from_slice(case);
        args.push(dump.to_str().unwrap());
        let ours = walk.env.run(&args).await.success().to_owned();
        let output = reference_command(RefTool::PgRestore, RefVersion::V18_6)
            .args(["-f", "-", "--restrict-key", "k"])
            .args(case)
            .arg(&dump)
            .output()
            .await
            .expect("pg_restore");
        let theirs = String::from_utf8(output.stdout).expect("UTF-8");
        if let Some(diff) = diff_lines(&theirs, &ours) {
            panic!("pgferry restore {case:?} differs from pg_restore 18.6's:\n{diff}");
        }
    }
}

/// `-S` into a database: the triggers are disabled as that user, so a name that is no role fails the table's data
/// (and the restore ends with "errors ignored"), and a superuser's name works.
#[tokio::test(flavor = "multi_thread")]
async fn superuser_is_used_into_a_database() {
    let Some(walk) = Walk::start().await else {
        return;
    };
    walk.cluster.create_database("su").await.expect("database");
    walk.cluster
        .execute_sql("su", "CREATE SCHEMA app")
        .await
        .expect("schema");
    let url = walk.cluster.url("su");
    let run = |args: &'static [&'static str]| {
        let (env, url, archive) = (&walk.env, url.clone(), walk.archive.clone());
        async move {
            let mut all = vec!["restore", "-d", url.as_str()];
            all.extend_from_slice(args);
            all.push(archive.as_str());
            env.run(&all).await
        }
    };
    run(&["-s", "-t", "t"]).await.success();
    // (pg_restore stops at a failed SET SESSION AUTHORIZATION; pgferry reports it, counts it and goes on.)
    let refused = run(&["-a", "--disable-triggers", "-S", "nosuchrole", "-t", "t"]).await;
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("role \"nosuchrole\" does not exist"),
        "{refused:?}"
    );
    let client = walk.cluster.connect("su").await.expect("connect");
    client
        .batch_execute("TRUNCATE app.t")
        .await
        .expect("truncate");
    run(&["-a", "--disable-triggers", "-S", "postgres", "-t", "t"])
        .await
        .success();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM app.t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 2);
}

fn listing_has(run: &Run, line: &str) -> bool {
    run.stdout.lines().any(|l| l.contains(line))
}

/// pg_dump- and pg_restore-style command lines, as a script would run them with the real tools: a bare database
/// name with the server from `PGHOST`/`PGPORT`/`PGUSER`, `-Fc -j 2 -f out.dump DBNAME`, `-Fd`, patterns,
/// `--schema-only`, `--data-only`; `restore -d db -j 2 -c --if-exists FILE` over an earlier restore, `-l`, `-L`.
/// (The option-by-option comparisons with pg_dump and pg_restore are in dump_options.rs, data_roundtrip.rs,
/// restore.rs and parallel.rs.)
#[tokio::test(flavor = "multi_thread")]
async fn pg_dump_style_invocations() {
    let Some(walk) = Walk::start().await else {
        return;
    };
    let env = Env::new()
        .var("PGHOST", walk.cluster.host())
        .var("PGPORT", walk.cluster.port().to_string())
        .var("PGUSER", walk.cluster.user());
    let dir = env.home().to_path_buf();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();

    let custom = path("out.dump");
    env.run(&["dump", "-Fc", "-j", "2", "-f", &custom, "walk"])
        .await
        .success();
    let listing = env.run(&["restore", "-l", &custom]).await;
    assert!(listing_has(&listing, "TABLE DATA app t "), "{listing:?}");
    assert_eq!(
        listing.stdout,
        env.run(&["list", &custom]).await.success(),
        "restore -l and list differ"
    );
    let directory = path("out.dir");
    env.run(&["dump", "-Fd", "-f", &directory, "walk"])
        .await
        .success();
    assert!(Path::new(&directory).join("toc.dat").is_file());

    let script = |args: &'static [&'static str]| {
        let env = &env;
        async move {
            let mut all = vec!["dump"];
            all.extend_from_slice(args);
            all.push("walk");
            env.run(&all).await.success().to_owned()
        }
    };
    let tables = script(&["-t", "app.*", "-T", "app.p*"]).await;
    assert!(tables.contains("CREATE TABLE app.t ("), "{tables}");
    assert!(!tables.contains("CREATE TABLE app.p ("), "{tables}");
    let schemas = script(&["-n", "ap?", "-N", "public"]).await;
    assert!(schemas.contains("CREATE SCHEMA app;"), "{schemas}");
    let schema_only = script(&["--schema-only"]).await;
    assert!(schema_only.contains("CREATE TABLE app.t (") && !schema_only.contains("COPY app.t "));
    let data_only = script(&["--data-only"]).await;
    assert!(!data_only.contains("CREATE TABLE") && data_only.contains("COPY app.t "));

    // Restore, then restore again over it with -c --if-exists: both succeed, and the result is the source.
    walk.cluster
        .create_database("again")
        .await
        .expect("database");
    for _ in 0..2 {
        env.run(&[
            "restore",
            "-d",
            "again",
            "-j",
            "2",
            "-c",
            "--if-exists",
            &custom,
        ])
        .await
        .success();
    }
    let client = walk.cluster.connect("again").await.expect("connect");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM app.t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 2);

    // -l, edited, then -L: only what the list keeps.
    let list = path("edited.list");
    let edited: String = listing
        .stdout
        .lines()
        .map(|l| {
            if l.contains("TABLE DATA app t ") {
                format!(";{l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&list, edited).unwrap();
    walk.cluster
        .create_database("listed")
        .await
        .expect("database");
    env.run(&["restore", "-d", "listed", "-L", &list, &custom])
        .await
        .success();
    let client = walk.cluster.connect("listed").await.expect("connect");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM app.t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 0, "the list left out app.t's data");
    // -l -f FILE writes the listing to the file, as pg_restore does.
    let written = path("written.list");
    env.run(&["restore", "-l", "-f", &written, &custom])
        .await
        .success();
    assert_eq!(std::fs::read_to_string(&written).unwrap(), listing.stdout);
}

/// Options pg_dump ignores when it writes an archive (pg_restore takes them instead) are taken, with a warning
/// saying so; `-S` without `--disable-triggers` in a data-only dump likewise.
#[tokio::test(flavor = "multi_thread")]
async fn plain_only_options_warn_where_they_do_nothing() {
    let Some(mut walk) = Walk::start().await else {
        return;
    };
    let args = words("-Fc -f {out} -c --if-exists -O -C --use-set-session-authorization");
    let (outcome, argv) = walk.outcome(Tool::Dump, &args).await;
    assert_eq!(outcome.code, 0, "{argv:?}: {outcome:?}");
    for option in [
        "-c/--clean",
        "--if-exists",
        "-O/--no-owner",
        "-C/--create",
        "--use-set-session-authorization",
    ] {
        assert!(
            outcome.stderr.contains(&format!(
                "pgferry: warning: {option} applies to plain-text output"
            )),
            "{option}: {}",
            outcome.stderr
        );
    }
    let (plain, _) = walk.outcome(Tool::Dump, &words("-s -S postgres")).await;
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(
        plain
            .stderr
            .contains("-S/--superuser is used only with --disable-triggers"),
        "{}",
        plain.stderr
    );
    let (quiet, _) = walk
        .outcome(Tool::Dump, &words("-a --disable-triggers -S postgres"))
        .await;
    assert_eq!(quiet.stderr, "", "{quiet:?}");
}
