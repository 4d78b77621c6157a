//! A throwaway PgBouncer in front of a [`Cluster`], for pooler-detection tests.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Config, NoTls};

use crate::binaries::find_pgbouncer;
use crate::cluster::{connect_with, url_encode, Cluster, SUPERUSER};
use crate::error::{describe_pg_error, Result, TestkitError};
use crate::os::{self, ServerProcess, ServerUser, TempArea};

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolMode {
    /// A server connection per client connection, for the client's whole session.
    Session,
    /// A server connection per transaction: session state does not survive a commit.
    Transaction,
    /// A server connection per statement (multi-statement transactions are refused).
    Statement,
}

impl PoolMode {
    /// The value in pgbouncer.ini.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
            PoolMode::Statement => "statement",
        }
    }
}

/// Configures and starts a [`Pgbouncer`]; get one from [`Pgbouncer::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .start().await"]
pub struct PgbouncerBuilder {
    backend_port: u16,
    pool_mode: PoolMode,
    default_pool_size: u32,
    max_client_conn: u32,
    users: Vec<String>,
    settings: Vec<(String, String)>,
    start_timeout: Duration,
}

/// A running PgBouncer on 127.0.0.1 (a free port) that forwards every database name to one [`Cluster`] over
/// TCP, with `auth_type = trust`. Dropping it stops it (SIGTERM, then SIGKILL) and removes its temp dir.
#[derive(Debug)]
pub struct Pgbouncer {
    // Field order matters: the process is stopped before the temp dir is removed.
    process: ServerProcess,
    port: u16,
    pool_mode: PoolMode,
    ini_path: PathBuf,
    log_path: PathBuf,
    area: TempArea,
}

const PORT_ATTEMPTS: usize = 5;

impl Pgbouncer {
    /// Start a PgBouncer in `pool_mode` in front of `cluster`, with the defaults of [`Pgbouncer::builder`].
    pub async fn start(cluster: &Cluster, pool_mode: PoolMode) -> Result<Pgbouncer> {
        Pgbouncer::builder(cluster)
            .pool_mode(pool_mode)
            .start()
            .await
    }

    /// Start configuring a PgBouncer in front of `cluster`. Defaults: transaction pooling,
    /// `default_pool_size = 2`, `max_client_conn = 100`, users `postgres` only.
    pub fn builder(cluster: &Cluster) -> PgbouncerBuilder {
        PgbouncerBuilder {
            backend_port: cluster.port(),
            pool_mode: PoolMode::Transaction,
            default_pool_size: 2,
            max_client_conn: 100,
            users: vec![SUPERUSER.to_string()],
            settings: Vec::new(),
            start_timeout: Duration::from_secs(30),
        }
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host: always `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The pool mode it runs in.
    pub fn pool_mode(&self) -> PoolMode {
        self.pool_mode
    }

    /// A URL for database `db` through the pooler: `postgresql://postgres@127.0.0.1:<port>/<db>`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@127.0.0.1:{}/{}",
            self.port,
            url_encode(db)
        )
    }

    /// A tokio-postgres config for `db` through the pooler.
    pub fn config(&self, db: &str) -> Config {
        let mut c = Config::new();
        c.host("127.0.0.1")
            .port(self.port)
            .user(SUPERUSER)
            .dbname(db)
            .connect_timeout(Duration::from_secs(10));
        c
    }

    /// Connect to `db` through the pooler (no TLS); the connection task is spawned on the current runtime.
    pub async fn connect(&self, db: &str) -> Result<Client> {
        connect_with(self.config(db), &self.url(db)).await
    }

    /// The pgbouncer.ini in use.
    pub fn ini_path(&self) -> &Path {
        &self.ini_path
    }

    /// PgBouncer's log (its stderr).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        os::log_tail(&self.log_path, lines)
    }

    /// The temp dir holding its files.
    pub fn temp_dir(&self) -> &Path {
        self.area.path()
    }

    /// Stop it now (what dropping does).
    pub fn stop(mut self) {
        self.process.stop(Duration::from_secs(5));
    }
}

impl PgbouncerBuilder {
    /// `pool_mode` (default transaction).
    pub fn pool_mode(mut self, mode: PoolMode) -> Self {
        self.pool_mode = mode;
        self
    }

    /// `default_pool_size`: server connections per database and user (default 2).
    pub fn default_pool_size(mut self, n: u32) -> Self {
        self.default_pool_size = n;
        self
    }

    /// `max_client_conn` (default 100).
    pub fn max_client_conn(mut self, n: u32) -> Self {
        self.max_client_conn = n;
        self
    }

    /// Let another user name through (trust still applies; the role must exist on the cluster).
    pub fn user(mut self, name: impl Into<String>) -> Self {
        self.users.push(name.into());
        self
    }

