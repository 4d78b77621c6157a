//! Opening a connection: hosts in order, TLS per `sslmode`, startup, version check.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::error::{ConnectError, TargetLabel};
use crate::startup::{ObservedStream, StartupInfo, StartupObserver};
use crate::tls::{explain_handshake_error, server_name, TlsSetup, Verification};
use crate::version::VersionSupport;
use crate::{ConnConfig, Host, ServerVersion, SslMode, Target};

/// The TLS parameters of an open connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The protocol, as `TLSv1.3` or `TLSv1.2`.
    pub protocol: String,
    /// The cipher suite's IANA name.
    pub cipher: String,
    /// How the server's certificate was checked.
    pub verification: Verification,
}

/// An open, authenticated connection, with what is known about the server.
///
/// Dropping it closes the connection.
#[derive(Debug)]
pub struct Session {
    client: Client,
    target: Target,
    tls: Option<TlsInfo>,
    startup: StartupInfo,
    version: ServerVersion,
    user: String,
    driver: JoinHandle<()>,
}

impl Session {
    /// The client, for queries. Use `simple_query` where a pooler may sit in between: the extended protocol's
    /// named statements can collide on a shared server connection.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The host that answered (the first in the list that worked).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// TLS details, or `None` for a plain connection.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// The server's version, read with `server_version_num` when the connection opened.
    pub fn server_version(&self) -> ServerVersion {
        self.version
    }

    /// The process id the server announced at connect (BackendKeyData). A pooler announces its own.
    pub fn announced_pid(&self) -> Option<i32> {
        self.startup.announced_pid
    }

    /// A ParameterStatus value the server reported at connect, such as `server_version` or `is_superuser`.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.startup.parameters.get(name).map(String::as_str)
    }

    /// The user name the session logged in with.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Runs SQL through the simple protocol (safe through a pooler) and returns every row's columns as text.
    pub async fn query_rows(
        &self,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, tokio_postgres::Error> {
        let messages = self.client.simple_query(sql).await?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    /// Runs one statement through the simple protocol and returns the first column of the first row.
    pub async fn query_value(&self, sql: &str) -> Result<Option<String>, tokio_postgres::Error> {
        let rows = self.query_rows(sql).await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .flatten())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The client going away ends the driver on its own; aborting covers a server that never answers.
        self.driver.abort();
    }
}

/// Connects as libpq would: each host in order, each within `connect_timeout`, TLS per `sslmode`.
///
/// A host that cannot be reached (or fails TLS) makes way for the next; a server that answers with an error
/// (wrong password, unknown database) ends the attempt, as in libpq. Servers older than 12 are refused with
/// [`ConnectError::UnsupportedServerVersion`].
pub async fn connect(config: &ConnConfig) -> Result<Session, ConnectError> {
    let tls = TlsSetup::from_config(config)?;
    let mut failures = Vec::new();
    for target in &config.targets {
        let attempt = connect_target(config, target, tls.as_ref());
        let result = match config.connect_timeout {
            Some(limit) => match tokio::time::timeout(limit, attempt).await {
                Ok(result) => result,
                Err(_) => Err(ConnectError::Timeout {
                    target: TargetLabel(target).to_string(),
                    after: limit,
                }),
            },
            None => attempt.await,
        };
        match result {
            Ok(session) => return Ok(session),
            Err(error) if error.try_next_host() && config.targets.len() > 1 => {
                tracing::debug!(%error, "trying the next host");
                failures.push(error);
            }
            Err(error) => {
                if failures.is_empty() {
                    return Err(error);
                }
                failures.push(error);
                return Err(ConnectError::AllHostsFailed(failures));
            }
        }
    }
    match failures.len() {
        0 => Err(ConnectError::Protocol {
            target: "(no host)".to_owned(),
            reason: "the configuration names no host".to_owned(),
        }),
        1 => Err(failures.remove(0)),
        _ => Err(ConnectError::AllHostsFailed(failures)),
    }
}

/// Whether an attempt asks the server for TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsPlan {
    Never,
    IfOffered,
    Required,
}

