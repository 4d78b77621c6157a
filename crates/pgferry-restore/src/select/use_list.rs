//! `-L/--use-list` files: the format `pg_restore -l` writes, read as pg_restore reads it.

use std::fmt;

/// A `-L` list: the dump ids it names, line by line.
///
/// Each line is cut at its first `;` (the rest is a comment: `pg_restore -l` writes the entry's description
/// there); lines left blank are skipped; the others should start with a dump id (after optional whitespace,
/// as C's `strtol` reads it). Lines whose id is missing, not positive, beyond the archive's largest id or
/// already listed are ignored with a warning when the list is applied ([`select`](super::select)), as
/// pg_restore ignores them; so parsing itself cannot fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UseList {
    lines: Vec<ListLine>,
}

/// One non-blank line of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ListLine {
    /// 1-based line number.
    pub(super) line: usize,
    /// The id the line starts with, as pg_restore's `strtol` reads it (truncated to a C `int`), if any.
    pub(super) id: Option<i32>,
    /// The line before its `;`, without the line end, for the warning.
    pub(super) text: String,
}

/// A `-L` line pg_restore ignores: its `pg_restore: warning: line ignored: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredLine {
    /// 1-based line number in the list.
    pub line: usize,
    /// The line before its `;` comment.
    pub text: String,
}

impl fmt::Display for IgnoredLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line ignored: {}", self.text)
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// The leading integer of `text` as `strtol(text, &end, 10)` reads it, stored into a C `int` (so values past
/// `int` wrap, as they do in pg_restore); `None` when no digits follow the optional whitespace and sign.
fn leading_id(text: &[u8]) -> Option<i32> {
    let mut rest = text;
    while let [b, tail @ ..] = rest {
        if !is_c_space(*b) {
            break;
        }
        rest = tail;
    }
    let negative = match rest.first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    // strtol saturates at LONG_MIN/LONG_MAX (64-bit here).
    let mut value: i64 = 0;
    for &b in &rest[..digits] {
        let d = i64::from(b - b'0');
        value = if negative {
            value.saturating_mul(10).saturating_sub(d)
        } else {
            value.saturating_mul(10).saturating_add(d)
        };
    }
    Some(value as i32)
}

impl UseList {
    /// Reads a list (text as `pg_restore -l` writes it, possibly edited; any bytes are accepted).
    pub fn parse(text: impl AsRef<[u8]>) -> UseList {
        let text = text.as_ref();
        let mut lines = Vec::new();
        for (n, raw) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            let kept = match raw.iter().position(|&b| b == b';') {
                Some(at) => &raw[..at],
                None => raw,
            };
            if kept
                .iter()
                .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            {
                continue;
            }
            let shown = kept.strip_suffix(b"\n").unwrap_or(kept);
            lines.push(ListLine {
                line: n + 1,
                id: leading_id(kept),
                text: String::from_utf8_lossy(shown).into_owned(),
            });
        }
        UseList { lines }
    }

    /// The ids of the list's lines, in order, as read (`None` for a line without one): valid or not.
    pub fn ids(&self) -> impl Iterator<Item = Option<i32>> + '_ {
        self.lines.iter().map(|l| l.id)
    }

    pub(super) fn lines(&self) -> &[ListLine] {
        &self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_as_strtol_reads_them() {
        assert_eq!(leading_id(b"12; 0 0 TABLE"), Some(12));
        assert_eq!(leading_id(b"  \t7"), Some(7));
        assert_eq!(leading_id(b"+5x"), Some(5));
        assert_eq!(leading_id(b"-5"), Some(-5));
        assert_eq!(leading_id(b"x5"), None);
        assert_eq!(leading_id(b"- 5"), None);
        assert_eq!(leading_id(b"4294967297"), Some(1));
        assert_eq!(leading_id(b"99999999999999999999999"), Some(-1));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let list = UseList::parse(
            ";\n; Archive created at ...\n\n   \n12; 0 0 TABLE app t postgres\n ;3\n  7 trailing\r\nabc\n",
        );
        let lines: Vec<_> = list
            .lines()
            .iter()
            .map(|l| (l.line, l.id, l.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (5, Some(12), "12"),
                (7, Some(7), "  7 trailing\r"),
                (8, None, "abc"),
            ]
        );
    }

    #[test]
    fn the_last_line_needs_no_newline() {
        let list = UseList::parse("1\n2");
        assert_eq!(list.ids().collect::<Vec<_>>(), [Some(1), Some(2)]);
        assert_eq!(UseList::parse("").ids().count(), 0);
    }
}
