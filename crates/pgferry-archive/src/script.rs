//! Rendering a TOC as a SQL script, the way `pg_dump -Fp` and `pg_restore -f` print one.
//!
//! The script is what pg_restore would send to a server, with the comment headers it adds for a reader:
//! a fixed preamble of settings, then the entries in three passes (everything else, then ACLs, then event
//! triggers and materialized view refreshes, so that they see the finished schema), each preceded by
//! `SET default_tablespace` / `SET default_table_access_method` when those change and followed by
//! `ALTER ... OWNER TO`.

use std::io::{self, Write};

use crate::quote::{self, Quoter};
use crate::toc::{desc, Section, Toc, TocEntry};

/// How the script is written. The defaults print what `pg_dump` prints.
#[derive(Debug, Clone, Default)]
pub struct ScriptOptions {
    /// Include schema (definitions). Off with `--data-only`.
    pub schema: bool,
    /// Include data entries. Off with `--schema-only`.
    pub data: bool,
    /// Include statistics (`STATISTICS DATA` entries, pg_dump 18). Off with `--no-statistics`, and by default
    /// with `--schema-only` and `--data-only`.
    pub statistics: bool,
    /// `--clean`: drop each object before creating it.
    pub clean: bool,
    /// `--if-exists`: with `clean`, use `DROP ... IF EXISTS`.
    pub if_exists: bool,
    /// `--create`: create the database and connect to it.
    pub create_db: bool,
    /// `--no-owner`.
    pub no_owner: bool,
    /// `--use-set-session-authorization`.
    pub use_set_session_authorization: bool,
    /// `--no-tablespaces`.
    pub no_tablespaces: bool,
    /// `--no-table-access-method`.
    pub no_table_access_method: bool,
    /// `--enable-row-security`.
    pub enable_row_security: bool,
    /// `-1`/`--single-transaction`: wrap the script in `BEGIN`/`COMMIT`.
    pub single_transaction: bool,
    /// `--transaction-size N` (0: off): the script runs in transactions that each hold about N commands,
    /// counted as pg_restore counts them (one per entry, one per large object command, one per extra
    /// semicolon of a definition).
    pub transaction_size: usize,
    /// `--role`: `SET ROLE` after connecting.
    pub role: Option<String>,
    /// The key for psql's `\restrict`/`\unrestrict`; `None` writes neither.
    pub restrict_key: Option<String>,
    /// Whether to emit `SET transaction_timeout = 0;`, which servers before 17 reject.
    pub transaction_timeout: bool,
    /// `--quote-all-identifiers`: quote every identifier the writer prints (owners, schemas, ...).
    pub quote_all_identifiers: bool,
    /// `--disable-triggers`: in a data-only script, wrap each table's data in `ALTER TABLE ... DISABLE
    /// TRIGGER ALL` / `ENABLE TRIGGER ALL`, run as [`superuser`](Self::superuser).
    pub disable_triggers: bool,
    /// `-S`/`--superuser`: the user `--disable-triggers` switches to (`SET SESSION AUTHORIZATION`) to disable
    /// and enable triggers; `None` for the session's initial user (`SET SESSION AUTHORIZATION DEFAULT`), which
    /// is then assumed to be a superuser. Nothing else uses it, as in pg_dump and pg_restore.
    pub superuser: Option<String>,
}

impl ScriptOptions {
    /// pg_dump's defaults: schema and data, everything else off, with the given restrict key.
    pub fn dump_defaults(restrict_key: Option<String>) -> ScriptOptions {
        ScriptOptions {
            schema: true,
            data: true,
            statistics: true,
            restrict_key,
            transaction_timeout: true,
            ..Default::default()
        }
    }
}

/// Supplies the rows of data entries (TABLE DATA, BLOBS) while the script is written.
pub trait DataSource {
    /// Writes the data of `entry` to `out`: COPY rows ending with `\.`, or SQL for other data.
    fn write_data(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()>;
}

/// A [`DataSource`] for TOCs that have no data streams (schema-only dumps).
#[derive(Debug, Default)]
pub struct NoData;

impl DataSource for NoData {
    fn write_data(&mut self, entry: &TocEntry, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other(format!(
            "no data available for {} {}",
            entry.desc, entry.tag
        )))
    }
}

