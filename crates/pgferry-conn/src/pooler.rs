//! Detecting connection poolers before they do harm.
//!
//! A dump through PgBouncer in transaction mode changes session settings (`search_path` above all) on server
//! connections that other clients then reuse; their queries start failing with "relation does not exist"
//! (PgBouncer issues 452 and 976). pgferry therefore looks for a pooler before it runs anything that sets
//! session state:
//!
//! 1. by host name: Neon's `-pooler` endpoints and Supabase's `*.pooler.supabase.com` (port 6543 is its
//!    transaction pooler, 5432 its session pooler);
//! 2. by process id: a pooler announces its own process id at connect, which differs from the
//!    `pg_backend_pid()` of the server connection behind it;
//! 3. by pool mode: once a pooler is seen, a second client checks whether a server connection moves between
//!    clients between transactions, which happens only in transaction (or statement) mode.
//!
//! Every probe uses plain `SELECT`s and `BEGIN`/`COMMIT` through the simple protocol, so it leaves nothing
//! behind on a shared server connection.

use std::fmt;

use crate::{connect, ConnConfig, ConnectError, Host, Session, Target};

/// How a pooler hands out server connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// One server connection per client for the client's whole session: safe for a dump.
    Session,
    /// A server connection per transaction: session settings leak to other clients.
    Transaction,
    /// A pooler was seen but its mode could not be told.
    Unknown,
}

impl fmt::Display for PoolMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
            PoolMode::Unknown => "unknown",
        })
    }
}

/// What pgferry concluded about the path to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolerVerdict {
    /// `None` for a direct connection, else the pool mode.
    pub pooler: Option<PoolMode>,
    /// The evidence, one short phrase each, for messages.
    pub evidence: Vec<String>,
    /// Where to connect instead, when it can be told (Neon: the host without `-pooler`).
    pub direct_host: Option<String>,
}

impl PoolerVerdict {
    /// Whether a dump must not run through this connection without `--allow-pooler`.
    pub fn is_transaction_pooler(&self) -> bool {
        matches!(self.pooler, Some(PoolMode::Transaction | PoolMode::Unknown))
    }

    /// Refuses transaction pooling unless `allow` is set.
    pub fn refuse_transaction_pooling(
        &self,
        target: &Target,
        allow: bool,
    ) -> Result<(), PoolerRefusal> {
        if self.is_transaction_pooler() && !allow {
            return Err(PoolerRefusal {
                host: target.display_host(),
                verdict: self.clone(),
            });
        }
        Ok(())
    }
}

/// The refusal to work through a transaction pooler, with what to do instead.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct PoolerRefusal {
    host: String,
    verdict: PoolerVerdict,
}

impl PoolerRefusal {
    /// The verdict behind the refusal.
    pub fn verdict(&self) -> &PoolerVerdict {
        &self.verdict
    }

    fn message(&self) -> String {
        let mode = match self.verdict.pooler {
            Some(PoolMode::Unknown) => {
                "a connection pooler whose pool mode could not be determined"
            }
            _ => "a connection pooler in transaction mode",
        };
        let instead = match &self.verdict.direct_host {
            Some(direct) => format!("connect to the direct host \"{direct}\" instead"),
            None => "connect to the database server directly (or to a session-mode pooler) instead"
                .to_owned(),
        };
        format!(
            "\"{}\" is {mode} ({}); a dump through it would change session settings such as search_path on \
             server connections that other clients share: {instead}, or pass --allow-pooler to run anyway",
            self.host,
            self.verdict.evidence.join("; ")
        )
    }
}

/// What the host name alone says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostHint {
    /// The provider's pool mode on this host and port.
    pub mode: PoolMode,
    /// The phrase for messages.
    pub evidence: String,
    /// The direct host, when it can be derived.
    pub direct_host: Option<String>,
}

