//! `pgferry_restore::select` against the real `pg_restore -l`: for archives pg_dump 15 to 18 wrote
//! (`tests/fixtures/archives`) and for a synthetic archive with an entry of every kind the rules tell apart,
//! under many option combinations, the listing of the selection must be `pg_restore -l`'s with the same options,
//! line for line (but the creation time), and the errors and `-L` warnings must be pg_restore's.
//!
//! pg_restore 18.6 is the oracle; 17.10 too for the options it has and the archives it reads (LZ4 and zstd
//! archives only by it, as the 18.6 build reads neither).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pgferry_archive::format::{ArchiveFormat, ArchiveVersion, Compression};
use pgferry_archive::read::Archive;
use pgferry_archive::write::{encode, CustomWriter, WriteOptions};
use pgferry_archive::{DumpId, Section, Toc, TocEntry, TocHeader};
use pgferry_restore::select::{select, SelectOptions, UseList};
use pgferry_testkit::{
    diff_lines, fixtures_dir, reference_tool, require_reference_or_skip, RefTool, RefVersion,
};

/// What `pg_restore -l` (or our side) gave for one archive and option set.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// The listing without its creation time line; empty when the run failed before printing it.
    listing: String,
    /// `-L` warnings (`line ignored: ...`).
    warnings: Vec<String>,
    /// The error, if the run failed.
    error: Option<String>,
}

