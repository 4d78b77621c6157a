//! Throwaway PostgreSQL clusters: initdb into a temp dir, start `postgres` on a free port, stop and clean up on
//! drop.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use crate::binaries::{check_major, find_server_binaries};
use crate::error::{describe_pg_error, Result, TestkitError};
use crate::os::{self, ServerProcess, ServerUser, TempArea};
use crate::tls::TlsMaterial;

/// The superuser every cluster is created with (`initdb -U postgres`).
pub const SUPERUSER: &str = "postgres";

/// How many times a start is retried when another process took the port between choosing and binding it.
const PORT_ATTEMPTS: usize = 5;

/// Longest Unix socket path the kernel accepts (`sun_path` is 108 bytes with the trailing NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Settings every cluster gets before the caller's own: fast, unsafe durability (the data is thrown away),
/// deterministic behaviour, and no listening beyond loopback.
const BASE_SETTINGS: &[(&str, &str)] = &[
    ("listen_addresses", "127.0.0.1"),
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),
    ("max_wal_size", "1GB"),
    ("autovacuum", "off"),
    ("jit", "off"),
    ("timezone", "UTC"),
    ("log_timezone", "UTC"),
    ("lc_messages", "C"),
    ("logging_collector", "off"),
    ("log_min_messages", "warning"),
];

#[derive(Debug, Clone)]
struct TlsFiles {
    cert_pem: String,
    key_pem: String,
    ca_pem: String,
}

/// Configures and starts a [`Cluster`]; get one from [`Cluster::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .start().await"]
pub struct ClusterBuilder {
    major: u32,
    bin_dir: Option<PathBuf>,
    tls: Option<TlsFiles>,
    require_tls: bool,
    hba_lines: Vec<String>,
    hba_file: Option<String>,
    settings: Vec<(String, String)>,
    initdb_args: Vec<String>,
    start_timeout: Duration,
}

/// A running throwaway PostgreSQL server, superuser `postgres` with trust authentication, listening on
/// 127.0.0.1 (a free port) and on a Unix socket in its own temp dir.
///
/// Dropping it stops the server (SIGINT, a fast shutdown; SIGKILL if it takes more than 30 s) and removes the
/// temp dir with the data directory. When the tests run as root, the server runs as the OS user `pgferry`.
#[derive(Debug)]
pub struct Cluster {
    // Field order matters: the process is stopped (dropped) before the temp dir is removed.
    process: ServerProcess,
    major: u32,
    port: u16,
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    server_version_num: u32,
    tls: bool,
    area: TempArea,
}

impl Cluster {
    /// Start configuring a cluster of PostgreSQL `major` (12 to 18).
    pub fn builder(major: u32) -> ClusterBuilder {
        ClusterBuilder {
            major,
            bin_dir: None,
            tls: None,
            require_tls: false,
            hba_lines: Vec::new(),
            hba_file: None,
            settings: Vec::new(),
            initdb_args: Vec::new(),
            start_timeout: Duration::from_secs(60),
        }
    }

    /// Start a cluster of PostgreSQL `major` with the defaults: `Cluster::builder(major).start()`.
    pub async fn start(major: u32) -> Result<Cluster> {
        Cluster::builder(major).start().await
    }