async fn connect_target(
    config: &ConnConfig,
    target: &Target,
    tls: Option<&TlsSetup>,
) -> Result<Session, ConnectError> {
    // libpq never uses TLS over a Unix socket, whatever sslmode says.
    let mode = if matches!(target.host, Host::Socket(_)) {
        SslMode::Disable
    } else {
        config.sslmode
    };
    match mode {
        SslMode::Disable => attempt(config, target, None, TlsPlan::Never).await,
        SslMode::Allow => match attempt(config, target, None, TlsPlan::Never).await {
            Err(error) if error.is_hba_rejection() => {
                attempt(config, target, tls, TlsPlan::Required).await
            }
            result => result,
        },
        SslMode::Prefer => match attempt(config, target, tls, TlsPlan::IfOffered).await {
            Err(error @ ConnectError::TlsHandshake { .. }) => {
                tracing::debug!(%error, "TLS failed with sslmode=prefer; retrying without TLS");
                attempt(config, target, None, TlsPlan::Never).await
            }
            Err(error) if error.is_hba_rejection() => {
                attempt(config, target, None, TlsPlan::Never).await
            }
            result => result,
        },
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            attempt(config, target, tls, TlsPlan::Required).await
        }
    }
}

async fn attempt(
    config: &ConnConfig,
    target: &Target,
    tls: Option<&TlsSetup>,
    plan: TlsPlan,
) -> Result<Session, ConnectError> {
    let label = TargetLabel(target).to_string();
    let (transport, tls_info) = open_transport(config, target, tls, plan, &label).await?;
    let (stream, observer) = ObservedStream::new(transport);

    let mut pg = tokio_postgres::Config::new();
    pg.user(&config.user)
        .dbname(&config.dbname)
        .ssl_mode(tokio_postgres::config::SslMode::Disable);
    if let Some(name) = config
        .application_name
        .as_ref()
        .or(config.fallback_application_name.as_ref())
    {
        pg.application_name(name);
    }
    if let Some(options) = &config.options {
        pg.options(options);
    }
    if let Some(password) = config.password_for(target) {
        pg.password(password.expose());
    }

    let (client, connection) = pg
        .connect_raw(stream, NoTls)
        .await
        .map_err(|error| startup_error(config, &label, error))?;
    let driver = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection closed with an error");
        }
    });
    let startup = take_startup_info(&observer);
    let mut session = Session {
        client,
        target: target.clone(),
        tls: tls_info,
        startup,
        version: ServerVersion::from_num(0),
        user: config.user.clone(),
        driver,
    };
    let version_text = session
        .query_value("SELECT pg_catalog.current_setting('server_version_num')")
        .await
        .map_err(|error| ConnectError::Protocol {
            target: label.clone(),
            reason: format!("could not read the server version: {error}"),
        })?;
    let version = version_text
        .as_deref()
        .and_then(ServerVersion::parse_num)
        .ok_or_else(|| ConnectError::Protocol {
            target: label.clone(),
            reason: format!("the server reported an unreadable version {version_text:?}"),
        })?;
    if version.support() == VersionSupport::TooOld {
        return Err(ConnectError::UnsupportedServerVersion {
            target: label,
            version,
        });
    }
    session.version = version;
    Ok(session)
}

fn take_startup_info(observer: &Arc<Mutex<StartupObserver>>) -> StartupInfo {
    observer
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .info()
        .clone()
}

/// Opens the socket and, when the plan says so, negotiates TLS on it (SSLRequest, then the handshake).
async fn open_transport(
    config: &ConnConfig,
    target: &Target,
    tls: Option<&TlsSetup>,
    plan: TlsPlan,
    label: &str,
) -> Result<(Transport, Option<TlsInfo>), ConnectError> {
    let name = match &target.host {
        Host::Socket(_) => {
            let path = target.socket_path().unwrap_or_default();
            let stream =
                UnixStream::connect(&path)
                    .await
                    .map_err(|e| ConnectError::Unreachable {
                        target: label.to_owned(),
                        reason: e.to_string(),
                        hint: Some(format!(
                            "is the server running locally and accepting connections on \"{}\"?",
                            path.display()
                        )),
                    })?;
            return Ok((Transport::Unix(stream), None));
        }
        Host::Tcp(name) => name,
    };
    let mut tcp = open_tcp(config, target, name, label).await?;
    let setup = match (plan, tls) {
        (TlsPlan::Never, _) | (_, None) => return Ok((Transport::Tcp(tcp), None)),
        (_, Some(setup)) => setup,
    };

    // SSLRequest: length 8, code 1234.5679. The server answers with one byte.
    let io_error = |e: io::Error| ConnectError::Unreachable {
        target: label.to_owned(),
        reason: e.to_string(),
        hint: None,
    };
    tcp.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
        .await
        .map_err(io_error)?;
    let answer = tcp.read_u8().await.map_err(io_error)?;
    match answer {
        b'S' => {}
        b'N' if plan == TlsPlan::IfOffered => return Ok((Transport::Tcp(tcp), None)),
        b'N' => {
            return Err(ConnectError::TlsNotOffered {
                target: label.to_owned(),
                sslmode: config.sslmode,
            })
        }
        other => {
            return Err(ConnectError::Protocol {
                target: label.to_owned(),
                reason: format!("unexpected answer {other:#04x} to the TLS request"),
            })
        }
    }
    let server = server_name(name).map_err(|e| ConnectError::TlsHandshake {
        target: label.to_owned(),
        reason: e.to_string(),
    })?;
    let connector = TlsConnector::from(setup.client_config());
    let stream = connector
        .connect(server, tcp)
        .await
        .map_err(|e| ConnectError::TlsHandshake {
            target: label.to_owned(),
            reason: explain_handshake_error(&e),
        })?;
    let (_, state) = stream.get_ref();
    let info = TlsInfo {
        protocol: match state.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
            Some(other) => format!("{other:?}"),
            None => "unknown".to_owned(),
        },
        cipher: state
            .negotiated_cipher_suite()
            .and_then(|suite| suite.suite().as_str())
            .unwrap_or("unknown")
            .to_owned(),
        verification: setup.verification(),
    };
    Ok((Transport::Tls(Box::new(stream)), Some(info)))
}

