//! Types, domains, collations, conversions, casts, transforms, procedural languages and access methods.
//!
//! One query per kind, plus one each for enum labels, composite type attributes and domain constraints. Types
//! are read from the user's schemas (and from anywhere when they carry an ACL, which may have been changed on a
//! built-in type); auto-generated array and multirange types and table row types come along, so that the plan
//! can map dependencies on them to the objects they stand for.

use std::collections::HashMap;

use pgferry_conn::ServerVersion;

use crate::query::Reader;
use crate::row::{Oid, Row};
use crate::{Catalog, CatalogError, LAST_SYSTEM_OID};

/// Types, domains, collations, conversions, casts, transforms, procedural languages and access methods.
#[derive(Debug, Clone, Default)]
pub struct TypeCatalog {
    /// `pg_type` rows of the user's schemas (and any type with an ACL), by OID order.
    pub types: Vec<TypeDef>,
    /// Collations of the user's schemas.
    pub collations: Vec<Collation>,
    /// Encoding conversions of the user's schemas.
    pub conversions: Vec<Conversion>,
    /// Casts created after initdb (OID above [`LAST_SYSTEM_OID`]), without the range-to-multirange casts
    /// that `CREATE TYPE ... AS RANGE` makes by itself (14+).
    pub casts: Vec<Cast>,
    /// Transforms.
    pub transforms: Vec<Transform>,
    /// Procedural languages (`lanispl`), built-in ones included (their ACL may have changed).
    pub languages: Vec<Language>,
    /// Access methods created after initdb.
    pub access_methods: Vec<AccessMethod>,
}

impl TypeCatalog {
    /// The type with this OID, if it was read.
    pub fn type_by_oid(&self, oid: Oid) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.oid == oid)
    }
}

/// One `pg_type` row, with the details of its kind.
#[derive(Debug, Clone, Default)]
pub struct TypeDef {
    /// `pg_type.oid`.
    pub oid: Oid,
    /// `typname`.
    pub name: String,
    /// `typnamespace`.
    pub namespace: Oid,
    /// `typowner`.
    pub owner: Oid,
    /// `typacl`, `None` for the default.
    pub acl: Option<String>,
    /// `acldefault('T', typowner)`.
    pub acl_default: String,
    /// `typtype`: `b` base, `c` composite, `d` domain, `e` enum, `p` pseudo, `r` range, `m` multirange.
    pub typtype: u8,
    /// `typisdefined` (false for a shell type).
    pub is_defined: bool,
    /// `typelem`.
    pub element: Oid,
    /// `typrelid`: the `pg_class` row of a composite type or table row type.
    pub relid: Oid,
    /// The relkind of `typrelid` (`c` for a stand-alone composite type), 0 when there is none.
    pub relkind: u8,
    /// Whether this is the array type automatically made for its element type.
    pub is_array: bool,
    /// For a multirange type, its range type.
    pub multirange_of: Oid,
    /// `CREATE TYPE (...)` details of a base type.
    pub base: Option<BaseTypeDef>,
    /// `CREATE DOMAIN` details.
    pub domain: Option<DomainDef>,
    /// `CREATE TYPE ... AS RANGE` details.
    pub range: Option<RangeDef>,
    /// Enum labels in `enumsortorder` order.
    pub enum_labels: Vec<String>,
    /// A stand-alone composite type's attributes, in attnum order (dropped ones included, marked).
    pub attributes: Vec<CompositeAttribute>,
}

