//! The sans-IO statement splitter: a script's bytes in, pushed in pieces of any size; [`Event`]s out.
//!
//! It follows psql's lexer (`psqlscan.l`) and main loop (`mainloop.c`) for what a plain dump can hold:
//!
//! * A statement ends at a semicolon outside quotes, comments and parentheses, and outside the `BEGIN ... END`
//!   of a `CREATE [OR REPLACE] FUNCTION|PROCEDURE` (SQL-standard bodies), with psql's heuristic; or at the end of
//!   the input. Whitespace and `--` comments before a statement are dropped (its line number is that of its
//!   first character); a statement made only of comments is not reported, nor is an empty one (`;`).
//! * Quotes: `'...'` (with `''`; with backslash escapes too while `standard_conforming_strings` is off, which the
//!   splitter follows from the script's `SET` statements), `E'...'`, `B'...'`, `X'...'`, `N'...'`, `U&'...'`
//!   (a string goes on after whitespace only within a line, as psql lexes line by line), `"..."` and `U&"..."`
//!   identifiers, dollar quotes (`$$`, `$tag$`; not `$1`, nor a `$` inside an identifier such as `a$b`), `--`
//!   comments and nested `/* */` comments. In SJIS, BIG5, GBK, UHC and GB18030, whose second bytes can look like
//!   a backslash, the lexer steps over whole characters.
//! * `COPY ... FROM stdin` statements: the lines after the statement's line are data, up to a line `\.`; they are
//!   reported in [`Event::CopyData`] chunks of at most [`COPY_CHUNK`] bytes (the same chunks whatever pieces the
//!   input came in) and an [`Event::CopyEnd`]. What follows the statement on its own line runs after the data,
//!   as in psql.
//! * Backslash commands ([`Event::Meta`]), which take the rest of their line (or up to `\\`); `\;` and `\:` put a
//!   `;` or `:` into the statement without ending it.
//! * Encodings: the script's text is converted to UTF-8 from the encoding its `SET client_encoding` statements
//!   and `\encoding` commands name (those statements become [`Event::ClientEncoding`] and are not to be sent:
//!   the connection stays UTF-8). Invalid bytes are an error. A UTF-8 byte-order mark at the start is skipped.
//!   `\connect` sets the encoding back to UTF-8 and `standard_conforming_strings` to on (a new session's).
//!
//! Not done: psql variable interpolation (`:name`, `:'name'`), which pg_dump never writes; the text is passed on.
//!
//! The splitter never panics and always makes progress; memory is bounded by the longest statement (or command
//! line) plus a COPY chunk, and the input not yet looked at.

use std::collections::VecDeque;
use std::fmt;

use bytes::Bytes;

use super::encoding::{EncodingNameError, ScriptEncoding, StreamDecoder};
use super::meta::{self, MetaCommand};

/// The largest [`Event::CopyData`] chunk, in bytes of the script (before conversion to UTF-8).
pub const COPY_CHUNK: usize = 64 * 1024;

/// The longest dollar-quote tag looked for; a longer `$word$` is taken as text, not as a tag.
const MAX_TAG: usize = 4096;

/// Statements longer than this are not examined as `SET` statements.
const MAX_SET_STATEMENT: usize = 4096;

/// Keywords are compared on at most this many bytes.
const WORD_CAP: usize = 16;

/// What the splitter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A statement to run.
    Statement(Statement),
    /// A piece of the data of the `COPY ... FROM stdin` statement just reported, in UTF-8, in order.
    CopyData(Bytes),
    /// The end of that COPY's data (its `\.` line, or the end of the script).
    CopyEnd,
    /// A psql meta-command.
    Meta {
        /// The line it is on (the first line is 1).
        line: u64,
        /// The command.
        command: MetaCommand,
    },
    /// A `SET client_encoding` (or `SET NAMES`, or `RESET client_encoding`) statement: the script's text is in
    /// this encoding from here on. The splitter converts it; the statement is not to be sent.
    ClientEncoding {
        /// The line it is on.
        line: u64,
        /// PostgreSQL's name of the encoding (`UTF8` for `DEFAULT` and `RESET`).
        name: &'static str,
    },
}

/// A complete SQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement, from its first character to its semicolon (included), in UTF-8.
    pub text: String,
    /// The line of its first character (the first line is 1).
    pub line: u64,
    /// Whether it is a `COPY ... FROM stdin`, whose data follows in [`Event::CopyData`] and [`Event::CopyEnd`].
    pub copy_from_stdin: bool,
}

impl Statement {
    /// The statement's first line, for messages (at most 200 characters).
    pub fn first_line(&self) -> &str {
        first_line(&self.text)
    }
}

/// The first line of `text`, cut at 200 characters.
pub(crate) fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("").trim_end();
    match line.char_indices().nth(200) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

/// Why a script cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    /// The line where it happened.
    pub line: u64,
    /// What happened.
    pub kind: SplitErrorKind,
}

/// What made a script unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitErrorKind {
    /// Bytes that are not valid in the script's encoding (for `SQL_ASCII`: not valid UTF-8, which pgferry's
    /// connections need).
    InvalidBytes {
        /// The encoding.
        encoding: &'static str,
    },
    /// `SET client_encoding` or `\encoding` names no encoding PostgreSQL knows.
    UnknownEncoding {
        /// The name as written.
        name: String,
    },
    /// A PostgreSQL encoding that pgferry cannot convert to UTF-8.
    UnsupportedEncoding {
        /// Its name.
        name: &'static str,
    },
    /// A `SET client_encoding` statement of a form pgferry does not understand (it must not reach the server:
    /// the connection has to stay UTF-8).
    EncodingStatement {
        /// The statement's first line.
        statement: String,
    },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            SplitErrorKind::InvalidBytes { encoding } if *encoding == "SQL_ASCII" => write!(
                f,
                "the script's client_encoding is SQL_ASCII and it holds bytes that are not valid UTF-8; \
                 pgferry passes SQL_ASCII text on unchanged only when it is UTF-8"
            ),
            SplitErrorKind::InvalidBytes { encoding } => {
                write!(f, "invalid byte sequence for encoding \"{encoding}\"")
            }
            SplitErrorKind::UnknownEncoding { name } => {
                write!(f, "\"{name}\" is not a valid encoding name")
            }
            SplitErrorKind::UnsupportedEncoding { name } => write!(
                f,
                "the script is in encoding {name}, which pgferry cannot convert to UTF-8"
            ),
            SplitErrorKind::EncodingStatement { statement } => write!(
                f,
                "this form of setting client_encoding is not supported: {statement}"
            ),
        }
    }
}

