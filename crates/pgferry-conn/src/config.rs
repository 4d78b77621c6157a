//! Connection settings, resolved from every source with libpq's precedence.
//!
//! [`ConnConfig::resolve`] does what pg_dump's call to `PQconnectdbParams` does (with `expand_dbname`):
//!
//! 1. [`Overrides`] (`-h`, `-p`, `-U`, a prompted password) are applied first; empty values are ignored.
//! 2. The database-name argument is applied next. If it is a connection string (it contains `=`, or starts
//!    with `postgresql://` or `postgres://`), every keyword it sets replaces the overrides' value, so
//!    `pgferry -h a "host=b"` connects to `b`, as pg_dump does. Otherwise it is the database name.
//! 3. A service (`service` keyword or `PGSERVICE`) fills in what is still unset; see the `service` module.
//! 4. The `PG*` environment variables fill in what is still unset, even with empty values.
//! 5. Defaults: port 5432, the OS user (of the effective uid), database = user, host = the Unix socket
//!    directory ([`Environment::default_socket_dir`]), `sslmode=prefer` (`verify-full` when
//!    `sslrootcert=system`).
//!
//! Then the values are checked. Keywords pgferry does not implement are accepted only with the values that
//! mean "off" or "default" (for example `gssencmode=prefer`, which without GSSAPI behaves as `disable`);
//! anything else is a [`ConfigError::Unsupported`], never silently ignored.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::conninfo::{self, is_c_space, quote_value, Options, Origin, KEYWORDS};
use crate::{pgpass, service, Secret};

/// The default server port.
const DEFAULT_PORT: u16 = 5432;

/// The socket directory used by Debian, Ubuntu and Red Hat packages.
const PACKAGED_SOCKET_DIR: &str = "/var/run/postgresql";

/// The socket directory of a server built from source with default options.
const UPSTREAM_SOCKET_DIR: &str = "/tmp";

/// libpq's `sslmode`: whether and how to use TLS.
///
/// The default is [`SslMode::Prefer`]. TLS never applies to Unix-socket connections; whatever the mode, a
/// connection over a socket is made without TLS (that is the connector's rule, as in libpq).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// `disable`: never TLS.
    Disable,
    /// `allow`: plain first, TLS if the server insists.
    Allow,
    /// `prefer`: TLS if the server supports it, plain otherwise.
    #[default]
    Prefer,
    /// `require`: TLS, without checking the certificate unless a root certificate file exists.
    Require,
    /// `verify-ca`: TLS, with a certificate signed by a trusted root.
    VerifyCa,
    /// `verify-full`: TLS, with a trusted certificate that names the host.
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling: `disable`, `allow`, `prefer`, `require`, `verify-ca` or `verify-full`.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl FromStr for SslMode {
    type Err = ConfigError;

    /// Parses libpq's spellings, which are case-sensitive.
    fn from_str(s: &str) -> Result<SslMode, ConfigError> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(ConfigError::InvalidValue {
                    keyword: "sslmode",
                    value: s.to_owned(),
                    origin: None,
                })
            }
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name or an IP literal (without `[]`), reached over TCP.
    Tcp(String),
    /// A directory holding the server's Unix socket (a `host` starting with `/`).
    ///
    /// A directory starting with `@` names a Linux abstract-namespace socket, as in libpq: the socket path
    /// is built the same way and the connector replaces the `@` with a NUL byte.
    Socket(PathBuf),
}

/// One server to try: libpq tries the targets in order until one accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host: used to connect (unless `hostaddr` is set), for TLS (SNI and `verify-full`), and to look up
    /// the password file.
    ///
    /// When only `hostaddr` was given, this is the address written as text, as libpq does for the password
    /// file and for messages.
    pub host: Host,
    /// The `hostaddr` setting: when present, connect to this address without resolving `host`.
    pub hostaddr: Option<IpAddr>,
    /// The port, also the suffix of the socket file name.
    pub port: u16,
}

impl Target {
    /// The socket file for a Unix-socket target: `<dir>/.s.PGSQL.<port>`. `None` for TCP.
    pub fn socket_path(&self) -> Option<PathBuf> {
        match &self.host {
            Host::Socket(dir) => Some(dir.join(format!(".s.PGSQL.{}", self.port))),
            Host::Tcp(_) => None,
        }
    }

    /// The host for messages: the host name or address, or the socket directory.
    pub fn display_host(&self) -> String {
        match &self.host {
            Host::Tcp(name) => name.clone(),
            Host::Socket(dir) => dir.display().to_string(),
        }
    }
}

/// Where environment values come from, so tests can inject them.
pub trait Environment {
    /// The environment variable `name`, or `None` if it is unset (or not valid UTF-8, for [`ProcessEnv`]).
    fn var(&self, name: &str) -> Option<String>;

