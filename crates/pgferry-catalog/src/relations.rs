//! Relations: tables, partitions, views, materialized views, sequences and foreign tables, with their columns,
//! defaults, CHECK and NOT NULL constraints, inheritance and partitioning.

use std::collections::{HashMap, HashSet};

use pgferry_conn::ServerVersion;

use crate::query::{oid_array_literal, Reader};
use crate::row::Oid;
use crate::{Catalog, CatalogError, CatalogId};

/// Tables, views, sequences and the like.
#[derive(Debug, Clone, Default)]
pub struct RelationCatalog {
    /// Every relation outside the system schemas, by OID order.
    pub tables: Vec<Table>,
    /// `pg_inherits`: child OID -> parents in `inhseqno` order.
    pub parents: HashMap<Oid, Vec<Oid>>,
    /// The `_RETURN` rule of each view and materialized view: rule OID -> relation OID. pg_depend records a
    /// view's dependencies on this rule, not on the view.
    pub view_rules: HashMap<Oid, Oid>,
    /// Partitioned tables whose partitioning is unsafe to restore partition by partition (hash partitioning on
    /// an enum, whose hash codes depend on enum OIDs that change across dump and restore): their partitions'
    /// data is loaded through the root, as pg_dump forces.
    pub unsafe_partitions: HashSet<Oid>,
    /// OID -> index in `tables` (built by `Catalog::build_indexes`).
    pub(crate) by_oid: HashMap<Oid, usize>,
}

impl RelationCatalog {
    /// The relation with this OID.
    pub fn table(&self, oid: Oid) -> Option<&Table> {
        self.index_of(oid).map(|i| &self.tables[i])
    }

    /// The index of the relation with this OID in `tables`.
    pub fn index_of(&self, oid: Oid) -> Option<usize> {
        if self.by_oid.len() == self.tables.len() {
            self.by_oid.get(&oid).copied()
        } else {
            // A model built by hand, without indexes.
            self.tables.iter().position(|t| t.oid == oid)
        }
    }
}

/// One relation (`pg_class` row) of kind `r`, `p`, `v`, `m`, `f` or `S`.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// `pg_class.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The schema's OID.
    pub namespace: Oid,
    /// `schema.name`, quoted by the server, for LOCK statements.
    pub quoted_name: String,
    /// `relkind` as a byte.
    pub relkind: u8,
    /// `reltype`: the relation's row type.
    pub row_type: Oid,
    /// `relpersistence`: `p`, `u` or `t`.
    pub persistence: u8,
    /// The owner's role OID.
    pub owner: Oid,
    /// `relacl` as text.
    pub acl: Option<String>,
    /// `acldefault()` for the relation's kind and owner.
    pub acl_default: String,
    /// `reloptions` without `check_option`, as `name=value` items.
    pub reloptions: Vec<String>,
    /// The toast table's options.
    pub toast_reloptions: Vec<String>,
    /// A view's `WITH LOCAL|CASCADED CHECK OPTION`.
    pub check_option: Option<String>,
    /// Tablespace name, or `""` for the default.
    pub tablespace: String,
    /// The table access method (`heap`), for tables and materialized views.
    pub access_method: Option<String>,
    /// `relispartition`.
    pub is_partition: bool,
    /// `relispopulated` (materialized views).
    pub is_populated: bool,
    /// `relreplident`: `d`, `n`, `f` or `i`.
    pub replica_identity: u8,
    /// `relrowsecurity`.
    pub row_security: bool,
    /// `relforcerowsecurity`.
    pub force_row_security: bool,
    /// `reloftype` as `format_type` prints it, for typed tables.
    pub of_type: Option<String>,
    /// `relpages`, to dump large tables first.
    pub pages: i64,
    /// For a sequence owned by a column (serial or identity): the table and column number.
    pub owned_by: Option<(Oid, i32)>,
    /// Whether the sequence is an identity column's.
    pub is_identity_sequence: bool,
    /// Columns, in attnum order (dropped columns included, marked).
    pub columns: Vec<Column>,
    /// CHECK constraints, by name.
    pub checks: Vec<CheckConstraint>,
    /// NOT NULL constraints from `pg_constraint` (servers 18+; empty before).
    pub not_nulls: Vec<NotNullConstraint>,
    /// `pg_get_partkeydef()` for a partitioned table.
    pub partition_key: Option<String>,
    /// `pg_get_expr(relpartbound)` for a partition.
    pub partition_bound: Option<String>,
    /// `pg_get_viewdef()` for a view or materialized view.
    pub view_definition: Option<String>,
    /// Sequence parameters.
    pub sequence: Option<SequenceDef>,
    /// A foreign table's server and options.
    pub foreign: Option<ForeignTableDef>,
}

