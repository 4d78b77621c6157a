//! Indexes, key and foreign-key constraints, triggers, rules, policies, extended statistics and event triggers.
//!
//! Everything here except event triggers belongs to a table and follows the table's [`Components`]: what
//! pg_dump dumps of the table decides what it dumps of its indexes, constraints, triggers, rules and
//! policies. All entries are post-data; event triggers are restored last, after the ACLs (the script writer
//! puts them in the post-ACL pass).
//!
//! Where the kinds share an [`ObjKind`], the [`Source`] tells them apart: a `Constraint` with
//! `Source::Index(i)` is the PRIMARY KEY / UNIQUE / EXCLUDE constraint of `catalog.rules.indexes[i]`, an
//! `IndexAttach` with `Source::Index(i)` attaches that (partition) index to its parent, and a `Policy` with
//! `Source::Table(t)` is the ROW SECURITY marker of `catalog.relations.tables[t]`.

use std::collections::HashMap;

use pgferry_archive::{desc, DumpId, Section, TocEntry};
use pgferry_catalog::rules::{ExtendedStatistics, Index, KeyConstraint};
use pgferry_catalog::{class, CatalogId, Oid, Table};

use super::{comment_entry, new_entry, Emitter, Labels};
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::quote::{self, Quoter};
use crate::PlanError;

const PARTITIONED: u8 = b'p';
const FOREIGN: u8 = b'f';

/// A table's object in the plan: its id, what is dumped of it, and its place in the catalog.
struct TableRef {
    id: DumpId,
    dump: Components,
    index: usize,
}

fn table_ref(planner: &Planner<'_>, oid: Oid) -> Option<TableRef> {
    let relations = &planner.catalog.relations;
    let index = relations.index_of(oid)?;
    let id = planner.lookup(relations.tables[index].catalog_id())?;
    let dump = planner.object(id)?.dump;
    Some(TableRef { id, dump, index })
}

/// Only the definition and its comment: what pg_dump dumps of triggers, foreign keys and policies, which
/// it reads only for tables whose definition (or policies) it dumps.
fn definition_and_comment(on: bool) -> Components {
    Components {
        definition: on,
        comment: on,
        ..Components::NONE
    }
}

/// The INDEX ATTACH objects of the partitions' indexes, by the OID of the index they attach to: (the
/// attached index's OID, the attach object).
type Attaches = HashMap<Oid, Vec<(Oid, DumpId)>>;

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    let attaches = collect_indexes(planner);
    collect_foreign_keys(planner, &attaches);
    collect_triggers(planner);
    collect_rules(planner);
    collect_policies(planner);
    collect_statistics(planner);
    collect_event_triggers(planner);
    Ok(())
}

/// Indexes, the constraints they implement, and the attachment of partition indexes to their parents.
fn collect_indexes(planner: &mut Planner<'_>) -> Attaches {
    let catalog = planner.catalog;
    for (i, index) in catalog.rules.indexes.iter().enumerate() {
        let Some(table) = table_ref(planner, index.table) else {
            continue;
        };
        let namespace = catalog.relations.tables[table.index].namespace;
        let table_name = catalog.relations.tables[table.index].name.clone();
        planner.add(
            ObjKind::Index,
            index.catalog_id(),
            index.name.clone(),
            namespace,
            table.dump,
            Source::Index(i),
        );
        if let Some(constraint) = &index.constraint {
            // The index gets no entry of its own: the constraint creates it (pg_depend makes the index
            // depend on the constraint).
            let id = planner.add(
                ObjKind::Constraint,
                constraint.catalog_id(),
                constraint.name.clone(),
                namespace,
                table.dump,
                Source::Index(i),
            );
            let object = planner.object_mut(id).expect("just added");
            object.tiebreak = vec![table_name];
            object.separate = true;
        }
    }

    // A partition's index is attached to the partitioned table's index once both exist.
    let mut attaches = Attaches::new();
    for (i, index) in catalog.rules.indexes.iter().enumerate() {
        if index.parent == 0 {
            continue;
        }
        let (Some(child), Some(parent)) = (
            planner.lookup(index.catalog_id()),
            planner.lookup(CatalogId::new(class::PG_CLASS, index.parent)),
        ) else {
            continue;
        };
        let Some(table) = table_ref(planner, index.table) else {
            continue;
        };
        let child_table = &catalog.relations.tables[table.index];
        if !child_table.is_partition {
            continue;
        }
        let parent_table = catalog
            .rules
            .index(index.parent)
            .and_then(|p| planner.lookup(CatalogId::new(class::PG_CLASS, p.table)));
        let attach = planner.add(
            ObjKind::IndexAttach,
            CatalogId::new(0, 0),
            index.name.clone(),
            child_table.namespace,
            Components {
                definition: table.dump.definition,
                ..Components::NONE
            },
            Source::Index(i),
        );
        // The partition's index comes first: loop repair reads which index is the child from here.
        planner.add_dep(attach, child);
        planner.add_dep(attach, parent);
        planner.add_dep(attach, table.id);
        if let Some(parent_table) = parent_table {
            planner.add_dep(attach, parent_table);
        }
        attaches
            .entry(index.parent)
            .or_default()
            .push((index.oid, attach));
    }
    attaches
}

