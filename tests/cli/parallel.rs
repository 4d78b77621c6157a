//! Parallel dumps (`-j N`): the workers see the leader's snapshot, and a worker that cannot lock a table without
//! waiting fails the dump instead of hanging it.

use std::io::Read;
use std::time::Duration;

use pgferry::archive::{Archive, DumpId};
use pgferry_testkit::Cluster;
use tokio_postgres::SimpleQueryMessage;

use crate::support::Env;

async fn first_value(client: &tokio_postgres::Client, sql: &str) -> Option<String> {
    let messages = client.simple_query(sql).await.expect("query");
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

/// The rows of the table data entry tagged `table` in the archive at `path`.
fn archived_rows(path: &std::path::Path, table: &str) -> Vec<String> {
    let mut archive = Archive::open(path).expect("archive opens");
    let id: DumpId = archive
        .toc()
        .entries
        .iter()
        .find(|e| e.desc == "TABLE DATA" && e.tag == table)
        .map(|e| e.dump_id)
        .expect("a TABLE DATA entry");
    let mut text = String::new();
    archive
        .data(id)
        .expect("data")
        .read_to_string(&mut text)
        .expect("read");
    text.lines()
        .take_while(|l| *l != "\\.")
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_read_the_snapshot_the_dump_was_given() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    let mut setup = String::new();
    for t in 0..6 {
        setup.push_str(&format!(
            "CREATE TABLE t{t} AS SELECT i FROM generate_series(1, {}) AS i;",
            1000 * (t + 1)
        ));
    }
    cluster.execute_sql("src", &setup).await.expect("tables");

    let holder = cluster.connect("src").await.expect("connect");
    holder
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .await
        .expect("begin");
    let snapshot = first_value(&holder, "SELECT pg_catalog.pg_export_snapshot()")
        .await
        .expect("snapshot");
    // Changes after the snapshot: none of them may show in the archive (TRUNCATE would: it is not MVCC-safe).
    cluster
        .execute_sql(
            "src",
            "INSERT INTO t0 VALUES (-1); DELETE FROM t5 WHERE i > 10; DELETE FROM t3;",
        )
        .await
        .expect("later changes");

    let env = Env::new();
    let url = cluster.url("src");
    for (format, out) in [("d", "snap.dir"), ("c", "snap.dump")] {
        let path = env.home().join(out);
        env.run(&[
            "dump",
            "-F",
            format,
            "-j",
            "3",
            "--snapshot",
            &snapshot,
            "-f",
            path.to_str().unwrap(),
            &url,
        ])
        .await
        .success();
        for t in 0..6 {
            let rows = archived_rows(&path, &format!("t{t}"));
            assert_eq!(rows.len(), 1000 * (t + 1), "-F{format}: t{t}");
        }
        assert!(!archived_rows(&path, "t0").contains(&"-1".to_owned()));
    }
    holder.batch_execute("COMMIT").await.expect("commit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_that_would_wait_for_a_lock_fails_the_dump() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    // Two large tables keep both workers busy while the small one waits in the queue (largest first).
    cluster
        .execute_sql(
            "src",
            "CREATE TABLE big1 AS SELECT i, repeat('x', 200) AS pad FROM generate_series(1, 400000) AS i; \
             CREATE TABLE big2 AS SELECT i, repeat('y', 200) AS pad FROM generate_series(1, 400000) AS i; \
             CREATE TABLE victim (i int); INSERT INTO victim VALUES (1); \
             ANALYZE;",
        )
        .await
        .expect("tables");

    let env = Env::new();
    let out = env.home().join("locked.dir");
    let url = format!("{}?application_name=pgferry_locked", cluster.url("src"));
    let args = ["dump", "-Fd", "-j", "2", "-f", out.to_str().unwrap(), &url];
    let dump = env.run(&args);
    let interfere = async {
        let watcher = cluster.connect("src").await.expect("watcher");
        for _ in 0..4000 {
            let copying = first_value(
                &watcher,
                "SELECT count(*) FROM pg_catalog.pg_stat_activity \
                 WHERE application_name = 'pgferry_locked' AND query LIKE 'COPY %big%'",
            )
            .await;
            if copying.as_deref() == Some("2") {
                // Queues behind the leader's ACCESS SHARE lock, ahead of the worker that will want victim.
                let locker = cluster.connect("src").await.expect("locker");
                let waiting = tokio::spawn(async move {
                    let _ = locker
                        .batch_execute("BEGIN; LOCK TABLE victim IN ACCESS EXCLUSIVE MODE; COMMIT")
                        .await;
                });
                return Some(waiting);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    };
    let (run, waiting) = tokio::join!(dump, interfere);
    let waiting = waiting.unwrap_or_else(|| panic!("never saw both workers copy: {run:?}"));
    let line = run.one_line_failure();
    assert!(line.contains("victim"), "{line}");
    assert!(line.contains("exclusive lock"), "{line}");
    assert!(!out.exists(), "a failed dump left {}", out.display());
    // With the dump gone, the exclusive lock is granted.
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the exclusive lock was granted")
        .expect("locker task");
}
