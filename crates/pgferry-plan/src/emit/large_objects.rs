//! Large objects: `BLOB METADATA` entries (up to 1000 large objects sharing an owner and privileges, archive
//! version 1.16 style), their comments, security labels and privileges, and `BLOBS` entries for their contents.
//!
//! pg_dump includes large objects in dumps with data of the whole database, leaves them out under `-n`, `-t`
//! and `-e` unless `-b` asks for them, leaves them out with `-B`, and never writes them without data
//! (`--schema-only`).

use pgferry_archive::{desc, Section};
use pgferry_catalog::misc::LargeObject;
use pgferry_catalog::{CatalogId, Oid};

use super::{acl_entry, comment_entry, new_entry, Emitter, Labels};
use crate::acl::AclObjectType;
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::PlanError;

/// `pg_largeobject`: the class of large objects in `pg_description`, `pg_seclabel` and TOC entries.
const PG_LARGEOBJECT: Oid = 2613;

/// pg_dump's `MAX_BLOBS_PER_ARCHIVE_ENTRY`.
const MAX_PER_ENTRY: usize = 1000;

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    let options = planner.options;
    let wanted = options.data
        && options
            .large_objects
            .unwrap_or_else(|| options.include_everything());
    if !wanted {
        return Ok(());
    }
    let objects = &planner.catalog.misc.large_objects;
    let mut start = 0;
    while start < objects.len() {
        let count = group_len(objects, start);
        let name = group_name(&objects[start..start + count]);
        let metadata = planner.add(
            ObjKind::LargeObject,
            CatalogId::new(PG_LARGEOBJECT, objects[start].oid),
            name.clone(),
            0,
            Components::ALL,
            Source::Index(start),
        );
        // The other members of the group lead to it as well (comments and labels are looked up by them).
        for member in &objects[start + 1..start + count] {
            planner
                .by_catalog
                .entry(CatalogId::new(PG_LARGEOBJECT, member.oid))
                .or_insert(metadata);
        }
        let data = planner.add(
            ObjKind::LargeObjectData,
            CatalogId::new(0, 0),
            name,
            0,
            Components {
                data: true,
                ..Components::NONE
            },
            Source::Index(start),
        );
        planner.add_dep(data, metadata);
        start += count;
    }
    Ok(())
}

/// How many large objects from `start` on share one entry: up to 1000 with the same owner and ACL.
fn group_len(objects: &[LargeObject], start: usize) -> usize {
    let first = &objects[start];
    let acl = |o: &LargeObject| o.acl.clone().unwrap_or_default();
    let mut count = 1;
    while count < MAX_PER_ENTRY
        && start + count < objects.len()
        && objects[start + count].owner == first.owner
        && acl(&objects[start + count]) == acl(first)
    {
        count += 1;
    }
    count
}

/// `16500..16502` for a group, `16500` for a single large object.
fn group_name(group: &[LargeObject]) -> String {
    match group {
        [only] => only.oid.to_string(),
        [first, .., last] => format!("{}..{}", first.oid, last.oid),
        [] => String::new(),
    }
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let Source::Index(start) = object.source else {
        return Ok(());
    };
    let catalog = planner.catalog;
    let objects = &catalog.misc.large_objects;
    if start >= objects.len() {
        return Ok(());
    }
    let group = &objects[start..start + group_len(objects, start)];
    let owner = catalog.role_name(group[0].owner).to_owned();
    match object.kind {
        ObjKind::LargeObject => metadata(planner, object, group, owner, out),
        ObjKind::LargeObjectData => {
            // The contents, read when the dump is written; the metadata entry lists the OIDs.
            let mut entry = new_entry(object.id, desc::BLOBS, object.name.clone(), Section::Data);
            entry.had_dumper = true;
            entry.owner = Some(owner);
            let metadata = planner.lookup(CatalogId::new(PG_LARGEOBJECT, group[0].oid));
            out.extra_entry(entry, metadata.into_iter().collect());
            Ok(())
        }
        _ => Ok(()),
    }
}

