//! Functions, procedures, aggregates, operators, operator classes and operator families.
//!
//! One query per kind. Most of the text pg_dump prints comes from the server: argument lists
//! (`pg_get_function_arguments`, `pg_get_function_identity_arguments`), results (`pg_get_function_result`),
//! SQL-standard bodies (`pg_get_function_sqlbody`, 14+), and `regproc`/`regprocedure`/`regtype`/`regoperator`
//! output, which the session's empty `search_path` makes schema-qualified wherever it has to be.

use pgferry_conn::ServerVersion;

use crate::query::Reader;
use crate::row::{Oid, Row};
use crate::{class, Catalog, CatalogError, CatalogId, Depend, LAST_SYSTEM_OID};

/// Functions, procedures, aggregates, operators, operator classes and operator families.
#[derive(Debug, Clone, Default)]
pub struct FunctionCatalog {
    /// Functions and procedures (not aggregates), by OID order: everything outside `pg_catalog`, and the
    /// `pg_catalog` functions that a user cast or transform uses or whose ACL differs from initdb's.
    pub functions: Vec<Function>,
    /// Aggregates, chosen the same way.
    pub aggregates: Vec<Aggregate>,
    /// Operators outside `pg_catalog` (shell operators included; they are never dumped).
    pub operators: Vec<Operator>,
    /// Operator families outside `pg_catalog`.
    pub opfamilies: Vec<OpFamily>,
    /// Operator classes outside `pg_catalog`.
    pub opclasses: Vec<OpClass>,
    /// `pg_amop`/`pg_amproc` rows tied by pg_depend to an operator class or family (the members each CREATE
    /// OPERATOR CLASS or ALTER OPERATOR FAMILY ... ADD lists).
    pub members: Vec<OpMember>,
    /// The dependencies of operator family members (`pg_amop`, `pg_amproc`) on other objects, reported as
    /// dependencies of their family, as pg_dump does (internal ones and those on the family itself left out).
    pub member_depends: Vec<Depend>,
}

/// A function or procedure (`pg_proc` row whose `prokind` is not `a`).
#[derive(Debug, Clone, Default)]
pub struct Function {
    /// `pg_proc.oid`.
    pub oid: Oid,
    /// `proname`.
    pub name: String,
    /// `pronamespace`.
    pub namespace: Oid,
    /// `proowner`.
    pub owner: Oid,
    /// `prokind`: `f` function, `p` procedure, `w` window function.
    pub kind: u8,
    /// `proacl` as text, `None` for the default.
    pub acl: Option<String>,
    /// `acldefault('f', proowner)`.
    pub acl_default: String,
    /// The input argument types (`proargtypes`), each as `format_type(oid, NULL)` prints it (for the tag).
    pub arg_types: Vec<String>,
    /// The input argument types as (schema, type name) pairs, pg_dump's sort keys.
    pub arg_sort_keys: Vec<(String, String)>,
    /// `pg_get_function_arguments()`: the full argument list with modes, names and defaults.
    pub arguments: String,
    /// `pg_get_function_identity_arguments()`: the list DROP, COMMENT and GRANT use.
    pub identity_arguments: String,
    /// `pg_get_function_result()` (`None` for procedures).
    pub result: Option<String>,
    /// `proretset`.
    pub returns_set: bool,
    /// The language's name.
    pub language: String,
    /// `prosrc`.
    pub source: String,
    /// `probin` (the object file of C functions).
    pub binary: Option<String>,
    /// `pg_get_function_sqlbody()` for SQL-standard bodies (14+).
    pub sql_body: Option<String>,
    /// `protrftypes`, each as `format_type(oid, NULL)` prints it.
    pub transform_types: Vec<String>,
    /// `provolatile`: `i`, `s` or `v`.
    pub volatility: u8,
    /// `proisstrict`.
    pub strict: bool,
    /// `prosecdef`.
    pub security_definer: bool,
    /// `proleakproof`.
    pub leakproof: bool,
    /// `proconfig`: `name=value` items.
    pub config: Vec<String>,
    /// `procost` as text.
    pub cost: String,
    /// `prorows` as text.
    pub rows: String,
    /// `prosupport` as `regproc` prints it, `None` when there is none.
    pub support: Option<String>,
    /// `proparallel`: `s`, `r` or `u`.
    pub parallel: u8,
    /// The extensions it is marked as depending on (`ALTER FUNCTION ... DEPENDS ON EXTENSION`, pg_depend
    /// deptype `x`).
    pub depends_on_extensions: Vec<String>,
}

