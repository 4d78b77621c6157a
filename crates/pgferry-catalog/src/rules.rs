//! Indexes, key and foreign-key constraints, triggers, rules, policies, extended statistics and event triggers.
//!
//! Everything here hangs off a table except event triggers. Every query is restricted server-side to the
//! relations read by `relations.rs` (an `oid[]` literal), because the deparse functions it calls
//! (`pg_get_indexdef`, `pg_get_constraintdef`, `pg_get_triggerdef`, `pg_get_ruledef`, `pg_get_expr`,
//! `pg_get_statisticsobjdef`) must only run on tables the dump has locked.

use std::collections::HashMap;

use pgferry_conn::ServerVersion;

use crate::query::{oid_array_literal, Reader};
use crate::row::Oid;
use crate::{class, Catalog, CatalogError, CatalogId};

/// Indexes, key and foreign-key constraints, triggers, rules, policies, extended statistics and event triggers.
#[derive(Debug, Clone, Default)]
pub struct RuleCatalog {
    /// Valid (or partitioned-table) indexes, with the PRIMARY KEY / UNIQUE / EXCLUDE constraint they back,
    /// ordered by table OID and index name.
    pub indexes: Vec<Index>,
    /// Foreign keys that are not partition clones, ordered by table OID and name.
    pub foreign_keys: Vec<ForeignKey>,
    /// Table triggers pg_dump dumps (user triggers, and partition clones whose enabled state differs from
    /// their parent's), ordered by table OID and name.
    pub triggers: Vec<Trigger>,
    /// Rewrite rules other than the ON SELECT rules of views and materialized views, by OID.
    pub rules: Vec<Rule>,
    /// Row-level security policies of tables and partitioned tables.
    pub policies: Vec<Policy>,
    /// Extended statistics objects, by OID.
    pub statistics: Vec<ExtendedStatistics>,
    /// Event triggers, by OID.
    pub event_triggers: Vec<EventTrigger>,
    /// Index OID -> position in `indexes` (built when the indexes are read).
    index_by_oid: HashMap<Oid, usize>,
}

impl RuleCatalog {
    /// The position of the index with this OID in `indexes`.
    pub fn index_position(&self, oid: Oid) -> Option<usize> {
        if self.index_by_oid.len() == self.indexes.len() {
            self.index_by_oid.get(&oid).copied()
        } else {
            // A model built by hand, without the lookup.
            self.indexes.iter().position(|i| i.oid == oid)
        }
    }

    /// The index with this OID.
    pub fn index(&self, oid: Oid) -> Option<&Index> {
        self.index_position(oid).map(|i| &self.indexes[i])
    }
}

/// An index (`pg_index` joined with its `pg_class` row).
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// `pg_class.oid` of the index.
    pub oid: Oid,
    /// Its name (the schema is the table's).
    pub name: String,
    /// The indexed table (`indrelid`).
    pub table: Oid,
    /// `pg_get_indexdef(indexrelid)`.
    pub definition: String,
    /// `indkey`: table column numbers, 0 for expressions.
    pub keys: Vec<i64>,
    /// `indnkeyatts`: how many of `keys` are key columns (the rest are INCLUDE columns).
    pub key_count: usize,
    /// `indnatts`.
    pub column_count: usize,
    /// `indisclustered`.
    pub is_clustered: bool,
    /// `indisreplident`.
    pub is_replica_identity: bool,
    /// `indnullsnotdistinct` (15+; false before).
    pub nulls_not_distinct: bool,
    /// The partitioned index this one is attached to (`pg_inherits.inhparent`), or 0.
    pub parent: Oid,
    /// The tablespace name, or `""` for the database default.
    pub tablespace: String,
    /// The index's `reloptions`, as `name=value` items.
    pub reloptions: Vec<String>,
    /// Index columns with a statistics target set: (column number in the index, target).
    pub stat_targets: Vec<(i64, i64)>,
    /// The PRIMARY KEY, UNIQUE or EXCLUDE constraint the index implements, if any.
    pub constraint: Option<KeyConstraint>,
}

impl Index {
    /// The catalog address of the index.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_CLASS, self.oid)
    }
}

