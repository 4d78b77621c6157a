//! Which TOC entries a restore takes, and in what order: pg_restore 18's selection rules, in one place.
//!
//! The script writer, the database restore and `restore -l` all go through [`select`]: it takes the archive's
//! [`Toc`] and the restore's [`SelectOptions`], reorders the entries as a `-L` list says (pg_restore's
//! `SortTocFromFile`), then decides for each entry, in that order, what of it is restored (pg_restore's
//! `_tocEntryRequired`): its definition, its data, its statistics, or nothing. The result is a [`Selection`].
//!
//! The rules, as pg_restore 18 applies them:
//!
//! * `ENCODING`, `STDSTRINGS` and `SEARCHPATH` are special: always processed, never restored as objects or
//!   listed.
//! * `DATABASE` and `DATABASE PROPERTIES` are restored with `-C` and only then, whatever else is asked; so are
//!   the comments, privileges and security labels of the database (tags starting `DATABASE `).
//! * `-x`, `--no-comments`, `--no-policies`, `--no-publications`, `--no-subscriptions`,
//!   `--no-security-labels` drop their kinds of entries (and comments and labels on policies, publications and
//!   subscriptions, by their tags).
//! * `--section`: an entry's section is its own, or for entries without one (comments, privileges, labels) the
//!   section of the last entry before it that has one (pre-data at the start).
//! * `-L`: entries the list does not name are not restored.
//! * Comments, privileges and security labels follow their parent: under `-n`, `-N`, `-t`, `-I`, `-P` or
//!   `-T`, they are restored only when an entry they depend on (other than a privilege entry) was already
//!   selected, earlier in the order.
//! * Statistics (`STATISTICS DATA`) are filtered by their own schema (`-n`, `-N`), and under `-t/-I/-P/-T`
//!   kept when they depend on a table, view, materialized view or foreign table named by `-t`, or an index
//!   named by `-I`, whether that relation is restored or not. This is what pg_restore 18.6 does (the tests
//!   compare with it); the 18.4 source treated them like comments.
//! * Other entries: `-n` keeps the entries of those schemas (entries without a schema are dropped), `-N` drops
//!   the entries of those schemas, and `-t`/`-I`/`-P`/`-T` keep only entries of the kinds asked for whose tag
//!   is one of the names: `-t` tables, views, materialized views, foreign tables and sequences with their data
//!   (`TABLE DATA`, `MATERIALIZED VIEW DATA`, `SEQUENCE SET`), `-I` indexes, `-P` functions, aggregates and
//!   procedures (`name(argument types)`), `-T` triggers. Names match exactly: no patterns, no quoting, no
//!   schema qualification.
//! * Then the parts: an entry with a data stream has a data part; without one only `SEQUENCE SET`, `BLOB`,
//!   `BLOB METADATA` and the comments, privileges and labels of large objects are data; an entry has a schema
//!   part only with a definition (a "load via partition root" comment is not one). `-a`/`--no-schema` drop the
//!   schema parts, `-s`/`--no-data` the data parts, `--statistics-only` both; statistics are restored unless
//!   `-s`, `-a` or `--no-statistics`.
//!
//! Names given with `-n/-t/-I/-P/-T` count as found when an entry that reached their test matched them;
//! `--strict-names` makes a name that never did an error (`table "x" not found`), as pg_restore does.

mod filter;
#[cfg(test)]
mod tests;
mod use_list;

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};

use pgferry_archive::read::write_list_entries;
use pgferry_archive::{desc, ArchiveHeader, DumpId, Section, Toc, TocEntry};

pub use filter::FilterError;
pub use use_list::{IgnoredLine, UseList};

