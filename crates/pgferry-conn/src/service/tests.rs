use std::fs;
use std::path::Path;

use super::*;
use crate::config::testenv::FakeEnv;

fn settings(text: &str, service: &str) -> Option<Vec<(&'static str, String)>> {
    find_service(text, Path::new("/test/pg_service.conf"), service).unwrap()
}

fn find_error(text: &str, service: &str) -> String {
    find_service(text, Path::new("/test/pg_service.conf"), service)
        .unwrap_err()
        .to_string()
}

#[test]
fn parses_the_named_section() {
    let text = "\
# comment
[other]
host=wrong

  [main]  
host=db.example.com
   port=5433   
# comment inside
dbname=app db
password=a=b
host=ignored-second
[next]
user=wrong
";
    assert_eq!(
        settings(text, "main").unwrap(),
        vec![
            ("host", "db.example.com".to_owned()),
            ("port", "5433".to_owned()),
            ("dbname", "app db".to_owned()),
            ("password", "a=b".to_owned()),
            ("host", "ignored-second".to_owned()),
        ]
    );
    assert_eq!(
        settings(text, "other").unwrap(),
        vec![("host", "wrong".to_owned())]
    );
    assert_eq!(settings(text, "absent"), None);
    assert_eq!(
        settings(text, "mai"),
        None,
        "a prefix of a section name is another name"
    );
    assert_eq!(
        settings("[main]\n", "main"),
        Some(vec![]),
        "an empty section exists"
    );
    assert_eq!(
        settings("[main] trailing\nhost=h\n", "main"),
        Some(vec![("host", "h".to_owned())])
    );
}

#[test]
fn errors_only_inside_the_section() {
    // Lines in other sections are not checked, as in libpq.
    assert_eq!(
        settings("[other]\nnonsense\nnosuch=1\n[main]\nhost=h\n", "main"),
        Some(vec![("host", "h".to_owned())])
    );

    assert_eq!(
        find_error("[main]\nnonsense\n", "main"),
        "syntax error in service file \"/test/pg_service.conf\", line 2"
    );
    assert_eq!(
        find_error("# c\n[main]\nhost=h\nnosuch=1\n", "main"),
        "invalid connection option \"nosuch\" in service file \"/test/pg_service.conf\", line 4"
    );
    assert_eq!(
        find_error("[main]\nhost = h\n", "main"),
        "invalid connection option \"host \" in service file \"/test/pg_service.conf\", line 2"
    );
    assert_eq!(
        find_error("[main]\nservice=other\n", "main"),
        "nested service specifications not supported in service file \"/test/pg_service.conf\", line 2"
    );
}

/// A home directory, a system directory and a file named by PGSERVICEFILE, all temporary.
struct Files {
    _dir: tempfile::TempDir,
    home: PathBuf,
    sysconf: PathBuf,
    explicit: PathBuf,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let sysconf = dir.path().join("etc");
        fs::create_dir(&home).unwrap();
        fs::create_dir(&sysconf).unwrap();
        let explicit = dir.path().join("explicit.conf");
        Files {
            _dir: dir,
            home,
            sysconf,
            explicit,
        }
    }

    fn user_file(&self, text: &str) -> &Files {
        fs::write(self.home.join(".pg_service.conf"), text).unwrap();
        self
    }

    fn system_file(&self, text: &str) -> &Files {
        fs::write(self.sysconf.join("pg_service.conf"), text).unwrap();
        self
    }

    fn env(&self) -> FakeEnv {
        FakeEnv::new()
            .home(&self.home)
            .with("PGSYSCONFDIR", self.sysconf.to_str().unwrap())
    }
}

fn apply_with(
    options: &mut Options,
    env: &FakeEnv,
) -> Result<Vec<(&'static str, String)>, ConfigError> {
    apply(options, env)?;
    Ok(["host", "port", "dbname", "user"]
        .into_iter()
        .filter_map(|k| options.get(k).map(|v| (k, v.to_owned())))
        .collect())
}

fn with_service(name: &str) -> Options {
    let mut options = Options::default();
    options.set("service", name.to_owned(), Origin::ConnString);
    options
}

#[test]
fn no_service_no_change() {
    let files = Files::new();
    files.user_file("[s]\nhost=h\n");
    let mut options = Options::default();
    assert_eq!(apply_with(&mut options, &files.env()).unwrap(), vec![]);
}

#[test]
fn user_file_wins_over_system_file() {
    let files = Files::new();
    files
        .user_file("[s]\nhost=user-host\n")
        .system_file("[s]\nhost=system-host\nport=1\n");
    // The first file that has the service is the only one read: port does not come from the system file.
    assert_eq!(
        apply_with(&mut with_service("s"), &files.env()).unwrap(),
        vec![("host", "user-host".to_owned())]
    );
}