    /// The user's home directory, for `~/.pgpass`, `~/.pg_service.conf` and `~/.postgresql/`.
    fn home_dir(&self) -> Option<PathBuf>;

    /// The operating-system user name, the default database user.
    fn os_user(&self) -> Option<String>;

    /// The Unix socket directory used when no host is given: `/var/run/postgresql` if it is a directory
    /// (the Debian, Ubuntu and Red Hat packages' choice), else `/tmp` (PostgreSQL's own default).
    ///
    /// libpq has one directory compiled in; pgferry cannot know which libpq the user's server matches, so it
    /// picks the packaged location when it exists.
    fn default_socket_dir(&self) -> PathBuf {
        if Path::new(PACKAGED_SOCKET_DIR).is_dir() {
            PathBuf::from(PACKAGED_SOCKET_DIR)
        } else {
            PathBuf::from(UPSTREAM_SOCKET_DIR)
        }
    }
}

/// The real process environment.
///
/// The home directory is `$HOME` when set and not empty, else the effective user's entry in the password
/// database. The OS user is the effective uid's name from the password database (not `$USER`), as libpq.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => Some(PathBuf::from(home)),
            _ => effective_user().map(|(_, home)| home),
        }
    }

    fn os_user(&self) -> Option<String> {
        effective_user().map(|(name, _)| name)
    }
}

/// The effective user's name and home directory, from `getpwuid_r(geteuid())`.
#[cfg(unix)]
fn effective_user() -> Option<(String, PathBuf)> {
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;

    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut buffer = vec![0u8; 1024];
    loop {
        // SAFETY: passwd is a plain C struct; all-zero is a valid value (null pointers, zero ids).
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, and the buffer length is the buffer's real length.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buffer.len() < 1 << 20 {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || entry.pw_name.is_null() || entry.pw_dir.is_null() {
            return None;
        }
        // SAFETY: on success pw_name and pw_dir point to NUL-terminated strings inside `buffer`, which
        // lives until the end of this function.
        let (name, dir) = unsafe { (CStr::from_ptr(entry.pw_name), CStr::from_ptr(entry.pw_dir)) };
        let name = name.to_str().ok()?.to_owned();
        let dir = PathBuf::from(OsStr::from_bytes(dir.to_bytes()));
        return Some((name, dir));
    }
}

#[cfg(not(unix))]
fn effective_user() -> Option<(String, PathBuf)> {
    None
}

/// Command-line style overrides (`-h`, `-p`, `-U`, `-d`, and a password read from a prompt). All optional.
///
/// A connection string in the database argument overrides `host`, `port`, `user` and `password`, as in
/// pg_dump. Empty strings count as not given.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `-h`: host names, IP addresses or socket directories, comma-separated.
    pub host: Option<String>,
    /// `-p`: ports, comma-separated.
    pub port: Option<String>,
    /// `-U`: the user name.
    pub user: Option<String>,
    /// `-d`: a database name or connection string. The `input` argument of [`ConnConfig::resolve`] takes
    /// priority over it, as pg_dump's positional argument replaces `-d`.
    pub dbname: Option<String>,
    /// A password, for example read from a prompt.
    pub password: Option<Secret>,
}

/// Every connection setting, resolved. Build it with [`ConnConfig::resolve`].
///
/// `Debug` and `Display` never show the password.
#[derive(Clone)]
pub struct ConnConfig {
    /// The servers to try, in order: one per `host` (or `hostaddr`) entry, at least one.
    pub targets: Vec<Target>,
    /// The database user.
    pub user: String,
    /// The password from the connection string, the overrides or `PGPASSWORD`. `None` when none was given
    /// or it was empty; then [`ConnConfig::password_for`] looks in the password file.
    pub password: Option<Secret>,
    /// The password file: `passfile`, `PGPASSFILE`, else `~/.pgpass`. It may not exist.
    pub passfile: Option<PathBuf>,
    /// The database name.
    pub dbname: String,
    /// How to use TLS.
    pub sslmode: SslMode,
    /// The root certificates, as given: a file path or `system`. `None` when not set (the connector then
    /// looks for `~/.postgresql/root.crt`).
    pub sslrootcert: Option<String>,
    /// The client certificate file. `None`: `~/.postgresql/postgresql.crt` if it exists.
    pub sslcert: Option<PathBuf>,
    /// The client key file. `None`: `~/.postgresql/postgresql.key`.
    pub sslkey: Option<PathBuf>,
    /// Whether to send the host name as TLS SNI (`sslsni`, default on; libpq's rule: on when the value
    /// starts with `1`).
    pub sslsni: bool,
    /// `application_name` to send to the server.
    pub application_name: Option<String>,
    /// Sent as `application_name` when `application_name` is not set. pg_dump always sets this to its own
    /// name after resolving; callers do the same by assigning this field.
    pub fallback_application_name: Option<String>,
    /// How long to wait for each host: `None` waits forever (libpq's 0 or unset). Values below 2 s are
    /// raised to 2 s, as in libpq.
    pub connect_timeout: Option<Duration>,
    /// Command-line options sent to the server (the `options` keyword or `PGOPTIONS`, e.g. `-c geqo=off`).
    pub options: Option<String>,
    /// Whether to enable TCP keepalives (default on).
    pub keepalives: bool,
    /// Idle time before the first keepalive; `None` leaves the system default. Negative values become 0.
    pub keepalives_idle: Option<Duration>,
    /// Time between keepalives; `None` leaves the system default.
    pub keepalives_interval: Option<Duration>,
    /// Keepalives lost before the connection is dead; `None` leaves the system default.
    pub keepalives_count: Option<u32>,
    /// `TCP_USER_TIMEOUT` (the keyword is in milliseconds); `None` leaves the system default.
    pub tcp_user_timeout: Option<Duration>,
    /// The home directory, for default file locations (`~/.postgresql/root.crt` and the like).
    pub home_dir: Option<PathBuf>,
    /// The service whose settings were used, if any.
    pub service: Option<String>,
    /// The socket directory used when no host was given. A socket target in this directory matches
    /// `localhost` in the password file, as in libpq.
    pub default_socket_dir: PathBuf,
}

