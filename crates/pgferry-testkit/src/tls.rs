//! Certificates for TLS tests, made with rcgen: a CA, a server certificate it signed, client certificates on
//! demand, and unrelated CAs for "wrong CA" failures.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

use crate::error::{Result, TestkitError};
use crate::os::TempArea;

/// A test CA plus a server certificate signed by it, written as PEM files to a temp dir that lives as long as
/// this value.
///
/// The server certificate names `localhost`, `127.0.0.1` and `::1` (plus any extra names given), so clients can
/// use `sslmode=verify-full` against a [`Cluster`](crate::Cluster) on 127.0.0.1. Pass it to
/// [`ClusterBuilder::tls`](crate::ClusterBuilder::tls); one `TlsMaterial` can serve many clusters.
///
/// ```no_run
/// # async fn t() -> Result<(), pgferry_testkit::TestkitError> {
/// let tls = pgferry_testkit::TlsMaterial::generate()?;
/// let cluster = pgferry_testkit::Cluster::builder(16).tls(&tls).require_tls(true).start().await?;
/// let url = format!("{}?sslmode=verify-full&sslrootcert={}", cluster.url("postgres"), tls.ca_cert_path().display());
/// # Ok(()) }
/// ```
pub struct TlsMaterial {
    area: TempArea,
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
    server_cert_pem: String,
    server_key_pem: String,
    server_names: Vec<String>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("dir", &self.dir())
            .field("server_names", &self.server_names)
            .finish_non_exhaustive()
    }
}

/// A client certificate (CN = the user name) signed by a [`TlsMaterial`]'s CA, for `sslcert`/`sslkey` and
/// `hostssl ... cert` tests. Its files live in the material's temp dir.
#[derive(Debug, Clone)]
pub struct ClientCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    cert_pem: String,
    key_pem: String,
}

/// A CA that has signed nothing any test server uses: a client that trusts only it must refuse the server.
#[derive(Debug)]
pub struct UnrelatedCa {
    area: TempArea,
    cert_pem: String,
}

const CA_FILE: &str = "ca.crt";
const SERVER_CERT_FILE: &str = "server.crt";
const SERVER_KEY_FILE: &str = "server.key";

fn ca_params(common_name: &str) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "pgferry tests");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

fn write_pem(dir: &Path, name: &str, pem: &str, mode: u32) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    fs::write(&path, pem)
        .map_err(|e| TestkitError::io(format!("writing {}", path.display()), e))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(mode))
        .map_err(|e| TestkitError::io(format!("chmod {}", path.display()), e))?;
    Ok(path)
}

fn san(name: &str) -> Result<SanType> {
    Ok(match name.parse::<IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => {
            SanType::DnsName(name.to_string().try_into().map_err(|e| {
                TestkitError::Config(format!("'{name}' is not a valid DNS name: {e}"))
            })?)
        }
    })
}