impl std::error::Error for SplitError {}

/// Where the lexer is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Between tokens of SQL (psql's INITIAL).
    Sql,
    /// In a `--` comment.
    LineComment,
    /// In a `/* */` comment, nested `depth` deep beyond the first.
    BlockComment { depth: u32 },
    /// In a quoted string.
    Quote(Quote),
    /// Just after a string's closing quote: a quote after whitespace holding a newline continues the string
    /// (where psql sees one: a carriage return inside a line; psql's lexer never sees line ends).
    AfterQuote { kind: Quote, newline: bool },
    /// In a `--` comment in that whitespace.
    AfterQuoteComment { kind: Quote },
    /// In a `"..."` identifier.
    QuotedIdent,
    /// In a dollar-quoted string; the tag includes both `$`.
    Dollar { tag: Vec<u8> },
    /// The rest of a `COPY ... FROM stdin` statement's line, which runs after the data.
    CopyRest,
    /// In COPY data.
    CopyData { at_line_start: bool },
}

/// The kinds of quoted strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// Standard: `''` is a quote, backslashes are plain (also `U&'...'`).
    Standard,
    /// Backslash escapes (`E'...'`, or `'...'` with `standard_conforming_strings` off).
    Escape,
    /// Bit and hex strings: nothing but the closing quote is special.
    Bits,
}

/// The first word of the statement, for the statements the splitter looks into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstWord {
    None,
    Copy,
    Set,
    Reset,
    Other,
}

/// What looking at the input gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Byte(u8),
    /// Nothing more will come.
    End,
    /// Not here yet.
    More,
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    NeedMore,
}

type Step = Result<Flow, SplitError>;

/// COPY data being read.
#[derive(Debug)]
struct CopyBlock {
    /// The rest of the statement's line, to run after the data.
    rest: Vec<u8>,
    /// The line that rest is on.
    rest_line: u64,
    /// Data not reported yet.
    pending: Vec<u8>,
    /// The line the pending data starts on.
    pending_line: u64,
    decoder: StreamDecoder,
}

/// Splits a script into statements, COPY data and meta-commands. See the [module](self) documentation.
///
/// ```
/// use pgferry_restore::sql::split::{Event, Splitter};
///
/// let mut splitter = Splitter::new();
/// splitter.push(b"SELECT ';'; COPY t FROM stdin;\n1\n\\.\n");
/// splitter.finish();
/// let mut events = Vec::new();
/// while let Some(event) = splitter.next_event().unwrap() {
///     events.push(event);
/// }
/// assert!(matches!(&events[0], Event::Statement(s) if s.text == "SELECT ';';"));
/// assert!(matches!(&events[2], Event::CopyData(data) if &data[..] == b"1\n"));
/// assert_eq!(events[3], Event::CopyEnd);
/// ```
#[derive(Debug)]
pub struct Splitter {
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    done: bool,
    bom_checked: bool,
    line: u64,
    /// Input put back (the rest of a COPY line): where it ends in `buf`, and the line to go on with there.
    inject: Option<(usize, u64)>,
    encoding: ScriptEncoding,
    std_strings: bool,
    state: State,
    queue: VecDeque<Event>,
    failed: Option<SplitError>,
    copy_chunk: usize,
    copy: Option<CopyBlock>,

    stmt: Vec<u8>,
    stmt_line: u64,
    stmt_started: bool,
    has_content: bool,
    paren_depth: u32,
    begin_depth: u32,
    identifier_count: usize,
    identifiers: [u8; 4],
    in_word: bool,
    word: [u8; WORD_CAP],
    word_len: usize,
    token_count: u32,
    first_word: FirstWord,
    after_from: bool,
    copy_stdin: bool,
    /// The statement holds `\;`: several statements that go to the server as one.
    multi: bool,
}

