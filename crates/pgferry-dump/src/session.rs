//! The dump session: pg_dump's settings, then one read-only transaction with a consistent snapshot.

use pgferry_conn::{ServerVersion, Session};

use crate::DumpError;

/// Session and snapshot options.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// `--serializable-deferrable`.
    pub serializable_deferrable: bool,
    /// `--snapshot`: import this exported snapshot.
    pub snapshot: Option<String>,
    /// `--lock-wait-timeout`.
    pub lock_wait_timeout: Option<String>,
    /// `--enable-row-security`.
    pub enable_row_security: bool,
    /// `--quote-all-identifiers` (also makes the server's deparse functions quote everything).
    pub quote_all_identifiers: bool,
    /// `--role`: `SET ROLE` after connecting.
    pub role: Option<String>,
    /// `--extra-float-digits`.
    pub extra_float_digits: Option<i32>,
}

/// Applies pg_dump's session settings and opens the snapshot transaction.
///
/// The search path goes first, so that everything after it (including the server's deparse output) is
/// schema-qualified. Every setting goes through the simple protocol; nothing is prepared.
pub(crate) async fn setup(session: &Session, options: &SessionOptions) -> Result<(), DumpError> {
    let version = session.server_version();
    let mut statements: Vec<String> =
        vec!["SELECT pg_catalog.set_config('search_path', '', false)".to_owned()];
    if let Some(role) = &options.role {
        statements.push(format!("SET ROLE {}", pgferry_archive::quote::ident(role)));
    }
    statements.push("SET DATESTYLE = ISO".to_owned());
    statements.push("SET INTERVALSTYLE = POSTGRES".to_owned());
    statements.push(format!(
        "SET extra_float_digits TO {}",
        options.extra_float_digits.unwrap_or(3)
    ));
    statements.push("SET synchronize_seqscans TO off".to_owned());
    statements.push("SET statement_timeout = 0".to_owned());
    statements.push("SET lock_timeout = 0".to_owned());
    statements.push("SET idle_in_transaction_session_timeout = 0".to_owned());
    if version >= ServerVersion::V17 {
        statements.push("SET transaction_timeout = 0".to_owned());
    }
    if options.quote_all_identifiers {
        statements.push("SET quote_all_identifiers = true".to_owned());
    }
    statements.push(format!(
        "SET row_security = {}",
        if options.enable_row_security {
            "on"
        } else {
            "off"
        }
    ));
    // Exists only in recent minor releases; setting it through pg_settings is a no-op where it does not.
    statements.push(format!(
        "SELECT pg_catalog.set_config(name, '{RESTRICT_RELATION_KINDS}', false) \
             FROM pg_catalog.pg_settings WHERE name = 'restrict_nonsystem_relation_kind'"
    ));
    statements.push("BEGIN".to_owned());
    if options.serializable_deferrable {
        statements
            .push("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE".to_owned());
    } else {
        statements.push("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY".to_owned());
    }
    if let Some(snapshot) = &options.snapshot {
        statements.push(format!(
            "SET TRANSACTION SNAPSHOT {}",
            pgferry_archive::quote::literal(snapshot, true)
        ));
    }
    for statement in statements {
        session
            .client()
            .simple_query(&statement)
            .await
            .map_err(|source| DumpError::Session {
                statement: statement.clone(),
                source,
            })?;
    }
    Ok(())
}

/// `restrict_nonsystem_relation_kind` as [`setup`] sets it (where the server has it): no views, no foreign tables.
const RESTRICT_RELATION_KINDS: &str = "view, foreign-table";

/// Statements that lift the restriction on foreign tables for one COPY (`--include-foreign-data`) and put it
/// back, as pg_dump does around each foreign table's data. A no-op where the server has no such setting.
pub(crate) fn foreign_table_access() -> (String, String) {
    let set = |kinds: &str| {
        format!(
            "SELECT pg_catalog.set_config(name, '{kinds}', false) FROM pg_catalog.pg_settings \
             WHERE name = 'restrict_nonsystem_relation_kind'"
        )
    };
    (set("view"), set(RESTRICT_RELATION_KINDS))
}

/// Ends the snapshot transaction.
pub(crate) async fn finish(session: &Session) -> Result<(), DumpError> {
    session
        .client()
        .simple_query("COMMIT")
        .await
        .map_err(|source| DumpError::Session {
            statement: "COMMIT".to_owned(),
            source,
        })?;
    Ok(())
}

/// Whether the server is a hot standby (`pg_is_in_recovery()`).
pub(crate) async fn is_standby(session: &Session) -> Result<bool, DumpError> {
    let statement = "SELECT pg_catalog.pg_is_in_recovery()";
    let value = session
        .query_value(statement)
        .await
        .map_err(|source| DumpError::Session {
            statement: statement.to_owned(),
            source,
        })?;
    Ok(value.as_deref() == Some("t"))
}