impl Function {
    /// The catalog address.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_PROC, self.oid)
    }
}

/// An aggregate (`pg_proc` row with `prokind = 'a'`, joined with `pg_aggregate`).
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    /// `pg_proc.oid`.
    pub oid: Oid,
    /// `proname`.
    pub name: String,
    /// `pronamespace`.
    pub namespace: Oid,
    /// `proowner`.
    pub owner: Oid,
    /// `proacl` as text.
    pub acl: Option<String>,
    /// `acldefault('f', proowner)`.
    pub acl_default: String,
    /// The input argument types, each as `format_type(oid, NULL)` prints it.
    pub arg_types: Vec<String>,
    /// The input argument types as (schema, type name) pairs, pg_dump's sort keys.
    pub arg_sort_keys: Vec<(String, String)>,
    /// `pg_get_function_arguments()` (ordered-set aggregates have `ORDER BY` in it).
    pub arguments: String,
    /// `pg_get_function_identity_arguments()`.
    pub identity_arguments: String,
    /// `aggkind`: `n` normal, `o` ordered-set, `h` hypothetical-set.
    pub kind: u8,
    /// `aggtransfn` as `regproc` prints it.
    pub transfn: String,
    /// `aggfinalfn` (`-` for none).
    pub finalfn: String,
    /// `aggcombinefn` (`-` for none).
    pub combinefn: String,
    /// `aggserialfn` (`-` for none).
    pub serialfn: String,
    /// `aggdeserialfn` (`-` for none).
    pub deserialfn: String,
    /// `aggmtransfn` (`-` for none).
    pub mtransfn: String,
    /// `aggminvtransfn` (`-` for none).
    pub minvtransfn: String,
    /// `aggmfinalfn` (`-` for none).
    pub mfinalfn: String,
    /// `aggfinalextra`.
    pub finalextra: bool,
    /// `aggmfinalextra`.
    pub mfinalextra: bool,
    /// `aggfinalmodify`: `r`, `s` or `w`.
    pub finalmodify: u8,
    /// `aggmfinalmodify`.
    pub mfinalmodify: u8,
    /// The sort operator as (schema, name), if any.
    pub sortop: Option<(String, String)>,
    /// `aggtranstype` as `regtype` prints it.
    pub transtype: String,
    /// `aggtransspace` as text.
    pub transspace: String,
    /// `aggmtranstype` as `regtype` prints it.
    pub mtranstype: String,
    /// `aggmtransspace` as text.
    pub mtransspace: String,
    /// `agginitval`.
    pub initval: Option<String>,
    /// `aggminitval`.
    pub minitval: Option<String>,
    /// `proparallel`.
    pub parallel: u8,
}

impl Aggregate {
    /// The catalog address.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_PROC, self.oid)
    }
}

/// An operator (`pg_operator` row).
#[derive(Debug, Clone, Default)]
pub struct Operator {
    /// `pg_operator.oid`.
    pub oid: Oid,
    /// `oprname`.
    pub name: String,
    /// `oprnamespace`.
    pub namespace: Oid,
    /// `oprowner`.
    pub owner: Oid,
    /// `oprkind`: `b` infix, `l` prefix, `r` postfix (before 14).
    pub kind: u8,
    /// `oprcode`'s OID; 0 for a shell operator.
    pub code_oid: Oid,
    /// `oprcode` as `regprocedure` prints it.
    pub code: String,
    /// `oprleft` as `regtype` prints it (`-` for none).
    pub left: String,
    /// `oprright` as `regtype` prints it (`-` for none).
    pub right: String,
    /// The left type as (schema, type name), pg_dump's sort key.
    pub left_sort_key: (String, String),
    /// The right type as (schema, type name).
    pub right_sort_key: (String, String),
    /// The commutator as (schema, name).
    pub commutator: Option<(String, String)>,
    /// The negator as (schema, name).
    pub negator: Option<(String, String)>,
    /// `oprrest` as `regprocedure` prints it (`-` for none).
    pub restrict: String,
    /// `oprjoin` as `regprocedure` prints it (`-` for none).
    pub join: String,
    /// `oprcanmerge`.
    pub merges: bool,
    /// `oprcanhash`.
    pub hashes: bool,
}

