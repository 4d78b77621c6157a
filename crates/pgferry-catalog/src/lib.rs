//! The catalog reader: version-aware queries into a typed model of a database's schema.
//!
//! [`read_catalog`] runs one query per object kind (never one per table, so 10,000 tables cost the same number
//! of queries as ten), branches on [`ServerVersion`] in one visible place per difference, and returns a
//! [`Catalog`]. The model holds what pg_dump reads: catalog rows and the text of the server's own deparse
//! functions (`pg_get_viewdef`, `pg_get_indexdef`, `format_type`, ...), which are passed on untouched.
//!
//! The reader does not decide what is dumped; `pgferry-plan` does. It must run inside the dump's snapshot
//! (see `pgferry-dump`), and the tables to be dumped must be locked before the deparse functions run, because
//! those read the current catalogs rather than the snapshot. [`read_catalog`] therefore reads the relations
//! first, asks the caller which to lock, locks them, and only then reads the rest.

mod core;
mod database;
mod error;
pub mod functions;
pub mod misc;
mod query;
mod relations;
mod row;
pub mod rules;
pub mod textsearch;
pub mod types;

pub use crate::core::{CatalogId, Comment, Depend, Extension, InitPrivs, Namespace, SecLabel};
pub use crate::database::Database;
pub use crate::error::CatalogError;
pub use crate::functions::FunctionCatalog;
pub use crate::misc::MiscCatalog;
pub use crate::query::{LockRequest, ReadOptions};
pub use crate::relations::{Column, ForeignTableDef, RelationCatalog, Table};
pub use crate::row::{parse_array, Oid, Row};
pub use crate::rules::RuleCatalog;
pub use crate::textsearch::ForeignAndSearchCatalog;
pub use crate::types::TypeCatalog;

use std::collections::HashMap;

use pgferry_conn::{ServerVersion, Session};

/// Catalog OIDs of the system catalogs, as pg_depend, pg_description and TOC entries name them.
pub mod class {
    #![allow(missing_docs)]
    use crate::Oid;
    pub const PG_AGGREGATE: Oid = 2600;
    pub const PG_AM: Oid = 2601;
    pub const PG_AMOP: Oid = 2602;
    pub const PG_AMPROC: Oid = 2603;
    pub const PG_ATTRDEF: Oid = 2604;
    pub const PG_CAST: Oid = 2605;
    pub const PG_CLASS: Oid = 1259;
    pub const PG_COLLATION: Oid = 3456;
    pub const PG_CONSTRAINT: Oid = 2606;
    pub const PG_CONVERSION: Oid = 2607;
    pub const PG_DATABASE: Oid = 1262;
    pub const PG_DEFAULT_ACL: Oid = 826;
    pub const PG_EVENT_TRIGGER: Oid = 3466;
    pub const PG_EXTENSION: Oid = 3079;
    pub const PG_FOREIGN_DATA_WRAPPER: Oid = 2328;
    pub const PG_FOREIGN_SERVER: Oid = 1417;
    pub const PG_LANGUAGE: Oid = 2612;
    pub const PG_LARGEOBJECT_METADATA: Oid = 2613;
    pub const PG_NAMESPACE: Oid = 2615;
    pub const PG_OPCLASS: Oid = 2616;
    pub const PG_OPERATOR: Oid = 2617;
    pub const PG_OPFAMILY: Oid = 2753;
    pub const PG_POLICY: Oid = 3256;
    pub const PG_PROC: Oid = 1255;
    pub const PG_PUBLICATION: Oid = 6104;
    pub const PG_PUBLICATION_NAMESPACE: Oid = 6237;
    pub const PG_PUBLICATION_REL: Oid = 6106;
    pub const PG_REWRITE: Oid = 2618;
    pub const PG_STATISTIC_EXT: Oid = 3381;
    pub const PG_SUBSCRIPTION: Oid = 6100;
    pub const PG_TRANSFORM: Oid = 3576;
    pub const PG_TRIGGER: Oid = 2620;
    pub const PG_TS_CONFIG: Oid = 3602;
    pub const PG_TS_DICT: Oid = 3600;
    pub const PG_TS_PARSER: Oid = 3601;
    pub const PG_TS_TEMPLATE: Oid = 3764;
    pub const PG_TYPE: Oid = 1247;
    pub const PG_USER_MAPPING: Oid = 1418;
}

/// The last OID assigned during initdb; objects at or below it are built in (`FirstNormalObjectId - 1`).
pub const LAST_SYSTEM_OID: Oid = 16383;

