//! Planning from hand-built catalogs, for paths a stock server cannot reach (security labels need a label
//! provider module that PostgreSQL packages do not ship).

use pgferry_archive::desc;
use pgferry_catalog::{class, Catalog, CatalogId, Namespace, SecLabel};

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
