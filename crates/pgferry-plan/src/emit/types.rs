//! Types, domains, collations, conversions, casts, transforms, procedural languages and access methods.
//!
//! Types that are never printed (auto-generated array and multirange types, table row types) get no object of
//! their own: their catalog addresses are mapped to the object they stand for (the element type, the range type,
//! the table), so that dependencies through them reach it, as pg_dump's DUMMY_TYPE objects do. A stand-alone
//! composite type's `pg_class` row is mapped to the type likewise.
//!
//! Base and range types get a SHELL TYPE object that is dumped only when loop repair needs it: a type and its
//! I/O (or canonical) function depend on each other; [`repair_loop`] makes the function depend on the shell
//! type instead, as pg_dump's `repairTypeFuncLoop` does.

mod defs;
mod objects;

use std::collections::HashMap;

use pgferry_archive::DumpId;
use pgferry_catalog::{class, CatalogId, Oid};

use super::Emitter;
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::PlanError;

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    collect_types(planner);
    objects::collect(planner);
    Ok(())
}

fn collect_types(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    let types = &catalog.types.types;
    let mut objects: HashMap<Oid, DumpId> = HashMap::new();
    for (i, ty) in types.iter().enumerate() {
        // Table row types stand for their table (the planner maps them); arrays and multiranges are mapped
        // below, once every type has its object.
        if (ty.relid != 0 && ty.relkind != b'c') || ty.is_array || ty.typtype == b'm' {
            continue;
        }
        // Only undefined pseudo-types (shell types) can be user-made.
        if ty.typtype == b'p' && ty.is_defined {
            continue;
        }
        let catalog_id = CatalogId::new(class::PG_TYPE, ty.oid);
        let dump = type_components(planner, ty.namespace, catalog_id);
        let id = planner.add(
            ObjKind::Type,
            catalog_id,
            ty.name.clone(),
            ty.namespace,
            dump,
            Source::Index(i),
        );
        objects.insert(ty.oid, id);
        if ty.relkind == b'c' {
            // pg_depend records a composite type's column dependencies against its pg_class row.
            planner
                .by_catalog
                .entry(CatalogId::new(class::PG_CLASS, ty.relid))
                .or_insert(id);
        }
        if dump.definition && matches!(ty.typtype, b'b' | b'r') {
            // No catalog address: pg_depend must not reach the shell type.
            planner.add(
                ObjKind::ShellType,
                CatalogId::new(0, 0),
                ty.name.clone(),
                ty.namespace,
                Components::NONE,
                Source::Index(i),
            );
        }
        let Some(domain) = ty.domain.as_ref().filter(|_| dump.definition) else {
            continue;
        };
        for (ci, constraint) in domain.constraints.iter().enumerate() {
            let con = planner.add(
                ObjKind::Constraint,
                CatalogId::new(class::PG_CONSTRAINT, constraint.oid),
                constraint.name.clone(),
                ty.namespace,
                Components {
                    definition: dump.definition,
                    comment: dump.comment,
                    ..Components::NONE
                },
                Source::DomainConstraint(i, ci),
            );
            let object = planner.object_mut(con).expect("just added");
            // Domain constraints sort before table constraints of the same name, then by domain name.
            object.tiebreak = vec![String::new(), ty.name.clone()];
            object.owner_table = Some(id);
            // A validated constraint is written inside CREATE DOMAIN, so the domain waits for what it needs;
            // a NOT VALID one is added after the data.
            object.separate = !constraint.validated;
            if constraint.validated {
                planner.add_dep(id, con);
            } else {
                planner.add_dep(con, id);
            }
        }
    }

    // Auto-generated array and multirange types stand for their element and range types.
    for ty in types {
        let target = if ty.is_array {
            ty.element
        } else if ty.typtype == b'm' {
            ty.multirange_of
        } else {
            continue;
        };
        let object = objects.get(&target).copied().or_else(|| {
            // An array of a table's row type stands for the table.
            catalog
                .types
                .type_by_oid(target)
                .filter(|t| t.relid != 0 && t.relkind != b'c')
                .and_then(|t| planner.lookup(CatalogId::new(class::PG_CLASS, t.relid)))
        });
        if let Some(object) = object {
            planner
                .by_catalog
                .entry(CatalogId::new(class::PG_TYPE, ty.oid))
                .or_insert(object);
        }
    }
}