impl TlsMaterial {
    /// A fresh CA and a server certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn generate() -> Result<TlsMaterial> {
        Self::generate_with_names(&[])
    }

    /// Like [`generate`](Self::generate), with extra subject alternative names on the server certificate
    /// (IP addresses are recognised, anything else is a DNS name, e.g. `db.example.test`).
    pub fn generate_with_names(extra_names: &[&str]) -> Result<TlsMaterial> {
        let area = TempArea::new("tls", None)?;

        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params("pgferry test CA")?.self_signed(&ca_key)?;

        let mut server_names: Vec<String> =
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        for n in extra_names {
            if !server_names.iter().any(|s| s == n) {
                server_names.push((*n).to_string());
            }
        }
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.subject_alt_names = server_names.iter().map(|n| san(n)).collect::<Result<_>>()?;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate()?;
        let server_cert = params.signed_by(&server_key, &ca_cert, &ca_key)?;

        let material = TlsMaterial {
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
            ca_cert,
            ca_key,
            server_names,
            area,
        };
        write_pem(material.dir(), CA_FILE, &material.ca_cert_pem(), 0o644)?;
        write_pem(
            material.dir(),
            SERVER_CERT_FILE,
            &material.server_cert_pem,
            0o644,
        )?;
        write_pem(
            material.dir(),
            SERVER_KEY_FILE,
            &material.server_key_pem,
            0o600,
        )?;
        Ok(material)
    }

    /// A second, independent CA (for "certificate signed by an unknown authority" tests).
    pub fn other_ca() -> Result<UnrelatedCa> {
        let area = TempArea::new("tls-other", None)?;
        let key = KeyPair::generate()?;
        let cert_pem = ca_params("unrelated pgferry test CA")?
            .self_signed(&key)?
            .pem();
        write_pem(area.path(), CA_FILE, &cert_pem, 0o644)?;
        Ok(UnrelatedCa { area, cert_pem })
    }

    /// The temp dir holding the PEM files.
    pub fn dir(&self) -> &Path {
        self.area.path()
    }

    /// The CA certificate file: what a client passes as `sslrootcert`.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir().join(CA_FILE)
    }

    /// The CA certificate, PEM.
    pub fn ca_cert_pem(&self) -> String {
        self.ca_cert.pem()
    }

    /// The CA certificate, DER.
    pub fn ca_cert_der(&self) -> Vec<u8> {
        self.ca_cert.der().to_vec()
    }

    /// The server certificate file (PEM).
    pub fn server_cert_path(&self) -> PathBuf {
        self.dir().join(SERVER_CERT_FILE)
    }

    /// The server's private key file (PEM, PKCS#8, mode 0600).
    pub fn server_key_path(&self) -> PathBuf {
        self.dir().join(SERVER_KEY_FILE)
    }

    /// The server certificate, PEM.
    pub fn server_cert_pem(&self) -> &str {
        &self.server_cert_pem
    }

    /// The server's private key, PEM.
    pub fn server_key_pem(&self) -> &str {
        &self.server_key_pem
    }

    /// The names the server certificate is valid for.
    pub fn server_names(&self) -> &[String] {
        &self.server_names
    }

    /// A client certificate for `user` (CN = `user`) signed by this CA, written next to the other files as
    /// `client-<user>.crt` / `client-<user>.key`.
    pub fn client_cert(&self, user: &str) -> Result<ClientCert> {
        if user.is_empty()
            || !user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(TestkitError::Config(format!(
                "client certificate user '{user}': use letters, digits, '_' and '-'"
            )));
        }
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, user);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.ca_cert, &self.ca_key)?;
        let cert_pem = cert.pem();
        let key_pem = key.serialize_pem();
        let cert_path = write_pem(self.dir(), &format!("client-{user}.crt"), &cert_pem, 0o644)?;
        let key_path = write_pem(self.dir(), &format!("client-{user}.key"), &key_pem, 0o600)?;
        Ok(ClientCert {
            cert_path,
            key_path,
            cert_pem,
            key_pem,
        })
    }
}

impl ClientCert {
    /// The certificate file (`sslcert`).
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// The private key file (`sslkey`, mode 0600).
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The private key, PEM (PKCS#8).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

impl UnrelatedCa {
    /// The CA certificate file, to pass as `sslrootcert`.
    pub fn cert_path(&self) -> PathBuf {
        self.area.path().join(CA_FILE)
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pem_files() {
        let m = TlsMaterial::generate_with_names(&["db.pgferry.test", "10.1.2.3"]).unwrap();
        let ca = fs::read_to_string(m.ca_cert_path()).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(ca, m.ca_cert_pem());
        let key = fs::read_to_string(m.server_key_path()).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(m.server_key_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(m.server_names().iter().any(|n| n == "db.pgferry.test"));
        let c = m.client_cert("alice").unwrap();
        assert!(fs::read_to_string(c.cert_path())
            .unwrap()
            .contains("BEGIN CERTIFICATE"));
        assert!(m.client_cert("../x").is_err());

        let other = TlsMaterial::other_ca().unwrap();
        assert_ne!(fs::read_to_string(other.cert_path()).unwrap(), ca);
        let dir = m.dir().to_path_buf();
        drop(m);
        assert!(!dir.exists());
    }
}
