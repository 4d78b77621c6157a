//! PgBouncer in front of a cluster forwards queries, in transaction and session mode.

use pgferry_testkit::{require_pgbouncer_or_skip, Cluster, Pgbouncer, PoolMode};

#[tokio::test(flavor = "multi_thread")]
async fn pgbouncer_forwards_queries() {
    let Some(&major) = crate::newest_and_oldest().first() else {
        return;
    };
    if require_pgbouncer_or_skip().is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.unwrap();
    cluster.create_database("app").await.unwrap();
    cluster
        .execute_sql("app", "CREATE TABLE t AS SELECT 42 AS answer")
        .await
        .unwrap();

    let tx = Pgbouncer::start(&cluster, PoolMode::Transaction)
        .await
        .unwrap();
    let session = Pgbouncer::start(&cluster, PoolMode::Session).await.unwrap();
    assert_ne!(tx.port(), cluster.port());
    assert_eq!(
        tx.url("app"),
        format!("postgresql://postgres@127.0.0.1:{}/app", tx.port())
    );

    for (pooler, mode) in [(&tx, PoolMode::Transaction), (&session, PoolMode::Session)] {
        assert_eq!(pooler.pool_mode(), mode);
        let client = pooler.connect("app").await.unwrap();
        let answer: i32 = client
            .query_one("SELECT answer FROM t", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(answer, 42);
        let port: String = client.query_one("SHOW port", &[]).await.unwrap().get(0);
        assert_eq!(
            port,
            cluster.port().to_string(),
            "the query reached the cluster"
        );

        // The admin console knows the mode.
        let admin = pooler.connect("pgbouncer").await.unwrap();
        let rows = admin.simple_query("SHOW CONFIG").await.unwrap();
        let pool_mode = rows
            .iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) if r.get(0) == Some("pool_mode") => {
                    r.get(1).map(str::to_string)
                }
                _ => None,
            })
            .next();
        assert_eq!(pool_mode.as_deref(), Some(mode.as_str()));
    }

    let dir = tx.temp_dir().to_path_buf();
    let port = tx.port();
    drop(tx);
    assert!(!dir.exists());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
