//! Types, domains, collations, conversions, casts, transforms, procedural languages and access methods.

use super::Emitter;
use crate::model::DumpObject;
use crate::planner::Planner;
use crate::PlanError;

pub(super) fn collect(_planner: &mut Planner<'_>) -> Result<(), PlanError> {
    Ok(())
}

pub(super) fn emit(
    _planner: &Planner<'_>,
    _object: &DumpObject,
    _out: &mut Emitter,
) -> Result<(), PlanError> {
    Ok(())
}

/// Breaks a dependency loop this group knows how to break; `None` when it does not recognise the loop.
pub(crate) fn repair_loop(
    _objects: &mut [DumpObject],
    _cycle: &[pgferry_archive::DumpId],
) -> Option<()> {
    None
}
