//! The password file (`~/.pgpass`), read with libpq's rules.
//!
//! Each line is `hostname:port:database:username:password`. A field that is exactly `*` matches anything.
//! Inside a field, `\:` is a literal colon and `\\` a literal backslash (a backslash makes any character
//! literal). Lines starting with `#` are comments; the first matching line wins. Fields after the password
//! are ignored. A line that matches with an empty password ends the search without a password.
//!
//! On Unix, a file that is not a regular file, or that the group or others may access, is ignored with a
//! warning: a password file must be private. A missing file is ignored silently.

use std::path::Path;

use crate::Secret;

/// The password for `host`, `port`, `dbname` and `user` from the password file at `path`, if any.
///
/// `host` is the name to match: the caller maps a Unix socket in the default directory to `localhost`, as
/// libpq does. `port` is matched as text.
pub(crate) fn lookup(
    path: &Path,
    host: &str,
    port: &str,
    dbname: &str,
    user: &str,
) -> Option<Secret> {
    if dbname.is_empty() || user.is_empty() {
        return None;
    }
    // Like libpq's stat(): follows symlinks, and any failure means "no file".
    let metadata = std::fs::metadata(path).ok()?;
    if !is_private_file(path, &metadata) {
        return None;
    }
    let contents = match std::fs::read(path) {
        Ok(contents) => contents,
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "password file not readable; ignoring it");
            return None;
        }
    };
    let password = find_password(&contents, &[host, port, dbname, user])?;
    match String::from_utf8(password) {
        Ok(password) => Some(Secret::new(password)),
        Err(_) => {
            tracing::warn!(
                "password file \"{}\": the matching password is not valid UTF-8; ignoring it",
                path.display()
            );
            None
        }
    }
}

/// Whether the file may be used: a regular file with no group or other permission bits (Unix only).
#[cfg(unix)]
fn is_private_file(path: &Path, metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;

    if !metadata.is_file() {
        tracing::warn!(
            "password file \"{}\" is not a plain file; ignoring it",
            path.display()
        );
        return false;
    }
    if metadata.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less; \
             ignoring it",
            path.display()
        );
        return false;
    }
    true
}

#[cfg(not(unix))]
fn is_private_file(_path: &Path, _metadata: &std::fs::Metadata) -> bool {
    true
}

/// The de-escaped password of the first line of `contents` whose four first fields match `keys`.
///
/// Returns `None` when no line matches, or when the first matching line has an empty password.
fn find_password(contents: &[u8], keys: &[&str; 4]) -> Option<Vec<u8>> {
    for line in contents.split(|&b| b == b'\n') {
        if line.first() == Some(&b'#') {
            continue;
        }
        let line = strip_crlf(line);
        if line.is_empty() {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for key in keys {
            match match_field(rest, key.as_bytes()) {
                Some(after) => rest = after,
                None => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            let password = unescape_last_field(rest);
            return (!password.is_empty()).then_some(password);
        }
    }
    None
}

fn strip_crlf(mut line: &[u8]) -> &[u8] {
    while let [head @ .., b'\n' | b'\r'] = line {
        line = head;
    }
    line
}

/// If the field at the start of `rest` matches `key`, the text after the field's closing `:`.
///
/// A field is `*` (matches anything) or text in which a backslash makes the next byte literal. A field
/// without a closing `:` never matches, so lines with fewer than five fields are never used.
fn match_field<'a>(rest: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    if let Some(after) = rest.strip_prefix(b"*:") {
        return Some(after);
    }
    let mut i = 0;
    let mut matched = 0;
    loop {
        let mut c = *rest.get(i)?;
        let escaped = c == b'\\';
        if escaped {
            i += 1;
            c = *rest.get(i)?;
        }
        if c == b':' && !escaped {
            return (matched == key.len()).then(|| &rest[i + 1..]);
        }
        if key.get(matched) != Some(&c) {
            return None;
        }
        matched += 1;
        i += 1;
    }
}

/// The password field: up to the first unescaped `:` or the end, with backslash escapes removed. A
/// backslash at the very end stays.
fn unescape_last_field(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() && field[i] != b':' {
        if field[i] == b'\\' && i + 1 < field.len() {
            i += 1;
        }
        out.push(field[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