impl Table {
    /// The catalog address.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(crate::class::PG_CLASS, self.oid)
    }

    /// The column with this number.
    pub fn column(&self, attnum: i32) -> Option<&Column> {
        self.columns.iter().find(|c| c.attnum == attnum)
    }
}

/// A column (`pg_attribute` row with attnum > 0).
#[derive(Debug, Clone, Default)]
pub struct Column {
    /// `attnum`.
    pub attnum: i32,
    /// The name.
    pub name: String,
    /// `format_type(atttypid, atttypmod)`.
    pub type_name: String,
    /// `atttypid`.
    pub type_oid: Oid,
    /// `atttypid` with domains resolved to their base type: the type the server reports for the column's
    /// values in a result (INSERT-mode dumps quote values by it).
    pub base_type_oid: Oid,
    /// `attisdropped`.
    pub is_dropped: bool,
    /// `attnotnull`.
    pub not_null: bool,
    /// `attidentity`: `a` always, `d` by default, 0 none.
    pub identity: u8,
    /// `attgenerated`: `s` stored, `v` virtual (18), 0 none.
    pub generated: u8,
    /// `attislocal`.
    pub is_local: bool,
    /// `attinhcount`.
    pub inh_count: i32,
    /// The default (or generation) expression, `pg_get_expr(adbin)`.
    pub default: Option<String>,
    /// `pg_attrdef.oid` of the default.
    pub default_oid: Oid,
    /// The collation as (schema, name) when it differs from the type's default.
    pub collation: Option<(String, String)>,
    /// `attstorage`.
    pub storage: u8,
    /// The type's `typstorage`.
    pub type_storage: u8,
    /// `attcompression` (14+): `p`, `l` or 0.
    pub compression: u8,
    /// `attstattarget`, when set (not the default).
    pub stattarget: Option<i32>,
    /// `attoptions`, joined as pg_dump prints them.
    pub options: Option<String>,
    /// Foreign-table column options, rendered as `name 'value'` items.
    pub fdw_options: Vec<String>,
    /// `attacl`.
    pub acl: Option<String>,
}

/// A CHECK constraint on a table.
#[derive(Debug, Clone, Default)]
pub struct CheckConstraint {
    /// `pg_constraint.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// `pg_get_constraintdef()`.
    pub definition: String,
    /// `convalidated`.
    pub validated: bool,
    /// `conislocal`.
    pub is_local: bool,
    /// `coninhcount`.
    pub inh_count: i32,
    /// `connoinherit`.
    pub no_inherit: bool,
}

/// A NOT NULL constraint stored in `pg_constraint` (servers 18+).
#[derive(Debug, Clone, Default)]
pub struct NotNullConstraint {
    /// `pg_constraint.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The column number.
    pub attnum: i32,
    /// `connoinherit`.
    pub no_inherit: bool,
    /// `convalidated`.
    pub validated: bool,
    /// `conislocal`.
    pub is_local: bool,
    /// `coninhcount`.
    pub inh_count: i32,
    /// `pg_get_constraintdef()`, used for NOT VALID ones.
    pub definition: String,
}

/// `pg_sequence`.
#[derive(Debug, Clone, Default)]
pub struct SequenceDef {
    /// `format_type(seqtypid)`.
    pub type_name: String,
    /// `seqstart`.
    pub start: i64,
    /// `seqincrement`.
    pub increment: i64,
    /// `seqmax`.
    pub max: i64,
    /// `seqmin`.
    pub min: i64,
    /// `seqcache`.
    pub cache: i64,
    /// `seqcycle`.
    pub cycle: bool,
    /// The sequence's current `last_value`, when known: servers 18 and later report it with the parameters
    /// (`pg_get_sequence_data()`), earlier ones need one `SELECT last_value, is_called FROM seq` per sequence,
    /// which the dump runs for the sequences whose values it writes. `None` when not read (or not readable).
    pub last_value: Option<i64>,
    /// `is_called`, read with `last_value`.
    pub is_called: Option<bool>,
}

/// `pg_foreign_table`.
#[derive(Debug, Clone, Default)]
pub struct ForeignTableDef {
    /// The server's name.
    pub server: String,
    /// `ftserver`: the server's `pg_foreign_server` OID (`--include-foreign-data` selects by it).
    pub server_oid: Oid,
    /// Options rendered as `name 'value'` items, in option-name order.
    pub options: Vec<String>,
}

