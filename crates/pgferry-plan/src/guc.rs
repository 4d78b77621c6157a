//! Settings as pg_dump writes them: `SET name TO value` in functions, `ALTER DATABASE/ROLE ... SET`.

use crate::quote::{self, Quoter};

/// Settings whose value is a list of names, stored already quoted; pg_dump splits them and writes each
/// element as its own string literal (GUC_LIST_QUOTE in the server).
const LIST_QUOTED: [&str; 7] = [
    "local_preload_libraries",
    "oauth_validator_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
];

/// Whether `name` is one of the list-valued settings (compared without regard to case).
pub fn is_list_quoted(name: &str) -> bool {
    LIST_QUOTED.iter().any(|v| v.eq_ignore_ascii_case(name))
}

/// Splits a stored `name=value` item (from `proconfig`, `setconfig`) into the quoted name and the value as
/// SQL: one string literal, or for list settings a comma-separated list of literals.
pub fn render_setting(item: &str, quoter: Quoter, std_strings: bool) -> (String, String) {
    let (name, value) = item.split_once('=').unwrap_or((item, ""));
    let rendered = if is_list_quoted(name) {
        split_guc_list(value)
            .iter()
            .map(|element| quote::literal(element, std_strings))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        quote::literal(value, std_strings)
    };
    (quoter.ident(name), rendered)
}

/// Splits a list setting's stored value: elements separated by commas, optionally double-quoted (with `""`
/// for a quote), surrounding white space dropped, case kept.
pub fn split_guc_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut item = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        item.push('"');
                    } else {
                        break;
                    }
                } else {
                    item.push(c);
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                item.push(c);
                chars.next();
            }
            item = item.trim_end().to_owned();
        }
        items.push(item);
        if chars.next().is_none() {
            break;
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_become_one_literal_per_element() {
        let (name, value) = render_setting("search_path=pg_catalog, s", Quoter::default(), true);
        assert_eq!(
            (name.as_str(), value.as_str()),
            ("search_path", "'pg_catalog', 's'")
        );
        let (_, value) = render_setting(
            r#"search_path="My Schema", "$user", public"#,
            Quoter::default(),
            true,
        );
        assert_eq!(value, "'My Schema', '$user', 'public'");
        let (_, value) = render_setting("search_path=\"\"", Quoter::default(), true);
        assert_eq!(value, "''");
    }

    #[test]
    fn other_settings_are_one_literal() {
        let (name, value) = render_setting("work_mem=8MB", Quoter::default(), true);
        assert_eq!((name.as_str(), value.as_str()), ("work_mem", "'8MB'"));
        let (_, value) = render_setting("application_name=it's", Quoter::default(), true);
        assert_eq!(value, "'it''s'");
    }
}