    /// The major version.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The server's `server_version_num`, e.g. `160014`.
    pub fn server_version_num(&self) -> u32 {
        self.server_version_num
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TCP host: always `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The superuser name: `postgres`.
    pub fn user(&self) -> &'static str {
        SUPERUSER
    }

    /// The directory holding the server's Unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log (stdout and stderr of `postgres`).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        os::log_tail(&self.log_path, lines)
    }

    /// The directory of the server binaries in use (`initdb`, `postgres`, and for Debian installs also
    /// `pg_dump`, `psql`, ...).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The temp dir holding everything of this cluster.
    pub fn temp_dir(&self) -> &Path {
        self.area.path()
    }

    /// Whether the server was started with `ssl = on`.
    pub fn tls_enabled(&self) -> bool {
        self.tls
    }

    /// A libpq-style URL for database `db` over TCP: `postgresql://postgres@127.0.0.1:<port>/<db>`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@127.0.0.1:{}/{}",
            self.port,
            url_encode(db)
        )
    }

    /// A libpq-style URL for database `db` over the Unix socket:
    /// `postgresql://postgres@/<db>?host=<socket dir>&port=<port>`.
    pub fn socket_url(&self, db: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@/{}?host={}&port={}",
            url_encode(db),
            url_encode(&self.socket_dir.to_string_lossy()),
            self.port
        )
    }

    /// A tokio-postgres config for `db` over TCP (user `postgres`, no password).
    pub fn tcp_config(&self, db: &str) -> Config {
        let mut c = Config::new();
        c.host("127.0.0.1")
            .port(self.port)
            .user(SUPERUSER)
            .dbname(db)
            .connect_timeout(Duration::from_secs(10));
        c
    }

    /// A tokio-postgres config for `db` over the Unix socket.
    pub fn socket_config(&self, db: &str) -> Config {
        socket_config(&self.socket_dir, self.port, db)
    }

    /// Connect to `db` over TCP without TLS. The connection task is spawned on the current tokio runtime.
    /// Fails on a cluster started with [`ClusterBuilder::require_tls`]; use
    /// [`connect_socket`](Self::connect_socket) there.
    pub async fn connect(&self, db: &str) -> Result<Client> {
        connect_with(self.tcp_config(db), &self.url(db)).await
    }

    /// Connect to `db` over the Unix socket (trust, never TLS).
    pub async fn connect_socket(&self, db: &str) -> Result<Client> {
        connect_with(self.socket_config(db), &self.socket_url(db)).await
    }

    /// Run `sql` (any number of statements, no parameters) in `db`, over the Unix socket.
    pub async fn execute_sql(&self, db: &str, sql: &str) -> Result<()> {
        let client = self.connect_socket(db).await?;
        client.batch_execute(sql).await.map_err(|e| {
            TestkitError::postgres(
                format!(
                    "running SQL in database {db} of PostgreSQL {}: {}",
                    self.major,
                    abbreviate(sql)
                ),
                e,
            )
        })
    }

    /// `CREATE DATABASE "<name>"` (from `template1`, owner `postgres`).
    pub async fn create_database(&self, name: &str) -> Result<()> {
        self.execute_sql(
            "postgres",
            &format!("CREATE DATABASE {}", quote_ident(name)),
        )
        .await
    }

    /// Stop the server now and remove its files (what dropping does).
    pub fn stop(mut self) {
        self.process.stop(Duration::from_secs(30));
    }
}

impl ClusterBuilder {
    /// Use the binaries in `dir` (holding `initdb` and `postgres`) instead of looking them up with
    /// [`find_server_binaries`].
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Serve TLS with `material`'s server certificate (`ssl = on`, `ssl_cert_file`, `ssl_key_file`, and its CA
    /// as `ssl_ca_file` for client-certificate tests). The files are copied into the cluster's own dir, the
    /// key with mode 0600 owned by the server user.
    pub fn tls(mut self, material: &TlsMaterial) -> Self {
        self.tls = Some(TlsFiles {
            cert_pem: material.server_cert_pem().to_string(),
            key_pem: material.server_key_pem().to_string(),
            ca_pem: material.ca_cert_pem(),
        });
        self
    }

    /// With `true`, TCP connections must use TLS: pg_hba.conf allows only `hostssl` on TCP (and `local` on the
    /// Unix socket), so a plain connection over TCP is refused. Needs [`tls`](Self::tls).
    pub fn require_tls(mut self, require: bool) -> Self {
        self.require_tls = require;
        self
    }

    /// Add a pg_hba.conf line before the generated ones (first match wins), e.g.
    /// `host all alice 127.0.0.1/32 scram-sha-256`.
    pub fn hba(mut self, line: impl Into<String>) -> Self {
        self.hba_lines.push(line.into());
        self
    }

    /// Replace the whole pg_hba.conf with `contents` (the kit's readiness check still works when it locks
    /// everyone out; [`Cluster::execute_sql`] needs `local all postgres trust`).
    pub fn hba_file(mut self, contents: impl Into<String>) -> Self {
        self.hba_file = Some(contents.into());
        self
    }

    /// Set a server setting in postgresql.conf (after the kit's defaults, so it wins), e.g.
    /// `.setting("max_connections", "20")`. Values are quoted for you.
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Extra arguments for initdb, e.g. `--data-checksums` or `--locale-provider=icu`.
    pub fn initdb_arg(mut self, arg: impl Into<String>) -> Self {
        self.initdb_args.push(arg.into());
        self
    }

