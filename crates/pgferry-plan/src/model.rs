//! Dumpable objects: what the plan sorts before it writes TOC entries.

use pgferry_archive::DumpId;
use pgferry_catalog::{CatalogId, Oid};

/// The kinds of dumpable object, in pg_dump's sort-priority order (pg_dump_sort.c). The order of the variants
/// *is* the priority: earlier variants sort first when dependencies allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjKind {
    /// A schema.
    Namespace,
    /// A procedural language.
    ProcLang,
    /// A collation.
    Collation,
    /// A transform.
    Transform,
    /// An extension.
    Extension,
    /// A type or domain (also shell types).
    Type,
    /// A shell type placeholder (same priority as types).
    ShellType,
    /// A cast.
    Cast,
    /// A function or procedure.
    Func,
    /// An aggregate.
    Agg,
    /// An access method.
    AccessMethod,
    /// An operator.
    Operator,
    /// An operator family.
    OpFamily,
    /// An operator class (same priority as families).
    OpClass,
    /// An encoding conversion.
    Conversion,
    /// A text search parser.
    TsParser,
    /// A text search template.
    TsTemplate,
    /// A text search dictionary.
    TsDict,
    /// A text search configuration.
    TsConfig,
    /// A foreign-data wrapper.
    Fdw,
    /// A foreign server.
    ForeignServer,
    /// A table, view, materialized view, sequence or foreign table.
    Table,
    /// `ALTER TABLE ... ATTACH PARTITION`.
    TableAttach,
    /// A type that is never printed (table row types, array types), kept for dependencies.
    DummyType,
    /// A column default.
    AttrDef,
    /// The boundary between pre-data and data.
    PreDataBoundary,
    /// Table data.
    TableData,
    /// A sequence's value.
    SequenceSet,
    /// Large object metadata.
    LargeObject,
    /// Large object contents.
    LargeObjectData,
    /// Optimizer statistics.
    RelStats,
    /// The boundary between data and post-data.
    PostDataBoundary,
    /// A PRIMARY KEY, UNIQUE, EXCLUDE, or separate CHECK / NOT NULL constraint.
    Constraint,
    /// An index.
    Index,
    /// `ALTER INDEX ... ATTACH PARTITION`.
    IndexAttach,
    /// An extended statistics object.
    StatsExt,
    /// A rewrite rule.
    Rule,
    /// A trigger.
    Trigger,
    /// A foreign key.
    FkConstraint,
    /// A row-level security policy (and the ROW SECURITY marker).
    Policy,
    /// A publication.
    Publication,
    /// A table in a publication.
    PublicationRel,
    /// A schema in a publication.
    PublicationTableInSchema,
    /// A subscription.
    Subscription,
    /// A subscription's table state.
    SubscriptionRel,
    /// Default privileges.
    DefaultAcl,
    /// An event trigger.
    EventTrigger,
    /// `REFRESH MATERIALIZED VIEW`.
    RefreshMatview,
}

impl ObjKind {
    /// The sort priority (pg_dump_sort.c's `dbObjectTypePriority`). Some kinds share one.
    pub fn priority(self) -> u8 {
        use ObjKind::*;
        match self {
            Namespace => 1,
            ProcLang => 2,
            Collation => 3,
            Transform => 4,
            Extension => 5,
            Type | ShellType => 6,
            Cast => 7,
            Func => 8,
            Agg => 9,
            AccessMethod => 10,
            Operator => 11,
            OpFamily | OpClass => 12,
            Conversion => 13,
            TsParser => 14,
            TsTemplate => 15,
            TsDict => 16,
            TsConfig => 17,
            Fdw => 18,
            ForeignServer => 19,
            Table => 20,
            TableAttach => 21,
            DummyType => 22,
            AttrDef => 23,
            PreDataBoundary => 24,
            TableData => 25,
            SequenceSet => 26,
            LargeObject => 27,
            LargeObjectData => 28,
            RelStats => 29,
            PostDataBoundary => 30,
            Constraint => 31,
            Index => 32,
            IndexAttach => 33,
            StatsExt => 34,
            Rule => 35,
            Trigger => 36,
            FkConstraint => 37,
            Policy => 38,
            Publication => 39,
            PublicationRel => 40,
            PublicationTableInSchema => 41,
            Subscription => 42,
            SubscriptionRel => 43,
            DefaultAcl => 44,
            EventTrigger => 45,
            RefreshMatview => 46,
        }
    }

