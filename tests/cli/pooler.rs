//! Pooler detection through a real PgBouncer.

use pgferry_testkit::{Cluster, Pgbouncer, PoolMode};

use crate::support::Env;

async fn cluster_and_bouncer(mode: PoolMode) -> Option<(Cluster, Pgbouncer)> {
    let major = crate::support::one_major()?;
    pgferry_testkit::require_pgbouncer_or_skip()?;
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let bouncer = Pgbouncer::start(&cluster, mode)
        .await
        .expect("pgbouncer starts");
    Some((cluster, bouncer))
}

#[tokio::test(flavor = "multi_thread")]
async fn transaction_pooling_is_refused_with_advice() {
    let Some((cluster, bouncer)) = cluster_and_bouncer(PoolMode::Transaction).await else {
        return;
    };
    let run = Env::new().run(&["check", &bouncer.url("postgres")]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("transaction mode"), "{}", run.stdout);
    assert!(!run.stderr.contains("panicked"));
    let problem = run
        .stderr
        .lines()
        .find(|l| l.starts_with("pgferry: error: "))
        .expect("an error line");
    assert!(
        problem.contains("connection pooler in transaction mode"),
        "{problem}"
    );
    assert!(problem.contains("--allow-pooler"), "{problem}");
    assert!(problem.contains("directly"), "{problem}");

    let run = Env::new()
        .run(&["check", "--json", &bouncer.url("postgres")])
        .await;
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["pooler"]["detected"], true);
    assert_eq!(report["pooler"]["mode"], "transaction");

    let run = Env::new()
        .run(&["check", "--allow-pooler", &bouncer.url("postgres")])
        .await;
    assert!(run.success().contains("ready to dump"));

    // The server behind it, reached directly, is not flagged.
    let run = Env::new()
        .run(&["check", "--json", &cluster.url("postgres")])
        .await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["pooler"]["detected"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_pooling_is_reported_but_allowed() {
    let Some((_cluster, bouncer)) = cluster_and_bouncer(PoolMode::Session).await else {
        return;
    };
    let run = Env::new()
        .run(&["check", "--json", &bouncer.url("postgres")])
        .await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["pooler"]["detected"], true);
    assert_eq!(report["pooler"]["mode"], "session");
}