/// Which restore pass an entry belongs to (pg_restore prints ACLs after everything else, and event triggers,
/// materialized view refreshes and post-data statistics last of all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePass {
    /// Everything else.
    Main,
    /// `ACL` and `DEFAULT ACL`.
    Acl,
    /// Event triggers (and their comments), materialized view data, post-data statistics.
    PostAcl,
}

/// The pass pg_restore restores `entry` in.
pub fn restore_pass(entry: &TocEntry) -> RestorePass {
    match entry.desc.as_str() {
        desc::ACL | desc::DEFAULT_ACL | "ACL LANGUAGE" => RestorePass::Acl,
        desc::EVENT_TRIGGER | desc::MATERIALIZED_VIEW_DATA => RestorePass::PostAcl,
        desc::COMMENT | desc::SECURITY_LABEL if entry.tag.starts_with("EVENT TRIGGER ") => {
            RestorePass::PostAcl
        }
        desc::STATISTICS_DATA if entry.section == Section::PostData => RestorePass::PostAcl,
        _ => RestorePass::Main,
    }
}

/// Whether an entry without a data stream still counts as data (pg_restore's rule).
fn is_data_like(entry: &TocEntry) -> bool {
    matches!(
        entry.desc.as_str(),
        desc::SEQUENCE_SET | desc::BLOB | desc::BLOB_METADATA
    ) || (matches!(
        entry.desc.as_str(),
        desc::COMMENT | desc::ACL | desc::SECURITY_LABEL
    ) && entry.tag.starts_with("LARGE OBJECT"))
}

fn is_database_level(entry: &TocEntry) -> bool {
    matches!(
        entry.desc.as_str(),
        desc::DATABASE | desc::DATABASE_PROPERTIES
    ) || (matches!(
        entry.desc.as_str(),
        desc::COMMENT | desc::ACL | desc::SECURITY_LABEL
    ) && entry.tag.starts_with("DATABASE "))
}

fn is_special(entry: &TocEntry) -> bool {
    matches!(
        entry.desc.as_str(),
        desc::ENCODING | desc::STDSTRINGS | desc::SEARCHPATH
    )
}

/// What of an entry the script includes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wanted {
    schema: bool,
    data: bool,
}

fn wanted(entry: &TocEntry, options: &ScriptOptions) -> Wanted {
    if is_special(entry) || (is_database_level(entry) && !options.create_db) {
        return Wanted::default();
    }
    let has_defn = entry.defn.as_deref().is_some_and(|d| !d.is_empty());
    if entry.desc == desc::STATISTICS_DATA {
        // Printed like a definition, but chosen by the statistics option alone.
        return Wanted {
            schema: options.statistics && has_defn,
            data: false,
        };
    }
    let data_entry = entry.had_dumper || is_data_like(entry);
    Wanted {
        schema: options.schema && !data_entry && has_defn,
        data: options.data && data_entry,
    }
}

/// Writes the script for `toc` to `out`.
pub fn write_script(
    toc: &Toc,
    options: &ScriptOptions,
    data: &mut dyn DataSource,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = ScriptWriter {
        options,
        quoter: Quoter {
            quote_all: options.quote_all_identifiers,
        },
        out,
        state: SessionState::default(),
        comments: true,
    };
    writer.run(toc, data)
}

/// Renders a TOC entry by entry, for code that sends each entry to a server rather than writing one script
/// (pg_restore's database mode). It prints what [`write_script`] prints for the same entry but the `-- Name:`
/// comment headers (as pg_restore sends none to a server), and keeps
/// the same session state (owner, tablespace, access method) between entries; make one per connection.
#[derive(Debug)]
pub struct EntryRenderer {
    options: ScriptOptions,
    state: SessionState,
}

