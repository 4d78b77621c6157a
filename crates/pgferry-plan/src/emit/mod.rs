//! From objects to TOC entries. Each group of object kinds has a module with two functions: `collect`
//! (create the objects and decide what is dumped of them) and `emit` (write the TOC entries of one object).

mod foreign;
mod functions;
mod large_objects;
mod relations;
mod rules;
mod schema;
mod types;

use std::collections::{HashMap, HashSet};

use pgferry_archive::{desc, DumpId, Section, TocEntry, TocHeader};
use pgferry_catalog::CatalogId;

use crate::acl::{build_acl_commands, AclInput, AclObjectType};
use crate::model::{DumpObject, ObjKind};
use crate::planner::{Planner, TocBuilder};
use crate::{quote, PlanError};

/// Creates every object of the catalog.
pub(crate) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    schema::collect(planner)?;
    relations::collect(planner)?;
    types::collect(planner)?;
    functions::collect(planner)?;
    rules::collect(planner)?;
    foreign::collect(planner)?;
    large_objects::collect(planner)?;
    Ok(())
}

/// Writes the TOC for the sorted objects.
pub(crate) fn emit(planner: &mut Planner<'_>) -> Result<pgferry_archive::Toc, PlanError> {
    let max_id = planner.objects.iter().map(|o| o.id.0).max().unwrap_or(0);
    let mut out = Emitter {
        toc: TocBuilder::new(max_id + 1),
        main: HashMap::new(),
    };
    schema::special_entries(planner, &mut out);
    let objects = planner.objects.clone();
    for object in &objects {
        if !object.dump.any() {
            continue;
        }
        match object.kind {
            ObjKind::Namespace | ObjKind::Extension => schema::emit(planner, object, &mut out)?,
            // PRIMARY KEY / UNIQUE / EXCLUDE constraints come with their index (rules.rs).
            ObjKind::Constraint if matches!(object.source, crate::model::Source::Index(_)) => {
                rules::emit(planner, object, &mut out)?
            }
            // A domain's CHECK constraint written on its own (types.rs).
            ObjKind::Constraint
                if matches!(object.source, crate::model::Source::DomainConstraint(..)) =>
            {
                types::emit(planner, object, &mut out)?
            }
            ObjKind::Table
            | ObjKind::AttrDef
            | ObjKind::TableAttach
            | ObjKind::Constraint
            | ObjKind::TableData
            | ObjKind::SequenceSet
            | ObjKind::RefreshMatview => relations::emit(planner, object, &mut out)?,
            ObjKind::Type
            | ObjKind::ShellType
            | ObjKind::DummyType
            | ObjKind::Collation
            | ObjKind::Conversion
            | ObjKind::Cast
            | ObjKind::Transform
            | ObjKind::ProcLang
            | ObjKind::AccessMethod => types::emit(planner, object, &mut out)?,
            ObjKind::Func
            | ObjKind::Agg
            | ObjKind::Operator
            | ObjKind::OpClass
            | ObjKind::OpFamily => functions::emit(planner, object, &mut out)?,
            ObjKind::Index
            | ObjKind::IndexAttach
            | ObjKind::FkConstraint
            | ObjKind::Trigger
            | ObjKind::Rule
            | ObjKind::Policy
            | ObjKind::StatsExt
            | ObjKind::EventTrigger => rules::emit(planner, object, &mut out)?,
            ObjKind::TsParser
            | ObjKind::TsTemplate
            | ObjKind::TsDict
            | ObjKind::TsConfig
            | ObjKind::Fdw
            | ObjKind::ForeignServer
            | ObjKind::Publication
            | ObjKind::PublicationRel
            | ObjKind::PublicationTableInSchema
            | ObjKind::Subscription
            | ObjKind::SubscriptionRel
            | ObjKind::DefaultAcl => foreign::emit(planner, object, &mut out)?,
            ObjKind::LargeObject | ObjKind::LargeObjectData => {
                large_objects::emit(planner, object, &mut out)?
            }
            ObjKind::PreDataBoundary | ObjKind::PostDataBoundary | ObjKind::RelStats => {}
        }
    }
    out.resolve_dependencies(&objects);
    let header = TocHeader {
        dbname: planner.catalog.database.name.clone(),
        server_version: server_version_text(planner),
        dumper_version: crate::DUMPER_VERSION.to_owned(),
        encoding: planner.catalog.database.encoding.clone(),
        std_strings: planner.catalog.database.std_strings,
    };
    Ok(out.toc.finish(header))
}

