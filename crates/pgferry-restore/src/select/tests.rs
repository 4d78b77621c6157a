//! One test per rule of `_tocEntryRequired`, `SortTocFromFile` and `StrictNamesCheck`, on small TOCs.

use pgferry_archive::format::{ArchiveFormat, ArchiveVersion, Compression};
use pgferry_archive::{ArchiveHeader, CreationTime, DumpId, Section, Toc, TocEntry};

use super::*;

const PRE: Section = Section::PreData;
const DATA: Section = Section::Data;
const POST: Section = Section::PostData;
const NONE: Section = Section::None;

fn entry(
    id: u32,
    kind: &str,
    namespace: Option<&str>,
    tag: &str,
    section: Section,
    defn: &str,
    deps: &[u32],
) -> TocEntry {
    let mut e = TocEntry::new(DumpId(id), kind, tag, section);
    e.namespace = namespace.map(str::to_owned);
    e.defn = (!defn.is_empty()).then(|| defn.to_owned());
    e.dependencies = deps.iter().map(|&d| DumpId(d)).collect();
    e.had_dumper = matches!(kind, "TABLE DATA" | "BLOBS");
    e.owner = Some("postgres".to_owned());
    e
}

/// A TOC with one or more entries of every kind the rules tell apart, in pg_dump's order.
fn sample() -> Toc {
    let entries = vec![
        entry(
            1,
            "ENCODING",
            None,
            "ENCODING",
            PRE,
            "SET client_encoding = 'UTF8';\n",
            &[],
        ),
        entry(
            2,
            "STDSTRINGS",
            None,
            "STDSTRINGS",
            PRE,
            "SET standard_conforming_strings = 'on';\n",
            &[],
        ),
        entry(
            3,
            "SEARCHPATH",
            None,
            "SEARCHPATH",
            PRE,
            "SELECT pg_catalog.set_config('search_path', '', false);\n",
            &[],
        ),
        entry(
            4,
            "DATABASE",
            None,
            "demo",
            PRE,
            "CREATE DATABASE demo;\n",
            &[],
        ),
        entry(
            5,
            "DATABASE PROPERTIES",
            None,
            "demo",
            PRE,
            "ALTER DATABASE demo SET x TO 1;\n",
            &[],
        ),
        entry(
            6,
            "COMMENT",
            None,
            "DATABASE demo",
            NONE,
            "COMMENT ON DATABASE demo IS 'd';\n",
            &[4],
        ),
        entry(
            7,
            "ACL",
            None,
            "DATABASE demo",
            NONE,
            "GRANT ALL ON DATABASE demo TO x;\n",
            &[4],
        ),
        entry(10, "SCHEMA", None, "app", PRE, "CREATE SCHEMA app;\n", &[]),
        entry(
            11,
            "COMMENT",
            None,
            "SCHEMA app",
            NONE,
            "COMMENT ON SCHEMA app IS 'a';\n",
            &[10],
        ),
        entry(
            12,
            "EXTENSION",
            None,
            "hstore",
            PRE,
            "CREATE EXTENSION hstore;\n",
            &[],
        ),
        entry(
            13,
            "FUNCTION",
            Some("app"),
            "f(integer)",
            PRE,
            "CREATE FUNCTION app.f(integer) ...;\n",
            &[10],
        ),
        entry(
            14,
            "ACL",
            Some("app"),
            "FUNCTION f(integer)",
            NONE,
            "GRANT ALL ON FUNCTION app.f(integer) TO x;\n",
            &[13],
        ),
        entry(
            15,
            "AGGREGATE",
            Some("public"),
            "agg(integer)",
            PRE,
            "CREATE AGGREGATE public.agg(integer) ...;\n",
            &[],
        ),
        entry(
            16,
            "PROCEDURE",
            Some("app"),
            "p()",
            PRE,
            "CREATE PROCEDURE app.p() ...;\n",
            &[10],
        ),
        entry(
            20,
            "TABLE",
            Some("app"),
            "t",
            PRE,
            "CREATE TABLE app.t (a int);\n",
            &[10],
        ),
        entry(
            21,
            "COMMENT",
            Some("app"),
            "TABLE t",
            NONE,
            "COMMENT ON TABLE app.t IS 't';\n",
            &[20],
        ),
        entry(
            22,
            "SECURITY LABEL",
            Some("app"),
            "TABLE t",
            NONE,
            "SECURITY LABEL ON TABLE app.t IS 'x';\n",
            &[20],
        ),
        entry(
            23,
            "ACL",
            Some("app"),
            "TABLE t",
            NONE,
            "GRANT SELECT ON TABLE app.t TO x;\n",
            &[20],
        ),
        entry(
            24,
            "ACL",
            Some("app"),
            "COLUMN t.a",
            NONE,
            "GRANT SELECT(a) ON TABLE app.t TO y;\n",
            &[20, 23],
        ),
        entry(
            25,
            "TABLE",
            Some("public"),
            "u",
            PRE,
            "CREATE TABLE public.u (a int);\n",
            &[],
        ),
        entry(
            26,
            "VIEW",
            Some("public"),
            "v",
            PRE,
            "CREATE VIEW public.v AS ...;\n",
            &[25],
        ),
        entry(
            27,
            "MATERIALIZED VIEW",
            Some("public"),
            "mv",
            PRE,
            "CREATE MATERIALIZED VIEW public.mv ...;\n",
            &[25],
        ),
        entry(
            28,
            "FOREIGN TABLE",
            Some("public"),
            "ft",
            PRE,
            "CREATE FOREIGN TABLE public.ft ...;\n",
            &[],
        ),
        entry(
            29,
            "SEQUENCE",
            Some("public"),
            "s",
            PRE,
            "CREATE SEQUENCE public.s;\n",
            &[],
        ),
        entry(
            30,
            "POLICY",
            Some("app"),
            "t pol",
            POST,
            "CREATE POLICY pol ON app.t ...;\n",
            &[20],
        ),
        entry(
            31,
            "ROW SECURITY",
            Some("app"),
            "t",
            POST,
            "ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;\n",
            &[20],
        ),
        entry(
            32,
            "COMMENT",
            Some("app"),
            "POLICY pol ON t",
            NONE,
            "COMMENT ON POLICY pol ON app.t IS 'p';\n",
            &[30],
        ),
        entry(
            33,
            "PUBLICATION",
            None,
            "pub",
            POST,
            "CREATE PUBLICATION pub;\n",
            &[],
        ),
        entry(
            34,
            "COMMENT",
            None,
            "PUBLICATION pub",
            NONE,
            "COMMENT ON PUBLICATION pub IS 'p';\n",
            &[33],
        ),
        entry(
            35,
            "SECURITY LABEL",
            None,
            "PUBLICATION pub",
            NONE,
            "SECURITY LABEL ON PUBLICATION pub IS 'x';\n",
            &[33],
        ),
        entry(
            36,
            "PUBLICATION TABLE",
            Some("app"),
            "pub t",
            POST,
            "ALTER PUBLICATION pub ADD TABLE ONLY app.t;\n",
            &[33, 20],
        ),
        entry(
            37,
            "PUBLICATION TABLES IN SCHEMA",
            Some("app"),
            "pub app",
            POST,
            "ALTER PUBLICATION pub ADD TABLES IN SCHEMA app;\n",
            &[33, 10],
        ),
        entry(
            38,
            "SUBSCRIPTION",
            None,
            "sub",
            POST,
            "CREATE SUBSCRIPTION sub ...;\n",
            &[],
        ),
        entry(
            39,
            "COMMENT",
            None,
            "SUBSCRIPTION sub",
            NONE,
            "COMMENT ON SUBSCRIPTION sub IS 's';\n",
            &[38],
        ),
        entry(
            40,
            "SECURITY LABEL",
            None,
            "SUBSCRIPTION sub",
            NONE,
            "SECURITY LABEL ON SUBSCRIPTION sub IS 'x';\n",
            &[38],
        ),
        entry(
            41,
            "DEFAULT ACL",
            Some("app"),
            "DEFAULT PRIVILEGES FOR TABLES",
            NONE,
            "ALTER DEFAULT PRIVILEGES ...;\n",
            &[10],
        ),
        entry(
            42,
            "ACL",
            None,
            "SCHEMA public",
            NONE,
            "GRANT ALL ON SCHEMA public TO x;\n",
            &[],
        ),
        entry(50, "TABLE DATA", Some("app"), "t", DATA, "", &[20]),
        entry(
            51,
            "TABLE DATA",
            Some("public"),
            "u",
            DATA,
            "-- load via partition root public.root\n",
            &[25],
        ),
        entry(
            52,
            "SEQUENCE SET",
            Some("public"),
            "s",
            DATA,
            "SELECT pg_catalog.setval('public.s', 1, false);\n",
            &[29],
        ),
        entry(
            53,
            "BLOB METADATA",
            None,
            "7",
            DATA,
            "SELECT pg_catalog.lo_create('7');\n",
            &[],
        ),
        entry(
            54,
            "COMMENT",
            None,
            "LARGE OBJECT 7",
            NONE,
            "COMMENT ON LARGE OBJECT 7 IS 'l';\n",
            &[53],
        ),
        entry(
            55,
            "ACL",
            None,
            "LARGE OBJECTS 7..7",
            NONE,
            "GRANT SELECT ON LARGE OBJECT 7 TO x;\n",
            &[53],
        ),
        entry(56, "BLOBS", None, "7", DATA, "", &[53]),
        entry(
            57,
            "STATISTICS DATA",
            Some("app"),
            "t",
            DATA,
            "SELECT * FROM pg_catalog.pg_restore_relation_stats(...);\n",
            &[20],
        ),
        entry(
            58,
            "COMMENT",
            Some("public"),
            "COLUMN u.a",
            NONE,
            "COMMENT ON COLUMN public.u.a IS 'c';\n",
            &[25],
        ),
        entry(
            60,
            "INDEX",
            Some("app"),
            "t_idx",
            POST,
            "CREATE INDEX t_idx ON app.t (a);\n",
            &[20],
        ),
        entry(
            61,
            "CONSTRAINT",
            Some("app"),
            "t t_pkey",
            POST,
            "ALTER TABLE app.t ADD CONSTRAINT t_pkey ...;\n",
            &[20],
        ),
        entry(
            62,
            "TRIGGER",
            Some("app"),
            "t trg",
            POST,
            "CREATE TRIGGER trg ...;\n",
            &[20],
        ),
        entry(
            63,
            "COMMENT",
            Some("app"),
            "TRIGGER trg ON t",
            NONE,
            "COMMENT ON TRIGGER trg ON app.t IS 'g';\n",
            &[62],
        ),
        entry(
            64,
            "TRIGGER",
            Some("public"),
            "t trg",
            POST,
            "CREATE TRIGGER trg ...;\n",
            &[25],
        ),
        entry(
            65,
            "MATERIALIZED VIEW DATA",
            Some("public"),
            "mv",
            POST,
            "REFRESH MATERIALIZED VIEW public.mv;\n",
            &[27],
        ),
        entry(
            66,
            "EVENT TRIGGER",
            None,
            "evt",
            POST,
            "CREATE EVENT TRIGGER evt ...;\n",
            &[],
        ),
        entry(
            67,
            "STATISTICS DATA",
            Some("app"),
            "t_idx",
            POST,
            "SELECT * FROM pg_catalog.pg_restore_relation_stats(...);\n",
            &[60],
        ),
        entry(
            68,
            "SECURITY LABEL",
            Some("app"),
            "TABLE t",
            NONE,
            "",
            &[20],
        ),
        entry(69, "<Init>", None, "Max OID", PRE, "-- max oid\n", &[]),
    ];
    Toc {
        entries,
        ..Default::default()
    }
}