/// What [`EntryRenderer`] (and the script) take of an entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryParts {
    /// Its definition (`defn`, owner, privileges).
    pub schema: bool,
    /// Its data: a data stream (`had_dumper`) or a data-like entry (sequence values, large objects).
    pub data: bool,
}

impl EntryRenderer {
    /// A renderer for one connection. Its caller runs the transactions, so `single_transaction` and
    /// `transaction_size` write nothing here.
    pub fn new(mut options: ScriptOptions) -> EntryRenderer {
        options.single_transaction = false;
        options.transaction_size = 0;
        EntryRenderer {
            options,
            state: SessionState::default(),
        }
    }

    /// The options.
    pub fn options(&self) -> &ScriptOptions {
        &self.options
    }

    fn with<T>(
        &mut self,
        out: &mut dyn Write,
        f: impl FnOnce(&mut ScriptWriter<'_>) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut writer = ScriptWriter {
            options: &self.options,
            quoter: Quoter {
                quote_all: self.options.quote_all_identifiers,
            },
            out,
            state: std::mem::take(&mut self.state),
            comments: false,
        };
        let result = f(&mut writer);
        self.state = writer.state;
        result
    }

    /// What of `entry` is restored.
    pub fn parts(&self, entry: &TocEntry) -> EntryParts {
        let want = wanted(entry, &self.options);
        EntryParts {
            schema: want.schema,
            data: want.data,
        }
    }

    /// The settings a new session starts with (a new connection, or one after `CREATE DATABASE`). Forgets
    /// what was set per entry.
    pub fn session_settings(&mut self, toc: &Toc, out: &mut dyn Write) -> io::Result<()> {
        self.with(out, |w| w.fixed_settings(toc))
    }

    /// `--clean`: the DROP statements of one entry (as the script writes them, in reverse TOC order, before
    /// anything is created). Nothing for entries the restore does not take.
    pub fn drop_entry(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        self.with(out, |w| w.drop_entry(entry))
    }

    /// The entry's definition with its header comment, owner and the settings it needs.
    pub fn schema(&mut self, toc: &Toc, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        self.with(out, |w| w.print_entry(toc, entry, ""))
    }

    /// A data-like entry without a data stream (`SEQUENCE SET`, `BLOB`, large object ACLs and comments).
    pub fn data_statement(
        &mut self,
        toc: &Toc,
        entry: &TocEntry,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.with(out, |w| w.print_entry(toc, entry, ""))
    }

    /// What goes before the rows of a data stream: its header comment, `--disable-triggers`, the owner. The
    /// `COPY ... FROM stdin;` statement is the entry's `copy_stmt`, not part of this.
    pub fn data_start(
        &mut self,
        toc: &Toc,
        entry: &TocEntry,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.with(out, |w| {
            w.print_entry(toc, entry, "Data for ")?;
            if entry.desc != desc::BLOBS {
                w.set_triggers(entry, "DISABLE")?;
                w.become_owner(entry)?;
            }
            Ok(())
        })
    }

    /// What goes after the rows of a data stream (`--disable-triggers`).
    pub fn data_end(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        if entry.desc == desc::BLOBS {
            return Ok(());
        }
        self.with(out, |w| w.set_triggers(entry, "ENABLE"))
    }
}

/// What the script has set so far, so that `SET`s are only repeated when a value changes.
#[derive(Debug, Default)]
struct SessionState {
    user: Option<String>,
    tablespace: Option<String>,
    table_am: Option<String>,
    /// `--transaction-size`: commands written since the last `BEGIN`.
    actions: usize,
}

struct ScriptWriter<'a> {
    options: &'a ScriptOptions,
    quoter: Quoter,
    out: &'a mut dyn Write,
    state: SessionState,
    /// Whether entries get their `-- Name: ...` header (a script does; SQL sent to a server does not, so that
    /// error reports show the statements alone, as pg_restore's do).
    comments: bool,
}

