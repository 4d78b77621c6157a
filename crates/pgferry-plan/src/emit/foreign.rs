//! Text search objects, foreign-data wrappers, servers, user mappings, publications, subscriptions and default
//! privileges.
//!
//! Each kind lives in its own submodule with a `collect` (objects and what is dumped of them) and an `emit`
//! (pg_dump 18's TOC entries for one object). Records are found through `Source::Index(i)` into the kind's list
//! in the catalog (`ts_parsers[i]` for a `TsParser`, `default_acls[i]` for a `DefaultAcl`, ...).

mod default_acl;
mod replication;
mod servers;
mod text_search;

use pgferry_catalog::CatalogId;

use super::Emitter;
use crate::model::{Components, DumpObject, ObjKind};
use crate::planner::Planner;
use crate::PlanError;

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    text_search::collect(planner);
    servers::collect(planner);
    replication::collect(planner);
    default_acl::collect(planner);
    Ok(())
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    // Every one of these kinds is schema, not data (pg_dump's `dumpSchema` test).
    if !planner.options.schema {
        return Ok(());
    }
    match object.kind {
        ObjKind::TsParser | ObjKind::TsTemplate | ObjKind::TsDict | ObjKind::TsConfig => {
            text_search::emit(planner, object, out);
            Ok(())
        }
        ObjKind::Fdw | ObjKind::ForeignServer => servers::emit(planner, object, out),
        ObjKind::Publication
        | ObjKind::PublicationRel
        | ObjKind::PublicationTableInSchema
        | ObjKind::Subscription => {
            replication::emit(planner, object, out);
            Ok(())
        }
        ObjKind::DefaultAcl => default_acl::emit(planner, object, out),
        // Subscription tables exist only in binary upgrades; large objects are data, not read yet.
        _ => Ok(()),
    }
}

/// Breaks a dependency loop this group knows how to break; `None` when it does not recognise the loop.
///
/// None of these kinds takes part in the loops pg_dump repairs.
pub(crate) fn repair_loop(
    _objects: &mut [DumpObject],
    _cycle: &[pgferry_archive::DumpId],
) -> Option<()> {
    None
}

/// What pg_dump dumps of an object outside any schema (a wrapper, a server, a publication, a subscription):
/// everything when the whole database is dumped, nothing under `-n`/`-t`/`-e`; an extension member only its
/// privileges, and only when its extension is dumped (or built in).
fn global_components(planner: &Planner<'_>, id: CatalogId) -> Components {
    if let Some(components) = planner.extension_member_components(id) {
        return components;
    }
    if planner.options.include_everything() {
        Components::ALL
    } else {
        Components::NONE
    }
}