/// Looks at the host name and port for a known pooler endpoint.
pub fn host_hint(target: &Target, user: &str) -> Option<HostHint> {
    let Host::Tcp(host) = &target.host else {
        return None;
    };
    let host = host.to_ascii_lowercase();
    let (first, rest) = host.split_once('.').unwrap_or((host.as_str(), ""));
    if let Some(endpoint) = first.strip_suffix("-pooler") {
        // Neon: the pooled endpoint is the direct one with -pooler added to its id; it runs PgBouncer in
        // transaction mode.
        let direct = if rest.is_empty() {
            endpoint.to_owned()
        } else {
            format!("{endpoint}.{rest}")
        };
        return Some(HostHint {
            mode: PoolMode::Transaction,
            evidence: "the host name is a Neon pooled endpoint (-pooler)".to_owned(),
            direct_host: Some(direct),
        });
    }
    if host.ends_with(".pooler.supabase.com") {
        // Supabase's Supavisor: 6543 pools transactions, 5432 pools sessions. The direct host is
        // db.<project-ref>.supabase.co, and the pooler's user name carries the project ref as postgres.<ref>.
        let project = user.split_once('.').map(|(_, project)| project.to_owned());
        let direct = project.map(|p| format!("db.{p}.supabase.co"));
        return Some(match target.port {
            6543 => HostHint {
                mode: PoolMode::Transaction,
                evidence: "the host is Supabase's pooler on its transaction port 6543".to_owned(),
                direct_host: direct
                    .or_else(|| Some(format!("{host} port 5432 (the session pooler)"))),
            },
            _ => HostHint {
                mode: PoolMode::Session,
                evidence: format!("the host is Supabase's pooler on port {}", target.port),
                direct_host: direct,
            },
        });
    }
    None
}

/// Decides whether `session` goes through a pooler, and in which mode.
///
/// May open one more connection with `config` to tell session from transaction mode.
pub async fn assess(session: &Session, config: &ConnConfig) -> Result<PoolerVerdict, ConnectError> {
    let mut verdict = PoolerVerdict {
        pooler: None,
        evidence: Vec::new(),
        direct_host: None,
    };
    if let Some(hint) = host_hint(session.target(), session.user()) {
        verdict.pooler = Some(hint.mode);
        verdict.evidence.push(hint.evidence);
        verdict.direct_host = hint.direct_host;
    }

    let backend_pid = backend_pid(session).await?;
    match session.announced_pid() {
        Some(announced) if announced == backend_pid => {}
        Some(announced) => {
            verdict.evidence.push(format!(
                "the process id announced at connect ({announced}) differs from pg_backend_pid() ({backend_pid})"
            ));
            if verdict.pooler.is_none() {
                verdict.pooler = Some(probe_pool_mode(session, config).await?);
            }
        }
        None => {
            verdict
                .evidence
                .push("no process id was announced at connect".to_owned());
            if verdict.pooler.is_none() {
                verdict.pooler = Some(probe_pool_mode(session, config).await?);
            }
        }
    }
    if let Some(PoolMode::Transaction) = verdict.pooler {
        if verdict.evidence.len() == 1 && verdict.direct_host.is_none() {
            verdict
                .evidence
                .push("server connections move between clients between transactions".to_owned());
        }
    }
    Ok(verdict)
}

async fn backend_pid(session: &Session) -> Result<i32, ConnectError> {
    let text = session
        .query_value("SELECT pg_catalog.pg_backend_pid()")
        .await
        .map_err(|e| ConnectError::Protocol {
            target: session.target().display_host(),
            reason: format!("could not read pg_backend_pid(): {e}"),
        })?;
    text.as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| ConnectError::Protocol {
            target: session.target().display_host(),
            reason: format!("pg_backend_pid() returned {text:?}"),
        })
}

