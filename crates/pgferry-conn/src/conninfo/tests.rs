use super::*;

/// The settings `s` parses to, as sorted (keyword, value) pairs.
fn parsed(s: &str) -> Vec<(&'static str, String)> {
    let options = parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"));
    options
        .values
        .iter()
        .map(|(k, (v, _))| (*k, v.clone()))
        .collect()
}

fn pairs(expected: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<_> = expected
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn error(s: &str) -> String {
    match parse(s) {
        Ok(options) => panic!("{s:?} should not parse, got {options:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn key_value_forms() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("", &[]),
        ("   ", &[]),
        ("host=localhost", &[("host", "localhost")]),
        (
            "host = localhost   port =5433",
            &[("host", "localhost"), ("port", "5433")],
        ),
        ("\thost=a\n\nport=1\r\n", &[("host", "a"), ("port", "1")]),
        ("dbname='my db'", &[("dbname", "my db")]),
        ("password='it\\'s'", &[("password", "it's")]),
        ("password='back\\\\slash'", &[("password", "back\\slash")]),
        ("password=''", &[("password", "")]),
        ("host= port=5", &[("host", "port=5")]),
        ("host=''  port=5", &[("host", ""), ("port", "5")]),
        ("options=-c\\ geqo=off", &[("options", "-c geqo=off")]),
        ("password=a\\'b", &[("password", "a'b")]),
        ("password=a'b", &[("password", "a'b")]),
        ("password=trailing\\", &[("password", "trailing")]),
        (
            "application_name='café ☕'",
            &[("application_name", "café ☕")],
        ),
        ("application_name=\\é", &[("application_name", "é")]),
        ("host=a host=b", &[("host", "b")]),
        ("requiressl=1", &[("sslmode", "require")]),
        ("requiressl=0", &[("sslmode", "prefer")]),
        ("dbname=x=y", &[("dbname", "x=y")]),
    ];
    for (input, expected) in cases {
        assert_eq!(parsed(input), pairs(expected), "input {input:?}");
    }
}

#[test]
fn key_value_errors() {
    let cases = [
        (
            "host",
            "missing \"=\" after \"host\" in connection info string",
        ),
        (
            "host localhost",
            "missing \"=\" after \"host\" in connection info string",
        ),
        (
            "host=a port",
            "missing \"=\" after \"port\" in connection info string",
        ),
        ("nosuch=1", "invalid connection option \"nosuch\""),
        ("Host=a", "invalid connection option \"Host\""),
        ("=a", "invalid connection option \"\""),
        (
            "dbname='unterminated",
            "unterminated quoted string in connection info string",
        ),
        (
            "dbname='ends in escape\\'",
            "unterminated quoted string in connection info string",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(error(input), expected, "input {input:?}");
    }
}

#[test]
fn errors_after_a_password_do_not_quote_the_text() {
    for input in [
        "password=two words",
        "password=two words=x",
        "user=u password=p@ss w0rd",
    ] {
        let message = error(input);
        assert!(
            message.contains("after the value of \"password\""),
            "{input:?}: {message}"
        );
        assert!(
            !message.contains("words") && !message.contains("w0rd"),
            "{input:?}: {message}"
        );
    }
    // An unknown keyword elsewhere is still named.
    assert_eq!(error("password=x nosuch=1 "), error("password=x nosuch=1"));
    assert!(error("user=x nosuch=1").contains("\"nosuch\""));
}

#[test]
fn uri_forms() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("postgresql://", &[]),
        ("postgres://", &[]),
        ("postgresql://localhost", &[("host", "localhost")]),
        (
            "postgresql://localhost:5433",
            &[("host", "localhost"), ("port", "5433")],
        ),
        (
            "postgresql://localhost/mydb",
            &[("host", "localhost"), ("dbname", "mydb")],
        ),
        ("postgresql://localhost/", &[("host", "localhost")]),
        ("postgresql:///mydb", &[("dbname", "mydb")]),
        (
            "postgresql://user@localhost",
            &[("user", "user"), ("host", "localhost")],
        ),
        (
            "postgresql://user:secret@localhost",
            &[
                ("user", "user"),
                ("password", "secret"),
                ("host", "localhost"),
            ],
        ),
        (
            "postgresql://:secret@localhost",
            &[("password", "secret"), ("host", "localhost")],
        ),
        (
            "postgresql://user:@localhost",
            &[("user", "user"), ("host", "localhost")],
        ),
        ("postgresql://@localhost", &[("host", "localhost")]),
        (
            "postgresql://us%40er:p%3Aw%2F@h",
            &[("user", "us@er"), ("password", "p:w/"), ("host", "h")],
        ),
        (
            "postgresql://u:p:w@h",
            &[("user", "u"), ("password", "p:w"), ("host", "h")],
        ),
        ("postgresql://[::1]", &[("host", "::1")]),
        (
            "postgresql://[::1]:5433/db",
            &[("host", "::1"), ("port", "5433"), ("dbname", "db")],
        ),
        (
            "postgresql://[2001:db8::7]/db",
            &[("host", "2001:db8::7"), ("dbname", "db")],
        ),
        (
            "postgresql://h1:1,h2:2/db",
            &[("host", "h1,h2"), ("port", "1,2"), ("dbname", "db")],
        ),
        (
            "postgresql://h1,h2,h3",
            &[("host", "h1,h2,h3"), ("port", ",,")],
        ),
        (
            "postgresql://h1:5433,h2",
            &[("host", "h1,h2"), ("port", "5433,")],
        ),
        (
            "postgresql://[::1]:1,127.0.0.1:2",
            &[("host", "::1,127.0.0.1"), ("port", "1,2")],
        ),
        ("postgresql://,h2", &[("host", ",h2"), ("port", ",")]),
        (
            "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
            &[("host", "/var/run/postgresql"), ("dbname", "db")],
        ),
        (
            "postgresql:///db?host=/tmp",
            &[("host", "/tmp"), ("dbname", "db")],
        ),
        (
            "postgresql://h/db?host=%2Ftmp&port=6000",
            &[("host", "/tmp"), ("port", "6000"), ("dbname", "db")],
        ),
        (
            "postgresql://h/my%20db",
            &[("host", "h"), ("dbname", "my db")],
        ),
        (
            "postgresql://h/caf%C3%A9",
            &[("host", "h"), ("dbname", "café")],
        ),
        ("postgresql://h?dbname=x", &[("host", "h"), ("dbname", "x")]),
        ("postgresql://h?", &[("host", "h")]),
        (
            "postgresql://h/db?sslmode=verify-full&application_name=a%26b",
            &[
                ("host", "h"),
                ("dbname", "db"),
                ("sslmode", "verify-full"),
                ("application_name", "a&b"),
            ],
        ),
        (
            "postgresql://h?ssl=true",
            &[("host", "h"), ("sslmode", "require")],
        ),
        (
            "postgresql://h?requiressl=1",
            &[("host", "h"), ("sslmode", "require")],
        ),
        (
            "postgresql://h?options=-c%20search_path%3Dx",
            &[("host", "h"), ("options", "-c search_path=x")],
        ),
        (
            "postgresql://h?user=a&user=b",
            &[("host", "h"), ("user", "b")],
        ),
        (
            "postgresql://h?password=",
            &[("host", "h"), ("password", "")],
        ),
        (
            "postgresql://h/db/more",
            &[("host", "h"), ("dbname", "db/more")],
        ),
        // An '@' after the first '/' is not a credentials separator.
        (
            "postgresql://h:5432/db@x",
            &[("host", "h"), ("port", "5432"), ("dbname", "db@x")],
        ),
        (
            "postgresql://u:1/2@h",
            &[("host", "u"), ("port", "1"), ("dbname", "2@h")],
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parsed(input), pairs(expected), "input {input:?}");
    }
}

#[test]
fn uri_errors() {
    let cases = [
        (
            "postgresql://[::1",
            "end of string reached when looking for matching \"]\" in IPv6 host address in URI",
        ),
        (
            "postgresql://[]/db",
            "IPv6 host address may not be empty in URI",
        ),
        (
            "postgresql://[::1]x/db",
            "unexpected character \"x\" at position 19 in URI (expected \":\" or \"/\")",
        ),
        (
            "postgresql://h?ssl=false",
            "invalid URI query parameter: \"ssl\"",
        ),
        (
            "postgresql://h?nosuch=1",
            "invalid URI query parameter: \"nosuch\"",
        ),
        (
            "postgresql://h?sslmode",
            "missing key/value separator \"=\" in URI query parameter: \"sslmode\"",
        ),
        (
            "postgresql://h?host=x&&port=2",
            "missing key/value separator \"=\" in URI query parameter: \"\"",
        ),
        (
            "postgresql://h?sslmode=a=b",
            "extra key/value separator \"=\" in URI query parameter: \"sslmode\"",
        ),
        (
            "postgresql://h/db%2",
            "invalid percent-encoded token in the database name of the connection URI",
        ),
        (
            "postgresql://h/db%zz",
            "invalid percent-encoded token in the database name of the connection URI",
        ),
        (
            "postgresql://h%00/db",
            "forbidden value %00 in the percent-encoded host of the connection URI",
        ),
        (
            "postgresql://h/%FF",
            "the database name of the connection URI is not valid UTF-8 once percent-decoded",
        ),
        (
            "postgresql://h?%ZZ=1",
            "invalid percent-encoded token in the query parameter name of the connection URI",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(error(input), expected, "input {input:?}");
    }
    assert_eq!(
        error("postgresql://h?&a=1"),
        "missing key/value separator \"=\" in URI query parameter: \"\""
    );
}

#[test]
fn uri_errors_never_quote_passwords() {
    let cases = [
        "postgresql://u:s3cr%zzet@h/db",
        "postgresql://u:s3cr%00et@h/db",
        "postgresql://u:s3cr%FFet@h/db",
        "postgresql://h/db?password=s3cr%zzet",
        "postgresql://h/db?password=s3cr&et",
        "postgresql://h/db?password=s3cr&et=x",
        "postgresql://u:s3cret@[::1/db",
        "postgresql://u:s3cr/et@h/db",
        "postgresql://u:s3cr/et@h1,h2/db",
    ];
    for input in cases {
        let message = error(input);
        assert!(
            !message.contains("s3cr") && !message.contains("et\""),
            "{input:?}: {message}"
        );
    }
}

#[test]
fn recognises_connection_strings() {
    for s in ["postgresql://", "postgres://h", "host=h", "a=b", "my=db"] {
        assert!(is_connection_string(s), "{s:?}");
    }
    for s in ["mydb", "", "postgresql:/x", "postgres:h", "db with spaces"] {
        assert!(!is_connection_string(s), "{s:?}");
    }
}

#[test]
fn quoted_values_round_trip() {
    for value in [
        "plain",
        "",
        "two words",
        "it's",
        "back\\slash",
        "tab\there",
        "café",
    ] {
        let text = format!("application_name={}", quote_value(value));
        assert_eq!(
            parsed(&text),
            pairs(&[("application_name", value)]),
            "{text}"
        );
    }
    assert_eq!(quote_value("plain"), "plain");
    assert_eq!(quote_value(""), "''");
}

#[test]
fn options_debug_redacts_secrets() {
    let options = parse("user=alice password=hunter2 sslpassword=keypass").unwrap();
    let debug = format!("{options:?}");
    assert!(debug.contains("alice"), "{debug}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("keypass"),
        "{debug}"
    );
}

#[test]
fn every_keyword_is_unique_and_lowercase() {
    for (i, k) in KEYWORDS.iter().enumerate() {
        assert_eq!(k.name, k.name.to_ascii_lowercase());
        assert!(
            KEYWORDS[i + 1..].iter().all(|other| other.name != k.name),
            "duplicate {}",
            k.name
        );
        assert!(keyword(k.name).is_some());
    }
    assert!(
        keyword("requiressl").is_none(),
        "requiressl is only an alias"
    );
}
