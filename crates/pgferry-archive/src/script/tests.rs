use super::*;
use crate::quote::Quoter;
use crate::toc::{DumpId, TocHeader};

fn entry(
    id: u32,
    desc: &str,
    namespace: Option<&str>,
    tag: &str,
    defn: &str,
    drop: &str,
) -> TocEntry {
    let mut e = TocEntry::new(DumpId(id), desc, tag, Section::PreData);
    e.namespace = namespace.map(str::to_owned);
    e.defn = Some(defn.to_owned());
    e.drop_stmt = (!drop.is_empty()).then(|| drop.to_owned());
    e.owner = Some("app_owner".to_owned());
    e
}

fn small_toc() -> Toc {
    let mut search_path =
        TocEntry::new(DumpId(1), desc::SEARCHPATH, "SEARCHPATH", Section::PreData);
    search_path.defn = Some("SELECT pg_catalog.set_config('search_path', '', false);\n".to_owned());
    let schema = entry(
        2,
        desc::SCHEMA,
        None,
        "s",
        "CREATE SCHEMA s;\n",
        "DROP SCHEMA s;\n",
    );
    let mut table = entry(
        3,
        desc::TABLE,
        Some("s"),
        "t",
        "CREATE TABLE s.t (\n    a integer\n);\n",
        "DROP TABLE s.t;\n",
    );
    table.tablespace = Some(String::new());
    table.tableam = Some("heap".to_owned());
    table.relkind = b'r';
    let mut acl = entry(
        4,
        desc::ACL,
        Some("s"),
        "TABLE t",
        "GRANT SELECT ON TABLE s.t TO app_reader;\n",
        "",
    );
    acl.section = Section::None;
    let mut refresh = entry(
        5,
        desc::MATERIALIZED_VIEW_DATA,
        Some("s"),
        "mv",
        "REFRESH MATERIALIZED VIEW s.mv;\n",
        "",
    );
    refresh.section = Section::PostData;
    let mut fk = entry(
        6,
        desc::FK_CONSTRAINT,
        Some("s"),
        "t t_fk",
        "ALTER TABLE ONLY s.t\n    ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES s.t(a);\n",
        "ALTER TABLE ONLY s.t DROP CONSTRAINT t_fk;\n",
    );
    fk.section = Section::PostData;
    Toc {
        header: TocHeader {
            dbname: "d".to_owned(),
            server_version: "18.6".to_owned(),
            dumper_version: "18.6".to_owned(),
            encoding: "UTF8".to_owned(),
            std_strings: true,
        },
        entries: vec![search_path, schema, table, acl, refresh, fk],
    }
}