/// The INDEX ATTACH objects under a partitioned index, recursively (partitions of partitions).
fn attaches_under(attaches: &Attaches, index: Oid, found: &mut Vec<DumpId>) {
    for &(child, attach) in attaches.get(&index).map(Vec::as_slice).unwrap_or_default() {
        found.push(attach);
        attaches_under(attaches, child, found);
    }
}

fn collect_foreign_keys(planner: &mut Planner<'_>, attaches: &Attaches) {
    let catalog = planner.catalog;
    for (i, fk) in catalog.rules.foreign_keys.iter().enumerate() {
        let Some(table) = table_ref(planner, fk.table) else {
            continue;
        };
        let namespace = catalog.relations.tables[table.index].namespace;
        let id = planner.add(
            ObjKind::FkConstraint,
            fk.catalog_id(),
            fk.name.clone(),
            namespace,
            definition_and_comment(table.dump.definition),
            Source::Index(i),
        );
        // A foreign key to a partitioned table can only be added once every partition's index is attached
        // to the referenced index (until then it is not valid).
        let referenced_partitioned = catalog
            .relations
            .table(fk.referenced_table)
            .is_some_and(|t| t.relkind == PARTITIONED);
        if referenced_partitioned && fk.referenced_index != 0 {
            let mut found = Vec::new();
            attaches_under(attaches, fk.referenced_index, &mut found);
            for attach in found {
                planner.add_dep(id, attach);
            }
        }
    }
}

fn collect_triggers(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    for (i, trigger) in catalog.rules.triggers.iter().enumerate() {
        let Some(table) = table_ref(planner, trigger.table) else {
            continue;
        };
        let t = &catalog.relations.tables[table.index];
        let id = planner.add(
            ObjKind::Trigger,
            trigger.catalog_id(),
            trigger.name.clone(),
            t.namespace,
            definition_and_comment(table.dump.definition),
            Source::Index(i),
        );
        planner.object_mut(id).expect("just added").tiebreak = vec![t.name.clone()];
    }
}

fn collect_rules(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    for (i, rule) in catalog.rules.rules.iter().enumerate() {
        let Some(table) = table_ref(planner, rule.table) else {
            continue;
        };
        let t = &catalog.relations.tables[table.index];
        let id = planner.add(
            ObjKind::Rule,
            rule.catalog_id(),
            rule.name.clone(),
            t.namespace,
            table.dump,
            Source::Index(i),
        );
        let object = planner.object_mut(id).expect("just added");
        object.tiebreak = vec![t.name.clone()];
        // Not a view's ON SELECT rule: its own post-data entry, after its table.
        object.separate = true;
        object.add_dep(table.id);
    }
}

