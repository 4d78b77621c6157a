//! Quoting of identifiers and string literals exactly as pg_dump 18 writes them.
//!
//! The rules reproduced here are those of pg_dump's `fmtId`, `fmtQualifiedId`, `appendStringLiteral`,
//! `appendStringLiteralConn` and `appendStringLiteralDQ` (object-coverage.md §2.26). Byte-identical output
//! depends on them, so every rule is spelled out in the function docs and pinned by the tests in `quote/tests.rs`.
//!
//! PostgreSQL 18 also hardens these routines against invalidly encoded multibyte input (CVE-2025-1094): a bad
//! byte is replaced by a deliberately invalid sequence so the server rejects the result. A Rust `&str` is always
//! valid UTF-8, so that branch can never be taken here and is not reproduced.

mod keywords;
#[cfg(test)]
mod tests;

/// The grammatical category of an SQL keyword, as in PostgreSQL's `kwlist.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeywordCategory {
    /// Usable as any kind of name without quoting (`name`, `type`, `value`, `action`, ...).
    Unreserved,
    /// Usable as a column name but not as a function or type name (`int`, `between`, `varchar`, ...).
    ColName,
    /// Usable as a function or type name but not as a column name (`authorization`, `left`, `join`, ...).
    TypeFuncName,
    /// Never usable as a bare name (`select`, `user`, `table`, `order`, ...).
    Reserved,
}

/// Looks `word` up in PostgreSQL 18's keyword list.
///
/// The lookup is exact (case-sensitive) against the lower-case spellings of `kwlist.h`; this is all
/// [`ident`] needs, since it only consults the list for names made of `[a-z0-9_]`.
pub fn keyword_category(word: &str) -> Option<KeywordCategory> {
    keywords::KEYWORDS
        .binary_search_by(|(kw, _)| (*kw).cmp(word))
        .ok()
        .map(|i| keywords::KEYWORDS[i].1)
}

/// Identifier quoting settings, i.e. pg_dump's `--quote-all-identifiers`.
///
/// `Quoter::default()` quotes only where needed, like pg_dump without the option.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quoter {
    /// Quote every identifier, even those that would be valid bare (`--quote-all-identifiers`).
    pub quote_all: bool,
}

impl Quoter {
    /// Formats one identifier as pg_dump's `fmtId` does under these settings; see [`ident`].
    pub fn ident(&self, name: &str) -> String {
        let mut out = String::with_capacity(name.len() + 2);
        self.push_ident(&mut out, name);
        out
    }

    /// Appends the formatted identifier to `out` (the allocation-free form of [`Quoter::ident`]).
    pub fn push_ident(&self, out: &mut String, name: &str) {
        if !self.quote_all && is_bare_ident(name) {
            out.push_str(name);
            return;
        }
        out.reserve(name.len() + 2);
        out.push('"');
        for (i, part) in name.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    }

    /// Formats `schema.name` with each part quoted separately, as pg_dump's `fmtQualifiedId` does.
    ///
    /// An empty `schema` is left out (the result is just the quoted `name`), as in pg_dump.
    pub fn qualified(&self, schema: &str, name: &str) -> String {
        let mut out = String::with_capacity(schema.len() + name.len() + 5);
        if !schema.is_empty() {
            self.push_ident(&mut out, schema);
            out.push('.');
        }
        self.push_ident(&mut out, name);
        out
    }
}

/// True when pg_dump's `fmtId` leaves `name` bare: it matches `[a-z_][a-z0-9_]*` (ASCII only, mirroring the
/// identifier production of the SQL scanner) and is not a keyword of any category other than unreserved.
fn is_bare_ident(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !(first.is_ascii_lowercase() || first == b'_') {
        return false;
    }
    if !bytes
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    matches!(
        keyword_category(name),
        None | Some(KeywordCategory::Unreserved)
    )
}

/// Formats one identifier as pg_dump's `fmtId` does without `--quote-all-identifiers`.
///
/// The name is left bare only when it matches `[a-z_][a-z0-9_]*` and is not a keyword of a category other than
/// [`KeywordCategory::Unreserved`] in PostgreSQL 18's keyword list (pg_dump's own list, whatever the server's
/// version). Otherwise it is wrapped in double quotes, with each `"` doubled. So `parent` stays bare, while
/// `user`, `int`, `left`, `Foo`, `1a`, `café` and the empty string are quoted.
pub fn ident(name: &str) -> String {
    Quoter::default().ident(name)
}