impl Default for Splitter {
    fn default() -> Splitter {
        Splitter::new()
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_dolq_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

impl Splitter {
    /// A splitter at the start of a script, in UTF-8 with `standard_conforming_strings` on.
    pub fn new() -> Splitter {
        Splitter {
            buf: Vec::new(),
            pos: 0,
            eof: false,
            done: false,
            bom_checked: false,
            line: 1,
            inject: None,
            encoding: ScriptEncoding::UTF8,
            std_strings: true,
            state: State::Sql,
            queue: VecDeque::new(),
            failed: None,
            copy_chunk: COPY_CHUNK,
            copy: None,
            stmt: Vec::new(),
            stmt_line: 1,
            stmt_started: false,
            has_content: false,
            paren_depth: 0,
            begin_depth: 0,
            identifier_count: 0,
            identifiers: [0; 4],
            in_word: false,
            word: [0; WORD_CAP],
            word_len: 0,
            token_count: 0,
            first_word: FirstWord::None,
            after_from: false,
            copy_stdin: false,
            multi: false,
        }
    }

    /// Sets the size of [`Event::CopyData`] chunks (default [`COPY_CHUNK`], at least 1), before any input.
    pub fn set_copy_chunk_size(&mut self, bytes: usize) {
        self.copy_chunk = bytes.max(1);
    }

    /// Adds the next piece of the script. Ignored after [`finish`](Self::finish).
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.eof {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Says the script has ended: what is pending becomes its last events.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// The line the splitter has read up to (the first line is 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The script's encoding at this point.
    pub fn encoding(&self) -> ScriptEncoding {
        self.encoding
    }

    /// Whether `standard_conforming_strings` is on at this point, as far as the script's `SET` statements say.
    pub fn standard_conforming_strings(&self) -> bool {
        self.std_strings
    }

    /// Whether everything has been reported: [`finish`](Self::finish) was called and no event is left.
    pub fn is_done(&self) -> bool {
        self.done && self.queue.is_empty()
    }

    /// The next event; `Ok(None)` when more input is needed (or, after [`finish`](Self::finish), when the script
    /// is done). After an error, the same error again.
    pub fn next_event(&mut self) -> Result<Option<Event>, SplitError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Ok(Some(event));
            }
            if self.done {
                return Ok(None);
            }
            match self.step() {
                Ok(Flow::Continue) => {}
                Ok(Flow::NeedMore) => {
                    self.compact();
                    return Ok(None);
                }
                Err(error) => {
                    self.failed = Some(error.clone());
                    return Err(error);
                }
            }
        }
    }

