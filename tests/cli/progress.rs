//! `--progress` and `--summary-json`: progress goes to stderr only (never into a dump on stdout), JSON lines
//! parse, and the summary counts what was moved.

use std::path::Path;

use pgferry_testkit::Cluster;
use serde_json::Value;

use crate::support::{Env, Run};

const ROWS: i64 = 5000;

/// A cluster with `src` holding two tables of known size.
async fn source() -> Option<Cluster> {
    let major = crate::support::one_major()?;
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    let client = cluster.connect("src").await.expect("connect");
    client
        .batch_execute(&format!(
            "CREATE TABLE public.numbers (n integer PRIMARY KEY, word text);
             INSERT INTO public.numbers SELECT n, 'word ' || n FROM generate_series(1, {ROWS}) n;
             CREATE TABLE public.empty (x integer);"
        ))
        .await
        .expect("tables");
    Some(cluster)
}

/// Every stderr line as JSON (failing on a line that is not), and the last one, which must be the summary.
fn json_lines(run: &Run) -> (Vec<Value>, Value) {
    let lines: Vec<Value> = run
        .stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line}\n{}", run.stderr))
        })
        .collect();
    let summary = lines.last().cloned().expect("at least the summary");
    assert_eq!(summary["event"], "summary", "{}", run.stderr);
    for line in &lines[..lines.len() - 1] {
        assert_eq!(line["event"], "progress", "{}", run.stderr);
        assert!(
            line["rows"].is_u64() && line["running"].is_array(),
            "{line}"
        );
    }
    (lines, summary)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).expect("output exists").len()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_progress_goes_to_stderr_and_the_summary_counts_the_rows() {
    let Some(cluster) = source().await else {
        return;
    };
    let env = Env::new();
    let url = cluster.url("src");
    let dir = tempfile::tempdir().expect("tempdir");

    // An archive to a file: JSON lines on stderr, nothing on stdout, the summary with the file's size.
    let archive = dir.path().join("src.dump");
    let summary_file = dir.path().join("summary.json");
    let archive_arg = archive.to_str().unwrap();
    let run = env
        .run(&[
            "dump",
            "-Fc",
            "-j",
            "2",
            "--progress=json",
            "--summary-json",
            summary_file.to_str().unwrap(),
            "-f",
            archive_arg,
            &url,
        ])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let (lines, summary) = json_lines(&run);
    assert!(
        lines.len() >= 2,
        "a progress line and the summary: {}",
        run.stderr
    );
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["rows"], ROWS, "{summary}");
    assert_eq!(summary["tables"], 2, "{summary}");
    assert_eq!(summary["written_bytes"], file_size(&archive), "{summary}");
    assert!(
        summary["compression_ratio"].as_f64().unwrap() > 1.0,
        "{summary}"
    );
    assert!(summary["objects"].as_u64().unwrap() >= 4, "{summary}");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_file).expect("summary file"))
            .expect("the summary file is JSON");
    assert_eq!(written["rows"], ROWS);

    // A plain dump to stdout: the script is untouched by progress, which stays on stderr.
    let run = env.run(&["dump", "--progress=json", &url]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with("--\n-- PostgreSQL database dump"),
        "{}",
        &run.stdout[..80]
    );
    assert!(
        !run.stdout.contains("\"event\""),
        "progress leaked into the dump"
    );
    let (_, summary) = json_lines(&run);
    assert_eq!(summary["rows"], ROWS);
    assert_eq!(
        summary["written_bytes"],
        run.stdout.len() as u64,
        "{summary}"
    );

    // A restore into a database counts the same rows.
    cluster.create_database("dst").await.expect("dst");
    let dst = cluster.url("dst");
    let run = env
        .run(&[
            "restore",
            "--progress=json",
            "-j",
            "2",
            "-d",
            &dst,
            archive_arg,
        ])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, summary) = json_lines(&run);
    assert_eq!(summary["rows"], ROWS, "{summary}");
    assert_eq!(summary["tables"], 2, "{summary}");

    // A plain SQL dump restored without psql counts its COPY blocks too.
    let script = dir.path().join("src.sql");
    env.run(&[
        "dump",
        "--progress=none",
        "-f",
        script.to_str().unwrap(),
        &url,
    ])
    .await
    .success();
    cluster
        .create_database("dst_plain")
        .await
        .expect("dst_plain");
    let run = env
        .run(&[
            "restore",
            "--progress=json",
            "-d",
            &cluster.url("dst_plain"),
            script.to_str().unwrap(),
        ])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, summary) = json_lines(&run);
    assert_eq!(summary["rows"], ROWS, "{summary}");
    assert_eq!(summary["tables"], 2, "{summary}");
    assert!(summary["objects"].as_u64().unwrap() > 2, "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_and_silent_modes() {
    let Some(cluster) = source().await else {
        return;
    };
    let env = Env::new();
    let url = cluster.url("src");
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("src.dump");

    // Not on a terminal: plain lines, then one summary line for people.
    let run = env
        .run(&["dump", "-Fc", "-f", archive.to_str().unwrap(), &url])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("pgferry: done: ") && last.contains(&format!("{ROWS} rows")),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no terminal escapes off a terminal"
    );

    // --progress=none: the summary only; bars on request draw with escapes, on stderr only.
    let run = env.run(&["dump", "--progress=none", "-Fc", &url]).await;
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = env.run(&["dump", "--progress=bars", "-s", &url]).await;
    assert_eq!(run.code, 0);
    assert!(!run.stdout.contains('\u{1b}'));
}
