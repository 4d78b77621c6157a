//! Publications, their tables and schemas, and subscriptions (pg_dump's `dumpPublication`,
//! `dumpPublicationTable`, `dumpPublicationNamespace`, `dumpSubscription`).

use std::collections::HashMap;

use pgferry_archive::desc;
use pgferry_catalog::textsearch::Subscription;
use pgferry_catalog::{class, CatalogId, Oid, Table};
use pgferry_conn::ServerVersion;

use super::global_components;
use crate::emit::{comment_entry, new_entry, section_of, Emitter, Labels};
use crate::model::{DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::quote::{literal, Quoter};

pub(super) fn collect(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    let search = &catalog.foreign_and_search;
    if !planner.options.no_publications {
        for (i, publication) in search.publications.iter().enumerate() {
            let id = CatalogId::new(class::PG_PUBLICATION, publication.oid);
            let dump = global_components(planner, id);
            planner.add(
                ObjKind::Publication,
                id,
                publication.name.clone(),
                0,
                dump,
                Source::Index(i),
            );
        }
        // Memberships are dumped only with the whole database, whatever their table or schema (pg_dump's
        // selectDumpablePublicationObject), and only for publications and relations it knows.
        let tables: HashMap<Oid, &Table> = catalog
            .relations
            .tables
            .iter()
            .map(|t| (t.oid, t))
            .collect();
        for (i, rel) in search.publication_rels.iter().enumerate() {
            let (Some(publication), Some(table)) = (
                publication_name(planner, rel.publication),
                tables.get(&rel.table),
            ) else {
                continue;
            };
            let id = CatalogId::new(class::PG_PUBLICATION_REL, rel.oid);
            let dump = global_components(planner, id);
            let object = planner.add(
                ObjKind::PublicationRel,
                id,
                table.name.clone(),
                table.namespace,
                dump,
                Source::Index(i),
            );
            if let Some(object) = planner.object_mut(object) {
                object.tiebreak = vec![publication];
            }
        }
        for (i, member) in search.publication_namespaces.iter().enumerate() {
            let (Some(publication), Some(schema)) = (
                publication_name(planner, member.publication),
                catalog.namespace(member.namespace),
            ) else {
                continue;
            };
            let id = CatalogId::new(class::PG_PUBLICATION_NAMESPACE, member.oid);
            let dump = global_components(planner, id);
            // Sorted as an object without a schema, named after the schema.
            let object = planner.add(
                ObjKind::PublicationTableInSchema,
                id,
                schema.name.clone(),
                0,
                dump,
                Source::Index(i),
            );
            if let Some(object) = planner.object_mut(object) {
                object.tiebreak = vec![publication];
            }
        }
    }
    if !planner.options.no_subscriptions {
        if search.subscriptions_not_read > 0 {
            planner.warnings.push(
                "subscriptions not dumped because current user is not a superuser".to_owned(),
            );
        }
        for (i, subscription) in search.subscriptions.iter().enumerate() {
            let id = CatalogId::new(class::PG_SUBSCRIPTION, subscription.oid);
            let dump = global_components(planner, id);
            planner.add(
                ObjKind::Subscription,
                id,
                subscription.name.clone(),
                0,
                dump,
                Source::Index(i),
            );
        }
    }
}

fn publication_name(planner: &Planner<'_>, oid: Oid) -> Option<String> {
    let search = &planner.catalog.foreign_and_search;
    search
        .publications
        .iter()
        .find(|p| p.oid == oid)
        .map(|p| p.name.clone())
}

pub(super) fn emit(planner: &Planner<'_>, object: &DumpObject, out: &mut Emitter) {
    let Source::Index(i) = object.source else {
        return;
    };
    match object.kind {
        ObjKind::Publication => publication(planner, object, i, out),
        ObjKind::PublicationRel => publication_rel(planner, object, i, out),
        ObjKind::PublicationTableInSchema => publication_schema(planner, object, i, out),
        ObjKind::Subscription => subscription(planner, object, i, out),
        _ => {}
    }
}

fn publication(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let publication = &catalog.foreign_and_search.publications[index];
    let name = planner.quoter.ident(&publication.name);
    let owner = catalog.role_name(publication.owner).to_owned();
    let id = CatalogId::new(class::PG_PUBLICATION, publication.oid);
    if object.dump.definition {
        let mut sql = format!("CREATE PUBLICATION {name}");
        if publication.all_tables {
            sql.push_str(" FOR ALL TABLES");
        }
        let actions: Vec<&str> = [
            (publication.insert, "insert"),
            (publication.update, "update"),
            (publication.delete, "delete"),
            (publication.truncate, "truncate"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, action)| *action)
        .collect();
        sql.push_str(&format!(" WITH (publish = '{}'", actions.join(", ")));
        if publication.via_root {
            sql.push_str(", publish_via_partition_root = true");
        }
        if publication.generated_columns == b's' {
            sql.push_str(", publish_generated_columns = stored");
        }
        sql.push_str(");\n");
        let mut entry = new_entry(
            object.id,
            desc::PUBLICATION,
            publication.name.clone(),
            section_of(object),
        );
        entry.table_oid = id.classid;
        entry.oid = id.oid;
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP PUBLICATION {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "PUBLICATION",
        tag_name: name.clone(),
        sql_name: name,
        namespace: None,
        owner: Some(owner),
    };
    comment_entry(planner, out, object, id, 0, &labels);
}

fn publication_rel(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    if !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let search = &catalog.foreign_and_search;
    let rel = &search.publication_rels[index];
    let Some(publication) = search
        .publications
        .iter()
        .find(|p| p.oid == rel.publication)
    else {
        return;
    };
    // The object is named after its table and sits in the table's schema.
    let table = &object.name;
    let schema = object.schema.clone().unwrap_or_default();
    let q = planner.quoter;
    let mut sql = format!(
        "ALTER PUBLICATION {} ADD TABLE ONLY {}",
        q.ident(&publication.name),
        q.qualified(&schema, table)
    );
    if let Some(columns) = &rel.columns {
        let columns: Vec<String> = columns.iter().map(|c| q.ident(c)).collect();
        sql.push_str(&format!(" ({})", columns.join(", ")));
    }
    // pg_get_expr leaves some filters (WHERE true) without parentheses.
    if let Some(filter) = &rel.row_filter {
        sql.push_str(&format!(" WHERE ({filter})"));
    }
    sql.push_str(";\n");
    // No DROP: dropping the table or the publication drops the membership. The publication's owner runs it.
    let mut entry = new_entry(
        object.id,
        desc::PUBLICATION_TABLE,
        format!("{} {table}", publication.name),
        section_of(object),
    );
    entry.table_oid = class::PG_PUBLICATION_REL;
    entry.oid = rel.oid;
    entry.namespace = Some(schema);
    entry.owner = Some(catalog.role_name(publication.owner).to_owned());
    entry.defn = Some(sql);
    out.main_entry(entry);
}

fn publication_schema(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    if !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let search = &catalog.foreign_and_search;
    let member = &search.publication_namespaces[index];
    let (Some(publication), Some(schema)) = (
        search
            .publications
            .iter()
            .find(|p| p.oid == member.publication),
        catalog.namespace(member.namespace),
    ) else {
        return;
    };
    let q = planner.quoter;
    let mut entry = new_entry(
        object.id,
        desc::PUBLICATION_TABLES_IN_SCHEMA,
        format!("{} {}", publication.name, schema.name),
        section_of(object),
    );
    entry.table_oid = class::PG_PUBLICATION_NAMESPACE;
    entry.oid = member.oid;
    entry.namespace = Some(schema.name.clone());
    entry.owner = Some(catalog.role_name(publication.owner).to_owned());
    entry.defn = Some(format!(
        "ALTER PUBLICATION {} ADD TABLES IN SCHEMA {};\n",
        q.ident(&publication.name),
        q.ident(&schema.name)
    ));
    out.main_entry(entry);
}

fn subscription(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let subscription = &catalog.foreign_and_search.subscriptions[index];
    let q = planner.quoter;
    let name = q.ident(&subscription.name);
    let owner = catalog.role_name(subscription.owner).to_owned();
    let id = CatalogId::new(class::PG_SUBSCRIPTION, subscription.oid);
    if object.dump.definition {
        let version = catalog.version.unwrap_or(ServerVersion::V18);
        let sql = create_subscription(subscription, q, catalog.database.std_strings, version);
        let mut entry = new_entry(
            object.id,
            desc::SUBSCRIPTION,
            subscription.name.clone(),
            section_of(object),
        );
        entry.table_oid = id.classid;
        entry.oid = id.oid;
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP SUBSCRIPTION {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "SUBSCRIPTION",
        tag_name: name.clone(),
        sql_name: name,
        namespace: None,
        owner: Some(owner),
    };
    comment_entry(planner, out, object, id, 0, &labels);
}

/// `CREATE SUBSCRIPTION`, never connected (the user enables and refreshes it after the restore).
///
/// pg_dump 18 always writes `streaming = off` when streaming is off (18 made `parallel` the default) and
/// `run_as_owner = true` for a source older than 16 (it assumes the old behaviour). Neither option exists on
/// the older servers such a dump is most likely restored into, so pgferry writes them only for a source that
/// has them: `streaming` from 14, `run_as_owner` from 16. Every other option is written only when it differs
/// from its default, which an older source never does.
fn create_subscription(
    subscription: &Subscription,
    q: Quoter,
    std_strings: bool,
    version: ServerVersion,
) -> String {
    let name = q.ident(&subscription.name);
    let publications: Vec<String> = subscription
        .publications
        .iter()
        .map(|p| q.ident(p))
        .collect();
    let mut sql = format!(
        "CREATE SUBSCRIPTION {name} CONNECTION {} PUBLICATION {} WITH (connect = false, slot_name = ",
        literal(&subscription.conninfo, std_strings),
        publications.join(", ")
    );
    match &subscription.slot_name {
        Some(slot) => sql.push_str(&literal(slot, std_strings)),
        None => sql.push_str("NONE"),
    }
    if subscription.binary {
        sql.push_str(", binary = true");
    }
    match subscription.streaming {
        b't' => sql.push_str(", streaming = on"),
        b'p' => sql.push_str(", streaming = parallel"),
        // 14 added the option.
        _ if version >= ServerVersion::V14 => sql.push_str(", streaming = off"),
        _ => {}
    }
    if subscription.two_phase_state != b'd' {
        sql.push_str(", two_phase = on");
    }
    if subscription.disable_on_error {
        sql.push_str(", disable_on_error = true");
    }
    if !subscription.password_required {
        sql.push_str(", password_required = false");
    }
    // 16 added the option.
    if subscription.run_as_owner && version >= ServerVersion::V16 {
        sql.push_str(", run_as_owner = true");
    }
    if subscription.failover {
        sql.push_str(", failover = true");
    }
    if subscription.synchronous_commit != "off" {
        sql.push_str(&format!(
            ", synchronous_commit = {}",
            q.ident(&subscription.synchronous_commit)
        ));
    }
    if !subscription.origin.eq_ignore_ascii_case("any") {
        sql.push_str(&format!(", origin = {}", subscription.origin));
    }
    sql.push_str(");\n");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Subscription {
        Subscription {
            name: "Sub Odd".to_owned(),
            conninfo: "dbname='odd name'".to_owned(),
            slot_name: None,
            synchronous_commit: "off".to_owned(),
            publications: vec!["p1".to_owned(), "Pub Odd".to_owned()],
            streaming: b'f',
            two_phase_state: b'd',
            password_required: true,
            run_as_owner: true,
            origin: "any".to_owned(),
            ..Subscription::default()
        }
    }

    #[test]
    fn options_older_servers_lack_are_left_out() {
        let q = Quoter::default();
        assert_eq!(
            create_subscription(&plain(), q, true, ServerVersion::V12),
            "CREATE SUBSCRIPTION \"Sub Odd\" CONNECTION 'dbname=''odd name''' PUBLICATION p1, \"Pub Odd\" \
             WITH (connect = false, slot_name = NONE);\n"
        );
        assert_eq!(
            create_subscription(&plain(), q, true, ServerVersion::V15),
            "CREATE SUBSCRIPTION \"Sub Odd\" CONNECTION 'dbname=''odd name''' PUBLICATION p1, \"Pub Odd\" \
             WITH (connect = false, slot_name = NONE, streaming = off);\n"
        );
    }

    #[test]
    fn every_option_in_pg_dump_order() {
        let subscription = Subscription {
            slot_name: Some("s1".to_owned()),
            binary: true,
            streaming: b'p',
            two_phase_state: b'p',
            disable_on_error: true,
            password_required: false,
            failover: true,
            synchronous_commit: "remote_apply".to_owned(),
            origin: "none".to_owned(),
            ..plain()
        };
        assert_eq!(
            create_subscription(&subscription, Quoter::default(), true, ServerVersion::V18),
            "CREATE SUBSCRIPTION \"Sub Odd\" CONNECTION 'dbname=''odd name''' PUBLICATION p1, \"Pub Odd\" \
             WITH (connect = false, slot_name = 's1', binary = true, streaming = parallel, two_phase = on, \
             disable_on_error = true, password_required = false, run_as_owner = true, failover = true, \
             synchronous_commit = remote_apply, origin = none);\n"
        );
    }
}