fn options() -> SelectOptions {
    SelectOptions::default()
}

/// The dump ids `select` restores, in order.
fn restored(toc: &Toc, options: &SelectOptions) -> Vec<u32> {
    let selection = select(toc, options).expect("selection");
    selection.restored(toc).map(|(e, _)| e.dump_id.0).collect()
}

fn required(toc: &Toc, options: &SelectOptions, id: u32) -> Required {
    select(toc, options)
        .expect("selection")
        .required(DumpId(id))
}

fn schema() -> Required {
    Required {
        schema: true,
        ..Required::NONE
    }
}

fn data() -> Required {
    Required {
        data: true,
        ..Required::NONE
    }
}

fn stats() -> Required {
    Required {
        stats: true,
        ..Required::NONE
    }
}

/// Everything the default restores: all but the special entries, the database's, the entry without a
/// definition (68) and `<Init>` (69).
fn default_ids() -> Vec<u32> {
    sample()
        .entries
        .iter()
        .map(|e| e.dump_id.0)
        .filter(|id| !(1..=7).contains(id) && ![68, 69].contains(id))
        .collect()
}

#[test]
fn the_default_restores_everything_but_special_and_database_entries() {
    let toc = sample();
    assert_eq!(restored(&toc, &options()), default_ids());
}