pub(crate) async fn read_tables(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = "SELECT c.oid, c.relname, c.relnamespace, c.relkind, c.reltype, c.relpersistence, c.relowner, c.relacl, \
                pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner) \
                  AS acldefault, \
                pg_catalog.format('%I.%I', n.nspname, c.relname) AS quoted_name, \
                pg_catalog.array_remove(pg_catalog.array_remove(c.reloptions, 'check_option=local'), \
                  'check_option=cascaded') AS reloptions, \
                CASE WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL' \
                     WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED' END AS checkoption, \
                tc.reloptions AS toast_reloptions, \
                COALESCE((SELECT spcname FROM pg_catalog.pg_tablespace s WHERE s.oid = c.reltablespace), '') \
                  AS tablespace, \
                am.amname, c.relispartition, c.relispopulated, c.relreplident, c.relrowsecurity, \
                c.relforcerowsecurity, \
                CASE WHEN c.reloftype <> 0 THEN c.reloftype::pg_catalog.regtype::text END AS reloftype, \
                c.relpages, d.refobjid AS owning_tab, d.refobjsubid AS owning_col, \
                (d.deptype = 'i') AS is_identity_sequence \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_depend d ON c.relkind = 'S' AND d.classid = 'pg_catalog.pg_class'::regclass \
              AND d.objid = c.oid AND d.objsubid = 0 AND d.refclassid = 'pg_catalog.pg_class'::regclass \
              AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_catalog.pg_class tc ON c.reltoastrelid = tc.oid AND c.relkind <> 'p' \
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam \
         WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') \
           AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' \
         ORDER BY c.oid";
    for row in reader.rows("tables", sql).await? {
        let owning_tab = row.oid("owning_tab")?;
        catalog.relations.tables.push(Table {
            oid: row.oid("oid")?,
            name: row.text("relname")?,
            namespace: row.oid("relnamespace")?,
            quoted_name: row.text("quoted_name")?,
            relkind: row.char("relkind")?,
            row_type: row.oid("reltype")?,
            persistence: row.char("relpersistence")?,
            owner: row.oid("relowner")?,
            acl: row.opt_text("relacl")?,
            acl_default: row.text_or_empty("acldefault")?,
            reloptions: row.text_array("reloptions")?,
            toast_reloptions: row.text_array("toast_reloptions")?,
            check_option: row.opt_text("checkoption")?,
            tablespace: row.text_or_empty("tablespace")?,
            access_method: row.opt_text("amname")?,
            is_partition: row.bool("relispartition")?,
            is_populated: row.bool("relispopulated")?,
            replica_identity: row.char("relreplident")?,
            row_security: row.bool("relrowsecurity")?,
            force_row_security: row.bool("relforcerowsecurity")?,
            of_type: row.opt_text("reloftype")?,
            pages: row.opt_i64("relpages")?.unwrap_or(0),
            owned_by: (owning_tab != 0).then(|| (owning_tab, row.i32("owning_col").unwrap_or(0))),
            is_identity_sequence: row.bool("is_identity_sequence")?,
            ..Table::default()
        });
    }
    // Inheritance is plain catalog data: read before locking, so that selection can follow it
    // (--table-and-children).
    let sql = "SELECT inhrelid, inhparent FROM pg_catalog.pg_inherits ORDER BY inhrelid, inhseqno";
    for row in reader.rows("inheritance", sql).await? {
        catalog
            .relations
            .parents
            .entry(row.oid("inhrelid")?)
            .or_default()
            .push(row.oid("inhparent")?);
    }
    Ok(())
}