/// The details of a base type, as pg_dump's `dumpBaseType` reads them.
#[derive(Debug, Clone, Default)]
pub struct BaseTypeDef {
    /// `typlen`.
    pub len: i32,
    /// `typinput` as `regproc` text.
    pub input: String,
    /// `typoutput` as `regproc` text.
    pub output: String,
    /// `typreceive`, when set.
    pub receive: Option<String>,
    /// `typsend`, when set.
    pub send: Option<String>,
    /// `typmodin`, when set.
    pub typmod_in: Option<String>,
    /// `typmodout`, when set.
    pub typmod_out: Option<String>,
    /// `typanalyze`, when set.
    pub analyze: Option<String>,
    /// `typsubscript`, when set (14+).
    pub subscript: Option<String>,
    /// `typcategory`.
    pub category: String,
    /// `typispreferred`.
    pub preferred: bool,
    /// `typdelim`.
    pub delimiter: String,
    /// `typbyval`.
    pub by_value: bool,
    /// `typalign`.
    pub align: u8,
    /// `typstorage`.
    pub storage: u8,
    /// `typcollation <> 0`.
    pub collatable: bool,
    /// `pg_get_expr(typdefaultbin, 0)`.
    pub default_expr: Option<String>,
    /// `typdefault`, used (quoted) when there is no expression.
    pub default_literal: Option<String>,
    /// `format_type(typelem, NULL)` when there is an element type.
    pub element: Option<String>,
}

/// The details of a domain.
#[derive(Debug, Clone, Default)]
pub struct DomainDef {
    /// `format_type(typbasetype, typtypmod)`.
    pub base_type: String,
    /// `typnotnull`.
    pub not_null: bool,
    /// `pg_get_expr(typdefaultbin, 'pg_type'::regclass)`.
    pub default_expr: Option<String>,
    /// `typdefault`, used (quoted) when there is no expression.
    pub default_literal: Option<String>,
    /// The collation as (schema, name) when it differs from the base type's.
    pub collation: Option<(String, String)>,
    /// CHECK constraints, and on 17+ the NOT NULL constraint, by name.
    pub constraints: Vec<DomainConstraint>,
}

/// A constraint of a domain.
#[derive(Debug, Clone, Default)]
pub struct DomainConstraint {
    /// `pg_constraint.oid`.
    pub oid: Oid,
    /// `conname`.
    pub name: String,
    /// `contype`: `c` CHECK, `n` NOT NULL (17+).
    pub contype: u8,
    /// `pg_get_constraintdef(oid)`.
    pub definition: String,
    /// `convalidated`.
    pub validated: bool,
}

/// The details of a range type.
#[derive(Debug, Clone, Default)]
pub struct RangeDef {
    /// `format_type(rngsubtype, NULL)`.
    pub subtype: String,
    /// `format_type(rngmultitypid, NULL)` (14+).
    pub multirange: Option<String>,
    /// The subtype operator class as (schema, name) when it is not the subtype's default.
    pub opclass: Option<(String, String)>,
    /// The collation as (schema, name) when it differs from the subtype's.
    pub collation: Option<(String, String)>,
    /// `rngcanonical` as `regproc` text, when set.
    pub canonical: Option<String>,
    /// `rngsubdiff` as `regproc` text, when set.
    pub subtype_diff: Option<String>,
}

/// An attribute of a stand-alone composite type.
#[derive(Debug, Clone, Default)]
pub struct CompositeAttribute {
    /// `attnum`.
    pub attnum: i32,
    /// `attname`.
    pub name: String,
    /// `format_type(atttypid, atttypmod)`.
    pub type_name: String,
    /// `attisdropped`.
    pub is_dropped: bool,
    /// The collation as (schema, name) when it differs from the attribute type's.
    pub collation: Option<(String, String)>,
}

/// A collation.
#[derive(Debug, Clone, Default)]
pub struct Collation {
    /// `pg_collation.oid`.
    pub oid: Oid,
    /// `collname`.
    pub name: String,
    /// `collnamespace`.
    pub namespace: Oid,
    /// `collowner`.
    pub owner: Oid,
    /// `collencoding` (-1 for any).
    pub encoding: i32,
    /// `collprovider`: `b` builtin (17+), `c` libc, `d` default, `i` ICU.
    pub provider: u8,
    /// `collisdeterministic`.
    pub deterministic: bool,
    /// `collcollate`, `None` when NULL (or empty before 15).
    pub collate: Option<String>,
    /// `collctype`, `None` when NULL (or empty before 15).
    pub ctype: Option<String>,
    /// `colllocale` (17+), `colliculocale` (15, 16), `None` before.
    pub locale: Option<String>,
    /// `collicurules` (16+).
    pub icu_rules: Option<String>,
}

