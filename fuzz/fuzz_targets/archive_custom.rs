//! The custom-format reader (`-Fc`) on arbitrary bytes, seekable and from a pipe: opening and reading every data
//! stream and large object must never panic or hang, whatever the bytes say.
#![no_main]

use std::io::{self, Cursor, Read, Seek};

use libfuzzer_sys::fuzz_target;
use pgferry_archive::read::{CustomArchive, ReadError};
use pgferry_archive::{desc, DumpId};

/// The most read from one stream: decompression can turn a few bytes into a great many.
const LIMIT: u64 = 1 << 22;

fn drain(reader: impl Read) {
    let _ = io::copy(&mut reader.take(LIMIT), &mut io::sink());
}

fn read_everything<R: Read + Seek>(archive: &mut CustomArchive<R>) -> Result<(), ReadError> {
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
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(mut archive) = CustomArchive::new(Cursor::new(data)) {
        let _ = read_everything(&mut archive);
        // Backwards too, which makes a seekable input go back to blocks it scanned past.
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
    if let Ok(mut archive) = CustomArchive::from_stream(data) {
        let _ = read_everything(&mut archive);
    }
});
