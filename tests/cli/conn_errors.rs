//! Connection failures: one clear line, exit 1, no panic, no hang, no password in the output.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use pgferry_testkit::Cluster;

use crate::support::Env;

const PASSWORD: &str = "s3cret-Pa55word";

/// A TCP port on 127.0.0.1 with nothing listening.
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn cluster_with_password_user() -> Option<Cluster> {
    let major = crate::support::one_major()?;
    let cluster = Cluster::builder(major)
        .hba("host all alice 127.0.0.1/32 scram-sha-256")
        .start()
        .await
        .expect("cluster starts");
    cluster
        .execute_sql(
            "postgres",
            &format!("SET password_encryption = 'scram-sha-256'; CREATE ROLE alice LOGIN PASSWORD '{PASSWORD}'"),
        )
        .await
        .expect("role");
    Some(cluster)
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_from_everywhere_libpq_looks() {
    let Some(cluster) = cluster_with_password_user().await else {
        return;
    };
    let port = cluster.port();

    // In the URL.
    let url = format!("postgresql://alice:{PASSWORD}@127.0.0.1:{port}/postgres");
    let out = Env::new().run(&["check", &url]).await;
    assert!(
        out.success().contains("alice (not a superuser)"),
        "{}",
        out.stdout
    );

    // From PGPASSWORD.
    let url = format!("postgresql://alice@127.0.0.1:{port}/postgres");
    Env::new()
        .var("PGPASSWORD", PASSWORD)
        .run(&["check", &url])
        .await
        .success();

    // From ~/.pgpass, with a wildcard and an escaped colon in an earlier, non-matching line.
    let env = Env::new();
    let pgpass = env.home().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("otherhost:*:*:alice:wrong\\:one\n127.0.0.1:{port}:*:alice:{PASSWORD}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["check", &url]).await.success();

    // A password file others can read is ignored, with a warning, as libpq does.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = env.run(&["check", &url]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("asks for a password"), "{}", run.stderr);
    assert!(
        run.stderr.contains("permissions"),
        "expected the pgpass warning: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(PASSWORD),
        "password leaked: {}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_is_one_line_without_the_password() {
    let Some(cluster) = cluster_with_password_user().await else {
        return;
    };
    let url = format!(
        "postgresql://alice:not-{PASSWORD}@127.0.0.1:{}/postgres",
        cluster.port()
    );
    for args in [vec!["check", &url], vec!["-vv", "check", &url]] {
        let run = Env::new().run(&args).await;
        assert!(
            !run.stderr.contains(PASSWORD) && !run.stdout.contains(PASSWORD),
            "password leaked: {run:?}"
        );
        if args.len() == 2 {
            let line = run.one_line_failure();
            assert!(
                line.contains("password authentication failed for user \"alice\""),
                "{line}"
            );
        } else {
            assert_eq!(run.code, 1);
        }
    }

    // No password at all.
    let url = format!("postgresql://alice@127.0.0.1:{}/postgres", cluster.port());
    let line = Env::new()
        .run(&["check", &url])
        .await
        .one_line_failure()
        .to_owned();
    assert!(
        line.contains("asks for a password for user \"alice\""),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_database_is_one_line() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let run = Env::new().run(&["check", &cluster.url("no_such_db")]).await;
    let line = run.one_line_failure();
    assert!(
        line.contains("database \"no_such_db\" does not exist"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_host_is_one_line() {
    let url = format!("postgresql://postgres@127.0.0.1:{}/postgres", closed_port());
    let run = Env::new().run(&["check", &url]).await;
    let line = run.one_line_failure();
    assert!(line.contains("could not connect"), "{line}");
    assert!(line.contains("Connection refused"), "{line}");

    let run = Env::new()
        .run(&[
            "check",
            "host=/nonexistent/socket/dir port=5432 user=postgres",
        ])
        .await;
    let line = run.one_line_failure();
    assert!(
        line.contains("/nonexistent/socket/dir/.s.PGSQL.5432"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_server_stops_at_connect_timeout() {
    // Accepts TCP connections (the kernel does) but never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let conninfo =
        format!("host=127.0.0.1 port={port} user=postgres connect_timeout=2 sslmode=disable");
    let run = Env::new().run(&["check", &conninfo]).await;
    let line = run.one_line_failure();
    assert!(line.contains("timed out"), "{line}");
    assert!(
        run.elapsed < Duration::from_secs(10),
        "took {:?}",
        run.elapsed
    );
    drop(listener);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_connection_strings_are_usage_errors_with_a_reason() {
    let run = Env::new()
        .run(&["check", "host=localhost nonsense_option=1"])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("nonsense_option"), "{line}");
    let run = Env::new()
        .run(&["check", "postgresql://localhost:99999/db"])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("99999"), "{line}");
}