/// A PRIMARY KEY, UNIQUE or EXCLUDE constraint, found through the index that implements it.
#[derive(Debug, Clone, Default)]
pub struct KeyConstraint {
    /// `pg_constraint.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// `contype`: `p`, `u` or `x`.
    pub contype: u8,
    /// `condeferrable`.
    pub deferrable: bool,
    /// `condeferred`.
    pub deferred: bool,
    /// `conperiod` (18+: `WITHOUT OVERLAPS`; false before).
    pub period: bool,
    /// `pg_get_constraintdef(oid, false)`, used for EXCLUDE constraints.
    pub definition: String,
}

impl KeyConstraint {
    /// The catalog address of the constraint.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_CONSTRAINT, self.oid)
    }
}

/// A foreign key (`pg_constraint` with `contype = 'f'` and `conparentid = 0`).
#[derive(Debug, Clone, Default)]
pub struct ForeignKey {
    /// `pg_constraint.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The referencing table (`conrelid`).
    pub table: Oid,
    /// The referenced table (`confrelid`).
    pub referenced_table: Oid,
    /// The referenced unique index (`conindid`).
    pub referenced_index: Oid,
    /// `pg_get_constraintdef(oid)`.
    pub definition: String,
}

impl ForeignKey {
    /// The catalog address of the constraint.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_CONSTRAINT, self.oid)
    }
}

/// A table trigger (`pg_trigger`).
#[derive(Debug, Clone, Default)]
pub struct Trigger {
    /// `pg_trigger.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The table (`tgrelid`).
    pub table: Oid,
    /// `pg_get_triggerdef(oid, false)`.
    pub definition: String,
    /// `tgenabled`: `O`, `D`, `R` or `A`.
    pub enabled: u8,
    /// Whether this is a partition's clone of its parent's trigger, listed only because its enabled state
    /// differs: it is dumped as an `ALTER TABLE ... TRIGGER` alone.
    pub is_partition_clone: bool,
}

impl Trigger {
    /// The catalog address of the trigger.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_TRIGGER, self.oid)
    }
}

/// A rewrite rule (`pg_rewrite`).
#[derive(Debug, Clone, Default)]
pub struct Rule {
    /// `pg_rewrite.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The table or view (`ev_class`).
    pub table: Oid,
    /// `ev_enabled`: `O`, `D`, `R` or `A`.
    pub enabled: u8,
    /// `pg_get_ruledef(oid)`.
    pub definition: String,
}

impl Rule {
    /// The catalog address of the rule.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_REWRITE, self.oid)
    }
}

/// A row-level security policy (`pg_policy`).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `pg_policy.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The table (`polrelid`).
    pub table: Oid,
    /// `polcmd`: `*`, `r`, `a`, `w` or `d`.
    pub command: u8,
    /// `polpermissive`.
    pub permissive: bool,
    /// The roles, quoted and joined by `, `; `None` for PUBLIC.
    pub roles: Option<String>,
    /// `pg_get_expr(polqual, polrelid)`.
    pub using: Option<String>,
    /// `pg_get_expr(polwithcheck, polrelid)`.
    pub with_check: Option<String>,
}

impl Policy {
    /// The catalog address of the policy.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_POLICY, self.oid)
    }
}

/// An extended statistics object (`pg_statistic_ext`).
#[derive(Debug, Clone, Default)]
pub struct ExtendedStatistics {
    /// `pg_statistic_ext.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// Its schema (which need not be the table's).
    pub namespace: Oid,
    /// The owner's role OID.
    pub owner: Oid,
    /// The table (`stxrelid`).
    pub table: Oid,
    /// `stxstattarget` when set (13+), `None` for the default.
    pub stat_target: Option<i64>,
    /// `pg_get_statisticsobjdef(oid)`.
    pub definition: String,
}

impl ExtendedStatistics {
    /// The catalog address of the statistics object.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_STATISTIC_EXT, self.oid)
    }
}

/// An event trigger (`pg_event_trigger`).
#[derive(Debug, Clone, Default)]
pub struct EventTrigger {
    /// `pg_event_trigger.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// `evtevent`.
    pub event: String,
    /// The owner's role OID.
    pub owner: Oid,
    /// `evtenabled`: `O`, `D`, `R` or `A`.
    pub enabled: u8,
    /// The tags, each a quoted literal, joined by `, ` (empty when there is no WHEN clause).
    pub tags: String,
    /// The function, as `evtfoid::regproc` prints it.
    pub function: String,
}

impl EventTrigger {
    /// The catalog address of the event trigger.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_EVENT_TRIGGER, self.oid)
    }
}

