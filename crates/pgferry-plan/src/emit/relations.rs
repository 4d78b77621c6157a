//! Tables, partitions, views, materialized views, sequences and foreign tables; their defaults, CHECK and
//! NOT NULL constraints, partition attachment, and the data entries that belong to them.

use std::collections::HashMap;

use pgferry_archive::{desc, DumpId, Section, TocEntry};
use pgferry_catalog::{class, CatalogId, Oid};
use pgferry_catalog::{Column, Table};
use pgferry_conn::ServerVersion;

use super::{acl_entry, comment_entry, new_entry, Emitter, Labels};
use crate::acl::AclObjectType;
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::quote::Quoter;
use crate::PlanError;

const VIEW: u8 = b'v';
const MATVIEW: u8 = b'm';
const SEQUENCE: u8 = b'S';
const FOREIGN: u8 = b'f';
const PARTITIONED: u8 = b'p';

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let options = planner.options;
    for (ti, table) in catalog.relations.tables.iter().enumerate() {
        let mut dump = table_components(planner, table);
        if table.relkind == SEQUENCE && table.owned_by.is_some() {
            // Owned sequences follow their table (identity sequences exactly; serial ones for definitions).
            if let Some(owner) = table.owned_by.and_then(|(t, _)| catalog.relations.table(t)) {
                let owner_dump = table_components(planner, owner);
                if table.is_identity_sequence {
                    dump = owner_dump;
                } else {
                    dump.definition |= owner_dump.definition;
                }
            }
        }
        let id = planner.add(
            ObjKind::Table,
            table.catalog_id(),
            table.name.clone(),
            table.namespace,
            dump,
            Source::Table(ti),
        );
        if table.relkind == MATVIEW {
            if let Some(object) = planner.object_mut(id) {
                object.postponable = true;
            }
        }

        // Column defaults and generation expressions (identity columns have none).
        let parents: Vec<&Table> = catalog
            .relations
            .parents
            .get(&table.oid)
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| catalog.relations.table(*p))
                    .collect()
            })
            .unwrap_or_default();
        for (ci, column) in table.columns.iter().enumerate() {
            if column.is_dropped {
                continue;
            }
            let printed = column_printed(table, column);
            let has_default = column.default.is_some() && column.default_oid != 0;
            let (catalog_id, source, separate) = if has_default && column.generated != 0 {
                // A generation expression has no syntax of its own: inline, or (in an inheritance child
                // whose parents have it too) not written at all.
                if !printed
                    && parent_column(&parents, &column.name).is_some_and(|p| p.generated != 0)
                {
                    continue;
                }
                (
                    CatalogId::new(class::PG_ATTRDEF, column.default_oid),
                    Source::AttrDef(ti, ci),
                    false,
                )
            } else if has_default {
                // View defaults cannot be written inline; a column that is not printed cannot carry one
                // either.
                let separate = table.relkind == VIEW || !printed;
                (
                    CatalogId::new(class::PG_ATTRDEF, column.default_oid),
                    Source::AttrDef(ti, ci),
                    separate,
                )
            } else if needs_null_default(table, column, &parents) {
                // The child dropped a default its parent has: an explicit DEFAULT NULL keeps the restored
                // child from inheriting it (pg_dump does the same).
                (CatalogId::new(0, 0), Source::NullDefault(ti, ci), !printed)
            } else {
                continue;
            };
            let def = planner.add(
                ObjKind::AttrDef,
                catalog_id,
                table.name.clone(),
                table.namespace,
                Components {
                    definition: dump.definition,
                    ..Components::NONE
                },
                source,
            );
            let object = planner.object_mut(def).expect("just added");
            object.tiebreak = vec![format!("{:010}", column.attnum)];
            object.owner_table = Some(id);
            object.separate = separate;
            if separate {
                object.add_dep(id);
            } else {
                planner.add_dep(id, def);
            }
        }

        // CHECK constraints: inline in CREATE TABLE when validated, separate post-data entries when not.
        for (ki, check) in table.checks.iter().enumerate() {
            // Inherited checks come with INHERITS; partitions list them (ATTACH expects them), and local ones
            // that are not validated yet are added after the data.
            let inline = check.validated && (check.is_local || table.is_partition);
            if !inline && !check.is_local {
                continue;
            }
            add_table_constraint(
                planner,
                id,
                table,
                check.oid,
                &check.name,
                dump,
                Source::Check(ti, ki),
                !inline,
            );
        }

        // 18: NOT VALID NOT NULL constraints are separate post-data entries.
        for (ni, not_null) in table.not_nulls.iter().enumerate() {
            if not_null.validated || !not_null.is_local {
                continue;
            }
            add_table_constraint(
                planner,
                id,
                table,
                not_null.oid,
                &not_null.name,
                dump,
                Source::NotNull(ti, ni),
                true,
            );
        }

        // Partitions are created on their own and attached afterwards.
        if table.is_partition && table.partition_bound.is_some() {
            if let Some(&parent) = catalog
                .relations
                .parents
                .get(&table.oid)
                .and_then(|p| p.first())
            {
                let attach = planner.add(
                    ObjKind::TableAttach,
                    CatalogId::new(0, table.oid),
                    table.name.clone(),
                    table.namespace,
                    Components {
                        definition: dump.definition,
                        ..Components::NONE
                    },
                    Source::Table(ti),
                );
                planner.add_dep(attach, id);
                if let Some(parent_id) = planner.lookup(CatalogId::new(class::PG_CLASS, parent)) {
                    planner.add_dep(attach, parent_id);
                }
            }
        }

        // Materialized views are refreshed after the data, when they held data.
        if table.relkind == MATVIEW && table.is_populated && dump.data && options.data {
            let refresh = planner.add(
                ObjKind::RefreshMatview,
                CatalogId::new(0, table.oid),
                table.name.clone(),
                table.namespace,
                Components {
                    data: true,
                    ..Components::NONE
                },
                Source::Table(ti),
            );
            planner.add_dep(refresh, id);
        }
    }

    // Inheritance and partitioning: a child is created after its parents.
    let links: Vec<(Oid, Oid)> = catalog
        .relations
        .parents
        .iter()
        .flat_map(|(child, parents)| parents.iter().map(move |p| (*child, *p)))
        .collect();
    for (child, parent) in links {
        if let (Some(c), Some(p)) = (
            planner.lookup(CatalogId::new(class::PG_CLASS, child)),
            planner.lookup(CatalogId::new(class::PG_CLASS, parent)),
        ) {
            planner.add_dep(c, p);
        }
    }
    collect_data(planner);
    Ok(())
}

