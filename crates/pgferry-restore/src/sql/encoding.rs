//! The encodings a script can be written in: PostgreSQL's client encoding names, how the lexer finds character
//! boundaries in them, and their conversion to UTF-8 (the only encoding pgferry's connections use).
//!
//! pg_dump writes a database's text in the database's encoding and says so with `SET client_encoding = '...'`.
//! psql sends those bytes unchanged and the server converts them; pgferry's connections always speak UTF-8, so
//! the script is converted here instead, with [`encoding_rs`] for the multi-byte and most single-byte encodings.
//! `LATIN1` and `LATIN5` are converted by hand: the WHATWG tables that `encoding_rs` implements read those labels
//! as windows-1252 and windows-1254, which differ from ISO 8859-1 and -9 in the bytes 0x80 to 0x9F.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::{DecoderResult, Encoding};

/// A script encoding: one of PostgreSQL's client encodings that pgferry can convert to UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ScriptEncoding {
    /// PostgreSQL's name for it (`UTF8`, `LATIN1`, `SJIS`, ...).
    name: &'static str,
    kind: Kind,
    lead: Lead,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// UTF-8: checked, not converted.
    Utf8,
    /// SQL_ASCII: bytes passed on unchanged, so they must be UTF-8.
    SqlAscii,
    /// ISO 8859-1: every byte is the code point of the same value.
    Latin1,
    /// ISO 8859-9: ISO 8859-1 but for six Turkish letters.
    Latin5,
    /// Anything else `encoding_rs` converts.
    Whatwg(&'static Encoding),
}

/// How the lexer finds where a character ends. PostgreSQL calls the encodings whose second byte may look like
/// ASCII (a backslash or a quote in disguise) "client-only": SJIS, BIG5, GBK, UHC and GB18030.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lead {
    /// Every byte with the high bit set is part of a multi-byte character made only of such bytes (or the
    /// encoding is single-byte): a byte below 0x80 is always an ASCII character.
    Safe,
    /// Shift JIS: 0xA1-0xDF are one-byte katakana, other high bytes start two-byte characters.
    Sjis,
    /// BIG5, GBK, UHC: a high byte starts a two-byte character.
    TwoByte,
    /// GB18030: a high byte starts a two-byte character, or a four-byte one when the second byte is a digit.
    Gb18030,
}

/// Why an encoding name was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodingNameError {
    /// PostgreSQL has no encoding of that name.
    Unknown,
    /// A PostgreSQL encoding (its canonical name) that pgferry cannot convert.
    Unsupported(&'static str),
}

impl fmt::Debug for ScriptEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for ScriptEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl Default for ScriptEncoding {
    fn default() -> ScriptEncoding {
        ScriptEncoding::UTF8
    }
}