    /// Drops the input already read.
    fn compact(&mut self) {
        if self.pos == 0 {
            return;
        }
        if self.pos == self.buf.len() || self.pos >= 64 * 1024 {
            self.buf.drain(..self.pos);
            if let Some((end, _)) = &mut self.inject {
                *end = end.saturating_sub(self.pos);
            }
            self.pos = 0;
        }
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn look(&self, k: usize) -> Look {
        match self.buf.get(self.pos + k) {
            Some(&b) => Look::Byte(b),
            None if self.eof => Look::End,
            None => Look::More,
        }
    }

    /// The length of the character at `pos + k`: `None` when more input is needed to tell.
    fn char_len_at(&self, k: usize) -> Option<usize> {
        let first = *self.buf.get(self.pos + k)?;
        if first < 0x80 || !self.encoding.ascii_may_trail() {
            return Some(1);
        }
        let len = match self
            .encoding
            .char_len(first, self.buf.get(self.pos + k + 1).copied())
        {
            Some(len) => len,
            None if self.eof => 1,
            None => return None,
        };
        let available = self.buf.len() - self.pos - k;
        if len > available {
            if self.eof {
                Some(available)
            } else {
                None
            }
        } else {
            Some(len)
        }
    }

    /// Takes `n` bytes, into the statement when `keep`.
    fn consume(&mut self, n: usize, keep: bool) {
        let (from, to) = (self.pos, self.pos + n);
        if keep {
            self.stmt.extend_from_slice(&self.buf[from..to]);
        }
        match self.inject {
            Some((end, resume)) if to >= end => {
                self.line = resume + count_newlines(&self.buf[from.max(end)..to]);
                self.inject = None;
            }
            _ => self.line += count_newlines(&self.buf[from..to]),
        }
        self.pos = to;
    }

    fn begin_statement(&mut self) {
        if !self.stmt_started {
            self.stmt_started = true;
            self.stmt_line = self.line;
        }
    }

    /// A token other than a word starts.
    fn token(&mut self) {
        self.begin_statement();
        self.has_content = true;
        if self.token_count == 0 {
            self.first_word = FirstWord::Other;
        }
        self.token_count = self.token_count.saturating_add(1);
        self.after_from = false;
    }

    /// The word being read (an identifier or keyword) has ended.
    fn finish_word(&mut self) {
        if !self.in_word {
            return;
        }
        self.in_word = false;
        let word: &[u8] = if self.word_len <= WORD_CAP {
            &self.word[..self.word_len]
        } else {
            b""
        };
        let word = word.to_vec();
        let is = |w: &str| word == w.as_bytes();
        if self.token_count == 0 {
            self.first_word = if is("copy") {
                FirstWord::Copy
            } else if is("set") {
                FirstWord::Set
            } else if is("reset") {
                FirstWord::Reset
            } else {
                FirstWord::Other
            };
        }
        self.token_count = self.token_count.saturating_add(1);
        if self.first_word == FirstWord::Copy && self.paren_depth == 0 {
            if self.after_from && is("stdin") {
                self.copy_stdin = true;
            }
            self.after_from = is("from");
        } else {
            self.after_from = false;
        }
        // psql's heuristic for the BEGIN ... END of CREATE [OR REPLACE] FUNCTION|PROCEDURE bodies.
        if self.identifier_count == 0 {
            self.identifiers = [0; 4];
        }
        if ["create", "function", "procedure", "or", "replace"]
            .iter()
            .any(|w| is(w))
            && self.identifier_count < self.identifiers.len()
        {
            self.identifiers[self.identifier_count] = word[0];
        }
        self.identifier_count = self.identifier_count.saturating_add(1);
        let ids = self.identifiers;
        let routine = ids[0] == b'c'
            && (matches!(ids[1], b'f' | b'p')
                || (ids[1] == b'o' && ids[2] == b'r' && matches!(ids[3], b'f' | b'p')));
        if routine && self.paren_depth == 0 {
            if is("begin") {
                self.begin_depth = self.begin_depth.saturating_add(1);
            } else if is("case") {
                if self.begin_depth >= 1 {
                    self.begin_depth = self.begin_depth.saturating_add(1);
                }
            } else if is("end") && self.begin_depth > 0 {
                self.begin_depth -= 1;
            }
        }
    }

    fn reset_statement(&mut self) {
        self.stmt.clear();
        self.stmt_started = false;
        self.has_content = false;
        self.paren_depth = 0;
        self.begin_depth = 0;
        self.identifier_count = 0;
        self.in_word = false;
        self.word_len = 0;
        self.token_count = 0;
        self.first_word = FirstWord::None;
        self.after_from = false;
        self.copy_stdin = false;
        self.multi = false;
    }

    fn step(&mut self) -> Step {
        if !self.bom_checked {
            let bom = b"\xef\xbb\xbf";
            let have = self.avail();
            let n = have.len().min(3);
            if have[..n] != bom[..n] {
                self.bom_checked = true;
            } else if n == 3 {
                self.bom_checked = true;
                self.consume(3, false);
            } else if self.eof {
                self.bom_checked = true;
            } else {
                return Ok(Flow::NeedMore);
            }
            return Ok(Flow::Continue);
        }
        match self.state {
            State::Sql => self.step_sql(),
            State::LineComment => self.step_line_comment(),
            State::BlockComment { depth } => self.step_block_comment(depth),
            State::Quote(kind) => self.step_quote(kind),
            State::AfterQuote { kind, newline } => self.step_after_quote(kind, newline),
            State::AfterQuoteComment { kind } => self.step_after_quote_comment(kind),
            State::QuotedIdent => self.step_quoted_ident(),
            State::Dollar { .. } => self.step_dollar(),
            State::CopyRest => self.step_copy_rest(),
            State::CopyData { at_line_start } => self.step_copy_data(at_line_start),
        }
    }

    fn step_sql(&mut self) -> Step {
        let b = match self.look(0) {
            Look::Byte(b) => b,
            Look::More => return Ok(Flow::NeedMore),
            Look::End => return self.end_of_input(),
        };
        match b {
            _ if is_space(b) => {
                self.finish_word();
                let n = self.avail().iter().take_while(|&&b| is_space(b)).count();
                self.consume(n, self.stmt_started);
            }
            b'-' => match self.look(1) {
                Look::More => return Ok(Flow::NeedMore),
                Look::Byte(b'-') => {
                    self.finish_word();
                    self.consume(2, self.stmt_started);
                    self.state = State::LineComment;
                }
                _ => self.other(),
            },
            b'/' => match self.look(1) {
                Look::More => return Ok(Flow::NeedMore),
                Look::Byte(b'*') => {
                    self.finish_word();
                    self.begin_statement();
                    self.consume(2, true);
                    self.state = State::BlockComment { depth: 0 };
                }
                _ => self.other(),
            },
            b'\'' => {
                self.finish_word();
                self.token();
                self.consume(1, true);
                self.state = State::Quote(if self.std_strings {
                    Quote::Standard
                } else {
                    Quote::Escape
                });
            }
            b'"' => {
                self.finish_word();
                self.token();
                self.consume(1, true);
                self.state = State::QuotedIdent;
            }
            b'$' if self.in_word => self.word_bytes(1),
            b'$' => return self.dollar(),
            b'(' => {
                self.other();
                self.paren_depth = self.paren_depth.saturating_add(1);
            }
            b')' => {
                self.other();
                self.paren_depth = self.paren_depth.saturating_sub(1);
            }
            b';' => {
                self.finish_word();
                if self.paren_depth == 0 && self.begin_depth == 0 {
                    if self.has_content {
                        self.consume(1, true);
                        return self.complete_statement(false);
                    }
                    self.consume(1, false);
                    self.reset_statement();
                } else {
                    self.other();
                }
            }
            b'\\' => match self.look(1) {
                Look::More => return Ok(Flow::NeedMore),
                Look::Byte(c @ (b';' | b':')) => {
                    // psql puts the character alone into the statement.
                    self.finish_word();
                    self.token();
                    self.stmt.push(c);
                    self.consume(2, false);
                    if c == b';' {
                        // Several statements sent as one: the next is looked at as a statement of its own
                        // (a COPY FROM stdin among them is then refused by the server, not run blind).
                        self.identifier_count = 0;
                        self.token_count = 0;
                        self.first_word = FirstWord::None;
                        self.after_from = false;
                        self.multi = true;
                    }
                }
                _ => {
                    self.finish_word();
                    return self.meta_command();
                }
            },
            b'0'..=b'9' if self.in_word => self.word_bytes(1),
            _ if is_ident_start(b) => return self.word_char(b),
            _ => self.other(),
        }
        Ok(Flow::Continue)
    }

    /// One character that is a token of its own (or part of an operator or number).
    fn other(&mut self) {
        self.finish_word();
        self.token();
        self.consume(1, true);
    }

    /// `n` bytes that continue the current word (ASCII: recorded lower case).
    fn word_bytes(&mut self, n: usize) {
        for k in 0..n {
            let b = self.buf[self.pos + k];
            if self.word_len < WORD_CAP {
                self.word[self.word_len] = if b >= 0x80 {
                    0xff
                } else {
                    b.to_ascii_lowercase()
                };
            }
            self.word_len = self.word_len.saturating_add(1);
        }
        self.consume(n, true);
    }

    /// A letter, `_` or non-ASCII character: starts or continues a word, or starts a prefixed string.
    fn word_char(&mut self, b: u8) -> Step {
        if !self.in_word {
            // E'', B'', X'', N'', U&'' and U&"" only where a token starts.
            let next = self.look(1);
            if next == Look::More {
                return Ok(Flow::NeedMore);
            }
            let quote_next = next == Look::Byte(b'\'');
            match b {
                b'e' | b'E' if quote_next => {
                    self.token();
                    self.consume(2, true);
                    self.state = State::Quote(Quote::Escape);
                    return Ok(Flow::Continue);
                }
                b'b' | b'B' | b'x' | b'X' if quote_next => {
                    self.token();
                    self.consume(2, true);
                    self.state = State::Quote(Quote::Bits);
                    return Ok(Flow::Continue);
                }
                b'n' | b'N' if quote_next => {
                    // The N alone; the quote then starts an ordinary string.
                    self.token();
                    self.consume(1, true);
                    return Ok(Flow::Continue);
                }
                b'u' | b'U' if next == Look::Byte(b'&') => {
                    match self.look(2) {
                        Look::More => return Ok(Flow::NeedMore),
                        Look::Byte(b'\'') => {
                            self.token();
                            self.consume(3, true);
                            self.state = State::Quote(Quote::Standard);
                        }
                        Look::Byte(b'"') => {
                            self.token();
                            self.consume(3, true);
                            self.state = State::QuotedIdent;
                        }
                        _ => {
                            // psql's {xufailed}: the U alone.
                            self.token();
                            self.consume(1, true);
                        }
                    }
                    return Ok(Flow::Continue);
                }
                _ => {}
            }
            self.begin_statement();
            self.has_content = true;
            self.in_word = true;
            self.word_len = 0;
        }
        if b >= 0x80 {
            match self.char_len_at(0) {
                Some(len) => self.word_bytes(len),
                None => return Ok(Flow::NeedMore),
            }
        } else {
            let n = self
                .avail()
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'$')
                .count();
            self.word_bytes(n.max(1));
        }
        Ok(Flow::Continue)
    }