/// Adds a table's CHECK or NOT NULL constraint: inline (the table depends on it, CREATE TABLE writes it) or
/// separate (it depends on the table and becomes its own post-data entry).
#[allow(clippy::too_many_arguments)]
fn add_table_constraint(
    planner: &mut Planner<'_>,
    table_id: DumpId,
    table: &Table,
    oid: Oid,
    name: &str,
    dump: Components,
    source: Source,
    separate: bool,
) {
    let components = Components {
        definition: dump.definition,
        comment: dump.comment,
        ..Components::NONE
    };
    let con = planner.add(
        ObjKind::Constraint,
        CatalogId::new(class::PG_CONSTRAINT, oid),
        name.to_owned(),
        table.namespace,
        components,
        source,
    );
    let object = planner.object_mut(con).expect("just added");
    object.tiebreak = vec![table.name.clone()];
    object.owner_table = Some(table_id);
    object.separate = separate;
    if separate {
        object.add_dep(table_id);
    } else {
        planner.add_dep(table_id, con);
    }
}

/// What is dumped of a relation, by pg_dump's selection rules.
fn table_components(planner: &Planner<'_>, table: &Table) -> Components {
    let options = planner.options;
    let id = table.catalog_id();
    if let Some(components) = planner.extension_member_components(id) {
        return components;
    }
    let selected = if options.tables_selected {
        options.include_tables.contains(&table.oid)
    } else {
        planner.namespace_selected(table.namespace)
    };
    if !selected || options.exclude_tables.contains(&table.oid) {
        return Components::NONE;
    }
    let mut dump = Components::ALL;
    dump.data = options.data
        && !options.exclude_table_data.contains(&table.oid)
        && !(options.no_unlogged_table_data && table.persistence == b'u')
        && table.relkind != VIEW
        && table.relkind != PARTITIONED
        && table.relkind != FOREIGN;
    dump
}

/// Whether CREATE TABLE lists the column: local columns, and every column of a partition.
fn column_printed(table: &Table, column: &Column) -> bool {
    !column.is_dropped && (column.is_local || table.is_partition)
}

/// Whether a child column without a default needs an explicit `DEFAULT NULL`, because a parent's column has
/// a default the restored child would otherwise inherit.
fn needs_null_default(table: &Table, column: &Column, parents: &[&Table]) -> bool {
    column.default.is_none()
        && column.generated == 0
        && column.identity == 0
        && !table.is_partition
        && parent_column(parents, &column.name).is_some_and(|p| {
            p.default.is_some() && p.generated == 0 && p.default.as_deref() != Some("NULL")
        })
}

