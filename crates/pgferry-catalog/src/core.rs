//! Roles, schemas, extensions, dependencies, comments, security labels and initial privileges.

use std::collections::HashMap;

use crate::class;
use crate::query::Reader;
use crate::row::Oid;
use crate::{Catalog, CatalogError};

/// An object's address in the catalogs: which catalog (`pg_class.oid` of it) and the row's OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CatalogId {
    /// The OID of the system catalog holding the object (`class::PG_CLASS` for relations, ...).
    pub classid: Oid,
    /// The object's OID.
    pub oid: Oid,
}

impl CatalogId {
    /// A new id.
    pub const fn new(classid: Oid, oid: Oid) -> CatalogId {
        CatalogId { classid, oid }
    }
}

/// A schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// `pg_namespace.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The owner's role OID.
    pub owner: Oid,
    /// `nspacl` as text, `None` for the default.
    pub acl: Option<String>,
    /// `acldefault('n', owner)`: the ACL the schema would have with no grants.
    pub acl_default: String,
}

/// An installed extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// `pg_extension.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The schema it was installed into.
    pub namespace: Oid,
    /// Whether it can be relocated.
    pub relocatable: bool,
    /// The installed version (never dumped: the target installs its default).
    pub version: String,
    /// `extconfig`: tables whose data the extension expects to be dumped.
    pub config_tables: Vec<Oid>,
    /// `extcondition`: the WHERE filters for those tables, one per entry.
    pub config_conditions: Vec<String>,
}

/// A `pg_depend` edge: `object` depends on `referenced`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depend {
    /// The dependent object.
    pub object: CatalogId,
    /// `objsubid` of the dependent (a column number, or 0).
    pub object_subid: i32,
    /// The referenced object.
    pub referenced: CatalogId,
    /// `refobjsubid`.
    pub referenced_subid: i32,
    /// `deptype`: `n`, `a`, `i`, `x`, ... (`e` and `p` are left out).
    pub deptype: u8,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The commented object.
    pub object: CatalogId,
    /// 0, or the column number for a column comment.
    pub subid: i32,
    /// The text.
    pub description: String,
}

/// A security label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecLabel {
    /// The labelled object.
    pub object: CatalogId,
    /// 0, or the column number.
    pub subid: i32,
    /// The label provider.
    pub provider: String,
    /// The label.
    pub label: String,
}

/// `pg_init_privs`: the ACL an object had when initdb or its extension created it.
#[derive(Debug, Clone, Default)]
pub struct InitPrivs {
    /// By object and sub-id: the initial ACL text and its privtype (`i` initdb, `e` extension).
    pub entries: HashMap<(CatalogId, i32), (String, u8)>,
}

impl InitPrivs {
    /// The initial ACL of an object (sub-id 0) or column.
    pub fn get(&self, object: CatalogId, subid: i32) -> Option<&str> {
        self.entries
            .get(&(object, subid))
            .map(|(acl, _)| acl.as_str())
    }
}

pub(crate) async fn read_roles(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    for row in reader
        .rows("roles", "SELECT oid, rolname FROM pg_catalog.pg_roles")
        .await?
    {
        catalog.roles.insert(row.oid("oid")?, row.text("rolname")?);
    }
    Ok(())
}

pub(crate) async fn read_namespaces(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = "SELECT n.oid, n.nspname, n.nspowner, n.nspacl, \
                      pg_catalog.acldefault('n', n.nspowner) AS acldefault \
               FROM pg_catalog.pg_namespace n ORDER BY n.oid";
    for row in reader.rows("schemas", sql).await? {
        catalog.namespaces.push(Namespace {
            oid: row.oid("oid")?,
            name: row.text("nspname")?,
            owner: row.oid("nspowner")?,
            acl: row.opt_text("nspacl")?,
            acl_default: row.text_or_empty("acldefault")?,
        });
    }
    Ok(())
}

pub(crate) async fn read_extensions(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = "SELECT x.oid, x.extname, x.extnamespace, x.extrelocatable, x.extversion, \
                      x.extconfig, x.extcondition \
               FROM pg_catalog.pg_extension x ORDER BY x.oid";
    for row in reader.rows("extensions", sql).await? {
        catalog.extensions.push(Extension {
            oid: row.oid("oid")?,
            name: row.text("extname")?,
            namespace: row.oid("extnamespace")?,
            relocatable: row.bool("extrelocatable")?,
            version: row.text_or_empty("extversion")?,
            config_tables: row.oid_array("extconfig")?,
            config_conditions: row
                .array("extcondition")?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        });
    }
    let sql = format!(
        "SELECT classid, objid, refobjid FROM pg_catalog.pg_depend \
         WHERE refclassid = {} AND deptype = 'e' ORDER BY 3",
        class::PG_EXTENSION
    );
    for row in reader.rows("extension members", &sql).await? {
        let member = crate::CatalogId::new(row.oid("classid")?, row.oid("objid")?);
        catalog
            .extension_members
            .insert(member, row.oid("refobjid")?);
    }
    Ok(())
}

pub(crate) async fn read_depends(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    // Pinned and extension-membership rows say nothing about order (membership was read separately).
    let sql = "SELECT classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype \
               FROM pg_catalog.pg_depend WHERE deptype <> 'p' AND deptype <> 'e' AND classid <> 0 \
               ORDER BY 1, 2";
    for row in reader.rows("dependencies", sql).await? {
        catalog.depends.push(crate::Depend {
            object: crate::CatalogId::new(row.oid("classid")?, row.oid("objid")?),
            object_subid: row.i32("objsubid")?,
            referenced: crate::CatalogId::new(row.oid("refclassid")?, row.oid("refobjid")?),
            referenced_subid: row.i32("refobjsubid")?,
            deptype: row.char("deptype")?,
        });
    }
    Ok(())
}

pub(crate) async fn read_comments(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = "SELECT classoid, objoid, objsubid, description FROM pg_catalog.pg_description \
               ORDER BY classoid, objoid, objsubid";
    for row in reader.rows("comments", sql).await? {
        catalog.comments.push(crate::Comment {
            object: crate::CatalogId::new(row.oid("classoid")?, row.oid("objoid")?),
            subid: row.i32("objsubid")?,
            description: row.text_or_empty("description")?,
        });
    }
    let sql = "SELECT classoid, objoid, objsubid, provider, label FROM pg_catalog.pg_seclabel \
               ORDER BY classoid, objoid, objsubid, provider";
    for row in reader.rows("security labels", sql).await? {
        catalog.seclabels.push(crate::SecLabel {
            object: crate::CatalogId::new(row.oid("classoid")?, row.oid("objoid")?),
            subid: row.i32("objsubid")?,
            provider: row.text("provider")?,
            label: row.text_or_empty("label")?,
        });
    }
    Ok(())
}

pub(crate) async fn read_init_privs(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql =
        "SELECT objoid, classoid, objsubid, privtype, initprivs FROM pg_catalog.pg_init_privs";
    for row in reader.rows("initial privileges", sql).await? {
        let object = crate::CatalogId::new(row.oid("classoid")?, row.oid("objoid")?);
        let entry = (row.text_or_empty("initprivs")?, row.char("privtype")?);
        catalog
            .init_privs
            .entries
            .insert((object, row.i32("objsubid")?), entry);
    }
    Ok(())
}