impl ConnConfig {
    /// The port used when none is given.
    pub const DEFAULT_PORT: u16 = DEFAULT_PORT;

    /// Resolves every setting with pg_dump's semantics.
    ///
    /// `input` is the positional argument or `-d` value. A string containing `=` or starting with
    /// `postgresql://` or `postgres://` is a connection string; anything else is a database name. When both
    /// `input` and `overrides.dbname` are given, `input` is used and `overrides.dbname` ignored (in pg_dump
    /// the positional argument replaces `-d`). See the module documentation for the order of sources.
    pub fn resolve(
        input: Option<&str>,
        overrides: &Overrides,
        env: &dyn Environment,
    ) -> Result<ConnConfig, ConfigError> {
        let mut options = Options::default();
        let explicit = [
            ("host", overrides.host.as_deref()),
            ("port", overrides.port.as_deref()),
            ("user", overrides.user.as_deref()),
            ("password", overrides.password.as_ref().map(Secret::expose)),
        ];
        for (keyword, value) in explicit {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                options.set(keyword, value.to_owned(), Origin::Override);
            }
        }

        let non_empty = |s: &&str| !s.is_empty();
        let database = input
            .filter(non_empty)
            .or(overrides.dbname.as_deref().filter(non_empty));
        if let Some(database) = database {
            if conninfo::is_connection_string(database) {
                options.overlay(conninfo::parse(database)?);
            } else {
                options.set("dbname", database.to_owned(), Origin::Override);
            }
        }
        ConnConfig::from_options(options, env)
    }

    /// Fills in the service, environment and defaults, then checks and converts every value.
    fn from_options(
        mut options: Options,
        env: &dyn Environment,
    ) -> Result<ConnConfig, ConfigError> {
        service::apply(&mut options, env)?;
        for keyword in KEYWORDS {
            if let Some(var) = keyword.env {
                if !options.is_set(keyword.name) {
                    if let Some(value) = env.var(var) {
                        options.set(keyword.name, value, Origin::Env(var));
                    }
                }
            }
        }
        // Still honoured by libpq: PGREQUIRESSL starting with "1" means sslmode=require, below PGSSLMODE.
        let mut sslmode_defaulted = false;
        if !options.is_set("sslmode") {
            if env.var("PGREQUIRESSL").is_some_and(|v| v.starts_with('1')) {
                options.set("sslmode", "require".to_owned(), Origin::Env("PGREQUIRESSL"));
            } else {
                sslmode_defaulted = true;
            }
        }
        check_unsupported(&options)?;
        build(&options, env, sslmode_defaulted)
    }

    /// The password to send to `target`: the explicit password if any, else the first matching line of the
    /// password file, else `None`.
    ///
    /// In the password file, a Unix-socket target in [`ConnConfig::default_socket_dir`] is looked up as
    /// `localhost` (libpq's rule); other socket directories are looked up by their path. A file that is
    /// not a regular file or that the group or others can access is ignored with a `tracing` warning.
    pub fn password_for(&self, target: &Target) -> Option<Secret> {
        if let Some(password) = &self.password {
            return Some(password.clone());
        }
        let passfile = self.passfile.as_deref()?;
        let host = match &target.host {
            Host::Tcp(name) => name.clone(),
            Host::Socket(dir) if *dir == self.default_socket_dir => "localhost".to_owned(),
            Host::Socket(dir) => dir.display().to_string(),
        };
        pgpass::lookup(
            passfile,
            &host,
            &target.port.to_string(),
            &self.dbname,
            &self.user,
        )
    }
}

