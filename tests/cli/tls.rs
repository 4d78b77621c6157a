//! TLS: sslmode and sslrootcert against a server that requires TLS.

use pgferry_testkit::{Cluster, TlsMaterial};

use crate::support::Env;

async fn tls_cluster() -> Option<(Cluster, TlsMaterial)> {
    let major = crate::support::one_major()?;
    let material = TlsMaterial::generate().expect("certificates");
    let cluster = Cluster::builder(major)
        .tls(&material)
        .require_tls(true)
        .start()
        .await
        .expect("cluster starts");
    Some((cluster, material))
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_with_the_right_ca_succeeds() {
    let Some((cluster, material)) = tls_cluster().await else {
        return;
    };
    let ca = material.ca_cert_path();
    let conninfo = format!(
        "host=localhost port={} user=postgres dbname=postgres sslmode=verify-full sslrootcert={}",
        cluster.port(),
        ca.display()
    );
    let run = Env::new().run(&["check", &conninfo]).await;
    let out = run.success();
    assert!(out.contains("TLSv1."), "{out}");
    assert!(out.contains("certificate and host name verified"), "{out}");

    let run = Env::new().run(&["check", "--json", &conninfo]).await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["tls"]["certificate_check"], "full");
    assert!(report["tls"]["protocol"]
        .as_str()
        .unwrap()
        .starts_with("TLSv1."));

    // The same root found at libpq's default place, ~/.postgresql/root.crt, turns require into verify-ca.
    let env = Env::new();
    std::fs::create_dir_all(env.home().join(".postgresql")).unwrap();
    std::fs::copy(&ca, env.home().join(".postgresql/root.crt")).unwrap();
    let conninfo = format!(
        "host=localhost port={} user=postgres dbname=postgres sslmode=require",
        cluster.port()
    );
    let run = env.run(&["check", "--json", &conninfo]).await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["tls"]["certificate_check"], "chain");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_with_a_wrong_ca_fails_clearly() {
    let Some((cluster, _material)) = tls_cluster().await else {
        return;
    };
    let other = TlsMaterial::other_ca().expect("another CA");
    let conninfo = format!(
        "host=localhost port={} user=postgres dbname=postgres sslmode=verify-full sslrootcert={}",
        cluster.port(),
        other.cert_path().display()
    );
    let run = Env::new().run(&["check", &conninfo]).await;
    let line = run.one_line_failure();
    assert!(line.contains("not issued by a trusted root"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_with_a_wrong_host_name_fails_but_verify_ca_passes() {
    let Some((cluster, material)) = tls_cluster().await else {
        return;
    };
    // The certificate names localhost and 127.0.0.1; ask for another name at the same address.
    let base = format!(
        "host=db.wrong-name.test hostaddr=127.0.0.1 port={} user=postgres dbname=postgres sslrootcert={}",
        cluster.port(),
        material.ca_cert_path().display()
    );
    let run = Env::new()
        .run(&["check", &format!("{base} sslmode=verify-full")])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("does not name this host"), "{line}");

    let run = Env::new()
        .run(&["check", "--json", &format!("{base} sslmode=verify-ca")])
        .await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["tls"]["certificate_check"], "chain");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_modes_without_roots_explain_what_is_missing() {
    let Some((cluster, _material)) = tls_cluster().await else {
        return;
    };
    let conninfo = format!(
        "host=localhost port={} user=postgres sslmode=verify-ca",
        cluster.port()
    );
    let line = Env::new()
        .run(&["check", &conninfo])
        .await
        .one_line_failure()
        .to_owned();
    assert!(line.contains("root certificate file"), "{line}");
    assert!(line.contains("sslrootcert"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_against_a_tls_only_server_fails_clearly_and_require_works() {
    let Some((cluster, _material)) = tls_cluster().await else {
        return;
    };
    let base = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        cluster.port()
    );
    let run = Env::new()
        .run(&["check", &format!("{base} sslmode=disable")])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("no encryption"), "{line}");
    assert!(line.contains("sslmode=require"), "expected a hint: {line}");

    let run = Env::new()
        .run(&["check", "--json", &format!("{base} sslmode=require")])
        .await;
    let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
    assert_eq!(report["tls"]["certificate_check"], "none");

    // prefer (the default) finds TLS on its own; allow tries plain first, then TLS.
    for mode in ["prefer", "allow"] {
        let run = Env::new()
            .run(&["check", "--json", &format!("{base} sslmode={mode}")])
            .await;
        let report: serde_json::Value = serde_json::from_str(run.success()).unwrap();
        assert!(report["tls"].is_object(), "sslmode={mode}: {report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn require_against_a_plain_server_fails_clearly() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let conninfo = format!(
        "host=127.0.0.1 port={} user=postgres sslmode=require",
        cluster.port()
    );
    let line = Env::new()
        .run(&["check", &conninfo])
        .await
        .one_line_failure()
        .to_owned();
    assert!(line.contains("does not support TLS"), "{line}");
}
