//! Tests of the splitter: each construct psql's lexer knows, and the same events whatever pieces the input
//! comes in.

use bytes::Bytes;

use super::meta::{ConnectArgs, MetaCommand};
use super::split::{parse_set_for_tests, split_all, Event, SplitErrorKind, Splitter, Statement};

/// The events of `input` pushed in the pieces `cuts` marks (offsets, increasing), or the error.
fn split_in_pieces(
    input: &[u8],
    cuts: &[usize],
    chunk: Option<usize>,
) -> Result<Vec<Event>, String> {
    let mut splitter = Splitter::new();
    if let Some(chunk) = chunk {
        splitter.set_copy_chunk_size(chunk);
    }
    let mut events = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        splitter.push(&input[from..cut]);
        from = cut;
        loop {
            match splitter.next_event() {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => return Err(format!("{events:?} then {e}")),
            }
        }
    }
    splitter.finish();
    loop {
        match splitter.next_event() {
            Ok(Some(event)) => events.push(event),
            Ok(None) => break,
            Err(e) => return Err(format!("{events:?} then {e}")),
        }
    }
    assert!(splitter.is_done());
    Ok(events)
}

/// The events of `input`, after checking that every split in two pieces, and byte by byte, gives the same.
fn events_checked(input: &[u8], chunk: Option<usize>) -> Result<Vec<Event>, String> {
    let whole = split_in_pieces(input, &[], chunk);
    for cut in 0..=input.len() {
        assert_eq!(
            split_in_pieces(input, &[cut], chunk),
            whole,
            "cut at {cut} of {:?}",
            String::from_utf8_lossy(input)
        );
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        split_in_pieces(input, &every, chunk),
        whole,
        "byte by byte: {:?}",
        String::from_utf8_lossy(input)
    );
    whole
}

fn events(input: &str) -> Vec<Event> {
    events_checked(input.as_bytes(), None).unwrap()
}

/// The statements' texts.
fn texts(input: &str) -> Vec<String> {
    events(input)
        .into_iter()
        .filter_map(|e| match e {
            Event::Statement(s) => Some(s.text),
            _ => None,
        })
        .collect()
}

fn stmt(text: &str, line: u64) -> Event {
    Event::Statement(Statement {
        text: text.to_owned(),
        line,
        copy_from_stdin: false,
    })
}

fn copy_stmt(text: &str, line: u64) -> Event {
    Event::Statement(Statement {
        text: text.to_owned(),
        line,
        copy_from_stdin: true,
    })
}

fn data(text: &str) -> Event {
    Event::CopyData(Bytes::copy_from_slice(text.as_bytes()))
}

fn meta(line: u64, command: MetaCommand) -> Event {
    Event::Meta { line, command }
}

#[test]
fn statements_and_lines() {
    assert_eq!(
        events("SELECT 1;\n\n-- a comment; with a semicolon\n  SELECT\n  2 ; SELECT 3;\n"),
        vec![
            stmt("SELECT 1;", 1),
            stmt("SELECT\n  2 ;", 4),
            stmt("SELECT 3;", 5)
        ]
    );
    // Empty statements and comments alone are not reported.
    assert_eq!(events(";;\n-- only a comment\n/* and */ ;"), vec![]);
    assert_eq!(events(""), vec![]);
    assert_eq!(events("-- at the end"), vec![]);
}

#[test]
fn last_statement_without_semicolon() {
    assert_eq!(
        events("SELECT 1;\nSELECT 2 -- the end\n\n"),
        vec![stmt("SELECT 1;", 1), stmt("SELECT 2 -- the end", 2)]
    );
    assert_eq!(
        events("SELECT 'unterminated;\n"),
        vec![stmt("SELECT 'unterminated;", 1)]
    );
}

#[test]
fn single_quotes() {
    assert_eq!(
        texts("SELECT 'a;b', 'it''s; here';SELECT ';'\n';\n"),
        vec!["SELECT 'a;b', 'it''s; here';", "SELECT ';'\n';"]
    );
    // Backslashes are plain in standard strings.
    assert_eq!(
        texts(r"SELECT 'a\'; SELECT 2;"),
        vec![r"SELECT 'a\';", "SELECT 2;"]
    );
}