async fn open_tcp(
    config: &ConnConfig,
    target: &Target,
    name: &str,
    label: &str,
) -> Result<TcpStream, ConnectError> {
    let addresses: Vec<SocketAddr> = match target.hostaddr {
        Some(addr) => vec![SocketAddr::new(addr, target.port)],
        None => tokio::net::lookup_host((name, target.port))
            .await
            .map_err(|e| ConnectError::Unreachable {
                target: label.to_owned(),
                reason: format!("could not resolve host name: {e}"),
                hint: None,
            })?
            .collect(),
    };
    let mut last_error = None;
    for address in &addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                apply_socket_options(config, &stream);
                return Ok(stream);
            }
            Err(error) => last_error = Some((address, error)),
        }
    }
    let (reason, hint) = match last_error {
        Some((address, error)) => (
            // Name the address only when the host was a name, so "127.0.0.1" is not said twice.
            if name.parse::<std::net::IpAddr>().is_ok() {
                error.to_string()
            } else {
                format!("{error} ({address})")
            },
            Some(format!(
                "is the server running on that host and accepting TCP/IP connections on port {}?",
                target.port
            )),
        ),
        None => ("the host name resolved to no address".to_owned(), None),
    };
    Err(ConnectError::Unreachable {
        target: label.to_owned(),
        reason,
        hint,
    })
}

fn apply_socket_options(config: &ConnConfig, stream: &TcpStream) {
    let socket = socket2::SockRef::from(stream);
    let _ = socket.set_nodelay(true);
    if config.keepalives {
        let mut keepalive = socket2::TcpKeepalive::new();
        if let Some(idle) = config.keepalives_idle {
            keepalive = keepalive.with_time(idle);
        }
        if let Some(interval) = config.keepalives_interval {
            keepalive = keepalive.with_interval(interval);
        }
        if let Some(count) = config.keepalives_count {
            keepalive = keepalive.with_retries(count);
        }
        if let Err(error) = socket.set_tcp_keepalive(&keepalive) {
            tracing::debug!(%error, "could not set TCP keepalives");
        }
    }
    if let Some(timeout) = config.tcp_user_timeout {
        let _ = socket.set_tcp_user_timeout(Some(timeout));
    }
}

fn startup_error(config: &ConnConfig, label: &str, error: tokio_postgres::Error) -> ConnectError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let hint = if *code == tokio_postgres::error::SqlState::INVALID_PASSWORD {
            Some(
                "check the password in the connection string, PGPASSWORD or the password file"
                    .to_owned(),
            )
        } else if *code == tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            && db.message().contains("no encryption")
            && config.sslmode == SslMode::Disable
        {
            Some(
                "the server accepts only TLS connections here: use sslmode=require or stronger"
                    .to_owned(),
            )
        } else {
            db.hint().map(str::to_owned)
        };
        return ConnectError::Server {
            target: label.to_owned(),
            error: Box::new(db.clone()),
            hint,
        };
    }
    let text = error.to_string();
    let source = std::error::Error::source(&error).map(|s| s.to_string());
    if source.as_deref() == Some("password missing") {
        return ConnectError::PasswordMissing {
            target: label.to_owned(),
            user: config.user.clone(),
            passfile: config
                .passfile
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "~/.pgpass".to_owned()),
        };
    }
    let reason = match source {
        Some(source) => format!("{text}: {source}"),
        None => text,
    };
    ConnectError::Protocol {
        target: label.to_owned(),
        reason,
    }
}

/// The byte stream under a session: TCP, a Unix socket, or TLS over TCP.
#[derive(Debug)]
enum Transport {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
            Transport::Unix(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
