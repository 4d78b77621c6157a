//! TLS through rustls, with libpq's meaning of each `sslmode`.
//!
//! libpq's rules, which this module follows:
//! - `disable`: never TLS. `allow`: plain first, TLS if the server refuses plain. `prefer`: TLS if the server
//!   offers it. `require`: TLS or nothing.
//! - Certificates are checked against a root file when one exists, whatever the mode: an explicit
//!   `sslrootcert`, or `~/.postgresql/root.crt`. So `require` with a root file behaves as `verify-ca`.
//! - `verify-ca` checks the chain; `verify-full` also checks that the certificate names the host. Both need
//!   roots: a file, or `sslrootcert=system` (the OS trust store, which libpq accepts only with `verify-full`).
//! - SNI carries the host name unless the host is an IP address or `sslsni=0`. Neon routes on it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::{ConnConfig, SslMode};

/// Why a TLS setup could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// verify-ca or verify-full without any root certificate.
    #[error(
        "root certificate file \"{path}\" does not exist; sslmode={mode} needs it to check the server's \
         certificate: give one with sslrootcert=FILE, use the system's roots with sslrootcert=system, \
         or use sslmode=require to skip the check"
    )]
    MissingRootCertificate {
        /// The path looked for.
        path: PathBuf,
        /// The mode that needed it.
        mode: SslMode,
    },
    /// `sslrootcert=system` with a mode below verify-full.
    #[error("sslrootcert=system needs sslmode=verify-full (sslmode={mode} would not check the host name)")]
    SystemRootsNeedVerifyFull {
        /// The weaker mode given.
        mode: SslMode,
    },
    /// A certificate or key file could not be read or parsed.
    #[error("could not read {what} \"{path}\": {reason}")]
    BadFile {
        /// What the file was for.
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The OS trust store could not be loaded.
    #[error("could not load the system's root certificates: {0}")]
    SystemRoots(String),
    /// rustls refused the configuration.
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Not checked at all (libpq's `require`, `prefer` and `allow` without a root file).
    None,
    /// The chain is checked against the roots; the host name is not.
    Chain,
    /// The chain and the host name are checked.
    Full,
}

/// A prepared TLS client configuration for one [`ConnConfig`].
#[derive(Clone)]
pub(crate) struct TlsSetup {
    config: Arc<ClientConfig>,
    verification: Verification,
    sni: bool,
}

impl fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSetup")
            .field("verification", &self.verification)
            .field("sni", &self.sni)
            .finish_non_exhaustive()
    }
}

impl TlsSetup {
    /// Builds the TLS configuration `config` asks for, or `None` when `sslmode=disable`.
    pub(crate) fn from_config(config: &ConnConfig) -> Result<Option<TlsSetup>, TlsSetupError> {
        if config.sslmode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = load_roots(config)?;
        let verification = match (config.sslmode, roots.is_some()) {
            (SslMode::VerifyFull, _) => Verification::Full,
            (SslMode::VerifyCa, _) => Verification::Chain,
            (_, true) => Verification::Chain,
            (_, false) => Verification::None,
        };
        let verifier: Arc<dyn ServerCertVerifier> = match (verification, roots) {
            (Verification::None, _) => Arc::new(AcceptAnyCertificate {
                provider: Arc::clone(&provider),
            }),
            (_, None) => {
                return Err(TlsSetupError::MissingRootCertificate {
                    path: default_root_path(config),
                    mode: config.sslmode,
                })
            }
            (level, Some(roots)) => {
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| TlsSetupError::Rustls(rustls::Error::General(e.to_string())))?;
                Arc::new(ChainVerifier {
                    inner: webpki,
                    check_host: level == Verification::Full,
                })
            }
        };
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut client_config = match client_certificate(config)? {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
            None => builder.with_no_client_auth(),
        };
        client_config.enable_sni = config.sslsni;
        Ok(Some(TlsSetup {
            config: Arc::new(client_config),
            verification,
            sni: config.sslsni,
        }))
    }

    /// The rustls configuration.
    pub(crate) fn client_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }

    /// How certificates are checked.
    pub(crate) fn verification(&self) -> Verification {
        self.verification
    }
}