/// An encoding conversion.
#[derive(Debug, Clone, Default)]
pub struct Conversion {
    /// `pg_conversion.oid`.
    pub oid: Oid,
    /// `conname`.
    pub name: String,
    /// `connamespace`.
    pub namespace: Oid,
    /// `conowner`.
    pub owner: Oid,
    /// The source encoding's name.
    pub for_encoding: String,
    /// The destination encoding's name.
    pub to_encoding: String,
    /// `conproc` as `regproc` text.
    pub function: String,
    /// `condefault`.
    pub is_default: bool,
}

/// A reference to a function by schema, name and input argument types, as pg_dump's
/// `format_function_signature` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionRef {
    /// `pg_proc.oid`.
    pub oid: Oid,
    /// The function's schema name.
    pub schema: String,
    /// `proname`.
    pub name: String,
    /// The input argument types, `format_type(t, NULL)` each, joined by `, `.
    pub arguments: String,
}

/// A cast.
#[derive(Debug, Clone, Default)]
pub struct Cast {
    /// `pg_cast.oid`.
    pub oid: Oid,
    /// `castsource`.
    pub source: Oid,
    /// `casttarget`.
    pub target: Oid,
    /// `format_type(castsource, NULL)`.
    pub source_name: String,
    /// `format_type(casttarget, NULL)`.
    pub target_name: String,
    /// "srctype tgttype" with the raw `typname`s: pg_dump's sort name for the cast.
    pub sort_name: String,
    /// `castcontext`: `e` explicit, `a` assignment, `i` implicit.
    pub context: u8,
    /// `castmethod`: `f` function, `i` inout, `b` binary.
    pub method: u8,
    /// The cast function, when there is one.
    pub function: Option<FunctionRef>,
}

/// A transform.
#[derive(Debug, Clone, Default)]
pub struct Transform {
    /// `pg_transform.oid`.
    pub oid: Oid,
    /// `trftype`.
    pub type_oid: Oid,
    /// `format_type(trftype, NULL)`.
    pub type_name: String,
    /// The type's raw `typname`, for sorting.
    pub type_sort_name: String,
    /// `trflang`.
    pub language: Oid,
    /// The language's name.
    pub language_name: String,
    /// The FROM SQL function, when there is one.
    pub from_sql: Option<FunctionRef>,
    /// The TO SQL function, when there is one.
    pub to_sql: Option<FunctionRef>,
}

/// A procedural language.
#[derive(Debug, Clone, Default)]
pub struct Language {
    /// `pg_language.oid`.
    pub oid: Oid,
    /// `lanname`.
    pub name: String,
    /// `lanpltrusted`.
    pub trusted: bool,
    /// `lanowner`.
    pub owner: Oid,
    /// `lanacl`.
    pub acl: Option<String>,
    /// `acldefault('l', lanowner)`.
    pub acl_default: String,
    /// The call handler (`lanplcallfoid`).
    pub handler: Option<FunctionRef>,
    /// The inline handler (`laninline`), when set.
    pub inline: Option<FunctionRef>,
    /// The validator (`lanvalidator`), when set.
    pub validator: Option<FunctionRef>,
}

/// An access method.
#[derive(Debug, Clone, Default)]
pub struct AccessMethod {
    /// `pg_am.oid`.
    pub oid: Oid,
    /// `amname`.
    pub name: String,
    /// `amtype`: `i` index, `t` table.
    pub amtype: u8,
    /// `amhandler` as `regproc` text.
    pub handler: String,
}

/// Schemas whose contents are never dumped (pg_catalog's ACL changes aside).
const USER_SCHEMA: &str = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";