fn collect_policies(planner: &mut Planner<'_>) {
    if planner.options.no_policies {
        return;
    }
    let catalog = planner.catalog;
    // ROW SECURITY: row-level security is enabled on the table (with or without policies).
    for (ti, table) in catalog.relations.tables.iter().enumerate() {
        if !table.row_security || !matches!(table.relkind, b'r' | PARTITIONED) {
            continue;
        }
        let Some(tref) = table_ref(planner, table.oid) else {
            continue;
        };
        if !tref.dump.policy {
            continue;
        }
        let id = planner.add(
            ObjKind::Policy,
            CatalogId::new(0, table.oid),
            table.name.clone(),
            table.namespace,
            definition_and_comment(true),
            Source::Table(ti),
        );
        let object = planner.object_mut(id).expect("just added");
        object.tiebreak = vec![table.name.clone()];
        object.add_dep(tref.id);
    }
    for (i, policy) in catalog.rules.policies.iter().enumerate() {
        let Some(table) = table_ref(planner, policy.table) else {
            continue;
        };
        if !table.dump.policy {
            continue;
        }
        let t = &catalog.relations.tables[table.index];
        let id = planner.add(
            ObjKind::Policy,
            policy.catalog_id(),
            policy.name.clone(),
            t.namespace,
            definition_and_comment(true),
            Source::Index(i),
        );
        planner.object_mut(id).expect("just added").tiebreak = vec![t.name.clone()];
    }
}

fn collect_statistics(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    for (i, stats) in catalog.rules.statistics.iter().enumerate() {
        // Dumped with the schema it is in, but only if its table's definition is dumped.
        let table_dumped = table_ref(planner, stats.table).is_some_and(|t| t.dump.definition);
        let dump = if table_dumped {
            planner.schema_components(stats.namespace, stats.catalog_id())
        } else {
            Components::NONE
        };
        planner.add(
            ObjKind::StatsExt,
            stats.catalog_id(),
            stats.name.clone(),
            stats.namespace,
            dump,
            Source::Index(i),
        );
    }
}

fn collect_event_triggers(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    for (i, trigger) in catalog.rules.event_triggers.iter().enumerate() {
        let id = trigger.catalog_id();
        let dump = if planner.options.include_everything() && catalog.extension_of(id).is_none() {
            Components::ALL
        } else {
            Components::NONE
        };
        planner.add(
            ObjKind::EventTrigger,
            id,
            trigger.name.clone(),
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
        (ObjKind::Index, Source::Index(i)) => index(planner, object, i, out),
        (ObjKind::Constraint, Source::Index(i)) => key_constraint(planner, object, i, out),
        (ObjKind::IndexAttach, Source::Index(i)) => index_attach(planner, object, i, out),
        (ObjKind::FkConstraint, Source::Index(i)) => foreign_key(planner, object, i, out),
        (ObjKind::Trigger, Source::Index(i)) => trigger(planner, object, i, out),
        (ObjKind::Rule, Source::Index(i)) => rule(planner, object, i, out),
        (ObjKind::Policy, Source::Table(t)) => row_security(planner, object, t, out),
        (ObjKind::Policy, Source::Index(i)) => policy(planner, object, i, out),
        (ObjKind::StatsExt, Source::Index(i)) => statistics(planner, object, i, out),
        (ObjKind::EventTrigger, Source::Index(i)) => event_trigger(planner, object, i, out),
        _ => {}
    }
    Ok(())
}

/// What the emitters need to know about a table: its names and owner.
struct TableNames<'a> {
    table: &'a Table,
    schema: String,
    owner: String,
    /// `schema.table`, quoted.
    qualified: String,
    /// `table`, quoted.
    quoted: String,
}

fn table_names<'a>(planner: &'a Planner<'_>, oid: Oid) -> Option<TableNames<'a>> {
    let catalog = planner.catalog;
    let table = catalog.relations.table(oid)?;
    let schema = catalog.namespace_name(table.namespace).to_owned();
    Some(TableNames {
        table,
        owner: catalog.role_name(table.owner).to_owned(),
        qualified: planner.quoter.qualified(&schema, &table.name),
        quoted: planner.quoter.ident(&table.name),
        schema,
    })
}

