//! A fake [`Environment`] for tests: nothing comes from the real process.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::Environment;

/// Environment variables, home, OS user and socket directory set by the test.
///
/// By default there are no variables, no home directory, the OS user is `osuser`, the default socket
/// directory is `/run/test-socket`, and `PGSYSCONFDIR` points to a directory that does not exist, so the
/// machine's own service file is never read.
#[derive(Debug, Clone)]
pub(crate) struct FakeEnv {
    pub(crate) vars: HashMap<String, String>,
    pub(crate) home: Option<PathBuf>,
    pub(crate) user: Option<String>,
    pub(crate) socket_dir: PathBuf,
}

impl FakeEnv {
    pub(crate) fn new() -> FakeEnv {
        let mut vars = HashMap::new();
        vars.insert(
            "PGSYSCONFDIR".to_owned(),
            "/nonexistent/pgferry-test-sysconfdir".to_owned(),
        );
        FakeEnv {
            vars,
            home: None,
            user: Some("osuser".to_owned()),
            socket_dir: PathBuf::from("/run/test-socket"),
        }
    }

    /// Sets an environment variable.
    pub(crate) fn with(mut self, name: &str, value: &str) -> FakeEnv {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sets the home directory.
    pub(crate) fn home(mut self, home: impl Into<PathBuf>) -> FakeEnv {
        self.home = Some(home.into());
        self
    }
}

impl Environment for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }

    fn os_user(&self) -> Option<String> {
        self.user.clone()
    }

    fn default_socket_dir(&self) -> PathBuf {
        self.socket_dir.clone()
    }
}