#[test]
fn special_entries_are_processed_but_never_restored() {
    let toc = sample();
    let special = Required {
        special: true,
        ..Required::NONE
    };
    for opts in [
        options(),
        SelectOptions {
            schemas: vec!["nothing".into()],
            data_only: true,
            sections: vec![POST],
            ..options()
        },
    ] {
        for id in [1, 2, 3] {
            assert_eq!(required(&toc, &opts, id), special);
        }
        // They stay in the selected TOC, for the script's settings.
        let selected = select(&toc, &opts).unwrap().toc(&toc);
        let ids: Vec<u32> = selected
            .entries
            .iter()
            .take(3)
            .map(|e| e.dump_id.0)
            .collect();
        assert_eq!(ids, [1, 2, 3]);
    }
}

#[test]
fn database_entries_need_create_whatever_else_is_asked() {
    let toc = sample();
    for id in [4, 5, 6, 7] {
        assert_eq!(required(&toc, &options(), id), Required::NONE, "{id}");
    }
    let create = SelectOptions {
        create: true,
        ..options()
    };
    for id in [4, 5, 6, 7] {
        assert_eq!(required(&toc, &create, id), schema(), "{id}");
    }
    // DATABASE itself ignores sections, selections and -a; its comment and ACL follow -C instead of a parent.
    let narrowed = SelectOptions {
        create: true,
        schemas: vec!["app".into()],
        sections: vec![POST],
        data_only: true,
        ..options()
    };
    assert_eq!(required(&toc, &narrowed, 4), schema());
    assert_eq!(required(&toc, &narrowed, 5), schema());
    let selective = SelectOptions {
        create: true,
        schemas: vec!["app".into()],
        ..options()
    };
    assert_eq!(required(&toc, &selective, 6), schema());
    assert_eq!(required(&toc, &selective, 7), schema());
    // But the comment is still a comment (--no-comments) and the ACL an ACL (-x).
    let without = SelectOptions {
        create: true,
        no_comments: true,
        no_privileges: true,
        ..options()
    };
    assert_eq!(required(&toc, &without, 6), Required::NONE);
    assert_eq!(required(&toc, &without, 7), Required::NONE);
}

