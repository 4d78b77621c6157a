use pgferry_archive::DumpId;
use pgferry_catalog::rules::{Index, KeyConstraint};
use pgferry_catalog::{CatalogId, Column, Table};

use super::{enable_keyword, key_constraint_body, reloptions, repair_loop};
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::quote::Quoter;

fn table() -> Table {
    let column = |attnum: i32, name: &str| Column {
        attnum,
        name: name.to_owned(),
        ..Column::default()
    };
    Table {
        name: "t".to_owned(),
        columns: vec![
            column(1, "id"),
            column(2, "Mixed Case"),
            column(3, "during"),
            column(4, "note"),
        ],
        ..Table::default()
    }
}

fn key(contype: u8) -> KeyConstraint {
    KeyConstraint {
        oid: 1,
        name: "k".to_owned(),
        contype,
        ..KeyConstraint::default()
    }
}

#[test]
fn primary_keys_list_their_key_columns() {
    let index = Index {
        keys: vec![1, 2],
        key_count: 2,
        column_count: 2,
        // A primary key never says NULLS NOT DISTINCT.
        nulls_not_distinct: true,
        ..Index::default()
    };
    let sql = key_constraint_body(&index, &key(b'p'), &table(), Quoter::default(), true);
    assert_eq!(sql, r#"PRIMARY KEY (id, "Mixed Case")"#);
}

#[test]
fn unique_constraints_carry_every_option() {
    let index = Index {
        keys: vec![4, 1, 2],
        key_count: 1,
        column_count: 3,
        nulls_not_distinct: true,
        reloptions: vec![
            "fillfactor=80".to_owned(),
            "deduplicate_items=off".to_owned(),
        ],
        ..Index::default()
    };
    let mut constraint = key(b'u');
    constraint.deferrable = true;
    constraint.deferred = true;
    let sql = key_constraint_body(&index, &constraint, &table(), Quoter::default(), true);
    assert_eq!(
        sql,
        r#"UNIQUE NULLS NOT DISTINCT (note) INCLUDE (id, "Mixed Case") WITH (fillfactor='80', deduplicate_items='off') DEFERRABLE INITIALLY DEFERRED"#
    );
    constraint.deferred = false;
    let index = Index {
        keys: vec![1],
        key_count: 1,
        column_count: 1,
        ..Index::default()
    };
    let sql = key_constraint_body(&index, &constraint, &table(), Quoter::default(), true);
    assert_eq!(sql, "UNIQUE (id) DEFERRABLE");
}

#[test]
fn periods_and_quote_all_identifiers() {
    let index = Index {
        keys: vec![1, 3],
        key_count: 2,
        column_count: 2,
        ..Index::default()
    };
    let mut constraint = key(b'p');
    constraint.period = true;
    let quote_all = Quoter { quote_all: true };
    let sql = key_constraint_body(&index, &constraint, &table(), quote_all, true);
    assert_eq!(sql, r#"PRIMARY KEY ("id", "during" WITHOUT OVERLAPS)"#);
}

#[test]
fn reloptions_are_quoted_like_pg_dump() {
    assert_eq!(
        reloptions(
            &["fillfactor=70".to_owned(), "odd name=it's".to_owned()],
            Quoter::default(),
            true
        ),
        vec![
            "fillfactor='70'".to_owned(),
            r#""odd name"='it''s'"#.to_owned()
        ]
    );
    assert_eq!(
        reloptions(
            &["fillfactor=70".to_owned()],
            Quoter { quote_all: true },
            true
        ),
        vec![r#""fillfactor"='70'"#.to_owned()]
    );
}

#[test]
fn enabled_states() {
    assert_eq!(enable_keyword(b'O'), "ENABLE");
    assert_eq!(enable_keyword(b't'), "ENABLE");
    assert_eq!(enable_keyword(b'D'), "DISABLE");
    assert_eq!(enable_keyword(b'f'), "DISABLE");
    assert_eq!(enable_keyword(b'A'), "ENABLE ALWAYS");
    assert_eq!(enable_keyword(b'R'), "ENABLE REPLICA");
}

fn object(id: u32, kind: ObjKind, deps: &[u32]) -> DumpObject {
    DumpObject {
        id: DumpId(id),
        kind,
        catalog_id: CatalogId::new(0, id),
        name: format!("o{id}"),
        schema: Some("s".to_owned()),
        namespace_oid: 1,
        tiebreak: Vec::new(),
        dump: Components::ALL,
        source: Source::Index(0),
        deps: deps.iter().map(|&d| DumpId(d)).collect(),
        separate: false,
        postponed: false,
        postponable: false,
        owner_table: None,
    }
}

#[test]
fn partition_index_loops_drop_the_partition_index_edge() {
    // 1: partitioned index, 2: a partition's index, 3: the INDEX ATTACH (partition index first).
    let mut objects = vec![
        object(1, ObjKind::Index, &[2]),
        object(2, ObjKind::Index, &[1]),
        object(3, ObjKind::IndexAttach, &[2, 1]),
    ];
    assert_eq!(repair_loop(&mut objects, &[DumpId(1), DumpId(2)]), Some(()));
    assert_eq!(objects[0].deps, vec![DumpId(2)]);
    assert!(objects[1].deps.is_empty());

    // Two indexes that are not parent and partition: not this group's loop.
    let mut objects = vec![
        object(1, ObjKind::Index, &[2]),
        object(2, ObjKind::Index, &[1]),
    ];
    assert_eq!(repair_loop(&mut objects, &[DumpId(2), DumpId(1)]), None);
    // Other kinds, or longer loops: not this group's either.
    let mut objects = vec![
        object(1, ObjKind::Table, &[2]),
        object(2, ObjKind::Index, &[1]),
    ];
    assert_eq!(repair_loop(&mut objects, &[DumpId(1), DumpId(2)]), None);
    assert_eq!(repair_loop(&mut objects, &[DumpId(1)]), None);
}
