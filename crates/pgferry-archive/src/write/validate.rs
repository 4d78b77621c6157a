//! What a TOC must satisfy before a writer stores it, and the list of its data streams.

use std::collections::{HashMap, HashSet};

use super::WriteError;
use crate::format::{ArchiveFormat, ArchiveVersion};
use crate::toc::{desc, DumpId, Toc, TocEntry};

/// An entry with a data stream, in TOC order.
#[derive(Debug, Clone)]
pub(crate) struct DataSlot {
    pub(crate) dump_id: DumpId,
    /// A BLOBS entry (large objects), else table data.
    pub(crate) blobs: bool,
    pub(crate) desc: String,
    /// The first OID of a 1.16 BLOBS group (parsed from its tag), for tar's check.
    pub(crate) first_oid: Option<u32>,
}

/// The data streams of a TOC, with a map from dump id to their position.
#[derive(Debug, Clone)]
pub(crate) struct DataSlots {
    pub(crate) slots: Vec<DataSlot>,
    pub(crate) index: HashMap<DumpId, usize>,
    /// Every entry's desc, to tell "not a data entry" from "no such entry".
    descs: HashMap<DumpId, String>,
}

impl DataSlots {
    /// The slot of `dump_id`, or why there is none.
    pub(crate) fn find(&self, dump_id: DumpId, blobs: bool) -> Result<usize, WriteError> {
        let Some(&i) = self.index.get(&dump_id) else {
            return match self.descs.get(&dump_id) {
                Some(desc) => Err(WriteError::WrongEntry {
                    dump_id,
                    desc: desc.clone(),
                    reason: "has no data stream (had_dumper is false)",
                }),
                None => Err(WriteError::UnknownEntry(dump_id)),
            };
        };
        let slot = &self.slots[i];
        if slot.blobs != blobs {
            return Err(WriteError::WrongEntry {
                dump_id,
                desc: slot.desc.clone(),
                reason: if blobs {
                    "is not a BLOBS entry: use start_data"
                } else {
                    "is a BLOBS entry: use start_blobs"
                },
            });
        }
        Ok(i)
    }
}

/// Checks `toc` for `format` and `version`, and lists its data streams.
pub(crate) fn validate(
    toc: &Toc,
    format: ArchiveFormat,
    version: ArchiveVersion,
) -> Result<DataSlots, WriteError> {
    let invalid = |msg: String| Err(WriteError::InvalidToc(msg));
    let mut seen = HashSet::new();
    for entry in &toc.entries {
        let id = entry.dump_id;
        if id.0 == 0 || id.0 > i32::MAX as u32 {
            return invalid(format!(
                "dump id {id} ({} {}) is out of range (1 to 2^31-1)",
                entry.desc, entry.tag
            ));
        }
        if !seen.insert(id) {
            return invalid(format!("dump id {id} is used twice"));
        }
        check_lengths(entry)?;
    }
    let max_id = toc.max_dump_id();
    let mut slots = Vec::new();
    let mut index = HashMap::new();
    let mut descs = HashMap::new();
    let mut blobs_entries = 0;
    for entry in &toc.entries {
        descs.insert(entry.dump_id, entry.desc.clone());
        let is_blobs = entry.desc == desc::BLOBS;
        if entry.desc == desc::BLOB_METADATA && version < ArchiveVersion::V1_16 {
            return invalid(format!(
                "BLOB METADATA entry {} needs archive version 1.16 (write BLOB entries for {version})",
                entry.dump_id
            ));
        }
        if entry.desc == desc::TABLE_DATA {
            match entry.dependencies.first() {
                Some(table) if table.0 >= 1 && *table <= max_id => {}
                _ => {
                    return invalid(format!(
                        "TABLE DATA entry {} ({}) must depend first on its TABLE's dump id",
                        entry.dump_id, entry.tag
                    ))
                }
            }
        }
        if is_blobs && !entry.had_dumper {
            return invalid(format!(
                "BLOBS entry {} must have a data stream (had_dumper)",
                entry.dump_id
            ));
        }
        if !entry.had_dumper {
            continue;
        }
        let mut first_oid = None;
        if is_blobs {
            blobs_entries += 1;
            if version >= ArchiveVersion::V1_16 {
                first_oid = leading_oid(&entry.tag);
                if format == ArchiveFormat::Tar && first_oid.is_none() {
                    return invalid(format!(
                        "BLOBS entry {} of a 1.16 tar archive must be tagged with its first OID \
                         (\"first..last\"), not \"{}\"",
                        entry.dump_id, entry.tag
                    ));
                }
            }
        } else if format == ArchiveFormat::Tar {
            if let Some(copy) = entry.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
                if !copy.contains(" FROM stdin") {
                    return invalid(format!(
                        "the COPY statement of entry {} has no \" FROM stdin\": \"{}\"",
                        entry.dump_id,
                        copy.trim_end()
                    ));
                }
            }
        }
        index.insert(entry.dump_id, slots.len());
        slots.push(DataSlot {
            dump_id: entry.dump_id,
            blobs: is_blobs,
            desc: entry.desc.clone(),
            first_oid,
        });
    }
    if blobs_entries > 1 && version < ArchiveVersion::V1_16 && format != ArchiveFormat::Custom {
        return invalid(format!(
            "{blobs_entries} BLOBS entries: archive version {version} holds one (1.16 holds groups)"
        ));
    }
    Ok(DataSlots {
        slots,
        index,
        descs,
    })
}