/// What pg_dump dumps of a type: by its schema; only the ACL of an extension member or of a type in
/// pg_catalog (its privileges may have been changed).
fn type_components(planner: &Planner<'_>, namespace: Oid, id: CatalogId) -> Components {
    let catalog = planner.catalog;
    if let Some(components) = planner.extension_member_components(id) {
        return components;
    }
    let options = planner.options;
    if catalog.namespace_name(namespace) == "pg_catalog" {
        return if options.tables_selected
            || options.exclude_schemas.contains(&namespace)
            || (!options.include_schemas.is_empty()
                && !options.include_schemas.contains(&namespace))
        {
            Components::NONE
        } else {
            Components::ACL_ONLY
        };
    }
    planner.schema_components(namespace, id)
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    match (object.kind, object.source) {
        (ObjKind::Type, Source::Index(i)) => defs::emit_type(planner, object, i, out),
        (ObjKind::ShellType, Source::Index(i)) => {
            defs::emit_shell_type(planner, object, i, out);
            Ok(())
        }
        (ObjKind::Constraint, Source::DomainConstraint(t, c)) => {
            defs::emit_domain_constraint(planner, object, t, c, out);
            Ok(())
        }
        (
            ObjKind::Collation
            | ObjKind::Conversion
            | ObjKind::Cast
            | ObjKind::Transform
            | ObjKind::ProcLang
            | ObjKind::AccessMethod,
            Source::Index(i),
        ) => objects::emit(planner, object, i, out),
        _ => Ok(()),
    }
}

