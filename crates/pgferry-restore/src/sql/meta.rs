//! psql's backslash commands in a script: reading a command's name and arguments as psql's slash-command lexer
//! does (`psqlscanslash.l`), and the commands a dump uses.
//!
//! A command runs to the end of its line, or to `\\` (after which the line goes on as SQL), or to the next
//! unquoted backslash (which starts another command). Arguments are separated by whitespace; in an argument,
//! `'...'` is a string (`''` is a quote, and `\n`, `\t`, `\b`, `\r`, `\f`, octal `\ooo` and hex `\xhh` escapes are
//! understood), `"..."` is kept with its quotes (psql's "SQL identifier" options then strip them), and
//! `` `...` `` would run a shell command, which pgferry refuses.

use super::encoding::ScriptEncoding;

/// A psql meta-command of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaCommand {
    /// `\connect` or `\c`: connect to another database (pg_dump `-C` and pg_dumpall write it).
    Connect(ConnectArgs),
    /// `\restrict KEY`: psql 18's restricted mode, which pg_dump 18 (and 17.6, 16.10, 15.14, ...) wraps its
    /// scripts in: until `\unrestrict` with the same key, no other meta-command may run.
    Restrict {
        /// The key, if one was given.
        key: Option<String>,
    },
    /// `\unrestrict KEY`: leaves restricted mode.
    Unrestrict {
        /// The key, if one was given.
        key: Option<String>,
    },
    /// `\set NAME VALUE...`: sets a psql variable (the values are joined, as psql does).
    Set {
        /// The variable, or `None` for a bare `\set` (which lists the variables).
        name: Option<String>,
        /// The value: the other arguments joined, empty if there are none.
        value: String,
    },
    /// `\encoding NAME`: the script's encoding from here on (the splitter applies it itself).
    Encoding {
        /// The encoding, or `None` for a bare `\encoding` (which prints the current one).
        name: Option<String>,
    },
    /// Any other command, with its name as written (`!` for `\!`, `i` for `\i`, ...).
    Other {
        /// The command's name.
        name: String,
    },
    /// A known command that cannot run as written: an unterminated quoted argument, a backquoted argument
    /// (a shell command), or an invalid option value.
    Invalid {
        /// The command's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl MetaCommand {
    /// The command's name as written, without the backslash (`connect`, `c`, `restrict`, `!`, ...).
    pub fn name(&self) -> &str {
        match self {
            MetaCommand::Connect(args) => &args.command,
            MetaCommand::Restrict { .. } => "restrict",
            MetaCommand::Unrestrict { .. } => "unrestrict",
            MetaCommand::Set { .. } => "set",
            MetaCommand::Encoding { .. } => "encoding",
            MetaCommand::Other { name } | MetaCommand::Invalid { name, .. } => name,
        }
    }
}

/// The arguments of `\connect [-reuse-previous=on|off] [DBNAME [USER [HOST [PORT]]]]`, read as psql reads them:
/// double quotes are removed (without folding case), and an unquoted `-` or empty argument means "as before".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectArgs {
    /// `connect` or `c`, as written.
    pub command: String,
    /// `-reuse-previous=on|off`, when given.
    pub reuse_previous: Option<bool>,
    /// The database name, or a connection string (`dbname=...`).
    pub dbname: Option<String>,
    /// The user.
    pub user: Option<String>,
    /// The host.
    pub host: Option<String>,
    /// The port.
    pub port: Option<String>,
}

/// One argument as read, before a command's own processing.
#[derive(Debug, Clone, Default)]
struct RawArg {
    /// The text: single-quoted parts unquoted and unescaped, double-quoted parts with their quotes.
    text: Vec<u8>,
    /// The last kind of quote used (`'`, `"` or `` ` ``), or 0.
    quote: u8,
    /// How many characters at the end were not quoted (psql strips trailing semicolons only among those).
    unquoted_tail: usize,
}

/// What reading a command line gave.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// Bytes of the line taken by the command (from its backslash), not counting the line end.
    pub(crate) consumed: usize,
    /// The command.
    pub(crate) command: MetaCommand,
}

/// Why a command line could not be turned into text.
#[derive(Debug)]
pub(crate) struct Undecodable;

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// The length of the character at `line[i]`, in `encoding`, within the line.
fn char_len(line: &[u8], i: usize, encoding: &ScriptEncoding) -> usize {
    let len = encoding
        .char_len(line[i], line.get(i + 1).copied())
        .unwrap_or(1);
    len.min(line.len() - i).max(1)
}