pub(crate) async fn read(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let tables = &catalog.relations.tables;
    let with_kind = |kinds: &[u8]| {
        oid_array_literal(
            tables
                .iter()
                .filter(|t| kinds.contains(&t.relkind))
                .map(|t| t.oid),
        )
    };
    let indexed = with_kind(b"rpm");
    let constrained = with_kind(b"rpf");
    let triggered = with_kind(b"rpvf");
    let secured = with_kind(b"rp");
    let with_rules = with_kind(b"rpvmf");
    let with_stats = with_kind(b"rpmf");

    read_indexes(reader, catalog, &indexed).await?;
    read_foreign_keys(reader, catalog, &constrained).await?;
    read_triggers(reader, catalog, &triggered).await?;
    read_rules(reader, catalog, &with_rules).await?;
    read_policies(reader, catalog, &secured).await?;
    read_statistics(reader, catalog, &with_stats).await?;
    read_event_triggers(reader, catalog).await?;
    Ok(())
}

async fn read_indexes(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
    tables: &str,
) -> Result<(), CatalogError> {
    let version = reader.version();
    // 15 added NULLS NOT DISTINCT; 18 added WITHOUT OVERLAPS (conperiod).
    let nulls_not_distinct = if version >= ServerVersion::V15 {
        "i.indnullsnotdistinct"
    } else {
        "false AS indnullsnotdistinct"
    };
    let period = if version >= ServerVersion::V18 {
        "c.conperiod"
    } else {
        "false AS conperiod"
    };
    // Invalid indexes are left out, except on partitioned tables (an index there is invalid until every
    // partition has one attached, and must still be recreated); so are indexes not ready for inserts.
    // attstattarget >= 0 leaves out the default (-1, or NULL from 17 on).
    let sql = format!(
        "SELECT i.indexrelid, i.indrelid, t.relname AS indexname, \
                pg_catalog.pg_get_indexdef(i.indexrelid) AS indexdef, i.indkey, i.indnkeyatts, i.indnatts, \
                i.indisclustered, i.indisreplident, {nulls_not_distinct}, \
                COALESCE(inh.inhparent, 0) AS parentidx, \
                COALESCE((SELECT spcname FROM pg_catalog.pg_tablespace s WHERE s.oid = t.reltablespace), '') \
                  AS tablespace, \
                t.reloptions AS indreloptions, \
                ARRAY(SELECT a.attnum FROM pg_catalog.pg_attribute a \
                      WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum) \
                  AS indstatcols, \
                ARRAY(SELECT a.attstattarget FROM pg_catalog.pg_attribute a \
                      WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum) \
                  AS indstatvals, \
                c.oid AS conoid, c.conname, c.contype, c.condeferrable, c.condeferred, {period}, \
                CASE WHEN c.contype = 'x' THEN pg_catalog.pg_get_constraintdef(c.oid, false) END AS condef \
         FROM unnest({tables}) AS src(tbloid) \
         JOIN pg_catalog.pg_index i ON i.indrelid = src.tbloid \
         JOIN pg_catalog.pg_class t ON t.oid = i.indexrelid \
         JOIN pg_catalog.pg_class t2 ON t2.oid = i.indrelid \
         LEFT JOIN pg_catalog.pg_constraint c ON i.indrelid = c.conrelid AND i.indexrelid = c.conindid \
              AND c.contype IN ('p', 'u', 'x') \
         LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = i.indexrelid \
         WHERE (i.indisvalid OR t2.relkind = 'p') AND i.indisready \
         ORDER BY i.indrelid, indexname"
    );
    for row in reader.rows("indexes", &sql).await? {
        let conoid = row.oid("conoid")?;
        let constraint = if conoid != 0 {
            Some(KeyConstraint {
                oid: conoid,
                name: row.text("conname")?,
                contype: row.char("contype")?,
                deferrable: row.bool("condeferrable")?,
                deferred: row.bool("condeferred")?,
                period: row.bool("conperiod")?,
                definition: row.text_or_empty("condef")?,
            })
        } else {
            None
        };
        let columns = row.int_vector("indstatcols")?;
        let values = row.int_vector("indstatvals")?;
        catalog.rules.indexes.push(Index {
            oid: row.oid("indexrelid")?,
            name: row.text("indexname")?,
            table: row.oid("indrelid")?,
            definition: row.text_or_empty("indexdef")?,
            keys: row.int_vector("indkey")?,
            key_count: row.i64("indnkeyatts")?.max(0) as usize,
            column_count: row.i64("indnatts")?.max(0) as usize,
            is_clustered: row.bool("indisclustered")?,
            is_replica_identity: row.bool("indisreplident")?,
            nulls_not_distinct: row.bool("indnullsnotdistinct")?,
            parent: row.oid("parentidx")?,
            tablespace: row.text_or_empty("tablespace")?,
            reloptions: row.text_array("indreloptions")?,
            stat_targets: columns.into_iter().zip(values).collect(),
            constraint,
        });
    }
    catalog.rules.index_by_oid = catalog
        .rules
        .indexes
        .iter()
        .enumerate()
        .map(|(i, index)| (index.oid, i))
        .collect();
    Ok(())
}