/// Breaks a dependency loop this group knows how to break; `None` when it does not recognise the loop.
///
/// A type and one of its I/O functions (or a range type and its canonical function) depend on each other:
/// the function is made to depend on the type's shell instead, and the shell is dumped if the function is
/// (pg_dump's `repairTypeFuncLoop`). Types without a shell simply lose the function's dependency.
pub(crate) fn repair_loop(
    objects: &mut [DumpObject],
    cycle: &[pgferry_archive::DumpId],
) -> Option<()> {
    let [first, second] = cycle else {
        return None;
    };
    let position = |id: DumpId| objects.iter().position(|o| o.id == id);
    let (a, b) = (position(*first)?, position(*second)?);
    let (ty, func) = match (objects[a].kind, objects[b].kind) {
        (ObjKind::Type, ObjKind::Func) => (a, b),
        (ObjKind::Func, ObjKind::Type) => (b, a),
        _ => return None,
    };
    let type_id = objects[ty].id;
    let type_source = objects[ty].source;
    objects[func].remove_dep(type_id);
    let shell = objects
        .iter()
        .position(|o| o.kind == ObjKind::ShellType && o.source == type_source);
    if let Some(shell) = shell {
        let shell_id = objects[shell].id;
        objects[func].add_dep(shell_id);
        let func_dump = objects[func].dump;
        if func_dump.any() {
            let shell_dump = &mut objects[shell].dump;
            *shell_dump = Components {
                definition: true,
                ..func_dump
            };
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgferry_archive::DumpId;

    fn object(id: u32, kind: ObjKind, source: Source, deps: &[u32]) -> DumpObject {
        DumpObject {
            id: DumpId(id),
            kind,
            catalog_id: CatalogId::new(0, 0),
            name: format!("o{id}"),
            schema: None,
            namespace_oid: 0,
            tiebreak: Vec::new(),
            dump: if kind == ObjKind::ShellType {
                Components::NONE
            } else {
                Components::ALL
            },
            source,
            deps: deps.iter().map(|&d| DumpId(d)).collect(),
            separate: false,
            postponed: false,
            postponable: false,
            owner_table: None,
        }
    }

    #[test]
    fn io_function_loop_goes_through_the_shell_type() {
        let mut objects = vec![
            object(1, ObjKind::Type, Source::Index(0), &[2]),
            object(2, ObjKind::Func, Source::Index(7), &[1]),
            object(3, ObjKind::ShellType, Source::Index(0), &[]),
            object(4, ObjKind::ShellType, Source::Index(1), &[]),
        ];
        assert!(repair_loop(&mut objects, &[DumpId(2), DumpId(1)]).is_some());
        assert_eq!(objects[1].deps, vec![DumpId(3)]);
        assert!(objects[2].dump.definition);
        assert!(!objects[3].dump.any());
        assert_eq!(objects[0].deps, vec![DumpId(2)]);
    }

    #[test]
    fn other_loops_are_left_alone() {
        let mut objects = vec![
            object(1, ObjKind::Type, Source::Index(0), &[2]),
            object(2, ObjKind::Table, Source::Table(0), &[1]),
        ];
        assert!(repair_loop(&mut objects, &[DumpId(1), DumpId(2)]).is_none());
        let mut objects = vec![
            object(1, ObjKind::Type, Source::Index(0), &[2]),
            object(2, ObjKind::Func, Source::Index(0), &[3]),
            object(3, ObjKind::Func, Source::Index(1), &[1]),
        ];
        assert!(repair_loop(&mut objects, &[DumpId(1), DumpId(2), DumpId(3)]).is_none());
    }

    /// A language whose handler is not dumped (it lives in pg_catalog) is written without parameters, which
    /// servers 13+ read as CREATE EXTENSION; a round trip cannot show this, so it is checked here.
    #[test]
    fn a_language_without_dumped_handler_is_created_without_parameters() {
        use pgferry_catalog::types::{FunctionRef, Language};
        let mut catalog = pgferry_catalog::Catalog::default();
        catalog.roles.insert(10, "postgres".to_owned());
        let handler = |oid: Oid, name: &str| FunctionRef {
            oid,
            schema: "pg_catalog".to_owned(),
            name: name.to_owned(),
            arguments: String::new(),
        };
        catalog.types.languages.push(Language {
            oid: 16500,
            name: "plfoo".to_owned(),
            trusted: true,
            owner: 10,
            acl: Some("{postgres=U/postgres}".to_owned()),
            acl_default: "{=U/postgres,postgres=U/postgres}".to_owned(),
            handler: Some(handler(13000, "plpgsql_call_handler")),
            inline: Some(handler(13001, "plpgsql_inline_handler")),
            validator: None,
        });
        let toc = crate::plan(&catalog, &crate::PlanOptions::default()).expect("plan");
        let language = toc
            .entries
            .iter()
            .find(|e| e.desc == "PROCEDURAL LANGUAGE")
            .expect("language entry");
        assert_eq!(language.tag, "plfoo");
        assert_eq!(
            language.defn.as_deref(),
            Some("CREATE OR REPLACE PROCEDURAL LANGUAGE plfoo;\n")
        );
        assert_eq!(
            language.drop_stmt.as_deref(),
            Some("DROP PROCEDURAL LANGUAGE plfoo;\n")
        );
        let acl = toc
            .entries
            .iter()
            .find(|e| e.desc == "ACL")
            .expect("acl entry");
        assert_eq!(acl.tag, "LANGUAGE plfoo");
        assert_eq!(
            acl.defn.as_deref(),
            Some("REVOKE ALL ON LANGUAGE plfoo FROM PUBLIC;\n")
        );
    }

    #[test]
    fn a_type_without_shell_just_loses_the_edge() {
        let mut objects = vec![
            object(1, ObjKind::Type, Source::Index(0), &[2]),
            object(2, ObjKind::Func, Source::Index(0), &[1]),
        ];
        assert!(repair_loop(&mut objects, &[DumpId(1), DumpId(2)]).is_some());
        assert!(objects[1].deps.is_empty());
    }
}
