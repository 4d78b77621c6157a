//! Types, domains, collations, conversions, casts, transforms, procedural languages and access methods.

use crate::query::Reader;
use crate::{Catalog, CatalogError};

/// Types, domains, collations, conversions, casts, transforms, procedural languages and access methods.
#[derive(Debug, Clone, Default)]
pub struct TypeCatalog {}

pub(crate) async fn read(
    _reader: &mut Reader<'_>,
    _catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    Ok(())
}
