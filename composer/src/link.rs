//! Linking the document's instances into a composition graph.

use crate::error::{ComposeError, Explained};
use crate::explain::Explainer;
use indexmap::IndexMap;
use wac_parser::Document;
use wac_parser::resolution::Resolution;
use wac_types::BorrowedPackageKey;

/// Resolves names, arguments and types of `document` against `packages`.
///
/// On failure `reload` gives the packages again (they were handed to the
/// linker) so the error can be explained with what they import and export.
pub fn link<'a>(
    source: &'a str,
    document: &'a Document<'a>,
    packages: IndexMap<BorrowedPackageKey<'a>, Vec<u8>>,
    reload: impl FnOnce() -> Result<IndexMap<BorrowedPackageKey<'a>, Vec<u8>>, ComposeError>,
) -> Result<Resolution<'a>, ComposeError> {
    document.resolve(packages).map_err(|error| {
        let help = reload()
            .ok()
            .and_then(|packages| Explainer::new(source, document, &packages).help(&error));
        ComposeError::Link(Box::new(Explained { error, help }))
    })
}