/// The column of the same name in the first parent that has one.
fn parent_column<'c>(parents: &[&'c Table], name: &str) -> Option<&'c Column> {
    parents
        .iter()
        .find_map(|p| p.columns.iter().find(|c| !c.is_dropped && c.name == name))
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    match (object.kind, object.source) {
        (ObjKind::Table, Source::Table(i)) => relation(planner, object, i, out),
        (ObjKind::AttrDef, Source::AttrDef(t, c) | Source::NullDefault(t, c)) => {
            attrdef(planner, object, t, c, out);
            Ok(())
        }
        (ObjKind::Constraint, Source::Check(t, k)) => {
            separate_check(planner, object, t, k, out);
            Ok(())
        }
        (ObjKind::Constraint, Source::NotNull(t, n)) => {
            separate_not_null(planner, object, t, n, out);
            Ok(())
        }
        (ObjKind::TableAttach, Source::Table(i)) => {
            attach(planner, object, i, out);
            Ok(())
        }
        (ObjKind::RefreshMatview, Source::Table(i)) => {
            refresh(planner, object, i, out);
            Ok(())
        }
        (ObjKind::TableData, Source::Table(i)) => {
            table_data(planner, object, i, out);
            Ok(())
        }
        (ObjKind::SequenceSet, Source::Table(i)) => {
            sequence_set(planner, i, out);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn qualified(planner: &Planner<'_>, table: &Table) -> String {
    planner
        .quoter
        .qualified(planner.catalog.namespace_name(table.namespace), &table.name)
}

fn relation(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[index];
    let owner = catalog.role_name(table.owner).to_owned();
    let schema = catalog.namespace_name(table.namespace).to_owned();
    let q = planner.quoter;
    let qualified_name = qualified(planner, table);

    if object.dump.definition {
        let entry = match table.relkind {
            SEQUENCE => sequence_entry(planner, object, table, &qualified_name),
            VIEW | MATVIEW => view_entry(planner, object, table, &qualified_name),
            _ => table_entry(planner, object, table, &qualified_name),
        };
        if let Some(mut entry) = entry {
            entry.namespace = Some(schema.clone());
            entry.owner = Some(owner.clone());
            out.main_entry(entry);
        }
        if table.relkind == SEQUENCE && !table.is_identity_sequence {
            owned_by_entry(planner, object, table, &qualified_name, out);
        }
    }

    let kind = match table.relkind {
        SEQUENCE => "SEQUENCE",
        VIEW => "VIEW",
        MATVIEW => "MATERIALIZED VIEW",
        FOREIGN => "FOREIGN TABLE",
        _ => "TABLE",
    };
    let name = q.ident(&table.name);
    let labels = Labels {
        kind,
        tag_name: name.clone(),
        sql_name: qualified_name.clone(),
        namespace: Some(schema.clone()),
        owner: Some(owner.clone()),
    };
    comment_entry(planner, out, object, table.catalog_id(), 0, &labels);
    for column in table.columns.iter().filter(|c| !c.is_dropped) {
        let labels = Labels {
            kind: "COLUMN",
            tag_name: format!("{name}.{}", q.ident(&column.name)),
            sql_name: format!("{qualified_name}.{}", q.ident(&column.name)),
            namespace: Some(schema.clone()),
            owner: Some(owner.clone()),
        };
        comment_entry(
            planner,
            out,
            object,
            table.catalog_id(),
            column.attnum,
            &labels,
        );
    }
    // Comments on NOT NULL constraints (18) live on the constraint.
    for not_null in &table.not_nulls {
        let labels = Labels {
            kind: "CONSTRAINT",
            tag_name: format!("{} ON {name}", q.ident(&not_null.name)),
            sql_name: format!("{} ON {qualified_name}", q.ident(&not_null.name)),
            namespace: Some(schema.clone()),
            owner: Some(owner.clone()),
        };
        comment_entry(
            planner,
            out,
            object,
            CatalogId::new(class::PG_CONSTRAINT, not_null.oid),
            0,
            &labels,
        );
    }
    for check in &table.checks {
        let labels = Labels {
            kind: "CONSTRAINT",
            tag_name: format!("{} ON {name}", q.ident(&check.name)),
            sql_name: format!("{} ON {qualified_name}", q.ident(&check.name)),
            namespace: Some(schema.clone()),
            owner: Some(owner.clone()),
        };
        comment_entry(
            planner,
            out,
            object,
            CatalogId::new(class::PG_CONSTRAINT, check.oid),
            0,
            &labels,
        );
    }

    // Privileges: the table's, then each column's (which depend on the table's).
    let acl_kind = if table.relkind == SEQUENCE {
        AclObjectType::Sequence
    } else {
        AclObjectType::Table
    };
    let base = catalog
        .init_privs
        .get(table.catalog_id(), 0)
        .unwrap_or(&table.acl_default)
        .to_owned();
    let table_acl = acl_entry(
        planner,
        out,
        object,
        acl_kind,
        &name,
        None,
        table.acl.as_deref(),
        &base,
        &Labels {
            kind: if table.relkind == SEQUENCE {
                "SEQUENCE"
            } else {
                "TABLE"
            },
            ..labels
        },
        &[],
    )?;
    for column in table
        .columns
        .iter()
        .filter(|c| !c.is_dropped && c.acl.is_some())
    {
        let column_name = q.ident(&column.name);
        let labels = Labels {
            kind: "COLUMN",
            tag_name: format!("{name}.{column_name}"),
            sql_name: String::new(),
            namespace: Some(schema.clone()),
            owner: Some(owner.clone()),
        };
        let base = catalog
            .init_privs
            .get(table.catalog_id(), column.attnum)
            .unwrap_or("{}")
            .to_owned();
        let extra: Vec<DumpId> = table_acl.into_iter().collect();
        acl_entry(
            planner,
            out,
            object,
            AclObjectType::Table,
            &name,
            Some(&column_name),
            column.acl.as_deref(),
            &base,
            &labels,
            &extra,
        )?;
    }
    Ok(())
}

/// `reloptions` as pg_dump prints them: `name='value'`, joined by `, `; toast options prefixed.
fn reloptions(quoter: Quoter, options: &[String], prefix: &str, std: bool) -> Vec<String> {
    options
        .iter()
        .map(|item| {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            format!(
                "{prefix}{}={}",
                quoter.ident(name),
                crate::quote::literal(value, std)
            )
        })
        .collect()
}

fn table_entry(
    planner: &Planner<'_>,
    object: &DumpObject,
    table: &Table,
    qualified_name: &str,
) -> Option<TocEntry> {
    let catalog = planner.catalog;
    let options = planner.options;
    let version = catalog.version.unwrap_or(ServerVersion::V18);
    let q = planner.quoter;
    let std = catalog.database.std_strings;
    let foreign = table.relkind == FOREIGN;
    let kind = if foreign { "FOREIGN TABLE" } else { "TABLE" };
    let mut sql = String::new();

    let unlogged = table.persistence == b'u' && table.relkind != PARTITIONED;
    sql.push_str(&format!(
        "CREATE {}{kind} {qualified_name}",
        if unlogged { "UNLOGGED " } else { "" }
    ));
    if let Some(of_type) = &table.of_type {
        sql.push_str(&format!(" OF {of_type}"));
    }

    let parents: Vec<&Table> = catalog
        .relations
        .parents
        .get(&table.oid)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| catalog.relations.table(*p))
                .collect()
        })
        .unwrap_or_default();

    let mut items: Vec<String> = Vec::new();
    for column in table.columns.iter().filter(|c| !c.is_dropped) {
        // Inherited columns come with INHERITS; their defaults, if their own, are separate entries.
        if !column_printed(table, column) {
            continue;
        }
        let attrdef = planner
            .lookup(CatalogId::new(class::PG_ATTRDEF, column.default_oid))
            .filter(|_| column.default_oid != 0)
            .and_then(|id| planner.object(id));
        let inline_default: Option<&str> = match attrdef {
            Some(object) if !object.separate => column.default.as_deref(),
            Some(_) => None,
            None if needs_null_default(table, column, &parents) => Some("NULL"),
            None => None,
        };
        let print_default = inline_default.is_some();
        let (print_not_null, not_null_name, no_inherit) =
            not_null_of(planner, table, column, &parents, version);
        // A typed table lists only the columns it adds something to.
        if table.of_type.is_some() && !print_default && !print_not_null {
            continue;
        }
        let mut item = q.ident(&column.name);
        if table.of_type.is_none() || table.is_partition {
            item.push(' ');
            item.push_str(&column.type_name);
        }
        if let Some(expr) = inline_default {
            match column.generated {
                b's' => item.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED")),
                b'v' => item.push_str(&format!(" GENERATED ALWAYS AS ({expr})")),
                _ => item.push_str(&format!(" DEFAULT {expr}")),
            }
        }
        if print_not_null {
            match &not_null_name {
                Some(name) => item.push_str(&format!(" CONSTRAINT {} NOT NULL", q.ident(name))),
                None => item.push_str(" NOT NULL"),
            }
            if no_inherit {
                item.push_str(" NO INHERIT");
            }
        }
        if let Some((schema, name)) = &column.collation {
            item.push_str(&format!(" COLLATE {}", q.qualified(schema, name)));
        }
        items.push(item);
    }
    // 18: a local NOT NULL constraint on a column that is itself inherited goes in as a table element.
    for not_null in table
        .not_nulls
        .iter()
        .filter(|n| n.validated && n.is_local && !table.is_partition)
    {
        let Some(column) = table.column(not_null.attnum) else {
            continue;
        };
        if column_printed(table, column) {
            continue;
        }
        let default_name = default_not_null_name(&table.name, &column.name);
        let has_comment = catalog
            .comment(CatalogId::new(class::PG_CONSTRAINT, not_null.oid), 0)
            .is_some();
        let mut item = if not_null.name != default_name || has_comment {
            format!(
                "CONSTRAINT {} NOT NULL {}",
                q.ident(&not_null.name),
                q.ident(&column.name)
            )
        } else {
            format!("NOT NULL {}", q.ident(&column.name))
        };
        if not_null.no_inherit {
            item.push_str(" NO INHERIT");
        }
        items.push(item);
    }
    for check in &table.checks {
        // Inline when the plan kept it as part of the table (not skipped, not made separate).
        let inline = planner
            .lookup(CatalogId::new(class::PG_CONSTRAINT, check.oid))
            .and_then(|id| planner.object(id))
            .is_some_and(|o| !o.separate);
        if inline {
            items.push(format!(
                "CONSTRAINT {} {}",
                q.ident(&check.name),
                check.definition
            ));
        }
    }
    if !items.is_empty() {
        sql.push_str(" (\n    ");
        sql.push_str(&items.join(",\n    "));
        sql.push_str("\n)");
    } else if table.of_type.is_none() {
        sql.push_str(" (\n)");
    }
    if !parents.is_empty() && !table.is_partition {
        let names: Vec<String> = parents.iter().map(|p| qualified(planner, p)).collect();
        sql.push_str(&format!("\nINHERITS ({})", names.join(", ")));
    }
    if let Some(key) = &table.partition_key {
        sql.push_str(&format!("\nPARTITION BY {key}"));
    }
    if let Some(foreign) = &table.foreign {
        sql.push_str(&format!("\nSERVER {}", q.ident(&foreign.server)));
        if !foreign.options.is_empty() {
            sql.push_str(&format!(
                "\nOPTIONS (\n    {}\n)",
                foreign.options.join(",\n    ")
            ));
        }
    }
    let mut with = reloptions(planner.quoter, &table.reloptions, "", std);
    with.extend(reloptions(
        planner.quoter,
        &table.toast_reloptions,
        "toast.",
        std,
    ));
    if !with.is_empty() {
        sql.push_str(&format!("\nWITH ({})", with.join(", ")));
    }
    sql.push_str(";\n");

    // Column properties CREATE TABLE cannot say.
    let alter = if foreign {
        "ALTER FOREIGN TABLE ONLY"
    } else {
        "ALTER TABLE ONLY"
    };
    for column in table.columns.iter().filter(|c| !c.is_dropped) {
        let name = q.ident(&column.name);
        if let Some(target) = column.stattarget {
            sql.push_str(&format!(
                "{alter} {qualified_name} ALTER COLUMN {name} SET STATISTICS {target};\n"
            ));
        }
        if column.storage != column.type_storage && column.storage != 0 {
            let storage = match column.storage {
                b'p' => Some("PLAIN"),
                b'e' => Some("EXTERNAL"),
                b'm' => Some("MAIN"),
                b'x' => Some("EXTENDED"),
                _ => None,
            };
            if let Some(storage) = storage {
                sql.push_str(&format!(
                    "{alter} {qualified_name} ALTER COLUMN {name} SET STORAGE {storage};\n"
                ));
            }
        }
        if !options.no_toast_compression {
            let method = match column.compression {
                b'p' => Some("pglz"),
                b'l' => Some("lz4"),
                _ => None,
            };
            if let Some(method) = method {
                sql.push_str(&format!(
                    "{alter} {qualified_name} ALTER COLUMN {name} SET COMPRESSION {method};\n"
                ));
            }
        }
        if let Some(column_options) = &column.options {
            sql.push_str(&format!(
                "{alter} {qualified_name} ALTER COLUMN {name} SET ({column_options});\n"
            ));
        }
        if !column.fdw_options.is_empty() {
            sql.push_str(&format!(
                "ALTER FOREIGN TABLE ONLY {qualified_name} ALTER COLUMN {name} OPTIONS (\n    {}\n);\n",
                column.fdw_options.join(",\n    ")
            ));
        }
    }
    // Only tables have a replica identity to restore (foreign tables report 'n' on 18).
    let replica_identity = if matches!(table.relkind, b'r' | PARTITIONED) {
        table.replica_identity
    } else {
        b'd'
    };
    match replica_identity {
        b'n' => sql.push_str(&format!(
            "\nALTER TABLE ONLY {qualified_name} REPLICA IDENTITY NOTHING;\n"
        )),
        b'f' => sql.push_str(&format!(
            "\nALTER TABLE ONLY {qualified_name} REPLICA IDENTITY FULL;\n"
        )),
        _ => {}
    }
    if table.force_row_security {
        sql.push_str(&format!(
            "\nALTER TABLE ONLY {qualified_name} FORCE ROW LEVEL SECURITY;\n"
        ));
    }

    let mut entry = new_entry(
        object.id,
        if foreign {
            desc::FOREIGN_TABLE
        } else {
            desc::TABLE
        },
        table.name.clone(),
        section(object),
    );
    entry.table_oid = class::PG_CLASS;
    entry.oid = table.oid;
    entry.defn = Some(sql);
    entry.drop_stmt = Some(format!("DROP {kind} {qualified_name};\n"));
    // pg_dump gives relations without storage (foreign tables) no tablespace at all, not the default one: no
    // `SET default_tablespace` is written before them.
    entry.tablespace = if foreign {
        None
    } else {
        Some(table.tablespace.clone())
    };
    entry.tableam = if foreign {
        None
    } else {
        table.access_method.clone()
    };
    entry.relkind = table.relkind;
    Some(entry)
}