    /// Any other `[pgbouncer]` setting, written after the kit's own so it wins.
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// How long to wait for it to accept a connection (default 30 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Write the config, start `pgbouncer`, and wait until a connection through it works.
    pub async fn start(self) -> Result<Pgbouncer> {
        for (name, _) in &self.settings {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(TestkitError::Config(format!(
                    "'{name}' is not a pgbouncer setting name"
                )));
            }
        }
        for u in &self.users {
            if u.contains(['"', '\n']) {
                return Err(TestkitError::Config(format!(
                    "user name {u:?} cannot go into an auth_file"
                )));
            }
        }
        let exe = find_pgbouncer()?;
        let user = os::server_user()?;
        let area = TempArea::new("pgbouncer", user)?;
        let root = area.path().to_path_buf();
        let ini_path = root.join("pgbouncer.ini");
        let log_path = root.join("pgbouncer.log");
        let auth_path = root.join("userlist.txt");
        let auth: String = self
            .users
            .iter()
            .map(|u| format!("\"{u}\" \"\"\n"))
            .collect();
        os::write_server_file(&auth_path, auth.as_bytes(), 0o600, user)?;

        let mut last_err = None;
        for attempt in 1..=PORT_ATTEMPTS {
            let port = os::free_port()?;
            let ini = self.ini(&root, &auth_path, port);
            os::write_server_file(&ini_path, ini.as_bytes(), 0o600, user)?;
            match self
                .spawn_and_wait(&exe, &ini_path, &log_path, port, user, &area)
                .await
            {
                Ok(process) => {
                    return Ok(Pgbouncer {
                        process,
                        port,
                        pool_mode: self.pool_mode,
                        ini_path,
                        log_path,
                        area,
                    })
                }
                Err((true, e)) => {
                    tracing::debug!(port, attempt, "pgbouncer port taken, retrying");
                    last_err = Some(e);
                }
                Err((false, e)) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| TestkitError::Config("no start attempt was made".into())))
    }

    fn ini(&self, root: &Path, auth_path: &Path, port: u16) -> String {
        let mut ini = String::new();
        let _ = writeln!(
            ini,
            "[databases]\n* = host=127.0.0.1 port={}\n",
            self.backend_port
        );
        let _ = writeln!(ini, "[pgbouncer]");
        let mut set = |k: &str, v: &str| {
            let _ = writeln!(ini, "{k} = {v}");
        };
        set("listen_addr", "127.0.0.1");
        set("listen_port", &port.to_string());
        set("unix_socket_dir", &root.to_string_lossy());
        set("auth_type", "trust");
        set("auth_file", &auth_path.to_string_lossy());
        set("admin_users", SUPERUSER);
        set("stats_users", SUPERUSER);
        set("pool_mode", self.pool_mode.as_str());
        set("max_client_conn", &self.max_client_conn.to_string());
        set("default_pool_size", &self.default_pool_size.to_string());
        set(
            "ignore_startup_parameters",
            "extra_float_digits,options,application_name",
        );
        set("server_tls_sslmode", "prefer");
        set("syslog", "0");
        for (k, v) in &self.settings {
            set(k, v);
        }
        ini
    }

    /// Err((port_taken, error)).
    async fn spawn_and_wait(
        &self,
        exe: &Path,
        ini_path: &Path,
        log_path: &Path,
        port: u16,
        user: Option<ServerUser>,
        area: &TempArea,
    ) -> std::result::Result<ServerProcess, (bool, TestkitError)> {
        let what = format!("pgbouncer on port {port}");
        let other = |e| (false, e);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .map_err(|e| {
                other(TestkitError::io(
                    format!("opening {}", log_path.display()),
                    e,
                ))
            })?;
        let log2 = log
            .try_clone()
            .map_err(|e| other(TestkitError::io("duplicating a file handle", e)))?;
        let mut cmd = std::process::Command::new(exe);
        cmd.arg(ini_path);
        os::prepare_command(&mut cmd, user, area.path());
        cmd.stdout(Stdio::from(log)).stderr(Stdio::from(log2));
        let child = cmd.spawn().map_err(|e| {
            other(TestkitError::io(
                format!("starting {} as {what}", exe.display()),
                e,
            ))
        })?;
        let mut process = ServerProcess::new(child, libc::SIGTERM);
        if let Some(pid) = process.pid() {
            area.record_server_pid(pid);
        }

        let mut config = Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user(SUPERUSER)
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(5));
        let deadline = Instant::now() + self.start_timeout;
        let mut pause = Duration::from_millis(10);
        loop {
            if let Some(status) = process.exited() {
                let log_tail = os::log_tail(log_path, 30);
                let taken = log_tail.contains("Address already in use");
                return Err((
                    taken,
                    TestkitError::ExitedEarly {
                        what,
                        status: status.to_string(),
                        log: log_path.to_path_buf(),
                        log_tail,
                    },
                ));
            }
            let last_error = match config.connect(NoTls).await {
                Ok((client, conn)) => {
                    let task = tokio::spawn(conn);
                    let probe = client.simple_query("SELECT 1").await;
                    drop(client);
                    let _ = task.await;
                    match probe {
                        Ok(_) if process.exited().is_none() => return Ok(process),
                        Ok(_) => "pgbouncer exited".to_string(),
                        Err(e) => describe_pg_error(&e),
                    }
                }
                Err(e) => describe_pg_error(&e),
            };
            if Instant::now() >= deadline {
                process.stop(Duration::from_secs(5));
                return Err(other(TestkitError::StartTimeout {
                    what,
                    timeout: self.start_timeout,
                    last_error,
                    log: log_path.to_path_buf(),
                    log_tail: os::log_tail(log_path, 30),
                }));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }
}
