//! Default privileges (`pg_default_acl`) and large object metadata (`pg_largeobject_metadata`).
//!
//! Large objects are data, not schema: the plan writes them only into dumps that include data. Their comments
//! and security labels come with every other object's (`pg_description`, `pg_seclabel`, class
//! `pg_largeobject`).

use crate::query::Reader;
use crate::row::Oid;
use crate::{Catalog, CatalogError};

/// Default privileges and large object metadata.
#[derive(Debug, Clone, Default)]
pub struct MiscCatalog {
    /// `pg_default_acl`, by OID.
    pub default_acls: Vec<DefaultAcl>,
    /// `pg_largeobject_metadata`, ordered as pg_dump groups them: by owner, then ACL text, then OID.
    pub large_objects: Vec<LargeObject>,
}

/// One large object's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LargeObject {
    /// Its OID (any value of the unsigned 32-bit range).
    pub oid: Oid,
    /// The owner's role OID.
    pub owner: Oid,
    /// `lomacl` as text; `None` for the default privileges.
    pub acl: Option<String>,
    /// `acldefault('L', lomowner)`.
    pub acl_default: String,
}

/// One `ALTER DEFAULT PRIVILEGES` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultAcl {
    /// `pg_default_acl.oid`.
    pub oid: Oid,
    /// `defaclrole`: whose future objects.
    pub role: Oid,
    /// `defaclnamespace`, 0 for a global entry.
    pub namespace: Oid,
    /// `defaclobjtype`: `r`, `S`, `f`, `T`, `n`, or `L` (large objects, 18).
    pub object_type: u8,
    /// `defaclacl`.
    pub acl: String,
    /// What the entry is compared with: `acldefault(objtype, role)` for a global entry (sequences as `s`),
    /// `{}` for a per-schema one, which can only add privileges.
    pub base_acl: String,
}

pub(crate) async fn read(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let sql = "SELECT d.oid, d.defaclrole, d.defaclnamespace, d.defaclobjtype, d.defaclacl, \
                      CASE WHEN d.defaclnamespace = 0 THEN \
                          pg_catalog.acldefault(CASE WHEN d.defaclobjtype = 'S' THEN 's'::\"char\" \
                                                     ELSE d.defaclobjtype END, d.defaclrole) \
                      ELSE '{}' END AS acldefault \
               FROM pg_catalog.pg_default_acl d ORDER BY d.oid";
    for row in reader.rows("default privileges", sql).await? {
        catalog.misc.default_acls.push(DefaultAcl {
            oid: row.oid("oid")?,
            role: row.oid("defaclrole")?,
            namespace: row.oid("defaclnamespace")?,
            object_type: row.char("defaclobjtype")?,
            acl: row.text_or_empty("defaclacl")?,
            base_acl: row.text_or_empty("acldefault")?,
        });
    }

    // pg_dump's order, so that large objects sharing an owner and privileges come together.
    let sql =
        "SELECT l.oid, l.lomowner, l.lomacl, pg_catalog.acldefault('L', l.lomowner) AS acldefault \
               FROM pg_catalog.pg_largeobject_metadata l \
               ORDER BY l.lomowner, l.lomacl::pg_catalog.text, l.oid";
    for row in reader.rows("large objects", sql).await? {
        catalog.misc.large_objects.push(LargeObject {
            oid: row.oid("oid")?,
            owner: row.oid("lomowner")?,
            acl: row.opt_text("lomacl")?,
            acl_default: row.text_or_empty("acldefault")?,
        });
    }
    Ok(())
}