    /// A `$` where a token starts: a dollar-quote tag, or a lone `$` (as in `$1`).
    fn dollar(&mut self) -> Step {
        let tag_len = match self.look(1) {
            Look::More => return Ok(Flow::NeedMore),
            Look::Byte(b'$') => Some(2),
            Look::Byte(c) if is_ident_start(c) => {
                let mut i = 1;
                loop {
                    if i > MAX_TAG {
                        break None;
                    }
                    match self.look(i) {
                        Look::More => return Ok(Flow::NeedMore),
                        Look::End => break None,
                        Look::Byte(b'$') => break Some(i + 1),
                        Look::Byte(c) if is_dolq_cont(c) => match self.char_len_at(i) {
                            Some(len) => i += len,
                            None => return Ok(Flow::NeedMore),
                        },
                        Look::Byte(_) => break None,
                    }
                }
            }
            _ => None,
        };
        match tag_len {
            Some(len) => {
                let tag = self.buf[self.pos..self.pos + len].to_vec();
                self.token();
                self.consume(len, true);
                self.state = State::Dollar { tag };
            }
            None => self.other(),
        }
        Ok(Flow::Continue)
    }

    fn step_line_comment(&mut self) -> Step {
        if self.look(0) == Look::End {
            return self.end_of_input();
        }
        let keep = self.stmt_started;
        match self.avail().iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                self.consume(i, keep);
                self.state = State::Sql;
                Ok(Flow::Continue)
            }
            None => {
                let n = self.avail().len();
                self.consume(n, keep);
                Ok(if self.eof {
                    Flow::Continue
                } else {
                    Flow::NeedMore
                })
            }
        }
    }

    fn step_block_comment(&mut self, depth: u32) -> Step {
        if self.look(0) == Look::End {
            return self.end_of_input();
        }
        let i = match self.avail().iter().position(|&b| b == b'*' || b == b'/') {
            Some(i) => i,
            None => {
                let n = self.avail().len();
                self.consume(n, true);
                return Ok(if self.eof {
                    Flow::Continue
                } else {
                    Flow::NeedMore
                });
            }
        };
        self.consume(i, true);
        let b = self.buf[self.pos];
        match self.look(1) {
            Look::More => return Ok(Flow::NeedMore),
            Look::Byte(b'*') if b == b'/' => {
                self.consume(2, true);
                self.state = State::BlockComment {
                    depth: depth.saturating_add(1),
                };
            }
            Look::Byte(b'/') if b == b'*' => {
                self.consume(2, true);
                self.state = if depth == 0 {
                    State::Sql
                } else {
                    State::BlockComment { depth: depth - 1 }
                };
            }
            _ => self.consume(1, true),
        }
        Ok(Flow::Continue)
    }

    fn step_quote(&mut self, kind: Quote) -> Step {
        if self.look(0) == Look::End {
            return self.end_of_input();
        }
        // Find the next quote (and, in escape strings, backslash), stepping over whole characters where a
        // second byte can look like a backslash.
        let escapes = kind == Quote::Escape;
        let found = if escapes && self.encoding.ascii_may_trail() {
            let mut i = 0;
            let have = self.avail().len();
            loop {
                if i >= have {
                    break None;
                }
                let b = self.buf[self.pos + i];
                if b == b'\'' || b == b'\\' {
                    break Some(i);
                }
                match self.char_len_at(i) {
                    Some(len) => i += len,
                    None => {
                        self.consume(i, true);
                        return Ok(Flow::NeedMore);
                    }
                }
            }
        } else {
            self.avail()
                .iter()
                .position(|&b| b == b'\'' || (escapes && b == b'\\'))
        };
        let Some(i) = found else {
            let n = self.avail().len();
            self.consume(n, true);
            return Ok(if self.eof {
                Flow::Continue
            } else {
                Flow::NeedMore
            });
        };
        self.consume(i, true);
        if self.buf[self.pos] == b'\\' {
            // A backslash and the character after it.
            match self.look(1) {
                Look::More => return Ok(Flow::NeedMore),
                Look::End => self.consume(1, true),
                Look::Byte(_) => match self.char_len_at(1) {
                    Some(len) => self.consume(1 + len, true),
                    None => return Ok(Flow::NeedMore),
                },
            }
            return Ok(Flow::Continue);
        }
        match self.look(1) {
            Look::More => return Ok(Flow::NeedMore),
            Look::Byte(b'\'') if kind != Quote::Bits => self.consume(2, true),
            _ => {
                self.consume(1, true);
                self.state = State::AfterQuote {
                    kind,
                    newline: false,
                };
            }
        }
        Ok(Flow::Continue)
    }

    fn step_after_quote(&mut self, kind: Quote, newline: bool) -> Step {
        match self.look(0) {
            Look::More => return Ok(Flow::NeedMore),
            Look::End => self.state = State::Sql,
            Look::Byte(b' ' | b'\t' | 0x0c) => self.consume(1, true),
            // psql lexes line by line, without the line ends: a string never goes on across lines. A carriage
            // return inside a line is a newline to its lexer, though.
            Look::Byte(b'\n') => self.state = State::Sql,
            Look::Byte(b'\r') => match self.look(1) {
                Look::More => return Ok(Flow::NeedMore),
                Look::Byte(b'\n') | Look::End => self.state = State::Sql,
                Look::Byte(_) => {
                    self.consume(1, true);
                    self.state = State::AfterQuote {
                        kind,
                        newline: true,
                    };
                }
            },
            Look::Byte(b'-') => match self.look(1) {
                Look::More => return Ok(Flow::NeedMore),
                Look::Byte(b'-') => {
                    self.consume(2, true);
                    self.state = State::AfterQuoteComment { kind };
                }
                _ => self.state = State::Sql,
            },
            Look::Byte(b'\'') if newline => {
                self.consume(1, true);
                self.state = State::Quote(kind);
            }
            Look::Byte(_) => self.state = State::Sql,
        }
        Ok(Flow::Continue)
    }

    fn step_after_quote_comment(&mut self, kind: Quote) -> Step {
        if self.look(0) == Look::End {
            self.state = State::Sql;
            return Ok(Flow::Continue);
        }
        match self.avail().iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                self.consume(i, true);
                self.state = State::AfterQuote {
                    kind,
                    newline: false,
                };
                Ok(Flow::Continue)
            }
            None => {
                let n = self.avail().len();
                self.consume(n, true);
                Ok(if self.eof {
                    Flow::Continue
                } else {
                    Flow::NeedMore
                })
            }
        }
    }

    fn step_quoted_ident(&mut self) -> Step {
        if self.look(0) == Look::End {
            return self.end_of_input();
        }
        match self.avail().iter().position(|&b| b == b'"') {
            Some(i) => {
                // `""` inside is read as the end and the start of another identifier: the same for splitting.
                self.consume(i + 1, true);
                self.state = State::Sql;
                Ok(Flow::Continue)
            }
            None => {
                let n = self.avail().len();
                self.consume(n, true);
                Ok(if self.eof {
                    Flow::Continue
                } else {
                    Flow::NeedMore
                })
            }
        }
    }

    fn step_dollar(&mut self) -> Step {
        if self.look(0) == Look::End {
            return self.end_of_input();
        }
        let State::Dollar { tag } = &self.state else {
            return Ok(Flow::Continue);
        };
        let tag_len = tag.len();
        let have = self.avail();
        let found = have
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'$')
            .map(|(i, _)| i)
            .find(|&i| have[i..].starts_with(tag));
        match found {
            Some(i) => {
                self.consume(i + tag_len, true);
                self.state = State::Sql;
                Ok(Flow::Continue)
            }
            None if self.eof => {
                let n = have.len();
                self.consume(n, true);
                Ok(Flow::Continue)
            }
            None => {
                // Keep what could be the start of the closing tag.
                let n = have.len().saturating_sub(tag_len - 1);
                self.consume(n, true);
                Ok(Flow::NeedMore)
            }
        }
    }

    /// A backslash command at `pos`: it needs its whole line.
    fn meta_command(&mut self) -> Step {
        let have = self.avail();
        let end = match have.iter().position(|&b| b == b'\n') {
            Some(i) => i,
            None if self.eof => have.len(),
            None => return Ok(Flow::NeedMore),
        };
        let line = self.line;
        let parsed = match meta::parse(&have[..end], &self.encoding) {
            Ok(parsed) => parsed,
            Err(meta::Undecodable) => {
                return Err(SplitError {
                    line,
                    kind: SplitErrorKind::InvalidBytes {
                        encoding: self.encoding.name(),
                    },
                })
            }
        };
        self.consume(parsed.consumed, false);
        match &parsed.command {
            MetaCommand::Encoding { name: Some(name) } => {
                self.encoding = lookup_encoding(name, line)?;
            }
            MetaCommand::Connect(_) => {
                // A new session: psql's client encoding and the server's standard_conforming_strings start over.
                self.encoding = ScriptEncoding::UTF8;
                self.std_strings = true;
            }
            _ => {}
        }
        self.queue.push_back(Event::Meta {
            line,
            command: parsed.command,
        });
        Ok(Flow::Continue)
    }

    /// The statement read so far is complete (at its semicolon, or at the end of the input).
    fn complete_statement(&mut self, at_end: bool) -> Step {
        self.finish_word();
        let mut bytes = std::mem::take(&mut self.stmt);
        if at_end {
            while bytes.last().is_some_and(|&b| is_space(b)) {
                bytes.pop();
            }
        }
        let line = self.stmt_line;
        let text = match self.encoding.decode(&bytes) {
            Some(text) => text.into_owned(),
            None => {
                return Err(SplitError {
                    line,
                    kind: SplitErrorKind::InvalidBytes {
                        encoding: self.encoding.name(),
                    },
                })
            }
        };
        let first_word = self.first_word;
        let copy = self.copy_stdin;
        let multi = self.multi;
        self.reset_statement();
        if multi && text.to_ascii_lowercase().contains("client_encoding") {
            // It would change the connection's encoding.
            return Err(SplitError {
                line,
                kind: SplitErrorKind::EncodingStatement {
                    statement: first_line(&text).to_owned(),
                },
            });
        }
        if !multi
            && matches!(first_word, FirstWord::Set | FirstWord::Reset)
            && text.len() <= MAX_SET_STATEMENT
        {
            match parse_set(&text) {
                Setting::ClientEncoding(name) => {
                    let encoding = match name {
                        Some(name) => lookup_encoding(&name, line)?,
                        None => ScriptEncoding::UTF8,
                    };
                    self.encoding = encoding;
                    self.queue.push_back(Event::ClientEncoding {
                        line,
                        name: encoding.name(),
                    });
                    return Ok(Flow::Continue);
                }
                Setting::BadClientEncoding => {
                    return Err(SplitError {
                        line,
                        kind: SplitErrorKind::EncodingStatement {
                            statement: first_line(&text).to_owned(),
                        },
                    })
                }
                Setting::StandardConformingStrings(on) => self.std_strings = on,
                Setting::Other => {}
            }
        }
        self.queue.push_back(Event::Statement(Statement {
            text,
            line,
            copy_from_stdin: copy,
        }));
        if copy {
            self.copy = Some(CopyBlock {
                rest: Vec::new(),
                rest_line: self.line,
                pending: Vec::new(),
                pending_line: self.line + 1,
                decoder: self.encoding.stream_decoder(),
            });
            self.state = State::CopyRest;
        }
        Ok(Flow::Continue)
    }

    fn end_of_input(&mut self) -> Step {
        let unterminated = !matches!(
            self.state,
            State::Sql
                | State::LineComment
                | State::AfterQuote { .. }
                | State::AfterQuoteComment { .. }
        );
        self.finish_word();
        self.state = State::Sql;
        if self.has_content || (unterminated && self.stmt_started) {
            self.complete_statement(true)?;
            // A COPY statement at the very end has no data.
            if self.state != State::Sql {
                return Ok(Flow::Continue);
            }
        } else {
            self.reset_statement();
        }
        if self.pos >= self.buf.len() {
            self.done = true;
        }
        Ok(Flow::Continue)
    }

    fn step_copy_rest(&mut self) -> Step {
        let Some(copy) = &mut self.copy else {
            self.state = State::Sql;
            return Ok(Flow::Continue);
        };
        let have = &self.buf[self.pos..];
        match have.iter().position(|&b| b == b'\n') {
            Some(i) => {
                copy.rest.extend_from_slice(&have[..=i]);
                self.consume(i + 1, false);
                self.state = State::CopyData {
                    at_line_start: true,
                };
                Ok(Flow::Continue)
            }
            None => {
                copy.rest.extend_from_slice(have);
                let n = have.len();
                self.consume(n, false);
                if self.eof {
                    self.state = State::CopyData {
                        at_line_start: true,
                    };
                    Ok(Flow::Continue)
                } else {
                    Ok(Flow::NeedMore)
                }
            }
        }
    }

    fn step_copy_data(&mut self, at_line_start: bool) -> Step {
        if at_line_start {
            // `\.` alone on a line (or at the very end) ends the data.
            let marker = match self.look(0) {
                Look::More => return Ok(Flow::NeedMore),
                Look::End => return self.end_copy(0),
                Look::Byte(b'\\') => match self.look(1) {
                    Look::More => return Ok(Flow::NeedMore),
                    Look::Byte(b'.') => match self.look(2) {
                        Look::More => return Ok(Flow::NeedMore),
                        Look::End => Some(2),
                        Look::Byte(b'\n') => Some(3),
                        Look::Byte(b'\r') => match self.look(3) {
                            Look::More => return Ok(Flow::NeedMore),
                            Look::End => Some(3),
                            Look::Byte(b'\n') => Some(4),
                            Look::Byte(_) => None,
                        },
                        Look::Byte(_) => None,
                    },
                    _ => None,
                },
                Look::Byte(_) => None,
            };
            if let Some(n) = marker {
                return self.end_copy(n);
            }
        }
        let Some(copy) = &mut self.copy else {
            self.state = State::Sql;
            return Ok(Flow::Continue);
        };
        let room = self.copy_chunk.saturating_sub(copy.pending.len()).max(1);
        let have = &self.buf[self.pos..];
        if have.is_empty() {
            return if self.eof {
                self.end_copy(0)
            } else {
                Ok(Flow::NeedMore)
            };
        }
        let window = &have[..have.len().min(room)];
        let (n, line_end) = match window.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (window.len(), false),
        };
        if copy.pending.is_empty() {
            copy.pending_line = self.line;
        }
        copy.pending.extend_from_slice(&window[..n]);
        let full = copy.pending.len() >= self.copy_chunk;
        self.consume(n, false);
        self.state = State::CopyData {
            at_line_start: line_end,
        };
        if full {
            self.emit_copy_data(false)?;
        }
        Ok(Flow::Continue)
    }

    /// Reports the data held back; `last` at the end of the block.
    fn emit_copy_data(&mut self, last: bool) -> Result<(), SplitError> {
        let Some(copy) = &mut self.copy else {
            return Ok(());
        };
        let pending = std::mem::take(&mut copy.pending);
        if pending.is_empty() && !last {
            return Ok(());
        }
        match copy.decoder.decode(pending, last) {
            Ok(data) if data.is_empty() => Ok(()),
            Ok(data) => {
                self.queue.push_back(Event::CopyData(Bytes::from(data)));
                Ok(())
            }
            Err(bytes) => {
                // The first line that does not convert, for the message.
                let bad = bytes
                    .split_inclusive(|&b| b == b'\n')
                    .position(|line| self.encoding.decode(line).is_none())
                    .unwrap_or(0);
                Err(SplitError {
                    line: copy.pending_line + bad as u64,
                    kind: SplitErrorKind::InvalidBytes {
                        encoding: self.encoding.name(),
                    },
                })
            }
        }
    }

    /// The end of the data: the `\.` line of `marker` bytes (or the end of the input).
    fn end_copy(&mut self, marker: usize) -> Step {
        self.consume(marker, false);
        self.emit_copy_data(true)?;
        self.queue.push_back(Event::CopyEnd);
        self.state = State::Sql;
        if let Some(copy) = self.copy.take() {
            // The rest of the COPY statement's line comes next, on its own line number.
            if !copy.rest.iter().all(|&b| is_space(b)) {
                let end = self.pos + copy.rest.len();
                self.buf.splice(self.pos..self.pos, copy.rest);
                self.inject = Some((end, self.line));
                self.line = copy.rest_line;
            }
        }
        Ok(Flow::Continue)
    }
}