/// PostgreSQL's encoding names and aliases (as `clean_encoding_name` reduces them: ASCII letters and digits,
/// lower case) with the canonical name each stands for.
const ALIASES: &[(&str, &str)] = &[
    ("abc", "WIN1258"),
    ("alt", "WIN866"),
    ("big5", "BIG5"),
    ("euccn", "EUC_CN"),
    ("eucjis2004", "EUC_JIS_2004"),
    ("eucjp", "EUC_JP"),
    ("euckr", "EUC_KR"),
    ("euctw", "EUC_TW"),
    ("gb18030", "GB18030"),
    ("gbk", "GBK"),
    ("iso88591", "LATIN1"),
    ("iso885910", "LATIN6"),
    ("iso885913", "LATIN7"),
    ("iso885914", "LATIN8"),
    ("iso885915", "LATIN9"),
    ("iso885916", "LATIN10"),
    ("iso88592", "LATIN2"),
    ("iso88593", "LATIN3"),
    ("iso88594", "LATIN4"),
    ("iso88595", "ISO_8859_5"),
    ("iso88596", "ISO_8859_6"),
    ("iso88597", "ISO_8859_7"),
    ("iso88598", "ISO_8859_8"),
    ("iso88599", "LATIN5"),
    ("johab", "JOHAB"),
    ("koi8", "KOI8R"),
    ("koi8r", "KOI8R"),
    ("koi8u", "KOI8U"),
    ("latin1", "LATIN1"),
    ("latin10", "LATIN10"),
    ("latin2", "LATIN2"),
    ("latin3", "LATIN3"),
    ("latin4", "LATIN4"),
    ("latin5", "LATIN5"),
    ("latin6", "LATIN6"),
    ("latin7", "LATIN7"),
    ("latin8", "LATIN8"),
    ("latin9", "LATIN9"),
    ("mskanji", "SJIS"),
    ("muleinternal", "MULE_INTERNAL"),
    ("shiftjis", "SJIS"),
    ("shiftjis2004", "SHIFT_JIS_2004"),
    ("sjis", "SJIS"),
    ("sqlascii", "SQL_ASCII"),
    ("tcvn", "WIN1258"),
    ("tcvn5712", "WIN1258"),
    ("uhc", "UHC"),
    ("unicode", "UTF8"),
    ("utf8", "UTF8"),
    ("vscii", "WIN1258"),
    ("win", "WIN1251"),
    ("win1250", "WIN1250"),
    ("win1251", "WIN1251"),
    ("win1252", "WIN1252"),
    ("win1253", "WIN1253"),
    ("win1254", "WIN1254"),
    ("win1255", "WIN1255"),
    ("win1256", "WIN1256"),
    ("win1257", "WIN1257"),
    ("win1258", "WIN1258"),
    ("win866", "WIN866"),
    ("win874", "WIN874"),
    ("win932", "SJIS"),
    ("win936", "GBK"),
    ("win949", "UHC"),
    ("win950", "BIG5"),
    ("windows1250", "WIN1250"),
    ("windows1251", "WIN1251"),
    ("windows1252", "WIN1252"),
    ("windows1253", "WIN1253"),
    ("windows1254", "WIN1254"),
    ("windows1255", "WIN1255"),
    ("windows1256", "WIN1256"),
    ("windows1257", "WIN1257"),
    ("windows1258", "WIN1258"),
    ("windows866", "WIN866"),
    ("windows874", "WIN874"),
    ("windows932", "SJIS"),
    ("windows936", "GBK"),
    ("windows949", "UHC"),
    ("windows950", "BIG5"),
];

impl ScriptEncoding {
    /// UTF-8, the encoding a script is read in until it says otherwise.
    pub const UTF8: ScriptEncoding = ScriptEncoding {
        name: "UTF8",
        kind: Kind::Utf8,
        lead: Lead::Safe,
    };