pub(crate) async fn read(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    read_types(reader, catalog).await?;
    read_type_details(reader, catalog).await?;
    read_collations(reader, catalog).await?;
    read_conversions(reader, catalog).await?;
    read_casts(reader, catalog).await?;
    read_transforms(reader, catalog).await?;
    read_languages(reader, catalog).await?;
    read_access_methods(reader, catalog).await?;
    Ok(())
}

/// A (schema, name) pair from two columns that are NULL together.
fn qualified_pair(
    row: &Row,
    schema: &str,
    name: &str,
) -> Result<Option<(String, String)>, CatalogError> {
    Ok(match (row.opt_text(schema)?, row.opt_text(name)?) {
        (Some(s), Some(n)) => Some((s, n)),
        _ => None,
    })
}

/// A `regproc` column that reads `-` when unset.
fn opt_regproc(row: &Row, column: &str) -> Result<Option<String>, CatalogError> {
    Ok(row.opt_text(column)?.filter(|p| p != "-"))
}

/// SQL selecting a function reference's columns (`<prefix>_oid`, `_schema`, `_name`, `_args`) for the function
/// whose OID is `expr`.
fn function_ref_columns(expr: &str, prefix: &str) -> String {
    format!(
        "{expr}::pg_catalog.oid AS {prefix}_oid, \
         (SELECT fn.nspname FROM pg_catalog.pg_proc fp JOIN pg_catalog.pg_namespace fn ON fn.oid = fp.pronamespace \
          WHERE fp.oid = {expr}) AS {prefix}_schema, \
         (SELECT fp.proname FROM pg_catalog.pg_proc fp WHERE fp.oid = {expr}) AS {prefix}_name, \
         (SELECT pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.format_type(a.t, NULL) \
              FROM pg_catalog.unnest(fp.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n) ORDER BY a.n), \
              ', ') \
          FROM pg_catalog.pg_proc fp WHERE fp.oid = {expr}) AS {prefix}_args"
    )
}

/// The function reference selected by [`function_ref_columns`], `None` when the OID is 0 or the function is
/// gone.
fn function_ref(row: &Row, prefix: &str) -> Result<Option<FunctionRef>, CatalogError> {
    let oid = row.oid(&format!("{prefix}_oid"))?;
    if oid == 0 {
        return Ok(None);
    }
    let Some(name) = row.opt_text(&format!("{prefix}_name"))? else {
        return Ok(None);
    };
    Ok(Some(FunctionRef {
        oid,
        schema: row.text_or_empty(&format!("{prefix}_schema"))?,
        name,
        arguments: row.text_or_empty(&format!("{prefix}_args"))?,
    }))
}

