//! The planner: catalog model in, sorted TOC out.
//!
//! 1. `collect`: one [`DumpObject`] per catalog object, with what is dumped of it (pg_dump's selection rules).
//! 2. `depend`: edges from `pg_depend`, plus the hand-made ones pg_dump adds (a table depends on its inline
//!    defaults, table data on its table, everything pre-data on nothing post-data...).
//! 3. [`sort_objects`](crate::sort::sort_objects): pg_dump's order, with loop repairs.
//! 4. `emit`: TOC entries for each object in order, with their comments and ACLs, and TOC dependencies that
//!    skip over objects that are not dumped.

use std::collections::HashMap;

use pgferry_archive::{DumpId, Toc, TocEntry, TocHeader};
use pgferry_catalog::{class, Catalog, CatalogId, Oid};

use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::options::PlanOptions;
use crate::quote::Quoter;
use crate::{emit, PlanError};

/// The state of one planning run.
pub struct Planner<'a> {
    /// The catalog being dumped.
    pub catalog: &'a Catalog,
    /// The options.
    pub options: &'a PlanOptions,
    /// Identifier quoting.
    pub quoter: Quoter,
    /// The objects, in creation order until sorted.
    pub objects: Vec<DumpObject>,
    /// Catalog address -> object, for pg_depend and comments. Several addresses may lead to one object
    /// (a view's `_RETURN` rule leads to the view, a table's row type to the table).
    pub by_catalog: HashMap<CatalogId, DumpId>,
    /// Warnings for the user (unresolvable loops, missing owners...).
    pub warnings: Vec<String>,
    /// Object id -> position in `objects` (rebuilt after sorting).
    index: HashMap<DumpId, usize>,
    next_id: u32,
}

impl<'a> Planner<'a> {
    /// A planner over `catalog`.
    pub fn new(catalog: &'a Catalog, options: &'a PlanOptions) -> Planner<'a> {
        Planner {
            catalog,
            options,
            quoter: Quoter {
                quote_all: options.quote_all_identifiers,
            },
            objects: Vec::new(),
            by_catalog: HashMap::new(),
            warnings: Vec::new(),
            index: HashMap::new(),
            // pg_dump's ids start at 1; a few low ids are left for the special entries.
            next_id: 1,
        }
    }

    /// A fresh dump id.
    pub fn allocate_id(&mut self) -> DumpId {
        let id = DumpId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Adds an object and registers its catalog address. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        kind: ObjKind,
        catalog_id: CatalogId,
        name: impl Into<String>,
        namespace_oid: Oid,
        dump: Components,
        source: Source,
    ) -> DumpId {
        let id = self.allocate_id();
        let schema =
            (namespace_oid != 0).then(|| self.catalog.namespace_name(namespace_oid).to_owned());
        self.objects.push(DumpObject {
            id,
            kind,
            catalog_id,
            name: name.into(),
            schema,
            namespace_oid,
            tiebreak: Vec::new(),
            dump,
            source,
            deps: Vec::new(),
            separate: false,
            postponed: false,
            postponable: false,
            owner_table: None,
        });
        self.index.insert(id, self.objects.len() - 1);
        if catalog_id.oid != 0 {
            self.by_catalog.entry(catalog_id).or_insert(id);
        }
        id
    }

    /// Rebuilds the id index after `objects` was reordered.
    pub fn reindex(&mut self) {
        self.index = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id, i))
            .collect();
    }

    /// The object with this id.
    pub fn object(&self, id: DumpId) -> Option<&DumpObject> {
        self.index
            .get(&id)
            .and_then(|&i| self.objects.get(i))
            .filter(|o| o.id == id)
    }

    /// The object with this id, mutably.
    pub fn object_mut(&mut self, id: DumpId) -> Option<&mut DumpObject> {
        let i = *self.index.get(&id)?;
        self.objects.get_mut(i).filter(|o| o.id == id)
    }

    /// The object for a catalog address.
    pub fn lookup(&self, id: CatalogId) -> Option<DumpId> {
        self.by_catalog.get(&id).copied()
    }

    /// Makes `object` depend on `on`.
    pub fn add_dep(&mut self, object: DumpId, on: DumpId) {
        if let Some(o) = self.object_mut(object) {
            o.add_dep(on);
        }
    }

    /// What pg_dump dumps of an object in schema `namespace` by default: everything if the schema is dumped,
    /// else nothing; extension members only their ACL.
    pub fn schema_components(&self, namespace: Oid, catalog_id: CatalogId) -> Components {
        if let Some(components) = self.extension_member_components(catalog_id) {
            return components;
        }
        if self.namespace_selected(namespace) {
            Components::ALL
        } else {
            Components::NONE
        }
    }

    /// For an extension member: only its privileges (their changes against `pg_init_privs`), and only when
    /// its extension is dumped or built in (pg_dump's rule; CREATE EXTENSION recreates the member itself).
    /// `None` for objects that are not extension members.
    pub fn extension_member_components(&self, catalog_id: CatalogId) -> Option<Components> {
        let extension = self.catalog.extension_of(catalog_id)?;
        Some(if self.extension_dumped(extension) {
            Components::ACL_ONLY
        } else {
            Components::NONE
        })
    }

    /// Whether an extension's contents count as dumped: built-in ones always (for ACL changes), others when
    /// selected (`-e`, or everything) and not excluded.
    pub fn extension_dumped(&self, extension: Oid) -> bool {
        if extension <= pgferry_catalog::LAST_SYSTEM_OID {
            return true;
        }
        !self.options.exclude_extensions.contains(&extension)
            && (self.options.include_everything()
                || self.options.include_extensions.contains(&extension))
    }

    /// Whether a schema's contents are dumped (`-n`/`-N`, and never the system schemas).
    pub fn namespace_selected(&self, namespace: Oid) -> bool {
        let Some(ns) = self.catalog.namespace(namespace) else {
            return false;
        };
        if ns.name.starts_with("pg_") || ns.name == "information_schema" {
            return false;
        }
        if self.options.exclude_schemas.contains(&namespace) {
            return false;
        }
        if self.options.tables_selected {
            return false;
        }
        self.options.include_schemas.is_empty() || self.options.include_schemas.contains(&namespace)
    }
}

