use std::fs;

use super::testenv::FakeEnv;
use super::*;

fn resolve(input: &str, env: &FakeEnv) -> ConnConfig {
    ConnConfig::resolve(Some(input), &Overrides::default(), env)
        .unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn resolve_err(input: &str, env: &FakeEnv) -> String {
    match ConnConfig::resolve(Some(input), &Overrides::default(), env) {
        Ok(config) => panic!("{input:?} should fail, got {config:?}"),
        Err(e) => e.to_string(),
    }
}

fn tcp(host: &str, port: u16) -> Target {
    Target {
        host: Host::Tcp(host.to_owned()),
        hostaddr: None,
        port,
    }
}

fn socket(dir: &str, port: u16) -> Target {
    Target {
        host: Host::Socket(PathBuf::from(dir)),
        hostaddr: None,
        port,
    }
}

fn overrides(host: Option<&str>, port: Option<&str>, user: Option<&str>) -> Overrides {
    Overrides {
        host: host.map(str::to_owned),
        port: port.map(str::to_owned),
        user: user.map(str::to_owned),
        ..Overrides::default()
    }
}

#[test]
fn defaults() {
    let config = ConnConfig::resolve(None, &Overrides::default(), &FakeEnv::new()).unwrap();
    assert_eq!(config.targets, vec![socket("/run/test-socket", 5432)]);
    assert_eq!(config.user, "osuser");
    assert_eq!(config.dbname, "osuser");
    assert_eq!(config.password, None);
    assert_eq!(
        config.passfile, None,
        "no home directory, no default password file"
    );
    assert_eq!(config.sslmode, SslMode::Prefer);
    assert_eq!(config.sslrootcert, None);
    assert!(config.sslsni);
    assert!(config.keepalives);
    assert_eq!(config.connect_timeout, None);
    assert_eq!(config.options, None);
    assert_eq!(config.application_name, None);
    assert_eq!(config.service, None);
    assert_eq!(config.home_dir, None);

    let config = ConnConfig::resolve(
        None,
        &Overrides::default(),
        &FakeEnv::new().home("/home/me"),
    )
    .unwrap();
    assert_eq!(config.passfile, Some(PathBuf::from("/home/me/.pgpass")));
    assert_eq!(config.home_dir, Some(PathBuf::from("/home/me")));
}

#[test]
fn no_user_anywhere_is_an_error() {
    let mut env = FakeEnv::new();
    env.user = None;
    let error = ConnConfig::resolve(None, &Overrides::default(), &env).unwrap_err();
    assert!(matches!(error, ConfigError::NoUser), "{error}");
    assert_eq!(resolve("user=u", &env).dbname, "u");
}

#[test]
fn bare_word_is_a_database_name() {
    let env = FakeEnv::new();
    for name in ["mydb", "my db", "postgresql:/x", "with'quote"] {
        let config = resolve(name, &env);
        assert_eq!(config.dbname, name);
        assert_eq!(config.targets, vec![socket("/run/test-socket", 5432)]);
    }
}

#[test]
fn input_and_dash_d() {
    let env = FakeEnv::new();
    let dash_d = Overrides {
        dbname: Some("from_d".to_owned()),
        ..Overrides::default()
    };
    assert_eq!(
        ConnConfig::resolve(None, &dash_d, &env).unwrap().dbname,
        "from_d"
    );
    assert_eq!(
        ConnConfig::resolve(Some("positional"), &dash_d, &env)
            .unwrap()
            .dbname,
        "positional"
    );
    assert_eq!(
        ConnConfig::resolve(Some(""), &dash_d, &env).unwrap().dbname,
        "from_d",
        "empty input is no input"
    );
    let dash_d = Overrides {
        dbname: Some("host=h dbname=x".to_owned()),
        ..Overrides::default()
    };
    let config = ConnConfig::resolve(None, &dash_d, &env).unwrap();
    assert_eq!(
        (config.targets, config.dbname.as_str()),
        (vec![tcp("h", 5432)], "x")
    );
}

#[test]
fn connection_string_wins_over_overrides() {
    let env = FakeEnv::new();
    let o = overrides(Some("cli-host"), Some("1111"), Some("cli-user"));

    // pg_dump -h cli-host -p 1111 -U cli-user "host=str-host user=str-user"
    let config = ConnConfig::resolve(Some("host=str-host user=str-user"), &o, &env).unwrap();
    assert_eq!(config.targets, vec![tcp("str-host", 1111)]);
    assert_eq!(config.user, "str-user");

    // A plain database name leaves the overrides alone.
    let config = ConnConfig::resolve(Some("db"), &o, &env).unwrap();
    assert_eq!(config.targets, vec![tcp("cli-host", 1111)]);
    assert_eq!(
        (config.user.as_str(), config.dbname.as_str()),
        ("cli-user", "db")
    );

    // An empty value in the connection string still replaces the override (and then means "default").
    let config = ConnConfig::resolve(Some("host='' dbname=db"), &o, &env).unwrap();
    assert_eq!(config.targets, vec![socket("/run/test-socket", 1111)]);

    // URI forms too; an empty URI host leaves the override.
    let config = ConnConfig::resolve(Some("postgresql://u@uri-host:2222/db"), &o, &env).unwrap();
    assert_eq!(config.targets, vec![tcp("uri-host", 2222)]);
    let config = ConnConfig::resolve(Some("postgresql:///db"), &o, &env).unwrap();
    assert_eq!(config.targets, vec![tcp("cli-host", 1111)]);

    // The password override loses to the connection string's.
    let o = Overrides {
        password: Some(Secret::new("prompted".to_owned())),
        ..Overrides::default()
    };
    let config = ConnConfig::resolve(Some("password=instring"), &o, &env).unwrap();
    assert_eq!(
        config.password.as_ref().map(Secret::expose),
        Some("instring")
    );
    let config = ConnConfig::resolve(Some("db"), &o, &env).unwrap();
    assert_eq!(
        config.password.as_ref().map(Secret::expose),
        Some("prompted")
    );

    // Empty override values are ignored.
    let config =
        ConnConfig::resolve(Some("db"), &overrides(Some(""), Some(""), Some("")), &env).unwrap();
    assert_eq!(
        (config.targets, config.user.as_str()),
        (vec![socket("/run/test-socket", 5432)], "osuser")
    );
}

#[test]
fn environment_fills_what_is_unset() {
    let env = FakeEnv::new()
        .with("PGHOST", "env-host")
        .with("PGPORT", "6543")
        .with("PGUSER", "env-user")
        .with("PGDATABASE", "env-db")
        .with("PGPASSWORD", "env-pw")
        .with("PGAPPNAME", "env-app")
        .with("PGOPTIONS", "-c geqo=off")
        .with("PGSSLMODE", "require")
        .with("PGSSLROOTCERT", "/env/root.crt")
        .with("PGSSLCERT", "/env/client.crt")
        .with("PGSSLKEY", "/env/client.key")
        .with("PGSSLSNI", "0")
        .with("PGCONNECT_TIMEOUT", "10")
        .with("PGPASSFILE", "/env/pgpass");
    let config = ConnConfig::resolve(None, &Overrides::default(), &env).unwrap();
    assert_eq!(config.targets, vec![tcp("env-host", 6543)]);
    assert_eq!(config.user, "env-user");
    assert_eq!(config.dbname, "env-db");
    assert_eq!(config.password.as_ref().map(Secret::expose), Some("env-pw"));
    assert_eq!(config.application_name.as_deref(), Some("env-app"));
    assert_eq!(config.options.as_deref(), Some("-c geqo=off"));
    assert_eq!(config.sslmode, SslMode::Require);
    assert_eq!(config.sslrootcert.as_deref(), Some("/env/root.crt"));
    assert_eq!(config.sslcert, Some(PathBuf::from("/env/client.crt")));
    assert_eq!(config.sslkey, Some(PathBuf::from("/env/client.key")));
    assert!(!config.sslsni);
    assert_eq!(config.connect_timeout, Some(Duration::from_secs(10)));
    assert_eq!(config.passfile, Some(PathBuf::from("/env/pgpass")));

    // Overrides and connection strings win over the environment.
    let config = ConnConfig::resolve(
        Some("dbname=s sslmode=disable"),
        &overrides(Some("o"), None, Some("ou")),
        &env,
    )
    .unwrap();
    assert_eq!(config.targets, vec![tcp("o", 6543)]);
    assert_eq!((config.user.as_str(), config.dbname.as_str()), ("ou", "s"));
    assert_eq!(config.sslmode, SslMode::Disable);

    // An empty environment value counts as set: PGHOST="" means the default socket, not a later source.
    let config = ConnConfig::resolve(
        None,
        &Overrides::default(),
        &FakeEnv::new().with("PGHOST", ""),
    )
    .unwrap();
    assert_eq!(config.targets, vec![socket("/run/test-socket", 5432)]);
    // An empty URI database name leaves PGDATABASE in force.
    assert_eq!(
        resolve(
            "postgresql://h/",
            &FakeEnv::new().with("PGDATABASE", "envdb")
        )
        .dbname,
        "envdb"
    );
    // dbname='' forces the default (the user name) over PGDATABASE.
    assert_eq!(
        resolve("dbname=''", &FakeEnv::new().with("PGDATABASE", "envdb")).dbname,
        "osuser"
    );
}

#[test]
fn pgrequiressl_is_below_pgsslmode() {
    let env = FakeEnv::new().with("PGREQUIRESSL", "1");
    assert_eq!(resolve("db", &env).sslmode, SslMode::Require);
    assert_eq!(
        resolve("db", &env.clone().with("PGSSLMODE", "verify-ca")).sslmode,
        SslMode::VerifyCa
    );
    assert_eq!(resolve("sslmode=disable", &env).sslmode, SslMode::Disable);
    assert_eq!(
        resolve("db", &FakeEnv::new().with("PGREQUIRESSL", "0")).sslmode,
        SslMode::Prefer
    );
}

#[test]
fn service_sits_between_explicit_settings_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.conf");
    fs::write(
        &file,
        "[prod]\nhost=svc-host\nport=7000\ndbname=svc-db\nsslmode=verify-full\n",
    )
    .unwrap();
    let env = FakeEnv::new()
        .with("PGSERVICEFILE", file.to_str().unwrap())
        .with("PGHOST", "env-host")
        .with("PGUSER", "env-user")
        .with("PGPORT", "9999");

    let config = resolve("service=prod", &env);
    assert_eq!(
        config.targets,
        vec![tcp("svc-host", 7000)],
        "service beats the environment"
    );
    assert_eq!(
        config.user, "env-user",
        "the environment fills what the service leaves unset"
    );
    assert_eq!(config.dbname, "svc-db");
    assert_eq!(config.sslmode, SslMode::VerifyFull);
    assert_eq!(config.service.as_deref(), Some("prod"));

    let config = ConnConfig::resolve(
        Some("service=prod dbname=mine"),
        &overrides(None, Some("1"), None),
        &env,
    )
    .unwrap();
    assert_eq!(
        config.targets,
        vec![tcp("svc-host", 1)],
        "explicit settings beat the service"
    );
    assert_eq!(config.dbname, "mine");

    let config = ConnConfig::resolve(
        Some("db"),
        &Overrides::default(),
        &env.clone().with("PGSERVICE", "prod"),
    )
    .unwrap();
    assert_eq!(config.targets, vec![tcp("svc-host", 7000)]);
    assert_eq!(config.dbname, "db");
    assert_eq!(config.service.as_deref(), Some("prod"));

    assert_eq!(
        resolve_err("service=nope", &env),
        "definition of service \"nope\" not found"
    );
}