impl fmt::Debug for ConnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnConfig")
            .field("targets", &self.targets)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .field("passfile", &self.passfile)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("sslcert", &self.sslcert)
            .field("sslkey", &self.sslkey)
            .field("sslsni", &self.sslsni)
            .field("application_name", &self.application_name)
            .field("fallback_application_name", &self.fallback_application_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("options", &self.options)
            .field("keepalives", &self.keepalives)
            .field("keepalives_idle", &self.keepalives_idle)
            .field("keepalives_interval", &self.keepalives_interval)
            .field("keepalives_count", &self.keepalives_count)
            .field("tcp_user_timeout", &self.tcp_user_timeout)
            .field("home_dir", &self.home_dir)
            .field("service", &self.service)
            .field("default_socket_dir", &self.default_socket_dir)
            .finish()
    }
}

/// A short `key=value` summary for logs: hosts, ports, user, database and `sslmode`. Never the password.
impl fmt::Display for ConnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self.targets.iter().map(Target::display_host).collect();
        let ports: Vec<String> = self.targets.iter().map(|t| t.port.to_string()).collect();
        write!(
            f,
            "host={} port={} user={} dbname={} sslmode={}",
            quote_value(&hosts.join(",")),
            ports.join(","),
            quote_value(&self.user),
            quote_value(&self.dbname),
            self.sslmode
        )?;
        if self.password.is_some() {
            f.write_str(" password=********")?;
        }
        Ok(())
    }
}

