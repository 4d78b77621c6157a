//! `--filter FILE`: include/exclude patterns read from a file, as pg_dump 17+ reads them.

use std::io::Read;
use std::path::Path;

/// Patterns collected from filter files.
#[derive(Debug, Default)]
pub(crate) struct FilterPatterns {
    pub(crate) include_schemas: Vec<String>,
    pub(crate) exclude_schemas: Vec<String>,
    pub(crate) include_tables: Vec<String>,
    pub(crate) exclude_tables: Vec<String>,
    pub(crate) exclude_table_data: Vec<String>,
    pub(crate) include_tables_and_children: Vec<String>,
    pub(crate) exclude_tables_and_children: Vec<String>,
    pub(crate) exclude_table_data_and_children: Vec<String>,
    pub(crate) include_extensions: Vec<String>,
    pub(crate) exclude_extensions: Vec<String>,
    pub(crate) include_foreign_data: Vec<String>,
}

impl FilterPatterns {
    /// Reads one filter file (`-` for standard input).
    pub(crate) fn read(&mut self, path: &Path) -> Result<(), String> {
        let mut text = String::new();
        let name = path.display().to_string();
        if name == "-" {
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("could not read filter from stdin: {e}"))?;
        } else {
            text = std::fs::read_to_string(path)
                .map_err(|e| format!("could not read filter file {name}: {e}"))?;
        }
        self.parse(&text, &name)
    }

    /// Parses filter lines: `include|exclude KIND PATTERN`, `#` comments, blank lines.
    pub(crate) fn parse(&mut self, text: &str, name: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |what: &str| {
                format!(
                    "invalid format in filter file \"{name}\" on line {}: {what}",
                    number + 1
                )
            };
            let mut words = line.splitn(3, char::is_whitespace);
            let action = words.next().unwrap_or_default();
            let kind = words.next().ok_or_else(|| error("missing object type"))?;
            let pattern = words
                .next()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| error("missing object name pattern"))?;
            let pattern = pattern.to_owned();
            match (action, kind) {
                ("include", "schema") => self.include_schemas.push(pattern),
                ("exclude", "schema") => self.exclude_schemas.push(pattern),
                ("include", "table") => self.include_tables.push(pattern),
                ("exclude", "table") => self.exclude_tables.push(pattern),
                ("exclude", "table_data") => self.exclude_table_data.push(pattern),
                ("include", "extension") => self.include_extensions.push(pattern),
                ("exclude", "extension") => self.exclude_extensions.push(pattern),
                ("include", "table_and_children") => self.include_tables_and_children.push(pattern),
                ("exclude", "table_and_children") => self.exclude_tables_and_children.push(pattern),
                ("exclude", "table_data_and_children") => {
                    self.exclude_table_data_and_children.push(pattern)
                }
                ("include", "foreign_data") => self.include_foreign_data.push(pattern),
                ("exclude", "foreign_data") => {
                    return Err(error("exclude filter for \"foreign data\" is not allowed"))
                }
                ("include", "table_data" | "table_data_and_children") => {
                    return Err(error(&format!(
                        "include filter for \"{kind}\" is not allowed"
                    )))
                }
                ("include" | "exclude", other) => {
                    return Err(error(&format!("unsupported filter object \"{other}\"")))
                }
                (other, _) => {
                    return Err(error(&format!("unsupported filter keyword \"{other}\"")))
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::FilterPatterns;

    #[test]
    fn reads_includes_excludes_and_comments() {
        let mut f = FilterPatterns::default();
        f.parse(
            "# comment\ninclude table s.t*\n\nexclude schema tmp\nexclude table_data big\n",
            "f",
        )
        .unwrap();
        assert_eq!(f.include_tables, ["s.t*"]);
        assert_eq!(f.exclude_schemas, ["tmp"]);
        assert_eq!(f.exclude_table_data, ["big"]);
        let error = FilterPatterns::default()
            .parse("include nonsense x\n", "f")
            .unwrap_err();
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn foreign_data_is_an_include_only_filter() {
        let mut f = FilterPatterns::default();
        f.parse(
            "include foreign_data loop*\ninclude foreign_data \"Far\"\n",
            "f",
        )
        .unwrap();
        assert_eq!(f.include_foreign_data, ["loop*", "\"Far\""]);
        let error = FilterPatterns::default()
            .parse("\nexclude foreign_data loop*\n", "f")
            .unwrap_err();
        assert!(
            error.contains("line 2")
                && error.contains("exclude filter for \"foreign data\" is not allowed"),
            "{error}"
        );
    }
}