/// A restore's selection and content options: pg_restore's `-n/-N/-t/-I/-P/-T`, `--section`, `-a/-s`,
/// `--no-data/--no-schema`, the statistics options, `-C`, `-x`, the `--no-*` options, `--strict-names`,
/// `-L` and `--filter`.
///
/// The default selects what `pg_restore` with no options restores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectOptions {
    /// `-n/--schema NAME` (repeatable; `include schema` in a filter file): only entries in these schemas.
    pub schemas: Vec<String>,
    /// `-N/--exclude-schema NAME` (repeatable; `exclude schema`): no entries in these schemas.
    pub exclude_schemas: Vec<String>,
    /// `-t/--table NAME` (`include table`): tables, views, materialized views, foreign tables and sequences
    /// with these names, and their data.
    pub tables: Vec<String>,
    /// `-I/--index NAME` (`include index`).
    pub indexes: Vec<String>,
    /// `-P/--function 'NAME(ARGS)'` (`include function`): functions, aggregates and procedures, by their TOC
    /// tag (`add(integer, integer)`).
    pub functions: Vec<String>,
    /// `-T/--trigger NAME` (`include trigger`).
    pub triggers: Vec<String>,
    /// `--section` (repeatable): the sections to restore; empty means all three.
    pub sections: Vec<Section>,
    /// `-a/--data-only`.
    pub data_only: bool,
    /// `-s/--schema-only`.
    pub schema_only: bool,
    /// `--statistics-only`.
    pub statistics_only: bool,
    /// `--no-data`.
    pub no_data: bool,
    /// `--no-schema`.
    pub no_schema: bool,
    /// `--no-statistics`.
    pub no_statistics: bool,
    /// `--statistics`: restore statistics (already the default; pg_restore refuses it with `-a` or `-s`).
    pub statistics: bool,
    /// `-C/--create`: the `DATABASE` entries (and the database's comment, privileges and labels).
    pub create: bool,
    /// `-x/--no-privileges`: no `ACL` or `DEFAULT ACL` entries.
    pub no_privileges: bool,
    /// `--no-comments`.
    pub no_comments: bool,
    /// `--no-policies`: no `POLICY` or `ROW SECURITY` entries, nor comments on policies.
    pub no_policies: bool,
    /// `--no-publications`.
    pub no_publications: bool,
    /// `--no-subscriptions`.
    pub no_subscriptions: bool,
    /// `--no-security-labels`.
    pub no_security_labels: bool,
    /// `--strict-names`: every `-n/-t/-I/-P/-T` name must match an entry.
    pub strict_names: bool,
    /// `-L/--use-list FILE`: restore only the listed entries, in the list's order.
    pub use_list: Option<UseList>,
}

/// What of an entry a restore takes (pg_restore's `REQ_*` bits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Required {
    /// The definition (`defn`) is run.
    pub schema: bool,
    /// The data is restored: the data stream, or the definition of a data-like entry (`SEQUENCE SET`, large
    /// object metadata and their comments and privileges).
    pub data: bool,
    /// The statistics (`STATISTICS DATA` entries).
    pub stats: bool,
    /// A special entry (`ENCODING`, `STDSTRINGS`, `SEARCHPATH`): not restored as an object, but its setting
    /// applies to the whole restore.
    pub special: bool,
}

impl Required {
    /// Nothing.
    pub const NONE: Required = Required {
        schema: false,
        data: false,
        stats: false,
        special: false,
    };

    /// Whether the restore processes the entry (schema, data or statistics): what `pg_restore -l` lists.
    pub fn restored(self) -> bool {
        self.schema || self.data || self.stats
    }

    /// Whether any bit is set, special included: pg_restore's test of whether a parent object is selected.
    fn marked(self) -> bool {
        self.restored() || self.special
    }
}

/// What parts of entries a restore takes at all, from `-a/-s/--no-data/--no-schema` and the statistics
/// options (pg_restore's `dumpSchema`, `dumpData`, `dumpStatistics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Content {
    /// Definitions.
    pub schema: bool,
    /// Data.
    pub data: bool,
    /// Statistics.
    pub statistics: bool,
}