/// Why the connection settings are invalid.
///
/// Messages say what was wrong and which source it came from; they never contain a password or any other
/// secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A `key=value` connection string used a keyword libpq does not know.
    #[error("invalid connection option \"{keyword}\"")]
    InvalidOption {
        /// The unknown keyword.
        keyword: String,
    },
    /// A keyword in a `key=value` connection string is not followed by `=`.
    #[error("missing \"=\" after \"{keyword}\" in connection info string")]
    MissingEquals {
        /// The text where a keyword was expected.
        keyword: String,
    },
    /// A quoted value in a `key=value` connection string has no closing quote.
    #[error("unterminated quoted string in connection info string")]
    UnterminatedQuote,
    /// The connection string does not parse after a secret value (probably a password with a space in it,
    /// not quoted). The offending text is not shown, since it may be part of the secret.
    #[error(
        "syntax error in connection info string after the value of \"{keyword}\" (quote values that contain \
         spaces, and percent-encode \"&\" in URIs)"
    )]
    SyntaxAfterSecret {
        /// The secret keyword before the error.
        keyword: &'static str,
    },
    /// A connection URI looks like `user:pass/word@host`: a `/` in the credentials hides the `@` from
    /// libpq's parser, which would read the password as a port. The text is not shown.
    #[error(
        "the connection URI has an \"@\" after a \"/\" and a port that is not a number: if the user name or \
         password contains \"/\", percent-encode it as %2F"
    )]
    UriSlashInCredentials,
    /// A `[` in a connection URI has no matching `]`.
    #[error("end of string reached when looking for matching \"]\" in IPv6 host address in URI")]
    UnterminatedIpv6,
    /// A connection URI has `[]` as a host.
    #[error("IPv6 host address may not be empty in URI")]
    EmptyIpv6,
    /// A connection URI has something other than `:`, `/`, `?` or `,` after `]`.
    #[error("unexpected character \"{character}\" at position {position} in URI (expected \":\" or \"/\")")]
    UnexpectedUriCharacter {
        /// The character found.
        character: char,
        /// Its position in the URI, counting bytes from 1.
        position: usize,
    },
    /// A URI query parameter has no `=`.
    #[error("missing key/value separator \"=\" in URI query parameter: \"{parameter}\"")]
    UriQueryMissingEquals {
        /// The parameter text.
        parameter: String,
    },
    /// A URI query parameter has more than one `=`.
    #[error("extra key/value separator \"=\" in URI query parameter: \"{parameter}\"")]
    UriQueryExtraEquals {
        /// The parameter's keyword.
        parameter: String,
    },
    /// A URI query parameter is not a connection keyword.
    #[error("invalid URI query parameter: \"{keyword}\"")]
    InvalidUriQueryParameter {
        /// The unknown keyword.
        keyword: String,
    },
    /// A `%` in a connection URI is not followed by two hex digits.
    #[error("invalid percent-encoded token in the {part} of the connection URI")]
    InvalidPercentEncoding {
        /// Which part of the URI.
        part: String,
    },
    /// A connection URI contains `%00`.
    #[error("forbidden value %00 in the percent-encoded {part} of the connection URI")]
    PercentEncodedNul {
        /// Which part of the URI.
        part: String,
    },
    /// A percent-decoded part of a connection URI is not UTF-8.
    #[error("the {part} of the connection URI is not valid UTF-8 once percent-decoded")]
    NotUtf8 {
        /// Which part of the URI.
        part: String,
    },
    /// A keyword has a value outside the ones libpq accepts.
    #[error("invalid {keyword} value: \"{value}\"{}", from_suffix(origin.as_deref()))]
    InvalidValue {
        /// The keyword.
        keyword: &'static str,
        /// The value given.
        value: String,
        /// Where the value came from, when known.
        origin: Option<String>,
    },
    /// A keyword that takes an integer was given something else.
    #[error(
        "invalid integer value \"{value}\" for connection option \"{keyword}\" (from {origin})"
    )]
    InvalidInteger {
        /// The keyword.
        keyword: &'static str,
        /// The value given.
        value: String,
        /// Where the value came from.
        origin: String,
    },
    /// A port is not an integer from 1 to 65535.
    #[error("invalid port number: \"{value}\" (from {origin})")]
    InvalidPort {
        /// The port entry given.
        value: String,
        /// Where the value came from.
        origin: String,
    },
    /// A `hostaddr` entry is not an IP address.
    #[error("invalid hostaddr value: \"{value}\" is not an IP address (from {origin})")]
    InvalidHostaddr {
        /// The entry given.
        value: String,
        /// Where the value came from.
        origin: String,
    },
    /// `host` and `hostaddr` list different numbers of entries.
    #[error("could not match {hosts} host names to {hostaddrs} hostaddr values")]
    HostCountMismatch {
        /// Entries in `host`.
        hosts: usize,
        /// Entries in `hostaddr`.
        hostaddrs: usize,
    },
    /// `port` lists more than one port, but not one per host.
    #[error("could not match {ports} port numbers to {hosts} hosts")]
    PortCountMismatch {
        /// Entries in `port`.
        ports: usize,
        /// Hosts.
        hosts: usize,
    },
    /// `ssl_min_protocol_version` is above `ssl_max_protocol_version`.
    #[error("invalid SSL protocol version range: ssl_min_protocol_version={min} is above ssl_max_protocol_version={max}")]
    InvalidSslProtocolRange {
        /// The minimum given.
        min: String,
        /// The maximum given.
        max: String,
    },
    /// `sslrootcert=system` with an `sslmode` that does not check the host name.
    #[error(
        "weak sslmode \"{sslmode}\" may not be used with sslrootcert=system (use \"verify-full\")"
    )]
    WeakSslModeWithSystemRoots {
        /// The mode given.
        sslmode: SslMode,
    },
    /// A keyword libpq accepts, with a value that asks for something pgferry does not implement.
    #[error("{}", unsupported_message(keyword, value.as_deref(), origin))]
    Unsupported {
        /// The keyword.
        keyword: &'static str,
        /// The value, or `None` for secrets, which are never shown.
        value: Option<String>,
        /// Where the value came from.
        origin: String,
    },
    /// The named service is in no service file.
    #[error("definition of service \"{service}\" not found")]
    ServiceNotFound {
        /// The service name.
        service: String,
    },
    /// A service file could not be read.
    #[error("could not read service file \"{}\": {source}", path.display())]
    ServiceFile {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line of the service's section is not `keyword=value`.
    #[error("syntax error in service file \"{}\", line {line}", path.display())]
    ServiceFileSyntax {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
    },
    /// A line of the service's section names an unknown keyword.
    #[error("invalid connection option \"{keyword}\" in service file \"{}\", line {line}", path.display())]
    ServiceFileOption {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// The unknown keyword.
        keyword: String,
    },
    /// A service's section sets `service`.
    #[error("nested service specifications not supported in service file \"{}\", line {line}", path.display())]
    NestedService {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
    },
    /// No user name was given and the operating-system user could not be found.
    #[error("could not determine the local user name: give a user name with -U, user=, or PGUSER")]
    NoUser,
}

fn from_suffix(origin: Option<&str>) -> String {
    origin
        .map(|origin| format!(" (from {origin})"))
        .unwrap_or_default()
}

fn unsupported_message(keyword: &str, value: Option<&str>, origin: &str) -> String {
    match value {
        Some(value) => format!("pgferry does not support {keyword}={value} (from {origin})"),
        None => format!("pgferry does not support the {keyword} connection option (from {origin})"),
    }
}