/// pg_dump's default NOT NULL constraint name: `<table>_<column>_not_null`, truncated like the server
/// truncates names (63 bytes, on a character boundary, table and column parts shortened alternately).
fn default_not_null_name(table: &str, column: &str) -> String {
    const MAX: usize = 63;
    let suffix = "not_null";
    let mut a = table.to_owned();
    let mut b = column.to_owned();
    while a.len() + b.len() + suffix.len() + 2 > MAX {
        let shorten_a = a.len() > b.len();
        let target = if shorten_a { &mut a } else { &mut b };
        let mut cut = target.len() - 1;
        while !target.is_char_boundary(cut) {
            cut -= 1;
        }
        target.truncate(cut);
    }
    format!("{a}_{b}_{suffix}")
}

/// Whether a column prints NOT NULL, under which name, and with NO INHERIT.
fn not_null_of(
    planner: &Planner<'_>,
    table: &Table,
    column: &Column,
    parents: &[&Table],
    version: ServerVersion,
) -> (bool, Option<String>, bool) {
    if version >= ServerVersion::V18 {
        let Some(not_null) = table.not_nulls.iter().find(|n| n.attnum == column.attnum) else {
            return (false, None, false);
        };
        if !not_null.validated {
            return (false, None, false);
        }
        let printed = column_printed(table, column) && (not_null.is_local || table.is_partition);
        if !printed {
            return (false, None, false);
        }
        let has_comment = planner
            .catalog
            .comment(CatalogId::new(class::PG_CONSTRAINT, not_null.oid), 0)
            .is_some();
        let name = (not_null.name != default_not_null_name(&table.name, &column.name)
            || has_comment)
            .then(|| not_null.name.clone());
        return (true, name, not_null.no_inherit);
    }
    if !column.not_null {
        return (false, None, false);
    }
    // Before 18: inherited NOT NULL is not repeated in an inheritance child (partitions print everything).
    let inherited = !table.is_partition
        && parents.iter().any(|p| {
            p.columns
                .iter()
                .any(|pc| pc.name == column.name && pc.not_null && !pc.is_dropped)
        });
    let printed = (column_printed(table, column) || table.of_type.is_some()) && !inherited;
    (printed, None, false)
}

