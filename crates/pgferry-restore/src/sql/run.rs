//! The runner: a plain SQL script applied to a database, as `psql -f` does (and `pgferry restore dump.sql -d db`).
//!
//! Statements go through the simple query protocol, one statement per query as psql sends them (so each fails
//! alone); when no error may stop the run they are pipelined, up to [`PIPELINE_DEPTH`] at once, which gives the
//! same results in the same order without a round trip each. `COPY ... FROM stdin` data is streamed to the
//! server in the splitter's chunks. Of the meta-commands, `\connect` (to another database of the same server,
//! with the same settings), `\restrict`/`\unrestrict` (psql 18's restricted mode), `\set ON_ERROR_STOP` and
//! `\encoding` run; `\set` of a few display-only variables is accepted and ignored; anything else stops the run
//! with an error that names the command and its line.
//!
//! A failed statement is reported (its line, the server's message and the statement's first line) and counted,
//! and the run goes on, unless [`RunOptions::exit_on_error`], [`RunOptions::single_transaction`] (which wraps the
//! script in `BEGIN`/`COMMIT`) or the script's `\set ON_ERROR_STOP on` says to stop: then the first error ends
//! the run. A COPY whose statement or data fails skips the rest of its data and the run goes on after it. (A COPY
//! that fails before its data starts leaves tokio-postgres's connection out of step with the server, so the
//! runner then opens a new connection to the same database and makes the script's session settings again:
//! its `SET`, `RESET` and `set_config(..., false)` statements. A transaction the script had open is lost.)

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pgferry_conn::{connect, describe_pg_error, ConnConfig, ConnectError, Session};
use pgferry_progress::{Phase, Progress, TableProgress};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_postgres::{CopyInSink, SimpleQueryStream};

use super::meta::{parse_bool, parse_conninfo, ConnectArgs, MetaCommand};
use super::split::{first_line, Event, SplitError, Splitter, Statement};

/// Statements in flight at most when pipelining.
pub const PIPELINE_DEPTH: usize = 64;

/// Bytes of statement text in flight at most when pipelining.
const PIPELINE_BYTES: usize = 4 * 1024 * 1024;

/// The script is read in pieces of this size.
const READ_SIZE: usize = 64 * 1024;

/// psql variables that only change what psql prints: `\set` of them is accepted and ignored.
const DISPLAY_VARIABLES: &[&str] = &[
    "ECHO",
    "ECHO_HIDDEN",
    "QUIET",
    "VERBOSITY",
    "SHOW_CONTEXT",
    "HIDE_TABLEAM",
    "HIDE_TOAST_COMPRESSION",
    "PROMPT1",
    "PROMPT2",
    "PROMPT3",
];

/// Called with each failed statement when the run goes on after it.
pub type ErrorHook = Arc<dyn Fn(&StatementError) + Send + Sync>;

/// How a script runs.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Stop at the first failed statement (pg_restore's `-e`, psql's `ON_ERROR_STOP`).
    pub exit_on_error: bool,
    /// Run the script in one transaction (`-1`): `BEGIN` first, `COMMIT` at the end, and stop at the first
    /// error (nothing is then committed).
    pub single_transaction: bool,
    /// Called with each failed statement that does not stop the run; without it they are logged as warnings.
    pub on_error: Option<ErrorHook>,
    /// Counters for a progress report: statements done, and rows and bytes per `COPY` block.
    pub progress: Option<Arc<Progress>>,
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("exit_on_error", &self.exit_on_error)
            .field("single_transaction", &self.single_transaction)
            .field("on_error", &self.on_error.as_ref().map(|_| "..."))
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Statements sent (COPY statements included), failed or not.
    pub statements: u64,
    /// Statements (and COPY data) that failed; the run went on after them.
    pub errors: u64,
    /// Rows the COPY statements loaded.
    pub rows_copied: u64,
    /// The database the run ended in (another than the first after `\connect`).
    pub database: String,
}