impl ScriptWriter<'_> {
    fn run(&mut self, toc: &Toc, data: &mut dyn DataSource) -> io::Result<()> {
        let options = self.options;
        self.out
            .write_all(b"--\n-- PostgreSQL database dump\n--\n\n")?;
        if let Some(key) = &options.restrict_key {
            writeln!(self.out, "\\restrict {key}\n")?;
        }
        if !toc.header.server_version.is_empty() {
            writeln!(
                self.out,
                "-- Dumped from database version {}",
                toc.header.server_version
            )?;
        }
        if !toc.header.dumper_version.is_empty() {
            writeln!(
                self.out,
                "-- Dumped by pg_dump version {}",
                toc.header.dumper_version
            )?;
        }
        self.out.write_all(b"\n")?;
        if options.single_transaction {
            self.out.write_all(b"BEGIN;\n\n")?;
        }
        self.fixed_settings(toc)?;

        if options.clean {
            self.drops(toc)?;
        }
        for pass in [RestorePass::Main, RestorePass::Acl, RestorePass::PostAcl] {
            for entry in &toc.entries {
                if restore_pass(entry) == pass {
                    self.entry(toc, entry, data)?;
                }
            }
        }

        if options.single_transaction || options.transaction_size > 0 {
            self.out.write_all(b"COMMIT;\n\n")?;
        }
        self.out
            .write_all(b"--\n-- PostgreSQL database dump complete\n--\n\n")?;
        if let Some(key) = &options.restrict_key {
            writeln!(self.out, "\\unrestrict {key}\n")?;
        }
        Ok(())
    }

    /// The settings every script (and every reconnection) starts with.
    fn fixed_settings(&mut self, toc: &Toc) -> io::Result<()> {
        let options = self.options;
        let out = &mut *self.out;
        out.write_all(b"SET statement_timeout = 0;\nSET lock_timeout = 0;\n")?;
        out.write_all(b"SET idle_in_transaction_session_timeout = 0;\n")?;
        if options.transaction_timeout {
            out.write_all(b"SET transaction_timeout = 0;\n")?;
        }
        let encoding = if toc.header.encoding.is_empty() {
            "UTF8"
        } else {
            toc.header.encoding.as_str()
        };
        writeln!(out, "SET client_encoding = '{encoding}';")?;
        writeln!(
            out,
            "SET standard_conforming_strings = {};",
            if toc.header.std_strings { "on" } else { "off" }
        )?;
        if let Some(role) = &options.role {
            writeln!(out, "SET ROLE {};", self.quoter.ident(role))?;
        }
        if let Some(search_path) = toc.entries.iter().find(|e| e.desc == desc::SEARCHPATH) {
            out.write_all(search_path.defn.as_deref().unwrap_or_default().as_bytes())?;
        }
        out.write_all(b"SET check_function_bodies = false;\nSET xmloption = content;\n")?;
        out.write_all(b"SET client_min_messages = warning;\n")?;
        if !toc.header.std_strings {
            out.write_all(b"SET escape_string_warning = off;\n")?;
        }
        let row_security = if options.enable_row_security {
            "on"
        } else {
            "off"
        };
        writeln!(out, "SET row_security = {row_security};")?;
        if options.transaction_size > 0 {
            // Objects are always restored inside a batch.
            out.write_all(b"\nBEGIN;\n")?;
        }
        out.write_all(b"\n")?;
        // A reconnection starts a new session: nothing set per entry survives it.
        self.state = SessionState::default();
        Ok(())
    }

    /// `--transaction-size`: one more command in the batch; a full batch is committed and a new one begun.
    fn count_action(&mut self, separator: &[u8]) -> io::Result<()> {
        let size = self.options.transaction_size;
        if size == 0 {
            return Ok(());
        }
        self.state.actions += 1;
        if self.state.actions >= size {
            self.out.write_all(b"COMMIT;\nBEGIN;\n")?;
            self.out.write_all(separator)?;
            self.state.actions = 0;
        }
        Ok(())
    }

    /// `--transaction-size`: CREATE/ALTER DATABASE cannot run in a transaction block, so the batch ends.
    fn leave_transaction(&mut self, separator: &[u8]) -> io::Result<()> {
        if self.options.transaction_size > 0 {
            self.out.write_all(b"COMMIT;\n")?;
            self.out.write_all(separator)?;
        }
        Ok(())
    }

    /// `--clean`: every selected entry's DROP, in reverse order, before anything is created.
    fn drops(&mut self, toc: &Toc) -> io::Result<()> {
        for entry in toc.entries.iter().rev() {
            self.drop_entry(entry)?;
        }
        Ok(())
    }

    fn drop_entry(&mut self, entry: &TocEntry) -> io::Result<()> {
        {
            let is_database = entry.desc == desc::DATABASE;
            if self.options.create_db != is_database {
                return Ok(());
            }
            let want = wanted(entry, self.options);
            let Some(drop) = entry.drop_stmt.as_deref() else {
                return Ok(());
            };
            if !(want.schema || want.data) {
                return Ok(());
            }
            if is_database {
                self.leave_transaction(b"")?;
            }
            self.become_owner(entry)?;
            if entry.desc == desc::BLOB_METADATA {
                let (before, after) = if self.options.if_exists {
                    (
                        "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '",
                        "'",
                    )
                } else {
                    ("SELECT pg_catalog.lo_unlink('", "')")
                };
                self.command_per_large_object(entry, before, after)?;
            } else if !drop.is_empty() {
                let text = if self.options.if_exists && entry.desc == desc::BLOB {
                    // Large objects have their own spelling of "if exists".
                    format!(
                        "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '{}';\n",
                        entry.oid
                    )
                } else if self.options.if_exists && !drop.starts_with("--") {
                    insert_if_exists(entry, drop)
                } else {
                    drop.to_owned()
                };
                self.out.write_all(text.as_bytes())?;
            }
            if self.options.transaction_size > 0 {
                if is_database {
                    self.out.write_all(b"BEGIN;\n")?;
                    self.state.actions = 0;
                } else {
                    self.count_action(b"")?;
                }
            }
        }
        Ok(())
    }

    fn entry(&mut self, toc: &Toc, entry: &TocEntry, data: &mut dyn DataSource) -> io::Result<()> {
        let want = wanted(entry, self.options);
        if want.schema {
            let is_database = matches!(
                entry.desc.as_str(),
                desc::DATABASE | desc::DATABASE_PROPERTIES
            );
            if is_database {
                self.leave_transaction(b"\n")?;
            }
            self.print_entry(toc, entry, "")?;
            if is_database {
                self.reconnect(toc, &entry.tag)?;
            }
        }
        if want.data {
            if entry.had_dumper {
                self.print_entry(toc, entry, "Data for ")?;
                if entry.desc == desc::BLOBS {
                    data.write_data(entry, self.out)?;
                } else {
                    self.set_triggers(entry, "DISABLE")?;
                    self.become_owner(entry)?;
                    if let Some(copy) = entry.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
                        self.out.write_all(copy.as_bytes())?;
                    }
                    data.write_data(entry, self.out)?;
                    self.set_triggers(entry, "ENABLE")?;
                }
            } else {
                self.print_entry(toc, entry, "")?;
            }
        }
        if want.schema || want.data {
            self.count_action(b"\n")?;
        }
        Ok(())
    }

    /// `--disable-triggers` in a data-only script: `ALTER TABLE ... DISABLE|ENABLE TRIGGER ALL` around a
    /// table's data, as the `-S` superuser, or else the initial session user.
    fn set_triggers(&mut self, entry: &TocEntry, action: &str) -> io::Result<()> {
        if self.options.schema || !self.options.disable_triggers {
            return Ok(());
        }
        let options = self.options;
        self.become_user(options.superuser.as_deref().unwrap_or_default())?;
        let table = qualified_name(self.quoter, entry.namespace.as_deref(), &entry.tag);
        write!(self.out, "ALTER TABLE {table} {action} TRIGGER ALL;\n\n")
    }

    /// `\connect` to the database just created; psql needs restricted mode lifted for it.
    fn reconnect(&mut self, toc: &Toc, dbname: &str) -> io::Result<()> {
        if let Some(key) = &self.options.restrict_key {
            writeln!(self.out, "\\unrestrict {key}")?;
        }
        self.out.write_all(quote::psql_connect(dbname).as_bytes())?;
        if let Some(key) = &self.options.restrict_key {
            writeln!(self.out, "\\restrict {key}\n")?;
        } else {
            self.out.write_all(b"\n")?;
        }
        self.fixed_settings(toc)
    }

    fn print_entry(&mut self, toc: &Toc, entry: &TocEntry, prefix: &str) -> io::Result<()> {
        let options = self.options;
        let prefix = if entry.desc == desc::STATISTICS_DATA {
            "Statistics for "
        } else {
            prefix
        };
        self.become_owner(entry)?;
        self.select_tablespace(entry.tablespace.as_deref())?;
        if entry.relkind != b'p' {
            self.select_table_am(entry.tableam.as_deref())?;
        }

        let owner = if options.no_owner {
            "-"
        } else {
            entry.owner.as_deref().unwrap_or("-")
        };
        if self.comments {
            write!(
                self.out,
                "--\n-- {prefix}Name: {}; Type: {}; Schema: {}; Owner: {}",
                one_line(&entry.tag),
                entry.desc,
                one_line(entry.namespace.as_deref().unwrap_or("-")),
                one_line(owner),
            )?;
            if let Some(tablespace) = entry
                .tablespace
                .as_deref()
                .filter(|t| !t.is_empty() && !options.no_tablespaces)
            {
                write!(self.out, "; Tablespace: {}", one_line(tablespace))?;
            }
            self.out.write_all(b"\n--\n\n")?;
        }

        let defn = entry.defn.as_deref().unwrap_or_default();
        if options.no_owner && entry.desc == desc::SCHEMA && !defn.starts_with("--") {
            // Old dumps put AUTHORIZATION into CREATE SCHEMA; without owners it must go.
            writeln!(
                self.out,
                "CREATE SCHEMA {};\n\n",
                self.quoter.ident(&entry.tag)
            )?;
        } else if entry.desc == desc::BLOB_METADATA {
            self.command_per_large_object(entry, "SELECT pg_catalog.lo_create('", "')")?;
        } else if entry.desc == desc::ACL && entry.tag.starts_with("LARGE OBJECTS") {
            self.acl_per_large_object(toc, entry)?;
        } else if !defn.is_empty() {
            write!(self.out, "{defn}\n\n")?;
            // A definition of several commands counts as several (pg_restore counts semicolons, but not
            // in function bodies, where they mislead most).
            if options.transaction_size > 0
                && entry.desc != desc::FUNCTION
                && entry.desc != desc::PROCEDURE
            {
                let semicolons = defn.matches(';').count();
                self.state.actions += semicolons.saturating_sub(1);
            }
        }

        let drop = entry.drop_stmt.as_deref().unwrap_or_default();
        let public_schema_comment = entry.desc == desc::SCHEMA && defn.starts_with("--");
        let owner = entry.owner.as_deref().unwrap_or_default();
        if !options.no_owner
            && (!options.use_set_session_authorization || public_schema_comment)
            && !owner.is_empty()
            && !drop.is_empty()
        {
            if entry.desc == desc::BLOB_METADATA {
                let suffix = format!(" OWNER TO {}", self.quoter.ident(owner));
                self.command_per_large_object(entry, "ALTER LARGE OBJECT ", &suffix)?;
            } else if let Some(object) = object_description(entry, self.quoter) {
                write!(
                    self.out,
                    "ALTER {object} OWNER TO {};\n\n",
                    self.quoter.ident(owner)
                )?;
            }
        }
        if entry.relkind == b'p' && !options.no_table_access_method {
            if let Some(am) = entry.tableam.as_deref() {
                let table = qualified_name(self.quoter, entry.namespace.as_deref(), &entry.tag);
                write!(
                    self.out,
                    "ALTER TABLE {table} SET ACCESS METHOD {};\n\n",
                    self.quoter.ident(am)
                )?;
            }
        }
        if entry.desc == desc::ACL || entry.desc == desc::DEFAULT_ACL {
            // ACL scripts may switch the session user themselves.
            self.state.user = None;
        }
        Ok(())
    }

    fn become_owner(&mut self, entry: &TocEntry) -> io::Result<()> {
        if self.options.no_owner || !self.options.use_set_session_authorization {
            return Ok(());
        }
        self.become_user(entry.owner.as_deref().unwrap_or_default())
    }

    /// `SET SESSION AUTHORIZATION` to `user` (`DEFAULT` for an empty one) unless it is the current one.
    fn become_user(&mut self, user: &str) -> io::Result<()> {
        if self.state.user.as_deref() == Some(user) {
            return Ok(());
        }
        if user.is_empty() {
            self.out
                .write_all(b"SET SESSION AUTHORIZATION DEFAULT;\n\n")?;
        } else {
            write!(
                self.out,
                "SET SESSION AUTHORIZATION {};\n\n",
                quote::literal(user, true)
            )?;
        }
        self.state.user = Some(user.to_owned());
        Ok(())
    }

    fn select_tablespace(&mut self, tablespace: Option<&str>) -> io::Result<()> {
        let Some(want) = tablespace else {
            return Ok(());
        };
        if self.options.no_tablespaces || self.state.tablespace.as_deref() == Some(want) {
            return Ok(());
        }
        if want.is_empty() {
            self.out.write_all(b"SET default_tablespace = '';\n\n")?;
        } else {
            write!(
                self.out,
                "SET default_tablespace = {};\n\n",
                self.quoter.ident(want)
            )?;
        }
        self.state.tablespace = Some(want.to_owned());
        Ok(())
    }

    fn select_table_am(&mut self, table_am: Option<&str>) -> io::Result<()> {
        let Some(want) = table_am else { return Ok(()) };
        if self.options.no_table_access_method || self.state.table_am.as_deref() == Some(want) {
            return Ok(());
        }
        write!(
            self.out,
            "SET default_table_access_method = {};\n\n",
            self.quoter.ident(want)
        )?;
        self.state.table_am = Some(want.to_owned());
        Ok(())
    }

    /// BLOB METADATA entries list OIDs, one per line; each gets the command.
    fn command_per_large_object(
        &mut self,
        entry: &TocEntry,
        before: &str,
        after: &str,
    ) -> io::Result<()> {
        for oid in entry
            .defn
            .as_deref()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            writeln!(self.out, "{before}{}{after};", oid.trim())?;
            self.count_action(b"\n")?;
        }
        self.out.write_all(b"\n")?;
        Ok(())
    }
}