#[test]
fn escape_strings() {
    assert_eq!(
        texts(r"SELECT E'a\';b', e'\\'; SELECT 2;"),
        vec![r"SELECT E'a\';b', e'\\';", "SELECT 2;"]
    );
    // Not an E string: the e ends a word.
    assert_eq!(
        texts(r"SELECT some'\'; SELECT 2;"),
        vec![r"SELECT some'\';", "SELECT 2;"]
    );
    // Bit and hex strings have no escapes; N'' is an ordinary string; U&'' has no backslash escapes.
    assert_eq!(
        texts(r"SELECT B'1\', X'f\', N'a''b;', U&'d\0061t;a'; SELECT 2;"),
        vec![
            r"SELECT B'1\', X'f\', N'a''b;', U&'d\0061t;a';",
            "SELECT 2;"
        ]
    );
}

#[test]
fn standard_conforming_strings_off() {
    let script = "SET standard_conforming_strings = off;\nSELECT 'a\\';b';\n\
                  SET standard_conforming_strings TO 'on';\nSELECT 'c\\';\n";
    assert_eq!(
        texts(script),
        vec![
            "SET standard_conforming_strings = off;",
            "SELECT 'a\\';b';",
            "SET standard_conforming_strings TO 'on';",
            "SELECT 'c\\';",
        ]
    );
    let mut splitter = Splitter::new();
    splitter.push(b"SET SESSION standard_conforming_strings = false;");
    splitter.finish();
    while splitter.next_event().unwrap().is_some() {}
    assert!(!splitter.standard_conforming_strings());
}

#[test]
fn string_continuation() {
    // psql lexes line by line: a quote on the next line starts a new string (here a standard one, whose
    // backslash is plain), even where the server would go on with the E string.
    assert_eq!(
        texts("SELECT E'a'\n  -- comment\n 'b\\';c'; SELECT 2;"),
        vec!["SELECT E'a'\n  -- comment\n 'b\\';", "c'; SELECT 2;"]
    );
    assert_eq!(
        texts("SELECT E'a'\r\n'b\\';c'; SELECT 2;"),
        vec!["SELECT E'a'\r\n'b\\';", "c'; SELECT 2;"]
    );
    // A carriage return inside a line is a newline to psql's lexer: the E string goes on.
    assert_eq!(
        texts("SELECT E'a' \r 'b\\';c'; SELECT 2;"),
        vec!["SELECT E'a' \r 'b\\';c';", "SELECT 2;"]
    );
    // Without a newline, the next quote starts a new (standard) string.
    assert_eq!(
        texts("SELECT E'a' 'b\\'; SELECT 2;"),
        vec!["SELECT E'a' 'b\\';", "SELECT 2;"]
    );
}

#[test]
fn quoted_identifiers() {
    assert_eq!(
        texts("CREATE TABLE \"a;b\"\"c\" (\"x'\" int); SELECT U&\"d;\";"),
        vec![
            "CREATE TABLE \"a;b\"\"c\" (\"x'\" int);",
            "SELECT U&\"d;\";"
        ]
    );
}

#[test]
fn dollar_quotes() {
    assert_eq!(
        texts("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;"),
        vec![
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
            "SELECT 2;"
        ]
    );
    assert_eq!(
        texts("DO $fn$ BEGIN PERFORM $$;$$; PERFORM '$fn'; END $fn$; SELECT 2;"),
        vec![
            "DO $fn$ BEGIN PERFORM $$;$$; PERFORM '$fn'; END $fn$;",
            "SELECT 2;"
        ]
    );
    // $1 is a parameter, a$b$ an identifier: neither starts a dollar quote.
    assert_eq!(
        texts("PREPARE p AS SELECT $1; SELECT a$b$; SELECT $2$x$ ;$x$;"),
        vec![
            "PREPARE p AS SELECT $1;",
            "SELECT a$b$;",
            "SELECT $2$x$ ;$x$;"
        ]
    );
    // A tag that is not closed on the spot: `$a` and then text.
    assert_eq!(
        texts("SELECT $a ; SELECT $_b1$;$_b1$;"),
        vec!["SELECT $a ;", "SELECT $_b1$;$_b1$;"]
    );
    // Another tag inside does not end it.
    assert_eq!(
        texts("SELECT $a$ $b$; $a$; SELECT 1;"),
        vec!["SELECT $a$ $b$; $a$;", "SELECT 1;"]
    );
}

