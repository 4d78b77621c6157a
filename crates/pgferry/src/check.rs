//! `pgferry check`: what a user needs to know before a backup.

use pgferry_conn::pooler::{self, PoolMode};
use pgferry_conn::{ConnConfig, Host, Session, Verification, VersionSupport};
use serde::Serialize;

use crate::Error;

/// Options for [`check`].
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Accept a transaction-mode pooler instead of reporting it as a problem (`--allow-pooler`).
    pub allow_pooler: bool,
}

/// What [`check`] found. `ready` is false when a dump could not run, and `problems` says why.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Whether a dump could run on this connection.
    pub ready: bool,
    /// The server.
    pub server: ServerReport,
    /// The database.
    pub database: DatabaseReport,
    /// The logged-in user.
    pub user: UserReport,
    /// TLS, or `None` for a plain connection.
    pub tls: Option<TlsReport>,
    /// What was found about connection poolers.
    pub pooler: PoolerReport,
    /// Why a dump could not run, one line each.
    pub problems: Vec<String>,
    /// Things worth knowing that do not stop a dump.
    pub warnings: Vec<String>,
}

/// The server's address and version.
#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    /// Host name, IP address or socket directory.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The version, as `17.2`.
    pub version: String,
    /// `server_version_num`.
    pub version_num: u32,
    /// The full `version()` string.
    pub version_string: String,
}

/// The database being checked.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseReport {
    /// Its name.
    pub name: String,
    /// `pg_database_size()`, in bytes.
    pub size_bytes: i64,
    /// Ordinary and partitioned tables outside the system schemas.
    pub tables: i64,
}

/// The user the connection logged in as.
#[derive(Debug, Clone, Serialize)]
pub struct UserReport {
    /// `current_user`.
    pub name: String,
    /// Whether it is a superuser.
    pub superuser: bool,
}

/// TLS details.
#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol: String,
    /// The cipher suite.
    pub cipher: String,
    /// `none`, `chain` (verify-ca) or `full` (verify-full).
    pub certificate_check: &'static str,
}

/// The pooler verdict.
#[derive(Debug, Clone, Serialize)]
pub struct PoolerReport {
    /// Whether a pooler sits between pgferry and the server.
    pub detected: bool,
    /// `session`, `transaction` or `unknown`; `None` for a direct connection.
    pub mode: Option<String>,
    /// Why pgferry thinks so.
    pub evidence: Vec<String>,
    /// Where to connect instead, when known.
    pub direct_host: Option<String>,
}

/// Connects with `config` and reports whether a dump could run.
///
/// Only reads: every query is a plain `SELECT` through the simple protocol, so a check through a pooler leaves
/// nothing behind on shared server connections. Fails only when no connection can be made or a query fails;
/// reasons a dump could not run are reported in [`CheckReport::problems`].
pub async fn check(config: &ConnConfig, options: &CheckOptions) -> Result<CheckReport, Error> {
    let session = pgferry_conn::connect(config).await?;
    let verdict = pooler::assess(&session, config).await?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    if let Err(refusal) = verdict.refuse_transaction_pooling(session.target(), options.allow_pooler)
    {
        problems.push(refusal.to_string());
    } else if verdict.is_transaction_pooler() {
        warnings.push(
            "a transaction-mode pooler is in the way; --allow-pooler accepts it, but connect directly when you can"
                .to_owned(),
        );
    }
    let version = session.server_version();
    if version.support() == VersionSupport::Newer {
        problems.push(format!(
            "the server runs PostgreSQL {version}, newer than any version this pgferry knows (up to {}): its \
             catalogs may hold objects a dump would miss; use a newer pgferry",
            pgferry_conn::ServerVersion::NEWEST_KNOWN_MAJOR
        ));
    }

    let facts = read_facts(&session).await?;
    if facts.unreadable_count > 0 {
        problems.push(format!(
            "user \"{}\" cannot read {} table(s) or sequence(s), for example {}: grant SELECT on them, dump as \
             their owner, or leave them out with --exclude-table",
            facts.user,
            facts.unreadable_count,
            facts.unreadable_example.as_deref().unwrap_or("?")
        ));
    }
    if session.tls().is_none() && matches!(session.target().host, Host::Tcp(_)) {
        warnings.push(
            "the connection is not encrypted (sslmode=require or stronger turns TLS on)".to_owned(),
        );
    }

    let target = session.target();
    Ok(CheckReport {
        ready: problems.is_empty(),
        server: ServerReport {
            host: target.display_host(),
            port: target.port,
            version: version.to_string(),
            version_num: version.num(),
            version_string: facts.version_string,
        },
        database: DatabaseReport {
            name: facts.database,
            size_bytes: facts.size_bytes,
            tables: facts.tables,
        },
        user: UserReport {
            name: facts.user,
            superuser: facts.superuser,
        },
        tls: session.tls().map(|tls| TlsReport {
            protocol: tls.protocol.clone(),
            cipher: tls.cipher.clone(),
            certificate_check: match tls.verification {
                Verification::None => "none",
                Verification::Chain => "chain",
                Verification::Full => "full",
            },
        }),
        pooler: PoolerReport {
            detected: verdict.pooler.is_some(),
            mode: verdict.pooler.map(|mode: PoolMode| mode.to_string()),
            evidence: verdict.evidence,
            direct_host: verdict.direct_host,
        },
        problems,
        warnings,
    })
}

struct Facts {
    version_string: String,
    database: String,
    user: String,
    superuser: bool,
    size_bytes: i64,
    tables: i64,
    unreadable_count: i64,
    unreadable_example: Option<String>,
}

/// Tables and sequences a dump reads, outside the system schemas.
const DUMPED_RELATIONS: &str = "FROM pg_catalog.pg_class c \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

async fn read_facts(session: &Session) -> Result<Facts, Error> {
    let sql = format!(
        "SELECT pg_catalog.version(), pg_catalog.current_database(), current_user, \
                (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), \
                pg_catalog.pg_database_size(pg_catalog.current_database()), \
                (SELECT count(*) {DUMPED_RELATIONS} AND c.relkind IN ('r', 'p')), \
                (SELECT count(*) {DUMPED_RELATIONS} AND c.relkind IN ('r', 'p', 'S') \
                    AND NOT pg_catalog.has_table_privilege(c.oid, 'SELECT')), \
                (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) {DUMPED_RELATIONS} \
                    AND c.relkind IN ('r', 'p', 'S') \
                    AND NOT pg_catalog.has_table_privilege(c.oid, 'SELECT') ORDER BY 1 LIMIT 1)"
    );
    let rows = session
        .query_rows(&sql)
        .await
        .map_err(|e| Error::query("reading the database's facts", e))?;
    let row = rows.into_iter().next().unwrap_or_default();
    let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let number = |i: usize| text(i).parse::<i64>().unwrap_or(0);
    Ok(Facts {
        version_string: text(0),
        database: text(1),
        user: text(2),
        superuser: text(3) == "t",
        size_bytes: number(4),
        tables: number(5),
        unreadable_count: number(6),
        unreadable_example: row.get(7).cloned().flatten(),
    })
}
