//! Connecting to PostgreSQL the way libpq does, without libpq.
//!
//! The main types:
//! - [`ConnConfig`]: every connection setting, resolved from a connection string (URL or `key=value`),
//!   command-line overrides, a service file and the `PG*` environment, with libpq's precedence.
//! - [`connect`]: tries each host in order with `connect_timeout`, negotiates TLS per `sslmode` (rustls, SNI
//!   set to the host name), authenticates (password from the config or `~/.pgpass`) and returns a
//!   [`Session`].
//! - [`ServerVersion`]: the server's version, read once, that every version-dependent query branches on.
//! - [`pooler`]: detection of connection poolers (PgBouncer and friends) before they do harm.
//!
//! Passwords are held in [`Secret`], whose `Debug` and `Display` never show the value.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use pgferry_conn::{connect, ConnConfig, Overrides, ProcessEnv};
//!
//! let config = ConnConfig::resolve(Some("postgresql://app@db.example.com/shop?sslmode=verify-full"),
//!                                  &Overrides::default(), &ProcessEnv)?;
//! let session = connect(&config).await?;
//! println!("connected to PostgreSQL {}", session.server_version());
//! # Ok(()) }
//! ```

mod config;
mod connect;
mod conninfo;
mod error;
mod pgpass;
pub mod pooler;
mod secret;
mod service;
mod startup;
mod tls;
mod version;

pub use config::{
    ConfigError, ConnConfig, Environment, Host, Overrides, ProcessEnv, SslMode, Target,
};
pub use connect::{connect, Session, TlsInfo};
pub use error::{describe_pg_error, ConnectError};
pub use secret::Secret;
pub use startup::StartupInfo;
pub use tls::{TlsSetupError, Verification};
pub use version::{ServerVersion, VersionSupport};
