//! A hand-built TOC with its data, as pg_dump would write it for a small database, and what pg_restore should
//! print for it.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pgferry_archive::format::{ArchiveFormat, ArchiveVersion, Compression, CompressionMethod};
use pgferry_archive::script::{write_script, DataSource, ScriptOptions};
use pgferry_archive::write::encode::created_at;
use pgferry_archive::write::{ArchiveWriter, WriteError, WriteOptions};
use pgferry_archive::{desc, DumpId, Section, Toc, TocEntry, TocHeader};
use pgferry_testkit::RefVersion;

/// 2024-05-06 07:08:09 UTC.
pub(crate) const CREATED_SECS: u64 = 1_714_979_289;
pub(crate) const CREATED_TEXT: &str = "2024-05-06 07:08:09 UTC";

pub(crate) const SMALL_OID: u32 = 424_242;
pub(crate) const EMPTY_OID: u32 = 424_243;
pub(crate) const BIG_OID: u32 = 3_000_000_000;

pub(crate) const T_DATA: DumpId = DumpId(20);
pub(crate) const EMPTY_DATA: DumpId = DumpId(22);
pub(crate) const BLOBS: DumpId = DumpId(32);

pub(crate) fn created() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(CREATED_SECS)
}

/// A TOC and the data of its streams.
pub(crate) struct Fixture {
    pub(crate) toc: Toc,
    /// The COPY text of `s.t`, with its `\.` trailer.
    pub(crate) copy_text: Vec<u8>,
    /// Rows of `s.t` as the database check prints them: `a|b`, `<null>` for NULL.
    pub(crate) rows: Vec<String>,
    /// The large objects, in OID order.
    pub(crate) blobs: Vec<(u32, Vec<u8>)>,
}

/// A deterministic byte generator.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn entry(
    id: u32,
    kind: &str,
    tag: &str,
    section: Section,
    oids: (u32, u32),
    namespace: Option<&str>,
) -> TocEntry {
    let mut e = TocEntry::new(DumpId(id), kind, tag, section);
    e.table_oid = oids.0;
    e.oid = oids.1;
    e.namespace = namespace.map(str::to_owned);
    e.owner = Some("postgres".into());
    e
}

fn special(id: u32, kind: &str, defn: &str) -> TocEntry {
    let mut e = TocEntry::new(DumpId(id), kind, kind, Section::PreData);
    e.defn = Some(defn.into());
    e
}