/// Everything pgferry knows about one database's schema.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The server's version; every version difference in the model traces back to it.
    pub version: Option<ServerVersion>,
    /// The database itself (name, encoding, locale, owner, ACL, settings).
    pub database: Database,
    /// Role names by OID (owners and grantees are stored as OIDs in the catalogs).
    pub roles: HashMap<Oid, String>,
    /// Schemas, including `public` and `pg_catalog` (the plan decides what is dumped).
    pub namespaces: Vec<Namespace>,
    /// Installed extensions.
    pub extensions: Vec<Extension>,
    /// Extension membership: object -> the extension's OID (pg_depend deptype 'e').
    pub extension_members: HashMap<CatalogId, Oid>,
    /// Tables, views, materialized views, sequences, foreign tables, partitions: with columns, defaults and
    /// table-level constraints.
    pub relations: RelationCatalog,
    /// Types, domains, collations, conversions, casts, transforms, languages, access methods.
    pub types: TypeCatalog,
    /// Functions, procedures, aggregates, operators, operator classes and families.
    pub functions: FunctionCatalog,
    /// Indexes, key and foreign-key constraints, triggers, rules, policies, extended statistics, event
    /// triggers.
    pub rules: RuleCatalog,
    /// Text search objects, foreign-data wrappers, servers, user mappings, publications, subscriptions.
    pub foreign_and_search: ForeignAndSearchCatalog,
    /// Default privileges and large object metadata.
    pub misc: MiscCatalog,
    /// pg_depend edges between dumpable objects.
    pub depends: Vec<Depend>,
    /// Comments (pg_description), for every object kind.
    pub comments: Vec<Comment>,
    /// Security labels (pg_seclabels).
    pub seclabels: Vec<SecLabel>,
    /// Initial privileges (pg_init_privs), the baseline for ACL diffing of built-in and extension objects.
    pub init_privs: InitPrivs,
    /// How many catalog queries the read took: a fixed number, whatever the number of tables.
    pub query_count: usize,
    /// How many statements locking the tables took (LOCK batches and savepoints).
    pub lock_statements: usize,
    /// Comment lookup by object and sub-id (built by [`Catalog::build_indexes`]).
    comment_index: HashMap<(CatalogId, i32), usize>,
    /// Security labels by object and sub-id, in provider order.
    seclabel_index: HashMap<(CatalogId, i32), Vec<usize>>,
}

impl Catalog {
    /// The role name for an OID, or an empty string when the role no longer exists (pg_dump warns then).
    pub fn role_name(&self, oid: Oid) -> &str {
        self.roles.get(&oid).map(String::as_str).unwrap_or_default()
    }

    /// The schema with this OID.
    pub fn namespace(&self, oid: Oid) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.oid == oid)
    }

    /// The schema name for an OID, or an empty string.
    pub fn namespace_name(&self, oid: Oid) -> &str {
        self.namespace(oid)
            .map(|n| n.name.as_str())
            .unwrap_or_default()
    }

    /// The comment on an object (`subid` 0 for the object itself, a column number for a column).
    pub fn comment(&self, id: CatalogId, subid: i32) -> Option<&str> {
        if self.comment_index.len() != self.comments.len() {
            // Built by hand (tests) without indexes: look through the list.
            return self
                .comments
                .iter()
                .find(|c| c.object == id && c.subid == subid)
                .map(|c| c.description.as_str());
        }
        self.comment_index
            .get(&(id, subid))
            .map(|&i| self.comments[i].description.as_str())
    }

    /// The security labels on an object (`subid` 0) or column, in provider order.
    pub fn seclabels(&self, id: CatalogId, subid: i32) -> Vec<&SecLabel> {
        match self.seclabel_index.get(&(id, subid)) {
            Some(found) => found.iter().map(|&i| &self.seclabels[i]).collect(),
            None if self.seclabel_index.is_empty() => self
                .seclabels
                .iter()
                .filter(|l| l.object == id && l.subid == subid)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Builds the lookup indexes after the model was filled; [`read_catalog`] calls it.
    pub fn build_indexes(&mut self) {
        self.seclabel_index = HashMap::new();
        for (i, label) in self.seclabels.iter().enumerate() {
            self.seclabel_index
                .entry((label.object, label.subid))
                .or_default()
                .push(i);
        }
        self.comment_index = self
            .comments
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.object, c.subid), i))
            .collect();
        self.relations.by_oid = self
            .relations
            .tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.oid, i))
            .collect();
    }

    /// The extension an object belongs to, if any.
    pub fn extension_of(&self, id: CatalogId) -> Option<Oid> {
        self.extension_members.get(&id).copied()
    }
}

/// Reads the whole catalog of the connected database.
///
/// `session` must already be inside the dump's transaction and snapshot, with pg_dump's session settings.
/// The relations are read first; `lock` then says which tables to lock (`LOCK TABLE ... IN ACCESS SHARE
/// MODE`, in batches) before anything that calls a deparse function is read.
pub async fn read_catalog(
    session: &Session,
    options: &ReadOptions,
    lock: &(dyn Fn(&Catalog, &Table) -> bool + Sync),
) -> Result<Catalog, CatalogError> {
    let mut reader = query::Reader::new(session);
    let mut catalog = Catalog {
        version: Some(session.server_version()),
        ..Default::default()
    };
    crate::core::read_roles(&mut reader, &mut catalog).await?;
    crate::database::read(&mut reader, &mut catalog).await?;
    crate::core::read_extensions(&mut reader, &mut catalog).await?;
    crate::core::read_namespaces(&mut reader, &mut catalog).await?;
    crate::relations::read_tables(&mut reader, &mut catalog).await?;

    let to_lock: Vec<LockRequest> = catalog
        .relations
        .tables
        .iter()
        .filter(|t| lock(&catalog, t))
        .map(|t| LockRequest {
            oid: t.oid,
            name: t.quoted_name.clone(),
        })
        .collect();
    reader.lock_tables(&to_lock, options).await?;

    crate::relations::read_details(&mut reader, &mut catalog).await?;
    crate::types::read(&mut reader, &mut catalog).await?;
    crate::functions::read(&mut reader, &mut catalog).await?;
    crate::rules::read(&mut reader, &mut catalog).await?;
    crate::textsearch::read(&mut reader, &mut catalog).await?;
    crate::misc::read(&mut reader, &mut catalog).await?;
    crate::core::read_depends(&mut reader, &mut catalog).await?;
    crate::core::read_comments(&mut reader, &mut catalog).await?;
    crate::core::read_init_privs(&mut reader, &mut catalog).await?;
    catalog.query_count = reader.query_count();
    catalog.lock_statements = reader.lock_statement_count();
    catalog.build_indexes();
    Ok(catalog)
}