/// Refuses settings of keywords pgferry accepts but does not implement, unless they mean "off" or "default".
fn check_unsupported(options: &Options) -> Result<(), ConfigError> {
    // (keyword, values that are fine, other values libpq accepts)
    const CHOICES: &[(&str, &[&str], &[&str])] = &[
        ("channel_binding", &["disable", "prefer"], &["require"]),
        ("gssencmode", &["disable", "prefer"], &["require"]),
        ("sslnegotiation", &["postgres"], &["direct"]),
        ("sslcertmode", &["allow"], &["disable", "require"]),
        (
            "target_session_attrs",
            &["any"],
            &[
                "read-write",
                "read-only",
                "primary",
                "standby",
                "prefer-standby",
            ],
        ),
        ("load_balance_hosts", &["disable"], &["random"]),
        ("min_protocol_version", &["", "3.0"], &["3.2", "latest"]),
        ("max_protocol_version", &["", "3.0", "3.2", "latest"], &[]),
    ];
    for &(keyword, fine, others) in CHOICES {
        if let Some((value, origin)) = options.entry(keyword) {
            if fine.contains(&value) {
                continue;
            }
            let value = value.to_owned();
            let origin = origin.to_string();
            return Err(if others.contains(&value.as_str()) {
                ConfigError::Unsupported {
                    keyword,
                    value: Some(value),
                    origin,
                }
            } else {
                ConfigError::InvalidValue {
                    keyword,
                    value,
                    origin: Some(origin),
                }
            });
        }
    }

    // Keywords whose every non-empty value changes behaviour.
    const ANY_VALUE: &[&str] = &[
        "require_auth",
        "sslkeylogfile",
        "sslcrl",
        "sslcrldir",
        "requirepeer",
        "oauth_issuer",
        "oauth_client_id",
        "oauth_scope",
    ];
    const SECRETS: &[&str] = &[
        "sslpassword",
        "oauth_client_secret",
        "scram_client_key",
        "scram_server_key",
    ];
    for &keyword in ANY_VALUE.iter().chain(SECRETS) {
        if let Some((value, origin)) = options.entry(keyword) {
            if !value.is_empty() {
                let value = (!SECRETS.contains(&keyword)).then(|| value.to_owned());
                return Err(ConfigError::Unsupported {
                    keyword,
                    value,
                    origin: origin.to_string(),
                });
            }
        }
    }

    let unsupported =
        |keyword: &'static str, value: &str, origin: &Origin| ConfigError::Unsupported {
            keyword,
            value: Some(value.to_owned()),
            origin: origin.to_string(),
        };

    // libpq asks OpenSSL for compression only when the value starts with "1"; rustls never compresses.
    if let Some((value, origin)) = options.entry("sslcompression") {
        if value.starts_with('1') {
            return Err(unsupported("sslcompression", value, origin));
        }
    }

    // The server converts text to this encoding; pgferry reads and writes UTF-8 only.
    if let Some((value, origin)) = options.entry("client_encoding") {
        let normalized: String = value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !(value.is_empty() || value == "auto" || normalized == "utf8" || normalized == "unicode")
        {
            return Err(unsupported("client_encoding", value, origin));
        }
    }

    if let Some((value, origin)) = options.entry("replication") {
        match parse_bool(value) {
            _ if value.is_empty() => {}
            Some(false) => {}
            Some(true) => return Err(unsupported("replication", value, origin)),
            None if value == "database" => return Err(unsupported("replication", value, origin)),
            None => {
                return Err(ConfigError::InvalidValue {
                    keyword: "replication",
                    value: value.to_owned(),
                    origin: Some(origin.to_string()),
                })
            }
        }
    }

    // rustls speaks TLS 1.2 and 1.3, so any minimum up to 1.2 is met and a maximum other than 1.3 is not.
    let min = tls_version(options, "ssl_min_protocol_version")?;
    let max = tls_version(options, "ssl_max_protocol_version")?;
    if let (Some((min, min_text, _)), Some((max, max_text, _))) = (&min, &max) {
        if min > max && *min != TlsVersion::V1_0 {
            return Err(ConfigError::InvalidSslProtocolRange {
                min: min_text.clone(),
                max: max_text.clone(),
            });
        }
    }
    if let Some((TlsVersion::V1_3, text, origin)) = &min {
        return Err(ConfigError::Unsupported {
            keyword: "ssl_min_protocol_version",
            value: Some(text.clone()),
            origin: origin.clone(),
        });
    }
    if let Some((version, text, origin)) = &max {
        if *version != TlsVersion::V1_3 {
            return Err(ConfigError::Unsupported {
                keyword: "ssl_max_protocol_version",
                value: Some(text.clone()),
                origin: origin.clone(),
            });
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TlsVersion {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
}

/// The TLS version set by `keyword` (case-insensitive `TLSv1` to `TLSv1.3`), with its text and origin.
/// Unset and empty both mean "no bound".
fn tls_version(
    options: &Options,
    keyword: &'static str,
) -> Result<Option<(TlsVersion, String, String)>, ConfigError> {
    let Some((value, origin)) = options.entry(keyword) else {
        return Ok(None);
    };
    let version = match value.to_ascii_lowercase().as_str() {
        "" => return Ok(None),
        "tlsv1" => TlsVersion::V1_0,
        "tlsv1.1" => TlsVersion::V1_1,
        "tlsv1.2" => TlsVersion::V1_2,
        "tlsv1.3" => TlsVersion::V1_3,
        _ => {
            return Err(ConfigError::InvalidValue {
                keyword,
                value: value.to_owned(),
                origin: Some(origin.to_string()),
            })
        }
    };
    Ok(Some((version, value.to_owned(), origin.to_string())))
}

/// PostgreSQL's boolean spellings: any unambiguous prefix of `true`, `false`, `yes`, `no`; `on`, `off`
/// (at least two letters); `1`, `0`. Case-insensitive.
fn parse_bool(value: &str) -> Option<bool> {
    let v = value.to_ascii_lowercase();
    let prefix_of = |word: &str| !v.is_empty() && word.starts_with(v.as_str());
    if prefix_of("true") || prefix_of("yes") || v == "on" || v == "1" {
        Some(true)
    } else if prefix_of("false")
        || prefix_of("no")
        || (v.len() >= 2 && "off".starts_with(v.as_str()))
        || v == "0"
    {
        Some(false)
    } else {
        None
    }
}

/// libpq's integer parsing (`pqParseIntParam`): surrounding whitespace allowed, optional sign, 32 bits.
fn parse_int(options: &Options, keyword: &'static str) -> Result<Option<i32>, ConfigError> {
    let Some((value, origin)) = options.entry(keyword) else {
        return Ok(None);
    };
    match value.trim_matches(is_c_space).parse::<i32>() {
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(ConfigError::InvalidInteger {
            keyword,
            value: value.to_owned(),
            origin: origin.to_string(),
        }),
    }
}

/// libpq's `keepalives` test: `strtol` must consume the whole value; any non-zero number means on. (An empty
/// value reads as 0, as with `strtol`.)
fn parse_keepalives(options: &Options) -> Result<bool, ConfigError> {
    let Some((value, origin)) = options.entry("keepalives") else {
        return Ok(true);
    };
    if value.is_empty() {
        return Ok(false);
    }
    let trimmed = value.trim_start_matches(is_c_space);
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::InvalidInteger {
            keyword: "keepalives",
            value: value.to_owned(),
            origin: origin.to_string(),
        });
    }
    Ok(digits.bytes().any(|b| b != b'0'))
}