#[test]
fn uri_socket_directories_and_ipv6() {
    let env = FakeEnv::new();
    let cases = [
        (
            "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
            vec![socket("/var/run/postgresql", 5432)],
        ),
        (
            "postgresql:///db?host=/tmp&port=5433",
            vec![socket("/tmp", 5433)],
        ),
        ("postgresql:///db", vec![socket("/run/test-socket", 5432)]),
        ("postgresql://[::1]:5433/db", vec![tcp("::1", 5433)]),
        (
            "postgresql://[::1],localhost:1/db",
            vec![tcp("::1", 5432), tcp("localhost", 1)],
        ),
        (
            "postgresql://h1:1,h2:2,h3:3/db",
            vec![tcp("h1", 1), tcp("h2", 2), tcp("h3", 3)],
        ),
        (
            "postgresql://,/db",
            vec![
                socket("/run/test-socket", 5432),
                socket("/run/test-socket", 5432),
            ],
        ),
        ("host=@abstract port=1", vec![socket("@abstract", 1)]),
    ];
    for (input, expected) in cases {
        assert_eq!(resolve(input, &env).targets, expected, "{input}");
    }
    let config = resolve(
        "postgresql://alice:p%40ss@h/db?ssl=true&application_name=x",
        &env,
    );
    assert_eq!(config.user, "alice");
    assert_eq!(config.password.as_ref().map(Secret::expose), Some("p@ss"));
    assert_eq!(config.sslmode, SslMode::Require);
    assert_eq!(config.application_name.as_deref(), Some("x"));
}