impl ScriptWriter<'_> {
    /// An ACL entry of a group of large objects ("LARGE OBJECTS 1..2") holds the commands for the first one;
    /// each command is repeated for every large object of the group's BLOB METADATA entry (its first
    /// dependency), with the OID after "LARGE OBJECT " replaced.
    fn acl_per_large_object(&mut self, toc: &Toc, entry: &TocEntry) -> io::Result<()> {
        let metadata = entry
            .dependencies
            .first()
            .and_then(|id| toc.entry(*id))
            .ok_or_else(|| {
                io::Error::other(format!(
                    "could not find the large objects of entry {} ({})",
                    entry.dump_id, entry.tag
                ))
            })?;
        let defn = entry.defn.as_deref().unwrap_or_default();
        for (before, after) in split_large_object_commands(defn) {
            self.command_per_large_object(metadata, &before, &after)?;
        }
        Ok(())
    }
}

/// Splits ACL commands on one large object into (text before the OID, text after it up to the semicolon),
/// skipping double-quoted role names, as pg_restore does.
fn split_large_object_commands(defn: &str) -> Vec<(String, String)> {
    const MARKER: &str = "LARGE OBJECT ";
    let bytes = defn.as_bytes();
    let mut commands = Vec::new();
    let (mut start, mut at) = (0, 0);
    let mut second: Option<usize> = None;
    let mut in_quotes = false;
    let mut first_end = 0;
    while at < bytes.len() {
        if bytes[at] == b'"' {
            in_quotes = !in_quotes;
        }
        if in_quotes {
            at += 1;
            continue;
        }
        if second.is_none() && defn[at..].starts_with(MARKER) {
            at += MARKER.len();
            first_end = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            second = Some(at);
        } else if bytes[at] == b';' {
            if let Some(second_start) = second.take() {
                commands.push((
                    defn[start..first_end].to_owned(),
                    defn[second_start..at].to_owned(),
                ));
            }
            at += 1;
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            start = at;
        } else {
            at += 1;
        }
    }
    commands
}

