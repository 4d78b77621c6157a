use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn find(contents: &str, host: &str, port: &str, dbname: &str, user: &str) -> Option<String> {
    find_password(contents.as_bytes(), &[host, port, dbname, user])
        .map(|p| String::from_utf8(p).unwrap())
}

#[test]
fn matching_rules() {
    let file = "\
# a comment line: host:5432:db:user:nope
db.example.com:5432:app:alice:first
db.example.com:5432:app:alice:second
*:5432:app:bob:bob-any-host
db.example.com:*:*:carol:carol-any
*:*:*:*:fallback
";
    let cases = [
        (("db.example.com", "5432", "app", "alice"), Some("first")),
        (("other", "5432", "app", "bob"), Some("bob-any-host")),
        (
            ("db.example.com", "6000", "other", "carol"),
            Some("carol-any"),
        ),
        (("db.example.com", "5433", "app", "alice"), Some("fallback")),
        (("db.example.com", "5432", "app", "dave"), Some("fallback")),
    ];
    for ((host, port, dbname, user), expected) in cases {
        assert_eq!(
            find(file, host, port, dbname, user).as_deref(),
            expected,
            "{host} {port} {dbname} {user}"
        );
    }
}

#[test]
fn fields_must_match_exactly() {
    let file = "db:5432:app:alice:pw\n";
    assert_eq!(
        find(file, "db", "5432", "app", "alice").as_deref(),
        Some("pw")
    );
    assert_eq!(
        find(file, "d", "5432", "app", "alice"),
        None,
        "a prefix of the field is not a match"
    );
    assert_eq!(
        find(file, "dbx", "5432", "app", "alice"),
        None,
        "the field is not a prefix match"
    );
    assert_eq!(
        find(file, "DB", "5432", "app", "alice"),
        None,
        "case matters"
    );
    assert_eq!(
        find(file, "db", "05432", "app", "alice"),
        None,
        "ports compare as text"
    );
}

#[test]
fn star_is_a_wildcard_only_as_a_whole_field() {
    let file = "d*:5432:app:alice:pw\n";
    assert_eq!(find(file, "db", "5432", "app", "alice"), None);
    assert_eq!(
        find(file, "d*", "5432", "app", "alice").as_deref(),
        Some("pw")
    );
}

#[test]
fn escapes() {
    let file = "\
h\\:x:5432:d\\\\b:u:p\\:w\\\\d\\x
";
    // host "h:x", database "d\b", password "p:w\dx"
    assert_eq!(
        find(file, "h:x", "5432", "d\\b", "u").as_deref(),
        Some("p:w\\dx")
    );
    assert_eq!(find(file, "h", "5432", "d\\b", "u"), None);

    // The password ends at an unescaped colon; later fields are ignored.
    assert_eq!(
        find("h:1:d:u:pass:extra\n", "h", "1", "d", "u").as_deref(),
        Some("pass")
    );
    // A trailing backslash is kept.
    assert_eq!(
        find("h:1:d:u:pass\\\n", "h", "1", "d", "u").as_deref(),
        Some("pass\\")
    );
}

#[test]
fn line_handling() {
    // CRLF line ends, a comment that would match, lines with too few fields, blank lines.
    let file = "#h:1:d:u:commented\r\n\r\nh:1:d:u\r\nh:1:d\n\nh:1:d:u:crlf\r\n";
    assert_eq!(find(file, "h", "1", "d", "u").as_deref(), Some("crlf"));
    // The last line need not end with a newline.
    assert_eq!(
        find("h:1:d:u:last", "h", "1", "d", "u").as_deref(),
        Some("last")
    );
    // A '#' is only a comment at the start of a line.
    assert_eq!(
        find(" #h:1:d:u:x\n", " #h", "1", "d", "u").as_deref(),
        Some("x")
    );
}

#[test]
fn first_match_with_an_empty_password_ends_the_search() {
    let file = "h:1:d:u:\n*:*:*:*:later\n";
    assert_eq!(find(file, "h", "1", "d", "u"), None);
    assert_eq!(find(file, "other", "1", "d", "u").as_deref(), Some("later"));
}

fn write_file(dir: &Path, contents: &str, mode: u32) -> PathBuf {
    let path = dir.join("pgpass");
    fs::write(&path, contents).unwrap();
    set_mode(&path, mode);
    path
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[test]
fn reads_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o600, 0o400] {
        let path = write_file(dir.path(), "db:5432:app:alice:s3cret\n", mode);
        let found = lookup(&path, "db", "5432", "app", "alice");
        assert_eq!(
            found.as_ref().map(Secret::expose),
            Some("s3cret"),
            "mode {mode:o}"
        );
    }
}

#[cfg(unix)]
#[test]
fn ignores_files_others_can_access() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o640, 0o604, 0o644, 0o660, 0o610, 0o601] {
        let path = write_file(dir.path(), "db:5432:app:alice:s3cret\n", mode);
        assert_eq!(
            lookup(&path, "db", "5432", "app", "alice"),
            None,
            "mode {mode:o}"
        );
    }
}

#[cfg(unix)]
#[test]
fn ignores_a_path_that_is_not_a_plain_file() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("pgpass");
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(lookup(&sub, "db", "5432", "app", "alice"), None);
}

#[cfg(unix)]
#[test]
fn follows_symlinks_like_stat() {
    let dir = tempfile::tempdir().unwrap();
    let target = write_file(dir.path(), "db:5432:app:alice:via-link\n", 0o600);
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_eq!(
        lookup(&link, "db", "5432", "app", "alice")
            .as_ref()
            .map(Secret::expose),
        Some("via-link")
    );
}

#[test]
fn missing_file_or_missing_keys_give_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        lookup(&dir.path().join("absent"), "db", "5432", "app", "alice"),
        None
    );
    let path = write_file(dir.path(), "*:*:*:*:pw\n", 0o600);
    assert_eq!(
        lookup(&path, "db", "5432", "", "alice"),
        None,
        "no database name"
    );
    assert_eq!(lookup(&path, "db", "5432", "app", ""), None, "no user name");
}