    /// Whether objects of this kind belong to the pre-data section (before the boundary).
    pub fn is_pre_data(self) -> bool {
        self.priority() < ObjKind::PreDataBoundary.priority()
    }

    /// Whether objects of this kind belong to the post-data section.
    pub fn is_post_data(self) -> bool {
        self.priority() > ObjKind::PostDataBoundary.priority()
    }
}

/// Which parts of an object are dumped (pg_dump's `DUMP_COMPONENT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Components {
    /// The definition (CREATE ...).
    pub definition: bool,
    /// Data (rows, sequence values, large object contents).
    pub data: bool,
    /// Its comment.
    pub comment: bool,
    /// Its security labels.
    pub seclabel: bool,
    /// Its privileges.
    pub acl: bool,
    /// Its row-level security policies (tables).
    pub policy: bool,
}

impl Components {
    /// Everything.
    pub const ALL: Components = Components {
        definition: true,
        data: true,
        comment: true,
        seclabel: true,
        acl: true,
        policy: true,
    };
    /// Nothing.
    pub const NONE: Components = Components {
        definition: false,
        data: false,
        comment: false,
        seclabel: false,
        acl: false,
        policy: false,
    };
    /// Only privileges (extension members and built-in objects whose ACL changed).
    pub const ACL_ONLY: Components = Components {
        definition: false,
        data: false,
        comment: false,
        seclabel: false,
        acl: true,
        policy: false,
    };

    /// Whether anything at all is dumped.
    pub fn any(self) -> bool {
        self.definition || self.data || self.comment || self.seclabel || self.acl || self.policy
    }
}

/// Where an object's details live in the catalog model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing (boundaries).
    None,
    /// `catalog.namespaces[i]`.
    Namespace(usize),
    /// `catalog.extensions[i]`.
    Extension(usize),
    /// `catalog.relations.tables[i]`.
    Table(usize),
    /// A column default: table index and column index.
    AttrDef(usize, usize),
    /// The `DEFAULT NULL` pg_dump writes for a child column whose parent has a default it does not: table
    /// index and column index.
    NullDefault(usize, usize),
    /// A table's CHECK constraint: table index and check index.
    Check(usize, usize),
    /// A table's NOT NULL constraint (18): table index and not-null index.
    NotNull(usize, usize),
    /// Another kind's record, by its index in that kind's list (the emitter knows which list).
    Index(usize),
    /// A domain's constraint: the domain's index in `catalog.types.types` and the constraint's in its list.
    DomainConstraint(usize, usize),
}

/// One object to dump, with what it depends on.
#[derive(Debug, Clone)]
pub struct DumpObject {
    /// Its id (also the TOC entry's, for its main entry).
    pub id: DumpId,
    /// What kind of object.
    pub kind: ObjKind,
    /// Its address in the catalogs.
    pub catalog_id: CatalogId,
    /// The name pg_dump sorts by (`conname` for constraints, `relname` for tables, the table name for defaults).
    pub name: String,
    /// The schema's name, for objects in one.
    pub schema: Option<String>,
    /// The schema's OID (0 when none).
    pub namespace_oid: Oid,
    /// Further sort keys after priority, schema and name (argument types, column numbers...).
    pub tiebreak: Vec<String>,
    /// What is dumped of it.
    pub dump: Components,
    /// Where its details are.
    pub source: Source,
    /// The objects that must come before it.
    pub deps: Vec<DumpId>,
    /// A default or constraint that must be its own entry instead of part of its table's CREATE.
    pub separate: bool,
    /// A function or materialized view moved to post-data to break a dependency loop.
    pub postponed: bool,
    /// Whether loop repair may move it to post-data (materialized views).
    pub postponable: bool,
    /// For a default or constraint written inside its table's (or domain's) definition: that object. The
    /// item's pg_depend edge back to it is dropped up front and loop repair may make the item separate, so set
    /// it only for items that CREATE TABLE / CREATE DOMAIN can carry inline.
    pub owner_table: Option<DumpId>,
}

impl DumpObject {
    /// Adds a dependency unless it is already there.
    pub fn add_dep(&mut self, id: DumpId) {
        if id != self.id && !self.deps.contains(&id) {
            self.deps.push(id);
        }
    }

    /// Removes a dependency.
    pub fn remove_dep(&mut self, id: DumpId) {
        self.deps.retain(|d| *d != id);
    }
}