/// Reads the command at the start of `line` (which starts with the backslash and holds the rest of the input
/// line, without its line end).
pub(crate) fn parse(line: &[u8], encoding: &ScriptEncoding) -> Result<Parsed, Undecodable> {
    let mut i = 1;
    while i < line.len() && !is_space(line[i]) && line[i] != b'\\' {
        i += char_len(line, i, encoding);
    }
    let name = decode(&line[1..i], encoding)?;
    let mut args = Vec::new();
    let mut problem = None;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        if line[i] == b'\\' {
            // `\\` ends the command; a single backslash starts the next one (left for the SQL lexer).
            if line.get(i + 1) == Some(&b'\\') {
                i += 2;
            }
            break;
        }
        let (arg, next, arg_problem) = read_arg(line, i, encoding);
        i = next;
        if problem.is_none() {
            problem = arg_problem;
        }
        args.push(arg);
    }
    let command = build(name, args, problem, encoding)?;
    Ok(Parsed {
        consumed: i,
        command,
    })
}

/// Reads one argument starting at `line[start]` (not a space); returns it, where it ended, and what is wrong
/// with it.
fn read_arg(
    line: &[u8],
    start: usize,
    encoding: &ScriptEncoding,
) -> (RawArg, usize, Option<&'static str>) {
    let mut arg = RawArg::default();
    let mut i = start;
    let mut problem = None;
    while i < line.len() {
        let b = line[i];
        if is_space(b) || b == b'\\' {
            break;
        }
        match b {
            b'\'' => {
                arg.quote = b'\'';
                arg.unquoted_tail = 0;
                i += 1;
                let mut closed = false;
                while i < line.len() {
                    match line[i] {
                        b'\'' if line.get(i + 1) == Some(&b'\'') => {
                            arg.text.push(b'\'');
                            i += 2;
                        }
                        b'\'' => {
                            i += 1;
                            closed = true;
                            break;
                        }
                        b'\\' if i + 1 < line.len() => {
                            i += 1;
                            i += unescape(line, i, &mut arg.text, encoding);
                        }
                        _ => {
                            let len = char_len(line, i, encoding);
                            arg.text.extend_from_slice(&line[i..i + len]);
                            i += len;
                        }
                    }
                }
                if !closed {
                    problem = Some("unterminated quoted string");
                }
            }
            b'"' | b'`' => {
                arg.quote = b;
                arg.unquoted_tail = 0;
                if b == b'`' {
                    problem = problem.or(Some(
                        "backquoted arguments run shell commands, which pgferry does not do",
                    ));
                } else {
                    arg.text.push(b);
                }
                i += 1;
                let mut closed = false;
                while i < line.len() {
                    let len = char_len(line, i, encoding);
                    if line[i] == b {
                        i += 1;
                        closed = true;
                        if b == b'"' {
                            arg.text.push(b);
                        }
                        break;
                    }
                    arg.text.extend_from_slice(&line[i..i + len]);
                    i += len;
                }
                if !closed {
                    problem = Some("unterminated quoted string");
                }
            }
            _ => {
                let len = char_len(line, i, encoding);
                arg.text.extend_from_slice(&line[i..i + len]);
                arg.unquoted_tail += 1;
                i += len;
            }
        }
    }
    (arg, i, problem)
}

/// One backslash escape in a single-quoted argument, the backslash already read: appends what it stands for
/// and returns how many bytes it took after the backslash.
fn unescape(line: &[u8], i: usize, out: &mut Vec<u8>, encoding: &ScriptEncoding) -> usize {
    let simple = match line[i] {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'b' => Some(0x08),
        b'r' => Some(b'\r'),
        b'f' => Some(0x0c),
        _ => None,
    };
    if let Some(byte) = simple {
        out.push(byte);
        return 1;
    }
    if (b'0'..=b'7').contains(&line[i]) {
        let digits = line[i..]
            .iter()
            .take(3)
            .take_while(|b| (b'0'..=b'7').contains(*b))
            .count();
        let value = line[i..i + digits]
            .iter()
            .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
        out.push(value as u8);
        return digits;
    }
    if line[i] == b'x' {
        let digits = line[i + 1..]
            .iter()
            .take(2)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if digits > 0 {
            let text = std::str::from_utf8(&line[i + 1..i + 1 + digits]).unwrap_or("0");
            out.push(u8::from_str_radix(text, 16).unwrap_or(0));
            return 1 + digits;
        }
    }
    let len = char_len(line, i, encoding);
    out.extend_from_slice(&line[i..i + len]);
    len
}

fn decode(bytes: &[u8], encoding: &ScriptEncoding) -> Result<String, Undecodable> {
    encoding
        .decode(bytes)
        .map(|text| text.into_owned())
        .ok_or(Undecodable)
}