fn lookup_encoding(name: &str, line: u64) -> Result<ScriptEncoding, SplitError> {
    ScriptEncoding::from_pg_name(name).map_err(|e| SplitError {
        line,
        kind: match e {
            EncodingNameError::Unknown => SplitErrorKind::UnknownEncoding {
                name: name.to_owned(),
            },
            EncodingNameError::Unsupported(name) => SplitErrorKind::UnsupportedEncoding { name },
        },
    })
}

/// What a `SET` or `RESET` statement sets, of what the splitter follows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Setting {
    /// `client_encoding` (`None`: the default, which for pgferry's connections is UTF8).
    ClientEncoding(Option<String>),
    /// A `client_encoding` statement not understood.
    BadClientEncoding,
    StandardConformingStrings(bool),
    Other,
}

/// A token of a `SET` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SetToken {
    /// A word, lower case.
    Word(String),
    /// A quoted string or identifier, unquoted.
    Quoted(String),
    Punct(char),
}

/// The tokens of a short statement; `None` for anything unusual (which is then not looked into).
fn set_tokens(text: &str) -> Option<Vec<SetToken>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if c.is_whitespace() => {}
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => return None,
            '\'' | '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return None,
                        Some(q) if q == c => {
                            if chars.peek() == Some(&c) {
                                chars.next();
                                value.push(c);
                            } else {
                                break;
                            }
                        }
                        Some('\\') if c == '\'' => return None,
                        Some(other) => value.push(other),
                    }
                }
                tokens.push(SetToken::Quoted(value));
            }
            _ if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '+' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '.' || n == '$' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(SetToken::Word(word.to_lowercase()));
            }
            '=' | ';' | ',' => tokens.push(SetToken::Punct(c)),
            _ => return None,
        }
    }
    Some(tokens)
}