impl Operator {
    /// The catalog address.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_OPERATOR, self.oid)
    }
}

/// An operator family (`pg_opfamily` row).
#[derive(Debug, Clone, Default)]
pub struct OpFamily {
    /// `pg_opfamily.oid`.
    pub oid: Oid,
    /// `opfname`.
    pub name: String,
    /// `opfnamespace`.
    pub namespace: Oid,
    /// `opfowner`.
    pub owner: Oid,
    /// The access method's name.
    pub access_method: String,
}

impl OpFamily {
    /// The catalog address.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_OPFAMILY, self.oid)
    }
}

/// An operator class (`pg_opclass` row).
#[derive(Debug, Clone, Default)]
pub struct OpClass {
    /// `pg_opclass.oid`.
    pub oid: Oid,
    /// `opcname`.
    pub name: String,
    /// `opcnamespace`.
    pub namespace: Oid,
    /// `opcowner`.
    pub owner: Oid,
    /// The access method's name.
    pub access_method: String,
    /// `opcintype` as `regtype` prints it.
    pub input_type: String,
    /// `opckeytype` as `regtype` prints it (`-` for none).
    pub key_type: String,
    /// `opcdefault`.
    pub is_default: bool,
    /// `opcfamily`.
    pub family: Oid,
    /// The family's name and schema name (empty when it cannot be found).
    pub family_name: (String, String),
}

impl OpClass {
    /// The catalog address.
    pub fn catalog_id(&self) -> CatalogId {
        CatalogId::new(class::PG_OPCLASS, self.oid)
    }
}

/// One operator or support function of an operator class or family.
#[derive(Debug, Clone, Default)]
pub struct OpMember {
    /// The class (`class::PG_OPCLASS`) or family (`class::PG_OPFAMILY`) pg_depend ties it to.
    pub owner: CatalogId,
    /// `true` for an operator (`pg_amop`), `false` for a support function (`pg_amproc`).
    pub is_operator: bool,
    /// `amopstrategy` or `amprocnum`.
    pub number: i32,
    /// `amopopr` as `regoperator` prints it, or `amproc` as `regprocedure` prints it.
    pub member: String,
    /// For a function: `amproclefttype` and `amprocrighttype` as `regtype` prints them.
    pub types: (String, String),
    /// For an ordering operator: the sort family as (schema, name).
    pub sort_family: Option<(String, String)>,
}