/// psql's option reading: with `semicolon`, unquoted trailing semicolons are dropped; with `sqlid`, double
/// quotes are removed (`""` stands for one), as psql's `OT_SQLIDHACK`. `None` when there is no argument.
fn option(
    arg: Option<&RawArg>,
    semicolon: bool,
    sqlid: bool,
    encoding: &ScriptEncoding,
) -> Result<Option<(String, u8)>, Undecodable> {
    let Some(arg) = arg else { return Ok(None) };
    let mut text = arg.text.clone();
    if semicolon {
        let mut tail = arg.unquoted_tail;
        while tail > 0 && text.last() == Some(&b';') {
            text.pop();
            tail -= 1;
        }
    }
    if sqlid {
        text = dequote(&text);
    }
    if text.is_empty() && arg.quote == 0 {
        return Ok(None);
    }
    Ok(Some((decode(&text, encoding)?, arg.quote)))
}

/// Removes double quotes as psql's `dequote_downcase_identifier` does (without downcasing).
fn dequote(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut in_quotes = false;
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'"' {
            if in_quotes && text.get(i + 1) == Some(&b'"') {
                out.push(b'"');
                i += 2;
                continue;
            }
            in_quotes = !in_quotes;
            i += 1;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// psql's `ParseVariableBool`: `on`, `off`, `true`, `false`, `yes`, `no`, `1`, `0`, in any case, or an unambiguous
/// prefix of them.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return None;
    }
    let prefix_of = |word: &str, min: usize| v.len() >= min && word.starts_with(v.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || v == "1" {
        Some(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || v == "0" {
        Some(false)
    } else {
        None
    }
}

fn build(
    name: String,
    args: Vec<RawArg>,
    problem: Option<&'static str>,
    encoding: &ScriptEncoding,
) -> Result<MetaCommand, Undecodable> {
    let known = matches!(
        name.as_str(),
        "c" | "connect" | "restrict" | "unrestrict" | "set" | "encoding"
    );
    if !known {
        return Ok(MetaCommand::Other { name });
    }
    if let Some(reason) = problem {
        return Ok(MetaCommand::Invalid {
            name,
            reason: reason.to_owned(),
        });
    }
    let mut args = args.iter();
    Ok(match name.as_str() {
        "c" | "connect" => {
            // psql's read_connect_arg: a quoted argument is taken as it is; an unquoted `-` or empty one is none.
            let mut next = || -> Result<Option<String>, Undecodable> {
                Ok(match option(args.next(), true, true, encoding)? {
                    Some((text, quote)) if quote == 0 && text == "-" => None,
                    Some((text, _)) => Some(text),
                    None => None,
                })
            };
            let mut first = next()?;
            let mut reuse_previous = None;
            if let Some(value) = first
                .as_deref()
                .and_then(|f| f.strip_prefix("-reuse-previous="))
            {
                match parse_bool(value) {
                    Some(on) => reuse_previous = Some(on),
                    None => {
                        return Ok(MetaCommand::Invalid {
                            reason: format!(
                                "unrecognized value \"{value}\" for \"-reuse-previous\": Boolean expected"
                            ),
                            name,
                        })
                    }
                }
                first = next()?;
            }
            let user = next()?;
            let host = next()?;
            let port = next()?;
            MetaCommand::Connect(ConnectArgs {
                command: name,
                reuse_previous,
                dbname: first,
                user,
                host,
                port,
            })
        }
        "restrict" | "unrestrict" => {
            let key = option(args.next(), true, false, encoding)?.map(|(k, _)| k);
            if name == "restrict" {
                MetaCommand::Restrict { key }
            } else {
                MetaCommand::Unrestrict { key }
            }
        }
        "set" => {
            let name = option(args.next(), false, false, encoding)?.map(|(n, _)| n);
            let mut value = String::new();
            for arg in args {
                if let Some((text, _)) = option(Some(arg), false, false, encoding)? {
                    value.push_str(&text);
                }
            }
            MetaCommand::Set { name, value }
        }
        _ => MetaCommand::Encoding {
            name: option(args.next(), false, false, encoding)?.map(|(n, _)| n),
        },
    })
}

/// `dbname`, `user` and anything else a `\connect` connection string sets, as libpq reads `key=value` strings.
/// `None` when the string is malformed.
pub(crate) fn parse_conninfo(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || key.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return None,
                    Some('\'') => break,
                    Some('\\') => value.push(chars.next()?),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.push(chars.next()?);
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
}
