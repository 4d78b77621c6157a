//! `--filter FILE`: the filter file format pg_dump, pg_dumpall and pg_restore share, with what pg_restore
//! accepts of it.
//!
//! A line is `include|exclude KIND NAME`, keywords in any case, with `#` starting a comment (a whole line, or
//! the rest of a line after the name). The name is tidied as pg_restore tidies it, so that it compares equal to
//! a TOC tag: runs of whitespace between words become one space, none is kept around `.`, `(` and `)`, and a
//! comma is followed by exactly one space (`f( integer ,text )` is `f(integer, text)`). A double-quoted part
//! keeps its quotes (a doubled quote stays doubled), `\n` in it is a newline and `\\` a backslash, and it may
//! run over several lines.

use std::fmt;

/// Which option list a filter line adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Schemas,
    ExcludeSchemas,
    Tables,
    Indexes,
    Functions,
    Triggers,
}

/// A filter file pg_restore rejects: where, and why, in pg_restore's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid format in filter read from {source_name} on line {line}: {message}")]
pub struct FilterError {
    source_name: SourceName,
    /// 1-based line number where the problem was found.
    pub line: usize,
    /// What is wrong (`unsupported filter object type: "view"`, ...).
    pub message: String,
}

/// `file "NAME"` or `standard input`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceName(String);

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == "-" {
            f.write_str("standard input")
        } else {
            write!(f, "file \"{}\"", self.0)
        }
    }
}

/// The object kinds of the filter format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    TableData,
    TableDataAndChildren,
    Database,
    Extension,
    ForeignData,
    Function,
    Index,
    Schema,
    Table,
    TableAndChildren,
    Trigger,
}

impl Kind {
    fn from_keyword(word: &[u8]) -> Option<Kind> {
        const KINDS: [(&str, Kind); 11] = [
            ("table_data", Kind::TableData),
            ("table_data_and_children", Kind::TableDataAndChildren),
            ("database", Kind::Database),
            ("extension", Kind::Extension),
            ("foreign_data", Kind::ForeignData),
            ("function", Kind::Function),
            ("index", Kind::Index),
            ("schema", Kind::Schema),
            ("table", Kind::Table),
            ("table_and_children", Kind::TableAndChildren),
            ("trigger", Kind::Trigger),
        ];
        KINDS
            .iter()
            .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(word))
            .map(|&(_, kind)| kind)
    }

    /// The name pg_restore uses in messages.
    fn name(self) -> &'static str {
        match self {
            Kind::TableData => "table data",
            Kind::TableDataAndChildren => "table data and children",
            Kind::Database => "database",
            Kind::Extension => "extension",
            Kind::ForeignData => "foreign data",
            Kind::Function => "function",
            Kind::Index => "index",
            Kind::Schema => "schema",
            Kind::Table => "table",
            Kind::TableAndChildren => "table and children",
            Kind::Trigger => "trigger",
        }
    }
}