fn view_entry(
    planner: &Planner<'_>,
    object: &DumpObject,
    table: &Table,
    qualified_name: &str,
) -> Option<TocEntry> {
    let std = planner.catalog.database.std_strings;
    let definition = table.view_definition.as_deref().unwrap_or_default();
    let definition = definition.trim_end().trim_end_matches(';');
    let with = reloptions(planner.quoter, &table.reloptions, "", std);
    let with = if with.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", with.join(", "))
    };
    let (kind, desc_) = if table.relkind == MATVIEW {
        ("MATERIALIZED VIEW", desc::MATERIALIZED_VIEW)
    } else {
        ("VIEW", desc::VIEW)
    };
    let mut sql = format!("CREATE {kind} {qualified_name}{with} AS\n{definition}");
    if table.relkind == MATVIEW {
        sql.push_str("\n  WITH NO DATA");
    } else if let Some(option) = &table.check_option {
        sql.push_str(&format!("\n  WITH {option} CHECK OPTION"));
    }
    sql.push_str(";\n");
    let mut entry = new_entry(object.id, desc_, table.name.clone(), section(object));
    entry.table_oid = class::PG_CLASS;
    entry.oid = table.oid;
    entry.defn = Some(sql);
    entry.drop_stmt = Some(format!("DROP {kind} {qualified_name};\n"));
    if table.relkind == MATVIEW {
        entry.tablespace = Some(table.tablespace.clone());
        entry.tableam = table.access_method.clone();
    }
    entry.relkind = table.relkind;
    Some(entry)
}