fn render(options: &ScriptOptions) -> String {
    let mut out = Vec::new();
    write_script(&small_toc(), options, &mut NoData, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn renders_like_pg_dump() {
    let text = render(&ScriptOptions::dump_defaults(Some("KEY".to_owned())));
    let expected = "\
--
-- PostgreSQL database dump
--

\\restrict KEY

-- Dumped from database version 18.6
-- Dumped by pg_dump version 18.6

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: s; Type: SCHEMA; Schema: -; Owner: app_owner
--

CREATE SCHEMA s;


ALTER SCHEMA s OWNER TO app_owner;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: t; Type: TABLE; Schema: s; Owner: app_owner
--

CREATE TABLE s.t (
    a integer
);


ALTER TABLE s.t OWNER TO app_owner;

--
-- Name: t t_fk; Type: FK CONSTRAINT; Schema: s; Owner: app_owner
--

ALTER TABLE ONLY s.t
    ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES s.t(a);


--
-- Name: TABLE t; Type: ACL; Schema: s; Owner: app_owner
--

GRANT SELECT ON TABLE s.t TO app_reader;


--
-- Name: mv; Type: MATERIALIZED VIEW DATA; Schema: s; Owner: app_owner
--

REFRESH MATERIALIZED VIEW s.mv;


--
-- PostgreSQL database dump complete
--

\\unrestrict KEY

";
    assert_eq!(text, expected);
}

#[test]
fn clean_with_if_exists_drops_in_reverse_order() {
    let options = ScriptOptions {
        clean: true,
        if_exists: true,
        ..ScriptOptions::dump_defaults(None)
    };
    let text = render(&options);
    let drops: Vec<&str> = text.lines().filter(|l| l.contains("DROP")).collect();
    assert_eq!(
        drops,
        [
            "ALTER TABLE IF EXISTS ONLY s.t DROP CONSTRAINT IF EXISTS t_fk;",
            "DROP TABLE IF EXISTS s.t;",
            "DROP SCHEMA IF EXISTS s;",
        ]
    );
    assert!(!text.contains("\\restrict"));
}

#[test]
fn no_owner_and_schema_only_leave_out_owners_and_data() {
    let options = ScriptOptions {
        no_owner: true,
        data: false,
        ..ScriptOptions::dump_defaults(None)
    };
    let text = render(&options);
    assert!(!text.contains("OWNER TO"), "{text}");
    assert!(
        text.contains("-- Name: t; Type: TABLE; Schema: s; Owner: -"),
        "{text}"
    );
}

#[test]
fn set_session_authorization_replaces_alter_owner() {
    let options = ScriptOptions {
        use_set_session_authorization: true,
        ..ScriptOptions::dump_defaults(None)
    };
    let text = render(&options);
    assert!(
        text.contains("SET SESSION AUTHORIZATION 'app_owner';"),
        "{text}"
    );
    assert!(!text.contains("OWNER TO"), "{text}");
}

#[test]
fn owner_commands_for_routines_reuse_the_drop_statement() {
    let e = entry(
        9,
        desc::FUNCTION,
        Some("s"),
        "add1(x integer)",
        "CREATE FUNCTION ...",
        "DROP FUNCTION s.add1(x integer);\n",
    );
    assert_eq!(
        object_description(&e, Quoter::default()).as_deref(),
        Some("FUNCTION s.add1(x integer)")
    );
    let e = entry(
        9,
        desc::CAST,
        None,
        "CAST (a AS b)",
        "CREATE CAST ...",
        "DROP CAST (a AS b);\n",
    );
    assert_eq!(object_description(&e, Quoter::default()), None);
}

#[test]
fn passes_follow_pg_restore() {
    let mut comment = entry(
        1,
        desc::COMMENT,
        None,
        "EVENT TRIGGER et",
        "COMMENT ...",
        "",
    );
    assert_eq!(restore_pass(&comment), RestorePass::PostAcl);
    comment.tag = "TABLE t".to_owned();
    assert_eq!(restore_pass(&comment), RestorePass::Main);
    assert_eq!(
        restore_pass(&entry(1, desc::DEFAULT_ACL, None, "x", "", "")),
        RestorePass::Acl
    );
}

/// A data source that writes one fixed row for every data entry.
struct OneRow;

impl DataSource for OneRow {
    fn write_data(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "row of {}\n\\.\n\n\n", entry.tag)
    }
}

fn data_toc() -> Toc {
    let mut toc = small_toc();
    let mut data = entry(7, desc::TABLE_DATA, Some("s"), "t", "", "");
    data.defn = None;
    data.section = Section::Data;
    data.had_dumper = true;
    data.copy_stmt = Some("COPY s.t (a) FROM stdin;\n".to_owned());
    data.dependencies = vec![DumpId(3)];
    let mut metadata = entry(
        8,
        desc::BLOB_METADATA,
        None,
        "16400..16401",
        "16400\n16401\n",
        "-- dummy",
    );
    metadata.section = Section::Data;
    let mut acl = entry(
        9,
        desc::ACL,
        None,
        "LARGE OBJECTS 16400..16401",
        "REVOKE ALL ON LARGE OBJECT 16400 FROM \"odd;LARGE OBJECT 1 role\";\n\
         GRANT SELECT ON LARGE OBJECT 16400 TO reader;\n",
        "",
    );
    acl.section = Section::None;
    acl.dependencies = vec![DumpId(8)];
    // Data before the post-data entries, as the plan orders them.
    toc.entries.splice(4..4, [data, metadata, acl]);
    toc
}

#[test]
fn data_entries_print_their_copy_statement_and_rows() {
    let mut out = Vec::new();
    write_script(
        &data_toc(),
        &ScriptOptions::dump_defaults(None),
        &mut OneRow,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(
            "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: app_owner\n--\n\n\
             COPY s.t (a) FROM stdin;\nrow of t\n\\.\n\n\n--\n"
        ),
        "{text}"
    );
    assert!(!text.contains("TRIGGER ALL"), "{text}");
    // One ACL for a group of large objects is repeated for each of them, command by command.
    assert!(
        text.contains(
            "REVOKE ALL ON LARGE OBJECT 16400 FROM \"odd;LARGE OBJECT 1 role\";\n\
             REVOKE ALL ON LARGE OBJECT 16401 FROM \"odd;LARGE OBJECT 1 role\";\n\n\
             GRANT SELECT ON LARGE OBJECT 16400 TO reader;\n\
             GRANT SELECT ON LARGE OBJECT 16401 TO reader;\n\n"
        ),
        "{text}"
    );
}

#[test]
fn disable_triggers_wraps_data_only_tables() {
    let options = ScriptOptions {
        schema: false,
        disable_triggers: true,
        ..ScriptOptions::dump_defaults(None)
    };
    let mut out = Vec::new();
    write_script(&data_toc(), &options, &mut OneRow, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(
            "SET SESSION AUTHORIZATION DEFAULT;\n\n\
             ALTER TABLE s.t DISABLE TRIGGER ALL;\n\n\
             COPY s.t (a) FROM stdin;\nrow of t\n\\.\n\n\n\
             ALTER TABLE s.t ENABLE TRIGGER ALL;\n\n"
        ),
        "{text}"
    );
    assert!(!text.contains("CREATE TABLE"), "{text}");
    // With the schema, triggers are left alone (they are created after the data anyway).
    let options = ScriptOptions {
        disable_triggers: true,
        ..ScriptOptions::dump_defaults(None)
    };
    let mut out = Vec::new();
    write_script(&data_toc(), &options, &mut OneRow, &mut out).unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("TRIGGER ALL"));
}

#[test]
fn disable_triggers_runs_as_the_given_superuser() {
    let options = ScriptOptions {
        schema: false,
        disable_triggers: true,
        superuser: Some("o'admin".to_owned()),
        ..ScriptOptions::dump_defaults(None)
    };
    let mut out = Vec::new();
    write_script(&data_toc(), &options, &mut OneRow, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(
            "SET SESSION AUTHORIZATION 'o''admin';\n\n\
             ALTER TABLE s.t DISABLE TRIGGER ALL;\n\n"
        ),
        "{text}"
    );
    assert!(!text.contains("AUTHORIZATION DEFAULT"), "{text}");
}