fn copy_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The fixture for archive `version`: large objects as BLOB entries and one BLOBS up to 1.15, as a BLOB
/// METADATA group and a BLOBS group in 1.16.
pub(crate) fn fixture(version: ArchiveVersion) -> Fixture {
    let v16 = version >= ArchiveVersion::V1_16;
    let mut entries = vec![
        special(100, desc::ENCODING, "SET client_encoding = 'UTF8';\n"),
        special(
            101,
            desc::STDSTRINGS,
            "SET standard_conforming_strings = 'on';\n",
        ),
        special(
            102,
            desc::SEARCHPATH,
            "SELECT pg_catalog.set_config('search_path', '', false);\n",
        ),
    ];
    let mut database = entry(
        103,
        desc::DATABASE,
        "wtest",
        Section::PreData,
        (1262, 16384),
        None,
    );
    database.defn =
        Some("CREATE DATABASE wtest WITH TEMPLATE = template0 ENCODING = 'UTF8';\n".into());
    database.drop_stmt = Some("DROP DATABASE wtest;\n".into());
    entries.push(database);

    let mut schema = entry(5, desc::SCHEMA, "s", Section::PreData, (2615, 16385), None);
    schema.defn = Some("CREATE SCHEMA s;\n".into());
    schema.drop_stmt = Some("DROP SCHEMA s;\n".into());
    entries.push(schema);

    let mut table = entry(
        10,
        desc::TABLE,
        "t",
        Section::PreData,
        (1259, 16386),
        Some("s"),
    );
    table.defn = Some("CREATE TABLE s.t (\n    a integer NOT NULL,\n    b text\n);\n".into());
    table.drop_stmt = Some("DROP TABLE s.t;\n".into());
    table.tablespace = Some(String::new());
    table.tableam = Some("heap".into());
    table.relkind = b'r';
    table.dependencies = vec![DumpId(5)];
    entries.push(table);

    let mut comment = entry(
        12,
        desc::COMMENT,
        "TABLE t",
        Section::None,
        (0, 0),
        Some("s"),
    );
    comment.defn = Some("COMMENT ON TABLE s.t IS 'the test table';\n".into());
    comment.dependencies = vec![DumpId(10)];
    entries.push(comment);

    let mut acl = entry(13, desc::ACL, "TABLE t", Section::None, (0, 0), Some("s"));
    acl.defn = Some("GRANT SELECT ON TABLE s.t TO PUBLIC;\n".into());
    acl.dependencies = vec![DumpId(10)];
    entries.push(acl);

    let mut empty = entry(
        14,
        desc::TABLE,
        "empty",
        Section::PreData,
        (1259, 16390),
        Some("s"),
    );
    empty.defn = Some("CREATE TABLE s.empty (\n    x integer\n);\n".into());
    empty.drop_stmt = Some("DROP TABLE s.empty;\n".into());
    empty.tablespace = Some(String::new());
    empty.tableam = Some("heap".into());
    empty.relkind = b'r';
    empty.dependencies = vec![DumpId(5)];
    entries.push(empty);

    let mut seq = entry(
        11,
        desc::SEQUENCE,
        "seq",
        Section::PreData,
        (1259, 16393),
        Some("s"),
    );
    seq.defn = Some(
        "CREATE SEQUENCE s.seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n"
            .into(),
    );
    seq.drop_stmt = Some("DROP SEQUENCE s.seq;\n".into());
    seq.dependencies = vec![DumpId(5)];
    entries.push(seq);

    let mut blobs = vec![
        (SMALL_OID, b"hello large object".to_vec()),
        (EMPTY_OID, Vec::new()),
    ];
    let mut lcg = Lcg(7);
    blobs.push((
        BIG_OID,
        (0..300_000).map(|_| lcg.next() as u8).collect::<Vec<u8>>(),
    ));

    let mut lo_comment = entry(
        34,
        desc::COMMENT,
        &format!("LARGE OBJECT {SMALL_OID}"),
        Section::None,
        (0, 0),
        None,
    );
    lo_comment.defn = Some(format!(
        "COMMENT ON LARGE OBJECT {SMALL_OID} IS 'the small one';\n"
    ));

    if !v16 {
        for (i, (oid, _)) in blobs.iter().enumerate() {
            let mut blob = entry(
                35 + i as u32,
                desc::BLOB,
                &oid.to_string(),
                Section::PreData,
                (2613, *oid),
                None,
            );
            blob.defn = Some(format!("SELECT pg_catalog.lo_create('{oid}');\n"));
            blob.drop_stmt = Some(format!("SELECT pg_catalog.lo_unlink('{oid}');\n"));
            entries.push(blob);
        }
        lo_comment.dependencies = vec![DumpId(35)];
        entries.push(lo_comment.clone());
    }

    let mut data = entry(
        T_DATA.0,
        desc::TABLE_DATA,
        "t",
        Section::Data,
        (0, 16386),
        Some("s"),
    );
    data.had_dumper = true;
    data.copy_stmt = Some("COPY s.t (a, b) FROM stdin;\n".into());
    data.dependencies = vec![DumpId(10)];
    entries.push(data);

    let mut empty_data = entry(
        EMPTY_DATA.0,
        desc::TABLE_DATA,
        "empty",
        Section::Data,
        (0, 16390),
        Some("s"),
    );
    empty_data.had_dumper = true;
    empty_data.copy_stmt = Some("COPY s.empty (x) FROM stdin;\n".into());
    empty_data.dependencies = vec![DumpId(14)];
    entries.push(empty_data);

    let mut setval = entry(
        21,
        desc::SEQUENCE_SET,
        "seq",
        Section::Data,
        (0, 0),
        Some("s"),
    );
    setval.defn = Some("SELECT pg_catalog.setval('s.seq', 42, true);\n".into());
    setval.dependencies = vec![DumpId(11)];
    entries.push(setval);

    let group_tag = format!("{SMALL_OID}..{BIG_OID}");
    if v16 {
        let mut meta = entry(
            30,
            desc::BLOB_METADATA,
            &group_tag,
            Section::Data,
            (2613, SMALL_OID),
            None,
        );
        meta.defn = Some(blobs.iter().map(|(oid, _)| format!("{oid}\n")).collect());
        meta.drop_stmt = Some("-- dummy".into());
        entries.push(meta);
        lo_comment.dependencies = vec![DumpId(30)];
        entries.push(lo_comment);
    }
    let mut blobs_entry = TocEntry::new(
        BLOBS,
        desc::BLOBS,
        if v16 { group_tag.as_str() } else { "BLOBS" },
        Section::Data,
    );
    blobs_entry.had_dumper = true;
    if v16 {
        blobs_entry.owner = Some("postgres".into());
        blobs_entry.dependencies = vec![DumpId(30)];
    }
    entries.push(blobs_entry);

    let mut pkey = entry(
        41,
        desc::CONSTRAINT,
        "t t_pkey",
        Section::PostData,
        (2606, 16400),
        Some("s"),
    );
    pkey.defn = Some("ALTER TABLE ONLY s.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n".into());
    pkey.drop_stmt = Some("ALTER TABLE ONLY s.t DROP CONSTRAINT t_pkey;\n".into());
    pkey.tablespace = Some(String::new());
    pkey.dependencies = vec![DumpId(10)];
    entries.push(pkey);

    let mut index = entry(
        40,
        desc::INDEX,
        "t_b_idx",
        Section::PostData,
        (1259, 16401),
        Some("s"),
    );
    index.defn = Some("CREATE INDEX t_b_idx ON s.t USING btree (b);\n".into());
    index.drop_stmt = Some("DROP INDEX s.t_b_idx;\n".into());
    index.tablespace = Some(String::new());
    index.dependencies = vec![DumpId(10)];
    entries.push(index);

    let mut copy_text = String::new();
    let mut rows = Vec::new();
    for a in 1..=3000 {
        let b = match a % 6 {
            0 => None,
            1 => Some("tab\there".to_owned()),
            2 => Some("back\\slash".to_owned()),
            3 => Some("unicodé ✓".to_owned()),
            4 => Some("two\nlines".to_owned()),
            _ => Some(format!("plain {a}")),
        };
        match &b {
            Some(b) => copy_text.push_str(&format!("{a}\t{}\n", copy_escape(b))),
            None => copy_text.push_str(&format!("{a}\t\\N\n")),
        }
        rows.push(format!("{a}|{}", b.as_deref().unwrap_or("<null>")));
    }
    copy_text.push_str("\\.\n\n\n");

    Fixture {
        toc: Toc {
            header: TocHeader {
                dbname: "wtest".into(),
                server_version: "17.0 (fixture)".into(),
                dumper_version: "pgferry writer tests".into(),
                encoding: "UTF8".into(),
                std_strings: true,
            },
            entries,
        },
        copy_text: copy_text.into_bytes(),
        rows,
        blobs,
    }
}

