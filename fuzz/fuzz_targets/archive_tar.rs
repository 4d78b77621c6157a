//! The tar-format reader (`-Ft`) on arbitrary bytes, seekable and from a pipe: finding `toc.dat`, parsing it,
//! and reading every data member and large object must never panic or hang.
#![no_main]

use std::io::{self, Cursor, Read, Seek};

use libfuzzer_sys::fuzz_target;
use pgferry_archive::read::TarArchive;
use pgferry_archive::{desc, DumpId};

/// The most read from one member.
const LIMIT: u64 = 1 << 22;

fn drain(reader: impl Read) {
    let _ = io::copy(&mut reader.take(LIMIT), &mut io::sink());
}

fn read_everything<R: Read + Seek>(archive: &mut TarArchive<R>) {
    let entries: Vec<(DumpId, bool)> = archive
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
            for _ in 0..10_000 {
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
    if let Ok(mut archive) = TarArchive::new(Cursor::new(data)) {
        read_everything(&mut archive);
        let ids: Vec<DumpId> = archive
            .toc()
            .entries
            .iter()
            .rev()
            .map(|e| e.dump_id)
            .collect();
        for id in ids {
            if let Ok(data) = archive.data(id) {
                drain(data);
            }
        }
    }
    if let Ok(mut archive) = TarArchive::from_stream(data) {
        read_everything(&mut archive);
    }
});