async fn read_foreign_keys(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
    tables: &str,
) -> Result<(), CatalogError> {
    // Foreign keys a partition inherited from its parent (conparentid <> 0) come back with ATTACH.
    let sql = format!(
        "SELECT c.oid, c.conrelid, c.conname, c.confrelid, c.conindid, \
                pg_catalog.pg_get_constraintdef(c.oid) AS condef \
         FROM unnest({tables}) AS src(tbloid) \
         JOIN pg_catalog.pg_constraint c ON c.conrelid = src.tbloid \
         WHERE c.contype = 'f' AND c.conparentid = 0 \
         ORDER BY c.conrelid, c.conname"
    );
    for row in reader.rows("foreign keys", &sql).await? {
        catalog.rules.foreign_keys.push(ForeignKey {
            oid: row.oid("oid")?,
            name: row.text("conname")?,
            table: row.oid("conrelid")?,
            referenced_table: row.oid("confrelid")?,
            referenced_index: row.oid("conindid")?,
            definition: row.text_or_empty("condef")?,
        });
    }
    Ok(())
}

async fn read_triggers(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
    tables: &str,
) -> Result<(), CatalogError> {
    let version = reader.version();
    // Triggers cloned onto partitions are listed only when their enabled state differs from the parent's
    // (then only an ALTER TABLE ... ENABLE/DISABLE TRIGGER is written). How a clone is recognised changed:
    // 15+ clones are ordinary triggers with tgparentid set; 13 and 14 clones are internal with tgparentid;
    // 12 has no tgparentid, so the parent is found through pg_depend.
    let (clone, join, filter) = if version >= ServerVersion::V15 {
        (
            "t.tgparentid <> 0",
            "LEFT JOIN pg_catalog.pg_trigger u ON u.oid = t.tgparentid",
            "(NOT t.tgisinternal AND t.tgparentid = 0) OR t.tgenabled <> u.tgenabled",
        )
    } else if version >= ServerVersion::V13 {
        (
            "t.tgisinternal",
            "LEFT JOIN pg_catalog.pg_trigger u ON u.oid = t.tgparentid",
            "NOT t.tgisinternal OR t.tgenabled <> u.tgenabled",
        )
    } else {
        (
            "t.tgisinternal",
            "LEFT JOIN pg_catalog.pg_depend d ON \
               d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND \
               d.refclassid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND d.objid = t.oid \
             LEFT JOIN pg_catalog.pg_trigger u ON u.oid = d.refobjid",
            "NOT t.tgisinternal OR t.tgenabled <> u.tgenabled",
        )
    };
    // Never pretty-printed: pretty mode under-parenthesises WHEN clauses.
    let sql = format!(
        "SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false) AS tgdef, \
                t.tgenabled, {clone} AS tgispartition \
         FROM unnest({tables}) AS src(tbloid) \
         JOIN pg_catalog.pg_trigger t ON t.tgrelid = src.tbloid \
         {join} \
         WHERE {filter} \
         ORDER BY t.tgrelid, t.tgname"
    );
    for row in reader.rows("triggers", &sql).await? {
        catalog.rules.triggers.push(Trigger {
            oid: row.oid("oid")?,
            name: row.text("tgname")?,
            table: row.oid("tgrelid")?,
            definition: row.text_or_empty("tgdef")?,
            enabled: row.char("tgenabled")?,
            is_partition_clone: row.bool("tgispartition")?,
        });
    }
    Ok(())
}