/// A statement the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    /// The line the statement starts on (0 for the `BEGIN` and `COMMIT` of a single transaction).
    pub line: u64,
    /// The statement's first line.
    pub statement: String,
    /// The server's message (severity, message, detail, hint, context).
    pub message: String,
    /// The SQLSTATE, when the server sent one.
    pub code: Option<String>,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        write!(f, "{} (statement: {})", self.message, self.statement)
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The first connection, or one `\connect` asked for, failed.
    #[error("{}could not connect to database \"{dbname}\": {source}", line_prefix(*.line))]
    Connect {
        /// The line of the `\connect`, or `None` for the first connection.
        line: Option<u64>,
        /// The database.
        dbname: String,
        /// Why.
        #[source]
        source: ConnectError,
    },
    /// Reading the script failed.
    #[error("could not read the script: {0}")]
    Read(#[source] std::io::Error),
    /// The script cannot be read on (bytes invalid in its encoding, an unknown encoding).
    #[error("{0}")]
    Script(#[from] SplitError),
    /// A statement failed and errors stop the run.
    #[error("{0}")]
    Statement(StatementError),
    /// A meta-command that cannot run.
    #[error("line {line}: \\{command}: {reason}")]
    MetaCommand {
        /// Its line.
        line: u64,
        /// Its name, without the backslash.
        command: String,
        /// Why it cannot run.
        reason: String,
    },
    /// The connection failed (not a statement's error).
    #[error("line {line}: the connection failed: {message}")]
    Connection {
        /// The line of the statement being run.
        line: u64,
        /// What the client library said.
        message: String,
    },
}

fn line_prefix(line: Option<u64>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

/// Runs the plain SQL script read from `input` in the database `config` names. See the [module](self)
/// documentation.
///
/// Failed statements are counted in the summary (and given to [`RunOptions::on_error`]) when the run goes on;
/// the error that stops a run is returned.
pub async fn run_script<R>(
    config: &ConnConfig,
    mut input: R,
    options: &RunOptions,
) -> Result<RunSummary, RunError>
where
    R: AsyncRead + Unpin + Send,
{
    let mut runner = Runner::connect(config, options).await?;
    if let Some(progress) = &options.progress {
        progress.phase(Phase::PreData);
    }
    if options.single_transaction {
        runner.control("BEGIN").await?;
    }
    let mut splitter = Splitter::new();
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        runner.events(&mut splitter).await?;
        let n = input.read(&mut buf).await.map_err(RunError::Read)?;
        if n == 0 {
            splitter.finish();
            runner.events(&mut splitter).await?;
            break;
        }
        splitter.push(&buf[..n]);
    }
    runner.flush().await?;
    if let Copying::Active { .. } = runner.copy {
        // The splitter always ends a COPY it started; this is only a safeguard.
        runner.copy = Copying::No;
    }
    if options.single_transaction {
        runner.control("COMMIT").await?;
    }
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    runner.summary.database = runner.config.dbname.clone();
    Ok(runner.summary)
}

/// A statement sent and not yet answered.
struct InFlight {
    line: u64,
    statement: String,
    bytes: usize,
    responses: Pin<Box<SimpleQueryStream>>,
}

/// Where a COPY is.
enum Copying {
    No,
    /// Data goes to the server.
    Active {
        line: u64,
        statement: String,
        sink: Pin<Box<CopyInSink<Bytes>>>,
        counted: Option<TableProgress>,
    },
    /// The COPY failed: its data is skipped.
    Skipping,
}

struct Runner<'a> {
    options: &'a RunOptions,
    config: ConnConfig,
    session: Session,
    summary: RunSummary,
    in_flight: VecDeque<InFlight>,
    in_flight_bytes: usize,
    copy: Copying,
    on_error_stop: bool,
    restrict_key: Option<String>,
    /// The statements that made session settings, by setting, in order.
    settings: Vec<(String, String)>,
}

impl<'a> Runner<'a> {
    async fn connect(config: &ConnConfig, options: &'a RunOptions) -> Result<Runner<'a>, RunError> {
        let session = connect(config).await.map_err(|source| RunError::Connect {
            line: None,
            dbname: config.dbname.clone(),
            source,
        })?;
        Ok(Runner {
            options,
            config: config.clone(),
            session,
            summary: RunSummary::default(),
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            copy: Copying::No,
            on_error_stop: false,
            restrict_key: None,
            settings: Vec::new(),
        })
    }

    /// Whether the first error stops the run.
    fn stops_on_error(&self) -> bool {
        self.options.exit_on_error || self.options.single_transaction || self.on_error_stop
    }

    /// Statements that may be in flight: with an error stopping the run outside a transaction, none may run
    /// after the failing one, so each is awaited.
    fn depth(&self) -> usize {
        if self.stops_on_error() && !self.options.single_transaction {
            1
        } else {
            PIPELINE_DEPTH
        }
    }

    /// Transaction control of `-1`.
    async fn control(&mut self, sql: &str) -> Result<(), RunError> {
        if let Err(error) = self.session.client().simple_query(sql).await {
            return Err(self.failure(0, sql, &error));
        }
        Ok(())
    }

    /// Handles every event the splitter has.
    async fn events(&mut self, splitter: &mut Splitter) -> Result<(), RunError> {
        loop {
            match splitter.next_event() {
                Ok(Some(event)) => self.event(event).await?,
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.flush().await?;
                    return Err(RunError::Script(error));
                }
            }
        }
    }