fn metadata(
    planner: &Planner<'_>,
    object: &DumpObject,
    group: &[LargeObject],
    owner: String,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let first = &group[0];
    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::BLOB_METADATA,
            object.name.clone(),
            Section::Data,
        );
        entry.table_oid = PG_LARGEOBJECT;
        entry.oid = first.oid;
        entry.owner = Some(owner.clone());
        // The definition is the list of OIDs; the script writer turns it into one command per object.
        entry.defn = Some(group.iter().map(|o| format!("{}\n", o.oid)).collect());
        entry.drop_stmt = Some("-- dummy".to_owned());
        out.main_entry(entry);
    }
    for member in group {
        let oid = member.oid.to_string();
        let labels = Labels {
            kind: "LARGE OBJECT",
            tag_name: oid.clone(),
            sql_name: oid,
            namespace: None,
            owner: Some(owner.clone()),
        };
        comment_entry(
            planner,
            out,
            object,
            CatalogId::new(PG_LARGEOBJECT, member.oid),
            0,
            &labels,
        );
    }
    // One ACL for the group: written for the first object, repeated for each by the script writer when the
    // tag says "LARGE OBJECTS".
    let first_oid = first.oid.to_string();
    let labels = if group.len() > 1 {
        Labels {
            kind: "LARGE OBJECTS",
            tag_name: object.name.clone(),
            sql_name: String::new(),
            namespace: None,
            owner: Some(owner.clone()),
        }
    } else {
        Labels {
            kind: "LARGE OBJECT",
            tag_name: first_oid.clone(),
            sql_name: String::new(),
            namespace: None,
            owner: Some(owner.clone()),
        }
    };
    acl_entry(
        planner,
        out,
        object,
        AclObjectType::LargeObject,
        &first_oid,
        None,
        first.acl.as_deref(),
        &first.acl_default,
        &labels,
        &[],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lo(oid: Oid, owner: Oid, acl: Option<&str>) -> LargeObject {
        LargeObject {
            oid,
            owner,
            acl: acl.map(str::to_owned),
            acl_default: String::new(),
        }
    }

    fn catalog() -> pgferry_catalog::Catalog {
        let mut catalog = pgferry_catalog::Catalog::default();
        catalog.roles.insert(10, "postgres".to_owned());
        catalog.roles.insert(11, "reader".to_owned());
        catalog.database.std_strings = true;
        let acl = "{postgres=rw/postgres,reader=r/postgres}";
        catalog.misc.large_objects = vec![
            lo(16500, 10, None),
            lo(16501, 10, None),
            lo(3_000_000_000, 10, Some(acl)),
            lo(3_000_000_001, 10, Some(acl)),
        ];
        for object in &mut catalog.misc.large_objects {
            object.acl_default = "{postgres=rw/postgres}".to_owned();
        }
        catalog.comments.push(pgferry_catalog::Comment {
            object: CatalogId::new(PG_LARGEOBJECT, 3_000_000_001),
            subid: 0,
            description: "big".to_owned(),
        });
        catalog.build_indexes();
        catalog
    }

    #[test]
    fn large_objects_get_metadata_comments_acls_and_contents() {
        let toc = crate::plan(&catalog(), &crate::PlanOptions::default()).unwrap();
        let lines: Vec<String> = toc
            .entries
            .iter()
            .map(|e| format!("{} {} {:?}", e.desc, e.tag, e.defn.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            lines,
            [
                "ENCODING ENCODING \"SET client_encoding = '';\\n\"",
                "STDSTRINGS STDSTRINGS \"SET standard_conforming_strings = 'on';\\n\"",
                "SEARCHPATH SEARCHPATH \"SELECT pg_catalog.set_config('search_path', '', false);\\n\"",
                "BLOB METADATA 16500..16501 \"16500\\n16501\\n\"",
                "BLOB METADATA 3000000000..3000000001 \"3000000000\\n3000000001\\n\"",
                "COMMENT LARGE OBJECT 3000000001 \"COMMENT ON LARGE OBJECT 3000000001 IS 'big';\\n\"",
                "ACL LARGE OBJECTS 3000000000..3000000001 \"GRANT SELECT ON LARGE OBJECT 3000000000 TO reader;\\n\"",
                "BLOBS 16500..16501 \"\"",
                "BLOBS 3000000000..3000000001 \"\"",
            ]
        );
        let metadata = &toc.entries[4];
        assert_eq!(
            (metadata.table_oid, metadata.oid),
            (PG_LARGEOBJECT, 3_000_000_000)
        );
        assert_eq!(metadata.drop_stmt.as_deref(), Some("-- dummy"));
        for dependent in &toc.entries[5..7] {
            assert_eq!(dependent.dependencies, vec![metadata.dump_id]);
        }
        assert_eq!(toc.entries[8].dependencies, vec![metadata.dump_id]);
        assert!(toc.entries[8].had_dumper);
    }

    #[test]
    fn large_objects_follow_pg_dumps_inclusion_rules() {
        let count = |options: crate::PlanOptions| {
            crate::plan(&catalog(), &options)
                .unwrap()
                .entries
                .iter()
                .filter(|e| e.desc == desc::BLOBS)
                .count()
        };
        let mut options = crate::PlanOptions::default();
        assert_eq!(count(options.clone()), 2);
        options.large_objects = Some(false);
        assert_eq!(count(options.clone()), 0, "-B");
        options.large_objects = None;
        options.include_schemas.insert(2200);
        assert_eq!(count(options.clone()), 0, "-n");
        options.large_objects = Some(true);
        assert_eq!(count(options.clone()), 2, "-n -b");
        options.data = false;
        assert_eq!(count(options), 0, "-s -b");
    }

    #[test]
    fn groups_share_owner_and_acl_and_hold_at_most_1000() {
        let mut objects: Vec<LargeObject> = (0..1500).map(|i| lo(20000 + i, 10, None)).collect();
        objects.push(lo(30000, 10, Some("{a=r/a}")));
        objects.push(lo(3_000_000_000, 11, None));
        assert_eq!(group_len(&objects, 0), 1000);
        assert_eq!(group_len(&objects, 1000), 500);
        assert_eq!(group_len(&objects, 1500), 1);
        assert_eq!(group_len(&objects, 1501), 1);
        assert_eq!(group_name(&objects[1000..1500]), "21000..21499");
        assert_eq!(group_name(&objects[1501..]), "3000000000");
    }
}