/// `schema.name`, or just `name` for objects outside schemas (pg_dump's `fmtQualifiedId`).
fn qualified_name(quoter: Quoter, schema: Option<&str>, name: &str) -> String {
    match schema.filter(|s| !s.is_empty()) {
        Some(schema) => quoter.qualified(schema, name),
        None => quoter.ident(name),
    }
}

/// Names in comment headers must stay on one line.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// The object as `ALTER ... OWNER TO` names it, or `None` for kinds without an owner.
pub fn object_description(entry: &TocEntry, quoter: Quoter) -> Option<String> {
    let kind = entry.desc.as_str();
    let qualified = || qualified_name(quoter, entry.namespace.as_deref(), &entry.tag);
    match kind {
        desc::COLLATION
        | desc::CONVERSION
        | desc::DOMAIN
        | desc::FOREIGN_TABLE
        | desc::MATERIALIZED_VIEW
        | desc::SEQUENCE
        | desc::STATISTICS
        | desc::TABLE
        | desc::TEXT_SEARCH_DICTIONARY
        | desc::TEXT_SEARCH_CONFIGURATION
        | desc::TYPE
        | desc::VIEW => Some(format!("{kind} {}", qualified())),
        desc::DATABASE
        | desc::PROCEDURAL_LANGUAGE
        | desc::SCHEMA
        | desc::EVENT_TRIGGER
        | desc::FOREIGN_DATA_WRAPPER
        | desc::SERVER
        | desc::PUBLICATION
        | desc::SUBSCRIPTION => Some(format!("{kind} {}", quoter.ident(&entry.tag))),
        desc::BLOB => Some(format!("LARGE OBJECT {}", entry.tag)),
        desc::AGGREGATE
        | desc::FUNCTION
        | desc::OPERATOR
        | desc::OPERATOR_CLASS
        | desc::OPERATOR_FAMILY
        | desc::PROCEDURE => {
            // The object reference of the DROP statement, without "DROP " and the final ";\n".
            let drop = entry.drop_stmt.as_deref()?;
            let object = drop.strip_prefix("DROP ")?.trim_end_matches(['\n', ';']);
            Some(object.to_owned())
        }
        _ => None,
    }
}

