//! Running the real binary in a clean environment.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

impl Run {
    /// Asserts success and returns stdout.
    pub(crate) fn success(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "pgferry failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts a failure reported as one clear line on stderr (no panic, no backtrace) and returns that line.
    pub(crate) fn one_line_failure(&self) -> &str {
        assert_eq!(
            self.code, 1,
            "expected exit 1:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "pgferry panicked:\n{}",
            self.stderr
        );
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !is_progress_line(l))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one line on stderr, got:\n{}",
            self.stderr
        );
        assert!(
            lines[0].starts_with("pgferry: error: "),
            "unexpected stderr: {}",
            self.stderr
        );
        lines[0]
    }
}

/// A periodic progress line (`--progress=plain`, the default off a terminal): `pgferry: 2/3 tables, ...`.
pub(crate) fn is_progress_line(line: &str) -> bool {
    line.strip_prefix("pgferry: ")
        .and_then(|rest| rest.split_once(" tables, "))
        .is_some_and(|(counts, _)| {
            counts
                .split_once('/')
                .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok())
        })
}

/// A clean environment for the binary: no `PG*` variables and a HOME of its own (so no `~/.pgpass`,
/// `~/.pg_service.conf` or `~/.postgresql/root.crt` of the machine's leaks in).
pub(crate) struct Env {
    pub(crate) home: TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    pub(crate) fn new() -> Env {
        Env {
            home: tempfile::tempdir().expect("temp home"),
            vars: Vec::new(),
        }
    }

    pub(crate) fn var(mut self, name: &str, value: impl Into<String>) -> Env {
        self.vars.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `pgferry ARGS` with a time limit far above any `connect_timeout` the tests use.
    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, Stdio::null()).await
    }

    /// Runs `pgferry ARGS` with the file `stdin` as its standard input.
    pub(crate) async fn run_with_stdin(&self, args: &[&str], stdin: &Path) -> Run {
        let file = std::fs::File::open(stdin).expect("standard input file");
        self.run_with(args, Stdio::from(file)).await
    }

    async fn run_with(&self, args: &[&str], stdin: Stdio) -> Run {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgferry"));
        command
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, _) in std::env::vars() {
            if name.starts_with("PG") || name == "PGFERRY_LOG" {
                command.env_remove(name);
            }
        }
        command.env("HOME", self.home.path());
        command.env("PGSYSCONFDIR", self.home.path());
        for (name, value) in &self.vars {
            command.env(name, value);
        }
        let started = std::time::Instant::now();
        let output = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .expect("pgferry ran for more than 60 s")
            .expect("could not run pgferry");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }
}

/// The server version used by tests that need just one: the newest available.
pub(crate) fn one_major() -> Option<u32> {
    pgferry_testkit::one_major()
}
