//! Indexes, key and foreign-key constraints, triggers, rules, policies, extended statistics and event triggers.

use crate::query::Reader;
use crate::{Catalog, CatalogError};

/// Indexes, key and foreign-key constraints, triggers, rules, policies, extended statistics and event triggers.
#[derive(Debug, Clone, Default)]
pub struct RuleCatalog {}

pub(crate) async fn read(
    _reader: &mut Reader<'_>,
    _catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    Ok(())
}