#[test]
fn system_file_when_the_user_file_lacks_the_service() {
    let files = Files::new();
    files
        .user_file("[other]\nhost=user-host\n")
        .system_file("[s]\nhost=system-host\n");
    assert_eq!(
        apply_with(&mut with_service("s"), &files.env()).unwrap(),
        vec![("host", "system-host".to_owned())]
    );
    // Without a user file at all.
    let files = Files::new();
    files.system_file("[s]\nhost=system-host\n");
    assert_eq!(
        apply_with(&mut with_service("s"), &files.env()).unwrap(),
        vec![("host", "system-host".to_owned())]
    );
}

#[test]
fn pgservice_names_the_service() {
    let files = Files::new();
    files.user_file("[fromenv]\nhost=h\n");
    let env = files.env().with("PGSERVICE", "fromenv");
    assert_eq!(
        apply_with(&mut Options::default(), &env).unwrap(),
        vec![("host", "h".to_owned())]
    );
    // The keyword wins over PGSERVICE.
    files.user_file("[fromenv]\nhost=h\n[kw]\nhost=k\n");
    assert_eq!(
        apply_with(&mut with_service("kw"), &env).unwrap(),
        vec![("host", "k".to_owned())]
    );
}

#[test]
fn explicit_service_file_replaces_the_home_file() {
    let files = Files::new();
    files.user_file("[s]\nhost=home\n");
    fs::write(&files.explicit, "[s]\nhost=explicit\n").unwrap();
    let env = files
        .env()
        .with("PGSERVICEFILE", files.explicit.to_str().unwrap());
    assert_eq!(
        apply_with(&mut with_service("s"), &env).unwrap(),
        vec![("host", "explicit".to_owned())]
    );

    // The servicefile keyword wins over PGSERVICEFILE.
    let other = files.home.join("kw.conf");
    fs::write(&other, "[s]\nhost=keyword\n").unwrap();
    let mut options = with_service("s");
    options.set(
        "servicefile",
        other.to_str().unwrap().to_owned(),
        Origin::ConnString,
    );
    assert_eq!(
        apply_with(&mut options, &env).unwrap(),
        vec![("host", "keyword".to_owned())]
    );
}

#[test]
fn missing_explicit_file_is_an_error() {
    let files = Files::new();
    files.system_file("[s]\nhost=system\n");
    let env = files
        .env()
        .with("PGSERVICEFILE", "/nonexistent/pgferry/service.conf");
    let error = apply(&mut with_service("s"), &env).unwrap_err().to_string();
    assert!(
        error.starts_with("could not read service file \"/nonexistent/pgferry/service.conf\""),
        "{error}"
    );
}

#[test]
fn unknown_service_is_an_error() {
    let files = Files::new();
    files.user_file("[a]\n").system_file("[b]\n");
    let error = apply(&mut with_service("c"), &files.env()).unwrap_err();
    assert_eq!(error.to_string(), "definition of service \"c\" not found");
    // Also when there are no files at all.
    let error = apply(&mut with_service("c"), &FakeEnv::new()).unwrap_err();
    assert_eq!(error.to_string(), "definition of service \"c\" not found");
}

#[test]
fn explicit_settings_win_over_the_service() {
    let files = Files::new();
    files.user_file("[s]\nhost=service-host\nport=7000\n");
    let mut options = with_service("s");
    options.set("host", "explicit".to_owned(), Origin::ConnString);
    options.set("port", String::new(), Origin::ConnString);
    assert_eq!(
        apply_with(&mut options, &files.env()).unwrap(),
        vec![("host", "explicit".to_owned()), ("port", String::new())],
        "an empty explicit value is still explicit"
    );
    let path = files.home.join(".pg_service.conf");
    let mut options = with_service("s");
    apply(&mut options, &files.env()).unwrap();
    assert_eq!(
        options.entry("host"),
        Some(("service-host", &Origin::ServiceFile(path)))
    );
}

#[test]
fn errors_name_the_file_and_line() {
    let files = Files::new();
    files.user_file("[s]\nhost=h\nbogus=1\n");
    let error = apply(&mut with_service("s"), &files.env())
        .unwrap_err()
        .to_string();
    let path = files.home.join(".pg_service.conf");
    assert_eq!(
        error,
        format!(
            "invalid connection option \"bogus\" in service file \"{}\", line 3",
            path.display()
        )
    );
}