pub(crate) async fn read(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let functions = &mut catalog.functions;
    for row in reader
        .rows("functions", &functions_sql(reader.version()))
        .await?
    {
        functions.functions.push(function(&row)?);
    }
    for row in reader.rows("aggregates", &aggregates_sql()).await? {
        functions.aggregates.push(aggregate(&row)?);
    }
    for row in reader.rows("operators", OPERATORS_SQL).await? {
        functions.operators.push(operator(&row)?);
    }
    for row in reader.rows("operator families", OPFAMILIES_SQL).await? {
        functions.opfamilies.push(OpFamily {
            oid: row.oid("oid")?,
            name: row.text("opfname")?,
            namespace: row.oid("opfnamespace")?,
            owner: row.oid("opfowner")?,
            access_method: row.text_or_empty("amname")?,
        });
    }
    for row in reader.rows("operator classes", OPCLASSES_SQL).await? {
        functions.opclasses.push(OpClass {
            oid: row.oid("oid")?,
            name: row.text("opcname")?,
            namespace: row.oid("opcnamespace")?,
            owner: row.oid("opcowner")?,
            access_method: row.text_or_empty("amname")?,
            input_type: row.text_or_empty("opcintype")?,
            key_type: row.text_or_empty("opckeytype")?,
            is_default: row.bool("opcdefault")?,
            family: row.oid("opcfamily")?,
            family_name: (
                row.text_or_empty("opcfamilynsp")?,
                row.text_or_empty("opcfamilyname")?,
            ),
        });
    }
    for row in reader
        .rows("operator class operators", MEMBER_OPERATORS_SQL)
        .await?
    {
        functions.members.push(OpMember {
            owner: CatalogId::new(row.oid("refclassid")?, row.oid("refobjid")?),
            is_operator: true,
            number: row.i32("amopstrategy")?,
            member: row.text("amopopr")?,
            types: (String::new(), String::new()),
            sort_family: pair(&row, "sortfamilynsp", "sortfamily")?,
        });
    }
    for row in reader
        .rows("operator class functions", MEMBER_FUNCTIONS_SQL)
        .await?
    {
        functions.members.push(OpMember {
            owner: CatalogId::new(row.oid("refclassid")?, row.oid("refobjid")?),
            is_operator: false,
            number: row.i32("amprocnum")?,
            member: row.text("amproc")?,
            types: (
                row.text_or_empty("amproclefttype")?,
                row.text_or_empty("amprocrighttype")?,
            ),
            sort_family: None,
        });
    }
    for row in reader
        .rows("operator family member dependencies", MEMBER_DEPENDS_SQL)
        .await?
    {
        functions.member_depends.push(Depend {
            object: CatalogId::new(class::PG_OPFAMILY, row.oid("objid")?),
            object_subid: 0,
            referenced: CatalogId::new(row.oid("refclassid")?, row.oid("refobjid")?),
            referenced_subid: 0,
            deptype: row.char("deptype")?,
        });
    }
    Ok(())
}

/// Column expressions shared by the function and aggregate queries: argument types for tags and sorting.
const ARG_TYPES_SQL: &str = "\
    ARRAY(SELECT pg_catalog.format_type(u.t, NULL) \
          FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY AS u(t, n) ORDER BY u.n) AS argtypes, \
    ARRAY(SELECT coalesce(tn.nspname, '') \
          FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY AS u(t, n) \
          LEFT JOIN pg_catalog.pg_type ty ON ty.oid = u.t \
          LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace ORDER BY u.n) AS argnsps, \
    ARRAY(SELECT coalesce(ty.typname, '') \
          FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY AS u(t, n) \
          LEFT JOIN pg_catalog.pg_type ty ON ty.oid = u.t ORDER BY u.n) AS argtypnames";

/// The rows pg_dump's getFuncs selects: not aggregates, not internally dependent on another object (range
/// constructors and the like), and outside pg_catalog unless a user cast or transform uses them or their ACL
/// differs from pg_init_privs.
fn functions_sql(version: ServerVersion) -> String {
    // 14 added SQL-standard function bodies.
    let sqlbody = if version >= ServerVersion::V14 {
        "pg_catalog.pg_get_function_sqlbody(p.oid) AS prosqlbody"
    } else {
        "NULL::pg_catalog.text AS prosqlbody"
    };
    format!(
        "SELECT p.oid, p.proname, p.pronamespace, p.proowner, p.prokind, p.proacl, \
                pg_catalog.acldefault('f', p.proowner) AS acldefault, {ARG_TYPES_SQL}, \
                pg_catalog.pg_get_function_arguments(p.oid) AS funcargs, \
                pg_catalog.pg_get_function_identity_arguments(p.oid) AS funciargs, \
                pg_catalog.pg_get_function_result(p.oid) AS funcresult, \
                p.proretset, l.lanname, p.prosrc, p.probin, {sqlbody}, \
                ARRAY(SELECT pg_catalog.format_type(u.t, NULL) \
                      FROM pg_catalog.unnest(p.protrftypes) WITH ORDINALITY AS u(t, n) ORDER BY u.n) \
                    AS protrftypes, \
                p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proconfig, \
                p.procost, p.prorows, p.prosupport, p.proparallel, \
                ARRAY(SELECT e.extname FROM pg_catalog.pg_depend d \
                      JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid \
                      WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid \
                        AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass \
                        AND d.deptype = 'x') AS dependsonext \
         FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_language l ON l.oid = p.prolang \
         LEFT JOIN pg_catalog.pg_init_privs pip \
           ON pip.objoid = p.oid AND pip.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass \
          AND pip.objsubid = 0 \
         WHERE p.prokind <> 'a' \
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                           WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass \
                             AND d.objid = p.oid AND d.deptype = 'i') \
           AND (p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace \
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast c \
                           WHERE c.oid > {LAST_SYSTEM_OID} AND c.castfunc = p.oid) \
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_transform t \
                           WHERE t.oid > {LAST_SYSTEM_OID} \
                             AND (t.trffromsql = p.oid OR t.trftosql = p.oid)) \
                OR p.proacl IS DISTINCT FROM pip.initprivs) \
         ORDER BY p.oid"
    )
}

