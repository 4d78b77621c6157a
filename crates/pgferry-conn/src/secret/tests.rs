use crate::config::testenv::FakeEnv;
use crate::{ConfigError, ConnConfig, Overrides, Secret};

const PASSWORD: &str = "hunter2-s3cret";

#[test]
fn secret_never_prints_its_value() {
    let secret = Secret::new(PASSWORD.to_owned());
    assert_eq!(format!("{secret}"), "********");
    assert_eq!(format!("{secret:?}"), "********");
    assert_eq!(format!("{:?}", Some(secret.clone())), "Some(********)");
    assert_eq!(secret.expose(), PASSWORD);
    assert_eq!(secret, Secret::from(PASSWORD.to_owned()));
}

#[test]
fn configs_and_overrides_never_print_the_password() {
    let env = FakeEnv::new();
    let sources = [
        format!("postgresql://alice:{PASSWORD}@db.example.com/app"),
        format!("host=db.example.com user=alice password={PASSWORD}"),
    ];
    for input in &sources {
        let config = ConnConfig::resolve(Some(input), &Overrides::default(), &env).unwrap();
        assert_eq!(config.password.as_ref().map(Secret::expose), Some(PASSWORD));
        for text in [
            format!("{config:?}"),
            format!("{config:#?}"),
            format!("{config}"),
        ] {
            assert!(!text.contains(PASSWORD), "{text}");
            assert!(text.contains("alice"), "{text}");
        }
    }

    let overrides = Overrides {
        password: Some(Secret::new(PASSWORD.to_owned())),
        ..Overrides::default()
    };
    let text = format!("{overrides:?} {overrides:#?}");
    assert!(!text.contains(PASSWORD), "{text}");
    let config = ConnConfig::resolve(Some("app"), &overrides, &env).unwrap();
    assert!(!format!("{config:?} {config}").contains(PASSWORD));

    let from_env = ConnConfig::resolve(
        None,
        &Overrides::default(),
        &env.clone().with("PGPASSWORD", PASSWORD),
    )
    .unwrap();
    assert!(!format!("{from_env:?} {from_env}").contains(PASSWORD));
}

#[test]
fn errors_never_print_secrets() {
    let env = FakeEnv::new();
    let inputs = [
        format!("password={PASSWORD} sslpassword={PASSWORD}"),
        format!("password={PASSWORD} oauth_client_secret={PASSWORD}"),
        format!("scram_client_key={PASSWORD}"),
        format!("postgresql://u:{PASSWORD}@h/db?sslpassword={PASSWORD}"),
        format!("postgresql://u:{PASSWORD}@h/db?nosuch=1"),
        format!("password={PASSWORD} port=0"),
    ];
    for input in &inputs {
        let error: ConfigError =
            ConnConfig::resolve(Some(input), &Overrides::default(), &env).unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains(PASSWORD), "{text}");
    }
}