#[test]
fn no_privileges_drops_acls_and_default_acls() {
    let toc = sample();
    let ids = restored(
        &toc,
        &SelectOptions {
            no_privileges: true,
            ..options()
        },
    );
    let dropped = [14, 23, 24, 41, 42, 55];
    assert_eq!(
        ids,
        default_ids()
            .into_iter()
            .filter(|id| !dropped.contains(id))
            .collect::<Vec<_>>()
    );
}

#[test]
fn no_comments_drops_every_comment() {
    let toc = sample();
    let ids = restored(
        &toc,
        &SelectOptions {
            no_comments: true,
            ..options()
        },
    );
    let dropped = [11, 21, 32, 34, 39, 54, 58, 63];
    assert_eq!(
        ids,
        default_ids()
            .into_iter()
            .filter(|id| !dropped.contains(id))
            .collect::<Vec<_>>()
    );
}

#[test]
fn no_policies_no_publications_no_subscriptions_no_security_labels() {
    let toc = sample();
    let cases: [(SelectOptions, &[u32]); 4] = [
        (
            SelectOptions {
                no_policies: true,
                ..options()
            },
            &[30, 31, 32],
        ),
        (
            SelectOptions {
                no_publications: true,
                ..options()
            },
            &[33, 34, 35, 36, 37],
        ),
        (
            SelectOptions {
                no_subscriptions: true,
                ..options()
            },
            &[38, 39, 40],
        ),
        (
            SelectOptions {
                no_security_labels: true,
                ..options()
            },
            &[22, 35, 40],
        ),
    ];
    for (opts, dropped) in cases {
        let expected: Vec<u32> = default_ids()
            .into_iter()
            .filter(|id| !dropped.contains(id))
            .collect();
        assert_eq!(restored(&toc, &opts), expected, "{opts:?}");
    }
}

#[test]
fn sections_with_entries_without_one_following_the_last_that_had_one() {
    let toc = sample();
    let with = |names: &[&str]| {
        let mut opts = options();
        for name in names {
            opts.add_section(name).unwrap();
        }
        restored(&toc, &opts)
    };
    // Comments and ACLs in the pre-data part of the TOC are pre-data; the large object's comment and ACL and
    // the column comment come after data entries, so they are data; the trigger's comment is post-data. The
    // leading comment-free entries are pre-data from the start.
    let pre: Vec<u32> = vec![
        10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    ];
    let data = vec![50, 51, 52, 53, 54, 55, 56, 57, 58];
    // Entry 30 starts post-data: the comments, ACLs and labels from 32 to 42 follow it.
    let post = vec![
        30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 60, 61, 62, 63, 64, 65, 66, 67,
    ];
    assert_eq!(with(&["pre-data"]), pre);
    assert_eq!(with(&["data"]), data);
    assert_eq!(with(&["post-data"]), post);
    let mut pre_post = pre.clone();
    pre_post.extend(&post);
    pre_post.sort_unstable();
    let mut both = with(&["post-data", "pre-data"]);
    both.sort_unstable();
    assert_eq!(both, pre_post);
    assert_eq!(with(&["pre-data", "data", "post-data"]), default_ids());
    assert_eq!(
        options().add_section("predata"),
        Err(SelectError::UnknownSection("predata".into()))
    );
}

#[test]
fn a_comment_at_the_very_start_is_pre_data() {
    let toc = Toc {
        entries: vec![
            entry(
                1,
                "COMMENT",
                None,
                "EXTENSION x",
                NONE,
                "COMMENT ...;\n",
                &[],
            ),
            entry(2, "TABLE DATA", Some("s"), "t", DATA, "", &[]),
        ],
        ..Default::default()
    };
    let mut opts = options();
    opts.add_section("pre-data").unwrap();
    assert_eq!(restored(&toc, &opts), [1]);
}

#[test]
fn schema_selection_keeps_entries_of_those_schemas_and_their_dependents() {
    let toc = sample();
    let app = SelectOptions {
        schemas: vec!["app".into()],
        ..options()
    };
    // The schema entry itself has no namespace: -n leaves it out, and so its comment (11); the function's ACL
    // and the table's comment, label and ACLs follow their parents; the column ACL depends on the table too.
    assert_eq!(
        restored(&toc, &app),
        [13, 14, 16, 20, 21, 22, 23, 24, 30, 31, 32, 36, 37, 41, 50, 57, 60, 61, 62, 63, 67]
    );
    let public = SelectOptions {
        schemas: vec!["public".into()],
        ..options()
    };
    assert_eq!(
        restored(&toc, &public),
        [15, 25, 26, 27, 28, 29, 51, 52, 58, 64, 65]
    );
    let both = SelectOptions {
        schemas: vec!["public".into(), "app".into()],
        ..options()
    };
    assert_eq!(restored(&toc, &both).len(), 32);
}

#[test]
fn schema_exclusion_keeps_entries_without_a_schema() {
    let toc = sample();
    let opts = SelectOptions {
        exclude_schemas: vec!["app".into()],
        ..options()
    };
    // Entries without a namespace stay; comments and ACLs need a selected parent (42 has none).
    assert_eq!(
        restored(&toc, &opts),
        [
            10, 11, 12, 15, 25, 26, 27, 28, 29, 33, 34, 35, 38, 39, 40, 51, 52, 53, 54, 55, 56, 58,
            64, 65, 66
        ]
    );
    // -n and -N together: -N wins.
    let opts = SelectOptions {
        schemas: vec!["app".into()],
        exclude_schemas: vec!["app".into()],
        ..options()
    };
    assert!(restored(&toc, &opts).is_empty());
}