/// The server version as pg_dump's header prints it: the number part of `version()` ("18.6").
fn server_version_text(planner: &Planner<'_>) -> String {
    let full = &planner.catalog.database.server_version_string;
    full.strip_prefix("PostgreSQL ")
        .and_then(|rest| rest.split(" on ").next())
        .unwrap_or(full)
        .to_owned()
}

/// Collects entries while objects are emitted.
pub(crate) struct Emitter {
    pub(crate) toc: TocBuilder,
    /// Objects that produced their main entry (so that others may depend on them in the TOC).
    main: HashMap<DumpId, usize>,
}

impl Emitter {
    /// Adds an object's main entry (its id is the object's).
    pub(crate) fn main_entry(&mut self, entry: TocEntry) {
        self.main.insert(entry.dump_id, self.toc.entries.len());
        self.toc.push(entry);
    }

    /// Adds an entry with explicit dependencies (comments, ACLs, data): they are kept as given.
    pub(crate) fn extra_entry(&mut self, mut entry: TocEntry, deps: Vec<DumpId>) -> DumpId {
        if entry.dump_id.0 == 0 {
            entry.dump_id = self.toc.allocate();
        }
        entry.dependencies = deps;
        let id = entry.dump_id;
        // Explicit dependencies are marked so that resolution leaves them alone.
        self.main.insert(id, usize::MAX);
        self.toc.push(entry);
        id
    }

    /// TOC dependencies of main entries: the object's dependencies, looking through objects that have no
    /// entry of their own to what they depend on (pg_dump's `findDumpableDependencies`).
    fn resolve_dependencies(&mut self, objects: &[DumpObject]) {
        let by_id: HashMap<DumpId, &DumpObject> = objects.iter().map(|o| (o.id, o)).collect();
        let has_entry: HashSet<DumpId> = self
            .main
            .iter()
            .filter(|(_, &i)| i != usize::MAX)
            .map(|(id, _)| *id)
            .collect();
        for entry in &mut self.toc.entries {
            if self.main.get(&entry.dump_id) == Some(&usize::MAX) || !entry.dependencies.is_empty()
            {
                continue;
            }
            let Some(object) = by_id.get(&entry.dump_id) else {
                continue;
            };
            let mut deps = Vec::new();
            let mut seen = HashSet::new();
            let mut stack: Vec<DumpId> = object.deps.iter().rev().copied().collect();
            while let Some(dep) = stack.pop() {
                if !seen.insert(dep) {
                    continue;
                }
                if has_entry.contains(&dep) {
                    if !deps.contains(&dep) {
                        deps.push(dep);
                    }
                } else if let Some(inner) = by_id.get(&dep) {
                    // The section boundaries only order the sort; looking through them would make every
                    // post-data entry depend on everything before it (pg_dump skips them too).
                    if matches!(
                        inner.kind,
                        ObjKind::PreDataBoundary | ObjKind::PostDataBoundary
                    ) {
                        continue;
                    }
                    stack.extend(inner.deps.iter().rev().copied());
                }
            }
            deps.sort();
            entry.dependencies = deps;
        }
    }
}

/// Lets each group break the dependency loops it knows (shell types, partitioned indexes, view rules...).
/// Returns `true` when one of them repaired `cycle`.
pub(crate) fn repair_loop(objects: &mut [DumpObject], cycle: &[DumpId]) -> bool {
    types::repair_loop(objects, cycle).is_some()
        || functions::repair_loop(objects, cycle).is_some()
        || rules::repair_loop(objects, cycle).is_some()
        || foreign::repair_loop(objects, cycle).is_some()
}

/// A new entry.
pub(crate) fn new_entry(
    id: DumpId,
    desc_: &str,
    tag: impl Into<String>,
    section: Section,
) -> TocEntry {
    TocEntry::new(id, desc_, tag, section)
}

/// What a comment or ACL entry says about its object.
pub(crate) struct Labels<'a> {
    /// The keyword in `COMMENT ON <kind>` and the tag (`TABLE`, `COLUMN`, `SCHEMA`...).
    pub(crate) kind: &'a str,
    /// The name in the tag: quoted, unqualified (`parent`, `parent.note`, `b_nn ON nn`).
    pub(crate) tag_name: String,
    /// The name in the statement: quoted, qualified where the kind allows (`s.parent`).
    pub(crate) sql_name: String,
    /// The entry's schema.
    pub(crate) namespace: Option<String>,
    /// The entry's owner.
    pub(crate) owner: Option<String>,
}