/// Reads `SET [SESSION|LOCAL] name {=|TO} value`, `SET NAMES value`, `RESET name` and `RESET ALL`.
fn parse_set(text: &str) -> Setting {
    let fail = if text.to_ascii_lowercase().contains("client_encoding")
        || text
            .split_whitespace()
            .nth(1)
            .is_some_and(|w| w.eq_ignore_ascii_case("names"))
    {
        Setting::BadClientEncoding
    } else {
        Setting::Other
    };
    let Some(mut tokens) = set_tokens(text) else {
        return fail;
    };
    if tokens.last() == Some(&SetToken::Punct(';')) {
        tokens.pop();
    }
    let mut it = tokens.into_iter().peekable();
    let name_of = |t: Option<SetToken>| match t {
        Some(SetToken::Word(w)) | Some(SetToken::Quoted(w)) => Some(w),
        _ => None,
    };
    let verb = match it.next() {
        Some(SetToken::Word(w)) => w,
        _ => return Setting::Other,
    };
    if verb == "reset" {
        let name = name_of(it.next());
        let setting = match name.as_deref() {
            Some("client_encoding") => Setting::ClientEncoding(None),
            Some("standard_conforming_strings") | Some("all") => {
                Setting::StandardConformingStrings(true)
            }
            _ => return Setting::Other,
        };
        return if it.next().is_some() { fail } else { setting };
    }
    if verb != "set" {
        return Setting::Other;
    }
    let mut name = name_of(it.next());
    if matches!(name.as_deref(), Some("session" | "local")) {
        if let Some(SetToken::Word(next)) = it.peek() {
            if next != "to" {
                name = name_of(it.next());
            }
        }
    }
    let names = match name.as_deref() {
        Some("names") => true,
        Some("client_encoding" | "standard_conforming_strings") => false,
        _ => return Setting::Other,
    };
    if !names {
        match it.next() {
            Some(SetToken::Punct('=')) => {}
            Some(SetToken::Word(w)) if w == "to" => {}
            _ => return fail,
        }
    }
    let value = match it.next() {
        Some(SetToken::Word(w)) if w == "default" => None,
        Some(SetToken::Word(w)) | Some(SetToken::Quoted(w)) => Some(w),
        None if names => None,
        _ => return fail,
    };
    if it.next().is_some() {
        return fail;
    }
    if names || name.as_deref() == Some("client_encoding") {
        return Setting::ClientEncoding(value);
    }
    match value {
        None => Setting::StandardConformingStrings(true),
        Some(value) => match meta::parse_bool(&value) {
            Some(on) => Setting::StandardConformingStrings(on),
            // The server refuses it: nothing changes.
            None => Setting::Other,
        },
    }
}

/// Splits a whole script at once: every event, or the first error.
pub fn split_all(script: &[u8]) -> Result<Vec<Event>, SplitError> {
    let mut splitter = Splitter::new();
    splitter.push(script);
    splitter.finish();
    let mut events = Vec::new();
    while let Some(event) = splitter.next_event()? {
        events.push(event);
    }
    Ok(events)
}

#[cfg(test)]
pub(crate) fn parse_set_for_tests(text: &str) -> String {
    format!("{:?}", parse_set(text))
}