/// The kind of name a `--strict-names` failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// `-n`.
    Schema,
    /// `-t`.
    Table,
    /// `-I`.
    Index,
    /// `-P`.
    Function,
    /// `-T`.
    Trigger,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Schema => "schema",
            NameKind::Table => "table",
            NameKind::Index => "index",
            NameKind::Function => "function",
            NameKind::Trigger => "trigger",
        })
    }
}

/// Why a selection cannot be made. The messages are pg_restore's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Two options that exclude each other, named as pg_restore names them (`-s/--schema-only`).
    #[error("options {0} and {1} cannot be used together")]
    Conflict(&'static str, &'static str),
    /// A `--section` value that is not `pre-data`, `data` or `post-data`.
    #[error("unrecognized section name: \"{0}\"")]
    UnknownSection(String),
    /// A `-L` list names a dump id within the archive's range that no entry has.
    #[error("could not find entry for ID {0}")]
    NoSuchEntry(i32),
    /// `--strict-names`: a name that matched no entry.
    #[error("{kind} \"{name}\" not found")]
    NotFound {
        /// The option the name came from.
        kind: NameKind,
        /// The name as given.
        name: String,
    },
}

impl SelectOptions {
    /// Adds a `--section NAME` (`pre-data`, `data` or `post-data`).
    pub fn add_section(&mut self, name: &str) -> Result<(), SelectError> {
        let section = match name {
            "pre-data" => Section::PreData,
            "data" => Section::Data,
            "post-data" => Section::PostData,
            _ => return Err(SelectError::UnknownSection(name.to_owned())),
        };
        self.sections.push(section);
        Ok(())
    }

    /// Reads a `--filter` file: `include` or `exclude`, an object kind, and a name per line; `#` starts a
    /// comment; names may be double-quoted (the quotes are kept, as pg_restore keeps them, so a quoted name
    /// matches no tag) and span lines. pg_restore accepts `include` for `schema`, `table`, `index`,
    /// `function` and `trigger`, and `exclude` for `schema` only; the names are added to the lists in file
    /// order, as if given on the command line where `--filter` was. `file_name` is used in messages; `-` means
    /// standard input. On error nothing is added.
    pub fn add_filter(&mut self, text: &str, file_name: &str) -> Result<(), FilterError> {
        for (kind, name) in filter::parse(text, file_name)? {
            let list = match kind {
                filter::Target::Schemas => &mut self.schemas,
                filter::Target::ExcludeSchemas => &mut self.exclude_schemas,
                filter::Target::Tables => &mut self.tables,
                filter::Target::Indexes => &mut self.indexes,
                filter::Target::Functions => &mut self.functions,
                filter::Target::Triggers => &mut self.triggers,
            };
            list.push(name);
        }
        Ok(())
    }

    /// The parts restored, or the conflict pg_restore reports (checked in pg_restore's order).
    pub fn content(&self) -> Result<Content, SelectError> {
        const A: &str = "-a/--data-only";
        const S: &str = "-s/--schema-only";
        const STATS_ONLY: &str = "--statistics-only";
        let conflicts = [
            (self.data_only && self.schema_only, S, A),
            (self.schema_only && self.statistics_only, S, STATS_ONLY),
            (self.data_only && self.statistics_only, A, STATS_ONLY),
            (self.data_only && self.no_data, A, "--no-data"),
            (self.schema_only && self.no_schema, S, "--no-schema"),
            (
                self.statistics_only && self.no_statistics,
                STATS_ONLY,
                "--no-statistics",
            ),
            (
                self.statistics && self.no_statistics,
                "--statistics",
                "--no-statistics",
            ),
            (self.data_only && self.statistics, A, "--statistics"),
            (self.schema_only && self.statistics, S, "--statistics"),
        ];
        if let Some(&(_, a, b)) = conflicts.iter().find(|c| c.0) {
            return Err(SelectError::Conflict(a, b));
        }
        Ok(Content {
            schema: ((!self.data_only && !self.statistics_only) || self.schema_only)
                && !self.no_schema,
            data: ((!self.schema_only && !self.statistics_only) || self.data_only) && !self.no_data,
            statistics: ((!self.schema_only && !self.data_only)
                || self.statistics_only
                || self.statistics)
                && !self.no_statistics,
        })
    }

