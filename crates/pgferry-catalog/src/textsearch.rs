//! Text search objects, foreign-data wrappers, foreign servers, user mappings, publications and subscriptions.
//!
//! One query per kind. Function references (`prsstart`, `fdwhandler`, ...) are read as `::regproc` text and
//! option lists as pg_dump prints them (`quote_ident(name) || ' ' || quote_literal(value)`, by option name,
//! joined with `,\n    `), so that the plan pastes them as they are.

use pgferry_conn::ServerVersion;

use crate::query::Reader;
use crate::row::Oid;
use crate::{Catalog, CatalogError};

/// Text search objects, foreign-data wrappers, foreign servers, user mappings, publications and subscriptions.
#[derive(Debug, Clone, Default)]
pub struct ForeignAndSearchCatalog {
    /// `pg_ts_parser`.
    pub ts_parsers: Vec<TsParser>,
    /// `pg_ts_template`.
    pub ts_templates: Vec<TsTemplate>,
    /// `pg_ts_dict`.
    pub ts_dicts: Vec<TsDict>,
    /// `pg_ts_config`, with its mappings (built-in configurations in `pg_catalog` left out).
    pub ts_configs: Vec<TsConfig>,
    /// `pg_foreign_data_wrapper`.
    pub fdws: Vec<ForeignDataWrapper>,
    /// `pg_foreign_server`.
    pub servers: Vec<ForeignServer>,
    /// The `pg_user_mappings` view, by server then user name.
    pub user_mappings: Vec<UserMapping>,
    /// `pg_publication`.
    pub publications: Vec<Publication>,
    /// `pg_publication_rel`.
    pub publication_rels: Vec<PublicationRel>,
    /// `pg_publication_namespace` (servers 15+; empty before).
    pub publication_namespaces: Vec<PublicationNamespace>,
    /// The subscriptions of the current database (read only when the user is a superuser).
    pub subscriptions: Vec<Subscription>,
    /// When the user is not a superuser, subscriptions are not read; this counts the ones left out.
    pub subscriptions_not_read: usize,
}

/// A text search parser. Parsers have no owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsParser {
    /// `pg_ts_parser.oid`.
    pub oid: Oid,
    /// `prsname`.
    pub name: String,
    /// `prsnamespace`.
    pub namespace: Oid,
    /// `prsstart::regproc`.
    pub start: String,
    /// `prstoken::regproc`.
    pub gettoken: String,
    /// `prsend::regproc`.
    pub end: String,
    /// `prsheadline::regproc`, `None` when the parser has none.
    pub headline: Option<String>,
    /// `prslextype::regproc`.
    pub lextypes: String,
}

/// A text search template. Templates have no owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsTemplate {
    /// `pg_ts_template.oid`.
    pub oid: Oid,
    /// `tmplname`.
    pub name: String,
    /// `tmplnamespace`.
    pub namespace: Oid,
    /// `tmplinit::regproc`, `None` when the template has none.
    pub init: Option<String>,
    /// `tmpllexize::regproc`.
    pub lexize: String,
}

/// A text search dictionary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsDict {
    /// `pg_ts_dict.oid`.
    pub oid: Oid,
    /// `dictname`.
    pub name: String,
    /// `dictnamespace`.
    pub namespace: Oid,
    /// `dictowner`.
    pub owner: Oid,
    /// The template's schema name.
    pub template_schema: String,
    /// The template's name.
    pub template_name: String,
    /// `dictinitoption`, pasted into CREATE as it is.
    pub init_option: Option<String>,
}

/// A text search configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsConfig {
    /// `pg_ts_config.oid`.
    pub oid: Oid,
    /// `cfgname`.
    pub name: String,
    /// `cfgnamespace`.
    pub namespace: Oid,
    /// `cfgowner`.
    pub owner: Oid,
    /// The parser's schema name.
    pub parser_schema: String,
    /// The parser's name.
    pub parser_name: String,
    /// The mappings in token type and sequence order: (token alias from `ts_token_type()`, dictionary as
    /// `::regdictionary` prints it).
    pub mappings: Vec<(String, String)>,
}

/// A foreign-data wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignDataWrapper {
    /// `pg_foreign_data_wrapper.oid`.
    pub oid: Oid,
    /// `fdwname`.
    pub name: String,
    /// `fdwowner`.
    pub owner: Oid,
    /// `fdwhandler::regproc`, `None` for none.
    pub handler: Option<String>,
    /// `fdwvalidator::regproc`, `None` for none.
    pub validator: Option<String>,
    /// The options, rendered (empty for none).
    pub options: String,
    /// `fdwacl`.
    pub acl: Option<String>,
    /// `acldefault('F', owner)`.
    pub acl_default: String,
}

