//! The table of contents: one entry per object, in restore order.

use std::fmt;

/// An entry's id, unique within one archive and greater than zero. Dependencies refer to entries by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DumpId(pub u32);

impl fmt::Display for DumpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The part of a dump an entry belongs to (pg_dump's `teSection`, with its on-disk numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Comments, ACLs and security labels: they follow their object's section.
    None = 1,
    /// Definitions restored before the data.
    PreData = 2,
    /// Table data, sequence values, large objects.
    Data = 3,
    /// Indexes, constraints, triggers and the like, restored after the data.
    PostData = 4,
}

impl Section {
    /// The number pg_dump writes for this section.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The section for pg_dump's number, if it is one.
    pub fn from_code(code: i32) -> Option<Section> {
        match code {
            1 => Some(Section::None),
            2 => Some(Section::PreData),
            3 => Some(Section::Data),
            4 => Some(Section::PostData),
            _ => None,
        }
    }
}

/// One object of the dump: what it is, how to create and drop it, and what it depends on.
///
/// The fields mirror pg_dump's TOC entry, so that every archive format can store them as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// Unique id within the archive.
    pub dump_id: DumpId,
    /// Whether the entry has a data stream (TABLE DATA, BLOBS).
    pub had_dumper: bool,
    /// The OID of the catalog that holds the object (`pg_class`'s 1259 for a table), 0 when none.
    pub table_oid: u32,
    /// The object's OID, 0 when none.
    pub oid: u32,
    /// The object's name as pg_dump tags it (unquoted; `table constraint` for table-scoped objects).
    pub tag: String,
    /// The kind of object: `TABLE`, `INDEX`, `ACL`, ... (see [`desc`]).
    pub desc: String,
    /// The section.
    pub section: Section,
    /// The SQL that creates the object.
    pub defn: Option<String>,
    /// The SQL that drops it (`--clean`).
    pub drop_stmt: Option<String>,
    /// For COPY-mode table data: `COPY schema.table (cols) FROM stdin;`.
    pub copy_stmt: Option<String>,
    /// The schema, when the object lives in one.
    pub namespace: Option<String>,
    /// `None` when the kind has no tablespace; `Some("")` for the default tablespace.
    pub tablespace: Option<String>,
    /// The table access method, for tables and materialized views.
    pub tableam: Option<String>,
    /// `pg_class.relkind` as a byte for relation entries, 0 otherwise.
    pub relkind: u8,
    /// The owning role.
    pub owner: Option<String>,
    /// The entries that must be restored first.
    pub dependencies: Vec<DumpId>,
}

impl TocEntry {
    /// A new entry with only the identifying fields set; the rest are empty.
    pub fn new(dump_id: DumpId, desc: &str, tag: impl Into<String>, section: Section) -> TocEntry {
        TocEntry {
            dump_id,
            had_dumper: false,
            table_oid: 0,
            oid: 0,
            tag: tag.into(),
            desc: desc.to_owned(),
            section,
            defn: None,
            drop_stmt: None,
            copy_stmt: None,
            namespace: None,
            tablespace: None,
            tableam: None,
            relkind: 0,
            owner: None,
            dependencies: Vec::new(),
        }
    }
}

/// What the archive says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TocHeader {
    /// The database that was dumped.
    pub dbname: String,
    /// The server's `version()`-style string, as in "Dumped from database version".
    pub server_version: String,
    /// The dumping program's version string, as in "Dumped by pg_dump version".
    pub dumper_version: String,
    /// The client encoding the dump was taken in.
    pub encoding: String,
    /// Whether `standard_conforming_strings` was on.
    pub std_strings: bool,
}

/// A whole table of contents, in restore order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Toc {
    /// The header.
    pub header: TocHeader,
    /// The entries, in restore order (not dump id order).
    pub entries: Vec<TocEntry>,
}

impl Toc {
    /// The entry with this id.
    pub fn entry(&self, id: DumpId) -> Option<&TocEntry> {
        self.entries.iter().find(|e| e.dump_id == id)
    }

    /// The largest dump id in use.
    pub fn max_dump_id(&self) -> DumpId {
        self.entries
            .iter()
            .map(|e| e.dump_id)
            .max()
            .unwrap_or(DumpId(0))
    }
}