    /// Whether any of `-t/-I/-P/-T` was given (pg_restore's `selTypes`).
    fn selects_types(&self) -> bool {
        !self.tables.is_empty()
            || !self.indexes.is_empty()
            || !self.functions.is_empty()
            || !self.triggers.is_empty()
    }

    fn wants_section(&self, section: Section) -> bool {
        self.sections.is_empty() || self.sections.contains(&section)
    }
}

/// The outcome of [`select`]: every entry of the TOC in the order a restore processes them, with what of each
/// it takes.
///
/// It refers to entries by their position in the TOC given to [`select`], so its methods take that same TOC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Positions in the TOC, in processing order (after `-L`).
    order: Vec<usize>,
    /// What is required of each entry, by position in the TOC.
    required: Vec<Required>,
    /// Positions by dump id (the last entry wins when an id repeats, as in pg_restore).
    by_id: HashMap<DumpId, usize>,
    content: Content,
    ignored: Vec<IgnoredLine>,
    unmatched: Option<(NameKind, String)>,
}

impl Selection {
    /// The entries the restore processes (schema, data or statistics), in restore order, with what of each.
    /// pg_restore runs them in three passes over this order (see
    /// [`restore_pass`](pgferry_archive::script::restore_pass)).
    pub fn restored<'t>(
        &'t self,
        toc: &'t Toc,
    ) -> impl Iterator<Item = (&'t TocEntry, Required)> + 't {
        self.in_order(toc).filter(|(_, r)| r.restored())
    }

    /// Every entry, in processing order (entries a `-L` list leaves out first, in TOC order, then the listed
    /// ones in the list's order), with what of each is required (possibly nothing).
    pub fn in_order<'t>(
        &'t self,
        toc: &'t Toc,
    ) -> impl Iterator<Item = (&'t TocEntry, Required)> + 't {
        self.order
            .iter()
            .map(move |&i| (&toc.entries[i], self.required[i]))
    }

    /// What is required of the entry with this dump id (nothing for an unknown id): pg_restore's
    /// `TocIDRequired`.
    pub fn required(&self, id: DumpId) -> Required {
        self.by_id
            .get(&id)
            .map_or(Required::NONE, |&i| self.required[i])
    }

    /// The selected TOC: the header, then the special entries and the entries the restore processes, in
    /// restore order. What the script writer and `write_list` take.
    pub fn toc(&self, toc: &Toc) -> Toc {
        Toc {
            header: toc.header.clone(),
            entries: self
                .in_order(toc)
                .filter(|(_, r)| r.marked())
                .map(|(e, _)| e.clone())
                .collect(),
        }
    }

    /// Writes what `pg_restore -l` with the same options prints: the archive summary (`TOC Entries` counts the
    /// whole archive) and one line per entry the restore processes.
    pub fn write_list<W: Write + ?Sized>(
        &self,
        header: &ArchiveHeader,
        toc: &Toc,
        out: &mut W,
    ) -> io::Result<()> {
        write_list_entries(
            header,
            toc.entries.len(),
            self.restored(toc).map(|(e, _)| e),
            out,
        )
    }

    /// The parts the options ask for (before [`has_schema`](Self::has_schema) is considered).
    pub fn content(&self) -> Content {
        self.content
    }

    /// Whether any entry's definition is restored. When none is, pg_restore treats the restore as data-only
    /// ("implied no-schema restore"; `--disable-triggers` then applies).
    pub fn has_schema(&self) -> bool {
        self.required.iter().any(|r| r.schema)
    }

    /// The `-L` lines pg_restore ignores with a warning (`line ignored: ...`).
    pub fn ignored_lines(&self) -> &[IgnoredLine] {
        &self.ignored
    }

    /// The first `-n/-t/-I/-P/-T` name that matched no entry, as the error `--strict-names` makes of it
    /// (whether or not `strict_names` was set). pg_restore checks schemas, then tables, indexes, functions and
    /// triggers, each in the order given; a name given twice counts as matched only once.
    pub fn unmatched(&self) -> Option<SelectError> {
        self.unmatched
            .as_ref()
            .map(|(kind, name)| SelectError::NotFound {
                kind: *kind,
                name: name.clone(),
            })
    }
}