#[test]
fn comments() {
    assert_eq!(
        texts("SELECT 1 -- ; not the end\n, 2; /* a; /* nested; */ still; */ SELECT 3;"),
        vec![
            "SELECT 1 -- ; not the end\n, 2;",
            "/* a; /* nested; */ still; */ SELECT 3;"
        ]
    );
    // -- and /* inside operators start comments.
    assert_eq!(texts("SELECT 1 +-- x;\n2;"), vec!["SELECT 1 +-- x;\n2;"]);
    assert_eq!(
        texts("SELECT 2 */* x; */ 3;"),
        vec!["SELECT 2 */* x; */ 3;"]
    );
    // An unterminated comment is sent (the server reports it).
    assert_eq!(texts("/* open ;"), vec!["/* open ;"]);
}

#[test]
fn parentheses() {
    assert_eq!(
        texts("SELECT (1; 2); SELECT ((3)); SELECT 4)); SELECT 5;"),
        vec![
            "SELECT (1; 2);",
            "SELECT ((3));",
            "SELECT 4));",
            "SELECT 5;"
        ]
    );
}

#[test]
fn sql_standard_function_bodies() {
    let script = "CREATE FUNCTION s.f(x int) RETURNS int LANGUAGE sql\n BEGIN ATOMIC\n SELECT x; \
                  SELECT CASE WHEN x > 0 THEN 1 END;\nEND;\n\
                  CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n\
                  create procedure q(\"begin\" int) language sql begin atomic select 1; end;\n\
                  CREATE TABLE t (a int); BEGIN; SELECT 1; END;";
    assert_eq!(
        texts(script),
        vec![
            "CREATE FUNCTION s.f(x int) RETURNS int LANGUAGE sql\n BEGIN ATOMIC\n SELECT x; \
             SELECT CASE WHEN x > 0 THEN 1 END;\nEND;",
            "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
            "create procedure q(\"begin\" int) language sql begin atomic select 1; end;",
            "CREATE TABLE t (a int);",
            "BEGIN;",
            "SELECT 1;",
            "END;",
        ]
    );
}

#[test]
fn crlf_and_bom() {
    assert_eq!(
        events("\u{feff}SELECT 1;\r\nCOPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT\r\n 2;\r\n"),
        vec![
            stmt("SELECT 1;", 1),
            copy_stmt("COPY t FROM stdin;", 2),
            data("1\r\n"),
            Event::CopyEnd,
            stmt("SELECT\r\n 2;", 5),
        ]
    );
    assert_eq!(
        events("\u{feff}\\connect db\r\n"),
        vec![meta(
            1,
            MetaCommand::Connect(ConnectArgs {
                command: "connect".into(),
                reuse_previous: None,
                dbname: Some("db".into()),
                user: None,
                host: None,
                port: None,
            })
        )]
    );
}

#[test]
fn copy_data() {
    let script =
        "COPY public.t (a, \"from\") FROM stdin;\n1\tx;y\n\\N\ta\\.b\n\\.x\n\\.\nSELECT 2;\n";
    assert_eq!(
        events(script),
        vec![
            copy_stmt("COPY public.t (a, \"from\") FROM stdin;", 1),
            data("1\tx;y\n\\N\ta\\.b\n\\.x\n"),
            Event::CopyEnd,
            stmt("SELECT 2;", 6),
        ]
    );
    // The end of the script ends the data, with or without `\.`.
    assert_eq!(
        events("copy t from STDIN with (format text);\n1\n2"),
        vec![
            copy_stmt("copy t from STDIN with (format text);", 1),
            data("1\n2"),
            Event::CopyEnd
        ]
    );
    assert_eq!(
        events("COPY t FROM stdin;\n1\n\\."),
        vec![
            copy_stmt("COPY t FROM stdin;", 1),
            data("1\n"),
            Event::CopyEnd
        ]
    );
    assert_eq!(
        events("COPY t FROM stdin"),
        vec![copy_stmt("COPY t FROM stdin", 1), Event::CopyEnd]
    );
    assert_eq!(
        events("COPY t FROM stdin;\n\\.\n"),
        vec![copy_stmt("COPY t FROM stdin;", 1), Event::CopyEnd]
    );
    // Not COPY FROM stdin.
    for text in [
        "COPY t TO stdout;",
        "COPY (SELECT 1 FROM stdin) TO stdout;",
        "SELECT 'COPY t FROM stdin';",
        "COPY t FROM '/tmp/stdin';",
        "COPY \"from\" FROM \"stdin\";",
    ] {
        assert_eq!(events(text), vec![stmt(text, 1)], "{text}");
    }
}