/// Strings are stored with a 32-bit length.
fn check_lengths(entry: &TocEntry) -> Result<(), WriteError> {
    let fields = [
        Some(entry.tag.as_str()),
        Some(entry.desc.as_str()),
        entry.defn.as_deref(),
        entry.drop_stmt.as_deref(),
        entry.copy_stmt.as_deref(),
        entry.namespace.as_deref(),
        entry.tablespace.as_deref(),
        entry.tableam.as_deref(),
        entry.owner.as_deref(),
    ];
    if fields
        .iter()
        .flatten()
        .any(|s| s.len() >= i32::MAX as usize)
    {
        return Err(WriteError::InvalidToc(format!(
            "entry {} has a field of 2 GiB or more",
            entry.dump_id
        )));
    }
    Ok(())
}

/// The OID a tag starts with (`"900001..901000"` -> 900001), as pg_restore's `atooid` reads it.
pub(crate) fn leading_oid(tag: &str) -> Option<u32> {
    let digits: &str = &tag[..tag.find(|c: char| !c.is_ascii_digit()).unwrap_or(tag.len())];
    digits.parse().ok().filter(|&oid| oid != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toc::Section;

    fn toc(entries: Vec<TocEntry>) -> Toc {
        Toc {
            header: Default::default(),
            entries,
        }
    }

    fn data(id: u32, table: u32) -> TocEntry {
        let mut e = TocEntry::new(DumpId(id), desc::TABLE_DATA, "t", Section::Data);
        e.had_dumper = true;
        e.dependencies = vec![DumpId(table)];
        e.copy_stmt = Some("COPY s.t (a) FROM stdin;\n".into());
        e
    }

    fn blobs(id: u32, tag: &str) -> TocEntry {
        let mut e = TocEntry::new(DumpId(id), desc::BLOBS, tag, Section::Data);
        e.had_dumper = true;
        e
    }

    #[test]
    fn checks() {
        use ArchiveFormat::*;
        let v14 = ArchiveVersion::V1_14;
        let v16 = ArchiveVersion::V1_16;
        let table = TocEntry::new(DumpId(1), desc::TABLE, "t", Section::PreData);
        let ok = toc(vec![table.clone(), data(2, 1), blobs(3, "BLOBS")]);
        let slots = validate(&ok, Custom, v14).unwrap();
        assert_eq!(slots.slots.len(), 2);
        assert!(slots.find(DumpId(3), true).is_ok());
        assert!(matches!(
            slots.find(DumpId(1), false),
            Err(WriteError::WrongEntry { .. })
        ));
        assert!(matches!(
            slots.find(DumpId(3), false),
            Err(WriteError::WrongEntry { .. })
        ));
        assert!(matches!(
            slots.find(DumpId(9), false),
            Err(WriteError::UnknownEntry(_))
        ));
        // 1.16 tar BLOBS must start with an OID.
        assert!(validate(&ok, Tar, v16).is_err());
        assert!(validate(&ok, Directory, v16).is_ok());
        let dup = toc(vec![table.clone(), data(1, 1)]);
        assert!(validate(&dup, Custom, v14).is_err());
        let orphan = toc(vec![table.clone(), data(2, 7)]);
        assert!(validate(&orphan, Custom, v14).is_err());
        let meta = toc(vec![TocEntry::new(
            DumpId(5),
            desc::BLOB_METADATA,
            "1",
            Section::Data,
        )]);
        assert!(validate(&meta, Custom, v14).is_err());
        assert!(validate(&meta, Custom, v16).is_ok());
        let two = toc(vec![blobs(1, "1..2"), blobs(2, "3..4")]);
        assert!(validate(&two, Directory, v14).is_err());
        assert!(validate(&two, Directory, v16).is_ok());
        assert!(validate(&two, Custom, v14).is_ok());
        assert_eq!(leading_oid("900001..901000"), Some(900_001));
        assert_eq!(leading_oid("3000000000"), Some(3_000_000_000));
        assert_eq!(leading_oid("BLOBS"), None);
    }
}