    /// How long to wait for the server to accept connections (default 60 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// initdb, configure, start, and wait until the server accepts connections.
    pub async fn start(self) -> Result<Cluster> {
        check_major(self.major)?;
        if self.require_tls && self.tls.is_none() {
            return Err(TestkitError::Config(
                "require_tls(true) needs .tls(&material) to give the server a certificate".into(),
            ));
        }
        for (name, _) in &self.settings {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return Err(TestkitError::Config(format!(
                    "'{name}' is not a setting name"
                )));
            }
        }
        let major = self.major;
        let bin_dir = match &self.bin_dir {
            Some(d) => d.clone(),
            None => find_server_binaries(major)?,
        };
        let user = os::server_user()?;
        let area = TempArea::new(&format!("pg{major}"), user)?;
        let root = area.path().to_path_buf();
        let data_dir = root.join("data");
        let socket_dir = root.join("sock");
        let log_path = root.join("postgres.log");

        let socket_len = socket_dir
            .join(".s.PGSQL.65535")
            .as_os_str()
            .as_bytes()
            .len();
        if socket_len > MAX_SOCKET_PATH {
            return Err(TestkitError::Config(format!(
                "the socket path under {} would be {socket_len} bytes, over the {MAX_SOCKET_PATH}-byte limit of Unix \
                 sockets; set PGFERRY_TEST_TMP to a shorter dir",
                root.display()
            )));
        }

        let started = Instant::now();
        self.initdb(&bin_dir, &data_dir, &root, user).await?;
        tracing::debug!(major, elapsed = ?started.elapsed(), "initdb done");

        fs::create_dir(&socket_dir)
            .map_err(|e| TestkitError::io(format!("creating {}", socket_dir.display()), e))?;
        fs::set_permissions(
            &socket_dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .map_err(|e| TestkitError::io(format!("chmod {}", socket_dir.display()), e))?;
        os::chown_to_server(&socket_dir, user)?;
        self.write_config(&root, &data_dir, &socket_dir, user)?;

        let mut last_err = None;
        for attempt in 1..=PORT_ATTEMPTS {
            let port = os::free_port()?;
            match start_server(
                &bin_dir,
                &data_dir,
                &socket_dir,
                &log_path,
                port,
                user,
                &area,
                major,
                self.start_timeout,
            )
            .await
            {
                Ok(process) => {
                    let server_version_num =
                        server_version_num(&socket_dir, port, &bin_dir, user, &root).await?;
                    tracing::debug!(major, port, elapsed = ?started.elapsed(), "cluster started");
                    return Ok(Cluster {
                        process,
                        major,
                        port,
                        bin_dir,
                        data_dir,
                        socket_dir,
                        log_path,
                        server_version_num,
                        tls: self.tls.is_some(),
                        area,
                    });
                }
                Err(StartError::PortTaken(e)) => {
                    tracing::debug!(major, port, attempt, "port taken, retrying");
                    last_err = Some(e);
                }
                Err(StartError::Other(e)) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| TestkitError::Config("no start attempt was made".into())))
    }

    async fn initdb(
        &self,
        bin_dir: &Path,
        data_dir: &Path,
        root: &Path,
        user: Option<ServerUser>,
    ) -> Result<()> {
        let initdb = bin_dir.join("initdb");
        let mut cmd = std::process::Command::new(&initdb);
        cmd.arg("-D")
            .arg(data_dir)
            .args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .args(&self.initdb_args);
        os::prepare_command(&mut cmd, user, root);
        let what = format!("{} -D {}", initdb.display(), data_dir.display());
        if user.is_none() {
            return os::run_to_completion(cmd, what).await;
        }
        // Running as the unprivileged server user: most failures here are paths it cannot reach.
        let hint = format!(
            "initdb runs as user '{}': {} and every dir above it, and {}, must be readable and traversable by it",
            os::SERVER_USER_NAME,
            bin_dir.display(),
            os::temp_base().display()
        );
        os::run_to_completion(cmd, what).await.map_err(|e| match e {
            TestkitError::Io { what, source } => TestkitError::Io {
                what: format!("{what} ({hint})"),
                source,
            },
            TestkitError::CommandFailed {
                program,
                status,
                output,
            } => TestkitError::CommandFailed {
                program,
                status,
                output: format!("{output}\n({hint})"),
            },
            other => other,
        })
    }