/// A list of names with pg_restore's "touched" marks: a lookup marks the first equal name.
struct Names<'a> {
    names: &'a [String],
    touched: Vec<bool>,
}

impl<'a> Names<'a> {
    fn new(names: &'a [String]) -> Names<'a> {
        Names {
            names,
            touched: vec![false; names.len()],
        }
    }

    fn given(&self) -> bool {
        !self.names.is_empty()
    }

    fn contains(&mut self, name: &str) -> bool {
        match self.names.iter().position(|n| n == name) {
            Some(i) => {
                self.touched[i] = true;
                true
            }
            None => false,
        }
    }

    fn first_untouched(&self) -> Option<&'a String> {
        self.names
            .iter()
            .zip(&self.touched)
            .find(|(_, t)| !**t)
            .map(|(n, _)| n)
    }
}

/// The per-run state of the rules: options, name lists with their marks, and the `-L` wanted set.
struct Rules<'a> {
    options: &'a SelectOptions,
    content: Content,
    sel_types: bool,
    schemas: Names<'a>,
    exclude_schemas: Names<'a>,
    tables: Names<'a>,
    indexes: Names<'a>,
    functions: Names<'a>,
    triggers: Names<'a>,
}

fn is_special(d: &str) -> bool {
    matches!(d, desc::ENCODING | desc::STDSTRINGS | desc::SEARCHPATH)
}

fn is_acl(d: &str) -> bool {
    matches!(d, desc::ACL | "ACL LANGUAGE" | desc::DEFAULT_ACL)
}

/// Large object entries without a data stream that still count as data.
fn is_data_like(entry: &TocEntry) -> bool {
    let d = entry.desc.as_str();
    matches!(d, desc::SEQUENCE_SET | desc::BLOB | desc::BLOB_METADATA)
        || (matches!(d, desc::ACL | desc::COMMENT | desc::SECURITY_LABEL)
            && entry.tag.starts_with("LARGE OBJECT"))
}