/// Plans a dump of `catalog`: the TOC, in restore order.
pub fn plan(catalog: &Catalog, options: &PlanOptions) -> Result<Toc, PlanError> {
    let mut planner = Planner::new(catalog, options);
    let pre = planner.add(
        ObjKind::PreDataBoundary,
        CatalogId::new(0, 0),
        "PRE-DATA BOUNDARY",
        0,
        Components::NONE,
        Source::None,
    );
    let post = planner.add(
        ObjKind::PostDataBoundary,
        CatalogId::new(0, 0),
        "POST-DATA BOUNDARY",
        0,
        Components::NONE,
        Source::None,
    );

    emit::collect(&mut planner)?;
    depend(&mut planner);
    boundaries(&mut planner, pre, post);

    let warnings = crate::sort::sort_objects(&mut planner.objects);
    planner.reindex();
    planner.warnings.extend(warnings);
    for warning in &planner.warnings {
        tracing::warn!("{warning}");
    }
    emit::emit(&mut planner)
}

/// Edges from pg_depend, mapped onto dumpable objects. Column-level edges count as edges to the table.
fn depend(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    // pg_depend records a view's dependencies on its _RETURN rule; they are the view's.
    for (&rule, &view) in &catalog.relations.view_rules {
        if let Some(id) = planner.lookup(CatalogId::new(class::PG_CLASS, view)) {
            planner
                .by_catalog
                .insert(CatalogId::new(class::PG_REWRITE, rule), id);
        }
    }
    for table in &catalog.relations.tables {
        if let Some(id) = planner.lookup(table.catalog_id()) {
            planner
                .by_catalog
                .entry(CatalogId::new(class::PG_TYPE, table.row_type))
                .or_insert(id);
        }
    }
    let mut edges = Vec::new();
    for depend in &catalog.depends {
        let (Some(object), Some(referenced)) = (
            planner.lookup(depend.object),
            planner.lookup(depend.referenced),
        ) else {
            continue;
        };
        if object != referenced {
            edges.push((object, referenced));
        }
    }
    // Extension members depend on their extension.
    for (&member, &extension) in &catalog.extension_members {
        if let (Some(object), Some(ext)) = (
            planner.lookup(member),
            planner.lookup(CatalogId::new(class::PG_EXTENSION, extension)),
        ) {
            edges.push((object, ext));
        }
    }
    let index: HashMap<DumpId, usize> = planner
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id, i))
        .collect();
    for (object, referenced) in edges {
        let item = &mut planner.objects[index[&object]];
        // An inline default or CHECK constraint depends on its table, and the table on it (it is written
        // inside CREATE TABLE): pg_dump breaks that two-object loop by dropping the item's edge. Dropping it
        // up front saves a repair round per table; longer loops (serial columns) are still found and
        // repaired by making the item separate.
        if item.owner_table == Some(referenced) && !item.separate {
            continue;
        }
        item.add_dep(referenced);
    }
}

/// Section boundaries: pre-data objects come before the pre-data boundary, data between the two, post-data
/// after the post-data boundary.
fn boundaries(planner: &mut Planner<'_>, pre: DumpId, post: DumpId) {
    let ids: Vec<(DumpId, ObjKind, bool)> = planner
        .objects
        .iter()
        .map(|o| (o.id, o.kind, o.separate))
        .collect();
    for (id, kind, separate) in ids {
        if id == pre || id == post {
            continue;
        }
        // Constraints and rules written inside their table's or view's definition are not post-data items.
        if matches!(kind, ObjKind::Constraint | ObjKind::Rule) && !separate {
            continue;
        }
        if kind.is_pre_data() {
            planner.add_dep(pre, id);
        } else if kind.is_post_data() {
            planner.add_dep(id, post);
        } else {
            planner.add_dep(id, pre);
            planner.add_dep(post, id);
        }
    }
    planner.add_dep(post, pre);
}

/// Builds the TOC entries: special entries first, then each object's entries in sorted order.
pub(crate) struct TocBuilder {
    pub(crate) entries: Vec<TocEntry>,
    next_id: u32,
}

impl TocBuilder {
    pub(crate) fn new(first_free: u32) -> TocBuilder {
        TocBuilder {
            entries: Vec::new(),
            next_id: first_free,
        }
    }

    /// An id for an entry that has no object of its own (comments, ACLs, special entries).
    pub(crate) fn allocate(&mut self) -> DumpId {
        let id = DumpId(self.next_id);
        self.next_id += 1;
        id
    }

    pub(crate) fn push(&mut self, entry: TocEntry) {
        self.entries.push(entry);
    }

    pub(crate) fn finish(self, header: TocHeader) -> Toc {
        Toc {
            header,
            entries: self.entries,
        }
    }
}
