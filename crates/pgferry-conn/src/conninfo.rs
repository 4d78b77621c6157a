//! Connection strings, parsed the way libpq parses them: `key=value` lists and `postgresql://` URIs.
//!
//! Parsing yields [`Options`]: the keywords a source set, each with its value and where it came from. An
//! empty value counts as set (libpq keeps `host=''` and only later treats it as "use the default"). Nothing
//! in this module reads the environment or any file; `config` merges the sources and `service` reads
//! service files.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::ConfigError;

/// One connection keyword libpq knows.
#[derive(Debug)]
pub(crate) struct Keyword {
    /// The keyword as written in a connection string.
    pub(crate) name: &'static str,
    /// The environment variable that supplies a value when no other source did.
    pub(crate) env: Option<&'static str>,
    /// Whether the value is a secret, never to appear in a message or a log.
    pub(crate) secret: bool,
}

const fn kw(name: &'static str, env: Option<&'static str>) -> Keyword {
    Keyword {
        name,
        env,
        secret: false,
    }
}

const fn secret(name: &'static str) -> Keyword {
    Keyword {
        name,
        env: None,
        secret: true,
    }
}

/// Every keyword libpq 18 accepts, with its environment variable.
///
/// Accepting a keyword does not mean pgferry implements it: `config` refuses the values of unimplemented
/// keywords that would change behaviour. `PGPASSWORD` is the one secret with an environment variable.
pub(crate) const KEYWORDS: &[Keyword] = &[
    kw("service", Some("PGSERVICE")),
    kw("servicefile", Some("PGSERVICEFILE")),
    kw("user", Some("PGUSER")),
    Keyword {
        name: "password",
        env: Some("PGPASSWORD"),
        secret: true,
    },
    kw("passfile", Some("PGPASSFILE")),
    kw("require_auth", Some("PGREQUIREAUTH")),
    kw("channel_binding", Some("PGCHANNELBINDING")),
    kw("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    kw("dbname", Some("PGDATABASE")),
    kw("host", Some("PGHOST")),
    kw("hostaddr", Some("PGHOSTADDR")),
    kw("port", Some("PGPORT")),
    kw("client_encoding", Some("PGCLIENTENCODING")),
    kw("options", Some("PGOPTIONS")),
    kw("application_name", Some("PGAPPNAME")),
    kw("fallback_application_name", None),
    kw("keepalives", None),
    kw("keepalives_idle", None),
    kw("keepalives_interval", None),
    kw("keepalives_count", None),
    kw("tcp_user_timeout", None),
    kw("sslmode", Some("PGSSLMODE")),
    kw("sslnegotiation", Some("PGSSLNEGOTIATION")),
    kw("sslcompression", Some("PGSSLCOMPRESSION")),
    kw("sslcert", Some("PGSSLCERT")),
    kw("sslkey", Some("PGSSLKEY")),
    kw("sslcertmode", Some("PGSSLCERTMODE")),
    secret("sslpassword"),
    kw("sslkeylogfile", None),
    kw("sslrootcert", Some("PGSSLROOTCERT")),
    kw("sslcrl", Some("PGSSLCRL")),
    kw("sslcrldir", Some("PGSSLCRLDIR")),
    kw("sslsni", Some("PGSSLSNI")),
    kw("requirepeer", Some("PGREQUIREPEER")),
    kw("ssl_min_protocol_version", Some("PGSSLMINPROTOCOLVERSION")),
    kw("ssl_max_protocol_version", Some("PGSSLMAXPROTOCOLVERSION")),
    kw("min_protocol_version", Some("PGMINPROTOCOLVERSION")),
    kw("max_protocol_version", Some("PGMAXPROTOCOLVERSION")),
    kw("gssencmode", Some("PGGSSENCMODE")),
    kw("krbsrvname", Some("PGKRBSRVNAME")),
    kw("gsslib", Some("PGGSSLIB")),
    kw("gssdelegation", Some("PGGSSDELEGATION")),
    kw("replication", None),
    kw("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    kw("load_balance_hosts", Some("PGLOADBALANCEHOSTS")),
    kw("oauth_issuer", None),
    kw("oauth_client_id", None),
    secret("oauth_client_secret"),
    kw("oauth_scope", None),
    secret("scram_client_key"),
    secret("scram_server_key"),
];

/// The keyword called `name`, if libpq knows it. Names are case-sensitive, as in libpq.
pub(crate) fn keyword(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

/// Where a setting came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The connection string (the database-name argument, a URI or `key=value` list).
    ConnString,
    /// [`crate::Overrides`]: the `-h`, `-p`, `-U` options and a prompted password.
    Override,
    /// A service file.
    ServiceFile(PathBuf),
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::ConnString => f.write_str("the connection string"),
            Origin::Override => f.write_str("the command-line options"),
            Origin::ServiceFile(path) => write!(f, "service file \"{}\"", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// The keywords one or more sources set, each with its value and origin.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Options {
    values: BTreeMap<&'static str, (String, Origin)>,
}

impl Options {
    /// The value of `name`, if some source set it (possibly to the empty string).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(value, _)| value.as_str())
    }

    /// The value of `name` with its origin.
    pub(crate) fn entry(&self, name: &str) -> Option<(&str, &Origin)> {
        self.values
            .get(name)
            .map(|(value, origin)| (value.as_str(), origin))
    }

    /// Whether some source set `name`.
    pub(crate) fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Sets `keyword`, replacing any earlier value.
    pub(crate) fn set(&mut self, keyword: &'static str, value: String, origin: Origin) {
        self.values.insert(keyword, (value, origin));
    }

    /// Sets `keyword` unless a source already did.
    pub(crate) fn set_if_unset(&mut self, keyword: &'static str, value: String, origin: Origin) {
        self.values.entry(keyword).or_insert((value, origin));
    }

    /// Copies every setting of `other` over this one's.
    pub(crate) fn overlay(&mut self, other: Options) {
        self.values.extend(other.values);
    }

    /// Stores `value` under the keyword spelled `name`, mapping libpq's legacy `requiressl`.
    ///
    /// Returns `false` when `name` is not a keyword.
    fn store(&mut self, name: &str, value: String, origin: Origin) -> bool {
        // libpq still accepts requiressl: values starting with "1" mean require, anything else prefer.
        if name == "requiressl" {
            let mode = if value.starts_with('1') {
                "require"
            } else {
                "prefer"
            };
            self.set("sslmode", mode.to_owned(), origin);
            return true;
        }
        match keyword(name) {
            Some(k) => {
                self.set(k.name, value, origin);
                true
            }
            None => false,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, (value, _)) in &self.values {
            if keyword(name).is_some_and(|k| k.secret) {
                map.entry(name, &"********");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

const URI_PREFIXES: [&str; 2] = ["postgresql://", "postgres://"];

fn uri_prefix_len(s: &str) -> Option<usize> {
    URI_PREFIXES
        .iter()
        .find(|p| s.starts_with(*p))
        .map(|p| p.len())
}

/// Whether `s` is a connection string rather than a database name: it starts with `postgresql://` or
/// `postgres://`, or contains `=` anywhere (libpq's test, so `my=db` is a connection string).
pub(crate) fn is_connection_string(s: &str) -> bool {
    uri_prefix_len(s).is_some() || s.contains('=')
}

/// Parses a connection string, URI or `key=value` list, into the settings it names.
pub(crate) fn parse(s: &str) -> Result<Options, ConfigError> {
    match uri_prefix_len(s) {
        Some(prefix) => parse_uri(s, prefix),
        None => parse_key_values(s),
    }
}

/// C's `isspace` in the "C" locale, which libpq uses to separate `key=value` pairs.
pub(crate) fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

fn is_c_space_byte(b: u8) -> bool {
    is_c_space(char::from(b))
}

/// Parses `key = value key2='quoted \' value'`.
///
/// Whitespace may surround `=`. A value either starts with `'` and runs to the next unescaped `'`, or runs
/// to the next whitespace. In both forms a backslash makes the next character literal.
fn parse_key_values(s: &str) -> Result<Options, ConfigError> {
    let bytes = s.as_bytes();
    let mut options = Options::default();
    // After a secret keyword, text that fails to parse may be the rest of a secret with a space in it
    // (`password=two words`), so errors must not quote it.
    let mut after_secret: Option<&'static str> = None;
    let mut i = 0;
    while i < bytes.len() {
        if is_c_space_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && !is_c_space_byte(bytes[i]) {
            i += 1;
        }
        let name = &s[start..i];
        while i < bytes.len() && is_c_space_byte(bytes[i]) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(match after_secret {
                Some(keyword) => ConfigError::SyntaxAfterSecret { keyword },
                None => ConfigError::MissingEquals {
                    keyword: name.to_owned(),
                },
            });
        }
        i += 1;
        while i < bytes.len() && is_c_space_byte(bytes[i]) {
            i += 1;
        }
        let mut value = Vec::new();
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(ConfigError::UnterminatedQuote),
                    Some(b'\\') => {
                        if let Some(&next) = bytes.get(i + 1) {
                            value.push(next);
                            i += 2;
                        } else {
                            i += 1;
                        }
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(&c) = bytes.get(i) {
                i += 1;
                if is_c_space_byte(c) {
                    break;
                }
                if c == b'\\' {
                    if let Some(&next) = bytes.get(i) {
                        value.push(next);
                        i += 1;
                    }
                } else {
                    value.push(c);
                }
            }
        }
        // Only ASCII bytes (quotes, backslashes) were dropped, so the value is still UTF-8.
        let value = String::from_utf8_lossy(&value).into_owned();
        if !options.store(name, value, Origin::ConnString) {
            return Err(match after_secret {
                Some(keyword) => ConfigError::SyntaxAfterSecret { keyword },
                None => ConfigError::InvalidOption {
                    keyword: name.to_owned(),
                },
            });
        }
        after_secret = keyword(name).filter(|k| k.secret).map(|k| k.name);
    }
    Ok(options)
}

/// Parses `postgresql://[user[:password]@][host][:port][,...][/dbname][?param=value&...]`.
///
/// Follows libpq's parser, quirks included: the user part is recognised by an `@` before the first `/`;
/// hosts and ports are collected into comma-separated lists (so `h1:1,h2` gives `port=1,`); empty user,
/// password, host list and dbname are left unset; every part is percent-decoded after it is split out.
fn parse_uri(uri: &str, prefix_len: usize) -> Result<Options, ConfigError> {
    let bytes = uri.as_bytes();
    let len = bytes.len();
    let mut options = Options::default();
    let start = prefix_len;
    let mut p = start;

    // Credentials: an '@' that comes before any '/'.
    let mut q = start;
    while q < len && bytes[q] != b'@' && bytes[q] != b'/' {
        q += 1;
    }
    let has_credentials = q < len && bytes[q] == b'@';
    if has_credentials {
        let mut end = start;
        while bytes[end] != b':' && bytes[end] != b'@' {
            end += 1;
        }
        let user = &uri[start..end];
        if !user.is_empty() {
            options.set(
                "user",
                percent_decode(user, "user name")?,
                Origin::ConnString,
            );
        }
        if bytes[end] == b':' {
            let password_start = end + 1;
            end = password_start;
            while bytes[end] != b'@' {
                end += 1;
            }
            let password = &uri[password_start..end];
            if !password.is_empty() {
                options.set(
                    "password",
                    percent_decode(password, "password")?,
                    Origin::ConnString,
                );
            }
        }
        p = end + 1;
    }

    // One or more host[:port], separated by commas.
    let mut hosts = String::new();
    let mut ports = String::new();
    let mut terminator;
    loop {
        let host;
        if bytes.get(p) == Some(&b'[') {
            p += 1;
            let host_start = p;
            while p < len && bytes[p] != b']' {
                p += 1;
            }
            if p >= len {
                return Err(ConfigError::UnterminatedIpv6);
            }
            if p == host_start {
                return Err(ConfigError::EmptyIpv6);
            }
            host = &uri[host_start..p];
            p += 1;
            if p < len && !matches!(bytes[p], b':' | b'/' | b'?' | b',') {
                let character = uri[p..].chars().next().unwrap_or('?');
                return Err(ConfigError::UnexpectedUriCharacter {
                    character,
                    position: p + 1,
                });
            }
        } else {
            let host_start = p;
            while p < len && !matches!(bytes[p], b':' | b'/' | b'?' | b',') {
                p += 1;
            }
            host = &uri[host_start..p];
        }
        hosts.push_str(host);
        terminator = bytes.get(p).copied();
        if terminator == Some(b':') {
            p += 1;
            let port_start = p;
            while p < len && !matches!(bytes[p], b'/' | b'?' | b',') {
                p += 1;
            }
            ports.push_str(&uri[port_start..p]);
            terminator = bytes.get(p).copied();
        }
        if terminator != Some(b',') {
            break;
        }
        p += 1;
        hosts.push(',');
        ports.push(',');
    }
    if !hosts.is_empty() {
        options.set("host", percent_decode(&hosts, "host")?, Origin::ConnString);
    }
    // `user:pa/ss@host` has no credentials for libpq (the '@' comes after a '/'), so the start of the
    // password would be read as a port and quoted in the "invalid port number" error. Refuse it first.
    if !has_credentials
        && ports.bytes().any(|b| !b.is_ascii_digit() && b != b',')
        && uri[p..].contains('@')
    {
        return Err(ConfigError::UriSlashInCredentials);
    }
    if !ports.is_empty() {
        options.set("port", percent_decode(&ports, "port")?, Origin::ConnString);
    }

    // The path is the database name.
    if terminator.is_some() && terminator != Some(b'?') {
        p += 1;
        let dbname_start = p;
        while p < len && bytes[p] != b'?' {
            p += 1;
        }
        let dbname = &uri[dbname_start..p];
        terminator = bytes.get(p).copied();
        // An empty path leaves dbname unset, so PGDATABASE still applies.
        if !dbname.is_empty() {
            options.set(
                "dbname",
                percent_decode(dbname, "database name")?,
                Origin::ConnString,
            );
        }
    }

    if terminator.is_some() {
        parse_uri_query(&uri[p + 1..], &mut options)?;
    }
    Ok(options)
}

/// Parses the query part of a URI: `keyword=value` pairs separated by `&`, any connection keyword allowed.
fn parse_uri_query(query: &str, options: &mut Options) -> Result<(), ConfigError> {
    let mut after_secret: Option<&'static str> = None;
    let mut rest = query;
    while !rest.is_empty() {
        let (param, next) = match rest.find('&') {
            Some(amp) => (&rest[..amp], &rest[amp + 1..]),
            None => (rest, ""),
        };
        rest = next;
        let redact = |error: ConfigError| match after_secret {
            Some(keyword) => ConfigError::SyntaxAfterSecret { keyword },
            None => error,
        };
        let Some((raw_keyword, raw_value)) = param.split_once('=') else {
            return Err(redact(ConfigError::UriQueryMissingEquals {
                parameter: param.to_owned(),
            }));
        };
        if raw_value.contains('=') {
            return Err(redact(ConfigError::UriQueryExtraEquals {
                parameter: raw_keyword.to_owned(),
            }));
        }
        let name = percent_decode(raw_keyword, "query parameter name")?;
        let value = percent_decode(raw_value, &format!("value of query parameter \"{name}\""))?;
        // JDBC's ssl=true means sslmode=require; libpq accepts it for compatibility.
        let (name, value) = if name == "ssl" && value == "true" {
            ("sslmode".to_owned(), "require".to_owned())
        } else {
            (name, value)
        };
        if !options.store(&name, value, Origin::ConnString) {
            return Err(redact(ConfigError::InvalidUriQueryParameter {
                keyword: name,
            }));
        }
        after_secret = keyword(&name).filter(|k| k.secret).map(|k| k.name);
    }
    Ok(())
}

/// Decodes `%XY` sequences (hex digits in either case). `%00` is refused, as is a result that is not UTF-8.
///
/// `part` names the piece of the URI for error messages; the text itself is never quoted, since it may be
/// a password.
pub(crate) fn percent_decode(s: &str, part: &str) -> Result<String, ConfigError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hi = bytes.get(i + 1).and_then(|&b| hex_value(b));
        let lo = bytes.get(i + 2).and_then(|&b| hex_value(b));
        match (hi, lo) {
            (Some(0), Some(0)) => {
                return Err(ConfigError::PercentEncodedNul {
                    part: part.to_owned(),
                })
            }
            (Some(hi), Some(lo)) => out.push((hi << 4) | lo),
            _ => {
                return Err(ConfigError::InvalidPercentEncoding {
                    part: part.to_owned(),
                })
            }
        }
        i += 3;
    }
    String::from_utf8(out).map_err(|_| ConfigError::NotUtf8 {
        part: part.to_owned(),
    })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `value` written so that [`parse`] reads it back: bare when that is unambiguous, else in single quotes
/// with `'` and `\` escaped.
pub(crate) fn quote_value(value: &str) -> Cow<'_, str> {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| is_c_space(c) || c == '\'' || c == '\\');
    if plain {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
