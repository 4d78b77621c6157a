//! Foreign-data wrappers, foreign servers and their user mappings (pg_dump's `dumpForeignDataWrapper`,
//! `dumpForeignServer`, `dumpUserMappings`).

use pgferry_archive::{desc, DumpId, Section};
use pgferry_catalog::{class, CatalogId};

use super::global_components;
use crate::acl::AclObjectType;
use crate::emit::{acl_entry, comment_entry, new_entry, section_of, Emitter, Labels};
use crate::model::{DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::PlanError;

pub(super) fn collect(planner: &mut Planner<'_>) {
    let search = &planner.catalog.foreign_and_search;
    for (i, fdw) in search.fdws.iter().enumerate() {
        let id = CatalogId::new(class::PG_FOREIGN_DATA_WRAPPER, fdw.oid);
        let dump = global_components(planner, id);
        planner.add(
            ObjKind::Fdw,
            id,
            fdw.name.clone(),
            0,
            dump,
            Source::Index(i),
        );
    }
    for (i, server) in search.servers.iter().enumerate() {
        let id = CatalogId::new(class::PG_FOREIGN_SERVER, server.oid);
        let dump = global_components(planner, id);
        planner.add(
            ObjKind::ForeignServer,
            id,
            server.name.clone(),
            0,
            dump,
            Source::Index(i),
        );
    }
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    match (object.kind, object.source) {
        (ObjKind::Fdw, Source::Index(i)) => wrapper(planner, object, i, out),
        (ObjKind::ForeignServer, Source::Index(i)) => server(planner, object, i, out),
        _ => Ok(()),
    }
}

/// ` OPTIONS (\n    a 'x',\n    b 'y'\n)` for a rendered option list, or nothing.
fn options_clause(options: &str) -> String {
    if options.is_empty() {
        String::new()
    } else {
        format!(" OPTIONS (\n    {options}\n)")
    }
}

fn wrapper(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let fdw = &catalog.foreign_and_search.fdws[index];
    let name = planner.quoter.ident(&fdw.name);
    let owner = catalog.role_name(fdw.owner).to_owned();
    let id = CatalogId::new(class::PG_FOREIGN_DATA_WRAPPER, fdw.oid);
    if object.dump.definition {
        let mut sql = format!("CREATE FOREIGN DATA WRAPPER {name}");
        if let Some(handler) = &fdw.handler {
            sql.push_str(&format!(" HANDLER {handler}"));
        }
        if let Some(validator) = &fdw.validator {
            sql.push_str(&format!(" VALIDATOR {validator}"));
        }
        sql.push_str(&options_clause(&fdw.options));
        sql.push_str(";\n");
        let mut entry = new_entry(
            object.id,
            desc::FOREIGN_DATA_WRAPPER,
            fdw.name.clone(),
            section_of(object),
        );
        entry.table_oid = id.classid;
        entry.oid = id.oid;
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP FOREIGN DATA WRAPPER {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "FOREIGN DATA WRAPPER",
        tag_name: name.clone(),
        sql_name: name.clone(),
        namespace: None,
        owner: Some(owner),
    };
    comment_entry(planner, out, object, id, 0, &labels);
    let base = catalog
        .init_privs
        .get(id, 0)
        .unwrap_or(&fdw.acl_default)
        .to_owned();
    acl_entry(
        planner,
        out,
        object,
        AclObjectType::ForeignDataWrapper,
        &name,
        None,
        fdw.acl.as_deref(),
        &base,
        &labels,
        &[],
    )?;
    Ok(())
}

fn server(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let search = &catalog.foreign_and_search;
    let server = &search.servers[index];
    let q = planner.quoter;
    let std = catalog.database.std_strings;
    let name = q.ident(&server.name);
    let owner = catalog.role_name(server.owner).to_owned();
    let id = CatalogId::new(class::PG_FOREIGN_SERVER, server.oid);
    if object.dump.definition {
        let mut sql = format!("CREATE SERVER {name}");
        if let Some(server_type) = server.server_type.as_deref().filter(|t| !t.is_empty()) {
            sql.push_str(&format!(
                " TYPE {}",
                crate::quote::literal(server_type, std)
            ));
        }
        if let Some(version) = server.version.as_deref().filter(|v| !v.is_empty()) {
            sql.push_str(&format!(" VERSION {}", crate::quote::literal(version, std)));
        }
        sql.push_str(&format!(
            " FOREIGN DATA WRAPPER {}",
            q.ident(&server.fdw_name)
        ));
        sql.push_str(&options_clause(&server.options));
        sql.push_str(";\n");
        let mut entry = new_entry(
            object.id,
            desc::SERVER,
            server.name.clone(),
            section_of(object),
        );
        entry.table_oid = id.classid;
        entry.oid = id.oid;
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP SERVER {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "SERVER",
        tag_name: name.clone(),
        sql_name: name.clone(),
        namespace: None,
        owner: Some(owner.clone()),
    };
    comment_entry(planner, out, object, id, 0, &labels);
    let base = catalog
        .init_privs
        .get(id, 0)
        .unwrap_or(&server.acl_default)
        .to_owned();
    acl_entry(
        planner,
        out,
        object,
        AclObjectType::ForeignServer,
        &name,
        None,
        server.acl.as_deref(),
        &base,
        &Labels {
            kind: "FOREIGN SERVER",
            ..labels
        },
        &[],
    )?;

    // User mappings are dumped with their server (pg_dump's user-mapping component comes with the definition,
    // never with an extension member's privileges): entries of their own, without an object or dependencies,
    // owned by the server's owner.
    if object.dump.definition {
        for mapping in search
            .user_mappings
            .iter()
            .filter(|m| m.server == server.oid)
        {
            let user = q.ident(&mapping.user_name);
            let mut entry = new_entry(
                DumpId(0),
                desc::USER_MAPPING,
                format!("USER MAPPING {} SERVER {}", mapping.user_name, server.name),
                Section::PreData,
            );
            entry.owner = Some(owner.clone());
            entry.defn = Some(format!(
                "CREATE USER MAPPING FOR {user} SERVER {name}{};\n",
                options_clause(&mapping.options)
            ));
            entry.drop_stmt = Some(format!("DROP USER MAPPING FOR {user} SERVER {name};\n"));
            out.extra_entry(entry, Vec::new());
        }
    }
    Ok(())
}