/// Everything that needs the tables locked: columns, defaults, constraints, partitioning, view definitions.
pub(crate) async fn read_details(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let version = reader.version();
    let index: HashMap<Oid, usize> = catalog
        .relations
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.oid, i))
        .collect();
    let with_columns = oid_array_literal(
        catalog
            .relations
            .tables
            .iter()
            .filter(|t| t.relkind != b'S')
            .map(|t| t.oid),
    );

    // Column history: 14 added attcompression; 17 made attstattarget nullable (NULL = default), before it -1
    // meant the default.
    let compression = if version >= ServerVersion::V14 {
        "a.attcompression"
    } else {
        "''::\"char\" AS attcompression"
    };
    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname, a.attisdropped, a.attnotnull, a.attidentity, a.attgenerated, \
                a.attislocal, a.attinhcount, a.atttypid, \
                pg_catalog.format_type(a.atttypid, a.atttypmod) AS typname, \
                a.attstorage, t.typstorage, {compression}, \
                CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END AS stattarget, \
                pg_catalog.array_to_string(a.attoptions, ', ') AS attoptions, \
                CASE WHEN a.attcollation <> t.typcollation THEN \
                  (SELECT cn.nspname FROM pg_catalog.pg_collation co \
                     JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) \
                END AS collschema, \
                CASE WHEN a.attcollation <> t.typcollation THEN \
                  (SELECT co.collname FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation) \
                END AS collname, \
                ARRAY(SELECT pg_catalog.quote_ident(option_name) || ' ' || pg_catalog.quote_literal(option_value) \
                      FROM pg_catalog.pg_options_to_table(a.attfdwoptions) ORDER BY option_name) AS fdwoptions, \
                a.attacl, ad.oid AS adoid, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS adsrc \
         FROM pg_catalog.pg_attribute a \
         LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         WHERE a.attrelid = ANY ({with_columns}) AND a.attnum > 0 \
         ORDER BY a.attrelid, a.attnum"
    );
    for row in reader.rows("columns", &sql).await? {
        let Some(&i) = index.get(&row.oid("attrelid")?) else {
            continue;
        };
        let collation = match (row.opt_text("collschema")?, row.opt_text("collname")?) {
            (Some(schema), Some(name)) => Some((schema, name)),
            _ => None,
        };
        catalog.relations.tables[i].columns.push(Column {
            attnum: row.i32("attnum")?,
            name: row.text("attname")?,
            type_name: row.text_or_empty("typname")?,
            type_oid: row.oid("atttypid")?,
            base_type_oid: 0,
            is_dropped: row.bool("attisdropped")?,
            not_null: row.bool("attnotnull")?,
            identity: row.char("attidentity")?,
            generated: row.char("attgenerated")?,
            is_local: row.bool("attislocal")?,
            inh_count: row.i32("attinhcount")?,
            default: row.opt_text("adsrc")?,
            default_oid: row.oid("adoid")?,
            collation,
            storage: row.char("attstorage")?,
            type_storage: row.char("typstorage")?,
            compression: row.char("attcompression")?,
            stattarget: row.opt_i64("stattarget")?.map(|v| v as i32),
            options: row.opt_text("attoptions")?.filter(|o| !o.is_empty()),
            fdw_options: row.text_array("fdwoptions")?,
            acl: row.opt_text("attacl")?,
        });
    }

    let sql = format!(
        "SELECT c.oid, c.conrelid, c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS condef, \
                c.convalidated, c.conislocal, c.coninhcount, c.connoinherit \
         FROM pg_catalog.pg_constraint c \
         WHERE c.contype = 'c' AND c.conrelid = ANY ({with_columns}) ORDER BY c.conrelid, c.conname"
    );
    for row in reader.rows("check constraints", &sql).await? {
        let Some(&i) = index.get(&row.oid("conrelid")?) else {
            continue;
        };
        catalog.relations.tables[i].checks.push(CheckConstraint {
            oid: row.oid("oid")?,
            name: row.text("conname")?,
            definition: row.text_or_empty("condef")?,
            validated: row.bool("convalidated")?,
            is_local: row.bool("conislocal")?,
            inh_count: row.i32("coninhcount")?,
            no_inherit: row.bool("connoinherit")?,
        });
    }

    // 18 stores table NOT NULL constraints in pg_constraint, with names; before, only attnotnull exists.
    if version >= ServerVersion::V18 {
        let sql = format!(
            "SELECT c.oid, c.conrelid, c.conname, c.conkey[1] AS attnum, c.connoinherit, c.convalidated, \
                    c.conislocal, c.coninhcount, pg_catalog.pg_get_constraintdef(c.oid) AS condef \
             FROM pg_catalog.pg_constraint c \
             WHERE c.contype = 'n' AND c.conrelid = ANY ({with_columns}) ORDER BY c.conrelid, c.conkey[1]"
        );
        for row in reader.rows("not-null constraints", &sql).await? {
            let Some(&i) = index.get(&row.oid("conrelid")?) else {
                continue;
            };
            catalog.relations.tables[i]
                .not_nulls
                .push(NotNullConstraint {
                    oid: row.oid("oid")?,
                    name: row.text("conname")?,
                    attnum: row.i32("attnum")?,
                    no_inherit: row.bool("connoinherit")?,
                    validated: row.bool("convalidated")?,
                    is_local: row.bool("conislocal")?,
                    inh_count: row.i32("coninhcount")?,
                    definition: row.text_or_empty("condef")?,
                });
        }
    }

    let sql = "SELECT oid, ev_class FROM pg_catalog.pg_rewrite WHERE rulename = '_RETURN'";
    for row in reader.rows("view rules", sql).await? {
        catalog
            .relations
            .view_rules
            .insert(row.oid("oid")?, row.oid("ev_class")?);
    }

    let sql = format!(
        "SELECT c.oid, \
                CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey, \
                CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound, \
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef \
         FROM pg_catalog.pg_class c \
         WHERE c.oid = ANY ({with_columns}) AND (c.relkind IN ('p', 'v', 'm') OR c.relispartition)"
    );
    for row in reader.rows("partitioning and views", &sql).await? {
        let Some(&i) = index.get(&row.oid("oid")?) else {
            continue;
        };
        let table = &mut catalog.relations.tables[i];
        table.partition_key = row.opt_text("partkey")?;
        table.partition_bound = row.opt_text("partbound")?;
        table.view_definition = row.opt_text("viewdef")?;
    }

    // 18 reports every sequence's current value with its parameters (NULL where the user may not read it);
    // before 18 the dump reads the values of the sequences it writes one by one, as pg_dump does.
    let values = if version >= ServerVersion::V18 {
        ", d.last_value, d.is_called \
         FROM pg_catalog.pg_sequence s, pg_catalog.pg_get_sequence_data(s.seqrelid) d"
    } else {
        ", NULL::pg_catalog.int8 AS last_value, NULL::pg_catalog.bool AS is_called \
         FROM pg_catalog.pg_sequence s"
    };
    let sql = format!(
        "SELECT s.seqrelid, pg_catalog.format_type(s.seqtypid, NULL) AS typname, s.seqstart, \
                s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle{values}"
    );
    for row in reader.rows("sequences", &sql).await? {
        let Some(&i) = index.get(&row.oid("seqrelid")?) else {
            continue;
        };
        catalog.relations.tables[i].sequence = Some(SequenceDef {
            type_name: row.text("typname")?,
            start: row.i64("seqstart")?,
            increment: row.i64("seqincrement")?,
            max: row.i64("seqmax")?,
            min: row.i64("seqmin")?,
            cache: row.i64("seqcache")?,
            cycle: row.bool("seqcycle")?,
            last_value: row.opt_i64("last_value")?,
            is_called: row.opt_text("is_called")?.map(|called| called == "t"),
        });
    }

    let sql = "SELECT ft.ftrelid, ft.ftserver, s.srvname, \
                      ARRAY(SELECT pg_catalog.quote_ident(option_name) || ' ' || \
                                   pg_catalog.quote_literal(option_value) \
                            FROM pg_catalog.pg_options_to_table(ft.ftoptions) ORDER BY option_name) AS options \
               FROM pg_catalog.pg_foreign_table ft \
               JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver";
    for row in reader.rows("foreign tables", sql).await? {
        let Some(&i) = index.get(&row.oid("ftrelid")?) else {
            continue;
        };
        catalog.relations.tables[i].foreign = Some(ForeignTableDef {
            server: row.text("srvname")?,
            server_oid: row.oid("ftserver")?,
            options: row.text_array("options")?,
        });
    }

    // A result reports a domain column with its base type; data dumped as INSERTs is quoted by that type.
    let sql = "SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.typtype = 'd'";
    let mut domains: HashMap<Oid, Oid> = HashMap::new();
    for row in reader.rows("domain base types", sql).await? {
        domains.insert(row.oid("oid")?, row.oid("typbasetype")?);
    }
    for column in catalog
        .relations
        .tables
        .iter_mut()
        .flat_map(|t| t.columns.iter_mut())
    {
        column.base_type_oid = base_type(&domains, column.type_oid);
    }

    // Hash partitioning on an enum places rows by the enum values' OIDs, which a restore does not keep: pg_dump
    // loads the partitions of such tables through their root (the same query as pg_dump's).
    let sql = "SELECT p.partrelid FROM pg_catalog.pg_partitioned_table p \
               WHERE (SELECT c.oid FROM pg_catalog.pg_opclass c \
                      JOIN pg_catalog.pg_am a ON c.opcmethod = a.oid \
                      WHERE c.opcname = 'enum_ops' AND c.opcnamespace = 'pg_catalog'::pg_catalog.regnamespace \
                        AND a.amname = 'hash') = ANY (p.partclass)";
    for row in reader.rows("unsafe partitioning", sql).await? {
        catalog
            .relations
            .unsafe_partitions
            .insert(row.oid("partrelid")?);
    }
    Ok(())
}

/// `type_oid` with domains (of domains) resolved to the base type.
fn base_type(domains: &HashMap<Oid, Oid>, type_oid: Oid) -> Oid {
    let mut current = type_oid;
    // A domain chain cannot loop; the bound only guards against a damaged catalog.
    for _ in 0..64 {
        match domains.get(&current) {
            Some(&base) if base != 0 => current = base,
            _ => break,
        }
    }
    current
}