/// Formats `schema.name` with each part quoted by [`ident`] (pg_dump's `fmtQualifiedId`); an empty `schema` is
/// left out.
pub fn qualified(schema: &str, name: &str) -> String {
    Quoter::default().qualified(schema, name)
}

/// Formats a string literal as pg_dump's `appendStringLiteral` (`appendStringLiteralAH`) does.
///
/// The value is wrapped in single quotes with each `'` doubled. When `std_strings` (the dumped connection's
/// `standard_conforming_strings`) is off, each backslash is doubled as well. No `E` prefix is ever added: the
/// script pg_dump writes sets `standard_conforming_strings` itself, so the plain form reads back correctly.
/// Use [`literal_conn`] for the form that does add `E`.
pub fn literal(value: &str, std_strings: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_literal(&mut out, value, std_strings);
    out
}

/// Appends [`literal`]`(value, std_strings)` to `out`.
pub fn push_literal(out: &mut String, value: &str, std_strings: bool) {
    out.reserve(value.len() + 2);
    out.push('\'');
    // Only ASCII bytes are examined; multibyte characters are copied whole (they are valid UTF-8).
    let mut start = 0;
    for (i, b) in value.bytes().enumerate() {
        if b == b'\'' || (b == b'\\' && !std_strings) {
            out.push_str(&value[start..=i]);
            out.push(b as char);
            start = i + 1;
        }
    }
    out.push_str(&value[start..]);
    out.push('\'');
}

/// Formats a string literal as pg_dump's `appendStringLiteralConn` does (used where pg_dump quotes with the live
/// connection, e.g. `ALTER DATABASE ... SET` values).
///
/// A value containing a backslash becomes an escape string: `E'...'` with backslashes and single quotes doubled.
/// Any other value is `'...'` with single quotes doubled. The connection's `standard_conforming_strings` makes no
/// difference to either form, so it is not asked for.
///
/// pg_dump also writes a space before the `E` when the text already in its buffer does not end in one; that
/// depends on the caller's buffer, so it is left to the caller.
pub fn literal_conn(value: &str) -> String {
    if value.contains('\\') {
        let mut out = String::with_capacity(value.len() + 3);
        out.push('E');
        push_literal(&mut out, value, false);
        out
    } else {
        literal(value, true)
    }
}

/// Wraps `body` in dollar quotes as pg_dump's `appendStringLiteralDQ` does (function bodies in `dumpFunc` use an
/// empty prefix).
///
/// The delimiter starts as `$` followed by `prefix_hint`. While that text (without its closing `$`) occurs
/// anywhere in `body`, one more character is appended, cycling through `_`, `X`, `X`, `X`, `X`, `X`, `X`, `X`
/// (so `$`, `$_`, `$_X`, ..., `$_XXXXXXX`, `$_XXXXXXX_`, ...). The closing `$` is then added and the delimiter
/// is written before and after the unmodified body: `$$body$$`, `$_$body$_$`, `$_X$body$_X$`, ...
pub fn dollar_quote(body: &str, prefix_hint: &str) -> String {
    const SUFFIXES: &[u8] = b"_XXXXXXX";
    let mut delim = String::with_capacity(prefix_hint.len() + 4);
    delim.push('$');
    delim.push_str(prefix_hint);
    let mut next = 0;
    while body.contains(delim.as_str()) {
        delim.push(SUFFIXES[next] as char);
        next = (next + 1) % SUFFIXES.len();
    }
    delim.push('$');
    let mut out = String::with_capacity(body.len() + 2 * delim.len());
    out.push_str(&delim);
    out.push_str(body);
    out.push_str(&delim);
    out
}

/// psql's `\connect` line for a database, as pg_dump writes it after `CREATE DATABASE` (with the newline).
///
/// Names made only of ASCII letters, digits, `_` and `.` are written as an identifier. Anything else goes
/// through a connection string (`dbname='...'`) wrapped as an identifier, after switching psql to SQL_ASCII
/// so that it passes the bytes on unchanged.
pub fn psql_connect(dbname: &str) -> String {
    let simple = !dbname.is_empty()
        && dbname
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if simple {
        return format!("\\connect {}\n", ident(dbname));
    }
    let mut value = String::from("'");
    for c in dbname.chars() {
        if c == '\'' || c == '\\' {
            value.push('\\');
        }
        value.push(c);
    }
    value.push('\'');
    format!(
        "\\encoding SQL_ASCII\n\\connect -reuse-previous=on {}\n",
        Quoter { quote_all: true }.ident(&format!("dbname={value}"))
    )
}