#[test]
fn table_selection_takes_relations_of_every_kind_and_their_data() {
    let toc = sample();
    let opts = |names: &[&str]| SelectOptions {
        tables: names.iter().map(|n| n.to_string()).collect(),
        ..options()
    };
    // The table, its comment, label, ACLs, data and table statistics; not its index, trigger or policy.
    assert_eq!(restored(&toc, &opts(&["t"])), [20, 21, 22, 23, 24, 50, 57]);
    assert_eq!(restored(&toc, &opts(&["s"])), [29, 52]);
    assert_eq!(restored(&toc, &opts(&["v", "ft"])), [26, 28]);
    assert_eq!(restored(&toc, &opts(&["mv"])), [27, 65]);
    // Data of a table that is loaded via its partition root has no definition to run, but has data.
    assert_eq!(required(&toc, &opts(&["u"]), 51), data());
    // Names match the tag exactly.
    assert!(restored(&toc, &opts(&["app.t"])).is_empty());
    assert!(restored(&toc, &opts(&["T"])).is_empty());
}

#[test]
fn index_function_and_trigger_selection() {
    let toc = sample();
    let indexes = SelectOptions {
        indexes: vec!["t_idx".into()],
        ..options()
    };
    assert_eq!(restored(&toc, &indexes), [60, 67]);
    let functions = SelectOptions {
        functions: vec!["f(integer)".into(), "agg(integer)".into(), "p()".into()],
        ..options()
    };
    assert_eq!(restored(&toc, &functions), [13, 14, 15, 16]);
    let triggers = SelectOptions {
        triggers: vec!["t trg".into()],
        ..options()
    };
    // The tag is "table trigger": both schemas' triggers match, the comment follows its trigger.
    assert_eq!(restored(&toc, &triggers), [62, 63, 64]);
    let combined = SelectOptions {
        triggers: vec!["t trg".into()],
        schemas: vec!["public".into()],
        indexes: vec!["t_idx".into()],
        ..options()
    };
    assert_eq!(restored(&toc, &combined), [64]);
}

#[test]
fn dependents_need_a_parent_selected_before_them() {
    // A comment whose parent comes after it (as a -L list can arrange) is not restored.
    let toc = sample();
    let opts = SelectOptions {
        tables: vec!["t".into()],
        use_list: Some(UseList::parse("21\n20\n23\n24\n")),
        ..options()
    };
    assert_eq!(restored(&toc, &opts), [20, 23, 24]);
    // A dependency on an ACL does not count as a parent.
    let toc = Toc {
        entries: vec![
            entry(
                1,
                "TABLE",
                Some("s"),
                "t",
                PRE,
                "CREATE TABLE s.t ();\n",
                &[],
            ),
            entry(2, "ACL", Some("s"), "TABLE t", NONE, "GRANT ...;\n", &[1]),
            entry(
                3,
                "ACL",
                Some("s"),
                "COLUMN t.a",
                NONE,
                "GRANT ...;\n",
                &[2],
            ),
            entry(
                4,
                "COMMENT",
                Some("s"),
                "TABLE t",
                NONE,
                "COMMENT ...;\n",
                &[99],
            ),
        ],
        ..Default::default()
    };
    let opts = SelectOptions {
        schemas: vec!["s".into()],
        ..options()
    };
    assert_eq!(restored(&toc, &opts), [1, 2]);
    // Without selection options, dependents are restored whatever their parents.
    assert_eq!(restored(&toc, &options()), [1, 2, 3, 4]);
    // With only -N, the rule applies too.
    let opts = SelectOptions {
        exclude_schemas: vec!["other".into()],
        ..options()
    };
    assert_eq!(restored(&toc, &opts), [1, 2]);
}

#[test]
fn parts_of_entries() {
    let toc = sample();
    let both = Required {
        schema: true,
        data: true,
        ..Required::NONE
    };
    let o = options();
    assert_eq!(required(&toc, &o, 20), schema());
    assert_eq!(
        required(&toc, &o, 50),
        data(),
        "TABLE DATA without a definition"
    );
    assert_eq!(required(&toc, &o, 52), data(), "SEQUENCE SET");
    assert_eq!(required(&toc, &o, 53), data(), "BLOB METADATA");
    assert_eq!(required(&toc, &o, 54), data(), "large object comment");
    assert_eq!(required(&toc, &o, 55), data(), "large object ACL");
    assert_eq!(required(&toc, &o, 56), data(), "BLOBS");
    assert_eq!(required(&toc, &o, 57), stats());
    assert_eq!(required(&toc, &o, 68), Required::NONE, "empty definition");
    assert_eq!(required(&toc, &o, 69), Required::NONE, "<Init> Max OID");
    // A data stream and a definition: both parts (pg_dump's old INSERT-mode data had a defn).
    let mut toc2 = sample();
    let last = toc2.entries.len() - 1;
    toc2.entries[last] = entry(
        69,
        "TABLE DATA",
        Some("app"),
        "t",
        DATA,
        "INSERT ...;\n",
        &[20],
    );
    assert_eq!(required(&toc2, &o, 69), both);
}

