use super::keywords::KEYWORDS;
use super::*;

#[test]
fn keyword_table_is_sorted_and_complete() {
    assert_eq!(KEYWORDS.len(), 494, "PostgreSQL 18 has 494 keywords");
    assert!(
        KEYWORDS.windows(2).all(|w| w[0].0 < w[1].0),
        "table must be in strict ASCII order"
    );
    assert_eq!(KEYWORDS.first().unwrap().0, "abort");
    assert_eq!(KEYWORDS.last().unwrap().0, "zone");
    for (kw, cat) in KEYWORDS.iter() {
        assert_eq!(keyword_category(kw), Some(*cat), "{kw}");
    }
}

#[test]
fn keyword_categories() {
    use KeywordCategory::*;
    let cases: &[(&str, Option<KeywordCategory>)] = &[
        ("select", Some(Reserved)),
        ("user", Some(Reserved)),
        ("table", Some(Reserved)),
        ("order", Some(Reserved)),
        ("all", Some(Reserved)),
        ("int", Some(ColName)),
        ("integer", Some(ColName)),
        ("varchar", Some(ColName)),
        ("between", Some(ColName)),
        ("json_table", Some(ColName)),
        ("authorization", Some(TypeFuncName)),
        ("left", Some(TypeFuncName)),
        ("join", Some(TypeFuncName)),
        ("name", Some(Unreserved)),
        ("type", Some(Unreserved)),
        ("value", Some(Unreserved)),
        ("action", Some(Unreserved)),
        ("maintain", None), // not a keyword: GRANT MAINTAIN parses it as an identifier
        ("parent", None),
        ("SELECT", None), // the lookup is exact, on the lower-case spellings
        ("", None),
        ("zzzz", None),
        ("a", None),
    ];
    for (word, want) in cases {
        assert_eq!(keyword_category(word), *want, "{word:?}");
    }
}

#[test]
fn ident_quotes_like_fmt_id() {
    let cases: &[(&str, &str)] = &[
        // plain names stay bare
        ("parent", "parent"),
        ("app_reader", "app_reader"),
        ("_x", "_x"),
        ("a1_2", "a1_2"),
        ("s", "s"),
        // reserved keywords
        ("select", "\"select\""),
        ("user", "\"user\""),
        ("table", "\"table\""),
        ("order", "\"order\""),
        ("current_user", "\"current_user\""),
        // col_name keywords
        ("int", "\"int\""),
        ("integer", "\"integer\""),
        ("varchar", "\"varchar\""),
        ("between", "\"between\""),
        ("json", "\"json\""),
        // type_func_name keywords
        ("authorization", "\"authorization\""),
        ("left", "\"left\""),
        ("join", "\"join\""),
        ("current_schema", "\"current_schema\""),
        // unreserved keywords stay bare
        ("name", "name"),
        ("type", "type"),
        ("value", "value"),
        ("action", "action"),
        ("data", "data"),
        // keyword-like names that are not keywords
        ("selects", "selects"),
        ("user1", "user1"),
        ("_select", "_select"),
        // case
        ("Parent", "\"Parent\""),
        ("SELECT", "\"SELECT\""),
        ("pArEnt", "\"pArEnt\""),
        // first character
        ("1a", "\"1a\""),
        ("9", "\"9\""),
        ("$a", "\"$a\""),
        // later characters
        ("a$b", "\"a$b\""),
        ("a b", "\"a b\""),
        ("a-b", "\"a-b\""),
        ("a.b", "\"a.b\""),
        // non-ASCII is never bare
        ("café", "\"café\""),
        ("ñ", "\"ñ\""),
        ("表", "\"表\""),
        // embedded quotes are doubled
        ("we\"ird", "\"we\"\"ird\""),
        ("\"", "\"\"\"\""),
        ("\"\"", "\"\"\"\"\"\""),
        ("a\"", "\"a\"\"\""),
        // other punctuation is kept as-is inside quotes
        ("a'b\\c", "\"a'b\\c\""),
        ("new\nline", "\"new\nline\""),
        // empty string
        ("", "\"\""),
    ];
    for (raw, want) in cases {
        assert_eq!(ident(raw), *want, "ident({raw:?})");
        assert_eq!(
            Quoter::default().ident(raw),
            *want,
            "Quoter::ident({raw:?})"
        );
    }
}

#[test]
fn quote_all_quotes_everything() {
    let q = Quoter { quote_all: true };
    let cases: &[(&str, &str)] = &[
        ("parent", "\"parent\""),
        ("name", "\"name\""),
        ("select", "\"select\""),
        ("Foo", "\"Foo\""),
        ("a\"b", "\"a\"\"b\""),
        ("", "\"\""),
    ];
    for (raw, want) in cases {
        assert_eq!(q.ident(raw), *want, "{raw:?}");
    }
}

#[test]
fn push_ident_appends() {
    let mut buf = String::from("GRANT ON ");
    Quoter::default().push_ident(&mut buf, "user");
    buf.push(' ');
    Quoter::default().push_ident(&mut buf, "bob");
    assert_eq!(buf, "GRANT ON \"user\" bob");
}

#[test]
fn qualified_names() {
    let cases: &[(bool, &str, &str, &str)] = &[
        (false, "s", "parent", "s.parent"),
        (false, "public", "t", "public.t"),
        (false, "My Schema", "user", "\"My Schema\".\"user\""),
        (false, "s", "a.b", "s.\"a.b\""),
        (false, "", "t", "t"),
        (false, "", "T", "\"T\""),
        (true, "s", "parent", "\"s\".\"parent\""),
        (true, "", "t", "\"t\""),
    ];
    for (quote_all, schema, name, want) in cases {
        let q = Quoter {
            quote_all: *quote_all,
        };
        assert_eq!(q.qualified(schema, name), *want, "{schema:?}.{name:?}");
        if !quote_all {
            assert_eq!(qualified(schema, name), *want);
        }
    }
}