impl Rules<'_> {
    /// `-n` and `-N` for an entry in schema `namespace` (`-n` drops entries without one).
    fn namespace_selected(&mut self, namespace: Option<&str>) -> bool {
        if self.schemas.given() && !namespace.is_some_and(|ns| self.schemas.contains(ns)) {
            return false;
        }
        !(self.exclude_schemas.given()
            && namespace.is_some_and(|ns| self.exclude_schemas.contains(ns)))
    }

    /// pg_restore's `_tocEntryRequired` for `entry` in `section` (its own, or the one it inherits).
    /// `wanted` is the `-L` verdict (`None` without a list); `parent` finds the entry with a dump id, with
    /// what is required of it so far (nothing for entries not yet reached).
    fn required<'t>(
        &mut self,
        entry: &TocEntry,
        section: Section,
        wanted: Option<bool>,
        parent: &dyn Fn(DumpId) -> Option<(&'t TocEntry, Required)>,
    ) -> Required {
        let options = self.options;
        let d = entry.desc.as_str();
        let tag = entry.tag.as_str();
        if is_special(d) {
            return Required {
                special: true,
                ..Required::NONE
            };
        }
        let mut res = Required {
            schema: true,
            data: true,
            ..Required::NONE
        };
        if d == desc::STATISTICS_DATA {
            if !self.content.statistics {
                return Required::NONE;
            }
            res = Required {
                stats: true,
                ..Required::NONE
            };
        }
        if d == desc::DATABASE || d == desc::DATABASE_PROPERTIES {
            return Required {
                schema: options.create,
                ..Required::NONE
            };
        }

        // Kinds of entries the options leave out.
        let dropped = (options.no_privileges && is_acl(d))
            || (options.no_comments && d == desc::COMMENT)
            || (options.no_policies && (d == desc::POLICY || d == desc::ROW_SECURITY))
            || (d == desc::COMMENT
                && ((options.no_policies && tag.starts_with("POLICY"))
                    || (options.no_publications && tag.starts_with("PUBLICATION"))
                    || (options.no_subscriptions && tag.starts_with("SUBSCRIPTION"))))
            || (options.no_publications
                && matches!(
                    d,
                    desc::PUBLICATION
                        | desc::PUBLICATION_TABLE
                        | desc::PUBLICATION_TABLES_IN_SCHEMA
                ))
            || (options.no_security_labels && d == desc::SECURITY_LABEL)
            || (d == desc::SECURITY_LABEL
                && ((options.no_publications && tag.starts_with("PUBLICATION"))
                    || (options.no_subscriptions && tag.starts_with("SUBSCRIPTION"))))
            || (options.no_subscriptions && d == desc::SUBSCRIPTION);
        if dropped {
            return Required::NONE;
        }

        if section == Section::None || !options.wants_section(section) {
            return Required::NONE;
        }
        if wanted == Some(false) {
            return Required::NONE;
        }

        if matches!(d, desc::ACL | desc::COMMENT | desc::SECURITY_LABEL) {
            if tag.starts_with("DATABASE ") {
                if !options.create {
                    return Required::NONE;
                }
            } else if self.schemas.given() || self.exclude_schemas.given() || self.sel_types {
                // Restored with a selected parent only; a dependency on another ACL does not count.
                let has_parent = entry.dependencies.iter().any(|&dep| {
                    parent(dep).is_some_and(|(p, marked)| p.desc != desc::ACL && marked.marked())
                });
                if !has_parent {
                    return Required::NONE;
                }
            }
        } else if d == desc::STATISTICS_DATA {
            // pg_restore 18.6: statistics are filtered by their own schema, and under -t/-I/-P/-T kept when
            // they belong to a relation named by -t or an index named by -I (whether or not that relation is
            // restored).
            if !self.namespace_selected(entry.namespace.as_deref()) {
                return Required::NONE;
            }
            if self.sel_types {
                let for_selected_relation = entry.dependencies.iter().any(|&dep| {
                    parent(dep).is_some_and(|(p, _)| match p.desc.as_str() {
                        desc::TABLE
                        | desc::VIEW
                        | desc::MATERIALIZED_VIEW
                        | desc::FOREIGN_TABLE => self.tables.contains(&p.tag),
                        desc::INDEX => self.indexes.contains(&p.tag),
                        _ => false,
                    })
                });
                if !for_selected_relation {
                    return Required::NONE;
                }
            }
        } else {
            if !self.namespace_selected(entry.namespace.as_deref()) {
                return Required::NONE;
            }
            if self.sel_types {
                let names = match d {
                    desc::TABLE
                    | desc::TABLE_DATA
                    | desc::VIEW
                    | desc::FOREIGN_TABLE
                    | desc::MATERIALIZED_VIEW
                    | desc::MATERIALIZED_VIEW_DATA
                    | desc::SEQUENCE
                    | desc::SEQUENCE_SET => &mut self.tables,
                    desc::INDEX => &mut self.indexes,
                    desc::FUNCTION | desc::AGGREGATE | desc::PROCEDURE => &mut self.functions,
                    desc::TRIGGER => &mut self.triggers,
                    _ => return Required::NONE,
                };
                if !names.given() || !names.contains(tag) {
                    return Required::NONE;
                }
            }
        }

        // Which parts the entry has.
        if !entry.had_dumper {
            if is_data_like(entry) {
                res = Required {
                    data: res.data,
                    ..Required::NONE
                };
            } else {
                res.data = false;
            }
        }
        let defn = entry.defn.as_deref().unwrap_or("");
        if defn.is_empty() || defn.starts_with("-- load via partition root ") {
            res.schema = false;
        }
        if d == "<Init>" && tag == "Max OID" {
            return Required::NONE;
        }
        if !self.content.data {
            res.data = false;
        }
        if !self.content.schema {
            res.schema = false;
        }
        res
    }
}