    fn write_config(
        &self,
        root: &Path,
        data_dir: &Path,
        socket_dir: &Path,
        user: Option<ServerUser>,
    ) -> Result<()> {
        let mut conf = String::from("\n# ---- pgferry-testkit ----\n");
        let mut set = |name: &str, value: &str| {
            let _ = writeln!(conf, "{name} = {}", os::conf_quote(value));
        };
        for (name, value) in BASE_SETTINGS {
            set(name, value);
        }
        set("unix_socket_directories", &socket_dir.to_string_lossy());
        if let Some(tls) = &self.tls {
            let cert = root.join("server.crt");
            let key = root.join("server.key");
            let ca = root.join("ca.crt");
            os::write_server_file(&cert, tls.cert_pem.as_bytes(), 0o644, user)?;
            os::write_server_file(&key, tls.key_pem.as_bytes(), 0o600, user)?;
            os::write_server_file(&ca, tls.ca_pem.as_bytes(), 0o644, user)?;
            set("ssl", "on");
            set("ssl_cert_file", &cert.to_string_lossy());
            set("ssl_key_file", &key.to_string_lossy());
            set("ssl_ca_file", &ca.to_string_lossy());
        }
        for (name, value) in &self.settings {
            set(name, value);
        }
        let conf_path = data_dir.join("postgresql.conf");
        OpenOptions::new()
            .append(true)
            .open(&conf_path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(|e| TestkitError::io(format!("appending to {}", conf_path.display()), e))?;

        let hba = match &self.hba_file {
            Some(contents) => contents.clone(),
            None => {
                let tcp = if self.require_tls { "hostssl" } else { "host" };
                let mut hba = String::from(
                    "# generated by pgferry-testkit\n# TYPE  DATABASE  USER  ADDRESS  METHOD\n",
                );
                for line in &self.hba_lines {
                    hba.push_str(line);
                    hba.push('\n');
                }
                hba.push_str("local all all trust\nlocal replication all trust\n");
                for addr in ["127.0.0.1/32", "::1/128"] {
                    let _ = writeln!(hba, "{tcp} all all {addr} trust");
                    let _ = writeln!(hba, "{tcp} replication all {addr} trust");
                }
                hba
            }
        };
        // Overwriting keeps the owner (the server user) and mode initdb gave the file.
        let hba_path = data_dir.join("pg_hba.conf");
        fs::write(&hba_path, hba)
            .map_err(|e| TestkitError::io(format!("writing {}", hba_path.display()), e))
    }
}

enum StartError {
    /// Another process bound the port first; try another.
    PortTaken(TestkitError),
    Other(TestkitError),
}

#[allow(clippy::too_many_arguments)]
async fn start_server(
    bin_dir: &Path,
    data_dir: &Path,
    socket_dir: &Path,
    log_path: &Path,
    port: u16,
    user: Option<ServerUser>,
    area: &TempArea,
    major: u32,
    timeout: Duration,
) -> std::result::Result<ServerProcess, StartError> {
    let what = format!("PostgreSQL {major} on port {port}");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| {
            StartError::Other(TestkitError::io(
                format!("opening {}", log_path.display()),
                e,
            ))
        })?;
    let log2 = log
        .try_clone()
        .map_err(|e| StartError::Other(TestkitError::io("duplicating a file handle", e)))?;
    let postgres = bin_dir.join("postgres");
    let mut cmd = std::process::Command::new(&postgres);
    cmd.arg("-D").arg(data_dir).arg("-p").arg(port.to_string());
    os::prepare_command(&mut cmd, user, area.path());
    cmd.stdout(Stdio::from(log)).stderr(Stdio::from(log2));
    let child = cmd.spawn().map_err(|e| {
        StartError::Other(TestkitError::io(
            format!("starting {} as {what}", postgres.display()),
            e,
        ))
    })?;
    let mut process = ServerProcess::new(child, libc::SIGINT);
    if let Some(pid) = process.pid() {
        area.record_server_pid(pid);
    }