#[test]
fn literals() {
    // (value, std_strings, literal, literal_conn); literal_conn ignores std_strings
    let cases: &[(&str, bool, &str, &str)] = &[
        ("", true, "''", "''"),
        ("", false, "''", "''"),
        ("abc", true, "'abc'", "'abc'"),
        ("abc", false, "'abc'", "'abc'"),
        ("it's", true, "'it''s'", "'it''s'"),
        ("it's", false, "'it''s'", "'it''s'"),
        ("''", true, "''''''", "''''''"),
        ("a\\b", true, "'a\\b'", "E'a\\\\b'"),
        ("a\\b", false, "'a\\\\b'", "E'a\\\\b'"),
        ("\\'", true, "'\\'''", "E'\\\\'''"),
        ("\\'", false, "'\\\\'''", "E'\\\\'''"),
        ("\\\\", false, "'\\\\\\\\'", "E'\\\\\\\\'"),
        (
            "standard public schema",
            true,
            "'standard public schema'",
            "'standard public schema'",
        ),
        (
            "café 'ü' \\ 表",
            true,
            "'café ''ü'' \\ 表'",
            "E'café ''ü'' \\\\ 表'",
        ),
        (
            "café 'ü' \\ 表",
            false,
            "'café ''ü'' \\\\ 表'",
            "E'café ''ü'' \\\\ 表'",
        ),
        (
            "line1\nline2\t\"x\"",
            true,
            "'line1\nline2\t\"x\"'",
            "'line1\nline2\t\"x\"'",
        ),
        ("$$", true, "'$$'", "'$$'"),
    ];
    for (value, std, want, want_conn) in cases {
        assert_eq!(literal(value, *std), *want, "literal({value:?}, {std})");
        assert_eq!(literal_conn(value), *want_conn, "literal_conn({value:?})");
    }
}

#[test]
fn push_literal_appends() {
    let mut buf = String::from("COMMENT ON SCHEMA s IS ");
    push_literal(&mut buf, "o'k", true);
    assert_eq!(buf, "COMMENT ON SCHEMA s IS 'o''k'");
}

#[test]
fn dollar_quoting() {
    let cases: &[(&str, &str, &str)] = &[
        ("", "", "$$$$"),
        ("select 1", "", "$$select 1$$"),
        ("select '$'", "", "$_$select '$'$_$"),
        ("begin return 1; end", "", "$$begin return 1; end$$"),
        ("a $$ b", "", "$_$a $$ b$_$"),
        ("x$_y", "", "$_X$x$_y$_X$"),
        ("x$_ $_X", "", "$_XX$x$_ $_X$_XX$"),
        ("$_XXXXXX", "", "$_XXXXXXX$$_XXXXXX$_XXXXXXX$"),
        // after seven X's the cycle starts again with '_'
        ("$_XXXXXXX", "", "$_XXXXXXX_$$_XXXXXXX$_XXXXXXX_$"),
        ("$_XXXXXXX_", "", "$_XXXXXXX_X$$_XXXXXXX_$_XXXXXXX_X$"),
        // a body ending in the candidate without its closing '$' still forces growth
        ("ends with $", "", "$_$ends with $$_$"),
        // prefix hint
        ("select 1", "body", "$body$select 1$body$"),
        ("uses $body here", "body", "$body_$uses $body here$body_$"),
        (
            "$body_ and $body",
            "body",
            "$body_X$$body_ and $body$body_X$",
        ),
        ("no dollar", "q", "$q$no dollar$q$"),
    ];
    for (body, prefix, want) in cases {
        assert_eq!(
            dollar_quote(body, prefix),
            *want,
            "dollar_quote({body:?}, {prefix:?})"
        );
    }
}

#[test]
fn dollar_quote_delimiter_never_occurs_in_body() {
    let mut body = String::new();
    for _ in 0..20 {
        let quoted = dollar_quote(&body, "");
        let delim = &quoted[..(quoted.len() - body.len()) / 2];
        assert!(quoted.ends_with(delim) && quoted[delim.len()..].starts_with(&body[..]));
        assert!(!body.contains(&delim[..delim.len() - 1]), "{quoted}");
        body.push_str(delim);
    }
}

#[test]
fn matches_pg_dump_18_output() {
    // Names, comment and function bodies as pg_dump 18.6 wrote them for an 18 server.
    let names: &[(&str, &str)] = &[
        ("1a", "qs.\"1a\""),
        ("Foo", "qs.\"Foo\""),
        ("a\"b", "qs.\"a\"\"b\""),
        ("between", "qs.\"between\""),
        ("café", "qs.\"café\""),
        ("int", "qs.\"int\""),
        ("left", "qs.\"left\""),
        ("maintain", "qs.maintain"),
        ("name", "qs.name"),
        ("user", "qs.\"user\""),
        ("value", "qs.value"),
    ];
    for (name, want) in names {
        assert_eq!(qualified("qs", name), *want);
    }
    assert_eq!(literal("it's a\\b", true), "'it''s a\\b'");
    assert_eq!(dollar_quote("select 'a$b'", ""), "$_$select 'a$b'$_$");
    assert_eq!(
        dollar_quote("select '$_ $_X'", ""),
        "$_XX$select '$_ $_X'$_XX$"
    );
    assert_eq!(dollar_quote("select 'x'", ""), "$$select 'x'$$");
}
