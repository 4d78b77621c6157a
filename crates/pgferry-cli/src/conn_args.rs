//! Connection flags shared by every command, spelled as pg_dump spells them.

use clap::Args;
use pgferry::{ConnConfig, Overrides, ProcessEnv};

/// `[CONNECTION] -h HOST -p PORT -U USER -d DBNAME`.
#[derive(Debug, Args)]
pub(crate) struct ConnArgs {
    /// Database name or connection string (URL or key=value), as pg_dump takes it.
    #[arg(value_name = "CONNECTION")]
    pub(crate) connection: Option<String>,

    /// Database name or connection string (the same as CONNECTION).
    #[arg(short = 'd', long = "dbname", value_name = "DBNAME")]
    pub(crate) dbname: Option<String>,

    /// Server host name or socket directory (a comma-separated list tries each in order).
    #[arg(short = 'h', long = "host", value_name = "HOST")]
    pub(crate) host: Option<String>,

    /// Server port.
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    pub(crate) port: Option<String>,

    /// User name to connect as.
    #[arg(short = 'U', long = "username", value_name = "USER")]
    pub(crate) username: Option<String>,
}

impl ConnArgs {
    /// The database named twice, as `CONNECTION` and as `-d`: pg_dump refuses that (the second would be
    /// ignored), and so does pgferry.
    pub(crate) fn usage_error(&self) -> Option<String> {
        // (The connection string is not repeated: it may hold a password.)
        match (&self.connection, &self.dbname) {
            (Some(_), Some(_)) => Some(
                "too many command-line arguments: the database is given both as CONNECTION and with \
                 -d/--dbname; give one of them"
                    .to_owned(),
            ),
            _ => None,
        }
    }

    /// Resolves the flags, the environment and the files libpq reads into one configuration.
    pub(crate) fn resolve(&self) -> Result<ConnConfig, pgferry::ConfigError> {
        let overrides = Overrides {
            host: self.host.clone(),
            port: self.port.clone(),
            user: self.username.clone(),
            dbname: self.dbname.clone(),
            password: None,
        };
        let input = self.connection.as_deref().or(self.dbname.as_deref());
        let mut config = ConnConfig::resolve(input, &overrides, &ProcessEnv)?;
        if config.fallback_application_name.is_none() {
            config.fallback_application_name = Some("pgferry".to_owned());
        }
        Ok(config)
    }
}

/// `-W/--password`: asks for the password on the terminal, without echo, as pg_dump does before it connects;
/// it takes the place of any password the connection settings hold.
pub(crate) fn prompt_password(config: &mut ConnConfig) -> Result<(), String> {
    let password = rpassword::prompt_password("Password: ").map_err(|e| {
        format!("could not read the password from the terminal (-W/--password): {e}")
    })?;
    config.password = Some(pgferry_conn::Secret::new(password));
    Ok(())
}
