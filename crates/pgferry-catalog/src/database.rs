//! The database itself: what `--create` recreates.

use crate::query::Reader;
use crate::row::Oid;
use crate::{Catalog, CatalogError};
use pgferry_conn::ServerVersion;

/// The connected database's own properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Database {
    /// `pg_database.oid`.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The owner's role OID.
    pub owner: Oid,
    /// The encoding name, e.g. `UTF8`.
    pub encoding: String,
    /// `datlocprovider`: `c` libc, `i` icu, `b` builtin.
    pub locale_provider: u8,
    /// `datcollate`.
    pub collate: String,
    /// `datctype`.
    pub ctype: String,
    /// ICU or builtin locale (`daticulocale` on 15-16, `datlocale` on 17+).
    pub locale: Option<String>,
    /// ICU rules (16+).
    pub icu_rules: Option<String>,
    /// `datcollversion` (15+); pg_dump only uses it in binary upgrades.
    pub collversion: Option<String>,
    /// `datconnlimit`.
    pub connection_limit: i32,
    /// `datistemplate`.
    pub is_template: bool,
    /// `datacl` as text.
    pub acl: Option<String>,
    /// `acldefault('d', owner)`.
    pub acl_default: String,
    /// The default tablespace's name, when it is not `pg_default`.
    pub tablespace: Option<String>,
    /// The database comment (`shobj_description`).
    pub comment: Option<String>,
    /// `ALTER DATABASE ... SET` settings (`name=value` items).
    pub settings: Vec<String>,
    /// `ALTER ROLE ... IN DATABASE ... SET`: (role name, settings).
    pub role_settings: Vec<(String, Vec<String>)>,
    /// `standard_conforming_strings` of the session.
    pub std_strings: bool,
    /// The `version()` string of the server.
    pub server_version_string: String,
}

pub(crate) async fn read(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let version = reader.version();
    // One place for the locale columns' history: 15 added the provider and ICU locale, 16 ICU rules, and 17
    // renamed daticulocale to datlocale.
    let locale_columns = if version >= ServerVersion::V17 {
        "d.datlocprovider, d.datlocale, d.daticurules, d.datcollversion"
    } else if version >= ServerVersion::V16 {
        "d.datlocprovider, d.daticulocale AS datlocale, d.daticurules, d.datcollversion"
    } else if version >= ServerVersion::V15 {
        "d.datlocprovider, d.daticulocale AS datlocale, NULL AS daticurules, d.datcollversion"
    } else {
        "'c' AS datlocprovider, NULL AS datlocale, NULL AS daticurules, NULL AS datcollversion"
    };
    let sql = format!(
        "SELECT d.oid, d.datname, d.datdba, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, \
                d.datcollate, d.datctype, {locale_columns}, d.datconnlimit, d.datistemplate, d.datacl, \
                pg_catalog.acldefault('d', d.datdba) AS acldefault, \
                (SELECT spcname FROM pg_catalog.pg_tablespace t WHERE t.oid = d.dattablespace \
                   AND t.spcname <> 'pg_default') AS tablespace, \
                pg_catalog.shobj_description(d.oid, 'pg_database') AS description, \
                (SELECT setconfig FROM pg_catalog.pg_db_role_setting s \
                   WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings, \
                pg_catalog.current_setting('standard_conforming_strings') AS std_strings, \
                pg_catalog.version() AS version \
         FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()"
    );
    let rows = reader.rows("database", &sql).await?;
    let Some(row) = rows.first() else {
        return Ok(());
    };
    catalog.database = Database {
        oid: row.oid("oid")?,
        name: row.text("datname")?,
        owner: row.oid("datdba")?,
        encoding: row.text("encoding")?,
        locale_provider: row.char("datlocprovider")?,
        collate: row.text_or_empty("datcollate")?,
        ctype: row.text_or_empty("datctype")?,
        locale: row.opt_text("datlocale")?,
        icu_rules: row.opt_text("daticurules")?,
        collversion: row.opt_text("datcollversion")?,
        connection_limit: row.i32("datconnlimit")?,
        is_template: row.bool("datistemplate")?,
        acl: row.opt_text("datacl")?,
        acl_default: row.text_or_empty("acldefault")?,
        tablespace: row.opt_text("tablespace")?,
        comment: row.opt_text("description")?,
        settings: row.array("settings")?.into_iter().flatten().collect(),
        role_settings: Vec::new(),
        std_strings: row.text_or_empty("std_strings")? == "on",
        server_version_string: row.text_or_empty("version")?,
    };
    let sql = "SELECT r.rolname, s.setconfig FROM pg_catalog.pg_db_role_setting s \
               JOIN pg_catalog.pg_roles r ON r.oid = s.setrole \
               WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = \
                                      pg_catalog.current_database()) \
               ORDER BY r.rolname";
    for row in reader.rows("per-role database settings", sql).await? {
        let settings = row.array("setconfig")?.into_iter().flatten().collect();
        catalog
            .database
            .role_settings
            .push((row.text("rolname")?, settings));
    }
    Ok(())
}
