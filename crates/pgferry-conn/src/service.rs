//! Connection service files (`pg_service.conf`), looked up as libpq looks them up.
//!
//! A service is named by the `service` keyword or `PGSERVICE`. Its settings fill in whatever the connection
//! string and the overrides left unset, before the environment variables do. Two files are searched, and
//! the first that defines the service is the only one used:
//!
//! 1. the per-user file: the `servicefile` keyword, else `PGSERVICEFILE` (both must name a readable file),
//!    else `~/.pg_service.conf` when it exists;
//! 2. the system file: `$PGSYSCONFDIR/pg_service.conf`, or, without `PGSYSCONFDIR`,
//!    [`DEFAULT_SYSCONFDIR`]`/pg_service.conf`, when it exists.
//!
//! The format: `[name]` starts a section; `keyword=value` lines set options (no spaces around the keyword,
//! the value runs to the end of the line); blank lines and lines starting with `#` are skipped; leading and
//! trailing whitespace of every line is ignored. A line that is not of these forms, or that names an unknown
//! keyword or `service`, is an error, but only inside the section being read.

use std::path::{Path, PathBuf};

use crate::conninfo::{self, is_c_space, Options, Origin};
use crate::{ConfigError, Environment};

/// Where the system-wide service file lives when `PGSYSCONFDIR` is not set.
///
/// libpq uses the directory it was built with. This is the Debian and Ubuntu packages' choice, the most
/// common one for servers and CI images. Elsewhere, set `PGSYSCONFDIR`.
pub(crate) const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// Fills in the settings of the named service, if one is named, for keywords no earlier source set.
pub(crate) fn apply(options: &mut Options, env: &dyn Environment) -> Result<(), ConfigError> {
    let service = match options.get("service") {
        Some(name) => name.to_owned(),
        None => match env.var("PGSERVICE") {
            Some(name) => name,
            None => return Ok(()),
        },
    };

    let explicit = match options.get("servicefile") {
        Some(path) => Some(PathBuf::from(path)),
        None => env.var("PGSERVICEFILE").map(PathBuf::from),
    };
    let user_file = match explicit {
        Some(path) => Some(path),
        None => env
            .home_dir()
            .map(|home| home.join(".pg_service.conf"))
            .filter(|path| exists(path)),
    };
    if let Some(path) = user_file {
        if let Some(settings) = read_service(&path, &service)? {
            apply_settings(options, settings, &path);
            return Ok(());
        }
    }

    // libpq pastes the strings together, so an empty PGSYSCONFDIR means "/pg_service.conf".
    let sysconfdir = env
        .var("PGSYSCONFDIR")
        .unwrap_or_else(|| DEFAULT_SYSCONFDIR.to_owned());
    let system_file = PathBuf::from(format!("{sysconfdir}/pg_service.conf"));
    if exists(&system_file) {
        if let Some(settings) = read_service(&system_file, &service)? {
            apply_settings(options, settings, &system_file);
            return Ok(());
        }
    }
    Err(ConfigError::ServiceNotFound { service })
}

fn exists(path: &Path) -> bool {
    std::fs::metadata(path).is_ok()
}

fn apply_settings(options: &mut Options, settings: Vec<(&'static str, String)>, path: &Path) {
    for (keyword, value) in settings {
        // The first line for a keyword wins, and never over an explicit setting.
        options.set_if_unset(keyword, value, Origin::ServiceFile(path.to_owned()));
    }
}

/// Reads `path` and returns the settings of section `service`, or `None` if the file has no such section.
fn read_service(
    path: &Path,
    service: &str,
) -> Result<Option<Vec<(&'static str, String)>>, ConfigError> {
    let io_error = |source| ConfigError::ServiceFile {
        path: path.to_owned(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_error)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        io_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e.utf8_error(),
        ))
    })?;
    find_service(&text, path, service)
}

/// The settings of section `service` in the service-file text `text` (read from `path`).
fn find_service(
    text: &str,
    path: &Path,
    service: &str,
) -> Result<Option<Vec<(&'static str, String)>>, ConfigError> {
    let mut in_section = false;
    let mut settings = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line_number = index + 1;
        let line = raw.trim_matches(is_c_space);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if in_section {
                break;
            }
            // libpq compares the name and checks for ']' right after it; anything later on the line is
            // ignored.
            in_section =
                header.starts_with(service) && header.as_bytes().get(service.len()) == Some(&b']');
            continue;
        }
        if !in_section {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(ConfigError::ServiceFileSyntax {
                path: path.to_owned(),
                line: line_number,
            });
        };
        if name == "service" {
            return Err(ConfigError::NestedService {
                path: path.to_owned(),
                line: line_number,
            });
        }
        let Some(keyword) = conninfo::keyword(name) else {
            return Err(ConfigError::ServiceFileOption {
                path: path.to_owned(),
                line: line_number,
                keyword: name.to_owned(),
            });
        };
        settings.push((keyword.name, value.to_owned()));
    }
    Ok(in_section.then_some(settings))
}

#[cfg(test)]
mod tests;