/// A foreign server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignServer {
    /// `pg_foreign_server.oid`.
    pub oid: Oid,
    /// `srvname`.
    pub name: String,
    /// `srvowner`.
    pub owner: Oid,
    /// The foreign-data wrapper's name.
    pub fdw_name: String,
    /// `srvtype`.
    pub server_type: Option<String>,
    /// `srvversion`.
    pub version: Option<String>,
    /// The options, rendered (empty for none).
    pub options: String,
    /// `srvacl`.
    pub acl: Option<String>,
    /// `acldefault('S', owner)`.
    pub acl_default: String,
}

/// A user mapping, as the `pg_user_mappings` view shows it (readable by anyone; the options are NULL for
/// users who may not see them, and the mapping is then dumped without OPTIONS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserMapping {
    /// The server's OID.
    pub server: Oid,
    /// The user name, `public` for the PUBLIC mapping.
    pub user_name: String,
    /// The options, rendered (empty for none).
    pub options: String,
}

/// A publication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Publication {
    /// `pg_publication.oid`.
    pub oid: Oid,
    /// `pubname`.
    pub name: String,
    /// `pubowner`.
    pub owner: Oid,
    /// `puballtables`.
    pub all_tables: bool,
    /// `pubinsert`.
    pub insert: bool,
    /// `pubupdate`.
    pub update: bool,
    /// `pubdelete`.
    pub delete: bool,
    /// `pubtruncate`.
    pub truncate: bool,
    /// `pubviaroot` (13+; false before).
    pub via_root: bool,
    /// `pubgencols` (18+; `n` before): `s` publishes stored generated columns.
    pub generated_columns: u8,
}

/// A table of a publication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicationRel {
    /// `pg_publication_rel.oid`.
    pub oid: Oid,
    /// The publication.
    pub publication: Oid,
    /// The table.
    pub table: Oid,
    /// The row filter, `pg_get_expr(prqual, prrelid)` (15+).
    pub row_filter: Option<String>,
    /// The column list's names (15+), `None` when all columns are published.
    pub columns: Option<Vec<String>>,
}

/// A schema of a publication (`FOR TABLES IN SCHEMA`, 15+).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicationNamespace {
    /// `pg_publication_namespace.oid`.
    pub oid: Oid,
    /// The publication.
    pub publication: Oid,
    /// The schema.
    pub namespace: Oid,
}

/// A subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// `pg_subscription.oid`.
    pub oid: Oid,
    /// `subname`.
    pub name: String,
    /// `subowner`.
    pub owner: Oid,
    /// `subconninfo`.
    pub conninfo: String,
    /// `subslotname`, `None` for `NONE`.
    pub slot_name: Option<String>,
    /// `subsynccommit`.
    pub synchronous_commit: String,
    /// `subpublications`.
    pub publications: Vec<String>,
    /// `subbinary` (14+; false before).
    pub binary: bool,
    /// `substream`: `f`, `t` or `p` (14+; `f` before).
    pub streaming: u8,
    /// `subtwophasestate`: `d` disabled, `p` pending, `e` enabled (15+; `d` before).
    pub two_phase_state: u8,
    /// `subdisableonerr` (15+; false before).
    pub disable_on_error: bool,
    /// `subpasswordrequired` (16+; true before).
    pub password_required: bool,
    /// `subrunasowner` (16+; true before, as pg_dump assumes).
    pub run_as_owner: bool,
    /// `suborigin` (16+; `any` before).
    pub origin: String,
    /// `subfailover` (17+; false before).
    pub failover: bool,
}

/// `array_to_string` of an options column as pg_dump renders option lists.
fn options_sql(column: &str) -> String {
    format!(
        "pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(option_name) || ' ' || \
         pg_catalog.quote_literal(option_value) FROM pg_catalog.pg_options_to_table({column}) \
         ORDER BY option_name), E',\\n    ')"
    )
}

/// A `::regproc` column that reads `-` for InvalidOid.
fn opt_proc(row: &crate::Row, name: &str) -> Result<Option<String>, CatalogError> {
    Ok(row.opt_text(name)?.filter(|p| p != "-"))
}

pub(crate) async fn read(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    read_text_search(reader, catalog).await?;
    read_foreign(reader, catalog).await?;
    read_publications(reader, catalog).await?;
    read_subscriptions(reader, catalog).await?;
    Ok(())
}