/// Adds the COMMENT entry for `object`'s comment at `subid`, if it has one and comments are dumped.
pub(crate) fn comment_entry(
    planner: &Planner<'_>,
    out: &mut Emitter,
    object: &DumpObject,
    catalog_id: CatalogId,
    subid: i32,
    labels: &Labels<'_>,
) {
    if !planner.options.no_comments && object.dump.comment {
        if let Some(text) = planner.catalog.comment(catalog_id, subid) {
            comment_text_entry(planner, out, object.id, text, labels);
        }
    }
    // Security labels go wherever comments go, right after them, as pg_dump writes them.
    seclabel_entry(planner, out, object, catalog_id, subid, labels);
}

/// Adds the SECURITY LABEL entry for an object's labels (one entry for all its providers), if it has any and
/// labels are dumped.
pub(crate) fn seclabel_entry(
    planner: &Planner<'_>,
    out: &mut Emitter,
    object: &DumpObject,
    catalog_id: CatalogId,
    subid: i32,
    labels: &Labels<'_>,
) {
    if planner.options.no_security_labels || !object.dump.seclabel {
        return;
    }
    let found = planner.catalog.seclabels(catalog_id, subid);
    if found.is_empty() {
        return;
    }
    let std = planner.catalog.database.std_strings;
    let mut sql = String::new();
    for label in found {
        sql.push_str(&format!(
            "SECURITY LABEL FOR {} ON {} {} IS {};\n",
            planner.quoter.ident(&label.provider),
            labels.kind,
            labels.sql_name,
            quote::literal(&label.label, std)
        ));
    }
    let mut entry = new_entry(
        DumpId(0),
        desc::SECURITY_LABEL,
        format!("{} {}", labels.kind, labels.tag_name),
        Section::None,
    );
    entry.namespace = labels.namespace.clone();
    entry.owner = labels.owner.clone();
    entry.defn = Some(sql);
    out.extra_entry(entry, vec![object.id]);
}

/// Adds a COMMENT entry with the given text.
pub(crate) fn comment_text_entry(
    planner: &Planner<'_>,
    out: &mut Emitter,
    parent: DumpId,
    text: &str,
    labels: &Labels<'_>,
) {
    let std = planner.catalog.database.std_strings;
    let mut entry = new_entry(
        DumpId(0),
        desc::COMMENT,
        format!("{} {}", labels.kind, labels.tag_name),
        Section::None,
    );
    entry.namespace = labels.namespace.clone();
    entry.owner = labels.owner.clone();
    entry.defn = Some(format!(
        "COMMENT ON {} {} IS {};\n",
        labels.kind,
        labels.sql_name,
        quote::literal(text, std)
    ));
    out.extra_entry(entry, vec![parent]);
}

/// Adds the ACL entry for an object, if its ACL differs from the baseline and privileges are dumped.
#[allow(clippy::too_many_arguments)]
pub(crate) fn acl_entry(
    planner: &Planner<'_>,
    out: &mut Emitter,
    object: &DumpObject,
    object_type: AclObjectType,
    name: &str,
    subname: Option<&str>,
    acl: Option<&str>,
    base_acl: &str,
    labels: &Labels<'_>,
    extra_deps: &[DumpId],
) -> Result<Option<DumpId>, PlanError> {
    if planner.options.no_privileges || !object.dump.acl {
        return Ok(None);
    }
    let sql = build_acl_commands(&AclInput {
        object_type,
        name,
        subname,
        namespace: labels.namespace.as_deref(),
        owner: labels.owner.as_deref(),
        acl,
        base_acl,
        quoter: planner.quoter,
    })
    .map_err(|e| PlanError::Acl {
        object: format!("{} {}", labels.kind, labels.tag_name),
        reason: e.to_string(),
    })?;
    if sql.is_empty() {
        return Ok(None);
    }
    let mut entry = new_entry(
        DumpId(0),
        desc::ACL,
        format!("{} {}", labels.kind, labels.tag_name),
        Section::None,
    );
    entry.namespace = labels.namespace.clone();
    entry.owner = labels.owner.clone();
    entry.defn = Some(sql);
    let mut deps = vec![object.id];
    deps.extend_from_slice(extra_deps);
    Ok(Some(out.extra_entry(entry, deps)))
}

/// The section an object's main entry goes to.
pub(crate) fn section_of(object: &DumpObject) -> Section {
    if object.postponed || object.kind.is_post_data() {
        Section::PostData
    } else if object.kind.is_pre_data() {
        Section::PreData
    } else {
        Section::Data
    }
}

#[cfg(test)]
mod tests;
