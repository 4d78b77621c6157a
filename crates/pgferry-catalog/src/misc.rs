//! Default privileges and large object metadata.

use crate::query::Reader;
use crate::{Catalog, CatalogError};

/// Default privileges and large object metadata.
#[derive(Debug, Clone, Default)]
pub struct MiscCatalog {}

pub(crate) async fn read(
    _reader: &mut Reader<'_>,
    _catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    Ok(())
}
