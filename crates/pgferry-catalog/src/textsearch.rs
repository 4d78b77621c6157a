//! Text search objects, foreign-data wrappers, foreign servers, user mappings, publications and subscriptions.

use crate::query::Reader;
use crate::{Catalog, CatalogError};

/// Text search objects, foreign-data wrappers, foreign servers, user mappings, publications and subscriptions.
#[derive(Debug, Clone, Default)]
pub struct ForeignAndSearchCatalog {}

pub(crate) async fn read(
    _reader: &mut Reader<'_>,
    _catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    Ok(())
}
