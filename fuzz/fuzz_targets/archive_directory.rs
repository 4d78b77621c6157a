//! The directory-format reader (`-Fd`) on arbitrary files: the input is split into files (`toc.dat`, data files,
//! large-object lists and large objects) that are written into a directory, which is then opened, listed, and
//! read: every data stream and every large object. None of it may panic or hang, whatever the files say.
//!
//! The input is a sequence of files, each a name line, a size line (decimal) and that many bytes:
//!
//! ```text
//! toc.dat\n5590\n<5590 bytes>3358.dat.gz\n37\n<37 bytes>...
//! ```
//!
//! A size beyond the input's end takes what is left; names that are not plain file names are skipped. A seed from
//! a directory archive: `for f in *; do printf '%s\n%s\n' "$f" "$(wc -c < "$f")"; cat "$f"; done`.
#![no_main]

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgferry_archive::desc;
use pgferry_archive::read::{write_list, Archive};

/// The most read from one stream: decompression can turn a few bytes into a great many.
const LIMIT: u64 = 1 << 22;
/// The most files one input makes.
const MAX_FILES: usize = 32;
/// The most large objects read from one entry.
const MAX_OBJECTS: usize = 10_000;

fn drain(reader: impl Read) {
    let _ = io::copy(&mut reader.take(LIMIT), &mut io::sink());
}

/// The line at the start of `data` (without its newline) and what follows it; `None` without a newline.
fn line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = data.iter().position(|&b| b == b'\n')?;
    Some((&data[..end], &data[end + 1..]))
}

/// The files the input describes: (name, contents). Names are plain file names.
fn files(mut data: &[u8]) -> Vec<(String, &[u8])> {
    let mut files = Vec::new();
    while files.len() < MAX_FILES {
        let Some((name, rest)) = line(data) else {
            break;
        };
        let Some((size, rest)) = line(rest) else {
            break;
        };
        let size = std::str::from_utf8(size)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(0)
            .min(rest.len());
        let (contents, rest) = rest.split_at(size);
        data = rest;
        let plain = std::str::from_utf8(name).ok().filter(|name| {
            !name.is_empty()
                && name.len() <= 64
                && *name != "."
                && *name != ".."
                && !name.contains(['/', '\\', '\0'])
        });
        if let Some(name) = plain {
            files.push((name.to_owned(), contents));
        }
    }
    files
}

/// This process's scratch directory, emptied for each input.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("pgferry-fuzz-directory-{}", std::process::id()))
    })
}

fn read_everything(archive: &mut Archive) {
    let _ = write_list(archive.header(), archive.toc(), &mut io::sink());
    let entries: Vec<_> = archive
        .toc()
        .entries
        .iter()
        .map(|e| (e.dump_id, e.desc == desc::BLOBS))
        .collect();
    for (id, blobs) in entries {
        if blobs {
            let Ok(mut objects) = archive.large_objects(id) else {
                continue;
            };
            for _ in 0..MAX_OBJECTS {
                match objects.next_object() {
                    Ok(Some(object)) => drain(object),
                    _ => break,
                }
            }
        } else if let Ok(data) = archive.data(id) {
            drain(data);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("scratch directory");
    for (name, contents) in files(data) {
        std::fs::write(dir.join(name), contents).expect("file written");
    }
    if let Ok(mut archive) = Archive::open(dir) {
        read_everything(&mut archive);
    }
});