    // Probe over the Unix socket in our private dir: nobody else can answer there, and the postmaster creates it
    // only after its TCP socket is bound.
    let config = socket_config(socket_dir, port, "postgres");
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(status) = process.exited() {
            let log_tail = os::log_tail(log_path, 30);
            let e = TestkitError::ExitedEarly {
                what,
                status: status.to_string(),
                log: log_path.to_path_buf(),
                log_tail: log_tail.clone(),
            };
            return Err(
                if log_tail.contains("could not bind")
                    || log_tail.contains("Address already in use")
                {
                    StartError::PortTaken(e)
                } else {
                    StartError::Other(e)
                },
            );
        }
        let last_error = match config.connect(NoTls).await {
            Ok(_) => return Ok(process),
            // Any answer from the server other than "starting up" means it accepts connections (a custom
            // pg_hba.conf may turn us away, which is the caller's business).
            Err(e)
                if e.as_db_error().is_some() && e.code() != Some(&SqlState::CANNOT_CONNECT_NOW) =>
            {
                return Ok(process)
            }
            Err(e) => describe_pg_error(&e),
        };
        if Instant::now() >= deadline {
            process.stop(Duration::from_secs(5));
            return Err(StartError::Other(TestkitError::StartTimeout {
                what,
                timeout,
                last_error,
                log: log_path.to_path_buf(),
                log_tail: os::log_tail(log_path, 30),
            }));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// `SHOW server_version_num` over the socket, or, when a custom pg_hba.conf forbids that, `postgres --version`.
async fn server_version_num(
    socket_dir: &Path,
    port: u16,
    bin_dir: &Path,
    user: Option<ServerUser>,
    root: &Path,
) -> Result<u32> {
    if let Ok((client, conn)) = socket_config(socket_dir, port, "postgres")
        .connect(NoTls)
        .await
    {
        let task = tokio::spawn(conn);
        let row = client.query_one("SHOW server_version_num", &[]).await;
        drop(client);
        let _ = task.await;
        if let Some(v) = row.ok().and_then(|r| r.get::<_, String>(0).parse().ok()) {
            return Ok(v);
        }
    }
    let mut cmd = std::process::Command::new(bin_dir.join("postgres"));
    cmd.arg("--version");
    os::prepare_command(&mut cmd, user, root);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| TestkitError::io("running postgres --version", std::io::Error::other(e)))?
        .map_err(|e| TestkitError::io("running postgres --version", e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version_num(&text).ok_or_else(|| {
        TestkitError::Config(format!(
            "cannot read a version from `postgres --version`: {text:?}"
        ))
    })
}

/// `postgres (PostgreSQL) 16.4` -> 160004; `... 18beta1` -> 180000.
fn parse_version_num(text: &str) -> Option<u32> {
    let (_, after) = text.split_once("(PostgreSQL)")?;
    let word = after.split_whitespace().next()?;
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let major_end = digits_end(word);
    let major: u32 = word[..major_end].parse().ok()?;
    let rest = &word[major_end..];
    let minor = rest
        .strip_prefix('.')
        .and_then(|r| r[..digits_end(r)].parse::<u32>().ok())
        .unwrap_or(0);
    Some(major * 10_000 + minor)
}

fn socket_config(socket_dir: &Path, port: u16, db: &str) -> Config {
    let mut c = Config::new();
    c.host_path(socket_dir)
        .port(port)
        .user(SUPERUSER)
        .dbname(db)
        .connect_timeout(Duration::from_secs(10));
    c
}

/// Connect with `config` and spawn the connection task on the current runtime.
pub(crate) async fn connect_with(config: Config, url: &str) -> Result<Client> {
    let (client, conn) = config
        .connect(NoTls)
        .await
        .map_err(|e| TestkitError::postgres(format!("connecting to {url}"), e))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %describe_pg_error(&e), "test connection ended with an error");
        }
    });
    Ok(client)
}

/// Percent-encode everything but unreserved characters and `/`.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Quote an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn abbreviate(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        format!("{}...", one_line.chars().take(117).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers() {
        assert_eq!(
            parse_version_num("postgres (PostgreSQL) 16.14\n"),
            Some(160014)
        );
        assert_eq!(
            parse_version_num("postgres (PostgreSQL) 12.22"),
            Some(120022)
        );
        assert_eq!(
            parse_version_num("postgres (PostgreSQL) 18beta1"),
            Some(180000)
        );
        assert_eq!(
            parse_version_num("postgres (PostgreSQL) 15.4 (Debian 15.4-1)"),
            Some(150004)
        );
        assert_eq!(parse_version_num("garbage"), None);
    }

    #[test]
    fn encoding_and_quoting() {
        assert_eq!(url_encode("a b/c"), "a%20b/c");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(abbreviate("SELECT\n  1"), "SELECT 1");
    }
}
