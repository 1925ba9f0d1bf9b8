//! Linking the document's instances into a composition graph.

use crate::error::ComposeError;
use indexmap::IndexMap;
use wac_parser::Document;
use wac_parser::resolution::Resolution;
use wac_types::BorrowedPackageKey;

/// Resolves names, arguments and types of `document` against `packages`.
pub fn link<'a>(
    document: &'a Document<'a>,
    packages: IndexMap<BorrowedPackageKey<'a>, Vec<u8>>,
) -> Result<Resolution<'a>, ComposeError> {
    document
        .resolve(packages)
        .map_err(|e| ComposeError::Link(Box::new(e)))
}