fn sequence_entry(
    planner: &Planner<'_>,
    object: &DumpObject,
    table: &Table,
    qualified_name: &str,
) -> Option<TocEntry> {
    let catalog = planner.catalog;
    let q = planner.quoter;
    let seq = table.sequence.as_ref()?;
    let (type_min, type_max) = match seq.type_name.as_str() {
        "smallint" => (i16::MIN as i64, i16::MAX as i64),
        "integer" => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    let (default_min, default_max) = if seq.increment > 0 {
        (1, type_max)
    } else {
        (type_min, -1)
    };
    let mut sql = String::new();
    let mut drop = None;
    if table.is_identity_sequence {
        let (owner_oid, attnum) = table.owned_by?;
        let owner = catalog.relations.table(owner_oid)?;
        let column = owner.column(attnum)?;
        let always = if column.identity == b'a' {
            "ALWAYS"
        } else {
            "BY DEFAULT"
        };
        sql.push_str(&format!(
            "ALTER TABLE {} ALTER COLUMN {} ADD GENERATED {always} AS IDENTITY (\n",
            qualified(planner, owner),
            q.ident(&column.name)
        ));
        sql.push_str(&format!("    SEQUENCE NAME {qualified_name}\n"));
        if table.persistence != owner.persistence {
            sql.push_str(if table.persistence == b'u' {
                "    UNLOGGED\n"
            } else {
                "    LOGGED\n"
            });
        }
    } else {
        let unlogged = if table.persistence == b'u' {
            "UNLOGGED "
        } else {
            ""
        };
        sql.push_str(&format!("CREATE {unlogged}SEQUENCE {qualified_name}\n"));
        if seq.type_name != "bigint" {
            sql.push_str(&format!("    AS {}\n", seq.type_name));
        }
        drop = Some(format!("DROP SEQUENCE {qualified_name};\n"));
    }
    sql.push_str(&format!(
        "    START WITH {}\n    INCREMENT BY {}\n",
        seq.start, seq.increment
    ));
    if seq.min != default_min {
        sql.push_str(&format!("    MINVALUE {}\n", seq.min));
    } else {
        sql.push_str("    NO MINVALUE\n");
    }
    if seq.max != default_max {
        sql.push_str(&format!("    MAXVALUE {}\n", seq.max));
    } else {
        sql.push_str("    NO MAXVALUE\n");
    }
    sql.push_str(&format!(
        "    CACHE {}{}",
        seq.cache,
        if seq.cycle { "\n    CYCLE" } else { "" }
    ));
    sql.push_str(if table.is_identity_sequence {
        "\n);\n"
    } else {
        ";\n"
    });
    let mut entry = new_entry(
        object.id,
        desc::SEQUENCE,
        table.name.clone(),
        section(object),
    );
    entry.table_oid = class::PG_CLASS;
    entry.oid = table.oid;
    entry.defn = Some(sql);
    entry.drop_stmt = drop;
    Some(entry)
}

fn owned_by_entry(
    planner: &Planner<'_>,
    object: &DumpObject,
    table: &Table,
    qualified_name: &str,
    out: &mut Emitter,
) {
    let catalog = planner.catalog;
    let Some((owner_oid, attnum)) = table.owned_by else {
        return;
    };
    let Some(owner) = catalog.relations.table(owner_oid) else {
        return;
    };
    let Some(column) = owner.column(attnum) else {
        return;
    };
    // Only when the owning table's definition is in the dump too.
    let owner_dumped = planner
        .lookup(owner.catalog_id())
        .and_then(|id| planner.object(id))
        .is_some_and(|o| o.dump.definition);
    if !owner_dumped {
        return;
    }
    let mut entry = new_entry(
        DumpId(0),
        desc::SEQUENCE_OWNED_BY,
        table.name.clone(),
        Section::PreData,
    );
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    entry.defn = Some(format!(
        "ALTER SEQUENCE {qualified_name} OWNED BY {}.{};\n",
        qualified(planner, owner),
        planner.quoter.ident(&column.name)
    ));
    let mut deps = vec![object.id];
    if let Some(owner_id) = planner.lookup(owner.catalog_id()) {
        deps.push(owner_id);
    }
    out.extra_entry(entry, deps);
}

fn attrdef(planner: &Planner<'_>, object: &DumpObject, t: usize, c: usize, out: &mut Emitter) {
    if !object.separate || !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[t];
    let column = &table.columns[c];
    // A manufactured DEFAULT NULL has no pg_attrdef row.
    let (expr, oid) = match object.source {
        Source::NullDefault(..) => ("NULL", 0),
        _ => (
            column.default.as_deref().unwrap_or_default(),
            column.default_oid,
        ),
    };
    let qualified_name = qualified(planner, table);
    let name = planner.quoter.ident(&column.name);
    // pg_dump writes ALTER TABLE for views' defaults too.
    let alter = "ALTER TABLE ONLY";
    let mut entry = new_entry(
        object.id,
        desc::DEFAULT,
        format!("{} {}", table.name, column.name),
        Section::PreData,
    );
    entry.table_oid = class::PG_ATTRDEF;
    entry.oid = oid;
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    entry.defn = Some(format!(
        "{alter} {qualified_name} ALTER COLUMN {name} SET DEFAULT {};\n",
        expr
    ));
    let drop_alter = "ALTER TABLE";
    entry.drop_stmt = Some(format!(
        "{drop_alter} {qualified_name} ALTER COLUMN {name} DROP DEFAULT;\n"
    ));
    out.main_entry(entry);
}

fn separate_check(
    planner: &Planner<'_>,
    object: &DumpObject,
    t: usize,
    k: usize,
    out: &mut Emitter,
) {
    if !object.separate || !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[t];
    let check = &table.checks[k];
    let qualified_name = qualified(planner, table);
    let name = planner.quoter.ident(&check.name);
    let mut entry = new_entry(
        object.id,
        desc::CHECK_CONSTRAINT,
        format!("{} {}", table.name, check.name),
        section(object),
    );
    entry.table_oid = class::PG_CONSTRAINT;
    entry.oid = check.oid;
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    entry.defn = Some(format!(
        "ALTER TABLE {qualified_name}\n    ADD CONSTRAINT {name} {};\n",
        check.definition
    ));
    entry.drop_stmt = Some(format!(
        "ALTER TABLE {qualified_name} DROP CONSTRAINT {name};\n"
    ));
    out.main_entry(entry);
}

fn separate_not_null(
    planner: &Planner<'_>,
    object: &DumpObject,
    t: usize,
    n: usize,
    out: &mut Emitter,
) {
    if !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[t];
    let not_null = &table.not_nulls[n];
    let qualified_name = qualified(planner, table);
    let name = planner.quoter.ident(&not_null.name);
    let mut entry = new_entry(
        object.id,
        desc::CONSTRAINT,
        format!("{} {}", table.name, not_null.name),
        Section::PostData,
    );
    entry.table_oid = class::PG_CONSTRAINT;
    entry.oid = not_null.oid;
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    entry.defn = Some(format!(
        "ALTER TABLE {qualified_name}\n    ADD CONSTRAINT {name} {};\n",
        not_null.definition
    ));
    entry.drop_stmt = Some(format!(
        "ALTER TABLE {qualified_name} DROP CONSTRAINT {name};\n"
    ));
    out.main_entry(entry);
}

fn attach(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    if !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[i];
    let Some(parent) = catalog
        .relations
        .parents
        .get(&table.oid)
        .and_then(|p| p.first())
        .and_then(|p| catalog.relations.table(*p))
    else {
        return;
    };
    let mut entry = new_entry(
        object.id,
        desc::TABLE_ATTACH,
        table.name.clone(),
        Section::PreData,
    );
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    entry.defn = Some(format!(
        "ALTER TABLE ONLY {} ATTACH PARTITION {} {};\n",
        qualified(planner, parent),
        qualified(planner, table),
        table.partition_bound.as_deref().unwrap_or_default()
    ));
    out.main_entry(entry);
}

fn refresh(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[i];
    let mut entry = new_entry(
        object.id,
        desc::MATERIALIZED_VIEW_DATA,
        table.name.clone(),
        Section::PostData,
    );
    entry.table_oid = class::PG_CLASS;
    entry.oid = table.oid;
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    entry.defn = Some(format!(
        "REFRESH MATERIALIZED VIEW {};\n",
        qualified(planner, table)
    ));
    out.main_entry(entry);
}

fn section(object: &DumpObject) -> Section {
    super::section_of(object)
}

/// Whether pg_dump marks a relation's data as dumped (its `DUMP_COMPONENT_DATA`): the relation is selected by
/// `-n`/`-t` and their exclusions and is no extension member; an owned sequence follows its table (an identity
/// sequence exactly, a serial one also when selected itself).
fn data_component(planner: &Planner<'_>, table: &Table) -> bool {
    let selected = |t: &Table| {
        if planner
            .extension_member_components(t.catalog_id())
            .is_some()
        {
            return false;
        }
        let options = planner.options;
        let chosen = if options.tables_selected {
            options.include_tables.contains(&t.oid)
        } else {
            planner.namespace_selected(t.namespace)
        };
        chosen && !options.exclude_tables.contains(&t.oid)
    };
    let own = selected(table);
    if table.relkind != SEQUENCE {
        return own;
    }
    match table
        .owned_by
        .and_then(|(t, _)| planner.catalog.relations.table(t))
    {
        Some(owner) if table.is_identity_sequence => selected(owner),
        Some(owner) => own || selected(owner),
        None => own,
    }
}

/// pg_dump's `makeTableDataInfo` filters: no data for views, partitioned tables (their rows live in the
/// partitions), foreign tables unless `--include-foreign-data` selected their server, unlogged relations with
/// `--no-unlogged-table-data`, and relations matched by `--exclude-table-data`.
fn data_allowed(planner: &Planner<'_>, table: &Table) -> bool {
    let options = planner.options;
    let skipped_unlogged = options.no_unlogged_table_data && table.persistence == b'u';
    let excluded = options.exclude_table_data.contains(&table.oid);
    let has_rows = match table.relkind {
        VIEW | PARTITIONED | MATVIEW => false,
        FOREIGN => table
            .foreign
            .as_ref()
            .is_some_and(|f| options.include_foreign_data_servers.contains(&f.server_oid)),
        _ => true,
    };
    has_rows && !skipped_unlogged && !excluded
}

/// TABLE DATA and SEQUENCE SET objects, with the WHERE filters of extension configuration tables, and in a
/// data-only dump the foreign-key order between tables' data.
fn collect_data(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    let options = planner.options;
    if !options.data && !options.sequence_data {
        return;
    }
    // Table OID -> its data object.
    let mut data_objects: HashMap<Oid, DumpId> = HashMap::new();
    let mut add = |planner: &mut Planner<'_>, index: usize| {
        let table = &catalog.relations.tables[index];
        if data_objects.contains_key(&table.oid) || !data_allowed(planner, table) {
            return;
        }
        let kind = if table.relkind == SEQUENCE {
            ObjKind::SequenceSet
        } else if options.data {
            ObjKind::TableData
        } else {
            // --sequence-data without data: sequences only.
            return;
        };
        let Some(table_id) = planner.lookup(table.catalog_id()) else {
            return;
        };
        let id = planner.add(
            kind,
            CatalogId::new(0, table.oid),
            table.name.clone(),
            table.namespace,
            Components {
                data: true,
                ..Components::NONE
            },
            Source::Table(index),
        );
        planner.add_dep(id, table_id);
        data_objects.insert(table.oid, id);
    };

    // Extension configuration tables first (pg_dump's processExtensionTables): their data is dumped with the
    // extension, filtered by the condition the extension registered.
    if options.data {
        for extension in &catalog.extensions {
            if (!options.include_extensions.is_empty()
                && !options.include_extensions.contains(&extension.oid))
                || options.exclude_extensions.contains(&extension.oid)
            {
                continue;
            }
            let extension_dumped = planner
                .lookup(CatalogId::new(class::PG_EXTENSION, extension.oid))
                .and_then(|id| planner.object(id))
                .is_some_and(|o| o.dump.definition);
            for &config in &extension.config_tables {
                let Some(index) = catalog.relations.index_of(config) else {
                    continue;
                };
                let table = &catalog.relations.tables[index];
                let mut dump = extension_dumped;
                if !extension_dumped {
                    let schema_has_data = planner
                        .lookup(CatalogId::new(class::PG_NAMESPACE, table.namespace))
                        .and_then(|id| planner.object(id))
                        .is_some_and(|o| o.dump.data);
                    dump = (options.tables_selected && options.include_tables.contains(&config))
                        || schema_has_data;
                }
                if options.exclude_tables.contains(&config)
                    || options.exclude_schemas.contains(&table.namespace)
                {
                    dump = false;
                }
                if dump {
                    add(planner, index);
                }
            }
        }
    }
    for index in 0..catalog.relations.tables.len() {
        let table = &catalog.relations.tables[index];
        if data_component(planner, table) {
            add(planner, index);
        }
    }

    // Data-only dumps load referenced tables first (a full dump adds foreign keys after all the data).
    if options.data && !options.schema {
        foreign_key_order(planner, &data_objects);
    }
}