/// An entry in the table's schema, owned by the table's owner.
fn table_entry(
    object: &DumpObject,
    desc_: &str,
    tag: String,
    names: &TableNames<'_>,
    catalog_id: CatalogId,
) -> TocEntry {
    let mut entry = new_entry(object.id, desc_, tag, Section::PostData);
    entry.namespace = Some(names.schema.clone());
    entry.owner = Some(names.owner.clone());
    entry.table_oid = catalog_id.classid;
    entry.oid = catalog_id.oid;
    entry
}

/// Labels for a comment on a sub-object of a table: `COMMENT ON <kind> name ON schema.table`.
fn table_item_labels<'a>(
    kind: &'a str,
    name: &str,
    names: &TableNames<'_>,
    planner: &Planner<'_>,
) -> Labels<'a> {
    let name = planner.quoter.ident(name);
    Labels {
        kind,
        tag_name: format!("{name} ON {}", names.quoted),
        sql_name: format!("{name} ON {}", names.qualified),
        namespace: Some(names.schema.clone()),
        owner: Some(names.owner.clone()),
    }
}

/// `ALTER <keyword> <name> DEPENDS ON EXTENSION <ext>` for each extension the object was marked as
/// depending on (pg_depend deptype `x`), each on its own line after a blank one; no final newline.
fn depends_on_extension(planner: &Planner<'_>, id: CatalogId, keyword: &str, name: &str) -> String {
    let catalog = planner.catalog;
    let mut sql = String::new();
    // catalog.depends is ordered by (classid, objid): the object's rows are found by binary search.
    let start = catalog.depends.partition_point(|d| d.object < id);
    for depend in catalog.depends[start..]
        .iter()
        .take_while(|d| d.object == id)
    {
        if depend.deptype != b'x' || depend.referenced.classid != class::PG_EXTENSION {
            continue;
        }
        if let Some(extension) = catalog
            .extensions
            .iter()
            .find(|e| e.oid == depend.referenced.oid)
        {
            sql.push_str(&format!(
                "\nALTER {keyword} {name} DEPENDS ON EXTENSION {};",
                planner.quoter.ident(&extension.name)
            ));
        }
    }
    sql
}

/// `ALTER TABLE ... CLUSTER ON` and `REPLICA IDENTITY USING INDEX`, which only have ALTER syntax.
fn cluster_sql(index: &Index, names: &TableNames<'_>, quoted_index: &str) -> String {
    if index.is_clustered {
        format!(
            "\nALTER TABLE {} CLUSTER ON {quoted_index};\n",
            names.qualified
        )
    } else {
        String::new()
    }
}

fn replica_identity_sql(index: &Index, names: &TableNames<'_>, quoted_index: &str) -> String {
    if index.is_replica_identity {
        format!(
            "\nALTER TABLE ONLY {} REPLICA IDENTITY USING INDEX {quoted_index};\n",
            names.qualified
        )
    } else {
        String::new()
    }
}

fn index(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let index = &catalog.rules.indexes[i];
    let Some(names) = table_names(planner, index.table) else {
        return;
    };
    let q = planner.quoter;
    let quoted_index = q.ident(&index.name);
    let qualified_index = q.qualified(&names.schema, &index.name);

    // An index that implements a constraint is created by the constraint; only its comment is its own,
    // and it is restored after the constraint.
    let mut comment_parent = object.id;
    if let Some(constraint) = &index.constraint {
        match planner.lookup(constraint.catalog_id()) {
            Some(id) => comment_parent = id,
            None => return,
        }
    } else if object.dump.definition {
        let mut sql = format!("{};\n", index.definition);
        sql.push_str(&cluster_sql(index, &names, &quoted_index));
        for (column, target) in &index.stat_targets {
            sql.push_str(&format!(
                "ALTER INDEX {qualified_index} ALTER COLUMN {column} SET STATISTICS {target};\n"
            ));
        }
        sql.push_str(&depends_on_extension(
            planner,
            index.catalog_id(),
            "INDEX",
            &qualified_index,
        ));
        sql.push_str(&replica_identity_sql(index, &names, &quoted_index));
        let mut entry = table_entry(
            object,
            desc::INDEX,
            index.name.clone(),
            &names,
            index.catalog_id(),
        );
        entry.tablespace = Some(index.tablespace.clone());
        entry.defn = Some(sql);
        // An index attached to a partitioned index cannot be dropped on its own: it goes with its table or
        // its parent index.
        entry.drop_stmt = Some(if index.parent == 0 {
            format!("DROP INDEX {qualified_index};\n")
        } else {
            String::new()
        });
        out.main_entry(entry);
    }
    if !planner.options.no_comments && object.dump.comment {
        if let Some(text) = catalog.comment(index.catalog_id(), 0) {
            let labels = Labels {
                kind: "INDEX",
                tag_name: quoted_index,
                sql_name: qualified_index,
                namespace: Some(names.schema.clone()),
                owner: Some(names.owner.clone()),
            };
            super::comment_text_entry(planner, out, comment_parent, text, &labels);
        }
    }
}