fn without_creation_time(listing: &str) -> String {
    listing
        .lines()
        .filter(|l| !l.starts_with("; Archive created at "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `pg_restore -l ARGS ARCHIVE`.
fn reference(version: RefVersion, args: &[String], archive: &Path) -> Outcome {
    let program = reference_tool(RefTool::PgRestore, version).expect("reference pg_restore");
    let output = Command::new(&program)
        .arg("-l")
        .args(args)
        .arg(archive)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env_remove("PGCLIENTENCODING")
        .stdin(Stdio::null())
        .output()
        .expect("pg_restore runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let warnings = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("pg_restore: warning: "))
        .map(str::to_owned)
        .collect();
    let error = if output.status.success() {
        None
    } else {
        // The message may span lines (a filter name with newlines); the hint line is not part of it.
        let start = stderr
            .find("pg_restore: error: ")
            .unwrap_or_else(|| panic!("no error in pg_restore's stderr: {stderr}"));
        let message = &stderr[start + "pg_restore: error: ".len()..];
        let end = message.find("\npg_restore: ").unwrap_or(message.len());
        Some(message[..end].trim_end_matches('\n').to_owned())
    };
    Outcome {
        listing: without_creation_time(&String::from_utf8_lossy(&output.stdout)),
        warnings,
        error,
    }
}

/// The options pg_restore would take from `args` (only the ones this test uses).
fn parse_args(args: &[String]) -> Result<SelectOptions, String> {
    let mut options = SelectOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .expect("option value")
        };
        match flag {
            "-n" => options.schemas.push(value()),
            "-N" => options.exclude_schemas.push(value()),
            "-t" => options.tables.push(value()),
            "-I" => options.indexes.push(value()),
            "-P" => options.functions.push(value()),
            "-T" => options.triggers.push(value()),
            "--section" => options.add_section(&value()).map_err(|e| e.to_string())?,
            "-a" => options.data_only = true,
            "-s" => options.schema_only = true,
            "-C" => options.create = true,
            "-x" => options.no_privileges = true,
            "--no-comments" => options.no_comments = true,
            "--no-policies" => options.no_policies = true,
            "--no-publications" => options.no_publications = true,
            "--no-subscriptions" => options.no_subscriptions = true,
            "--no-security-labels" => options.no_security_labels = true,
            "--no-data" => options.no_data = true,
            "--no-schema" => options.no_schema = true,
            "--no-statistics" => options.no_statistics = true,
            "--statistics" => options.statistics = true,
            "--statistics-only" => options.statistics_only = true,
            "--strict-names" => options.strict_names = true,
            "-L" => {
                let path = value();
                options.use_list = Some(UseList::parse(fs::read(&path).expect("list file")));
            }
            "--filter" => {
                let path = value();
                let text = fs::read_to_string(&path).expect("filter file");
                options
                    .add_filter(&text, &path)
                    .map_err(|e| e.to_string())?;
            }
            other => panic!("option {other} not handled by the test"),
        }
    }
    Ok(options)
}

/// Our side: the archive's TOC through `select` with the options of `args`, listed as `pg_restore -l` lists.
fn ours(args: &[String], archive: &Path) -> Outcome {
    let (header, toc) = Archive::open(archive).expect("archive").into_toc();
    let failed = |error: String| Outcome {
        listing: String::new(),
        warnings: Vec::new(),
        error: Some(error),
    };
    let options = match parse_args(args) {
        Ok(options) => options,
        Err(e) => return failed(e),
    };
    // As `restore -l` would: select without the strict check, list, then fail if a name was not found.
    let listing_options = SelectOptions {
        strict_names: false,
        ..options.clone()
    };
    let selection = match select(&toc, &listing_options) {
        Ok(selection) => selection,
        Err(e) => return failed(e.to_string()),
    };
    let mut listing = Vec::new();
    selection
        .write_list(&header, &toc, &mut listing)
        .expect("listing");
    let error = if options.strict_names {
        selection.unmatched().map(|e| e.to_string())
    } else {
        None
    };
    // With --strict-names the selection fails the same way.
    assert_eq!(
        select(&toc, &options).err().map(|e| e.to_string()),
        error,
        "select with --strict-names"
    );
    Outcome {
        listing: without_creation_time(&String::from_utf8(listing).expect("UTF-8 listing")),
        warnings: selection
            .ignored_lines()
            .iter()
            .map(ToString::to_string)
            .collect(),
        error,
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Option sets every archive is listed with. Names are those of `setup.sql` and of the synthetic archive.
fn option_sets() -> Vec<Vec<String>> {
    let sets: &[&[&str]] = &[
        &[],
        &["-n", "app"],
        &["-n", "public"],
        &["-n", "app", "-n", "public"],
        &["-n", "nosuch"],
        &["-N", "app"],
        &["-N", "public"],
        &["-n", "app", "-N", "app"],
        &["-t", "books"],
        &["-t", "authors"],
        &["-t", "ticket_seq"],
        &["-t", "authors_id_seq"],
        &["-t", "book_view"],
        &["-t", "books", "-t", "authors"],
        &["-t", "t"],
        &["-t", "s"],
        &["-t", "mv"],
        &["-t", "v", "-t", "ft"],
        &["-t", "u"],
        &["-t", "app.t"],
        &["-I", "books_title_idx"],
        &["-I", "t_idx"],
        &["-P", "f(integer)"],
        &["-P", "agg(integer)", "-P", "p()"],
        &["-T", "t trg"],
        &["-T", "t trg", "-n", "public", "-I", "t_idx"],
        &["--section=pre-data"],
        &["--section=data"],
        &["--section=post-data"],
        &["--section=pre-data", "--section=post-data"],
        &["-a"],
        &["-s"],
        &["-C"],
        &["-C", "-n", "app"],
        &["-C", "-s"],
        &["-C", "-a"],
        &["-C", "-t", "s"],
        &["-C", "--no-comments", "-x"],
        &["-x"],
        &["--no-comments"],
        &["--no-publications"],
        &["--no-subscriptions"],
        &["--no-security-labels"],
        &["--no-policies"],
        &["--no-data"],
        &["--no-schema"],
        &["--statistics-only"],
        &["--no-statistics"],
        &["--statistics"],
        &["-n", "app", "-t", "authors"],
        &["-t", "books", "-s"],
        &["-a", "-n", "app"],
        &["--section=data", "-t", "books"],
        &["-n", "public", "-I", "books_title_idx"],
        &["-t", "books", "--no-comments"],
        &["-t", "books", "-x"],
        &["-t", "t", "--no-security-labels", "--section=pre-data"],
        &["-N", "public", "--no-publications", "--no-subscriptions"],
        &["-n", "other"],
        &["-t", "t", "-n", "other"],
        &["-t", "t", "-N", "app"],
        &["--section=data", "-t", "t"],
        &["--section=post-data", "-t", "t"],
        &["--no-schema", "-t", "t"],
        &["-I", "t_pkey"],
        &["--strict-names", "-n", "other", "-t", "t"],
        &["--strict-names", "-n", "other", "-t", "t", "-t", "t"],
        &["--strict-names", "-n", "nosuch"],
        &["--strict-names", "-t", "nosuch"],
        &["--strict-names", "-n", "app", "-t", "books"],
        &["--strict-names", "-n", "public", "-t", "books"],
        &["--strict-names", "-t", "books", "-t", "books"],
        &["--strict-names", "-t", "books", "--section=post-data"],
        &["--strict-names", "-I", "nosuch"],
        &["--strict-names", "-P", "nosuch()"],
        &["--strict-names", "-T", "nosuch"],
        &["--strict-names", "-n", "app", "-n", "nosuch", "-t", "nada"],
        &["-a", "-s"],
        &["-a", "--no-data"],
        &["-s", "--statistics"],
        &["--section=middle"],
    ];
    sets.iter().map(|s| args(s)).collect()
}

/// Options pg_restore 17 does not have.
fn newer_than_17(args: &[String]) -> bool {
    args.iter().any(|a| {
        matches!(
            a.as_str(),
            "--no-policies"
                | "--no-data"
                | "--no-schema"
                | "--no-statistics"
                | "--statistics"
                | "--statistics-only"
        )
    })
}

/// Filter files (name, contents), written into the scratch dir; each is used as `--filter FILE`, alone and with
/// `--strict-names` (which shows what names the filter made).
const FILTERS: &[(&str, &str)] = &[
    (
        "schema_and_table",
        "# keep app\ninclude schema app\n\n  INCLUDE Table authors  # the table\ninclude table t\n",
    ),
    ("exclude_schema", "exclude schema app\n"),
    (
        "kinds",
        "include table books\ninclude index books_title_idx\ninclude index t_idx\n\
         include function f( integer )\ninclude trigger t   trg\n",
    ),
    ("quoted", "include table \"books\"\n"),
    ("multiline", "include table \"a\n\nb\"\n"),
    ("qualified", "include table public . books\n"),
    ("empty_name", "include table # nothing\n"),
    ("exclude_table", "exclude table books\n"),
    (
        "table_data",
        "include schema app\ninclude table_data books\n",
    ),
    ("extension", "include extension plpgsql\n"),
    ("bad_kind", "include view book_view\n"),
    ("bad_command", "includ table books\n"),
    ("no_kind", "include\n"),
    ("no_name", "include table   \n"),
    ("open_quote", "include table \"books\n"),
];

/// A `-L` list made from the default listing: entries in reverse order with every third one left out, plus
/// comments, blank lines, indented ids and lines pg_restore ignores.
fn reordered_list(listing: &str) -> String {
    let ids: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with(';') && !l.is_empty())
        .collect();
    let mut out = String::from(";\n; edited list\n;\n\nabc\n0\n-1\n99999999\n");
    for (i, line) in ids.iter().rev().enumerate() {
        if i % 3 == 2 {
            out.push_str(&format!(";{line}\n"));
            continue;
        }
        if i % 4 == 1 {
            out.push_str(&format!("   {line}\n\n"));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    // A repeated id is ignored.
    if let Some(first) = ids.first() {
        out.push_str(first);
        out.push('\n');
    }
    out
}

/// The smallest dump id in the archive's range that no entry has, if any.
fn missing_id(toc: &Toc) -> Option<u32> {
    (1..toc.max_dump_id().0).find(|id| toc.entry(DumpId(*id)).is_none())
}

/// The archives compared, with the pg_restore versions that list them.
fn archives(scratch: &Path) -> Vec<(PathBuf, Vec<RefVersion>)> {
    let dir = fixtures_dir().join("archives");
    let both = || vec![RefVersion::V18_6, RefVersion::V17_10];
    let mut list: Vec<(PathBuf, Vec<RefVersion>)> = [
        "v15_c_def.dump",
        "v15_d_def",
        "v15_t.tar",
        "v16_c_z0.dump",
        "v16_d_z0",
        "v17_c_def.dump",
        "v17_t.tar",
        "v18_c_def.dump",
        "v18_d_z0",
        "v18_t.tar",
        "v18_c_z0_pipe.dump",
        "lotest15.dump",
        "lotest18.dump",
        "bigoid.dump",
    ]
    .iter()
    .map(|name| (dir.join(name), both()))
    .collect();
    list.push((dir.join("v18_stats.dump"), vec![RefVersion::V18_6]));
    list.push((dir.join("v18_c_lz4.dump"), vec![RefVersion::V17_10]));
    list.push((dir.join("v18_d_zstd"), vec![RefVersion::V17_10]));
    // pg_restore 17 knows no STATISTICS DATA entries (they are pg_dump 18's): it lists archives with them
    // differently, so it only sees the ones without.
    list.push((synthetic_archive(scratch, true), vec![RefVersion::V18_6]));
    list.push((synthetic_archive(scratch, false), both()));
    list
}

/// Compares our outcome with pg_restore's for one archive and option set; a description of the difference.
fn compare(version: RefVersion, archive: &Path, args: &[String]) -> Option<String> {
    let expected = reference(version, args, archive);
    let actual = ours(args, archive);
    let what = format!(
        "pg_restore {version} -l {} {}",
        args.join(" "),
        archive.display()
    );
    let mut problems = Vec::new();
    if expected.error != actual.error {
        problems.push(format!(
            "error: pg_restore {:?}, ours {:?}",
            expected.error, actual.error
        ));
    }
    // A run that failed before listing prints nothing; ours lists nothing then either.
    if !(expected.listing.is_empty() && expected.error.is_some()) {
        if let Some(diff) = diff_lines(&expected.listing, &actual.listing) {
            problems.push(format!("listing (- pg_restore, + ours):\n{diff}"));
        }
    }
    if expected.warnings != actual.warnings {
        problems.push(format!(
            "warnings: pg_restore {:?}, ours {:?}",
            expected.warnings, actual.warnings
        ));
    }
    (!problems.is_empty()).then(|| format!("{what}:\n{}", problems.join("\n")))
}

#[test]
fn selections_list_as_pg_restore_lists_them() {
    if require_reference_or_skip(RefVersion::V18_6).is_none()
        || require_reference_or_skip(RefVersion::V17_10).is_none()
    {
        return;
    }
    let scratch = tempfile::tempdir().expect("temp dir");
    let filters: Vec<PathBuf> = FILTERS
        .iter()
        .map(|(name, text)| {
            let path = scratch.path().join(format!("{name}.filter"));
            fs::write(&path, text).expect("filter file");
            path
        })
        .collect();

    let mut failures = Vec::new();
    let mut compared = 0;
    for (archive, versions) in archives(scratch.path()) {
        let toc = Archive::open(&archive).expect("archive").into_toc().1;
        let stem = archive.file_name().unwrap().to_string_lossy().into_owned();

        let mut sets = option_sets();
        for filter in &filters {
            let path = filter.to_str().unwrap();
            sets.push(args(&["--filter", path]));
            sets.push(args(&["--strict-names", "--filter", path]));
        }
        // -L lists: reordered and thinned, alone and with selections whose dependents then come before their
        // parents; one naming an id the archive lacks.
        let default_listing = reference(RefVersion::V18_6, &[], &archive);
        let default_listing = if default_listing.error.is_some() {
            reference(RefVersion::V17_10, &[], &archive).listing
        } else {
            default_listing.listing
        };
        let list = scratch.path().join(format!("{stem}.list"));
        fs::write(&list, reordered_list(&default_listing)).expect("list file");
        let list = list.to_str().unwrap().to_owned();
        for extra in [
            &[][..],
            &["-n", "public"],
            &["-t", "books"],
            &["-t", "t"],
            &["-N", "app"],
            &["-C"],
            &["--section=pre-data"],
        ] {
            let mut set = args(&["-L", &list]);
            set.extend(args(extra));
            sets.push(set);
        }
        // The default listing as a list: the same entries in the same order.
        let same = scratch.path().join(format!("{stem}.same.list"));
        fs::write(&same, &default_listing).expect("list file");
        sets.push(args(&["-L", same.to_str().unwrap()]));
        if let Some(id) = missing_id(&toc) {
            let gap = scratch.path().join(format!("{stem}.gap.list"));
            fs::write(&gap, format!("{}\n{id}\n", toc.entries[0].dump_id)).expect("list file");
            sets.push(args(&["-L", gap.to_str().unwrap()]));
        }

        for version in versions {
            for set in &sets {
                if version == RefVersion::V17_10 && newer_than_17(set) {
                    continue;
                }
                compared += 1;
                if let Some(problem) = compare(version, &archive, set) {
                    failures.push(problem);
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} comparisons");
    assert!(
        failures.is_empty(),
        "{} of {compared} listings differ from pg_restore -l:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A TOC entry of the synthetic archive: dump id, desc, schema, tag, section, definition, dependencies.
type Row = (
    u32,
    &'static str,
    Option<&'static str>,
    &'static str,
    Section,
    &'static str,
    &'static [u32],
);

/// A custom archive whose TOC has an entry of every kind the selection rules tell apart, as pg_dump 18 would
/// write them, with the names the option sets use: schema `app` (function `f(integer)`, procedure `p()`,
/// table `t` with comment, label, ACLs, policy, row security, index `t_idx`, trigger `t trg`, data and
/// statistics) and `public` (aggregate `agg(integer)`, table `u` with data loaded via a partition root, view
/// `v`, materialized view `mv` with data, foreign table `ft`, sequence `s` with its value, another trigger
/// `t trg`), statistics of every kind of relation and of a few things that are not relations, a publication and a subscription with comments and labels, default privileges, an ACL without a
/// parent, large objects with comment and ACL, the database's entries, and an entry without a definition.
fn synthetic_archive(dir: &Path, statistics: bool) -> PathBuf {
    use Section::{Data, None as NoSection, PostData, PreData};
    #[rustfmt::skip]
    let rows: &[Row] = &[
        (1, "ENCODING", None, "ENCODING", PreData, "SET client_encoding = 'UTF8';\n", &[]),
        (2, "STDSTRINGS", None, "STDSTRINGS", PreData, "SET standard_conforming_strings = 'on';\n", &[]),
        (3, "SEARCHPATH", None, "SEARCHPATH", PreData, "SELECT pg_catalog.set_config('search_path', '', false);\n", &[]),
        (4, "DATABASE", None, "synth", PreData, "CREATE DATABASE synth;\n", &[]),
        (5, "DATABASE PROPERTIES", None, "synth", PreData, "ALTER DATABASE synth SET x TO '1';\n", &[4]),
        (6, "COMMENT", None, "DATABASE synth", NoSection, "COMMENT ON DATABASE synth IS 'd';\n", &[4]),
        (7, "ACL", None, "DATABASE synth", NoSection, "GRANT ALL ON DATABASE synth TO x;\n", &[4]),
        (10, "SCHEMA", None, "app", PreData, "CREATE SCHEMA app;\n", &[]),
        (11, "COMMENT", None, "SCHEMA app", NoSection, "COMMENT ON SCHEMA app IS 'a';\n", &[10]),
        (12, "EXTENSION", None, "hstore", PreData, "CREATE EXTENSION hstore;\n", &[]),
        (13, "FUNCTION", Some("app"), "f(integer)", PreData, "CREATE FUNCTION app.f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';\n", &[10]),
        (14, "ACL", Some("app"), "FUNCTION f(integer)", NoSection, "GRANT ALL ON FUNCTION app.f(integer) TO x;\n", &[13]),
        (15, "AGGREGATE", Some("public"), "agg(integer)", PreData, "CREATE AGGREGATE public.agg(integer) (...);\n", &[]),
        (16, "PROCEDURE", Some("app"), "p()", PreData, "CREATE PROCEDURE app.p() LANGUAGE sql AS '';\n", &[10]),
        (20, "TABLE", Some("app"), "t", PreData, "CREATE TABLE app.t (a integer);\n", &[10]),
        (21, "COMMENT", Some("app"), "TABLE t", NoSection, "COMMENT ON TABLE app.t IS 't';\n", &[20]),
        (22, "SECURITY LABEL", Some("app"), "TABLE t", NoSection, "SECURITY LABEL FOR p ON TABLE app.t IS 'x';\n", &[20]),
        (23, "ACL", Some("app"), "TABLE t", NoSection, "GRANT SELECT ON TABLE app.t TO x;\n", &[20]),
        (24, "ACL", Some("app"), "COLUMN t.a", NoSection, "GRANT SELECT(a) ON TABLE app.t TO y;\n", &[20, 23]),
        (25, "TABLE", Some("public"), "u", PreData, "CREATE TABLE public.u (a integer);\n", &[]),
        (26, "VIEW", Some("public"), "v", PreData, "CREATE VIEW public.v AS SELECT 1;\n", &[25]),
        (27, "MATERIALIZED VIEW", Some("public"), "mv", PreData, "CREATE MATERIALIZED VIEW public.mv AS SELECT 1 WITH NO DATA;\n", &[25]),
        (28, "FOREIGN TABLE", Some("public"), "ft", PreData, "CREATE FOREIGN TABLE public.ft (a integer) SERVER s;\n", &[]),
        (29, "SEQUENCE", Some("public"), "s", PreData, "CREATE SEQUENCE public.s;\n", &[]),
        (30, "POLICY", Some("app"), "t pol", PostData, "CREATE POLICY pol ON app.t USING (true);\n", &[20]),
        (31, "ROW SECURITY", Some("app"), "t", PostData, "ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;\n", &[20]),
        (32, "COMMENT", Some("app"), "POLICY pol ON t", NoSection, "COMMENT ON POLICY pol ON app.t IS 'p';\n", &[30]),
        (33, "PUBLICATION", None, "pub", PostData, "CREATE PUBLICATION pub;\n", &[]),
        (34, "COMMENT", None, "PUBLICATION pub", NoSection, "COMMENT ON PUBLICATION pub IS 'p';\n", &[33]),
        (35, "SECURITY LABEL", None, "PUBLICATION pub", NoSection, "SECURITY LABEL FOR p ON PUBLICATION pub IS 'x';\n", &[33]),
        (36, "PUBLICATION TABLE", Some("app"), "pub t", PostData, "ALTER PUBLICATION pub ADD TABLE ONLY app.t;\n", &[33, 20]),
        (37, "PUBLICATION TABLES IN SCHEMA", Some("app"), "pub app", PostData, "ALTER PUBLICATION pub ADD TABLES IN SCHEMA app;\n", &[33, 10]),
        (38, "SUBSCRIPTION", None, "sub", PostData, "CREATE SUBSCRIPTION sub CONNECTION '' PUBLICATION pub;\n", &[]),
        (39, "COMMENT", None, "SUBSCRIPTION sub", NoSection, "COMMENT ON SUBSCRIPTION sub IS 's';\n", &[38]),
        (40, "SECURITY LABEL", None, "SUBSCRIPTION sub", NoSection, "SECURITY LABEL FOR p ON SUBSCRIPTION sub IS 'x';\n", &[38]),
        (41, "DEFAULT ACL", Some("app"), "DEFAULT PRIVILEGES FOR TABLES", NoSection, "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO x;\n", &[10]),
        (42, "ACL", None, "SCHEMA public", NoSection, "GRANT ALL ON SCHEMA public TO x;\n", &[]),
        (50, "TABLE DATA", Some("app"), "t", Data, "", &[20]),
        (51, "TABLE DATA", Some("public"), "u", Data, "-- load via partition root public.root\n", &[25]),
        (52, "SEQUENCE SET", Some("public"), "s", Data, "SELECT pg_catalog.setval('public.s', 1, false);\n", &[29]),
        (53, "BLOB METADATA", None, "7", Data, "SELECT pg_catalog.lo_create('7');\n", &[]),
        (54, "COMMENT", None, "LARGE OBJECT 7", NoSection, "COMMENT ON LARGE OBJECT 7 IS 'l';\n", &[53]),
        (55, "ACL", None, "LARGE OBJECTS 7..7", NoSection, "GRANT SELECT ON LARGE OBJECT 7 TO x;\n", &[53]),
        (56, "BLOBS", None, "7", Data, "", &[53]),
        (57, "STATISTICS DATA", Some("app"), "t", Data, "SELECT * FROM pg_catalog.pg_restore_relation_stats('x');\n", &[20]),
        (58, "COMMENT", Some("public"), "COLUMN u.a", NoSection, "COMMENT ON COLUMN public.u.a IS 'c';\n", &[25]),
        (60, "INDEX", Some("app"), "t_idx", PostData, "CREATE INDEX t_idx ON app.t USING btree (a);\n", &[20]),
        (61, "CONSTRAINT", Some("app"), "t t_pkey", PostData, "ALTER TABLE ONLY app.t ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n", &[20]),
        (62, "TRIGGER", Some("app"), "t trg", PostData, "CREATE TRIGGER trg AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.f();\n", &[20]),
        (63, "COMMENT", Some("app"), "TRIGGER trg ON t", NoSection, "COMMENT ON TRIGGER trg ON app.t IS 'g';\n", &[62]),
        (64, "TRIGGER", Some("public"), "t trg", PostData, "CREATE TRIGGER trg AFTER INSERT ON public.u FOR EACH ROW EXECUTE FUNCTION app.f();\n", &[25]),
        (65, "MATERIALIZED VIEW DATA", Some("public"), "mv", PostData, "REFRESH MATERIALIZED VIEW public.mv;\n", &[27]),
        (66, "EVENT TRIGGER", None, "evt", PostData, "CREATE EVENT TRIGGER evt ON ddl_command_start EXECUTE FUNCTION app.f();\n", &[]),
        (67, "STATISTICS DATA", Some("app"), "t_idx", PostData, "SELECT * FROM pg_catalog.pg_restore_relation_stats('y');\n", &[60]),
        (68, "SECURITY LABEL", Some("app"), "TABLE t", NoSection, "", &[20]),
        (69, "COMMENT", Some("app"), "INDEX t_idx", NoSection, "COMMENT ON INDEX app.t_idx IS 'i';\n", &[60]),
        (70, "ACL", Some("public"), "TABLE u", NoSection, "GRANT SELECT ON TABLE public.u TO x;\n", &[25]),
        (71, "STATISTICS DATA", Some("public"), "v", PostData, "SELECT 71;\n", &[26]),
        (72, "STATISTICS DATA", Some("public"), "s", PostData, "SELECT 72;\n", &[29]),
        (73, "STATISTICS DATA", Some("public"), "mv", PostData, "SELECT 73;\n", &[65]),
        (74, "STATISTICS DATA", Some("public"), "mv", PostData, "SELECT 74;\n", &[27]),
        (75, "STATISTICS DATA", Some("public"), "ft", PostData, "SELECT 75;\n", &[28]),
        (76, "STATISTICS DATA", Some("app"), "t_pkey", PostData, "SELECT 76;\n", &[61]),
        (77, "STATISTICS DATA", Some("other"), "zz", PostData, "SELECT 77;\n", &[8, 20]),
        (78, "STATISTICS DATA", None, "DATABASE x", PostData, "SELECT 78;\n", &[]),
        (79, "STATISTICS DATA", Some("app"), "t", PostData, "SELECT 79;\n", &[50]),
        (80, "STATISTICS DATA", Some("app"), "empty", PostData, "", &[20]),
    ];
    let entries: Vec<TocEntry> = rows
        .iter()
        .filter(|row| statistics || row.1 != "STATISTICS DATA")
        .map(|&(id, kind, namespace, tag, section, defn, deps)| {
            let mut e = TocEntry::new(DumpId(id), kind, tag, section);
            e.namespace = namespace.map(str::to_owned);
            e.defn = (!defn.is_empty()).then(|| defn.to_owned());
            e.dependencies = deps.iter().map(|&d| DumpId(d)).collect();
            e.had_dumper = matches!(kind, "TABLE DATA" | "BLOBS");
            e.owner = (kind != "STATISTICS DATA").then(|| "postgres".to_owned());
            e.oid = 16_000 + id;
            e.table_oid = if kind == "TABLE" { 1259 } else { 0 };
            if kind == "TABLE DATA" {
                e.copy_stmt = Some(format!(
                    "COPY {}.{tag} (a) FROM stdin;\n",
                    namespace.unwrap()
                ));
            }
            e
        })
        .collect();
    let toc = Toc {
        header: TocHeader {
            dbname: "synth".into(),
            server_version: "18.6".into(),
            dumper_version: "18.6".into(),
            encoding: "UTF8".into(),
            std_strings: true,
        },
        entries,
    };
    let path = dir.join(if statistics {
        "synthetic.dump"
    } else {
        "synthetic_nostats.dump"
    });
    let mut options = WriteOptions::new(
        ArchiveFormat::Custom,
        Compression::NONE,
        Some(ArchiveVersion::V1_16),
    )
    .expect("write options");
    options.created = encode::created_at(std::time::SystemTime::UNIX_EPOCH);
    options.sync = false;
    let file = fs::File::create(&path).expect("archive file");
    let mut writer = CustomWriter::new(file, &toc, &options).expect("custom writer");
    for entry in &toc.entries {
        if entry.desc == "TABLE DATA" {
            let mut data = writer.start_data(entry.dump_id).expect("data");
            data.write_chunk(b"1\n\\.\n").expect("chunk");
            data.finish().expect("finish data");
        } else if entry.desc == "BLOBS" {
            let mut blobs = writer.start_blobs(entry.dump_id).expect("blobs");
            blobs.write_blob(7, b"seven").expect("blob");
            blobs.finish().expect("finish blobs");
        }
    }
    writer.finish().expect("finish archive");
    path
}