/// A non-negative duration from an integer keyword; negative values count as 0, as in libpq.
fn duration(
    options: &Options,
    keyword: &'static str,
    unit: fn(u64) -> Duration,
) -> Result<Option<Duration>, ConfigError> {
    Ok(parse_int(options, keyword)?.map(|n| unit(u64::try_from(n).unwrap_or(0))))
}

/// The value of `keyword`, `None` when unset or empty (libpq treats both as "not given").
fn non_empty<'a>(options: &'a Options, keyword: &str) -> Option<&'a str> {
    options.get(keyword).filter(|v| !v.is_empty())
}

/// Whether libpq treats a `host` entry as a Unix socket directory: an absolute path, or `@` for Linux's
/// abstract namespace.
fn is_unix_socket_path(host: &str) -> bool {
    host.starts_with('/') || host.starts_with('@')
}

fn origin_of(options: &Options, keyword: &str) -> String {
    options
        .entry(keyword)
        .map(|(_, origin)| origin.to_string())
        .unwrap_or_default()
}

/// Splits a comma-separated list; an unset or empty list has no entries.
fn split_list<'a>(options: &'a Options, keyword: &str) -> Vec<&'a str> {
    match non_empty(options, keyword) {
        Some(list) => list.split(',').collect(),
        None => Vec::new(),
    }
}