/// Tells session from transaction pooling with a second client.
///
/// The first client runs a query and, in transaction mode, gives its server connection back to the pool.
/// The second then opens a transaction: PgBouncer hands out the most recently released server connection, so
/// in transaction mode the second client lands on the first one's backend. In session mode it never can,
/// because that backend stays bound to the first client.
async fn probe_pool_mode(first: &Session, config: &ConnConfig) -> Result<PoolMode, ConnectError> {
    let mut config = config.clone();
    config.targets = vec![first.target().clone()];
    let second = connect(&config).await?;
    for _ in 0..3 {
        let released = backend_pid(first).await?;
        let held = in_transaction_pid(&second).await?;
        if held == released {
            return Ok(PoolMode::Transaction);
        }
    }
    // Three rounds never shared a backend: server connections stay with their clients.
    Ok(PoolMode::Session)
}

async fn in_transaction_pid(session: &Session) -> Result<i32, ConnectError> {
    let messages = session
        .client()
        .simple_query("BEGIN; SELECT pg_catalog.pg_backend_pid(); COMMIT")
        .await
        .map_err(|e| ConnectError::Protocol {
            target: session.target().display_host(),
            reason: format!("pool-mode probe failed: {e}"),
        })?;
    messages
        .into_iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|t| t.parse().ok()),
            _ => None,
        })
        .ok_or_else(|| ConnectError::Protocol {
            target: session.target().display_host(),
            reason: "pool-mode probe returned no row".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Target {
        Target {
            host: Host::Tcp(host.to_owned()),
            hostaddr: None,
            port,
        }
    }

    #[test]
    fn neon_pooler_names_the_direct_host() {
        let hint = host_hint(
            &tcp(
                "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech",
                5432,
            ),
            "alex",
        )
        .unwrap();
        assert_eq!(hint.mode, PoolMode::Transaction);
        assert_eq!(
            hint.direct_host.as_deref(),
            Some("ep-cool-darkness-123456.us-east-2.aws.neon.tech")
        );
    }

    #[test]
    fn neon_direct_host_is_not_flagged() {
        assert_eq!(
            host_hint(
                &tcp("ep-cool-darkness-123456.us-east-2.aws.neon.tech", 5432),
                "alex"
            ),
            None
        );
        assert_eq!(host_hint(&tcp("127.0.0.1", 6432), "postgres"), None);
    }

    #[test]
    fn supabase_ports_tell_the_mode() {
        let transaction = host_hint(
            &tcp("aws-0-eu-central-1.pooler.supabase.com", 6543),
            "postgres.abcdef",
        )
        .unwrap();
        assert_eq!(transaction.mode, PoolMode::Transaction);
        assert_eq!(
            transaction.direct_host.as_deref(),
            Some("db.abcdef.supabase.co")
        );
        let session = host_hint(
            &tcp("aws-0-eu-central-1.pooler.supabase.com", 5432),
            "postgres.abcdef",
        )
        .unwrap();
        assert_eq!(session.mode, PoolMode::Session);
    }

    #[test]
    fn refusal_says_what_to_do() {
        let verdict = PoolerVerdict {
            pooler: Some(PoolMode::Transaction),
            evidence: vec!["the host name is a Neon pooled endpoint (-pooler)".to_owned()],
            direct_host: Some("ep-x.aws.neon.tech".to_owned()),
        };
        let target = tcp("ep-x-pooler.aws.neon.tech", 5432);
        let refusal = verdict
            .refuse_transaction_pooling(&target, false)
            .unwrap_err()
            .to_string();
        assert!(refusal.contains("transaction mode"), "{refusal}");
        assert!(refusal.contains("\"ep-x.aws.neon.tech\""), "{refusal}");
        assert!(refusal.contains("--allow-pooler"), "{refusal}");
        assert!(verdict.refuse_transaction_pooling(&target, true).is_ok());
        let session = PoolerVerdict {
            pooler: Some(PoolMode::Session),
            ..verdict
        };
        assert!(session.refuse_transaction_pooling(&target, false).is_ok());
    }
}