async fn read_types(reader: &mut Reader<'_>, catalog: &mut Catalog) -> Result<(), CatalogError> {
    let version = reader.version();
    // 14 added subscripting functions (typsubscript) and multiranges (rngmultitypid).
    let (subscript, multirange, multirange_of) = if version >= ServerVersion::V14 {
        (
            "CASE WHEN t.typsubscript <> 0 THEN t.typsubscript::pg_catalog.text END AS typsubscript",
            "CASE WHEN r.rngmultitypid <> 0 THEN pg_catalog.format_type(r.rngmultitypid, NULL) END \
             AS rngmultitype",
            "(SELECT mr.rngtypid FROM pg_catalog.pg_range mr WHERE mr.rngmultitypid = t.oid) AS multirange_of",
        )
    } else {
        (
            "NULL::pg_catalog.text AS typsubscript",
            "NULL::pg_catalog.text AS rngmultitype",
            "0::pg_catalog.oid AS multirange_of",
        )
    };
    let sql = format!(
        "SELECT t.oid, t.typname, t.typnamespace, t.typowner, t.typacl, \
                pg_catalog.acldefault('T', t.typowner) AS acldefault, \
                t.typtype, t.typisdefined, t.typelem, t.typrelid, \
                CASE WHEN t.typrelid = 0 THEN ' '::\"char\" \
                     ELSE (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) END AS typrelkind, \
                (t.typname[0] = '_' AND t.typelem <> 0 AND \
                 (SELECT te.typarray FROM pg_catalog.pg_type te WHERE te.oid = t.typelem) = t.oid) AS isarray, \
                {multirange_of}, \
                t.typlen, t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, \
                t.typanalyze, {subscript}, t.typcategory, t.typispreferred, t.typdelim, t.typbyval, \
                t.typalign, t.typstorage, (t.typcollation <> 0) AS typcollatable, \
                CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END AS typelemname, \
                CASE WHEN t.typtype = 'd' \
                     THEN pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass) \
                     ELSE pg_catalog.pg_get_expr(t.typdefaultbin, 0) END AS typdefaultbin, \
                t.typdefault, t.typnotnull, \
                CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS typdefn, \
                dcn.nspname AS domcollschema, dco.collname AS domcollname, \
                pg_catalog.format_type(r.rngsubtype, NULL) AS rngsubtype, {multirange}, \
                CASE WHEN NOT opc.opcdefault THEN opc.opcname END AS opcname, \
                CASE WHEN NOT opc.opcdefault THEN opcn.nspname END AS opcschema, \
                rcn.nspname AS rngcollschema, rco.collname AS rngcollname, \
                r.rngcanonical, r.rngsubdiff \
         FROM pg_catalog.pg_type t \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN pg_catalog.pg_type u ON t.typtype = 'd' AND u.oid = t.typbasetype \
         LEFT JOIN pg_catalog.pg_collation dco ON t.typtype = 'd' AND t.typcollation <> u.typcollation \
              AND dco.oid = t.typcollation \
         LEFT JOIN pg_catalog.pg_namespace dcn ON dcn.oid = dco.collnamespace \
         LEFT JOIN pg_catalog.pg_range r ON t.typtype = 'r' AND r.rngtypid = t.oid \
         LEFT JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype \
         LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc \
         LEFT JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace \
         LEFT JOIN pg_catalog.pg_collation rco ON r.rngcollation <> st.typcollation AND rco.oid = r.rngcollation \
         LEFT JOIN pg_catalog.pg_namespace rcn ON rcn.oid = rco.collnamespace \
         WHERE ({USER_SCHEMA}) OR t.typacl IS NOT NULL \
         ORDER BY t.oid"
    );
    for row in reader.rows("types", &sql).await? {
        let typtype = row.char("typtype")?;
        let relkind = match row.char("typrelkind")? {
            b' ' => 0,
            other => other,
        };
        let mut def = TypeDef {
            oid: row.oid("oid")?,
            name: row.text("typname")?,
            namespace: row.oid("typnamespace")?,
            owner: row.oid("typowner")?,
            acl: row.opt_text("typacl")?,
            acl_default: row.text_or_empty("acldefault")?,
            typtype,
            is_defined: row.bool("typisdefined")?,
            element: row.oid("typelem")?,
            relid: row.oid("typrelid")?,
            relkind,
            is_array: row.bool("isarray")?,
            multirange_of: row.oid("multirange_of")?,
            ..TypeDef::default()
        };
        match typtype {
            b'b' => {
                def.base = Some(BaseTypeDef {
                    len: row.i32("typlen")?,
                    input: row.text_or_empty("typinput")?,
                    output: row.text_or_empty("typoutput")?,
                    receive: opt_regproc(&row, "typreceive")?,
                    send: opt_regproc(&row, "typsend")?,
                    typmod_in: opt_regproc(&row, "typmodin")?,
                    typmod_out: opt_regproc(&row, "typmodout")?,
                    analyze: opt_regproc(&row, "typanalyze")?,
                    subscript: opt_regproc(&row, "typsubscript")?,
                    category: row.text_or_empty("typcategory")?,
                    preferred: row.bool("typispreferred")?,
                    delimiter: row.text_or_empty("typdelim")?,
                    by_value: row.bool("typbyval")?,
                    align: row.char("typalign")?,
                    storage: row.char("typstorage")?,
                    collatable: row.bool("typcollatable")?,
                    default_expr: row.opt_text("typdefaultbin")?,
                    default_literal: row.opt_text("typdefault")?,
                    element: row.opt_text("typelemname")?,
                });
            }
            b'd' => {
                def.domain = Some(DomainDef {
                    base_type: row.text_or_empty("typdefn")?,
                    not_null: row.bool("typnotnull")?,
                    default_expr: row.opt_text("typdefaultbin")?,
                    default_literal: row.opt_text("typdefault")?,
                    collation: qualified_pair(&row, "domcollschema", "domcollname")?,
                    constraints: Vec::new(),
                });
            }
            b'r' => {
                def.range = Some(RangeDef {
                    subtype: row.text_or_empty("rngsubtype")?,
                    multirange: row.opt_text("rngmultitype")?,
                    opclass: qualified_pair(&row, "opcschema", "opcname")?,
                    collation: qualified_pair(&row, "rngcollschema", "rngcollname")?,
                    canonical: opt_regproc(&row, "rngcanonical")?,
                    subtype_diff: opt_regproc(&row, "rngsubdiff")?,
                });
            }
            _ => {}
        }
        catalog.types.types.push(def);
    }
    Ok(())
}