#[test]
fn data_only_schema_only_and_their_long_forms() {
    let toc = sample();
    let data_ids = vec![50, 51, 52, 53, 54, 55, 56];
    let with_stats = |mut ids: Vec<u32>, stats: &[u32]| {
        ids.extend(stats);
        ids.sort_unstable();
        ids
    };
    let a = SelectOptions {
        data_only: true,
        ..options()
    };
    assert_eq!(restored(&toc, &a), data_ids);
    let no_schema = SelectOptions {
        no_schema: true,
        ..options()
    };
    // --no-schema keeps the statistics, -a does not.
    assert_eq!(
        restored(&toc, &no_schema),
        with_stats(data_ids.clone(), &[57, 67])
    );
    let s = SelectOptions {
        schema_only: true,
        ..options()
    };
    let schema_ids: Vec<u32> = default_ids()
        .into_iter()
        .filter(|id| !data_ids.contains(id) && ![57, 67].contains(id))
        .collect();
    assert_eq!(restored(&toc, &s), schema_ids);
    let no_data = SelectOptions {
        no_data: true,
        ..options()
    };
    assert_eq!(
        restored(&toc, &no_data),
        with_stats(schema_ids.clone(), &[57, 67])
    );
    let stats_only = SelectOptions {
        statistics_only: true,
        ..options()
    };
    assert_eq!(restored(&toc, &stats_only), [57, 67]);
    let no_stats = SelectOptions {
        no_statistics: true,
        ..options()
    };
    assert_eq!(
        restored(&toc, &no_stats),
        default_ids()
            .into_iter()
            .filter(|id| ![57, 67].contains(id))
            .collect::<Vec<_>>()
    );
    // -a keeps the schema of nothing, and the selection knows it.
    let selection = select(&toc, &a).unwrap();
    assert!(!selection.has_schema());
    assert!(select(&toc, &options()).unwrap().has_schema());
}

#[test]
fn conflicting_content_options_are_pg_restores_errors() {
    let toc = sample();
    let cases = [
        (
            SelectOptions {
                data_only: true,
                schema_only: true,
                ..options()
            },
            "options -s/--schema-only and -a/--data-only cannot be used together",
        ),
        (
            SelectOptions {
                schema_only: true,
                statistics_only: true,
                ..options()
            },
            "options -s/--schema-only and --statistics-only cannot be used together",
        ),
        (
            SelectOptions {
                data_only: true,
                statistics_only: true,
                ..options()
            },
            "options -a/--data-only and --statistics-only cannot be used together",
        ),
        (
            SelectOptions {
                data_only: true,
                no_data: true,
                ..options()
            },
            "options -a/--data-only and --no-data cannot be used together",
        ),
        (
            SelectOptions {
                schema_only: true,
                no_schema: true,
                ..options()
            },
            "options -s/--schema-only and --no-schema cannot be used together",
        ),
        (
            SelectOptions {
                statistics_only: true,
                no_statistics: true,
                ..options()
            },
            "options --statistics-only and --no-statistics cannot be used together",
        ),
        (
            SelectOptions {
                statistics: true,
                no_statistics: true,
                ..options()
            },
            "options --statistics and --no-statistics cannot be used together",
        ),
        (
            SelectOptions {
                data_only: true,
                statistics: true,
                ..options()
            },
            "options -a/--data-only and --statistics cannot be used together",
        ),
        (
            SelectOptions {
                schema_only: true,
                statistics: true,
                ..options()
            },
            "options -s/--schema-only and --statistics cannot be used together",
        ),
    ];
    for (opts, message) in cases {
        assert_eq!(select(&toc, &opts).unwrap_err().to_string(), message);
    }
    // --statistics on its own is the default.
    let opts = SelectOptions {
        statistics: true,
        ..options()
    };
    assert_eq!(restored(&toc, &opts), default_ids());
}

#[test]
fn a_use_list_selects_and_orders() {
    let toc = sample();
    let list = "; comment\n60; 1259 1 INDEX app t_idx postgres\n\n  20; TABLE\n;21\n50\n";
    let opts = SelectOptions {
        use_list: Some(UseList::parse(list)),
        ..options()
    };
    let selection = select(&toc, &opts).unwrap();
    let order: Vec<u32> = selection.in_order(&toc).map(|(e, _)| e.dump_id.0).collect();
    // Unlisted entries first, in TOC order, then the listed ones in the list's order.
    let mut expected: Vec<u32> = toc
        .entries
        .iter()
        .map(|e| e.dump_id.0)
        .filter(|id| ![60, 20, 50].contains(id))
        .collect();
    expected.extend([60, 20, 50]);
    assert_eq!(order, expected);
    let ids: Vec<u32> = selection.restored(&toc).map(|(e, _)| e.dump_id.0).collect();
    assert_eq!(ids, [60, 20, 50]);
    assert!(selection.ignored_lines().is_empty());
    // The special entries are still processed.
    assert!(selection.required(DumpId(1)).special);
    let selected = selection.toc(&toc);
    let ids: Vec<u32> = selected.entries.iter().map(|e| e.dump_id.0).collect();
    assert_eq!(ids, [1, 2, 3, 60, 20, 50]);
}