#[test]
fn multiple_hosts_and_ports() {
    let env = FakeEnv::new();
    let cases = [
        (
            "host=a,b,c port=1",
            vec![tcp("a", 1), tcp("b", 1), tcp("c", 1)],
        ),
        (
            "host=a,b,c port=1,2,3",
            vec![tcp("a", 1), tcp("b", 2), tcp("c", 3)],
        ),
        ("host=a,b port=,2", vec![tcp("a", 5432), tcp("b", 2)]),
        (
            "host=a,,/sock",
            vec![
                tcp("a", 5432),
                socket("/run/test-socket", 5432),
                socket("/sock", 5432),
            ],
        ),
        ("host=a,b", vec![tcp("a", 5432), tcp("b", 5432)]),
        ("port=7", vec![socket("/run/test-socket", 7)]),
        ("host=a port=' 8 '", vec![tcp("a", 8)]),
    ];
    for (input, expected) in cases {
        assert_eq!(resolve(input, &env).targets, expected, "{input}");
    }

    assert_eq!(
        resolve_err("host=a,b,c port=1,2", &env),
        "could not match 2 port numbers to 3 hosts"
    );
    assert_eq!(
        resolve_err("host=a port=1,2", &env),
        "could not match 2 port numbers to 1 hosts"
    );
    assert_eq!(
        resolve_err("host=a,b hostaddr=1.2.3.4", &env),
        "could not match 2 host names to 1 hostaddr values"
    );
}