/// The text after `ADD CONSTRAINT name` of a PRIMARY KEY or UNIQUE constraint, built from the index the
/// way pg_dump builds it (EXCLUDE constraints use the server's deparse instead).
fn key_constraint_body(
    index: &Index,
    constraint: &KeyConstraint,
    table: &Table,
    q: Quoter,
    std_strings: bool,
) -> String {
    let column = |attnum: i64| -> String {
        let name = match attnum {
            -1 => "ctid".to_owned(),
            -2 => "xmin".to_owned(),
            -3 => "cmin".to_owned(),
            -4 => "xmax".to_owned(),
            -5 => "cmax".to_owned(),
            -6 => "tableoid".to_owned(),
            n => table
                .column(n as i32)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        };
        q.ident(&name)
    };
    let mut sql = String::from(if constraint.contype == b'p' {
        "PRIMARY KEY"
    } else {
        "UNIQUE"
    });
    // A primary key never prints NULLS NOT DISTINCT (an index allowing it could once be made into one).
    if index.nulls_not_distinct && constraint.contype != b'p' {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    let keys: Vec<String> = index
        .keys
        .iter()
        .take(index.key_count)
        .take_while(|&&k| k != 0)
        .map(|&k| column(k))
        .collect();
    sql.push_str(&format!(" ({}", keys.join(", ")));
    if constraint.period {
        sql.push_str(" WITHOUT OVERLAPS");
    }
    if index.key_count < index.column_count {
        let included: Vec<String> = index
            .keys
            .iter()
            .take(index.column_count)
            .skip(index.key_count)
            .take_while(|&&k| k != 0)
            .map(|&k| column(k))
            .collect();
        sql.push_str(&format!(") INCLUDE ({}", included.join(", ")));
    }
    sql.push(')');
    if !index.reloptions.is_empty() {
        sql.push_str(&format!(
            " WITH ({})",
            reloptions(&index.reloptions, q, std_strings).join(", ")
        ));
    }
    if constraint.deferrable {
        sql.push_str(" DEFERRABLE");
        if constraint.deferred {
            sql.push_str(" INITIALLY DEFERRED");
        }
    }
    sql
}

/// `reloptions` as pg_dump prints them in a WITH clause: `name='value'`.
fn reloptions(options: &[String], q: Quoter, std_strings: bool) -> Vec<String> {
    options
        .iter()
        .map(|item| {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            format!("{}={}", q.ident(name), quote::literal(value, std_strings))
        })
        .collect()
}

fn foreign_prefix(table: &Table) -> &'static str {
    if table.relkind == FOREIGN {
        "FOREIGN "
    } else {
        ""
    }
}