/// C's `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// A position in the file, line by line (lines keep their `\n`).
struct Reader<'a> {
    lines: Vec<&'a [u8]>,
    /// Index of the next line to read.
    next: usize,
    /// The current line and the position in it.
    line: &'a [u8],
    pos: usize,
    source_name: &'a str,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.line.get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    fn skip_spaces(&mut self) -> bool {
        let mut skipped = false;
        while self.peek().is_some_and(is_space) {
            self.bump();
            skipped = true;
        }
        skipped
    }

    /// Moves to the next line; false at the end of the file.
    fn next_line(&mut self) -> bool {
        match self.lines.get(self.next) {
            Some(line) => {
                self.line = line;
                self.pos = 0;
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn error(&self, message: impl Into<String>) -> FilterError {
        FilterError {
            source_name: SourceName(self.source_name.to_owned()),
            line: self.next,
            message: message.into(),
        }
    }

    /// The next word (a run of non-space bytes), after whitespace.
    fn keyword(&mut self) -> Option<&'a [u8]> {
        self.skip_spaces();
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_space(b)) {
            self.bump();
        }
        (self.pos > start).then(|| &self.line[start..self.pos])
    }

    /// A double-quoted part, quotes kept, possibly over several lines; the reader is on the opening quote.
    fn quoted(&mut self, out: &mut Vec<u8>) -> Result<(), FilterError> {
        out.push(b'"');
        self.bump();
        loop {
            match self.peek() {
                Some(b'\r' | b'\n') => {
                    self.bump();
                    continue;
                }
                None => {
                    if !self.next_line() {
                        return Err(self.error("unexpected end of file"));
                    }
                    out.push(b'\n');
                }
                Some(_) => {}
            }
            match self.peek() {
                Some(b'"') => {
                    out.push(b'"');
                    self.bump();
                    if self.peek() == Some(b'"') {
                        out.push(b'"');
                        self.bump();
                    } else {
                        return Ok(());
                    }
                }
                Some(b'\\') => {
                    self.bump();
                    match self.peek() {
                        Some(b'n') => out.push(b'\n'),
                        Some(b'\\') => out.push(b'\\'),
                        _ => {}
                    }
                    if self.peek().is_some() {
                        self.bump();
                    }
                }
                Some(b) => {
                    out.push(b);
                    self.bump();
                }
                // A line is never empty: it has at least its newline or one byte.
                None => {}
            }
        }
    }

    /// The object name: the rest of the line (and of following lines inside quotes) up to a `#`, tidied.
    fn pattern(&mut self) -> Result<String, FilterError> {
        self.skip_spaces();
        if self.peek().is_none() {
            return Err(self.error("missing object name pattern"));
        }
        let mut out = Vec::new();
        let mut skip_space = true;
        let mut found_space = false;
        while let Some(b) = self.peek() {
            if b == b'#' {
                break;
            }
            while let Some(c) = self
                .peek()
                .filter(|&c| !is_space(c) && !b"#,.()\"".contains(&c))
            {
                if !skip_space && found_space {
                    out.push(b' ');
                    skip_space = true;
                }
                out.push(c);
                self.bump();
            }
            skip_space = false;
            match self.peek() {
                Some(b'"') => {
                    if found_space {
                        out.push(b' ');
                    }
                    self.quoted(&mut out)?;
                }
                Some(b',') => {
                    out.extend_from_slice(b", ");
                    skip_space = true;
                    self.bump();
                }
                Some(c @ (b'.' | b'(' | b')')) => {
                    out.push(c);
                    skip_space = true;
                    self.bump();
                }
                _ => {}
            }
            found_space = self.skip_spaces();
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// The names a filter file adds, in file order, or the first problem pg_restore would report.
pub(super) fn parse(text: &str, source_name: &str) -> Result<Vec<(Target, String)>, FilterError> {
    let mut reader = Reader {
        lines: text.as_bytes().split_inclusive(|&b| b == b'\n').collect(),
        next: 0,
        line: b"",
        pos: 0,
        source_name,
    };
    let mut items = Vec::new();
    while reader.next_line() {
        reader.skip_spaces();
        if matches!(reader.peek(), None | Some(b'#')) {
            continue;
        }
        let include = match reader.keyword() {
            Some(word) if word.eq_ignore_ascii_case(b"include") => true,
            Some(word) if word.eq_ignore_ascii_case(b"exclude") => false,
            _ => {
                return Err(
                    reader.error("invalid filter command (expected \"include\" or \"exclude\")")
                )
            }
        };
        let Some(word) = reader.keyword() else {
            return Err(reader.error("missing filter object type"));
        };
        let Some(kind) = Kind::from_keyword(word) else {
            return Err(reader.error(format!(
                "unsupported filter object type: \"{}\"",
                String::from_utf8_lossy(word)
            )));
        };
        let name = reader.pattern()?;
        let target = match (include, kind) {
            (true, Kind::Function) => Target::Functions,
            (true, Kind::Index) => Target::Indexes,
            (true, Kind::Schema) => Target::Schemas,
            (true, Kind::Table) => Target::Tables,
            (true, Kind::Trigger) => Target::Triggers,
            (false, Kind::Schema) => Target::ExcludeSchemas,
            (include, kind) => {
                return Err(reader.error(format!(
                    "{} filter for \"{}\" is not allowed",
                    if include { "include" } else { "exclude" },
                    kind.name()
                )))
            }
        };
        items.push((target, name));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(Target, String)> {
        parse(text, "f.txt").expect("valid filter")
    }

    fn error(text: &str) -> String {
        parse(text, "f.txt")
            .expect_err("invalid filter")
            .to_string()
    }

    #[test]
    fn lines_add_to_their_lists() {
        let text = "# a comment\n\n  include table books\nINCLUDE Schema app # trailing comment\n\
                    exclude schema public\ninclude index books_title_idx\ninclude function add(integer, integer)\n\
                    include trigger trg";
        assert_eq!(
            names(text),
            [
                (Target::Tables, "books".to_owned()),
                (Target::Schemas, "app".to_owned()),
                (Target::ExcludeSchemas, "public".to_owned()),
                (Target::Indexes, "books_title_idx".to_owned()),
                (Target::Functions, "add(integer, integer)".to_owned()),
                (Target::Triggers, "trg".to_owned()),
            ]
        );
    }

    #[test]
    fn names_are_tidied_as_pg_restore_tidies_them() {
        let cases = [
            ("include function f( integer ,text )\n", "f(integer, text)"),
            ("include function f(integer,text)\n", "f(integer, text)"),
            (
                "include function f(character   varying)\n",
                "f(character varying)",
            ),
            ("include table public . books\n", "public.books"),
            ("include table \"Books\"\n", "\"Books\""),
            ("include table a \"b\"\n", "a \"b\""),
            ("include table \"a\"\"b\"\n", "\"a\"\"b\""),
            ("include table \"a\\nb\\\\c\\x\"\n", "\"a\nb\\c\""),
            ("include table \"two\nlines\"\n", "\"two\nlines\""),
            // An empty line inside quotes gives two newlines: pg_restore keeps the first byte of a continuation line.
            ("include table \"ends\n\nlater\"\n", "\"ends\n\n\nlater\""),
            ("include table # only a comment\n", ""),
        ];
        for (text, name) in cases {
            let found = names(text);
            assert_eq!(found.len(), 1, "{text:?}");
            assert_eq!(found[0].1, name, "{text:?}");
        }
    }

    #[test]
    fn errors_are_pg_restores() {
        let prefix = "invalid format in filter read from file \"f.txt\" on line";
        let cases = [
            (
                "bogus table x\n",
                "1: invalid filter command (expected \"include\" or \"exclude\")",
            ),
            ("\n\ninclude\n", "3: missing filter object type"),
            (
                "include view v\n",
                "1: unsupported filter object type: \"view\"",
            ),
            ("include table\n", "1: missing object name pattern"),
            ("include table   \n", "1: missing object name pattern"),
            ("include table \"open\n\n", "2: unexpected end of file"),
            (
                "include table_data t\n",
                "1: include filter for \"table data\" is not allowed",
            ),
            (
                "include extension e\n",
                "1: include filter for \"extension\" is not allowed",
            ),
            (
                "include foreign_data s\n",
                "1: include filter for \"foreign data\" is not allowed",
            ),
            (
                "include database d\n",
                "1: include filter for \"database\" is not allowed",
            ),
            (
                "include table_and_children t\n",
                "1: include filter for \"table and children\" is not allowed",
            ),
            (
                "exclude table t\n",
                "1: exclude filter for \"table\" is not allowed",
            ),
            (
                "exclude function f()\n",
                "1: exclude filter for \"function\" is not allowed",
            ),
            (
                "exclude index i\n",
                "1: exclude filter for \"index\" is not allowed",
            ),
            (
                "exclude trigger t\n",
                "1: exclude filter for \"trigger\" is not allowed",
            ),
            (
                "exclude table_data_and_children t\n",
                "1: exclude filter for \"table data and children\" is not allowed",
            ),
            (
                "include table \"a\nb\"\nexclude table t\n",
                "3: exclude filter for \"table\" is not allowed",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(text), format!("{prefix} {message}"), "{text:?}");
        }
        assert_eq!(
            parse("include view v", "-").unwrap_err().to_string(),
            "invalid format in filter read from standard input on line 1: unsupported filter object type: \"view\""
        );
    }
}