/// Enum labels, composite type attributes and domain constraints.
async fn read_type_details(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let version = reader.version();
    let index: HashMap<Oid, usize> = catalog
        .types
        .types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.oid, i))
        .collect();
    let by_relid: HashMap<Oid, usize> = catalog
        .types
        .types
        .iter()
        .enumerate()
        .filter(|(_, t)| t.relkind == b'c')
        .map(|(i, t)| (t.relid, i))
        .collect();
    let types = &mut catalog.types.types;

    let sql = format!(
        "SELECT e.enumtypid, e.enumlabel \
         FROM pg_catalog.pg_enum e \
         JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE {USER_SCHEMA} \
         ORDER BY e.enumtypid, e.enumsortorder"
    );
    for row in reader.rows("enum labels", &sql).await? {
        if let Some(&i) = index.get(&row.oid("enumtypid")?) {
            types[i].enum_labels.push(row.text_or_empty("enumlabel")?);
        }
    }

    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname, \
                pg_catalog.format_type(a.atttypid, a.atttypmod) AS atttypdefn, a.attisdropped, \
                cn.nspname AS collschema, co.collname \
         FROM pg_catalog.pg_type ct \
         JOIN pg_catalog.pg_namespace n ON n.oid = ct.typnamespace \
         JOIN pg_catalog.pg_class c ON c.oid = ct.typrelid AND c.relkind = 'c' \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = ct.typrelid \
         LEFT JOIN pg_catalog.pg_type at ON at.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_collation co ON a.attcollation <> at.typcollation AND co.oid = a.attcollation \
         LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE ct.typtype = 'c' AND a.attnum > 0 AND {USER_SCHEMA} \
         ORDER BY a.attrelid, a.attnum"
    );
    for row in reader.rows("composite type attributes", &sql).await? {
        if let Some(&i) = by_relid.get(&row.oid("attrelid")?) {
            types[i].attributes.push(CompositeAttribute {
                attnum: row.i32("attnum")?,
                name: row.text("attname")?,
                type_name: row.text_or_empty("atttypdefn")?,
                is_dropped: row.bool("attisdropped")?,
                collation: qualified_pair(&row, "collschema", "collname")?,
            });
        }
    }

    // 17 records a domain's NOT NULL in pg_constraint (contype 'n'), with a name; before, only typnotnull.
    let contypes = if version >= ServerVersion::V17 {
        "('c', 'n')"
    } else {
        "('c')"
    };
    let sql = format!(
        "SELECT c.oid, c.contypid, c.conname, c.contype, pg_catalog.pg_get_constraintdef(c.oid) AS condef, \
                c.convalidated \
         FROM pg_catalog.pg_constraint c \
         JOIN pg_catalog.pg_type t ON t.oid = c.contypid \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE c.contypid <> 0 AND c.contype IN {contypes} AND {USER_SCHEMA} \
         ORDER BY c.contypid, c.conname"
    );
    for row in reader.rows("domain constraints", &sql).await? {
        let Some(&i) = index.get(&row.oid("contypid")?) else {
            continue;
        };
        let Some(domain) = types[i].domain.as_mut() else {
            continue;
        };
        domain.constraints.push(DomainConstraint {
            oid: row.oid("oid")?,
            name: row.text("conname")?,
            contype: row.char("contype")?,
            definition: row.text_or_empty("condef")?,
            validated: row.bool("convalidated")?,
        });
    }
    Ok(())
}