/// Makes each table's data depend on the data of the tables its foreign keys reference. Self-references and
/// circular references cannot be ordered: they are left out with pg_dump's warning.
fn foreign_key_order(planner: &mut Planner<'_>, data_objects: &HashMap<Oid, DumpId>) {
    let catalog = planner.catalog;
    let mut edges: Vec<(DumpId, DumpId)> = Vec::new();
    let mut warned = std::collections::HashSet::new();
    for fk in &catalog.rules.foreign_keys {
        let (Some(&from), Some(&to)) = (
            data_objects.get(&fk.table),
            data_objects.get(&fk.referenced_table),
        ) else {
            continue;
        };
        if from == to {
            if warned.insert(from) {
                let name = catalog
                    .relations
                    .table(fk.table)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                planner.warnings.push(circular_warning(&[name]));
            }
            continue;
        }
        if !edges.contains(&(from, to)) {
            edges.push((from, to));
        }
    }
    // Loops through several tables: drop the edges inside each strongly connected group and say so.
    let groups = strongly_connected(&edges);
    for group in groups.iter().filter(|g| g.len() > 1) {
        let mut names: Vec<String> = group
            .iter()
            .filter_map(|id| planner.object(*id).map(|o| o.name.clone()))
            .collect();
        names.sort();
        planner.warnings.push(circular_warning(&names));
    }
    let group_of: HashMap<DumpId, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.iter().map(move |id| (*id, i)))
        .collect();
    for (from, to) in edges {
        if group_of.get(&from) != group_of.get(&to) || groups[group_of[&from]].len() == 1 {
            planner.add_dep(from, to);
        }
    }
}

fn circular_warning(tables: &[String]) -> String {
    let which = if tables.len() == 1 {
        "on this table"
    } else {
        "among these tables"
    };
    format!(
        "there are circular foreign-key constraints {which}: {}; you might not be able to restore the dump \
         without using --disable-triggers or temporarily dropping the constraints (consider a full dump \
         instead of a --data-only dump)",
        tables.join(", ")
    )
}

/// Tarjan's strongly connected components of a small graph given as edges.
fn strongly_connected(edges: &[(DumpId, DumpId)]) -> Vec<Vec<DumpId>> {
    let mut nodes: Vec<DumpId> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
    nodes.sort();
    nodes.dedup();
    let position: HashMap<DumpId, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut successors = vec![Vec::new(); nodes.len()];
    for &(a, b) in edges {
        successors[position[&a]].push(position[&b]);
    }
    let mut index = vec![usize::MAX; nodes.len()];
    let mut low = vec![0; nodes.len()];
    let mut on_stack = vec![false; nodes.len()];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut groups = Vec::new();
    for start in 0..nodes.len() {
        if index[start] != usize::MAX {
            continue;
        }
        // Iterative depth-first search: (node, next successor to look at).
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut at)) = work.last_mut() {
            if *at == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = successors[v].get(*at) {
                *at += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut group = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    group.push(nodes[w]);
                    if w == v {
                        break;
                    }
                }
                groups.push(group);
            }
        }
    }
    groups
}

/// The top of a partition's tree.
fn partition_root<'c>(planner: &Planner<'c>, table: &'c Table) -> &'c Table {
    let relations = &planner.catalog.relations;
    let mut current = table;
    for _ in 0..1000 {
        if !current.is_partition {
            break;
        }
        match relations
            .parents
            .get(&current.oid)
            .and_then(|p| p.first())
            .and_then(|p| relations.table(*p))
        {
            Some(parent) => current = parent,
            None => break,
        }
    }
    current
}

/// Whether a partition's data must be loaded through its root: `--load-via-partition-root`, or (forced, as
/// pg_dump does) a partitioned ancestor whose partitioning is unsafe to restore partition by partition.
fn loads_via_root(planner: &Planner<'_>, table: &Table) -> bool {
    if !table.is_partition {
        return false;
    }
    if planner.options.load_via_partition_root {
        return true;
    }
    let relations = &planner.catalog.relations;
    let mut current = table;
    for _ in 0..1000 {
        let Some(parent) = relations
            .parents
            .get(&current.oid)
            .and_then(|p| p.first())
            .and_then(|p| relations.table(*p))
        else {
            return false;
        };
        if relations.unsafe_partitions.contains(&parent.oid) {
            return true;
        }
        if !parent.is_partition {
            return false;
        }
        current = parent;
    }
    false
}

/// `(c1, c2)`: the columns COPY moves, in attnum order: not dropped, not generated. Empty when none is left.
pub(crate) fn copy_column_list(quoter: Quoter, table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !c.is_dropped && c.generated == 0)
        .map(|c| quoter.ident(&c.name))
        .collect();
    if columns.is_empty() {
        String::new()
    } else {
        format!("({})", columns.join(", "))
    }
}

fn table_data(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[i];
    let Some(table_id) = planner.lookup(table.catalog_id()) else {
        return;
    };
    let mut entry = new_entry(
        object.id,
        desc::TABLE_DATA,
        table.name.clone(),
        Section::Data,
    );
    entry.had_dumper = true;
    entry.table_oid = 0;
    entry.oid = table.oid;
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    let target = if loads_via_root(planner, table) {
        let root = qualified(planner, partition_root(planner, table));
        entry.defn = Some(format!(
            "-- load via partition root {}",
            root.replace(['\n', '\r'], " ")
        ));
        root
    } else {
        qualified(planner, table)
    };
    if !planner.options.inserts {
        entry.copy_stmt = Some(format!(
            "COPY {target} {} FROM stdin;\n",
            copy_column_list(planner.quoter, table)
        ));
    }
    out.extra_entry(entry, vec![table_id]);
}