#[test]
fn hostaddr() {
    let env = FakeEnv::new();
    let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
    let config = resolve("hostaddr=10.0.0.1", &env);
    assert_eq!(
        config.targets,
        vec![Target {
            host: Host::Tcp("10.0.0.1".into()),
            hostaddr: ip("10.0.0.1"),
            port: 5432
        }]
    );
    let config = resolve("host=db.example.com hostaddr=10.0.0.1 port=1", &env);
    assert_eq!(
        config.targets,
        vec![Target {
            host: Host::Tcp("db.example.com".into()),
            hostaddr: ip("10.0.0.1"),
            port: 1
        }]
    );
    let config = resolve("host=a,b hostaddr=::1,", &env);
    assert_eq!(
        config.targets,
        vec![
            Target {
                host: Host::Tcp("a".into()),
                hostaddr: ip("::1"),
                port: 5432
            },
            tcp("b", 5432)
        ]
    );
    assert_eq!(
        resolve_err("hostaddr=not-an-ip", &env),
        "invalid hostaddr value: \"not-an-ip\" is not an IP address (from the connection string)"
    );
}

#[test]
fn ports_are_checked() {
    let env = FakeEnv::new();
    for port in ["0", "65536", "-1", "abc", "12x", "99999999999"] {
        let error = resolve_err(&format!("port={port}"), &env);
        assert_eq!(
            error,
            format!("invalid port number: \"{port}\" (from the connection string)")
        );
    }
    assert_eq!(resolve("port=65535", &env).targets[0].port, 65535);
    let error = ConnConfig::resolve(
        None,
        &Overrides::default(),
        &FakeEnv::new().with("PGPORT", "x"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid port number: \"x\" (from environment variable PGPORT)"
    );
    let error = ConnConfig::resolve(None, &overrides(None, Some("0"), None), &env).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid port number: \"0\" (from the command-line options)"
    );
}

#[test]
fn connect_timeout() {
    let env = FakeEnv::new();
    let cases = [
        ("0", None),
        ("-5", None),
        ("1", Some(2)),
        ("2", Some(2)),
        (" 30 ", Some(30)),
        ("+7", Some(7)),
    ];
    for (value, expected) in cases {
        let config = resolve(&format!("connect_timeout='{value}'"), &env);
        assert_eq!(
            config.connect_timeout,
            expected.map(Duration::from_secs),
            "{value:?}"
        );
    }
    for value in ["", "abc", "1.5", "99999999999"] {
        assert_eq!(
            resolve_err(&format!("connect_timeout='{value}'"), &env),
            format!(
                "invalid integer value \"{value}\" for connection option \"connect_timeout\" (from the connection string)"
            )
        );
    }
}

