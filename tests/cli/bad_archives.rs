//! Damaged archives, made from copies of `tests/fixtures/archives`: `pgferry list`, `restore -l`, `restore -f -`
//! and `restore -d` (from the path, and from standard input for files) fail with exit code 1 and an error line
//! that names the archive and says what is wrong, never with a panic or a hang. Damage in the data is found only
//! when the data is read: the listing still works, and a restore stops at the entry, naming it.

use std::path::{Path, PathBuf};

use pgferry_testkit::{fixtures_dir, Cluster};

use crate::support::{Env, Run};

const KEY: &str = "pgferrytestkey";

fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join("archives").join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An archive integer as pg_dump writes it with 4-byte integers: a sign byte, then 4 bytes little-endian.
fn int(value: u32) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend_from_slice(&value.to_le_bytes());
    bytes
}

/// An archive string: its length as an archive integer, then its bytes.
fn string(text: &str) -> Vec<u8> {
    let mut bytes = int(text.len() as u32);
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// Where `needle` first occurs in `bytes`.
fn find(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

/// Where the data block of `dump_id` starts in a custom archive (type 1: data, 3: large objects).
fn block(bytes: &[u8], kind: u8, dump_id: u32) -> usize {
    let mut header = vec![kind];
    header.extend(int(dump_id));
    find(bytes, &header)
}

/// Where the tar header of member `name` is.
fn tar_header(bytes: &[u8], name: &str) -> usize {
    let mut field = name.as_bytes().to_vec();
    field.push(0);
    (0..bytes.len())
        .step_by(512)
        .find(|&at| bytes[at..].starts_with(&field))
        .unwrap_or_else(|| panic!("no tar member {name}"))
}

/// Inverts `len` bytes at `at`.
fn flip(bytes: &mut [u8], at: usize, len: usize) {
    bytes[at..at + len].iter_mut().for_each(|b| *b ^= 0xff);
}

/// Writes a valid checksum into the tar header block at `at`.
fn fix_tar_checksum(bytes: &mut [u8], at: usize) {
    bytes[at + 148..at + 156].fill(b' ');
    let sum: u32 = bytes[at..at + 512].iter().map(|&b| u32::from(b)).sum();
    bytes[at + 148..at + 156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// Where the damage is, and so which commands find it.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// In the header or the TOC: every command fails.
    Toc,
    /// In the data of this TOC entry: the listing works; `-f` and `-d` fail, naming the entry.
    Data(u32),
    /// Nothing pg_restore refuses (a dependency on an entry the archive does not have): everything works.
    Harmless,
}

struct Case {
    name: &'static str,
    /// The damaged archive, a file or a directory.
    path: PathBuf,
    /// The fixture it was made from: what the listing (and, when harmless, the script) must still be.
    original: PathBuf,
    damage: Damage,
    /// What the error line must say.
    says: Vec<String>,
}

/// Builds the damaged archives in `scratch`.
struct Cases {
    scratch: PathBuf,
    cases: Vec<Case>,
}

impl Cases {
    /// A damaged copy of the fixture file `from`.
    fn file(
        &mut self,
        name: &'static str,
        from: &str,
        damage: Damage,
        says: &[&str],
        change: impl FnOnce(&mut Vec<u8>),
    ) {
        let original = fixture(from);
        let mut bytes = read(&original);
        change(&mut bytes);
        let path = self.scratch.join(format!("{}.{from}", self.cases.len()));
        std::fs::write(&path, bytes).expect("damaged copy");
        self.push(name, path, original, damage, says);
    }

    /// A damaged copy of the fixture directory `from`.
    fn dir(
        &mut self,
        name: &'static str,
        from: &str,
        damage: Damage,
        says: &[&str],
        change: impl FnOnce(&Path),
    ) {
        let original = fixture(from);
        let path = self.scratch.join(format!("{}.{from}", self.cases.len()));
        std::fs::create_dir(&path).expect("directory");
        for file in std::fs::read_dir(&original).expect("fixture directory") {
            let file = file.expect("dir entry");
            std::fs::copy(file.path(), path.join(file.file_name())).expect("copy");
        }
        change(&path);
        self.push(name, path, original, damage, says);
    }

    fn push(
        &mut self,
        name: &'static str,
        path: PathBuf,
        original: PathBuf,
        damage: Damage,
        says: &[&str],
    ) {
        self.cases.push(Case {
            name,
            path,
            original,
            damage,
            says: says.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
}

fn cases(scratch: &Path) -> Vec<Case> {
    use Damage::{Data, Harmless, Toc};
    let mut c = Cases {
        scratch: scratch.to_owned(),
        cases: Vec::new(),
    };
    let unsupported = |version: &str| {
        format!("archive version {version} is not supported (pgferry reads 1.12 to 1.16)")
    };
    let (v1_11, v1_17, v2_0) = (unsupported("1.11"), unsupported("1.17"), unsupported("2.0"));

    // Custom archives cut short.
    let z0 = "v18_c_z0.dump";
    c.file(
        "custom cut in the header",
        z0,
        Toc,
        &[
            "ends too early",
            "cut off at offset 20, in the archive header",
        ],
        |b| b.truncate(20),
    );
    c.file(
        "custom cut in the TOC",
        z0,
        Toc,
        &["ends too early", "in TOC entry"],
        |b| b.truncate(block(b, 1, 3358) / 2),
    );
    c.file(
        "custom cut in a data block",
        z0,
        Data(3358),
        &["ends too early", "in the data of TOC entry 3358"],
        |b| b.truncate(block(b, 1, 3358) + 10),
    );
    c.file(
        "custom cut just before the last block's end",
        z0,
        Data(3362),
        &["ends too early", "in the large objects of TOC entry 3362"],
        |b| b.truncate(b.len() - 1),
    );
    c.file(
        "custom without data offsets cut in a data block",
        "v18_c_z0_pipe.dump",
        Data(3359),
        &["ends too early", "in the data of TOC entry 3359"],
        |b| b.truncate(block(b, 1, 3359) + 8),
    );
    c.file(
        "gzip custom cut in a data block",
        "v18_c_def.dump",
        Data(3358),
        &["ends too early", "in the data of TOC entry 3358"],
        |b| b.truncate(block(b, 1, 3358) + 20),
    );
    c.file(
        "empty file",
        z0,
        Toc,
        &["is not a pg_dump archive: it is empty"],
        |b| b.clear(),
    );

    // Wrong magic and versions.
    c.file(
        "wrong magic",
        z0,
        Toc,
        &["is not a pg_dump archive", "neither PGDMP"],
        |b| b[..5].copy_from_slice(b"XXXXX"),
    );
    c.file("archive version 1.11", z0, Toc, &[&v1_11], |b| b[6] = 11);
    c.file("archive version 1.17", z0, Toc, &[&v1_17], |b| b[6] = 17);
    c.file("archive version 2.0", z0, Toc, &[&v2_0], |b| {
        b[5] = 2;
        b[6] = 0;
    });

    // A corrupted TOC.
    c.file(
        "huge string length",
        z0,
        Toc,
        &["in TOC entry", "a string claims 2147483647 bytes"],
        |b| {
            let at = find(b, &string("authors"));
            b[at + 1..at + 5].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
        },
    );
    c.file(
        "negative string length (NULL desc)",
        z0,
        Toc,
        &["in TOC entry", "its desc is missing (NULL)"],
        |b| {
            let at = find(b, &string("TABLE"));
            b[at] = 1;
        },
    );
    c.file(
        "section out of range",
        z0,
        Toc,
        &["in TOC entry", "section 99 is out of range"],
        |b| {
            let at = find(b, &string("SCHEMA")) + string("SCHEMA").len();
            assert_eq!(b[at..at + 5], int(2)[..], "SCHEMA is pre-data");
            b[at..at + 5].copy_from_slice(&int(99));
        },
    );
    c.file(
        "dependency that is not a number",
        z0,
        Toc,
        &["in TOC entry", "dependency \"2x6\" is not a valid number"],
        |b| {
            let at = find(b, &string("216"));
            b[at + 6] = b'x';
        },
    );
    // pg_restore ignores dependencies on entries that are not in the archive, and so does pgferry.
    c.file("dependency pointing nowhere", z0, Harmless, &[], |b| {
        let at = find(b, &string("216"));
        b[at + 5..at + 8].copy_from_slice(b"999");
    });

    // Compressed data that does not decompress (the bytes inverted are in the stream's header or first block,
    // past the block header and the first chunk's length).
    for (name, from, len) in [
        ("gzip data corrupted", "v18_c_def.dump", 8),
        ("zstd data corrupted", "v18_c_zstd.dump", 8),
        ("LZ4 data corrupted", "v18_c_lz4.dump", 2),
    ] {
        c.file(
            name,
            from,
            Data(3359),
            &["the data of TOC entry 3359", "does not decompress"],
            |b| {
                let at = block(b, 1, 3359) + 6 + 5 + 4;
                flip(b, at, len);
            },
        );
    }

    // Tar archives.
    let tar = "v18_t.tar";
    c.file(
        "tar header of toc.dat with a bad checksum",
        tar,
        Toc,
        &["in a tar header", "checksum does not match"],
        |b| b[0] ^= 1,
    );
    c.file(
        "tar header of a data member with a bad checksum",
        tar,
        Data(3358),
        &["in a tar header", "checksum does not match"],
        |b| {
            let at = tar_header(b, "3358.dat");
            b[at] ^= 1;
        },
    );
    c.file(
        "tar without toc.dat",
        tar,
        Toc,
        &["is not a pg_dump archive", "no toc.dat member"],
        |b| {
            b[..8].copy_from_slice(b"toc.daX\0");
            fix_tar_checksum(b, 0);
        },
    );
    c.file(
        "tar cut in a data member",
        tar,
        Data(3359),
        &["ends too early", "in tar member 3359.dat"],
        |b| {
            let at = tar_header(b, "3359.dat");
            b.truncate(at + 512 + 10);
        },
    );

    // Directory archives.
    let dir = "v18_d_def";
    c.dir(
        "directory without a data file",
        dir,
        Data(3358),
        &["data file 3358.dat.gz is missing"],
        |d| std::fs::remove_file(d.join("3358.dat.gz")).unwrap(),
    );
    c.dir(
        "directory with a truncated .gz data file",
        dir,
        Data(3358),
        &[
            "file 3358.dat.gz ends too early",
            "gzip stream stops before its end",
        ],
        |d| {
            let file = d.join("3358.dat.gz");
            let bytes = read(&file);
            std::fs::write(&file, &bytes[..20]).unwrap();
        },
    );
    c.dir(
        "directory with a corrupted .gz data file",
        dir,
        Data(3359),
        &["file 3359.dat.gz is corrupt", "does not decompress"],
        |d| {
            let file = d.join("3359.dat.gz");
            let mut bytes = read(&file);
            flip(&mut bytes, 12, 8);
            std::fs::write(&file, bytes).unwrap();
        },
    );
    c.dir(
        "directory with a corrupted .zst data file",
        "v18_d_zstd",
        Data(3359),
        &["file 3359.dat.zst is corrupt", "does not decompress"],
        |d| {
            let file = d.join("3359.dat.zst");
            let mut bytes = read(&file);
            flip(&mut bytes, 4, 4);
            std::fs::write(&file, bytes).unwrap();
        },
    );
    c.dir(
        "directory without its large-object list",
        dir,
        Data(3362),
        &["large-object TOC file blobs_3362.toc is missing"],
        |d| std::fs::remove_file(d.join("blobs_3362.toc")).unwrap(),
    );
    c.dir(
        "directory without toc.dat",
        dir,
        Toc,
        &["toc.dat is missing: this is not a pg_dump directory archive"],
        |d| std::fs::remove_file(d.join("toc.dat")).unwrap(),
    );
    c.dir(
        "directory with a truncated toc.dat",
        dir,
        Toc,
        &["file toc.dat ends too early", "in TOC entry"],
        |d| {
            let file = d.join("toc.dat");
            let bytes = read(&file);
            std::fs::write(&file, &bytes[..1000]).unwrap();
        },
    );
    c.dir(
        "directory with toc.dat of version 1.17",
        dir,
        Toc,
        &[&v1_17],
        |d| {
            let file = d.join("toc.dat");
            let mut bytes = read(&file);
            bytes[6] = 17;
            std::fs::write(&file, bytes).unwrap();
        },
    );
    c.dir(
        "directory with a toc.dat that is not one",
        dir,
        Toc,
        &[
            "is not a pg_dump archive",
            "toc.dat does not start with PGDMP",
        ],
        |d| {
            let file = d.join("toc.dat");
            let mut bytes = read(&file);
            bytes[..5].copy_from_slice(b"XXXXX");
            std::fs::write(&file, bytes).unwrap();
        },
    );
    c.cases
}

/// The first line of stderr that is not a warning: it must be an error line. The run must have failed with exit
/// code 1 and no panic.
fn error_line(run: &Run) -> Result<&str, String> {
    if run.code != 1 {
        return Err(format!("exit code {} instead of 1", run.code));
    }
    if run.stderr.contains("panicked") {
        return Err("panicked".to_owned());
    }
    let line = run
        .stderr
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with("pgferry: warning: "))
        .unwrap_or_default();
    if !line.starts_with("pgferry: error: ") {
        return Err("no error line".to_owned());
    }
    Ok(line)
}

/// Checks a failed run: exit code 1, no panic, an error line (the only line on stderr, when `one_line`) naming
/// `source` and saying `says`.
fn check_failure(run: &Run, one_line: bool, source: &str, says: &[String]) -> Result<(), String> {
    let line = error_line(run)?;
    let lines = run.stderr.lines().filter(|l| !l.trim().is_empty()).count();
    if one_line && lines != 1 {
        return Err(format!("{lines} lines on stderr instead of one"));
    }
    let prefix = format!("pgferry: error: {source}: ");
    if !line.starts_with(&prefix) {
        return Err(format!("the error line does not start with {prefix:?}"));
    }
    match says.iter().find(|s| !line.contains(s.as_str())) {
        Some(missing) => Err(format!("the error line does not say {missing:?}")),
        None => Ok(()),
    }
}

fn check_success(run: &Run, expected: Option<&str>) -> Result<(), String> {
    if run.code != 0 {
        return Err(format!("exit code {} instead of 0", run.code));
    }
    match expected {
        Some(expected) if run.stdout != expected => {
            Err("the output differs from the undamaged archive's".to_owned())
        }
        _ => Ok(()),
    }
}

/// The outcome of one command on one case: a failure message with the run's output, or nothing.
fn verdict(case: &Case, command: &str, run: &Run, result: Result<(), String>) -> Option<String> {
    result.err().map(|why| {
        format!(
            "{} ({}): {command}: {why}\nstderr:\n{}",
            case.name,
            case.path.display(),
            run.stderr.trim_end()
        )
    })
}

/// What every command does with a damaged archive, from its path and from standard input; `-d` (serially and,
/// where the damage is in the data, with `-j 2`) into a fresh database of `cluster` per run.
#[tokio::test(flavor = "multi_thread")]
async fn damaged_archives_fail_clearly() {
    let cluster = match crate::support::one_major() {
        Some(major) => Some(Cluster::start(major).await.expect("cluster starts")),
        None => None,
    };
    let scratch = tempfile::tempdir().expect("scratch directory");
    let env = Env::new();
    let mut failures = Vec::new();
    let mut databases = 0;
    let mut fresh_database = || {
        databases += 1;
        format!("bad{databases}")
    };
    for case in cases(scratch.path()) {
        let path = case.path.to_str().expect("UTF-8 path");
        let original = case.original.to_str().expect("UTF-8 path");
        let is_file = case.path.is_file();
        let listing = env.run(&["list", original]).await.success().to_owned();
        let script = env
            .run(&["restore", "-f", "-", "--restrict-key", KEY, original])
            .await
            .success()
            .to_owned();

        let mut says_data = case.says.clone();
        if let Damage::Data(id) = case.damage {
            says_data.push(format!("TOC entry {id}"));
        }

        // Listing reads the header and TOC only.
        for args in [&["list", path][..], &["restore", "-l", path]] {
            let run = env.run(args).await;
            let result = match case.damage {
                Damage::Toc => check_failure(&run, true, path, &case.says),
                _ => check_success(&run, Some(&listing)),
            };
            failures.extend(verdict(&case, &args.join(" "), &run, result));
        }
        let mut runs: Vec<(Vec<String>, bool)> = vec![(
            vec!["restore", "-f", "-", "--restrict-key", KEY, path]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            false,
        )];
        if is_file {
            runs.push((["list", "-"].map(str::to_owned).to_vec(), true));
            runs.push((
                ["restore", "-f", "-", "--restrict-key", KEY]
                    .map(str::to_owned)
                    .to_vec(),
                true,
            ));
        }
        if let Some(cluster) = &cluster {
            let mut restores = vec![(vec![], false)];
            if is_file {
                restores.push((vec![], true));
            }
            if !matches!(case.damage, Damage::Toc) {
                restores.push((vec!["-j".to_owned(), "2".to_owned()], false));
            }
            for (options, from_stdin) in restores {
                let db = fresh_database();
                cluster.create_database(&db).await.expect("database");
                let mut args = vec!["restore".to_owned(), "-d".to_owned(), cluster.url(&db)];
                args.extend(options);
                if !from_stdin {
                    args.push(path.to_owned());
                }
                runs.push((args, from_stdin));
            }
        }
        for (args, from_stdin) in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = if from_stdin {
                env.run_with_stdin(&args, &case.path).await
            } else {
                env.run(&args).await
            };
            let source = if from_stdin { "standard input" } else { path };
            let restores = args.contains(&"-d");
            // With -j, the entry read first (the largest) is the one that fails.
            let says_data = if args.contains(&"-j") {
                let mut says: Vec<String> = case.says.iter().take(1).cloned().collect();
                says.push("TOC entry".to_owned());
                says
            } else {
                says_data.clone()
            };
            let listing_only = args[0] == "list";
            let result = match case.damage {
                Damage::Toc => check_failure(&run, !restores, source, &case.says),
                Damage::Data(_) if listing_only => check_success(&run, Some(&listing)),
                Damage::Data(_) => check_failure(&run, !restores, source, &says_data),
                Damage::Harmless if restores => check_success(&run, None),
                Damage::Harmless if listing_only => check_success(&run, Some(&listing)),
                Damage::Harmless => check_success(&run, Some(&script)),
            };
            let shown = format!(
                "{}{}",
                args.join(" "),
                if from_stdin { " < archive" } else { "" }
            );
            failures.extend(verdict(&case, &shown, &run, result));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
