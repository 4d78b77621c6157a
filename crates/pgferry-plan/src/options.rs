//! What the plan includes and how it writes it: pg_dump's options, already resolved to OIDs.

use std::collections::HashSet;

use pgferry_catalog::Oid;

/// Options that shape the plan. `PlanOptions::default()` is a whole-database dump, schema and data.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Include definitions (off with `--data-only`).
    pub schema: bool,
    /// Include data (off with `--schema-only`).
    pub data: bool,
    /// `--section`: which of pre-data, data, post-data to keep.
    pub sections: Sections,
    /// `-n`: only these schemas (empty: all).
    pub include_schemas: HashSet<Oid>,
    /// `-N`.
    pub exclude_schemas: HashSet<Oid>,
    /// `-t`: only these relations (empty: all). Set `tables_selected` too.
    pub include_tables: HashSet<Oid>,
    /// Whether `-t` was given at all (then nothing outside it is dumped).
    pub tables_selected: bool,
    /// `-T`.
    pub exclude_tables: HashSet<Oid>,
    /// `--exclude-table-data`.
    pub exclude_table_data: HashSet<Oid>,
    /// `--include-foreign-data`: the `pg_foreign_server` OIDs whose foreign tables' rows are dumped (empty:
    /// foreign tables get no data, pg_dump's default). The rows are read through the server with
    /// `COPY (SELECT ...) TO stdout`.
    pub include_foreign_data_servers: HashSet<Oid>,
    /// `-e`: only these extensions (empty: all).
    pub include_extensions: HashSet<Oid>,
    /// `--exclude-extension`.
    pub exclude_extensions: HashSet<Oid>,
    /// `-O`.
    pub no_owner: bool,
    /// `-x`.
    pub no_privileges: bool,
    /// `--no-comments`.
    pub no_comments: bool,
    /// `--no-security-labels`.
    pub no_security_labels: bool,
    /// `--no-publications`.
    pub no_publications: bool,
    /// `--no-subscriptions`.
    pub no_subscriptions: bool,
    /// `--no-tablespaces`.
    pub no_tablespaces: bool,
    /// `--no-table-access-method`.
    pub no_table_access_method: bool,
    /// `--no-toast-compression`.
    pub no_toast_compression: bool,
    /// `--no-policies`.
    pub no_policies: bool,
    /// `--no-unlogged-table-data`.
    pub no_unlogged_table_data: bool,
    /// `--quote-all-identifiers`.
    pub quote_all_identifiers: bool,
    /// Emit the DATABASE entries (`--create`, and always in archive formats).
    pub database_entries: bool,
    /// Large objects: `Some(true)` with `-b`, `Some(false)` with `-B`, `None` for pg_dump's default.
    pub large_objects: Option<bool>,
    /// `--sequence-data`: sequence values even without data.
    pub sequence_data: bool,
    /// `--inserts`, `--column-inserts`, `--rows-per-insert`: table data is restored with INSERT statements,
    /// so its TOC entries carry no COPY statement.
    pub inserts: bool,
    /// `--load-via-partition-root`: partitions' data is loaded through the root of their partition tree.
    pub load_via_partition_root: bool,
    /// `--disable-dollar-quoting`: function bodies (and C functions' link symbols) are written as standard
    /// string literals instead of in dollar quotes.
    pub disable_dollar_quoting: bool,
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions {
            schema: true,
            data: true,
            sections: Sections::ALL,
            include_schemas: HashSet::new(),
            exclude_schemas: HashSet::new(),
            include_tables: HashSet::new(),
            tables_selected: false,
            exclude_tables: HashSet::new(),
            exclude_table_data: HashSet::new(),
            include_foreign_data_servers: HashSet::new(),
            include_extensions: HashSet::new(),
            exclude_extensions: HashSet::new(),
            no_owner: false,
            no_privileges: false,
            no_comments: false,
            no_security_labels: false,
            no_publications: false,
            no_subscriptions: false,
            no_tablespaces: false,
            no_table_access_method: false,
            no_toast_compression: false,
            no_policies: false,
            no_unlogged_table_data: false,
            quote_all_identifiers: false,
            database_entries: false,
            large_objects: None,
            sequence_data: false,
            inserts: false,
            load_via_partition_root: false,
            disable_dollar_quoting: false,
        }
    }
}

impl PlanOptions {
    /// Whether everything is included (no `-n`, `-t` or `-e`): only then are objects outside schemas dumped.
    pub fn include_everything(&self) -> bool {
        self.include_schemas.is_empty()
            && !self.tables_selected
            && self.include_extensions.is_empty()
    }
}

/// `--section` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    /// pre-data.
    pub pre_data: bool,
    /// data.
    pub data: bool,
    /// post-data.
    pub post_data: bool,
}

impl Sections {
    /// All three.
    pub const ALL: Sections = Sections {
        pre_data: true,
        data: true,
        post_data: true,
    };
}