fn aggregates_sql() -> String {
    format!(
        "SELECT p.oid, p.proname, p.pronamespace, p.proowner, p.proacl, \
                pg_catalog.acldefault('f', p.proowner) AS acldefault, {ARG_TYPES_SQL}, \
                pg_catalog.pg_get_function_arguments(p.oid) AS funcargs, \
                pg_catalog.pg_get_function_identity_arguments(p.oid) AS funciargs, \
                a.aggkind, a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, \
                a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn, a.aggfinalextra, a.aggmfinalextra, \
                a.aggfinalmodify, a.aggmfinalmodify, \
                son.nspname AS sortopnsp, so.oprname AS sortopname, \
                a.aggtranstype::pg_catalog.regtype AS aggtranstype, a.aggtransspace, \
                a.aggmtranstype::pg_catalog.regtype AS aggmtranstype, a.aggmtransspace, \
                a.agginitval, a.aggminitval, p.proparallel \
         FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid \
         LEFT JOIN pg_catalog.pg_operator so ON so.oid = a.aggsortop \
         LEFT JOIN pg_catalog.pg_namespace son ON son.oid = so.oprnamespace \
         LEFT JOIN pg_catalog.pg_init_privs pip \
           ON pip.objoid = p.oid AND pip.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass \
          AND pip.objsubid = 0 \
         WHERE p.prokind = 'a' \
           AND (p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace \
                OR p.proacl IS DISTINCT FROM pip.initprivs) \
         ORDER BY p.oid"
    )
}

const OPERATORS_SQL: &str = "\
    SELECT o.oid, o.oprname, o.oprnamespace, o.oprowner, o.oprkind, \
           o.oprcode::pg_catalog.oid AS oprcodeoid, o.oprcode::pg_catalog.regprocedure AS oprcode, \
           o.oprleft::pg_catalog.regtype AS oprleft, o.oprright::pg_catalog.regtype AS oprright, \
           ln.nspname AS leftnsp, lt.typname AS lefttypname, rn.nspname AS rightnsp, rt.typname AS righttypname, \
           cn.nspname AS comnsp, co.oprname AS comname, nn.nspname AS negnsp, ng.oprname AS negname, \
           o.oprrest::pg_catalog.regprocedure AS oprrest, o.oprjoin::pg_catalog.regprocedure AS oprjoin, \
           o.oprcanmerge, o.oprcanhash \
    FROM pg_catalog.pg_operator o \
    LEFT JOIN pg_catalog.pg_type lt ON lt.oid = o.oprleft \
    LEFT JOIN pg_catalog.pg_namespace ln ON ln.oid = lt.typnamespace \
    LEFT JOIN pg_catalog.pg_type rt ON rt.oid = o.oprright \
    LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.typnamespace \
    LEFT JOIN pg_catalog.pg_operator co ON co.oid = o.oprcom \
    LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.oprnamespace \
    LEFT JOIN pg_catalog.pg_operator ng ON ng.oid = o.oprnegate \
    LEFT JOIN pg_catalog.pg_namespace nn ON nn.oid = ng.oprnamespace \
    WHERE o.oprnamespace <> 'pg_catalog'::pg_catalog.regnamespace \
    ORDER BY o.oid";

const OPFAMILIES_SQL: &str = "\
    SELECT f.oid, f.opfname, f.opfnamespace, f.opfowner, am.amname \
    FROM pg_catalog.pg_opfamily f \
    LEFT JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod \
    WHERE f.opfnamespace <> 'pg_catalog'::pg_catalog.regnamespace \
    ORDER BY f.oid";