fn key_constraint(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let index = &catalog.rules.indexes[i];
    let Some(constraint) = &index.constraint else {
        return;
    };
    let Some(names) = table_names(planner, index.table) else {
        return;
    };
    let q = planner.quoter;
    let quoted_index = q.ident(&index.name);
    let qualified_index = q.qualified(&names.schema, &index.name);
    let name = q.ident(&constraint.name);
    let foreign = foreign_prefix(names.table);
    if object.dump.definition {
        let body = if constraint.contype == b'x' {
            constraint.definition.clone()
        } else {
            key_constraint_body(
                index,
                constraint,
                names.table,
                q,
                catalog.database.std_strings,
            )
        };
        let mut sql = format!(
            "ALTER {foreign}TABLE ONLY {}\n    ADD CONSTRAINT {name} {body};\n",
            names.qualified
        );
        sql.push_str(&cluster_sql(index, &names, &quoted_index));
        sql.push_str(&replica_identity_sql(index, &names, &quoted_index));
        sql.push_str(&depends_on_extension(
            planner,
            index.catalog_id(),
            "INDEX",
            &qualified_index,
        ));
        let mut entry = table_entry(
            object,
            desc::CONSTRAINT,
            format!("{} {}", names.table.name, constraint.name),
            &names,
            constraint.catalog_id(),
        );
        entry.tablespace = Some(index.tablespace.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!(
            "ALTER {foreign}TABLE ONLY {} DROP CONSTRAINT {name};\n",
            names.qualified
        ));
        out.main_entry(entry);
    }
    let labels = table_item_labels("CONSTRAINT", &constraint.name, &names, planner);
    comment_entry(planner, out, object, constraint.catalog_id(), 0, &labels);
}

fn index_attach(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    if !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let index = &catalog.rules.indexes[i];
    let Some(parent) = catalog.rules.index(index.parent) else {
        return;
    };
    let (Some(names), Some(parent_names)) = (
        table_names(planner, index.table),
        table_names(planner, parent.table),
    ) else {
        return;
    };
    let q = planner.quoter;
    let mut entry = new_entry(
        object.id,
        desc::INDEX_ATTACH,
        index.name.clone(),
        Section::PostData,
    );
    entry.namespace = Some(names.schema.clone());
    entry.owner = Some(parent_names.owner.clone());
    entry.defn = Some(format!(
        "ALTER INDEX {} ATTACH PARTITION {};\n",
        q.qualified(&parent_names.schema, &parent.name),
        q.qualified(&names.schema, &index.name)
    ));
    out.main_entry(entry);
}

fn foreign_key(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let fk = &catalog.rules.foreign_keys[i];
    let Some(names) = table_names(planner, fk.table) else {
        return;
    };
    let name = planner.quoter.ident(&fk.name);
    let foreign = foreign_prefix(names.table);
    // Foreign keys on partitioned tables always apply to the partitions too.
    let only = if names.table.relkind == PARTITIONED {
        ""
    } else {
        "ONLY "
    };
    if object.dump.definition {
        let mut entry = table_entry(
            object,
            desc::FK_CONSTRAINT,
            format!("{} {}", names.table.name, fk.name),
            &names,
            fk.catalog_id(),
        );
        entry.defn = Some(format!(
            "ALTER {foreign}TABLE {only}{}\n    ADD CONSTRAINT {name} {};\n",
            names.qualified, fk.definition
        ));
        entry.drop_stmt = Some(format!(
            "ALTER {foreign}TABLE {only}{} DROP CONSTRAINT {name};\n",
            names.qualified
        ));
        out.main_entry(entry);
    }
    let labels = table_item_labels("CONSTRAINT", &fk.name, &names, planner);
    comment_entry(planner, out, object, fk.catalog_id(), 0, &labels);
}

/// The keyword of `ALTER TABLE ... <keyword> TRIGGER|RULE name` for an enabled state (`tgenabled`,
/// `ev_enabled`, `evtenabled`).
fn enable_keyword(enabled: u8) -> &'static str {
    match enabled {
        b'D' | b'f' => "DISABLE",
        b'A' => "ENABLE ALWAYS",
        b'R' => "ENABLE REPLICA",
        _ => "ENABLE",
    }
}