    async fn event(&mut self, event: Event) -> Result<(), RunError> {
        match event {
            Event::Statement(statement) if statement.copy_from_stdin => {
                self.copy_in(statement).await
            }
            Event::Statement(statement) => self.statement(statement).await,
            Event::CopyData(data) => self.copy_data(data).await,
            Event::CopyEnd => self.copy_end().await,
            Event::Meta { line, command } => {
                self.flush().await?;
                self.meta(line, command).await
            }
            Event::ClientEncoding { line, name } => {
                tracing::debug!(
                    line,
                    encoding = name,
                    "the script's text is converted from this encoding"
                );
                Ok(())
            }
        }
    }

    /// Sends a statement, pipelined.
    async fn statement(&mut self, statement: Statement) -> Result<(), RunError> {
        self.summary.statements += 1;
        if let Some(progress) = &self.options.progress {
            progress.object_done();
        }
        self.remember_setting(&statement.text);
        let head = statement.first_line().to_owned();
        match self
            .session
            .client()
            .simple_query_raw(&statement.text)
            .await
        {
            Ok(responses) => {
                self.in_flight_bytes += statement.text.len();
                self.in_flight.push_back(InFlight {
                    line: statement.line,
                    statement: head,
                    bytes: statement.text.len(),
                    responses: Box::pin(responses),
                });
            }
            Err(error) => self.failed(statement.line, &head, &error)?,
        }
        while self.in_flight.len() >= self.depth() || self.in_flight_bytes > PIPELINE_BYTES {
            self.complete_first().await?;
        }
        Ok(())
    }

    /// Waits for the oldest statement in flight.
    async fn complete_first(&mut self) -> Result<(), RunError> {
        let Some(mut sent) = self.in_flight.pop_front() else {
            return Ok(());
        };
        self.in_flight_bytes -= sent.bytes;
        while let Some(message) = sent.responses.next().await {
            if let Err(error) = message {
                return self.failed(sent.line, &sent.statement, &error);
            }
        }
        Ok(())
    }

    /// Waits for every statement in flight.
    async fn flush(&mut self) -> Result<(), RunError> {
        while !self.in_flight.is_empty() {
            self.complete_first().await?;
        }
        Ok(())
    }

    /// The error for a failure that stops the run, or that is a failed connection.
    fn failure(&self, line: u64, statement: &str, error: &tokio_postgres::Error) -> RunError {
        match error.as_db_error() {
            Some(db) => {
                let mut message = describe_pg_error(error);
                if let Some(context) = db.where_() {
                    message.push_str(&format!(" (context: {})", context.replace('\n', "; ")));
                }
                RunError::Statement(StatementError {
                    line,
                    statement: first_line(statement).to_owned(),
                    message,
                    code: Some(db.code().code().to_owned()),
                })
            }
            None => RunError::Connection {
                line,
                message: describe_pg_error(error),
            },
        }
    }

    /// A statement failed: reported and counted, or the end of the run.
    fn failed(
        &mut self,
        line: u64,
        statement: &str,
        error: &tokio_postgres::Error,
    ) -> Result<(), RunError> {
        let failure = self.failure(line, statement, error);
        let RunError::Statement(statement_error) = failure else {
            if error.as_db_error().is_none() && !self.session.client().is_closed() {
                // A client-side problem with this one statement (say, a NUL byte in it).
                return self.report(StatementError {
                    line,
                    statement: first_line(statement).to_owned(),
                    message: describe_pg_error(error),
                    code: None,
                });
            }
            return Err(failure);
        };
        self.report(statement_error)
    }

    fn report(&mut self, error: StatementError) -> Result<(), RunError> {
        if self.stops_on_error() {
            return Err(RunError::Statement(error));
        }
        self.summary.errors += 1;
        match &self.options.on_error {
            Some(hook) => hook(&error),
            None => tracing::warn!("{error}"),
        }
        Ok(())
    }

