//! Running catalog queries and taking table locks.

use std::sync::Arc;

use pgferry_conn::{ServerVersion, Session};
use tokio_postgres::error::SqlState;
use tokio_postgres::SimpleQueryMessage;

use crate::row::{Oid, Row};
use crate::CatalogError;

/// Options for the catalog read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `--lock-wait-timeout`: how long to wait for each batch of table locks (a PostgreSQL interval such as
    /// `10s`); `None` waits forever, as pg_dump does.
    pub lock_wait_timeout: Option<String>,
}

/// One table to lock: its OID (to find who blocks it) and its quoted, qualified name.
#[derive(Debug, Clone)]
pub struct LockRequest {
    /// `pg_class.oid`.
    pub oid: Oid,
    /// `schema.table`, quoted.
    pub name: String,
}

/// Runs queries for the catalog read and counts them.
pub(crate) struct Reader<'a> {
    session: &'a Session,
    queries: usize,
    lock_statements: usize,
}

/// LOCK statements are sent in batches of about this many bytes of SQL, as pg_dump does.
const LOCK_BATCH_BYTES: usize = 100_000;

impl<'a> Reader<'a> {
    pub(crate) fn new(session: &'a Session) -> Reader<'a> {
        Reader {
            session,
            queries: 0,
            lock_statements: 0,
        }
    }

    /// The server version every query branches on.
    pub(crate) fn version(&self) -> ServerVersion {
        self.session.server_version()
    }

    /// How many catalog queries the read has sent (lock statements not counted).
    pub(crate) fn query_count(&self) -> usize {
        self.queries
    }

    /// How many statements locking took (batches grow with the number of tables, as in pg_dump).
    pub(crate) fn lock_statement_count(&self) -> usize {
        self.lock_statements
    }

    /// Runs a locking-related statement (savepoints, LOCK, lock_timeout), counted apart from queries.
    async fn lock_statement(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.lock_statements += 1;
        self.session.client().simple_query(sql).await.map(drop)
    }

    /// Runs one catalog query; `what` names it in errors.
    pub(crate) async fn rows(
        &mut self,
        what: &'static str,
        sql: &str,
    ) -> Result<Vec<Row>, CatalogError> {
        self.queries += 1;
        tracing::trace!(what, sql, "catalog query");
        let messages = self
            .session
            .client()
            .simple_query(sql)
            .await
            .map_err(|source| CatalogError::Query { what, source })?;
        let mut columns: Option<Arc<Vec<String>>> = None;
        let mut rows = Vec::new();
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                let columns = columns.get_or_insert_with(|| {
                    Arc::new(row.columns().iter().map(|c| c.name().to_owned()).collect())
                });
                let values = (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect();
                rows.push(Row::new(what, Arc::clone(columns), values));
            }
        }
        Ok(rows)
    }

    /// Takes `ACCESS SHARE` locks on the tables, in batches, within `--lock-wait-timeout`.
    ///
    /// Each batch runs under a savepoint, so that a batch that times out can be rolled back and the blocking
    /// session named in the error.
    pub(crate) async fn lock_tables(
        &mut self,
        tables: &[LockRequest],
        options: &ReadOptions,
    ) -> Result<(), CatalogError> {
        if tables.is_empty() {
            return Ok(());
        }
        let setting = |source| CatalogError::Query {
            what: "lock wait timeout",
            source,
        };
        if let Some(timeout) = &options.lock_wait_timeout {
            self.lock_statement(&format!("SET LOCAL lock_timeout = {}", literal(timeout)))
                .await
                .map_err(setting)?;
        }
        let mut start = 0;
        while start < tables.len() {
            let mut end = start;
            let mut sql = String::from("LOCK TABLE ");
            while end < tables.len()
                && (end == start || sql.len() + tables[end].name.len() < LOCK_BATCH_BYTES)
            {
                if end > start {
                    sql.push_str(", ");
                }
                sql.push_str(&tables[end].name);
                end += 1;
            }
            sql.push_str(" IN ACCESS SHARE MODE");
            self.lock_batch(&tables[start..end], &sql).await?;
            start = end;
        }
        if options.lock_wait_timeout.is_some() {
            self.lock_statement("SET LOCAL lock_timeout = 0")
                .await
                .map_err(setting)?;
        }
        Ok(())
    }

    async fn lock_batch(&mut self, batch: &[LockRequest], sql: &str) -> Result<(), CatalogError> {
        let savepoint = |source| CatalogError::Query {
            what: "lock savepoint",
            source,
        };
        self.lock_statement("SAVEPOINT pgferry_lock")
            .await
            .map_err(savepoint)?;
        match self.lock_statement(sql).await {
            Ok(()) => self
                .lock_statement("RELEASE SAVEPOINT pgferry_lock")
                .await
                .map_err(savepoint),
            Err(error) => {
                self.lock_statement("ROLLBACK TO SAVEPOINT pgferry_lock")
                    .await
                    .map_err(savepoint)?;
                let code = error.code().cloned();
                if code == Some(SqlState::LOCK_NOT_AVAILABLE)
                    || code == Some(SqlState::QUERY_CANCELED)
                {
                    let (table, blocker) = self.find_blocker(batch).await;
                    return Err(CatalogError::LockTimeout { table, blocker });
                }
                // The server's message names the table (permission denied for table x, ...).
                let table = match batch {
                    [only] => only.name.clone(),
                    _ => format!("(one of {} tables)", batch.len()),
                };
                Err(CatalogError::Lock {
                    table,
                    source: error,
                })
            }
        }
    }

    /// Names the table of `batch` that another session holds a conflicting lock on, and that session.
    async fn find_blocker(&mut self, batch: &[LockRequest]) -> (String, Option<String>) {
        let oids: Vec<String> = batch.iter().map(|t| t.oid.to_string()).collect();
        let sql = format!(
            "SELECT l.relation AS relid, a.pid, a.usename, a.application_name, a.state, \
                    left(a.query, 120) AS query \
             FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.granted AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid() \
               AND l.relation = ANY ('{{{}}}'::pg_catalog.oid[]) LIMIT 1",
            oids.join(",")
        );
        let fallback = batch.first().map(|t| t.name.clone()).unwrap_or_default();
        let Ok(rows) = self.rows("lock holders", &sql).await else {
            return (fallback, None);
        };
        let Some(row) = rows.first() else {
            return (fallback, None);
        };
        let relid = row.oid("relid").unwrap_or(0);
        let table = batch
            .iter()
            .find(|t| t.oid == relid)
            .map(|t| t.name.clone())
            .unwrap_or(fallback);
        let blocker = format!(
            "process {} of user {}{}, {}: {}",
            row.text_or_empty("pid").unwrap_or_default(),
            row.text_or_empty("usename").unwrap_or_default(),
            row.opt_text("application_name")
                .ok()
                .flatten()
                .filter(|a| !a.is_empty())
                .map(|a| format!(" ({a})"))
                .unwrap_or_default(),
            row.text_or_empty("state").unwrap_or_default(),
            row.text_or_empty("query").unwrap_or_default(),
        );
        (table, Some(blocker))
    }
}

/// A SQL string literal for values pgferry builds itself (standard_conforming_strings is on in a dump session).
pub(crate) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A list of OIDs as an `oid[]` literal, for `= ANY(...)` filters.
pub(crate) fn oid_array_literal(oids: impl IntoIterator<Item = Oid>) -> String {
    let items: Vec<String> = oids.into_iter().map(|o| o.to_string()).collect();
    format!("'{{{}}}'::pg_catalog.oid[]", items.join(","))
}
