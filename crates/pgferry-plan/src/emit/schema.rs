//! Special entries (encoding, search path, database), schemas and extensions.

use pgferry_archive::{desc, DumpId, Section, TocEntry};
use pgferry_catalog::{class, CatalogId, LAST_SYSTEM_OID};
use pgferry_conn::ServerVersion;

use super::{acl_entry, comment_entry, comment_text_entry, new_entry, Emitter, Labels};
use crate::acl::{public_schema_base_acl, AclObjectType};
use crate::guc::render_setting;
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::{quote, PlanError};

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    for (i, ns) in catalog.namespaces.iter().enumerate() {
        let id = CatalogId::new(class::PG_NAMESPACE, ns.oid);
        let mut dump = if planner.namespace_selected(ns.oid) && catalog.extension_of(id).is_none() {
            Components::ALL
        } else {
            Components::NONE
        };
        if ns.name == "public" && dump.any() {
            // initdb creates public: its definition is dumped only to record a changed owner.
            dump.definition = !ns_owner_is_database_owner(planner, ns.owner);
        }
        let object = planner.add(
            ObjKind::Namespace,
            id,
            ns.name.clone(),
            0,
            dump,
            Source::Namespace(i),
        );
        let _ = object;
    }
    for (i, ext) in catalog.extensions.iter().enumerate() {
        let id = CatalogId::new(class::PG_EXTENSION, ext.oid);
        // Built-in extensions (plpgsql) exist in every database already.
        let dump = if ext.oid <= LAST_SYSTEM_OID
            || planner.options.exclude_extensions.contains(&ext.oid)
        {
            Components::NONE
        } else if planner.options.include_everything()
            || planner.options.include_extensions.contains(&ext.oid)
        {
            Components::ALL
        } else {
            Components::NONE
        };
        planner.add(
            ObjKind::Extension,
            id,
            ext.name.clone(),
            0,
            dump,
            Source::Extension(i),
        );
    }
    Ok(())
}

fn ns_owner_is_database_owner(planner: &Planner<'_>, owner: pgferry_catalog::Oid) -> bool {
    planner.catalog.role_name(owner) == "pg_database_owner"
}

/// ENCODING, STDSTRINGS, SEARCHPATH, and (with `--create` or in archives) DATABASE and its properties.
pub(super) fn special_entries(planner: &Planner<'_>, out: &mut Emitter) {
    let db = &planner.catalog.database;
    let mut encoding = new_entry(
        out.toc.allocate(),
        desc::ENCODING,
        desc::ENCODING,
        Section::PreData,
    );
    encoding.defn = Some(format!("SET client_encoding = '{}';\n", db.encoding));
    out.extra_entry(encoding, Vec::new());
    let mut std = new_entry(
        out.toc.allocate(),
        desc::STDSTRINGS,
        desc::STDSTRINGS,
        Section::PreData,
    );
    std.defn = Some(format!(
        "SET standard_conforming_strings = '{}';\n",
        if db.std_strings { "on" } else { "off" }
    ));
    out.extra_entry(std, Vec::new());
    let mut path = new_entry(
        out.toc.allocate(),
        desc::SEARCHPATH,
        desc::SEARCHPATH,
        Section::PreData,
    );
    path.defn = Some("SELECT pg_catalog.set_config('search_path', '', false);\n".to_owned());
    out.extra_entry(path, Vec::new());

    if planner.options.database_entries {
        database_entries(planner, out);
    }
}