    /// The encoding PostgreSQL calls `name` (any of its spellings and aliases: `LATIN1`, `latin-1`,
    /// `ISO_8859_1`, `WIN1252`, `Windows-1252`, `SJIS`, `Shift_JIS`, ...).
    pub fn from_pg_name(name: &str) -> Result<ScriptEncoding, EncodingNameError> {
        let clean: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let canonical = ALIASES
            .iter()
            .find(|(alias, _)| *alias == clean)
            .map(|(_, canonical)| *canonical)
            .ok_or(EncodingNameError::Unknown)?;
        let whatwg = |encoding: &'static Encoding, lead: Lead| ScriptEncoding {
            name: canonical,
            kind: Kind::Whatwg(encoding),
            lead,
        };
        Ok(match canonical {
            "UTF8" => ScriptEncoding::UTF8,
            "SQL_ASCII" => ScriptEncoding {
                name: canonical,
                kind: Kind::SqlAscii,
                lead: Lead::Safe,
            },
            "LATIN1" => ScriptEncoding {
                name: canonical,
                kind: Kind::Latin1,
                lead: Lead::Safe,
            },
            "LATIN5" => ScriptEncoding {
                name: canonical,
                kind: Kind::Latin5,
                lead: Lead::Safe,
            },
            "LATIN2" => whatwg(encoding_rs::ISO_8859_2, Lead::Safe),
            "LATIN3" => whatwg(encoding_rs::ISO_8859_3, Lead::Safe),
            "LATIN4" => whatwg(encoding_rs::ISO_8859_4, Lead::Safe),
            "LATIN6" => whatwg(encoding_rs::ISO_8859_10, Lead::Safe),
            "LATIN7" => whatwg(encoding_rs::ISO_8859_13, Lead::Safe),
            "LATIN8" => whatwg(encoding_rs::ISO_8859_14, Lead::Safe),
            "LATIN9" => whatwg(encoding_rs::ISO_8859_15, Lead::Safe),
            "LATIN10" => whatwg(encoding_rs::ISO_8859_16, Lead::Safe),
            "ISO_8859_5" => whatwg(encoding_rs::ISO_8859_5, Lead::Safe),
            "ISO_8859_6" => whatwg(encoding_rs::ISO_8859_6, Lead::Safe),
            "ISO_8859_7" => whatwg(encoding_rs::ISO_8859_7, Lead::Safe),
            "ISO_8859_8" => whatwg(encoding_rs::ISO_8859_8, Lead::Safe),
            "WIN1250" => whatwg(encoding_rs::WINDOWS_1250, Lead::Safe),
            "WIN1251" => whatwg(encoding_rs::WINDOWS_1251, Lead::Safe),
            "WIN1252" => whatwg(encoding_rs::WINDOWS_1252, Lead::Safe),
            "WIN1253" => whatwg(encoding_rs::WINDOWS_1253, Lead::Safe),
            "WIN1254" => whatwg(encoding_rs::WINDOWS_1254, Lead::Safe),
            "WIN1255" => whatwg(encoding_rs::WINDOWS_1255, Lead::Safe),
            "WIN1256" => whatwg(encoding_rs::WINDOWS_1256, Lead::Safe),
            "WIN1257" => whatwg(encoding_rs::WINDOWS_1257, Lead::Safe),
            "WIN1258" => whatwg(encoding_rs::WINDOWS_1258, Lead::Safe),
            "WIN866" => whatwg(encoding_rs::IBM866, Lead::Safe),
            "WIN874" => whatwg(encoding_rs::WINDOWS_874, Lead::Safe),
            "KOI8R" => whatwg(encoding_rs::KOI8_R, Lead::Safe),
            "KOI8U" => whatwg(encoding_rs::KOI8_U, Lead::Safe),
            "EUC_JP" => whatwg(encoding_rs::EUC_JP, Lead::Safe),
            // EUC-CN is GB2312, which the GBK decoder reads (a superset).
            "EUC_CN" => whatwg(encoding_rs::GBK, Lead::Safe),
            "EUC_KR" => whatwg(encoding_rs::EUC_KR, Lead::Safe),
            "SJIS" => whatwg(encoding_rs::SHIFT_JIS, Lead::Sjis),
            "BIG5" => whatwg(encoding_rs::BIG5, Lead::TwoByte),
            "GBK" => whatwg(encoding_rs::GBK, Lead::TwoByte),
            // UHC is Windows code page 949, which the WHATWG standard calls EUC-KR.
            "UHC" => whatwg(encoding_rs::EUC_KR, Lead::TwoByte),
            "GB18030" => whatwg(encoding_rs::GB18030, Lead::Gb18030),
            // EUC_TW, EUC_JIS_2004, SHIFT_JIS_2004, MULE_INTERNAL, JOHAB.
            other => return Err(EncodingNameError::Unsupported(other)),
        })
    }

    /// PostgreSQL's canonical name: `UTF8`, `LATIN1`, `SJIS`, ...
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether a byte below 0x80 can be the second byte of a character (SJIS, BIG5, GBK, UHC, GB18030): then
    /// the lexer must step over whole characters where a backslash matters.
    pub(crate) fn ascii_may_trail(&self) -> bool {
        self.lead != Lead::Safe
    }

    /// How many bytes the character starting with `first` takes, given the byte after it (`None` when it is
    /// not known yet, or there is none). `None` when that cannot be told without the next byte.
    pub(crate) fn char_len(&self, first: u8, next: Option<u8>) -> Option<usize> {
        if first < 0x80 {
            return Some(1);
        }
        match self.lead {
            Lead::Safe => Some(1),
            Lead::Sjis if (0xa1..=0xdf).contains(&first) => Some(1),
            Lead::Sjis | Lead::TwoByte => Some(2),
            Lead::Gb18030 => next.map(|b| if b.is_ascii_digit() { 4 } else { 2 }),
        }
    }

    /// `bytes` (a whole statement or argument) as UTF-8, or `None` when they are not valid in this encoding.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
        match self.kind {
            Kind::Utf8 | Kind::SqlAscii => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            Kind::Latin1 | Kind::Latin5 => {
                if bytes.is_ascii() {
                    // ASCII is the same in every supported encoding.
                    return std::str::from_utf8(bytes).ok().map(Cow::Borrowed);
                }
                Some(Cow::Owned(
                    bytes.iter().map(|&b| self.single_byte(b)).collect(),
                ))
            }
            Kind::Whatwg(encoding) => {
                encoding.decode_without_bom_handling_and_without_replacement(bytes)
            }
        }
    }

    fn single_byte(&self, b: u8) -> char {
        if self.kind == Kind::Latin5 {
            match b {
                0xd0 => return '\u{011e}',
                0xdd => return '\u{0130}',
                0xde => return '\u{015e}',
                0xf0 => return '\u{011f}',
                0xfd => return '\u{0131}',
                0xfe => return '\u{015f}',
                _ => {}
            }
        }
        char::from(b)
    }

    /// A converter for text that arrives in pieces (COPY data), which may split characters.
    pub fn stream_decoder(&self) -> StreamDecoder {
        StreamDecoder {
            encoding: *self,
            carry: Vec::new(),
            decoder: match self.kind {
                Kind::Whatwg(encoding) => Some(encoding.new_decoder_without_bom_handling()),
                _ => None,
            },
        }
    }
}