#[test]
fn keepalives_and_tcp_settings() {
    let env = FakeEnv::new();
    let config = resolve(
        "keepalives=1 keepalives_idle=60 keepalives_interval=-3 keepalives_count=5 tcp_user_timeout=1500",
        &env,
    );
    assert!(config.keepalives);
    assert_eq!(config.keepalives_idle, Some(Duration::from_secs(60)));
    assert_eq!(
        config.keepalives_interval,
        Some(Duration::ZERO),
        "negative means 0, as in libpq"
    );
    assert_eq!(config.keepalives_count, Some(5));
    assert_eq!(config.tcp_user_timeout, Some(Duration::from_millis(1500)));

    for (value, expected) in [
        ("0", false),
        ("00", false),
        ("1", true),
        ("2", true),
        ("-1", true),
        ("''", false),
    ] {
        assert_eq!(
            resolve(&format!("keepalives={value}"), &env).keepalives,
            expected,
            "{value}"
        );
    }
    assert!(resolve_err("keepalives=yes", &env).contains("\"keepalives\""));
    assert!(resolve_err("keepalives_idle=x", &env).contains("\"keepalives_idle\""));
}

#[test]
fn sslmode_values() {
    let env = FakeEnv::new();
    for mode in [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ] {
        assert_eq!(mode.as_str().parse::<SslMode>().unwrap(), mode);
        assert_eq!(mode.to_string(), mode.as_str());
        assert_eq!(resolve(&format!("sslmode={mode}"), &env).sslmode, mode);
    }
    assert_eq!(SslMode::default(), SslMode::Prefer);
    assert_eq!(
        "Require".parse::<SslMode>().unwrap_err().to_string(),
        "invalid sslmode value: \"Require\""
    );
    assert_eq!(
        resolve_err("sslmode=on", &env),
        "invalid sslmode value: \"on\" (from the connection string)"
    );
    assert_eq!(
        ConnConfig::resolve(
            None,
            &Overrides::default(),
            &FakeEnv::new().with("PGSSLMODE", "")
        )
        .unwrap_err()
        .to_string(),
        "invalid sslmode value: \"\" (from environment variable PGSSLMODE)"
    );
}

#[test]
fn sslrootcert_system() {
    let env = FakeEnv::new();
    let config = resolve("sslrootcert=system", &env);
    assert_eq!(
        config.sslmode,
        SslMode::VerifyFull,
        "system roots raise the default mode"
    );
    assert_eq!(config.sslrootcert.as_deref(), Some("system"));
    assert_eq!(
        resolve("sslrootcert=system sslmode=verify-full", &env).sslmode,
        SslMode::VerifyFull
    );
    assert_eq!(
        resolve_err("sslrootcert=system sslmode=require", &env),
        "weak sslmode \"require\" may not be used with sslrootcert=system (use \"verify-full\")"
    );
    assert!(resolve_err(
        "sslrootcert=system",
        &FakeEnv::new().with("PGREQUIRESSL", "1")
    )
    .contains("weak sslmode"));
    assert_eq!(
        resolve("sslrootcert=/x/root.crt", &env).sslmode,
        SslMode::Prefer
    );
    assert_eq!(resolve("sslrootcert=''", &env).sslrootcert, None);
}

#[test]
fn sslsni_follows_libpq() {
    let env = FakeEnv::new();
    for (value, expected) in [
        ("1", true),
        ("0", false),
        ("''", false),
        ("10", true),
        ("on", false),
    ] {
        assert_eq!(
            resolve(&format!("sslsni={value}"), &env).sslsni,
            expected,
            "{value}"
        );
    }
}