/// `bytes` cut at pseudo-random places (1 to 9000 bytes), as a COPY stream arrives.
pub(crate) fn chunks(bytes: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut lcg = Lcg(seed);
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = (1 + lcg.next() as usize % 9000).min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Writes every data stream of `fx` into `writer`, in TOC order.
pub(crate) fn feed(writer: &mut dyn ArchiveWriter, fx: &Fixture) -> Result<(), WriteError> {
    for entry in &fx.toc.entries {
        if !entry.had_dumper {
            continue;
        }
        if entry.dump_id == BLOBS {
            let mut sink = writer.start_blobs(BLOBS)?;
            for (i, (oid, bytes)) in fx.blobs.iter().enumerate() {
                sink.start_blob(*oid)?;
                for chunk in chunks(bytes, i as u64) {
                    sink.write_chunk(chunk)?;
                }
                sink.end_blob()?;
            }
            sink.finish()?;
        } else {
            let mut sink = writer.start_data(entry.dump_id)?;
            if entry.dump_id == T_DATA {
                for chunk in chunks(&fx.copy_text, 42) {
                    sink.write_chunk(chunk)?;
                }
            } else {
                sink.write_chunk(b"\\.\n\n\n")?;
            }
            sink.finish()?;
        }
    }
    Ok(())
}

pub(crate) fn options(version: ArchiveVersion, compression: Compression) -> WriteOptions {
    WriteOptions {
        version,
        compression,
        created: created_at(created()),
        sync: false,
    }
}

/// What `pg_restore -l` of `reader` prints for the fixture.
pub(crate) fn expected_list(
    fx: &Fixture,
    format: ArchiveFormat,
    version: ArchiveVersion,
    compression: Compression,
    reader: RefVersion,
) -> String {
    let compression = if reader == RefVersion::V15 {
        match compression.method {
            CompressionMethod::None => "0".to_owned(),
            _ => compression.level.unwrap_or(-1).to_string(),
        }
    } else {
        compression.method.name().to_owned()
    };
    let header = &fx.toc.header;
    let mut out = format!(
        ";\n; Archive created at {CREATED_TEXT}\n;     dbname: {}\n;     TOC Entries: {}\n\
         ;     Compression: {compression}\n;     Dump Version: {}.{}-{}\n;     Format: {}\n\
         ;     Integer: 4 bytes\n;     Offset: 8 bytes\n;     Dumped from database version: {}\n\
         ;     Dumped by pg_dump version: {}\n;\n;\n; Selected TOC Entries:\n;\n",
        header.dbname,
        fx.toc.entries.len(),
        version.major,
        version.minor,
        version.rev,
        format.list_name(),
        header.server_version,
        header.dumper_version,
    );
    for e in &fx.toc.entries {
        if [
            desc::ENCODING,
            desc::STDSTRINGS,
            desc::SEARCHPATH,
            desc::DATABASE,
        ]
        .contains(&e.desc.as_str())
        {
            continue;
        }
        out.push_str(&format!(
            "{}; {} {} {} {} {} {}\n",
            e.dump_id,
            e.table_oid,
            e.oid,
            e.desc,
            e.namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or("-"),
            e.tag,
            e.owner.as_deref().unwrap_or(""),
        ));
    }
    out
}

/// What pg_restore prints for the data of the fixture's entries.
struct RestoredData<'a>(&'a Fixture);