const OPCLASSES_SQL: &str = "\
    SELECT c.oid, c.opcname, c.opcnamespace, c.opcowner, am.amname, \
           c.opcintype::pg_catalog.regtype AS opcintype, c.opckeytype::pg_catalog.regtype AS opckeytype, \
           c.opcdefault, c.opcfamily, f.opfname AS opcfamilyname, fn.nspname AS opcfamilynsp \
    FROM pg_catalog.pg_opclass c \
    LEFT JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod \
    LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily \
    LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace \
    WHERE c.opcnamespace <> 'pg_catalog'::pg_catalog.regnamespace \
    ORDER BY c.oid";

/// Operators of a class or family: those pg_depend ties to it, and (as pg_dump requires) in its family.
const MEMBER_OPERATORS_SQL: &str = "\
    SELECT d.refclassid, d.refobjid, ao.amopstrategy, ao.amopopr::pg_catalog.regoperator AS amopopr, \
           f.opfname AS sortfamily, n.nspname AS sortfamilynsp \
    FROM pg_catalog.pg_amop ao \
    JOIN pg_catalog.pg_depend d \
      ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = ao.oid \
    LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = ao.amopsortfamily \
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
    WHERE (d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND ao.amopfamily = d.refobjid) \
       OR (d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass \
           AND ao.amopfamily = (SELECT c.opcfamily FROM pg_catalog.pg_opclass c WHERE c.oid = d.refobjid)) \
    ORDER BY d.refobjid, ao.amopstrategy, ao.oid";

const MEMBER_FUNCTIONS_SQL: &str = "\
    SELECT d.refclassid, d.refobjid, ap.amprocnum, ap.amproc::pg_catalog.regprocedure AS amproc, \
           ap.amproclefttype::pg_catalog.regtype AS amproclefttype, \
           ap.amprocrighttype::pg_catalog.regtype AS amprocrighttype \
    FROM pg_catalog.pg_amproc ap \
    JOIN pg_catalog.pg_depend d \
      ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = ap.oid \
    WHERE d.refclassid IN ('pg_catalog.pg_opfamily'::pg_catalog.regclass, \
                           'pg_catalog.pg_opclass'::pg_catalog.regclass) \
    ORDER BY d.refobjid, ap.amprocnum, ap.oid";

/// pg_dump's getDependencies reports what operator family members depend on as the family's dependencies.
const MEMBER_DEPENDS_SQL: &str = "\
    SELECT o.amopfamily AS objid, d.refclassid, d.refobjid, d.deptype \
    FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_amop o ON o.oid = d.objid \
    WHERE d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.deptype NOT IN ('p', 'e', 'i') \
      AND NOT (d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND o.amopfamily = d.refobjid) \
    UNION ALL \
    SELECT p.amprocfamily AS objid, d.refclassid, d.refobjid, d.deptype \
    FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_amproc p ON p.oid = d.objid \
    WHERE d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.deptype NOT IN ('p', 'e', 'i') \
      AND NOT (d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND p.amprocfamily = d.refobjid) \
    ORDER BY 1, 2, 3";

/// Two nullable text columns as an optional pair (both present).
fn pair(row: &Row, first: &str, second: &str) -> Result<Option<(String, String)>, CatalogError> {
    Ok(match (row.opt_text(first)?, row.opt_text(second)?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    })
}

fn arg_sort_keys(row: &Row) -> Result<Vec<(String, String)>, CatalogError> {
    Ok(row
        .text_array("argnsps")?
        .into_iter()
        .zip(row.text_array("argtypnames")?)
        .collect())
}

/// A `regproc`-typed column; `-` (InvalidOid) reads as `None`.
fn regproc(row: &Row, name: &str) -> Result<Option<String>, CatalogError> {
    Ok(row.opt_text(name)?.filter(|t| t != "-"))
}