/// `--if-exists`: splice `IF EXISTS` into a DROP statement, as pg_restore does.
fn insert_if_exists(entry: &TocEntry, drop: &str) -> String {
    let (mut result, rest) = match drop.strip_prefix("ALTER TABLE") {
        Some(rest) => ("ALTER TABLE IF EXISTS".to_owned(), rest),
        None => (String::new(), drop),
    };
    if entry.desc == desc::DEFAULT
        || entry.desc == desc::DATABASE_PROPERTIES
        || rest.starts_with("CREATE OR REPLACE VIEW")
    {
        result.push_str(rest);
        return result;
    }
    let marker = match entry.desc.as_str() {
        desc::CONSTRAINT | desc::CHECK_CONSTRAINT | desc::FK_CONSTRAINT => {
            "DROP CONSTRAINT".to_owned()
        }
        other => format!("DROP {other}"),
    };
    match rest.find(&marker) {
        Some(at) => {
            result.push_str(&rest[..at]);
            result.push_str(&marker);
            result.push_str(" IF EXISTS");
            result.push_str(&rest[at + marker.len()..]);
        }
        None => {
            tracing::warn!(
                "could not find where to insert IF EXISTS in statement \"{}\"",
                drop.trim_end()
            );
            result.push_str(rest);
        }
    }
    result
}

#[cfg(test)]
mod tests;