#[test]
fn use_list_lines_pg_restore_ignores() {
    let toc = sample();
    let list = "20\nzero\n0\n-3\n70\n20\n21 again\n";
    let opts = SelectOptions {
        use_list: Some(UseList::parse(list)),
        ..options()
    };
    let selection = select(&toc, &opts).unwrap();
    let ignored: Vec<(usize, String)> = selection
        .ignored_lines()
        .iter()
        .map(|l| (l.line, l.to_string()))
        .collect();
    assert_eq!(
        ignored,
        [
            (2, "line ignored: zero".to_owned()),
            (3, "line ignored: 0".to_owned()),
            (4, "line ignored: -3".to_owned()),
            (5, "line ignored: 70".to_owned()),
            (6, "line ignored: 20".to_owned()),
        ]
    );
    let ids: Vec<u32> = selection.restored(&toc).map(|(e, _)| e.dump_id.0).collect();
    assert_eq!(ids, [20, 21]);
    // An id within range that no entry has is an error.
    let opts = SelectOptions {
        use_list: Some(UseList::parse("20\n8\n")),
        ..options()
    };
    assert_eq!(
        select(&toc, &opts).unwrap_err().to_string(),
        "could not find entry for ID 8"
    );
}

#[test]
fn strict_names_report_the_first_name_never_matched() {
    let toc = sample();
    let strict = |opts: SelectOptions| {
        select(
            &toc,
            &SelectOptions {
                strict_names: true,
                ..opts
            },
        )
        .err()
        .map(|e| e.to_string())
    };
    assert_eq!(
        strict(SelectOptions {
            schemas: vec!["app".into(), "nope".into()],
            tables: vec!["nada".into()],
            ..options()
        }),
        Some("schema \"nope\" not found".into())
    );
    assert_eq!(
        strict(SelectOptions {
            tables: vec!["t".into(), "nada".into()],
            ..options()
        }),
        Some("table \"nada\" not found".into())
    );
    assert_eq!(
        strict(SelectOptions {
            indexes: vec!["i".into()],
            ..options()
        }),
        Some("index \"i\" not found".into())
    );
    assert_eq!(
        strict(SelectOptions {
            functions: vec!["f(int)".into()],
            ..options()
        }),
        Some("function \"f(int)\" not found".into())
    );
    assert_eq!(
        strict(SelectOptions {
            triggers: vec!["trg".into()],
            ..options()
        }),
        Some("trigger \"trg\" not found".into())
    );
    // A table in another schema than -n's is never tested, so not found.
    assert_eq!(
        strict(SelectOptions {
            schemas: vec!["public".into()],
            tables: vec!["t".into()],
            ..options()
        }),
        Some("table \"t\" not found".into())
    );
    // Nor one in a section left out.
    assert_eq!(
        strict(SelectOptions {
            tables: vec!["t".into()],
            sections: vec![POST],
            ..options()
        }),
        Some("table \"t\" not found".into())
    );
    // A name given twice: only the first counts as matched.
    assert_eq!(
        strict(SelectOptions {
            tables: vec!["t".into(), "t".into()],
            ..options()
        }),
        Some("table \"t\" not found".into())
    );
    // -N names are not checked; matched names pass.
    assert_eq!(
        strict(SelectOptions {
            schemas: vec!["app".into()],
            exclude_schemas: vec!["nope".into()],
            tables: vec!["t".into()],
            ..options()
        }),
        None
    );
    // Without --strict-names, the selection still says what was not found.
    let selection = select(
        &toc,
        &SelectOptions {
            tables: vec!["nada".into()],
            ..options()
        },
    )
    .unwrap();
    assert_eq!(
        selection.unmatched(),
        Some(SelectError::NotFound {
            kind: NameKind::Table,
            name: "nada".into()
        })
    );
}

#[test]
fn filters_add_to_the_option_lists() {
    let mut opts = SelectOptions {
        tables: vec!["first".into()],
        ..options()
    };
    opts.add_filter(
        "include table t\ninclude schema app\nexclude schema public\ninclude index i\n\
         include function f(integer)\ninclude trigger t trg\n",
        "filter.txt",
    )
    .unwrap();
    assert_eq!(opts.tables, ["first", "t"]);
    assert_eq!(opts.schemas, ["app"]);
    assert_eq!(opts.exclude_schemas, ["public"]);
    assert_eq!(opts.indexes, ["i"]);
    assert_eq!(opts.functions, ["f(integer)"]);
    assert_eq!(opts.triggers, ["t trg"]);
    // On error nothing is added.
    let before = opts.clone();
    let err = opts
        .add_filter("include table x\nexclude table y\n", "filter.txt")
        .unwrap_err();
    assert_eq!(err.line, 2);
    assert_eq!(opts, before);
}