impl DataSource for RestoredData<'_> {
    fn write_data(&mut self, entry: &TocEntry, out: &mut dyn Write) -> std::io::Result<()> {
        match entry.dump_id {
            T_DATA => out.write_all(&self.0.copy_text),
            EMPTY_DATA => out.write_all(b"\\.\n\n\n"),
            BLOBS => {
                out.write_all(b"BEGIN;\n\n")?;
                for (oid, bytes) in &self.0.blobs {
                    writeln!(out, "SELECT pg_catalog.lo_open('{oid}', 131072);")?;
                    for piece in bytes.chunks(16384) {
                        let hex: String = piece.iter().map(|b| format!("{b:02x}")).collect();
                        writeln!(out, "SELECT pg_catalog.lowrite(0, '\\x{hex}');")?;
                    }
                    out.write_all(b"SELECT pg_catalog.lo_close(0);\n\n")?;
                }
                out.write_all(b"COMMIT;\n\n")
            }
            other => panic!("no data for entry {other}"),
        }
    }
}

/// What `pg_restore -f -` of `reader` prints for the fixture, without `\restrict` lines.
pub(crate) fn expected_script(fx: &Fixture, reader: RefVersion) -> String {
    let options = ScriptOptions {
        transaction_timeout: reader != RefVersion::V15,
        ..ScriptOptions::dump_defaults(None)
    };
    let mut out = Vec::new();
    write_script(&fx.toc, &options, &mut RestoredData(fx), &mut out).unwrap();
    let mut script = String::from_utf8(out).unwrap();
    if reader == RefVersion::V15 {
        // pg_restore 15 still changes the owner of sequences with ALTER TABLE.
        script = script.replace(
            "ALTER SEQUENCE s.seq OWNER TO",
            "ALTER TABLE s.seq OWNER TO",
        );
    }
    script
}

/// `script` without psql's `\restrict` and `\unrestrict` lines (their keys are random) and the blank line after
/// each.
pub(crate) fn without_restrict(script: &str) -> String {
    let mut out = String::new();
    let mut skip_blank = false;
    for line in script.split_inclusive('\n') {
        if line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ") {
            skip_blank = true;
            continue;
        }
        if skip_blank && line == "\n" {
            skip_blank = false;
            continue;
        }
        skip_blank = false;
        out.push_str(line);
    }
    out
}