/// Selects and orders the entries of `toc` as pg_restore does with `options`.
///
/// Fails when options conflict, when a `-L` list names a missing entry, and with `--strict-names` when a name
/// matched nothing (pg_restore's `restore -l` prints its listing before that failure: use
/// [`Selection::unmatched`] with `strict_names` off to do the same).
pub fn select(toc: &Toc, options: &SelectOptions) -> Result<Selection, SelectError> {
    let content = options.content()?;
    let mut by_id = HashMap::with_capacity(toc.entries.len());
    for (i, entry) in toc.entries.iter().enumerate() {
        by_id.insert(entry.dump_id, i);
    }

    // -L: listed entries move to the end in the list's order; the rest stay in front, in TOC order.
    let mut ignored = Vec::new();
    let mut order: Vec<usize>;
    let mut wanted_ids: Option<Vec<bool>> = None;
    match &options.use_list {
        None => order = (0..toc.entries.len()).collect(),
        Some(list) => {
            let max_id = toc.max_dump_id().0 as usize;
            let mut wanted = vec![false; max_id];
            let mut moved = Vec::new();
            for line in list.lines() {
                let usable = line
                    .id
                    .filter(|&id| id > 0 && (id as usize) <= max_id && !wanted[id as usize - 1]);
                let Some(id) = usable else {
                    ignored.push(IgnoredLine {
                        line: line.line,
                        text: line.text.clone(),
                    });
                    continue;
                };
                let Some(&i) = by_id.get(&DumpId(id as u32)) else {
                    return Err(SelectError::NoSuchEntry(id));
                };
                wanted[id as usize - 1] = true;
                moved.push(i);
            }
            let mut is_moved = vec![false; toc.entries.len()];
            for &i in &moved {
                is_moved[i] = true;
            }
            order = (0..toc.entries.len()).filter(|&i| !is_moved[i]).collect();
            order.extend(moved);
            wanted_ids = Some(wanted);
        }
    }

    let mut rules = Rules {
        options,
        content,
        sel_types: options.selects_types(),
        schemas: Names::new(&options.schemas),
        exclude_schemas: Names::new(&options.exclude_schemas),
        tables: Names::new(&options.tables),
        indexes: Names::new(&options.indexes),
        functions: Names::new(&options.functions),
        triggers: Names::new(&options.triggers),
    };
    let mut required = vec![Required::NONE; toc.entries.len()];
    let mut section = Section::PreData;
    for &i in &order {
        let entry = &toc.entries[i];
        if entry.section != Section::None {
            section = entry.section;
        }
        let wanted = wanted_ids.as_ref().map(|w| {
            let id = entry.dump_id.0 as usize;
            id >= 1 && w.get(id - 1).copied().unwrap_or(false)
        });
        let marks = &required;
        let parent = |id: DumpId| by_id.get(&id).map(|&p| (&toc.entries[p], marks[p]));
        let r = rules.required(entry, section, wanted, &parent);
        required[i] = r;
    }

    let unmatched = [
        (NameKind::Schema, &rules.schemas),
        (NameKind::Table, &rules.tables),
        (NameKind::Index, &rules.indexes),
        (NameKind::Function, &rules.functions),
        (NameKind::Trigger, &rules.triggers),
    ]
    .into_iter()
    .find_map(|(kind, names)| names.first_untouched().map(|n| (kind, n.clone())));

    let selection = Selection {
        order,
        required,
        by_id,
        content,
        ignored,
        unmatched,
    };
    if options.strict_names {
        if let Some(e) = selection.unmatched() {
            return Err(e);
        }
    }
    Ok(selection)
}