    async fn copy_in(&mut self, statement: Statement) -> Result<(), RunError> {
        self.flush().await?;
        self.summary.statements += 1;
        let head = statement.first_line().to_owned();
        if let Some(progress) = &self.options.progress {
            progress.object_done();
        }
        // Prepared first, so that a statement the server cannot even parse fails on its own.
        let prepared = match self.session.client().prepare(&statement.text).await {
            Ok(prepared) => prepared,
            Err(error) => {
                self.copy = Copying::Skipping;
                return self.failed(statement.line, &head, &error);
            }
        };
        match self.session.client().copy_in::<_, Bytes>(&prepared).await {
            Ok(sink) => {
                // `COPY name (columns) FROM stdin;`: the table is the second word.
                let counted = self.options.progress.as_ref().map(|progress| {
                    // A dump's script runs its definitions, then its data, then the rest.
                    progress.phase(Phase::Data);
                    let table = head.split_whitespace().nth(1).unwrap_or("COPY");
                    progress.table(table, None)
                });
                self.copy = Copying::Active {
                    line: statement.line,
                    statement: head,
                    sink: Box::pin(sink),
                    counted,
                }
            }
            Err(error) => {
                self.copy = Copying::Skipping;
                drop(prepared);
                self.failed(statement.line, &head, &error)?;
                // tokio-postgres 0.7 sends a second Sync after a COPY that fails before its data starts (a
                // missing table, say): the server's answers on this connection would then be one off. A new
                // connection takes its place, with the session settings the script made.
                self.replace_session(statement.line).await?;
            }
        }
        Ok(())
    }

    /// Opens a new connection to the current database, and makes the session settings again.
    async fn replace_session(&mut self, line: u64) -> Result<(), RunError> {
        let session = connect(&self.config)
            .await
            .map_err(|source| RunError::Connect {
                line: Some(line),
                dbname: self.config.dbname.clone(),
                source,
            })?;
        self.session = session;
        for (_, sql) in &self.settings {
            if let Err(error) = self.session.client().simple_query(sql).await {
                tracing::debug!(statement = %sql, error = %describe_pg_error(&error), "setting again");
            }
        }
        Ok(())
    }

    /// Remembers a statement that changes a session setting (`SET`, `RESET`, `set_config(...)`), to make it
    /// again on a new connection.
    fn remember_setting(&mut self, text: &str) {
        let lower = text.to_ascii_lowercase();
        let mut words = lower
            .split(|c: char| c.is_whitespace() || c == '=' || c == ';' || c == '(' || c == ',')
            .filter(|w| !w.is_empty());
        let verb = words.next().unwrap_or("");
        let key = match verb {
            "set" | "reset" => {
                let mut name = words.next().unwrap_or("");
                if name == "local" || name == "transaction" || name == "constraints" {
                    return;
                }
                if name == "session" {
                    name = words.next().unwrap_or("");
                    if name == "characteristics" {
                        return;
                    }
                }
                name.to_owned()
            }
            "select" if lower.starts_with("select pg_catalog.set_config(") => match words.nth(1) {
                Some(name) if !lower.contains(", true)") => format!("set_config {name}"),
                _ => return,
            },
            _ => return,
        };
        if verb == "reset" {
            if key == "all" {
                self.settings.clear();
            } else {
                self.settings.retain(|(k, _)| *k != key);
            }
            return;
        }
        self.settings.retain(|(k, _)| *k != key);
        self.settings.push((key, text.to_owned()));
    }

    async fn copy_data(&mut self, data: Bytes) -> Result<(), RunError> {
        let Copying::Active { sink, counted, .. } = &mut self.copy else {
            return Ok(());
        };
        if let Some(counted) = counted {
            counted.add(&data);
        }
        if let Err(error) = sink.send(data).await {
            let Copying::Active {
                line, statement, ..
            } = std::mem::replace(&mut self.copy, Copying::Skipping)
            else {
                return Ok(());
            };
            self.failed(line, &statement, &error)?;
        }
        Ok(())
    }

    async fn copy_end(&mut self) -> Result<(), RunError> {
        if let Copying::Active {
            line,
            statement,
            mut sink,
            ..
        } = std::mem::replace(&mut self.copy, Copying::No)
        {
            match sink.as_mut().finish().await {
                Ok(rows) => self.summary.rows_copied += rows,
                Err(error) => self.failed(line, &statement, &error)?,
            }
        }
        Ok(())
    }