fn trigger(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let trigger = &catalog.rules.triggers[i];
    let Some(names) = table_names(planner, trigger.table) else {
        return;
    };
    let name = planner.quoter.ident(&trigger.name);
    let identity = format!("{name} ON {}", names.qualified);
    let alter = format!(
        "\nALTER {}TABLE {} {} TRIGGER {name};\n",
        foreign_prefix(names.table),
        names.qualified,
        enable_keyword(trigger.enabled)
    );
    let (sql, drop) = if trigger.is_partition_clone {
        // The partition has the trigger already (cloned from its parent's); only its state differs.
        (alter, String::new())
    } else {
        let mut sql = format!("{};\n", trigger.definition);
        sql.push_str(&depends_on_extension(
            planner,
            trigger.catalog_id(),
            "TRIGGER",
            &identity,
        ));
        if trigger.enabled != b'O' && trigger.enabled != b't' {
            sql.push_str(&alter);
        }
        (sql, format!("DROP TRIGGER {identity};\n"))
    };
    if object.dump.definition {
        let mut entry = table_entry(
            object,
            desc::TRIGGER,
            format!("{} {}", names.table.name, trigger.name),
            &names,
            trigger.catalog_id(),
        );
        entry.defn = Some(sql);
        entry.drop_stmt = Some(drop);
        out.main_entry(entry);
    }
    let labels = table_item_labels("TRIGGER", &trigger.name, &names, planner);
    comment_entry(planner, out, object, trigger.catalog_id(), 0, &labels);
}

fn rule(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let rule = &catalog.rules.rules[i];
    let Some(names) = table_names(planner, rule.table) else {
        return;
    };
    let name = planner.quoter.ident(&rule.name);
    if object.dump.definition {
        let mut sql = format!("{}\n", rule.definition);
        if rule.enabled != b'O' {
            sql.push_str(&format!(
                "ALTER TABLE {} {} RULE {name};\n",
                names.qualified,
                enable_keyword(rule.enabled)
            ));
        }
        let mut entry = table_entry(
            object,
            desc::RULE,
            format!("{} {}", names.table.name, rule.name),
            &names,
            rule.catalog_id(),
        );
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP RULE {name} ON {};\n", names.qualified));
        out.main_entry(entry);
    }
    let labels = table_item_labels("RULE", &rule.name, &names, planner);
    comment_entry(planner, out, object, rule.catalog_id(), 0, &labels);
}

fn row_security(planner: &Planner<'_>, object: &DumpObject, t: usize, out: &mut Emitter) {
    if !object.dump.definition {
        return;
    }
    let table = &planner.catalog.relations.tables[t];
    let Some(names) = table_names(planner, table.oid) else {
        return;
    };
    let mut entry = table_entry(
        object,
        desc::ROW_SECURITY,
        table.name.clone(),
        &names,
        CatalogId::new(0, table.oid),
    );
    entry.defn = Some(format!(
        "ALTER TABLE {} ENABLE ROW LEVEL SECURITY;",
        names.qualified
    ));
    // Nothing in pg_depend leads here: the dependency on the table is stated explicitly.
    entry.dependencies = planner.lookup(table.catalog_id()).into_iter().collect();
    out.main_entry(entry);
}

fn policy(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let policy = &catalog.rules.policies[i];
    let Some(names) = table_names(planner, policy.table) else {
        return;
    };
    let name = planner.quoter.ident(&policy.name);
    if object.dump.definition {
        let command = match policy.command {
            b'r' => " FOR SELECT",
            b'a' => " FOR INSERT",
            b'w' => " FOR UPDATE",
            b'd' => " FOR DELETE",
            _ => "",
        };
        let mut sql = format!(
            "CREATE POLICY {name} ON {}{}{command}",
            names.qualified,
            if policy.permissive {
                ""
            } else {
                " AS RESTRICTIVE"
            }
        );
        if let Some(roles) = &policy.roles {
            sql.push_str(&format!(" TO {roles}"));
        }
        if let Some(using) = &policy.using {
            sql.push_str(&format!(" USING ({using})"));
        }
        if let Some(check) = &policy.with_check {
            sql.push_str(&format!(" WITH CHECK ({check})"));
        }
        sql.push_str(";\n");
        let mut entry = table_entry(
            object,
            desc::POLICY,
            format!("{} {}", names.table.name, policy.name),
            &names,
            policy.catalog_id(),
        );
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP POLICY {name} ON {};\n", names.qualified));
        out.main_entry(entry);
    }
    let labels = table_item_labels("POLICY", &policy.name, &names, planner);
    comment_entry(planner, out, object, policy.catalog_id(), 0, &labels);
}