fn sequence_set(planner: &Planner<'_>, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let table = &catalog.relations.tables[i];
    let Some(sequence_id) = planner.lookup(table.catalog_id()) else {
        return;
    };
    // pg_dump gives the entry a dump id of its own and no catalog id.
    let mut entry = new_entry(
        DumpId(0),
        desc::SEQUENCE_SET,
        table.name.clone(),
        Section::Data,
    );
    entry.namespace = Some(catalog.namespace_name(table.namespace).to_owned());
    entry.owner = Some(catalog.role_name(table.owner).to_owned());
    // Servers before 18 report no values in the catalog: the dump reads them and fills the definition in.
    if let Some(seq) = &table.sequence {
        if let (Some(last), Some(called)) = (seq.last_value, seq.is_called) {
            entry.defn = Some(setval_statement(planner, table, last, called));
        }
    }
    out.extra_entry(entry, vec![sequence_id]);
}

/// `SELECT pg_catalog.setval('s.seq', last, is_called);`: the name is a string literal of the quoted,
/// qualified name.
fn setval_statement(planner: &Planner<'_>, table: &Table, last: i64, called: bool) -> String {
    format!(
        "SELECT pg_catalog.setval({}, {last}, {called});\n",
        crate::quote::literal(
            &qualified(planner, table),
            planner.catalog.database.std_strings
        )
    )
}

#[cfg(test)]
mod data_tests {
    use pgferry_catalog::{Catalog, Column, Namespace, Table};

    use super::*;
    use crate::{plan, PlanOptions};

    fn column(attnum: i32, name: &str, generated: u8, dropped: bool) -> Column {
        Column {
            attnum,
            name: name.to_owned(),
            type_name: "integer".to_owned(),
            type_oid: 23,
            base_type_oid: 23,
            is_dropped: dropped,
            generated,
            is_local: true,
            ..Column::default()
        }
    }

    fn table(oid: Oid, name: &str, relkind: u8, columns: Vec<Column>) -> Table {
        Table {
            oid,
            name: name.to_owned(),
            namespace: 16400,
            quoted_name: format!("s.{name}"),
            relkind,
            persistence: b'p',
            owner: 10,
            columns,
            ..Table::default()
        }
    }

    fn catalog() -> Catalog {
        let mut catalog = Catalog::default();
        catalog.roles.insert(10, "postgres".to_owned());
        catalog.database.encoding = "UTF8".to_owned();
        catalog.database.std_strings = true;
        catalog.namespaces.push(Namespace {
            oid: 16400,
            name: "s".to_owned(),
            owner: 10,
            acl: None,
            acl_default: String::new(),
        });
        let tables = &mut catalog.relations.tables;
        tables.push(table(
            16401,
            "t",
            b'r',
            vec![
                column(1, "id", 0, false),
                column(2, "........pg.dropped.2........", 0, true),
                column(3, "Mixed", 0, false),
                column(4, "g", b's', false),
            ],
        ));
        tables.push(table(16402, "nothing", b'r', Vec::new()));
        tables.push(table(16403, "root", b'p', vec![column(1, "k", 0, false)]));
        let mut leaf = table(16404, "leaf", b'r', vec![column(1, "k", 0, false)]);
        leaf.is_partition = true;
        tables.push(leaf);
        tables.push(table(16405, "v", b'v', vec![column(1, "k", 0, false)]));
        let mut seq = table(16406, "seq", b'S', Vec::new());
        seq.sequence = Some(Default::default());
        if let Some(def) = seq.sequence.as_mut() {
            def.type_name = "bigint".to_owned();
            (def.start, def.increment, def.min, def.max, def.cache) = (1, 1, 1, i64::MAX, 1);
            (def.last_value, def.is_called) = (Some(42), Some(true));
        }
        tables.push(seq);
        catalog.relations.parents.insert(16404, vec![16403]);
        catalog.build_indexes();
        catalog
    }

    #[test]
    fn table_data_entries_carry_pg_dumps_fields() {
        let toc = plan(&catalog(), &PlanOptions::default()).unwrap();
        let data: Vec<&TocEntry> = toc
            .entries
            .iter()
            .filter(|e| e.desc == desc::TABLE_DATA)
            .collect();
        let tags: Vec<&str> = data.iter().map(|e| e.tag.as_str()).collect();
        assert_eq!(tags, ["leaf", "nothing", "t"]);
        let t = data[2];
        let table_entry = toc
            .entries
            .iter()
            .find(|e| e.desc == desc::TABLE && e.tag == "t")
            .unwrap();
        assert!(t.had_dumper);
        assert_eq!((t.table_oid, t.oid), (0, 16401));
        assert_eq!(t.dependencies, vec![table_entry.dump_id]);
        assert_eq!(t.section, Section::Data);
        assert_eq!(t.owner.as_deref(), Some("postgres"));
        assert_eq!(
            t.copy_stmt.as_deref(),
            Some("COPY s.t (id, \"Mixed\") FROM stdin;\n")
        );
        assert_eq!(
            data[1].copy_stmt.as_deref(),
            Some("COPY s.nothing  FROM stdin;\n")
        );
        assert_eq!(data[0].defn, None);

        let set = toc
            .entries
            .iter()
            .find(|e| e.desc == desc::SEQUENCE_SET)
            .unwrap();
        assert_eq!(
            set.defn.as_deref(),
            Some("SELECT pg_catalog.setval('s.seq', 42, true);\n")
        );
        assert_eq!((set.table_oid, set.oid), (0, 0));
    }

    #[test]
    fn partitions_load_through_their_root_when_asked_or_forced() {
        let options = PlanOptions {
            load_via_partition_root: true,
            inserts: true,
            ..PlanOptions::default()
        };
        let toc = plan(&catalog(), &options).unwrap();
        let leaf = toc
            .entries
            .iter()
            .find(|e| e.tag == "leaf" && e.had_dumper)
            .unwrap();
        assert_eq!(
            leaf.defn.as_deref(),
            Some("-- load via partition root s.root")
        );
        assert_eq!(leaf.copy_stmt, None);

        let mut forced = catalog();
        forced.relations.unsafe_partitions.insert(16403);
        let toc = plan(&forced, &PlanOptions::default()).unwrap();
        let leaf = toc
            .entries
            .iter()
            .find(|e| e.tag == "leaf" && e.had_dumper)
            .unwrap();
        assert_eq!(
            leaf.copy_stmt.as_deref(),
            Some("COPY s.root (k) FROM stdin;\n")
        );
    }

    #[test]
    fn schema_only_has_no_data_but_sequence_data_keeps_values() {
        let options = PlanOptions {
            data: false,
            ..PlanOptions::default()
        };
        let toc = plan(&catalog(), &options).unwrap();
        assert!(toc
            .entries
            .iter()
            .all(|e| !e.had_dumper && e.desc != desc::SEQUENCE_SET));
        let options = PlanOptions {
            data: false,
            sequence_data: true,
            ..PlanOptions::default()
        };
        let toc = plan(&catalog(), &options).unwrap();
        assert!(toc.entries.iter().all(|e| !e.had_dumper));
        assert!(toc.entries.iter().any(|e| e.desc == desc::SEQUENCE_SET));
    }
}
