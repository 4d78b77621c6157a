//! `pgferry check` against every supported server version.

use pgferry_testkit::Cluster;

use crate::support::Env;

async fn check_major(major: u32) {
    if pgferry_testkit::require_or_skip(major).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster
        .execute_sql(
            "postgres",
            "CREATE TABLE t1 (id int); CREATE TABLE t2 (id int) PARTITION BY RANGE (id);",
        )
        .await
        .expect("fixture");

    let env = Env::new();
    let run = env.run(&["check", &cluster.url("postgres")]).await;
    let out = run.success();
    assert!(out.contains("ready to dump"), "{out}");
    assert!(
        out.contains(&format!("PostgreSQL {major}.")),
        "version missing: {out}"
    );
    assert!(out.contains("2 tables"), "{out}");
    assert!(out.contains("postgres (superuser)"), "{out}");
    assert!(out.contains("none (direct connection)"), "{out}");

    let run = env
        .run(&["check", "--json", &cluster.url("postgres")])
        .await;
    let report: serde_json::Value = serde_json::from_str(run.success()).expect("one JSON object");
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["server"]["version_num"].as_u64().unwrap() / 10_000,
        u64::from(major)
    );
    assert_eq!(
        report["server"]["port"].as_u64().unwrap(),
        u64::from(cluster.port())
    );
    assert_eq!(report["database"]["tables"], 2);
    assert_eq!(report["user"]["superuser"], true);
    assert_eq!(report["pooler"]["detected"], false);
    assert!(report["tls"].is_null());
    assert!(report["database"]["size_bytes"].as_i64().unwrap() > 0);

    // The same server through its Unix socket, with pg_dump-style flags.
    let socket_dir = cluster.socket_dir().to_str().unwrap().to_owned();
    let port = cluster.port().to_string();
    let run = env
        .run(&[
            "check",
            "-h",
            &socket_dir,
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "postgres",
        ])
        .await;
    let out = run.success();
    assert!(out.contains(&format!("PostgreSQL {major}.")), "{out}");
    assert!(out.contains("not in use"), "a socket never uses TLS: {out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_12() {
    check_major(12).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_13() {
    check_major(13).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_14() {
    check_major(14).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_15() {
    check_major(15).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_16() {
    check_major(16).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_17() {
    check_major(17).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_server_18() {
    check_major(18).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_and_service_file_reach_the_server() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster
        .create_database("from_service")
        .await
        .expect("database");

    // PG* variables alone.
    let env = Env::new()
        .var("PGHOST", "127.0.0.1")
        .var("PGPORT", cluster.port().to_string())
        .var("PGUSER", "postgres")
        .var("PGDATABASE", "postgres");
    let run = env.run(&["check", "--json"]).await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["database"]["name"], "postgres");

    // A service file named by PGSERVICEFILE, picked by PGSERVICE; the connection string still wins for dbname.
    let env = Env::new();
    let service_file = env.home().join("services.conf");
    std::fs::write(
        &service_file,
        format!(
            "# test services\n[kit]\nhost=127.0.0.1\nport={}\nuser=postgres\ndbname=from_service\n",
            cluster.port()
        ),
    )
    .unwrap();
    let env = env
        .var("PGSERVICEFILE", service_file.to_str().unwrap())
        .var("PGSERVICE", "kit");
    let run = env.run(&["check", "--json"]).await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["database"]["name"], "from_service");
    let run = env.run(&["check", "--json", "dbname=postgres"]).await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["database"]["name"], "postgres");

    // Several hosts: the first refuses, the second answers.
    let dead = crate::conn_errors::closed_port();
    let conninfo = format!(
        "host=127.0.0.1,127.0.0.1 port={dead},{} user=postgres dbname=postgres",
        cluster.port()
    );
    let run = Env::new().run(&["check", &conninfo]).await;
    run.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_older_than_12_are_refused_clearly() {
    let major = pgferry_testkit::UNSUPPORTED_TEST_MAJOR;
    if pgferry_testkit::require_or_skip(major).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let run = Env::new().run(&["check", &cluster.url("postgres")]).await;
    let line = run.one_line_failure();
    assert!(line.contains(&format!("PostgreSQL {major}.")), "{line}");
    assert!(line.contains("does not support"), "{line}");
    assert!(
        line.contains("oldest supported server is PostgreSQL 12"),
        "{line}"
    );
}