#[test]
fn accepted_values_of_unimplemented_keywords() {
    let env = FakeEnv::new();
    for input in [
        "channel_binding=disable",
        "channel_binding=prefer",
        "gssencmode=disable",
        "gssencmode=prefer",
        "sslnegotiation=postgres",
        "sslcertmode=allow",
        "target_session_attrs=any",
        "load_balance_hosts=disable",
        "client_encoding=UTF8",
        "client_encoding=utf-8",
        "client_encoding=unicode",
        "client_encoding=auto",
        "replication=false",
        "replication=0",
        "replication=off",
        "replication=no",
        "require_auth=''",
        "sslcompression=0",
        "sslcrl='' sslcrldir='' sslpassword='' requirepeer=''",
        "ssl_min_protocol_version=TLSv1.2 ssl_max_protocol_version=TLSv1.3",
        "ssl_min_protocol_version=tlsv1",
        "min_protocol_version=3.0 max_protocol_version=latest",
        "krbsrvname=postgres gsslib=gssapi gssdelegation=1",
        "fallback_application_name=pg_dump",
        "passfile=/x/pgpass",
    ] {
        ConnConfig::resolve(Some(input), &Overrides::default(), &env)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
    }
}

#[test]
fn refused_values_of_unimplemented_keywords() {
    let env = FakeEnv::new();
    let cases = [
        ("gssencmode=require", "pgferry does not support gssencmode=require (from the connection string)"),
        ("channel_binding=require", "pgferry does not support channel_binding=require (from the connection string)"),
        ("sslnegotiation=direct", "pgferry does not support sslnegotiation=direct (from the connection string)"),
        ("sslcertmode=disable", "pgferry does not support sslcertmode=disable (from the connection string)"),
        ("target_session_attrs=read-write", "pgferry does not support target_session_attrs=read-write (from the connection string)"),
        ("load_balance_hosts=random", "pgferry does not support load_balance_hosts=random (from the connection string)"),
        ("client_encoding=LATIN1", "pgferry does not support client_encoding=LATIN1 (from the connection string)"),
        ("replication=database", "pgferry does not support replication=database (from the connection string)"),
        ("replication=true", "pgferry does not support replication=true (from the connection string)"),
        ("require_auth=scram-sha-256", "pgferry does not support require_auth=scram-sha-256 (from the connection string)"),
        ("sslcompression=1", "pgferry does not support sslcompression=1 (from the connection string)"),
        ("sslcrl=/x.crl", "pgferry does not support sslcrl=/x.crl (from the connection string)"),
        ("requirepeer=postgres", "pgferry does not support requirepeer=postgres (from the connection string)"),
        ("sslpassword=k3y", "pgferry does not support the sslpassword connection option (from the connection string)"),
        ("ssl_min_protocol_version=TLSv1.3", "pgferry does not support ssl_min_protocol_version=TLSv1.3 (from the connection string)"),
        ("ssl_max_protocol_version=TLSv1.2", "pgferry does not support ssl_max_protocol_version=TLSv1.2 (from the connection string)"),
        ("min_protocol_version=3.2", "pgferry does not support min_protocol_version=3.2 (from the connection string)"),
        ("gssencmode=maybe", "invalid gssencmode value: \"maybe\" (from the connection string)"),
        ("target_session_attrs=whatever", "invalid target_session_attrs value: \"whatever\" (from the connection string)"),
        ("replication=maybe", "invalid replication value: \"maybe\" (from the connection string)"),
        ("ssl_min_protocol_version=SSLv3", "invalid ssl_min_protocol_version value: \"SSLv3\" (from the connection string)"),
        ("channel_binding=''", "invalid channel_binding value: \"\" (from the connection string)"),
        (
            "ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2",
            "invalid SSL protocol version range: ssl_min_protocol_version=TLSv1.3 is above ssl_max_protocol_version=TLSv1.2",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(resolve_err(input, &env), expected, "{input}");
    }
    // The environment counts too, and the message says so.
    let error = ConnConfig::resolve(
        None,
        &Overrides::default(),
        &FakeEnv::new().with("PGGSSENCMODE", "require"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "pgferry does not support gssencmode=require (from environment variable PGGSSENCMODE)"
    );
    let error = ConnConfig::resolve(
        None,
        &Overrides::default(),
        &FakeEnv::new().with("PGTARGETSESSIONATTRS", "primary"),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("environment variable PGTARGETSESSIONATTRS"),
        "{error}"
    );
}

#[test]
fn target_helpers() {
    let t = socket("/var/run/postgresql", 5433);
    assert_eq!(
        t.socket_path(),
        Some(PathBuf::from("/var/run/postgresql/.s.PGSQL.5433"))
    );
    assert_eq!(t.display_host(), "/var/run/postgresql");
    let t = tcp("db.example.com", 5432);
    assert_eq!(t.socket_path(), None);
    assert_eq!(t.display_host(), "db.example.com");
}

#[test]
fn display_summarises_without_password() {
    let config = resolve(
        "host=a,b port=1,2 user='x y' dbname=d password=pw sslmode=require",
        &FakeEnv::new(),
    );
    assert_eq!(
        config.to_string(),
        "host=a,b port=1,2 user='x y' dbname=d sslmode=require password=********"
    );
}

#[cfg(unix)]
fn write_pgpass(dir: &Path, contents: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("pgpass");
    fs::write(&path, contents).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn password_for_uses_the_password_file() {
    let dir = tempfile::tempdir().unwrap();
    let passfile = write_pgpass(
        dir.path(),
        "\
localhost:5432:app:alice:local
/tmp:5432:app:alice:tmp-socket
db.example.com:5433:app:alice:remote
10.0.0.1:5432:app:alice:by-address
*:*:*:bob:bob
",
    );
    let env = FakeEnv::new().with("PGPASSFILE", passfile.to_str().unwrap());
    let config = resolve("host=db.example.com,/run/test-socket,/tmp,localhost port=5433,5432,5432,5432 user=alice dbname=app", &env);
    let passwords: Vec<Option<String>> = config
        .targets
        .iter()
        .map(|t| config.password_for(t).map(|p| p.expose().to_owned()))
        .collect();
    assert_eq!(
        passwords,
        vec![
            Some("remote".to_owned()),
            Some("local".to_owned()), // the default socket directory is "localhost"
            Some("tmp-socket".to_owned()), // another socket directory matches by path
            Some("local".to_owned()),
        ]
    );

    // hostaddr without host matches the address; with a host, the host.
    let config = resolve("hostaddr=10.0.0.1 user=alice dbname=app", &env);
    assert_eq!(
        config
            .password_for(&config.targets[0])
            .as_ref()
            .map(Secret::expose),
        Some("by-address")
    );
    let config = resolve(
        "host=localhost hostaddr=10.0.0.1 user=alice dbname=app",
        &env,
    );
    assert_eq!(
        config
            .password_for(&config.targets[0])
            .as_ref()
            .map(Secret::expose),
        Some("local")
    );

    // The database name defaults to the user name before the lookup.
    let config = resolve("host=h user=bob", &env);
    assert_eq!(
        config
            .password_for(&config.targets[0])
            .as_ref()
            .map(Secret::expose),
        Some("bob")
    );

    // An explicit password wins; no match gives None.
    let config = resolve(
        "host=db.example.com port=5433 user=alice dbname=app password=given",
        &env,
    );
    assert_eq!(
        config
            .password_for(&config.targets[0])
            .as_ref()
            .map(Secret::expose),
        Some("given")
    );
    let config = resolve("host=elsewhere user=alice dbname=app", &env);
    assert_eq!(config.password_for(&config.targets[0]), None);

    // The passfile keyword wins over PGPASSFILE; ~/.pgpass is the last resort.
    let other = dir.path().join("sub");
    fs::create_dir(&other).unwrap();
    let other_file = write_pgpass(&other, "*:*:*:*:from-keyword\n");
    let config = resolve(
        &format!("host=x user=u passfile={}", other_file.display()),
        &env,
    );
    assert_eq!(
        config
            .password_for(&config.targets[0])
            .as_ref()
            .map(Secret::expose),
        Some("from-keyword")
    );
    let home_env = FakeEnv::new().home(&other);
    fs::rename(&other_file, other.join(".pgpass")).unwrap();
    let config = resolve("host=x user=u", &home_env);
    assert_eq!(
        config
            .password_for(&config.targets[0])
            .as_ref()
            .map(Secret::expose),
        Some("from-keyword")
    );
}

#[test]
fn process_env_reads_the_real_process() {
    // Only checks that the libc calls behave; the values depend on the machine.
    let env = ProcessEnv;
    if let Some(user) = env.os_user() {
        assert!(!user.is_empty());
    }
    if let Some(home) = env.home_dir() {
        assert!(!home.as_os_str().is_empty());
    }
    let dir = env.default_socket_dir();
    assert!(
        dir == Path::new("/var/run/postgresql") || dir == Path::new("/tmp"),
        "{}",
        dir.display()
    );
}
