//! A cluster that requires TLS refuses plain TCP, accepts the Unix socket, and presents a certificate that
//! verifies against the kit's CA and not against an unrelated one.

use std::sync::Arc;

use pgferry_testkit::{Cluster, TestkitError, TlsMaterial};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::error::SqlState;

/// Send an SSLRequest, expect 'S', and do a TLS handshake trusting only `ca_der`, checking `name`.
async fn tls_handshake(port: u16, ca_der: Vec<u8>, name: &str) -> Result<(), String> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    tcp.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    if answer[0] != b'S' {
        return Err(format!(
            "server answered {:?} to SSLRequest",
            answer[0] as char
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca_der))
        .map_err(|e| e.to_string())?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
    connector
        .connect(server_name, tcp)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

fn der_of_pem(pem: &str) -> Vec<u8> {
    // The kit's PEMs are single certificates: base64 between the armour lines.
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    decode_base64(&b64)
}

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'=').map(val).collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, v) in chunk.iter().enumerate() {
            acc |= u32::from(*v) << (18 - 6 * i);
        }
        let n = chunk.len() * 6 / 8;
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn require_tls_refuses_plain_tcp_and_serves_a_verifiable_certificate() {
    let majors = crate::newest_and_oldest();
    if majors.is_empty() {
        return;
    }
    let tls = TlsMaterial::generate().unwrap();
    let other = TlsMaterial::other_ca().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for major in majors {
        let builder = Cluster::builder(major).tls(&tls).require_tls(true);
        tasks.spawn(async move { (major, builder.start().await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (major, started) = joined.unwrap();
        let cluster = started.unwrap_or_else(|e| panic!("TLS cluster {major} did not start: {e}"));
        assert!(cluster.tls_enabled());

        // Plain TCP: refused by pg_hba.conf.
        let err = cluster.connect("postgres").await.unwrap_err();
        match &err {
            TestkitError::Postgres { source, .. } => {
                assert_eq!(
                    source.code(),
                    Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION),
                    "{err}"
                )
            }
            other => panic!("expected a refusal from the server, got {other}"),
        }
        assert!(err.to_string().contains("pg_hba.conf"), "{err}");

        // The Unix socket: accepted.
        let client = cluster.connect_socket("postgres").await.unwrap();
        let ssl: String = client.query_one("SHOW ssl", &[]).await.unwrap().get(0);
        assert_eq!(ssl, "on");

        // TLS over TCP: the certificate verifies for localhost and 127.0.0.1 against our CA only.
        tls_handshake(cluster.port(), tls.ca_cert_der(), "localhost")
            .await
            .unwrap();
        tls_handshake(cluster.port(), tls.ca_cert_der(), "127.0.0.1")
            .await
            .unwrap();
        let wrong_ca = tls_handshake(cluster.port(), der_of_pem(other.cert_pem()), "localhost")
            .await
            .unwrap_err();
        assert!(wrong_ca.to_lowercase().contains("unknown"), "{wrong_ca}");
        let wrong_name = tls_handshake(cluster.port(), tls.ca_cert_der(), "db.example.com")
            .await
            .unwrap_err();
        assert!(
            wrong_name.to_lowercase().contains("not valid for name"),
            "{wrong_name}"
        );
        eprintln!("TLS checks passed on PostgreSQL {major}");
    }
}

#[test]
fn base64_decoder_agrees_with_rcgen() {
    let tls = TlsMaterial::generate().unwrap();
    assert_eq!(der_of_pem(&tls.ca_cert_pem()), tls.ca_cert_der());
}

#[tokio::test]
async fn require_tls_without_material_is_a_config_error() {
    let err = Cluster::builder(16)
        .require_tls(true)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, TestkitError::Config(_)), "{err}");
}
