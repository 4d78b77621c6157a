//! Connection strings and connections: the same string goes to pgferry, pg_dump and pg_restore, and the
//! benchmark itself connects with `pgferry-conn` (libpq's rules).

use pgferry_conn::{ConnConfig, Overrides, ProcessEnv, Session};

/// Connect to `conn` (a URL, `key=value` string or database name) as libpq would.
pub(crate) async fn connect(conn: &str) -> Result<Session, String> {
    let config = ConnConfig::resolve(Some(conn), &Overrides::default(), &ProcessEnv)
        .map_err(|e| format!("reading the connection string: {e}"))?;
    pgferry_conn::connect(&config)
        .await
        .map_err(|e| format!("connecting to {}: {e}", redact(conn)))
}

/// `conn` with the database replaced by `db`: the path of a `postgresql://` URL (and any `dbname` parameter),
/// a `dbname=` appended to a `key=value` string (the last one wins in libpq), or `db` itself for a bare name.
pub(crate) fn with_dbname(conn: &str, db: &str) -> String {
    let scheme_end = ["postgresql://", "postgres://"]
        .iter()
        .find(|s| conn.starts_with(*s))
        .map(|s| s.len());
    let Some(scheme_end) = scheme_end else {
        if conn.contains('=') {
            let quoted = db.replace('\\', "\\\\").replace('\'', "\\'");
            return format!("{conn} dbname='{quoted}'");
        }
        return db.to_owned();
    };
    let encoded = percent_encode(db);
    let rest = &conn[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    let query = after.find('?').map_or("", |q| &after[q..]);
    let query = if query.is_empty() {
        String::new()
    } else {
        let params: Vec<String> = query[1..]
            .split('&')
            .map(|p| {
                if p.starts_with("dbname=") {
                    format!("dbname={encoded}")
                } else {
                    p.to_owned()
                }
            })
            .collect();
        format!("?{}", params.join("&"))
    };
    format!("{}{authority}/{encoded}{query}", &conn[..scheme_end])
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `conn` without a password, for messages: the `:password@` of a URL and `password=...` of a `key=value`
/// string become `***`.
pub(crate) fn redact(conn: &str) -> String {
    if let Some(scheme_end) = conn.find("://").map(|i| i + 3) {
        let rest = &conn[scheme_end..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            if let Some(colon) = rest[..at].find(':') {
                return format!(
                    "{}{}:***{}",
                    &conn[..scheme_end],
                    &rest[..colon],
                    &rest[at..]
                );
            }
        }
        return conn.to_owned();
    }
    conn.split_whitespace()
        .map(|word| {
            if word.starts_with("password=") {
                "password=***"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(
            with_dbname("postgresql://postgres@127.0.0.1:5432/bench", "r1"),
            "postgresql://postgres@127.0.0.1:5432/r1"
        );
        assert_eq!(
            with_dbname("postgres://u:p@h/db?sslmode=require&dbname=x", "a b"),
            "postgres://u:p@h/a%20b?sslmode=require&dbname=a%20b"
        );
        assert_eq!(
            with_dbname("postgresql://h:5433?sslmode=disable", "r"),
            "postgresql://h:5433/r?sslmode=disable"
        );
        assert_eq!(with_dbname("postgresql://", "r"), "postgresql:///r");
    }

    #[test]
    fn database_is_replaced_in_keyword_strings_and_names() {
        assert_eq!(
            with_dbname("host=h dbname=bench", "o'k"),
            "host=h dbname=bench dbname='o\\'k'"
        );
        assert_eq!(with_dbname("bench", "r"), "r");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgresql://u:secret@h/db"),
            "postgresql://u:***@h/db"
        );
        assert_eq!(redact("postgresql://u@h/db"), "postgresql://u@h/db");
        assert_eq!(redact("host=h password=secret"), "host=h password=***");
    }
}