fn function(row: &Row) -> Result<Function, CatalogError> {
    Ok(Function {
        oid: row.oid("oid")?,
        name: row.text("proname")?,
        namespace: row.oid("pronamespace")?,
        owner: row.oid("proowner")?,
        kind: row.char("prokind")?,
        acl: row.opt_text("proacl")?,
        acl_default: row.text_or_empty("acldefault")?,
        arg_types: row.text_array("argtypes")?,
        arg_sort_keys: arg_sort_keys(row)?,
        arguments: row.text_or_empty("funcargs")?,
        identity_arguments: row.text_or_empty("funciargs")?,
        result: row.opt_text("funcresult")?,
        returns_set: row.bool("proretset")?,
        language: row.text_or_empty("lanname")?,
        source: row.text_or_empty("prosrc")?,
        binary: row.opt_text("probin")?,
        sql_body: row.opt_text("prosqlbody")?,
        transform_types: row.text_array("protrftypes")?,
        volatility: row.char("provolatile")?,
        strict: row.bool("proisstrict")?,
        security_definer: row.bool("prosecdef")?,
        leakproof: row.bool("proleakproof")?,
        config: row.text_array("proconfig")?,
        cost: row.text_or_empty("procost")?,
        rows: row.text_or_empty("prorows")?,
        support: regproc(row, "prosupport")?,
        parallel: row.char("proparallel")?,
        depends_on_extensions: row.text_array("dependsonext")?,
    })
}

fn aggregate(row: &Row) -> Result<Aggregate, CatalogError> {
    Ok(Aggregate {
        oid: row.oid("oid")?,
        name: row.text("proname")?,
        namespace: row.oid("pronamespace")?,
        owner: row.oid("proowner")?,
        acl: row.opt_text("proacl")?,
        acl_default: row.text_or_empty("acldefault")?,
        arg_types: row.text_array("argtypes")?,
        arg_sort_keys: arg_sort_keys(row)?,
        arguments: row.text_or_empty("funcargs")?,
        identity_arguments: row.text_or_empty("funciargs")?,
        kind: row.char("aggkind")?,
        transfn: row.text_or_empty("aggtransfn")?,
        finalfn: row.text_or_empty("aggfinalfn")?,
        combinefn: row.text_or_empty("aggcombinefn")?,
        serialfn: row.text_or_empty("aggserialfn")?,
        deserialfn: row.text_or_empty("aggdeserialfn")?,
        mtransfn: row.text_or_empty("aggmtransfn")?,
        minvtransfn: row.text_or_empty("aggminvtransfn")?,
        mfinalfn: row.text_or_empty("aggmfinalfn")?,
        finalextra: row.bool("aggfinalextra")?,
        mfinalextra: row.bool("aggmfinalextra")?,
        finalmodify: row.char("aggfinalmodify")?,
        mfinalmodify: row.char("aggmfinalmodify")?,
        sortop: pair(row, "sortopnsp", "sortopname")?,
        transtype: row.text_or_empty("aggtranstype")?,
        transspace: row.text_or_empty("aggtransspace")?,
        mtranstype: row.text_or_empty("aggmtranstype")?,
        mtransspace: row.text_or_empty("aggmtransspace")?,
        initval: row.opt_text("agginitval")?,
        minitval: row.opt_text("aggminitval")?,
        parallel: row.char("proparallel")?,
    })
}

fn operator(row: &Row) -> Result<Operator, CatalogError> {
    Ok(Operator {
        oid: row.oid("oid")?,
        name: row.text("oprname")?,
        namespace: row.oid("oprnamespace")?,
        owner: row.oid("oprowner")?,
        kind: row.char("oprkind")?,
        code_oid: row.oid("oprcodeoid")?,
        code: row.text_or_empty("oprcode")?,
        left: row.text_or_empty("oprleft")?,
        right: row.text_or_empty("oprright")?,
        left_sort_key: (
            row.text_or_empty("leftnsp")?,
            row.text_or_empty("lefttypname")?,
        ),
        right_sort_key: (
            row.text_or_empty("rightnsp")?,
            row.text_or_empty("righttypname")?,
        ),
        commutator: pair(row, "comnsp", "comname")?,
        negator: pair(row, "negnsp", "negname")?,
        restrict: row.text_or_empty("oprrest")?,
        join: row.text_or_empty("oprjoin")?,
        merges: row.bool("oprcanmerge")?,
        hashes: row.bool("oprcanhash")?,
    })
}