/// Converts text that arrives in pieces to UTF-8, keeping a character split between two pieces for the next.
pub struct StreamDecoder {
    encoding: ScriptEncoding,
    /// UTF-8 and SQL_ASCII: the start of a character the last piece ended in.
    carry: Vec<u8>,
    decoder: Option<encoding_rs::Decoder>,
}

impl fmt::Debug for StreamDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamDecoder")
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl StreamDecoder {
    /// The next piece as UTF-8 (possibly empty, when it holds only the start of a character); `last` says it is
    /// the final one. When the bytes are not valid in the encoding (or the text ends inside a character), the
    /// error gives them back (with the start of a character the previous piece ended in).
    pub fn decode(&mut self, piece: Vec<u8>, last: bool) -> Result<Vec<u8>, Vec<u8>> {
        match self.encoding.kind {
            Kind::Utf8 | Kind::SqlAscii => {
                let mut bytes = if self.carry.is_empty() {
                    piece
                } else {
                    let mut joined = std::mem::take(&mut self.carry);
                    joined.extend_from_slice(&piece);
                    joined
                };
                match std::str::from_utf8(&bytes) {
                    Ok(_) => Ok(bytes),
                    Err(e) if e.error_len().is_none() && !last => {
                        self.carry = bytes.split_off(e.valid_up_to());
                        Ok(bytes)
                    }
                    Err(_) => Err(bytes),
                }
            }
            Kind::Latin1 | Kind::Latin5 => {
                if piece.is_ascii() {
                    return Ok(piece);
                }
                let text: String = piece
                    .iter()
                    .map(|&b| self.encoding.single_byte(b))
                    .collect();
                Ok(text.into_bytes())
            }
            Kind::Whatwg(_) => {
                let Some(decoder) = self.decoder.as_mut() else {
                    return Err(piece);
                };
                let mut out = String::with_capacity(
                    decoder
                        .max_utf8_buffer_length_without_replacement(piece.len())
                        .unwrap_or(piece.len().saturating_mul(3).saturating_add(16)),
                );
                let mut read = 0;
                loop {
                    let (result, n) = decoder.decode_to_string_without_replacement(
                        &piece[read..],
                        &mut out,
                        last,
                    );
                    read += n;
                    match result {
                        DecoderResult::InputEmpty => return Ok(out.into_bytes()),
                        DecoderResult::OutputFull => out.reserve(piece.len() - read + 16),
                        DecoderResult::Malformed(_, _) => return Err(piece),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        for (name, canonical) in [
            ("LATIN1", "LATIN1"),
            ("latin-1", "LATIN1"),
            ("ISO_8859_1", "LATIN1"),
            ("Windows-1252", "WIN1252"),
            ("Shift_JIS", "SJIS"),
            ("UNICODE", "UTF8"),
            ("SQL_ASCII", "SQL_ASCII"),
            ("koi8", "KOI8R"),
            ("EUC_KR", "EUC_KR"),
        ] {
            assert_eq!(
                ScriptEncoding::from_pg_name(name).unwrap().name(),
                canonical
            );
        }
        assert_eq!(
            ScriptEncoding::from_pg_name("klingon"),
            Err(EncodingNameError::Unknown)
        );
        assert_eq!(
            ScriptEncoding::from_pg_name("MULE_INTERNAL"),
            Err(EncodingNameError::Unsupported("MULE_INTERNAL"))
        );
        assert_eq!(
            ScriptEncoding::from_pg_name("EUC_TW"),
            Err(EncodingNameError::Unsupported("EUC_TW"))
        );
    }

    #[test]
    fn latin_conversions() {
        let latin1 = ScriptEncoding::from_pg_name("LATIN1").unwrap();
        assert_eq!(latin1.decode(b"caf\xe9 \x80").unwrap(), "café \u{80}");
        let latin5 = ScriptEncoding::from_pg_name("LATIN5").unwrap();
        assert_eq!(latin5.decode(b"\xdd\xfe\xe9").unwrap(), "İşé");
        let latin9 = ScriptEncoding::from_pg_name("LATIN9").unwrap();
        assert_eq!(latin9.decode(b"\xa4").unwrap(), "€");
        let win1252 = ScriptEncoding::from_pg_name("WIN1252").unwrap();
        assert_eq!(win1252.decode(b"\x80").unwrap(), "€");
    }

    #[test]
    fn invalid_bytes() {
        assert!(ScriptEncoding::UTF8.decode(b"caf\xe9").is_none());
        let ascii = ScriptEncoding::from_pg_name("SQL_ASCII").unwrap();
        assert!(ascii.decode(b"caf\xe9").is_none());
        assert_eq!(ascii.decode("café".as_bytes()).unwrap(), "café");
        let sjis = ScriptEncoding::from_pg_name("SJIS").unwrap();
        assert!(sjis.decode(b"\x81").is_none());
    }

    #[test]
    fn streams_split_characters() {
        for name in ["UTF8", "SJIS", "GB18030", "EUC_JP", "LATIN1"] {
            let encoding = ScriptEncoding::from_pg_name(name).unwrap();
            let text = "表 ka€ 𝄞 é x";
            let bytes: Vec<u8> = match name {
                "UTF8" => text.as_bytes().to_vec(),
                "LATIN1" => b"caf\xe9 x".to_vec(),
                _ => {
                    let target = Encoding::for_label(name.as_bytes())
                        .or_else(|| Encoding::for_label(b"euc-jp"))
                        .unwrap();
                    let (bytes, _, _) = target.encode("表 ka x");
                    bytes.into_owned()
                }
            };
            let whole = encoding.decode(&bytes).unwrap().into_owned();
            for cut in 0..=bytes.len() {
                let mut stream = encoding.stream_decoder();
                let mut out = stream.decode(bytes[..cut].to_vec(), false).unwrap();
                out.extend(stream.decode(bytes[cut..].to_vec(), true).unwrap());
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    whole,
                    "{name} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn character_lengths() {
        let sjis = ScriptEncoding::from_pg_name("SJIS").unwrap();
        assert!(sjis.ascii_may_trail());
        assert_eq!(sjis.char_len(b'a', None), Some(1));
        assert_eq!(sjis.char_len(0xb1, None), Some(1));
        assert_eq!(sjis.char_len(0x95, Some(0x5c)), Some(2));
        let gb = ScriptEncoding::from_pg_name("GB18030").unwrap();
        assert_eq!(gb.char_len(0x81, None), None);
        assert_eq!(gb.char_len(0x81, Some(0x30)), Some(4));
        assert_eq!(gb.char_len(0x81, Some(0x40)), Some(2));
        assert!(!ScriptEncoding::UTF8.ascii_may_trail());
    }
}