#[test]
fn the_listing_counts_the_whole_archive() {
    let toc = sample();
    let header = ArchiveHeader {
        version: ArchiveVersion::V1_16,
        int_size: 4,
        off_size: 8,
        format: ArchiveFormat::Custom,
        compression: Compression::NONE,
        created: CreationTime::from_unix_utc(0),
        dbname: Some("demo".into()),
        server_version: None,
        dumper_version: None,
    };
    let opts = SelectOptions {
        create: true,
        tables: vec!["s".into()],
        ..options()
    };
    let selection = select(&toc, &opts).unwrap();
    let mut out = Vec::new();
    selection.write_list(&header, &toc, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!(";     TOC Entries: {}\n", toc.entries.len())),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with(';')).collect();
    assert_eq!(
        lines,
        [
            "4; 0 0 DATABASE - demo postgres",
            "5; 0 0 DATABASE PROPERTIES - demo postgres",
            "6; 0 0 COMMENT - DATABASE demo postgres",
            "7; 0 0 ACL - DATABASE demo postgres",
            "29; 0 0 SEQUENCE public s postgres",
            "52; 0 0 SEQUENCE SET public s postgres",
        ]
    );
}

#[test]
fn statistics_follow_their_schema_and_the_relation_named() {
    // What pg_restore 18.6 does (its tests in tests/select_list.rs): statistics are filtered by their own
    // schema, and under -t/-I by whether a relation they depend on is named, restored or not.
    let toc = Toc {
        entries: vec![
            entry(10, "TABLE", Some("s"), "t", PRE, "CREATE TABLE;\n", &[]),
            entry(11, "VIEW", Some("s"), "t", PRE, "CREATE VIEW;\n", &[]),
            entry(
                12,
                "SEQUENCE",
                Some("s"),
                "t",
                PRE,
                "CREATE SEQUENCE;\n",
                &[],
            ),
            entry(
                13,
                "MATERIALIZED VIEW",
                Some("s"),
                "t",
                PRE,
                "CREATE MATERIALIZED VIEW;\n",
                &[],
            ),
            entry(
                14,
                "FOREIGN TABLE",
                Some("s"),
                "t",
                PRE,
                "CREATE FOREIGN TABLE;\n",
                &[],
            ),
            entry(20, "TABLE DATA", Some("s"), "t", DATA, "", &[10]),
            entry(30, "INDEX", Some("s"), "i", POST, "CREATE INDEX;\n", &[10]),
            entry(
                31,
                "CONSTRAINT",
                Some("s"),
                "t i",
                POST,
                "ALTER TABLE;\n",
                &[10],
            ),
            entry(40, "STATISTICS DATA", Some("s"), "a", POST, "S;\n", &[10]),
            entry(41, "STATISTICS DATA", Some("s"), "b", POST, "S;\n", &[11]),
            entry(42, "STATISTICS DATA", Some("s"), "c", POST, "S;\n", &[12]),
            entry(43, "STATISTICS DATA", Some("s"), "d", POST, "S;\n", &[13]),
            entry(44, "STATISTICS DATA", Some("s"), "e", POST, "S;\n", &[14]),
            entry(45, "STATISTICS DATA", Some("s"), "f", POST, "S;\n", &[20]),
            entry(46, "STATISTICS DATA", Some("s"), "g", POST, "S;\n", &[30]),
            entry(47, "STATISTICS DATA", Some("s"), "h", POST, "S;\n", &[31]),
            entry(
                48,
                "STATISTICS DATA",
                Some("o"),
                "t",
                POST,
                "S;\n",
                &[99, 10],
            ),
            entry(49, "STATISTICS DATA", None, "DATABASE x", POST, "", &[]),
        ],
        ..Default::default()
    };
    let with = |opts: SelectOptions| restored(&toc, &opts);
    // No DATABASE rule, no definition needed: everything is listed by default.
    assert_eq!(
        with(options()),
        [10, 11, 12, 13, 14, 20, 30, 31, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]
    );
    // Tables, views, materialized views and foreign tables named by -t; not sequences, not data entries.
    assert_eq!(
        with(SelectOptions {
            tables: vec!["t".into()],
            ..options()
        }),
        [10, 11, 12, 13, 14, 20, 40, 41, 43, 44, 48]
    );
    // Indexes named by -I; not constraints.
    assert_eq!(
        with(SelectOptions {
            indexes: vec!["i".into()],
            ..options()
        }),
        [30, 46]
    );
    // The relation need not be restored itself: another section, or another schema.
    assert_eq!(
        with(SelectOptions {
            tables: vec!["t".into()],
            sections: vec![POST],
            ..options()
        }),
        [40, 41, 43, 44, 48]
    );
    assert_eq!(
        with(SelectOptions {
            tables: vec!["t".into()],
            schemas: vec!["o".into()],
            strict_names: true,
            ..options()
        }),
        [48],
        "the statistics' own schema counts, and their relation's name is matched"
    );
    // -n and -N by the statistics' own schema.
    assert_eq!(
        with(SelectOptions {
            exclude_schemas: vec!["s".into()],
            ..options()
        }),
        [48, 49]
    );
    // Not selected by -P or -T.
    assert!(with(SelectOptions {
        functions: vec!["t".into()],
        triggers: vec!["t".into()],
        ..options()
    })
    .is_empty());
}
