//! Default privileges (pg_dump's `dumpDefaultACL`): `DEFAULT ACL` entries, post-data, restored in the ACL pass.

use pgferry_archive::desc;
use pgferry_catalog::{class, CatalogId, Oid};

use crate::acl::{build_default_acl_commands, DefaultAclInput, DefaultAclObjectType};
use crate::emit::{new_entry, section_of, Emitter};
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::PlanError;

pub(super) fn collect(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    for (i, entry) in catalog.misc.default_acls.iter().enumerate() {
        let id = CatalogId::new(class::PG_DEFAULT_ACL, entry.oid);
        // Per-schema entries are part of their schema's contents; global ones need the whole database.
        let dump = if entry.namespace != 0 {
            schema_contents(planner, entry.namespace)
        } else if planner.options.include_everything() {
            Components::ALL
        } else {
            Components::NONE
        };
        // Sorted by the object type letter, then by role.
        let object = planner.add(
            ObjKind::DefaultAcl,
            id,
            char::from(entry.object_type).to_string(),
            entry.namespace,
            dump,
            Source::Index(i),
        );
        if let Some(object) = planner.object_mut(object) {
            object.tiebreak = vec![catalog.role_name(entry.role).to_owned()];
        }
    }
}

/// What is dumped of a schema's contents (pg_dump's `dump_contains`): nothing under `-t`; under `-n`, everything
/// of the listed schemas (`pg_catalog` too); otherwise the privileges of `pg_catalog`'s contents and everything of
/// the other schemas [`Planner::namespace_selected`] accepts. `-N` always leaves a schema out.
fn schema_contents(planner: &Planner<'_>, namespace: Oid) -> Components {
    let options = planner.options;
    if options.tables_selected || options.exclude_schemas.contains(&namespace) {
        return Components::NONE;
    }
    if !options.include_schemas.is_empty() {
        return if options.include_schemas.contains(&namespace) {
            Components::ALL
        } else {
            Components::NONE
        };
    }
    let is_catalog = planner
        .catalog
        .namespace(namespace)
        .is_some_and(|n| n.name == "pg_catalog");
    if is_catalog {
        Components::ACL_ONLY
    } else if planner.namespace_selected(namespace) {
        Components::ALL
    } else {
        Components::NONE
    }
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let Source::Index(i) = object.source else {
        return Ok(());
    };
    if planner.options.no_privileges || !object.dump.acl {
        return Ok(());
    }
    let catalog = planner.catalog;
    let entry = &catalog.misc.default_acls[i];
    let object_type =
        DefaultAclObjectType::from_code(char::from(entry.object_type)).map_err(|e| {
            PlanError::Acl {
                object: format!("default privileges {}", entry.oid),
                reason: e.to_string(),
            }
        })?;
    let role = catalog.role_name(entry.role);
    let schema = (entry.namespace != 0).then(|| catalog.namespace_name(entry.namespace).to_owned());
    let sql = build_default_acl_commands(&DefaultAclInput {
        role,
        schema: schema.as_deref(),
        object_type,
        acl: &entry.acl,
        base_acl: &entry.base_acl,
        quoter: planner.quoter,
    })
    .map_err(|e| PlanError::Acl {
        object: format!("default privileges for {}", object_type.keyword()),
        reason: e.to_string(),
    })?;
    let mut toc = new_entry(
        object.id,
        desc::DEFAULT_ACL,
        format!("DEFAULT PRIVILEGES FOR {}", object_type.keyword()),
        section_of(object),
    );
    toc.table_oid = class::PG_DEFAULT_ACL;
    toc.oid = entry.oid;
    toc.namespace = schema;
    toc.owner = Some(role.to_owned());
    toc.defn = Some(sql);
    out.main_entry(toc);
    Ok(())
}