async fn read_collations(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let version = reader.version();
    // 17 renamed colliculocale (15) to colllocale; 16 added ICU rules.
    let locale = if version >= ServerVersion::V17 {
        "c.colllocale"
    } else if version >= ServerVersion::V15 {
        "c.colliculocale AS colllocale"
    } else {
        "NULL::pg_catalog.text AS colllocale"
    };
    let rules = if version >= ServerVersion::V16 {
        "c.collicurules"
    } else {
        "NULL::pg_catalog.text AS collicurules"
    };
    let sql = format!(
        "SELECT c.oid, c.collname, c.collnamespace, c.collowner, c.collencoding, c.collprovider, \
                c.collisdeterministic, c.collcollate, c.collctype, {locale}, {rules} \
         FROM pg_catalog.pg_collation c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace \
         WHERE {USER_SCHEMA} \
         ORDER BY c.oid"
    );
    for row in reader.rows("collations", &sql).await? {
        let mut collate = row.opt_text("collcollate")?;
        let mut ctype = row.opt_text("collctype")?;
        // Before 15 collcollate and collctype were non-null names: empty means none.
        if version < ServerVersion::V15 {
            collate = collate.filter(|c| !c.is_empty());
            ctype = ctype.filter(|c| !c.is_empty());
        }
        catalog.types.collations.push(Collation {
            oid: row.oid("oid")?,
            name: row.text("collname")?,
            namespace: row.oid("collnamespace")?,
            owner: row.oid("collowner")?,
            encoding: row.i32("collencoding")?,
            provider: row.char("collprovider")?,
            deterministic: row.bool("collisdeterministic")?,
            collate,
            ctype,
            locale: row.opt_text("colllocale")?,
            icu_rules: row.opt_text("collicurules")?,
        });
    }
    Ok(())
}

async fn read_conversions(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT c.oid, c.conname, c.connamespace, c.conowner, \
                pg_catalog.pg_encoding_to_char(c.conforencoding) AS conforencoding, \
                pg_catalog.pg_encoding_to_char(c.contoencoding) AS contoencoding, \
                c.conproc, c.condefault \
         FROM pg_catalog.pg_conversion c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace \
         WHERE {USER_SCHEMA} \
         ORDER BY c.oid"
    );
    for row in reader.rows("conversions", &sql).await? {
        catalog.types.conversions.push(Conversion {
            oid: row.oid("oid")?,
            name: row.text("conname")?,
            namespace: row.oid("connamespace")?,
            owner: row.oid("conowner")?,
            for_encoding: row.text_or_empty("conforencoding")?,
            to_encoding: row.text_or_empty("contoencoding")?,
            function: row.text_or_empty("conproc")?,
            is_default: row.bool("condefault")?,
        });
    }
    Ok(())
}