#[test]
fn copy_line_rest_runs_after_the_data() {
    assert_eq!(
        events("COPY t FROM stdin; SELECT 1;\na\n\\.\nSELECT 2;\n"),
        vec![
            copy_stmt("COPY t FROM stdin;", 1),
            data("a\n"),
            Event::CopyEnd,
            stmt("SELECT 1;", 1),
            stmt("SELECT 2;", 4),
        ]
    );
    assert_eq!(
        events("COPY a FROM stdin; COPY b FROM stdin;\n1\n\\.\n2\n\\.\nSELECT 3;"),
        vec![
            copy_stmt("COPY a FROM stdin;", 1),
            data("1\n"),
            Event::CopyEnd,
            copy_stmt("COPY b FROM stdin;", 1),
            data("2\n"),
            Event::CopyEnd,
            stmt("SELECT 3;", 6),
        ]
    );
}

#[test]
fn copy_chunks_do_not_depend_on_the_pieces() {
    let script = b"COPY t FROM stdin;\nabcdefg\nhij\n\\.\nSELECT 1;";
    let events = events_checked(script, Some(4)).unwrap();
    assert_eq!(
        events,
        vec![
            copy_stmt("COPY t FROM stdin;", 1),
            data("abcd"),
            data("efg\n"),
            data("hij\n"),
            Event::CopyEnd,
            stmt("SELECT 1;", 5),
        ]
    );
    // Chunks never split a UTF-8 character.
    let script = "COPY t FROM stdin;\nébé\n\\.\n".as_bytes();
    let events = events_checked(script, Some(1)).unwrap();
    let joined: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::CopyData(d) => {
                assert!(std::str::from_utf8(d).is_ok());
                Some(d.to_vec())
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(joined, "ébé\n".as_bytes());
}

#[test]
fn meta_commands() {
    let script =
        "\\connect foo\n\\c \"Odd \"\"Db\"\"\" - \n\\connect -reuse-previous=on \"dbname='a b'\"\n\
                  \\restrict Ab12\n\\unrestrict Ab12\n\\set ON_ERROR_STOP on\n\\set X 'a b' c\n\
                  \\! ls -l\n\\encoding UTF8\n\\set\n";
    let connect = |dbname: &str, user: Option<&str>, reuse: Option<bool>| {
        MetaCommand::Connect(ConnectArgs {
            command: if user.is_some() { "c" } else { "connect" }.into(),
            reuse_previous: reuse,
            dbname: Some(dbname.into()),
            user: user.map(Into::into),
            host: None,
            port: None,
        })
    };
    let mut odd = connect("Odd \"Db\"", Some("x"), None);
    if let MetaCommand::Connect(args) = &mut odd {
        args.user = None;
    }
    assert_eq!(
        events(script),
        vec![
            meta(1, connect("foo", None, None)),
            meta(2, odd),
            meta(3, connect("dbname='a b'", None, Some(true))),
            meta(
                4,
                MetaCommand::Restrict {
                    key: Some("Ab12".into())
                }
            ),
            meta(
                5,
                MetaCommand::Unrestrict {
                    key: Some("Ab12".into())
                }
            ),
            meta(
                6,
                MetaCommand::Set {
                    name: Some("ON_ERROR_STOP".into()),
                    value: "on".into()
                }
            ),
            meta(
                7,
                MetaCommand::Set {
                    name: Some("X".into()),
                    value: "a bc".into()
                }
            ),
            meta(8, MetaCommand::Other { name: "!".into() }),
            meta(
                9,
                MetaCommand::Encoding {
                    name: Some("UTF8".into())
                }
            ),
            meta(
                10,
                MetaCommand::Set {
                    name: None,
                    value: String::new()
                }
            ),
        ]
    );
}

#[test]
fn meta_commands_within_lines_and_statements() {
    assert_eq!(
        events("SELECT\n\\set A 1 \\\\ 1;\nSELECT 2 \\; SELECT 3;\n\\set B 2 \\unrestrict k\nSELECT '\\x';"),
        vec![
            meta(
                2,
                MetaCommand::Set {
                    name: Some("A".into()),
                    value: "1".into()
                }
            ),
            stmt("SELECT\n 1;", 1),
            stmt("SELECT 2 ; SELECT 3;", 3),
            meta(
                4,
                MetaCommand::Set {
                    name: Some("B".into()),
                    value: "2".into()
                }
            ),
            meta(
                4,
                MetaCommand::Unrestrict {
                    key: Some("k".into())
                }
            ),
            stmt("SELECT '\\x';", 5),
        ]
    );
    // After `\;` the next statement is looked at on its own: a COPY FROM stdin is seen (its data skipped).
    assert_eq!(
        events("SELECT 1 \\; COPY t FROM stdin;\n1\n\\.\n"),
        vec![
            copy_stmt("SELECT 1 ; COPY t FROM stdin;", 1),
            data("1\n"),
            Event::CopyEnd
        ]
    );
    assert!(split_all(b"SELECT 1 \\; SET client_encoding = 'LATIN1';").is_err());
    // Unterminated quotes and backquotes make a known command invalid.
    let invalid = events("\\connect 'db\n\\set X `ls`\n");
    assert!(
        matches!(&invalid[0], Event::Meta { command: MetaCommand::Invalid { name, .. }, .. } if name == "connect")
    );
    assert!(
        matches!(&invalid[1], Event::Meta { command: MetaCommand::Invalid { name, .. }, .. } if name == "set")
    );
    // Quoted arguments: escapes in single quotes, semicolons stripped when unquoted.
    assert_eq!(
        events("\\c 'it''s\\tdb'; bob;\n"),
        vec![meta(
            1,
            MetaCommand::Connect(ConnectArgs {
                command: "c".into(),
                reuse_previous: None,
                dbname: Some("it's\tdb".into()),
                user: Some("bob".into()),
                host: None,
                port: None,
            })
        )]
    );
}

#[test]
fn pg_dump_connect_lines() {
    for name in ["plain", "odd 'name' \\ \"x\"", "é"] {
        let line = pgferry_archive::quote::psql_connect(name);
        let events = events(&line);
        let Some(Event::Meta {
            command: MetaCommand::Connect(args),
            ..
        }) = events.last()
        else {
            panic!("{events:?}");
        };
        let dbname = args.dbname.as_deref().unwrap();
        let name_read = if dbname.contains('=') {
            assert_eq!(args.reuse_previous, Some(true));
            let pairs = super::meta::parse_conninfo(dbname).unwrap();
            assert_eq!(pairs.len(), 1, "{pairs:?}");
            pairs[0].1.clone()
        } else {
            dbname.to_owned()
        };
        assert_eq!(name_read, name, "{line}");
    }
}

#[test]
fn client_encodings() {
    let mut script =
        b"SET client_encoding = 'LATIN1';\nSELECT 'caf\xe9';\nCOPY t FROM stdin;\ncaf\xe9\n\\.\n"
            .to_vec();
    script.extend_from_slice(b"SET NAMES 'UTF8';\nSELECT '\xc3\xa9';\n");
    assert_eq!(
        events_checked(&script, None).unwrap(),
        vec![
            Event::ClientEncoding {
                line: 1,
                name: "LATIN1"
            },
            stmt("SELECT 'café';", 2),
            copy_stmt("COPY t FROM stdin;", 3),
            data("café\n"),
            Event::CopyEnd,
            Event::ClientEncoding {
                line: 6,
                name: "UTF8"
            },
            stmt("SELECT 'é';", 7),
        ]
    );
    // The switch is exact, even on one line.
    let script =
        b"set client_encoding to latin1; SELECT '\xe9'; RESET client_encoding; SELECT '\xc3\xa9';";
    assert_eq!(
        events_checked(script, None).unwrap(),
        vec![
            Event::ClientEncoding {
                line: 1,
                name: "LATIN1"
            },
            stmt("SELECT 'é';", 1),
            Event::ClientEncoding {
                line: 1,
                name: "UTF8"
            },
            stmt("SELECT 'é';", 1),
        ]
    );
}

#[test]
fn second_bytes_that_look_like_backslashes() {
    // 表 in Shift JIS is 0x95 0x5C: its second byte is a backslash, which must not escape the quote.
    let mut script =
        b"SET client_encoding = 'SJIS';\nSET standard_conforming_strings = off;\n".to_vec();
    script.extend_from_slice(
        b"SELECT '\x95\x5c'; SELECT E'\x95\x5c'; SELECT \x95\x5c\x95\x5c;\n\\set X '\x95\x5c'\n",
    );
    let events = events_checked(&script, None).unwrap();
    assert_eq!(
        &events[2..],
        &[
            stmt("SELECT '表';", 3),
            stmt("SELECT E'表';", 3),
            stmt("SELECT 表表;", 3),
            meta(
                4,
                MetaCommand::Set {
                    name: Some("X".into()),
                    value: "表".into()
                }
            ),
        ]
    );
    // GB18030's four-byte characters have digits as second bytes.
    let script = b"SET client_encoding = 'GB18030';\nSELECT $\x81\x30\x81\x30$;$\x81\x30\x81\x30$;";
    let events = events_checked(script, None).unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
}

#[test]
fn encoding_errors() {
    let error = |script: &[u8]| {
        let whole = split_all(script).unwrap_err();
        for cut in 0..=script.len() {
            let pieces = split_in_pieces(script, &[cut], None).unwrap_err();
            assert!(pieces.ends_with(&whole.to_string()), "{pieces} vs {whole}");
        }
        whole
    };
    let e = error(b"SELECT 1;\nSELECT '\xe9';");
    assert_eq!(e.line, 2);
    assert_eq!(e.kind, SplitErrorKind::InvalidBytes { encoding: "UTF8" });
    let e = error(b"SET client_encoding = 'SQL_ASCII';\nSELECT '\xe9';");
    assert!(e.to_string().contains("SQL_ASCII"), "{e}");
    let e = error(b"SET client_encoding = 'SQL_ASCII';\nCOPY t FROM stdin;\nok\n\xe9\n\\.\n");
    assert_eq!(e.line, 4);
    let e = error(b"SET client_encoding = 'KLINGON';");
    assert_eq!(
        e.kind,
        SplitErrorKind::UnknownEncoding {
            name: "KLINGON".into()
        }
    );
    let e = error(b"\\encoding MULE_INTERNAL\n");
    assert_eq!(
        e.kind,
        SplitErrorKind::UnsupportedEncoding {
            name: "MULE_INTERNAL"
        }
    );
    let e = error(b"SET client_encoding = 'LATIN1', 'UTF8';");
    assert!(matches!(e.kind, SplitErrorKind::EncodingStatement { .. }));
    // SQL_ASCII text that is UTF-8 passes.
    let ok = split_all("SET client_encoding = 'SQL_ASCII';\nSELECT 'é';".as_bytes()).unwrap();
    assert_eq!(ok[1], stmt("SELECT 'é';", 2));
}

#[test]
fn set_statements() {
    for (text, expected) in [
        (
            "SET client_encoding = 'LATIN1';",
            "ClientEncoding(Some(\"LATIN1\"))",
        ),
        (
            "set client_encoding to win1252",
            "ClientEncoding(Some(\"win1252\"))",
        ),
        (
            "SET SESSION client_encoding TO DEFAULT;",
            "ClientEncoding(None)",
        ),
        (
            "SET LOCAL client_encoding = 'UTF8';",
            "ClientEncoding(Some(\"UTF8\"))",
        ),
        ("SET NAMES 'SJIS';", "ClientEncoding(Some(\"SJIS\"))"),
        ("SET NAMES;", "ClientEncoding(None)"),
        ("RESET client_encoding;", "ClientEncoding(None)"),
        ("RESET ALL;", "StandardConformingStrings(true)"),
        (
            "SET standard_conforming_strings = off;",
            "StandardConformingStrings(false)",
        ),
        (
            "SET standard_conforming_strings TO 'ON';",
            "StandardConformingStrings(true)",
        ),
        ("SET standard_conforming_strings = maybe;", "Other"),
        ("SET search_path = names, public;", "Other"),
        ("SET statement_timeout = 0;", "Other"),
        (
            "SET client_encoding = 'LATIN1' 'UTF8';",
            "BadClientEncoding",
        ),
    ] {
        assert_eq!(parse_set_for_tests(text), expected, "{text}");
    }
}

/// Every fixture, whole and byte by byte (and in a few other pieces).
#[test]
fn fixtures_whole_and_byte_by_byte() {
    let dir = pgferry_testkit::fixtures_dir().join("sql");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let whole = split_in_pieces(&bytes, &[], None).unwrap();
        let every: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(
            split_in_pieces(&bytes, &every, None).unwrap(),
            whole,
            "{file:?}"
        );
        for step in [7, 100, 4093] {
            let cuts: Vec<usize> = (step..bytes.len()).step_by(step).collect();
            assert_eq!(
                split_in_pieces(&bytes, &cuts, None).unwrap(),
                whole,
                "{file:?}"
            );
        }
        // What psql would send: statements that end with a semicolon, none empty.
        let statements: Vec<&Statement> = whole
            .iter()
            .filter_map(|e| match e {
                Event::Statement(s) => Some(s),
                _ => None,
            })
            .collect();
        assert!(statements.len() > 10, "{file:?}");
        for s in &statements {
            assert!(
                s.text.ends_with(';'),
                "{file:?} line {}: {}",
                s.line,
                s.text
            );
            assert!(!s.text.starts_with(char::is_whitespace), "{}", s.text);
        }
        if file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("kitchen-sink")
        {
            assert!(
                whole.iter().all(|e| matches!(e, Event::Statement(_))),
                "{file:?}: {whole:?}"
            );
        }
    }
}

