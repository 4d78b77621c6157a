//! Planning from hand-built catalogs, for paths a stock server cannot reach (security labels need a label
//! provider module that PostgreSQL packages do not ship), and data selection rules on small catalogs.

use pgferry_archive::desc;
use pgferry_catalog::{
    class, Catalog, CatalogId, Column, ForeignTableDef, Namespace, SecLabel, Table,
};

use crate::{plan, PlanOptions};

fn catalog_with_labelled_schema() -> Catalog {
    let mut catalog = Catalog::default();
    catalog.roles.insert(10, "postgres".to_owned());
    catalog.database.name = "d".to_owned();
    catalog.database.encoding = "UTF8".to_owned();
    catalog.database.std_strings = true;
    catalog.namespaces.push(Namespace {
        oid: 16400,
        name: "Secret".to_owned(),
        owner: 10,
        acl: None,
        acl_default: "{postgres=UC/postgres}".to_owned(),
    });
    let object = CatalogId::new(class::PG_NAMESPACE, 16400);
    for (provider, label) in [
        ("selinux", "system_u:object_r:sepgsql_schema_t:s0"),
        ("dummy", "it's classified"),
    ] {
        catalog.seclabels.push(SecLabel {
            object,
            subid: 0,
            provider: provider.to_owned(),
            label: label.to_owned(),
        });
    }
    catalog.build_indexes();
    catalog
}

#[test]
fn security_labels_follow_their_object_in_one_entry() {
    let toc = plan(&catalog_with_labelled_schema(), &PlanOptions::default()).unwrap();
    let schema = toc
        .entries
        .iter()
        .position(|e| e.desc == desc::SCHEMA)
        .expect("schema entry");
    let label = toc
        .entries
        .iter()
        .position(|e| e.desc == desc::SECURITY_LABEL)
        .expect("label entry");
    assert_eq!(label, schema + 1, "the label comes right after its object");
    let entry = &toc.entries[label];
    assert_eq!(entry.tag, "SCHEMA \"Secret\"");
    assert_eq!(entry.dependencies, vec![toc.entries[schema].dump_id]);
    assert_eq!(
        entry.defn.as_deref(),
        Some(
            "SECURITY LABEL FOR selinux ON SCHEMA \"Secret\" IS 'system_u:object_r:sepgsql_schema_t:s0';\n\
             SECURITY LABEL FOR dummy ON SCHEMA \"Secret\" IS 'it''s classified';\n"
        )
    );
}

#[test]
fn no_security_labels_leaves_them_out() {
    let options = PlanOptions {
        no_security_labels: true,
        ..PlanOptions::default()
    };
    let toc = plan(&catalog_with_labelled_schema(), &options).unwrap();
    assert!(toc.entries.iter().all(|e| e.desc != desc::SECURITY_LABEL));
}

/// Schema `s` with a plain table and two foreign tables, one on server 16500 (`near`) and one on 16501 (`far`).
fn catalog_with_foreign_tables() -> Catalog {
    let mut catalog = Catalog::default();
    catalog.roles.insert(10, "postgres".to_owned());
    catalog.database.name = "d".to_owned();
    catalog.database.encoding = "UTF8".to_owned();
    catalog.database.std_strings = true;
    catalog.namespaces.push(Namespace {
        oid: 16400,
        name: "s".to_owned(),
        owner: 10,
        acl: None,
        acl_default: "{postgres=UC/postgres}".to_owned(),
    });
    let column = |name: &str| Column {
        attnum: 1,
        name: name.to_owned(),
        type_name: "integer".to_owned(),
        type_oid: 23,
        base_type_oid: 23,
        is_local: true,
        ..Column::default()
    };
    let table = |oid: u32, name: &str, relkind: u8, server: Option<(u32, &str)>| Table {
        oid,
        name: name.to_owned(),
        namespace: 16400,
        relkind,
        persistence: b'p',
        owner: 10,
        acl_default: "{postgres=arwdDxtm/postgres}".to_owned(),
        columns: vec![column("id")],
        foreign: server.map(|(server_oid, server)| ForeignTableDef {
            server: server.to_owned(),
            server_oid,
            options: Vec::new(),
        }),
        ..Table::default()
    };
    catalog.relations.tables = vec![
        table(16410, "plain", b'r', None),
        table(16411, "near_rows", b'f', Some((16500, "near"))),
        table(16412, "far_rows", b'f', Some((16501, "far"))),
    ];
    catalog.build_indexes();
    catalog
}

/// The tags of the TABLE DATA entries, with their COPY statements.
fn table_data(options: &PlanOptions) -> Vec<(String, Option<String>)> {
    plan(&catalog_with_foreign_tables(), options)
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| e.desc == desc::TABLE_DATA)
        .map(|e| (e.tag, e.copy_stmt))
        .collect()
}

#[test]
fn foreign_tables_get_data_only_when_their_server_is_included() {
    let copy = |tag: &str| {
        (
            tag.to_owned(),
            Some(format!("COPY s.{tag} (id) FROM stdin;\n")),
        )
    };
    // pg_dump's default: foreign tables have no data.
    assert_eq!(table_data(&PlanOptions::default()), vec![copy("plain")]);

    // --include-foreign-data matching `near`: its table's rows, not `far`'s.
    let near = PlanOptions {
        include_foreign_data_servers: [16500].into(),
        ..PlanOptions::default()
    };
    assert_eq!(table_data(&near), vec![copy("near_rows"), copy("plain")]);

    // Both servers; --exclude-table-data still wins over a matching server.
    let both = PlanOptions {
        include_foreign_data_servers: [16500, 16501].into(),
        exclude_table_data: [16411].into(),
        ..PlanOptions::default()
    };
    assert_eq!(table_data(&both), vec![copy("far_rows"), copy("plain")]);

    // Without data (--schema-only, which the CLI refuses together with the option, or --no-data): none.
    let no_data = PlanOptions {
        data: false,
        ..near
    };
    assert!(table_data(&no_data).is_empty());
}
