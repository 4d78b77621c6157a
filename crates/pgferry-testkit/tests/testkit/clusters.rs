//! A cluster of every major under test starts, answers, and cleans up after itself.

use std::time::Instant;

use pgferry_testkit::{majors_under_test, require_or_skip, Cluster, TestkitError};

#[tokio::test(flavor = "multi_thread")]
async fn every_major_starts_answers_and_cleans_up() {
    let t0 = Instant::now();
    let majors: Vec<u32> = majors_under_test()
        .into_iter()
        .filter(|m| require_or_skip(*m).is_some())
        .collect();

    // Start them all at once: initdb and startup are mostly waiting on the disk and the children.
    let mut tasks = tokio::task::JoinSet::new();
    for major in majors.clone() {
        tasks.spawn(async move {
            (
                major,
                Cluster::builder(major)
                    .setting("max_connections", "20")
                    .start()
                    .await,
            )
        });
    }
    let mut clusters = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (major, started) = joined.expect("start task panicked");
        clusters.push(started.unwrap_or_else(|e| panic!("PostgreSQL {major} did not start: {e}")));
    }
    clusters.sort_by_key(Cluster::major);
    eprintln!("started {} clusters in {:?}", clusters.len(), t0.elapsed());

    for c in &clusters {
        let major = c.major();
        assert_eq!(c.server_version_num() / 10_000, major);
        assert_eq!(c.host(), "127.0.0.1");
        assert_eq!(
            c.url("db1"),
            format!("postgresql://postgres@127.0.0.1:{}/db1", c.port())
        );

        let client = c.connect("postgres").await.unwrap();
        let version: String = client
            .query_one("SELECT version()", &[])
            .await
            .unwrap()
            .get(0);
        assert!(
            version.starts_with(&format!("PostgreSQL {major}.")),
            "{version}"
        );
        let max_conn: String = client
            .query_one("SHOW max_connections", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            max_conn, "20",
            "the caller's setting wins over the kit's defaults"
        );
        let fsync: String = client.query_one("SHOW fsync", &[]).await.unwrap().get(0);
        assert_eq!(fsync, "off");
        let encoding: String = client
            .query_one("SHOW server_encoding", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(encoding, "UTF8");
        let tz: String = client.query_one("SHOW timezone", &[]).await.unwrap().get(0);
        assert_eq!(tz, "UTC");
        let user: String = client
            .query_one("SELECT current_user::text", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(user, "postgres");

        c.create_database("odd \"name\"").await.unwrap();
        c.execute_sql(
            "odd \"name\"",
            "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);",
        )
        .await
        .unwrap();
        let sock = c.connect_socket("odd \"name\"").await.unwrap();
        let n: i64 = sock
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 2);

        let err = c
            .execute_sql("postgres", "SELECT * FROM no_such_table")
            .await
            .unwrap_err();
        assert!(matches!(err, TestkitError::Postgres { .. }));
        assert!(err.to_string().contains("no_such_table"), "{err}");
    }

    let dirs: Vec<_> = clusters
        .iter()
        .map(|c| c.temp_dir().to_path_buf())
        .collect();
    let ports: Vec<_> = clusters.iter().map(Cluster::port).collect();
    drop(clusters);
    for (dir, port) in dirs.iter().zip(ports) {
        assert!(!dir.exists(), "{} left behind", dir.display());
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "something still listens on port {port}"
        );
    }
    eprintln!("whole test took {:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_setting_fails_with_the_log_tail() {
    let Some(&major) = crate::newest_and_oldest().first() else {
        return;
    };
    let err = Cluster::builder(major)
        .setting("shared_buffers", "not a size")
        .start()
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, TestkitError::ExitedEarly { .. }), "{msg}");
    assert!(
        msg.contains("shared_buffers"),
        "the log tail should name the bad setting: {msg}"
    );
}

#[test]
fn unknown_majors_are_refused() {
    // 11 is known (UNSUPPORTED_TEST_MAJOR, provisioned for the refusal test); 10 is not.
    let err = pgferry_testkit::find_server_binaries(10).unwrap_err();
    assert!(err.to_string().contains("not supported"), "{err}");
}