async fn read_text_search(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let out = &mut catalog.foreign_and_search;
    let sql = "SELECT p.oid, p.prsname, p.prsnamespace, p.prsstart::pg_catalog.regproc AS prsstart, \
                      p.prstoken::pg_catalog.regproc AS prstoken, p.prsend::pg_catalog.regproc AS prsend, \
                      p.prsheadline::pg_catalog.regproc AS prsheadline, \
                      p.prslextype::pg_catalog.regproc AS prslextype \
               FROM pg_catalog.pg_ts_parser p ORDER BY p.oid";
    for row in reader.rows("text search parsers", sql).await? {
        out.ts_parsers.push(TsParser {
            oid: row.oid("oid")?,
            name: row.text("prsname")?,
            namespace: row.oid("prsnamespace")?,
            start: row.text("prsstart")?,
            gettoken: row.text("prstoken")?,
            end: row.text("prsend")?,
            headline: opt_proc(&row, "prsheadline")?,
            lextypes: row.text("prslextype")?,
        });
    }

    let sql =
        "SELECT t.oid, t.tmplname, t.tmplnamespace, t.tmplinit::pg_catalog.regproc AS tmplinit, \
                      t.tmpllexize::pg_catalog.regproc AS tmpllexize \
               FROM pg_catalog.pg_ts_template t ORDER BY t.oid";
    for row in reader.rows("text search templates", sql).await? {
        out.ts_templates.push(TsTemplate {
            oid: row.oid("oid")?,
            name: row.text("tmplname")?,
            namespace: row.oid("tmplnamespace")?,
            init: opt_proc(&row, "tmplinit")?,
            lexize: row.text("tmpllexize")?,
        });
    }

    let sql = "SELECT d.oid, d.dictname, d.dictnamespace, d.dictowner, d.dictinitoption, \
                      tn.nspname AS template_schema, t.tmplname \
               FROM pg_catalog.pg_ts_dict d \
               JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate \
               JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace \
               ORDER BY d.oid";
    for row in reader.rows("text search dictionaries", sql).await? {
        out.ts_dicts.push(TsDict {
            oid: row.oid("oid")?,
            name: row.text("dictname")?,
            namespace: row.oid("dictnamespace")?,
            owner: row.oid("dictowner")?,
            template_schema: row.text("template_schema")?,
            template_name: row.text("tmplname")?,
            init_option: row.opt_text("dictinitoption")?,
        });
    }

    // The built-in configurations in pg_catalog are never dumped: leave them (and their many mappings) out.
    let sql = "SELECT c.oid, c.cfgname, c.cfgnamespace, c.cfgowner, c.cfgparser, \
                      pn.nspname AS parser_schema, p.prsname \
               FROM pg_catalog.pg_ts_config c \
               JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser \
               JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace \
               WHERE c.cfgnamespace <> 'pg_catalog'::pg_catalog.regnamespace \
               ORDER BY c.oid";
    for row in reader.rows("text search configurations", sql).await? {
        out.ts_configs.push(TsConfig {
            oid: row.oid("oid")?,
            name: row.text("cfgname")?,
            namespace: row.oid("cfgnamespace")?,
            owner: row.oid("cfgowner")?,
            parser_schema: row.text("parser_schema")?,
            parser_name: row.text("prsname")?,
            mappings: Vec::new(),
        });
    }
    if !out.ts_configs.is_empty() {
        let sql = "SELECT m.mapcfg, \
                          (SELECT t.alias FROM pg_catalog.ts_token_type(c.cfgparser) AS t \
                           WHERE t.tokid = m.maptokentype) AS tokenname, \
                          m.mapdict::pg_catalog.regdictionary AS dictname \
                   FROM pg_catalog.pg_ts_config_map m \
                   JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg \
                   WHERE c.cfgnamespace <> 'pg_catalog'::pg_catalog.regnamespace \
                   ORDER BY m.mapcfg, m.maptokentype, m.mapseqno";
        for row in reader
            .rows("text search configuration mappings", sql)
            .await?
        {
            let cfg = row.oid("mapcfg")?;
            if let Some(config) = out.ts_configs.iter_mut().find(|c| c.oid == cfg) {
                config
                    .mappings
                    .push((row.text_or_empty("tokenname")?, row.text("dictname")?));
            }
        }
    }
    Ok(())
}