async fn read_rules(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
    tables: &str,
) -> Result<(), CatalogError> {
    // The ON SELECT rule of a view or materialized view is its definition, written by CREATE VIEW.
    let sql = format!(
        "SELECT r.oid, r.rulename, r.ev_class, r.ev_enabled, pg_catalog.pg_get_ruledef(r.oid) AS ruledef \
         FROM unnest({tables}) AS src(tbloid) \
         JOIN pg_catalog.pg_rewrite r ON r.ev_class = src.tbloid \
         JOIN pg_catalog.pg_class c ON c.oid = r.ev_class \
         WHERE NOT (r.ev_type = '1' AND r.is_instead AND c.relkind IN ('v', 'm')) \
         ORDER BY r.oid"
    );
    for row in reader.rows("rules", &sql).await? {
        catalog.rules.rules.push(Rule {
            oid: row.oid("oid")?,
            name: row.text("rulename")?,
            table: row.oid("ev_class")?,
            enabled: row.char("ev_enabled")?,
            definition: row.text_or_empty("ruledef")?,
        });
    }
    Ok(())
}

async fn read_policies(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
    tables: &str,
) -> Result<(), CatalogError> {
    // polroles '{0}' is PUBLIC.
    let sql = format!(
        "SELECT pol.oid, pol.polrelid, pol.polname, pol.polcmd, pol.polpermissive, \
                CASE WHEN pol.polroles = '{{0}}' THEN NULL ELSE \
                  pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(rolname) \
                    FROM pg_catalog.pg_roles WHERE oid = ANY (pol.polroles)), ', ') END AS polroles, \
                pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS polqual, \
                pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS polwithcheck \
         FROM unnest({tables}) AS src(tbloid) \
         JOIN pg_catalog.pg_policy pol ON pol.polrelid = src.tbloid \
         ORDER BY pol.oid"
    );
    for row in reader.rows("policies", &sql).await? {
        catalog.rules.policies.push(Policy {
            oid: row.oid("oid")?,
            name: row.text("polname")?,
            table: row.oid("polrelid")?,
            command: row.char("polcmd")?,
            permissive: row.bool("polpermissive")?,
            roles: row.opt_text("polroles")?,
            using: row.opt_text("polqual")?,
            with_check: row.opt_text("polwithcheck")?,
        });
    }
    Ok(())
}

async fn read_statistics(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
    tables: &str,
) -> Result<(), CatalogError> {
    let version = reader.version();
    // 13 added stxstattarget (-1 = default); 17 made it nullable (NULL = default).
    let target = if version >= ServerVersion::V13 {
        "CASE WHEN s.stxstattarget >= 0 THEN s.stxstattarget END AS stxstattarget"
    } else {
        "NULL::integer AS stxstattarget"
    };
    let sql = format!(
        "SELECT s.oid, s.stxname, s.stxnamespace, s.stxowner, s.stxrelid, {target}, \
                pg_catalog.pg_get_statisticsobjdef(s.oid) AS stxdef \
         FROM unnest({tables}) AS src(tbloid) \
         JOIN pg_catalog.pg_statistic_ext s ON s.stxrelid = src.tbloid \
         ORDER BY s.oid"
    );
    for row in reader.rows("extended statistics", &sql).await? {
        catalog.rules.statistics.push(ExtendedStatistics {
            oid: row.oid("oid")?,
            name: row.text("stxname")?,
            namespace: row.oid("stxnamespace")?,
            owner: row.oid("stxowner")?,
            table: row.oid("stxrelid")?,
            stat_target: row.opt_i64("stxstattarget")?,
            definition: row.text_or_empty("stxdef")?,
        });
    }
    Ok(())
}

async fn read_event_triggers(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = "SELECT e.oid, e.evtname, e.evtevent, e.evtowner, e.evtenabled, \
                      pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(x) \
                        FROM pg_catalog.unnest(e.evttags) AS t(x)), ', ') AS evttags, \
                      e.evtfoid::pg_catalog.regproc AS evtfname \
               FROM pg_catalog.pg_event_trigger e ORDER BY e.oid";
    for row in reader.rows("event triggers", sql).await? {
        catalog.rules.event_triggers.push(EventTrigger {
            oid: row.oid("oid")?,
            name: row.text("evtname")?,
            event: row.text("evtevent")?,
            owner: row.oid("evtowner")?,
            enabled: row.char("evtenabled")?,
            tags: row.text_or_empty("evttags")?,
            function: row.text_or_empty("evtfname")?,
        });
    }
    Ok(())
}