fn statistics(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let stats: &ExtendedStatistics = &catalog.rules.statistics[i];
    let schema = catalog.namespace_name(stats.namespace).to_owned();
    let owner = catalog.role_name(stats.owner).to_owned();
    let q = planner.quoter;
    let qualified = q.qualified(&schema, &stats.name);
    if object.dump.definition {
        let mut sql = format!("{};\n", stats.definition);
        if let Some(target) = stats.stat_target {
            sql.push_str(&format!(
                "ALTER STATISTICS {qualified} SET STATISTICS {target};\n"
            ));
        }
        let mut entry = new_entry(
            object.id,
            desc::STATISTICS,
            stats.name.clone(),
            Section::PostData,
        );
        entry.namespace = Some(schema.clone());
        entry.owner = Some(owner.clone());
        entry.table_oid = class::PG_STATISTIC_EXT;
        entry.oid = stats.oid;
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP STATISTICS {qualified};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "STATISTICS",
        tag_name: q.ident(&stats.name),
        sql_name: qualified,
        namespace: Some(schema),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, stats.catalog_id(), 0, &labels);
}

fn event_trigger(planner: &Planner<'_>, object: &DumpObject, i: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let trigger = &catalog.rules.event_triggers[i];
    let owner = catalog.role_name(trigger.owner).to_owned();
    let q = planner.quoter;
    let name = q.ident(&trigger.name);
    if object.dump.definition {
        let mut sql = format!("CREATE EVENT TRIGGER {name} ON {}", q.ident(&trigger.event));
        if !trigger.tags.is_empty() {
            sql.push_str(&format!("\n         WHEN TAG IN ({})", trigger.tags));
        }
        sql.push_str(&format!("\n   EXECUTE FUNCTION {}();\n", trigger.function));
        if trigger.enabled != b'O' {
            sql.push_str(&format!(
                "\nALTER EVENT TRIGGER {name} {};\n",
                enable_keyword(trigger.enabled)
            ));
        }
        let mut entry = new_entry(
            object.id,
            desc::EVENT_TRIGGER,
            trigger.name.clone(),
            Section::PostData,
        );
        entry.owner = Some(owner.clone());
        entry.table_oid = class::PG_EVENT_TRIGGER;
        entry.oid = trigger.oid;
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP EVENT TRIGGER {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "EVENT TRIGGER",
        tag_name: name.clone(),
        sql_name: name,
        namespace: None,
        owner: Some(owner),
    };
    comment_entry(planner, out, object, trigger.catalog_id(), 0, &labels);
}

/// Breaks a dependency loop this group knows how to break; `None` when it does not recognise the loop.
///
/// A partitioned table's index and a partition's index attached to it: the partition index's dependency on
/// its parent index is dropped (the INDEX ATTACH entry orders the two anyway), as pg_dump does.
pub(crate) fn repair_loop(objects: &mut [DumpObject], cycle: &[DumpId]) -> Option<()> {
    if cycle.len() != 2 {
        return None;
    }
    let index: HashMap<DumpId, usize> =
        objects.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    let (a, b) = (*index.get(&cycle[0])?, *index.get(&cycle[1])?);
    if objects[a].kind != ObjKind::Index || objects[b].kind != ObjKind::Index {
        return None;
    }
    // The INDEX ATTACH of the pair names the partition's index first (see collect_indexes).
    let (a_id, b_id) = (objects[a].id, objects[b].id);
    let attach = objects.iter().find(|o| {
        o.kind == ObjKind::IndexAttach
            && o.deps.len() >= 2
            && ((o.deps[0] == a_id && o.deps[1] == b_id)
                || (o.deps[0] == b_id && o.deps[1] == a_id))
    })?;
    let (child, parent) = if attach.deps[0] == a_id {
        (a, b)
    } else {
        (b, a)
    };
    let parent_id = objects[parent].id;
    objects[child].remove_dep(parent_id);
    Some(())
}

#[cfg(test)]
mod tests;