async fn read_foreign(reader: &mut Reader<'_>, catalog: &mut Catalog) -> Result<(), CatalogError> {
    let out = &mut catalog.foreign_and_search;
    let sql = format!(
        "SELECT w.oid, w.fdwname, w.fdwowner, w.fdwhandler::pg_catalog.regproc AS fdwhandler, \
                w.fdwvalidator::pg_catalog.regproc AS fdwvalidator, w.fdwacl, \
                pg_catalog.acldefault('F', w.fdwowner) AS acldefault, {} AS fdwoptions \
         FROM pg_catalog.pg_foreign_data_wrapper w ORDER BY w.oid",
        options_sql("w.fdwoptions")
    );
    for row in reader.rows("foreign-data wrappers", &sql).await? {
        out.fdws.push(ForeignDataWrapper {
            oid: row.oid("oid")?,
            name: row.text("fdwname")?,
            owner: row.oid("fdwowner")?,
            handler: opt_proc(&row, "fdwhandler")?,
            validator: opt_proc(&row, "fdwvalidator")?,
            options: row.text_or_empty("fdwoptions")?,
            acl: row.opt_text("fdwacl")?,
            acl_default: row.text_or_empty("acldefault")?,
        });
    }

    let sql = format!(
        "SELECT s.oid, s.srvname, s.srvowner, w.fdwname, s.srvtype, s.srvversion, s.srvacl, \
                pg_catalog.acldefault('S', s.srvowner) AS acldefault, {} AS srvoptions \
         FROM pg_catalog.pg_foreign_server s \
         JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw \
         ORDER BY s.oid",
        options_sql("s.srvoptions")
    );
    for row in reader.rows("foreign servers", &sql).await? {
        out.servers.push(ForeignServer {
            oid: row.oid("oid")?,
            name: row.text("srvname")?,
            owner: row.oid("srvowner")?,
            fdw_name: row.text("fdwname")?,
            server_type: row.opt_text("srvtype")?,
            version: row.opt_text("srvversion")?,
            options: row.text_or_empty("srvoptions")?,
            acl: row.opt_text("srvacl")?,
            acl_default: row.text_or_empty("acldefault")?,
        });
    }

    // The view, not pg_user_mapping: it works for non-superusers (who see NULL options where they may not
    // see them).
    let sql = format!(
        "SELECT m.srvid, m.usename, {} AS umoptions \
         FROM pg_catalog.pg_user_mappings m ORDER BY m.srvid, m.usename",
        options_sql("m.umoptions")
    );
    for row in reader.rows("user mappings", &sql).await? {
        out.user_mappings.push(UserMapping {
            server: row.oid("srvid")?,
            user_name: row.text("usename")?,
            options: row.text_or_empty("umoptions")?,
        });
    }
    Ok(())
}

async fn read_publications(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let version = reader.version();
    let out = &mut catalog.foreign_and_search;
    // 13 added pubviaroot, 18 pubgencols.
    let via_root = if version >= ServerVersion::V13 {
        "p.pubviaroot"
    } else {
        "false AS pubviaroot"
    };
    let gencols = if version >= ServerVersion::V18 {
        "p.pubgencols"
    } else {
        "'n'::\"char\" AS pubgencols"
    };
    let sql = format!(
        "SELECT p.oid, p.pubname, p.pubowner, p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, \
                p.pubtruncate, {via_root}, {gencols} \
         FROM pg_catalog.pg_publication p ORDER BY p.oid"
    );
    for row in reader.rows("publications", &sql).await? {
        out.publications.push(Publication {
            oid: row.oid("oid")?,
            name: row.text("pubname")?,
            owner: row.oid("pubowner")?,
            all_tables: row.bool("puballtables")?,
            insert: row.bool("pubinsert")?,
            update: row.bool("pubupdate")?,
            delete: row.bool("pubdelete")?,
            truncate: row.bool("pubtruncate")?,
            via_root: row.bool("pubviaroot")?,
            generated_columns: row.char("pubgencols")?,
        });
    }
    if out.publications.is_empty() {
        return Ok(());
    }

    // 15 added row filters and column lists.
    let sql = if version >= ServerVersion::V15 {
        "SELECT pr.oid, pr.prpubid, pr.prrelid, \
                pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS prrelqual, \
                CASE WHEN pr.prattrs IS NOT NULL THEN \
                    (SELECT pg_catalog.array_agg(a.attname ORDER BY s.i) \
                     FROM pg_catalog.generate_series(0, \
                              pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) AS s(i) \
                     JOIN pg_catalog.pg_attribute a \
                       ON a.attrelid = pr.prrelid AND a.attnum = pr.prattrs[s.i]) \
                END AS prattrs \
         FROM pg_catalog.pg_publication_rel pr ORDER BY pr.oid"
    } else {
        "SELECT pr.oid, pr.prpubid, pr.prrelid, NULL AS prrelqual, NULL AS prattrs \
         FROM pg_catalog.pg_publication_rel pr ORDER BY pr.oid"
    };
    for row in reader.rows("publication tables", sql).await? {
        let columns = match row.opt_text("prattrs")? {
            Some(_) => Some(row.text_array("prattrs")?),
            None => None,
        };
        out.publication_rels.push(PublicationRel {
            oid: row.oid("oid")?,
            publication: row.oid("prpubid")?,
            table: row.oid("prrelid")?,
            row_filter: row.opt_text("prrelqual")?,
            columns,
        });
    }

    // 15 added FOR TABLES IN SCHEMA.
    if version >= ServerVersion::V15 {
        let sql = "SELECT pn.oid, pn.pnpubid, pn.pnnspid \
                   FROM pg_catalog.pg_publication_namespace pn ORDER BY pn.oid";
        for row in reader.rows("publication schemas", sql).await? {
            out.publication_namespaces.push(PublicationNamespace {
                oid: row.oid("oid")?,
                publication: row.oid("pnpubid")?,
                namespace: row.oid("pnnspid")?,
            });
        }
    }
    Ok(())
}