fn database_entries(planner: &Planner<'_>, out: &mut Emitter) {
    let catalog = planner.catalog;
    let db = &catalog.database;
    let version = catalog.version.unwrap_or(ServerVersion::V18);
    let std = db.std_strings;
    let q = planner.quoter;
    let name = q.ident(&db.name);
    let owner = catalog.role_name(db.owner).to_owned();

    let mut create = format!("CREATE DATABASE {name} WITH TEMPLATE = template0");
    if !db.encoding.is_empty() {
        create.push_str(&format!(
            " ENCODING = {}",
            quote::literal(&db.encoding, std)
        ));
    }
    // LOCALE_PROVIDER exists from 15 and LOCALE from 13; older servers cannot read them, and a dump of an
    // older server is most likely restored into one of the same version.
    if version >= ServerVersion::V15 {
        let provider = match db.locale_provider {
            b'b' => "builtin",
            b'i' => "icu",
            _ => "libc",
        };
        create.push_str(&format!(" LOCALE_PROVIDER = {provider}"));
    }
    if !db.collate.is_empty() && db.collate == db.ctype && version >= ServerVersion::V13 {
        create.push_str(&format!(" LOCALE = {}", quote::literal(&db.collate, std)));
    } else {
        if !db.collate.is_empty() {
            create.push_str(&format!(
                " LC_COLLATE = {}",
                quote::literal(&db.collate, std)
            ));
        }
        if !db.ctype.is_empty() {
            create.push_str(&format!(" LC_CTYPE = {}", quote::literal(&db.ctype, std)));
        }
    }
    if let Some(locale) = db.locale.as_deref().filter(|l| !l.is_empty()) {
        match db.locale_provider {
            b'b' => create.push_str(&format!(
                " BUILTIN_LOCALE = {}",
                quote::literal(locale, std)
            )),
            b'i' => create.push_str(&format!(" ICU_LOCALE = {}", quote::literal(locale, std))),
            _ => {}
        }
    }
    if let Some(rules) = db.icu_rules.as_deref().filter(|r| !r.is_empty()) {
        create.push_str(&format!(" ICU_RULES = {}", quote::literal(rules, std)));
    }
    if let Some(tablespace) = db
        .tablespace
        .as_deref()
        .filter(|_| !planner.options.no_tablespaces)
    {
        create.push_str(&format!(" TABLESPACE = {}", q.ident(tablespace)));
    }
    create.push_str(";\n");

    let db_id = out.toc.allocate();
    let mut entry = new_entry(db_id, desc::DATABASE, db.name.clone(), Section::PreData);
    entry.table_oid = class::PG_DATABASE;
    entry.oid = db.oid;
    entry.owner = Some(owner.clone());
    entry.defn = Some(create);
    entry.drop_stmt = Some(format!("DROP DATABASE {name};\n"));
    out.extra_entry(entry, Vec::new());

    let labels = Labels {
        kind: "DATABASE",
        tag_name: name.clone(),
        sql_name: name.clone(),
        namespace: None,
        owner: Some(owner.clone()),
    };
    if let Some(comment) = db
        .comment
        .as_deref()
        .filter(|_| !planner.options.no_comments)
    {
        comment_text_entry(planner, out, db_id, comment, &labels);
    }
    if !planner.options.no_privileges {
        let fake = DumpObject {
            id: db_id,
            kind: ObjKind::Namespace,
            catalog_id: CatalogId::new(class::PG_DATABASE, db.oid),
            name: db.name.clone(),
            schema: None,
            namespace_oid: 0,
            tiebreak: Vec::new(),
            dump: Components::ALL,
            source: Source::None,
            deps: Vec::new(),
            separate: false,
            postponed: false,
            postponable: false,
            owner_table: None,
        };
        let _ = acl_entry(
            planner,
            out,
            &fake,
            AclObjectType::Database,
            &name,
            None,
            db.acl.as_deref(),
            &db.acl_default,
            &labels,
            &[],
        );
    }

    let mut props = String::new();
    let mut drop = String::new();
    if db.connection_limit != -1 {
        props.push_str(&format!(
            "ALTER DATABASE {name} CONNECTION LIMIT = {};\n",
            db.connection_limit
        ));
    }
    if db.is_template {
        props.push_str(&format!("ALTER DATABASE {name} IS_TEMPLATE = true;\n"));
        drop.push_str(&format!(
            "UPDATE pg_catalog.pg_database SET datistemplate = false WHERE datname = {};\n",
            quote::literal(&db.name, std)
        ));
    }
    for item in &db.settings {
        let (setting, value) = render_setting(item, q, std);
        props.push_str(&format!(
            "ALTER DATABASE {name} SET {setting} TO {value};\n"
        ));
    }
    for (role, items) in &db.role_settings {
        for item in items {
            let (setting, value) = render_setting(item, q, std);
            props.push_str(&format!(
                "ALTER ROLE {} IN DATABASE {name} SET {setting} TO {value};\n",
                q.ident(role)
            ));
        }
    }
    if !props.is_empty() {
        let mut entry = new_entry(
            DumpId(0),
            desc::DATABASE_PROPERTIES,
            db.name.clone(),
            Section::PreData,
        );
        entry.owner = Some(owner);
        entry.defn = Some(props);
        entry.drop_stmt = Some(drop);
        out.extra_entry(entry, vec![db_id]);
    }
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    match (object.kind, object.source) {
        (ObjKind::Namespace, Source::Namespace(i)) => namespace(planner, object, i, out),
        (ObjKind::Extension, Source::Extension(i)) => extension(planner, object, i, out),
        _ => Ok(()),
    }
}

