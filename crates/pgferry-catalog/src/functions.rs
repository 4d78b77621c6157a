//! Functions, procedures, aggregates, operators, operator classes and operator families.

use crate::query::Reader;
use crate::{Catalog, CatalogError};

/// Functions, procedures, aggregates, operators, operator classes and operator families.
#[derive(Debug, Clone, Default)]
pub struct FunctionCatalog {}

pub(crate) async fn read(
    _reader: &mut Reader<'_>,
    _catalog: &mut Catalog,
) -> Result<(), CatalogError> {
    Ok(())
}