/// The name to verify and (for a DNS name) to send as SNI.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, TlsSetupError> {
    ServerName::try_from(host.to_owned()).map_err(|e| TlsSetupError::BadFile {
        what: "host name for TLS",
        path: PathBuf::from(host),
        reason: e.to_string(),
    })
}

fn default_root_path(config: &ConnConfig) -> PathBuf {
    match &config.sslrootcert {
        Some(path) if path != "system" => PathBuf::from(path),
        _ => postgresql_dir(config).join("root.crt"),
    }
}

fn postgresql_dir(config: &ConnConfig) -> PathBuf {
    config
        .home_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("~"))
        .join(".postgresql")
}

/// The roots to verify against: the named file, the system store, or `~/.postgresql/root.crt` when it exists.
fn load_roots(config: &ConnConfig) -> Result<Option<RootCertStore>, TlsSetupError> {
    match config.sslrootcert.as_deref() {
        Some("system") => {
            if config.sslmode != SslMode::VerifyFull {
                return Err(TlsSetupError::SystemRootsNeedVerifyFull {
                    mode: config.sslmode,
                });
            }
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let reason = found
                    .errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "no certificates found".to_owned());
                return Err(TlsSetupError::SystemRoots(reason));
            }
            let mut store = RootCertStore::empty();
            let (_added, _ignored) = store.add_parsable_certificates(found.certs);
            Ok(Some(store))
        }
        Some(path) => read_roots(Path::new(path)).map(Some),
        None => {
            let default = postgresql_dir(config).join("root.crt");
            if default.is_file() {
                read_roots(&default).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

fn read_roots(path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let certs = read_certificates(path, "root certificate file")?;
    let mut store = RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(|e| TlsSetupError::BadFile {
            what: "root certificate file",
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    }
    Ok(store)
}

fn read_certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let bad = |reason: String| TlsSetupError::BadFile {
        what,
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".to_owned()));
    }
    Ok(certs)
}

/// A client certificate and key: `sslcert`/`sslkey`, or `~/.postgresql/postgresql.{crt,key}` when present.
fn client_certificate(
    config: &ConnConfig,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TlsSetupError> {
    let dir = postgresql_dir(config);
    let cert_path = config
        .sslcert
        .clone()
        .unwrap_or_else(|| dir.join("postgresql.crt"));
    if config.sslcert.is_none() && !cert_path.is_file() {
        return Ok(None);
    }
    let chain = read_certificates(&cert_path, "client certificate file")?;
    let key_path = config
        .sslkey
        .clone()
        .unwrap_or_else(|| dir.join("postgresql.key"));
    let bad = |reason: String| TlsSetupError::BadFile {
        what: "client key file",
        path: key_path.clone(),
        reason,
    };
    let bytes = std::fs::read(&key_path).map_err(|e| bad(e.to_string()))?;
    let key = rustls_pemfile::private_key(&mut bytes.as_slice())
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("no PEM private key in it".to_owned()))?;
    Ok(Some((chain, key)))
}

/// libpq's behaviour without roots: encrypt, but take any certificate. Handshake signatures are still checked.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// webpki verification, optionally forgiving a host name mismatch (verify-ca).
#[derive(Debug)]
struct ChainVerifier {
    inner: Arc<WebPkiServerVerifier>,
    check_host: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_host => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Turns a rustls handshake failure into words a user can act on.
pub(crate) fn explain_handshake_error(error: &std::io::Error) -> String {
    let inner = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => "the server's certificate does not name this host (sslmode=verify-full checks the host name; \
               connect with the name the certificate was issued for)"
            .to_owned(),
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            "the server's certificate was not issued by a trusted root (check sslrootcert)".to_owned()
        }
        Some(rustls::Error::InvalidCertificate(CertificateError::Expired)) => {
            "the server's certificate has expired".to_owned()
        }
        Some(rustls::Error::InvalidCertificate(other)) => {
            format!("the server's certificate was rejected: {other:?}")
        }
        Some(other) => format!("TLS handshake failed: {other}"),
        None => format!("TLS handshake failed: {error}"),
    }
}