async fn read_subscriptions(
    reader: &mut Reader<'_>,
    catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    let version = reader.version();
    let this_database = "(SELECT d.oid FROM pg_catalog.pg_database d \
                          WHERE d.datname = pg_catalog.current_database())";
    // Only superusers may read subconninfo; others learn how many subscriptions they cannot dump.
    let rows = reader
        .rows(
            "superuser",
            "SELECT pg_catalog.current_setting('is_superuser') AS is_superuser",
        )
        .await?;
    let superuser = rows
        .first()
        .map(|r| r.text_or_empty("is_superuser"))
        .transpose()?
        .is_some_and(|v| v == "on");
    if !superuser {
        let sql = format!(
            "SELECT pg_catalog.count(*) AS n FROM pg_catalog.pg_subscription s \
             WHERE s.subdbid = {this_database}"
        );
        let rows = reader.rows("subscription count", &sql).await?;
        let count = rows.first().map(|r| r.i64("n")).transpose()?.unwrap_or(0);
        catalog.foreign_and_search.subscriptions_not_read = usize::try_from(count).unwrap_or(0);
        return Ok(());
    }

    // 14 added subbinary and substream (a boolean until 16 made it "char": f, t, p).
    let (binary, stream) = if version >= ServerVersion::V14 {
        ("s.subbinary", "s.substream::pg_catalog.text AS substream")
    } else {
        ("false AS subbinary", "'f' AS substream")
    };
    // 15 added two-phase commit and disable_on_error.
    let two_phase = if version >= ServerVersion::V15 {
        "s.subtwophasestate, s.subdisableonerr"
    } else {
        "'d' AS subtwophasestate, false AS subdisableonerr"
    };
    // 16 added password_required, run_as_owner and origin.
    let v16 = if version >= ServerVersion::V16 {
        "s.subpasswordrequired, s.subrunasowner, s.suborigin"
    } else {
        "true AS subpasswordrequired, true AS subrunasowner, 'any' AS suborigin"
    };
    // 17 added failover.
    let failover = if version >= ServerVersion::V17 {
        "s.subfailover"
    } else {
        "false AS subfailover"
    };
    let sql = format!(
        "SELECT s.oid, s.subname, s.subowner, s.subconninfo, s.subslotname, s.subsynccommit, \
                s.subpublications, {binary}, {stream}, {two_phase}, {v16}, {failover} \
         FROM pg_catalog.pg_subscription s WHERE s.subdbid = {this_database} ORDER BY s.oid"
    );
    for row in reader.rows("subscriptions", &sql).await? {
        // A boolean substream (14, 15) reads as "true"/"false" through ::text.
        let streaming = match row.text_or_empty("substream")?.as_str() {
            "true" | "t" => b't',
            "p" => b'p',
            _ => b'f',
        };
        catalog.foreign_and_search.subscriptions.push(Subscription {
            oid: row.oid("oid")?,
            name: row.text("subname")?,
            owner: row.oid("subowner")?,
            conninfo: row.text_or_empty("subconninfo")?,
            slot_name: row.opt_text("subslotname")?,
            synchronous_commit: row.text_or_empty("subsynccommit")?,
            publications: row.text_array("subpublications")?,
            binary: row.bool("subbinary")?,
            streaming,
            two_phase_state: row.char("subtwophasestate")?,
            disable_on_error: row.bool("subdisableonerr")?,
            password_required: row.bool("subpasswordrequired")?,
            run_as_owner: row.bool("subrunasowner")?,
            origin: row.text_or_empty("suborigin")?,
            failover: row.bool("subfailover")?,
        });
    }
    Ok(())
}
