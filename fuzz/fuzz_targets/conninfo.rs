//! Connection strings (URLs and key=value) must never panic, and a resolved configuration never shows the
//! password in Debug or Display.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use pgferry_conn::{ConnConfig, Environment, Overrides, Secret};

/// A fixed environment, so a run depends only on the input.
struct FixedEnv;

impl Environment for FixedEnv {
    fn var(&self, _name: &str) -> Option<String> {
        None
    }
    fn home_dir(&self) -> Option<PathBuf> {
        Some(PathBuf::from("/nonexistent-home"))
    }
    fn os_user(&self) -> Option<String> {
        Some("fuzz".to_owned())
    }
    fn default_socket_dir(&self) -> PathBuf {
        PathBuf::from("/tmp")
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(config) = ConnConfig::resolve(Some(input), &Overrides::default(), &FixedEnv) {
        // Whatever the password is, Debug and Display must read the same as with any other password.
        let mut other = config.clone();
        other.password = config.password.as_ref().map(|_| Secret::new("another-password".to_owned()));
        assert_eq!(format!("{config:?}"), format!("{other:?}"));
        assert_eq!(config.to_string(), other.to_string());
        for target in &config.targets {
            let _ = target.display_host();
            let _ = config.password_for(target);
        }
    }
});