    async fn meta(&mut self, line: u64, command: MetaCommand) -> Result<(), RunError> {
        let refuse = |reason: String| RunError::MetaCommand {
            line,
            command: command.name().to_owned(),
            reason,
        };
        if let Some(key) = &self.restrict_key {
            match &command {
                MetaCommand::Unrestrict { key: Some(given) } if given == key => {}
                MetaCommand::Unrestrict { key: Some(_) } => {
                    return Err(refuse("wrong key for restricted mode".to_owned()))
                }
                _ => {
                    return Err(refuse(
                        "backslash commands are restricted; only \\unrestrict is allowed"
                            .to_owned(),
                    ))
                }
            }
        }
        match &command {
            MetaCommand::Connect(args) => self.reconnect(line, args).await,
            MetaCommand::Restrict { key: Some(key) } if !key.is_empty() => {
                self.restrict_key = Some(key.clone());
                Ok(())
            }
            MetaCommand::Restrict { .. } => Err(refuse("missing required argument".to_owned())),
            MetaCommand::Unrestrict { key: None } => {
                Err(refuse("missing required argument".to_owned()))
            }
            MetaCommand::Unrestrict { key: Some(_) } => {
                if self.restrict_key.take().is_none() {
                    return Err(refuse("not currently in restricted mode".to_owned()));
                }
                Ok(())
            }
            MetaCommand::Set { name: Some(name), value } if name == "ON_ERROR_STOP" => {
                match parse_bool(value) {
                    Some(on) => {
                        self.on_error_stop = on;
                        Ok(())
                    }
                    None => Err(refuse(format!(
                        "unrecognized value \"{value}\" for \"ON_ERROR_STOP\": Boolean expected"
                    ))),
                }
            }
            MetaCommand::Set { name: Some(name), .. } if DISPLAY_VARIABLES.contains(&name.as_str()) => {
                Ok(())
            }
            MetaCommand::Set { name: Some(name), .. } => Err(refuse(format!(
                "pgferry sets no psql variable but ON_ERROR_STOP (and ignores display settings), not \"{name}\""
            ))),
            MetaCommand::Set { name: None, .. } => Err(refuse(
                "listing psql variables is not supported".to_owned(),
            )),
            // The splitter has applied it.
            MetaCommand::Encoding { .. } => Ok(()),
            MetaCommand::Other { name } => Err(refuse(format!(
                "pgferry runs no meta-command \\{name}: only \\connect, \\restrict, \\unrestrict, \
                 \\set ON_ERROR_STOP and \\encoding"
            ))),
            MetaCommand::Invalid { reason, .. } => Err(refuse(reason.clone())),
        }
    }

    /// `\connect`: another database (or user) of the same server, with the same settings.
    async fn reconnect(&mut self, line: u64, args: &ConnectArgs) -> Result<(), RunError> {
        let refuse = |reason: String| RunError::MetaCommand {
            line,
            command: args.command.clone(),
            reason,
        };
        if self.options.single_transaction {
            return Err(refuse(
                "cannot connect to another database in a single transaction (-1)".to_owned(),
            ));
        }
        if args.host.is_some() || args.port.is_some() {
            return Err(refuse(
                "pgferry connects only to other databases of the same server (no host or port)"
                    .to_owned(),
            ));
        }
        let mut config = self.config.clone();
        let mut user = args.user.clone();
        if let Some(dbname) = &args.dbname {
            let is_uri = dbname.starts_with("postgresql://") || dbname.starts_with("postgres://");
            if is_uri {
                return Err(refuse(
                    "connection URIs are not supported; use -reuse-previous=on \"dbname=...\""
                        .to_owned(),
                ));
            }
            if dbname.contains('=') {
                let Some(pairs) = parse_conninfo(dbname) else {
                    return Err(refuse(format!("invalid connection string \"{dbname}\"")));
                };
                for (key, value) in pairs {
                    match key.as_str() {
                        "dbname" => config.dbname = value,
                        "user" => user = Some(value),
                        _ => {
                            return Err(refuse(format!(
                                "pgferry takes only dbname and user from a \\connect connection string, \
                                 not \"{key}\""
                            )))
                        }
                    }
                }
            } else {
                config.dbname = dbname.clone();
            }
        }
        if let Some(user) = user {
            if user != config.user {
                // libpq does not reuse a password for another user (the password file still applies).
                config.password = None;
                config.user = user;
            }
        }
        let session = connect(&config).await.map_err(|source| RunError::Connect {
            line: Some(line),
            dbname: config.dbname.clone(),
            source,
        })?;
        tracing::info!(line, database = %config.dbname, user = %config.user, "connected");
        self.session = session;
        self.config = config;
        self.settings.clear();
        Ok(())
    }
}

/// Runs the script in the file at `path`. See [`run_script`].
pub async fn run_script_file(
    config: &ConnConfig,
    path: &std::path::Path,
    options: &RunOptions,
) -> Result<RunSummary, RunError> {
    let file = tokio::fs::File::open(path).await.map_err(RunError::Read)?;
    run_script(config, file, options).await
}