/// A script with every construct, checked at every cut.
#[test]
fn everything_at_every_cut() {
    let script = "\u{feff}-- header\nSET standard_conforming_strings = off;\nSELECT 'a\\';b', E'\\\\';\n\
        SET standard_conforming_strings = on;\n\\restrict K1\nCREATE TABLE \"x;\"\"y\" (a int);\n\
        CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n\
        DO $f$ BEGIN RAISE NOTICE '$$;'; END $f$;\n/* c; /* d; */ */ SELECT $1, a$b;\n\
        COPY t (a) FROM stdin;\r\nx\ty\r\n\\.\r\n\\unrestrict K1\n\\connect -reuse-previous=on \"dbname='d b'\"\n\
        SET client_encoding = 'LATIN1';\nSELECT 'caf\u{e9}' -- no semicolon";
    let events = events(script);
    assert_eq!(events.len(), 15, "{events:?}");
}

/// Arbitrary bytes: no panic, and the same events (or error) whatever the pieces.
#[test]
fn arbitrary_bytes() {
    let alphabet: &[u8] = b"$$''\"\\\\;;--//**()\n\r abE&U.x1\xe9\xc3";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let prefixes: [&[u8]; 4] = [
        b"",
        b"COPY t FROM stdin;\n",
        b"SET client_encoding = 'SJIS';\n",
        b"SET standard_conforming_strings = off;\n",
    ];
    for round in 0..400 {
        let len = (next() % 40) as usize;
        let mut input = prefixes[round % prefixes.len()].to_vec();
        input.extend((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
        let whole = split_in_pieces(&input, &[], Some(3));
        for cut in 0..=input.len() {
            assert_eq!(
                split_in_pieces(&input, &[cut], Some(3)),
                whole,
                "cut at {cut}: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
        let every: Vec<usize> = (1..input.len()).collect();
        assert_eq!(split_in_pieces(&input, &every, Some(3)), whole);
    }
}

#[test]
fn errors_and_options_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<super::RunError>();
    send_sync::<super::SplitError>();
    send_sync::<super::RunOptions>();
    send_sync::<super::Splitter>();
}