fn namespace(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let ns = &catalog.namespaces[index];
    let q = planner.quoter;
    let name = q.ident(&ns.name);
    let owner = catalog.role_name(ns.owner).to_owned();
    let is_public = ns.name == "public";
    if object.dump.definition {
        let mut entry = new_entry(object.id, desc::SCHEMA, ns.name.clone(), Section::PreData);
        entry.table_oid = class::PG_NAMESPACE;
        entry.oid = ns.oid;
        entry.owner = Some(owner.clone());
        if is_public {
            entry.defn = Some("-- *not* creating schema, since initdb creates it\n".to_owned());
            entry.drop_stmt =
                Some("-- *not* dropping schema, since initdb creates it\n".to_owned());
        } else {
            entry.defn = Some(format!("CREATE SCHEMA {name};\n"));
            entry.drop_stmt = Some(format!("DROP SCHEMA {name};\n"));
        }
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "SCHEMA",
        tag_name: name.clone(),
        sql_name: name.clone(),
        namespace: None,
        owner: Some(owner.clone()),
    };
    let id = CatalogId::new(class::PG_NAMESPACE, ns.oid);
    // pg_dump recognises the public schema's comment by its quoted name, so with --quote-all-identifiers
    // ("public") the comment is dumped like any other; kept for identical output.
    if is_public && name == "public" {
        // initdb's comment is the baseline: unchanged means nothing to dump, removed means an empty one.
        if object.dump.comment && !planner.options.no_comments {
            match catalog.comment(id, 0) {
                Some("standard public schema") => {}
                Some(text) => comment_text_entry(planner, out, object.id, text, &labels),
                None => comment_text_entry(planner, out, object.id, "", &labels),
            }
        }
    } else {
        comment_entry(planner, out, object, id, 0, &labels);
    }
    // The public schema's baseline is the 15+ default whatever the server, so that dumps of older servers
    // reproduce their permissive ACL explicitly.
    let base = if is_public {
        public_schema_base_acl(&owner)
    } else {
        catalog
            .init_privs
            .get(id, 0)
            .unwrap_or(&ns.acl_default)
            .to_owned()
    };
    acl_entry(
        planner,
        out,
        object,
        AclObjectType::Schema,
        &name,
        None,
        ns.acl.as_deref(),
        &base,
        &labels,
        &[],
    )?;
    Ok(())
}

fn extension(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let ext = &catalog.extensions[index];
    let q = planner.quoter;
    let name = q.ident(&ext.name);
    if object.dump.definition {
        let mut entry: TocEntry = new_entry(
            object.id,
            desc::EXTENSION,
            ext.name.clone(),
            Section::PreData,
        );
        entry.table_oid = class::PG_EXTENSION;
        entry.oid = ext.oid;
        let schema = q.ident(catalog.namespace_name(ext.namespace));
        entry.defn = Some(format!(
            "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {schema};\n"
        ));
        entry.drop_stmt = Some(format!("DROP EXTENSION {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "EXTENSION",
        tag_name: name.clone(),
        sql_name: name,
        namespace: None,
        // Extensions have no owner; pg_dump labels their comments with an empty one ("Owner: ").
        owner: Some(String::new()),
    };
    comment_entry(
        planner,
        out,
        object,
        CatalogId::new(class::PG_EXTENSION, ext.oid),
        0,
        &labels,
    );
    Ok(())
}