/// One target per host (or hostaddr) entry, as libpq's `pqConnectOptions2` builds them.
fn targets(options: &Options, default_socket_dir: &Path) -> Result<Vec<Target>, ConfigError> {
    let hosts = split_list(options, "host");
    let hostaddrs = split_list(options, "hostaddr");
    let count = if !hostaddrs.is_empty() {
        hostaddrs.len()
    } else if !hosts.is_empty() {
        hosts.len()
    } else {
        1
    };
    if !hosts.is_empty() && hosts.len() != count {
        return Err(ConfigError::HostCountMismatch {
            hosts: hosts.len(),
            hostaddrs: count,
        });
    }
    let ports = split_list(options, "port");
    if ports.len() > 1 && ports.len() != count {
        return Err(ConfigError::PortCountMismatch {
            ports: ports.len(),
            hosts: count,
        });
    }

    let mut targets = Vec::with_capacity(count);
    for i in 0..count {
        let host = hosts.get(i).copied().unwrap_or("");
        let hostaddr_text = hostaddrs.get(i).copied().unwrap_or("");
        let port_text = match ports.len() {
            0 => "",
            1 => ports[0],
            _ => ports[i],
        };

        let port = if port_text.is_empty() {
            DEFAULT_PORT
        } else {
            port_text
                .trim_matches(is_c_space)
                .parse::<i32>()
                .ok()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|&n| n != 0)
                .ok_or_else(|| ConfigError::InvalidPort {
                    value: port_text.to_owned(),
                    origin: origin_of(options, "port"),
                })?
        };

        let hostaddr = if hostaddr_text.is_empty() {
            None
        } else {
            Some(
                hostaddr_text
                    .parse::<IpAddr>()
                    .map_err(|_| ConfigError::InvalidHostaddr {
                        value: hostaddr_text.to_owned(),
                        origin: origin_of(options, "hostaddr"),
                    })?,
            )
        };

        let host = if hostaddr.is_some() {
            // libpq connects to the address and keeps the host name (if any) for TLS and the password file.
            Host::Tcp(if host.is_empty() {
                hostaddr_text.to_owned()
            } else {
                host.to_owned()
            })
        } else if host.is_empty() {
            Host::Socket(default_socket_dir.to_owned())
        } else if is_unix_socket_path(host) {
            Host::Socket(PathBuf::from(host))
        } else {
            Host::Tcp(host.to_owned())
        };
        targets.push(Target {
            host,
            hostaddr,
            port,
        });
    }
    Ok(targets)
}

/// Converts the merged settings into a [`ConnConfig`], applying the defaults.
fn build(
    options: &Options,
    env: &dyn Environment,
    sslmode_defaulted: bool,
) -> Result<ConnConfig, ConfigError> {
    let default_socket_dir = env.default_socket_dir();
    let home_dir = env.home_dir();
    let targets = targets(options, &default_socket_dir)?;

    let user = match non_empty(options, "user") {
        Some(user) => user.to_owned(),
        None => env
            .os_user()
            .filter(|u| !u.is_empty())
            .ok_or(ConfigError::NoUser)?,
    };
    let dbname = non_empty(options, "dbname").map_or_else(|| user.clone(), str::to_owned);
    let password = non_empty(options, "password").map(|p| Secret::new(p.to_owned()));
    let passfile = match non_empty(options, "passfile") {
        Some(path) => Some(PathBuf::from(path)),
        None => home_dir.as_ref().map(|home| home.join(".pgpass")),
    };

    let sslrootcert = non_empty(options, "sslrootcert").map(str::to_owned);
    let sslmode = match options.entry("sslmode") {
        Some((value, origin)) => {
            value
                .parse::<SslMode>()
                .map_err(|_| ConfigError::InvalidValue {
                    keyword: "sslmode",
                    value: value.to_owned(),
                    origin: Some(origin.to_string()),
                })?
        }
        // sslrootcert=system without an explicit mode strengthens the default to verify-full.
        None if sslmode_defaulted && sslrootcert.as_deref() == Some("system") => {
            SslMode::VerifyFull
        }
        None => SslMode::Prefer,
    };
    if sslrootcert.as_deref() == Some("system") && sslmode != SslMode::VerifyFull {
        return Err(ConfigError::WeakSslModeWithSystemRoots { sslmode });
    }

    let connect_timeout = match parse_int(options, "connect_timeout")? {
        Some(seconds) if seconds > 0 => Some(Duration::from_secs(u64::from(
            seconds.max(2).unsigned_abs(),
        ))),
        _ => None,
    };
    let keepalives_count =
        parse_int(options, "keepalives_count")?.map(|n| u32::try_from(n).unwrap_or(0));

    Ok(ConnConfig {
        targets,
        user,
        password,
        passfile,
        dbname,
        sslmode,
        sslrootcert,
        sslcert: non_empty(options, "sslcert").map(PathBuf::from),
        sslkey: non_empty(options, "sslkey").map(PathBuf::from),
        sslsni: options.get("sslsni").is_none_or(|v| v.starts_with('1')),
        application_name: non_empty(options, "application_name").map(str::to_owned),
        fallback_application_name: non_empty(options, "fallback_application_name")
            .map(str::to_owned),
        connect_timeout,
        options: non_empty(options, "options").map(str::to_owned),
        keepalives: parse_keepalives(options)?,
        keepalives_idle: duration(options, "keepalives_idle", Duration::from_secs)?,
        keepalives_interval: duration(options, "keepalives_interval", Duration::from_secs)?,
        keepalives_count,
        tcp_user_timeout: duration(options, "tcp_user_timeout", Duration::from_millis)?,
        home_dir,
        service: options.get("service").map(str::to_owned),
        default_socket_dir,
    })
}

#[cfg(test)]
pub(crate) mod testenv;

#[cfg(test)]
mod tests;