/// The `desc` strings pg_dump writes, as constants.
pub mod desc {
    #![allow(missing_docs)]
    pub const ENCODING: &str = "ENCODING";
    pub const STDSTRINGS: &str = "STDSTRINGS";
    pub const SEARCHPATH: &str = "SEARCHPATH";
    pub const DATABASE: &str = "DATABASE";
    pub const DATABASE_PROPERTIES: &str = "DATABASE PROPERTIES";
    pub const SCHEMA: &str = "SCHEMA";
    pub const EXTENSION: &str = "EXTENSION";
    pub const TYPE: &str = "TYPE";
    pub const SHELL_TYPE: &str = "SHELL TYPE";
    pub const DOMAIN: &str = "DOMAIN";
    pub const PROCEDURAL_LANGUAGE: &str = "PROCEDURAL LANGUAGE";
    pub const CAST: &str = "CAST";
    pub const TRANSFORM: &str = "TRANSFORM";
    pub const ACCESS_METHOD: &str = "ACCESS METHOD";
    pub const COLLATION: &str = "COLLATION";
    pub const CONVERSION: &str = "CONVERSION";
    pub const OPERATOR: &str = "OPERATOR";
    pub const OPERATOR_CLASS: &str = "OPERATOR CLASS";
    pub const OPERATOR_FAMILY: &str = "OPERATOR FAMILY";
    pub const AGGREGATE: &str = "AGGREGATE";
    pub const FUNCTION: &str = "FUNCTION";
    pub const PROCEDURE: &str = "PROCEDURE";
    pub const TEXT_SEARCH_PARSER: &str = "TEXT SEARCH PARSER";
    pub const TEXT_SEARCH_TEMPLATE: &str = "TEXT SEARCH TEMPLATE";
    pub const TEXT_SEARCH_DICTIONARY: &str = "TEXT SEARCH DICTIONARY";
    pub const TEXT_SEARCH_CONFIGURATION: &str = "TEXT SEARCH CONFIGURATION";
    pub const FOREIGN_DATA_WRAPPER: &str = "FOREIGN DATA WRAPPER";
    pub const SERVER: &str = "SERVER";
    pub const USER_MAPPING: &str = "USER MAPPING";
    pub const TABLE: &str = "TABLE";
    pub const VIEW: &str = "VIEW";
    pub const MATERIALIZED_VIEW: &str = "MATERIALIZED VIEW";
    pub const FOREIGN_TABLE: &str = "FOREIGN TABLE";
    pub const SEQUENCE: &str = "SEQUENCE";
    pub const SEQUENCE_OWNED_BY: &str = "SEQUENCE OWNED BY";
    pub const DEFAULT: &str = "DEFAULT";
    pub const TABLE_ATTACH: &str = "TABLE ATTACH";
    pub const TABLE_DATA: &str = "TABLE DATA";
    pub const SEQUENCE_SET: &str = "SEQUENCE SET";
    pub const BLOB: &str = "BLOB";
    pub const BLOBS: &str = "BLOBS";
    pub const BLOB_METADATA: &str = "BLOB METADATA";
    pub const STATISTICS_DATA: &str = "STATISTICS DATA";
    pub const CONSTRAINT: &str = "CONSTRAINT";
    pub const CHECK_CONSTRAINT: &str = "CHECK CONSTRAINT";
    pub const FK_CONSTRAINT: &str = "FK CONSTRAINT";
    pub const INDEX: &str = "INDEX";
    pub const INDEX_ATTACH: &str = "INDEX ATTACH";
    pub const RULE: &str = "RULE";
    pub const TRIGGER: &str = "TRIGGER";
    pub const EVENT_TRIGGER: &str = "EVENT TRIGGER";
    pub const POLICY: &str = "POLICY";
    pub const ROW_SECURITY: &str = "ROW SECURITY";
    pub const PUBLICATION: &str = "PUBLICATION";
    pub const PUBLICATION_TABLE: &str = "PUBLICATION TABLE";
    pub const PUBLICATION_TABLES_IN_SCHEMA: &str = "PUBLICATION TABLES IN SCHEMA";
    pub const SUBSCRIPTION: &str = "SUBSCRIPTION";
    pub const SUBSCRIPTION_TABLE: &str = "SUBSCRIPTION TABLE";
    pub const DEFAULT_ACL: &str = "DEFAULT ACL";
    pub const STATISTICS: &str = "STATISTICS";
    pub const MATERIALIZED_VIEW_DATA: &str = "MATERIALIZED VIEW DATA";
    pub const COMMENT: &str = "COMMENT";
    pub const ACL: &str = "ACL";
    pub const SECURITY_LABEL: &str = "SECURITY LABEL";
}
