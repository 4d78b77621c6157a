//! pg_dump's name patterns (`-n`, `-t`, `-e` and friends), matched against the catalog.
//!
//! A pattern is psql's: `*` matches any run of characters, `?` one character, `.` separates the schema from
//! the name, unquoted letters are folded to lower case, and text in double quotes is taken literally (with
//! `""` for a quote). Other regular-expression syntax (`[0-9]`, `+`, `|`) keeps its meaning, except `$`, which
//! is literal. A pattern matches a whole name.

use regex::Regex;

/// Why a pattern could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern has more dotted parts than its kind allows.
    #[error("improper qualified name (too many dotted names): {0}")]
    TooManyDots(String),
    /// The translated regular expression is invalid.
    #[error("invalid pattern \"{pattern}\": {reason}")]
    Invalid {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
}

/// A compiled pattern for a possibly qualified name.
#[derive(Debug, Clone)]
pub struct NamePattern {
    /// The pattern as given.
    pub text: String,
    schema: Option<Regex>,
    name: Regex,
}

impl NamePattern {
    /// Compiles a pattern for schema-qualified objects (`-t schema.table`), or for schemas themselves when
    /// `qualified` is false (`-n`), where a dot is an error.
    pub fn new(text: &str, qualified: bool) -> Result<NamePattern, PatternError> {
        let parts = split_parts(text);
        let (schema, name) = match (qualified, parts.len()) {
            (_, 1) => (None, &parts[0]),
            (true, 2) => (Some(&parts[0]), &parts[1]),
            // pg_dump accepts database.schema.table if the database is the current one; the caller checks.
            (true, 3) => (Some(&parts[1]), &parts[2]),
            _ => return Err(PatternError::TooManyDots(text.to_owned())),
        };
        let compile = |body: &str| {
            Regex::new(&format!("^(?:{body})$")).map_err(|e| PatternError::Invalid {
                pattern: text.to_owned(),
                reason: e.to_string(),
            })
        };
        Ok(NamePattern {
            text: text.to_owned(),
            schema: schema.map(|s| compile(s)).transpose()?,
            name: compile(name)?,
        })
    }

    /// Whether the pattern matches `name` in `schema`. An unqualified pattern matches in any schema (pg_dump
    /// resolves it through the search path, which is empty in a dump session apart from pg_catalog; objects
    /// in user schemas are matched by name alone, as in psql's `\d` with every schema visible).
    pub fn matches(&self, schema: &str, name: &str) -> bool {
        self.schema.as_ref().is_none_or(|s| s.is_match(schema)) && self.name.is_match(name)
    }

    /// Whether the pattern matches a name without schema (schemas, extensions).
    pub fn matches_name(&self, name: &str) -> bool {
        self.name.is_match(name)
    }
}

/// Splits a pattern at unquoted dots and translates each part to a regular expression.
fn split_parts(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let current = parts.last_mut().expect("never empty");
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => in_quotes = !in_quotes,
            _ if in_quotes => current.push_str(&regex::escape(&c.to_string())),
            '.' => parts.push(String::new()),
            '*' => current.push_str(".*"),
            '?' => current.push('.'),
            '$' => current.push_str("\\$"),
            c if c.is_uppercase() => current.extend(c.to_lowercase()),
            c => current.push(c),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_questions_and_case_folding() {
        let p = NamePattern::new("s.Par*", true).unwrap();
        assert!(p.matches("s", "parent"));
        assert!(!p.matches("s", "Parent"));
        assert!(!p.matches("t", "parent"));
        let p = NamePattern::new("p?rent", true).unwrap();
        assert!(p.matches("any", "parent"));
        assert!(!p.matches("any", "parents"));
    }

    #[test]
    fn quotes_keep_case_and_dots() {
        let p = NamePattern::new("\"My.Schema\".\"T*\"", true).unwrap();
        assert!(p.matches("My.Schema", "T*"));
        assert!(!p.matches("My.Schema", "Tx"));
        let p = NamePattern::new("\"a\"\"b\"", false).unwrap();
        assert!(p.matches_name("a\"b"));
    }

    #[test]
    fn regex_classes_work_and_dollar_is_literal() {
        let p = NamePattern::new("t[0-9]", true).unwrap();
        assert!(p.matches("s", "t7"));
        assert!(!p.matches("s", "tx"));
        let p = NamePattern::new("a$", true).unwrap();
        assert!(p.matches("s", "a$"));
        assert!(NamePattern::new("a.b.c.d", true).is_err());
        assert!(NamePattern::new("a.b", false).is_err());
    }
}