async fn read_casts(reader: &mut Reader<'_>, catalog: &mut Catalog) -> Result<(), CatalogError> {
    // 14: creating a range type also creates a cast to its multirange, which is not dumped.
    let multirange_filter = if reader.version() >= ServerVersion::V14 {
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range r \
                          WHERE c.castsource = r.rngtypid AND c.casttarget = r.rngmultitypid)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.oid, c.castsource, c.casttarget, c.castcontext, c.castmethod, \
                pg_catalog.format_type(c.castsource, NULL) AS sourcename, \
                pg_catalog.format_type(c.casttarget, NULL) AS targetname, \
                COALESCE((SELECT st.typname FROM pg_catalog.pg_type st WHERE st.oid = c.castsource) || ' ' || \
                         (SELECT tt.typname FROM pg_catalog.pg_type tt WHERE tt.oid = c.casttarget), '') \
                  AS sortname, \
                {} \
         FROM pg_catalog.pg_cast c \
         WHERE c.oid > {LAST_SYSTEM_OID}{multirange_filter} \
         ORDER BY c.castsource, c.casttarget",
        function_ref_columns("c.castfunc", "fn")
    );
    for row in reader.rows("casts", &sql).await? {
        catalog.types.casts.push(Cast {
            oid: row.oid("oid")?,
            source: row.oid("castsource")?,
            target: row.oid("casttarget")?,
            source_name: row.text_or_empty("sourcename")?,
            target_name: row.text_or_empty("targetname")?,
            sort_name: row.text_or_empty("sortname")?,
            context: row.char("castcontext")?,
            method: row.char("castmethod")?,
            function: function_ref(&row, "fn")?,
        });
    }
    Ok(())
}

async fn read_transforms(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT t.oid, t.trftype, t.trflang, pg_catalog.format_type(t.trftype, NULL) AS typename, \
                ty.typname, l.lanname, {}, {} \
         FROM pg_catalog.pg_transform t \
         LEFT JOIN pg_catalog.pg_type ty ON ty.oid = t.trftype \
         LEFT JOIN pg_catalog.pg_language l ON l.oid = t.trflang \
         ORDER BY t.trftype, t.trflang",
        function_ref_columns("t.trffromsql", "fromsql"),
        function_ref_columns("t.trftosql", "tosql"),
    );
    for row in reader.rows("transforms", &sql).await? {
        catalog.types.transforms.push(Transform {
            oid: row.oid("oid")?,
            type_oid: row.oid("trftype")?,
            type_name: row.text_or_empty("typename")?,
            type_sort_name: row.text_or_empty("typname")?,
            language: row.oid("trflang")?,
            language_name: row.text_or_empty("lanname")?,
            from_sql: function_ref(&row, "fromsql")?,
            to_sql: function_ref(&row, "tosql")?,
        });
    }
    Ok(())
}

async fn read_languages(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT l.oid, l.lanname, l.lanpltrusted, l.lanowner, l.lanacl, \
                pg_catalog.acldefault('l', l.lanowner) AS acldefault, {}, {}, {} \
         FROM pg_catalog.pg_language l \
         WHERE l.lanispl \
         ORDER BY l.oid",
        function_ref_columns("l.lanplcallfoid", "handler"),
        function_ref_columns("l.laninline", "inline"),
        function_ref_columns("l.lanvalidator", "validator"),
    );
    for row in reader.rows("procedural languages", &sql).await? {
        catalog.types.languages.push(Language {
            oid: row.oid("oid")?,
            name: row.text("lanname")?,
            trusted: row.bool("lanpltrusted")?,
            owner: row.oid("lanowner")?,
            acl: row.opt_text("lanacl")?,
            acl_default: row.text_or_empty("acldefault")?,
            handler: function_ref(&row, "handler")?,
            inline: function_ref(&row, "inline")?,
            validator: function_ref(&row, "validator")?,
        });
    }
    Ok(())
}

async fn read_access_methods(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT a.oid, a.amname, a.amtype, a.amhandler::pg_catalog.regproc AS amhandler \
         FROM pg_catalog.pg_am a \
         WHERE a.oid > {LAST_SYSTEM_OID} \
         ORDER BY a.oid"
    );
    for row in reader.rows("access methods", &sql).await? {
        catalog.types.access_methods.push(AccessMethod {
            oid: row.oid("oid")?,
            name: row.text("amname")?,
            amtype: row.char("amtype")?,
            handler: row.text_or_empty("amhandler")?,
        });
    }
    Ok(())
}
