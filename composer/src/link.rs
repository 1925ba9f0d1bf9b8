//! Linking the document's instances into a composition graph.

use crate::error::{ComposeError, Explained};
use crate::explain::Explainer;
use indexmap::IndexMap;
use wac_parser::Document;
use wac_parser::resolution::Resolution;
use wac_types::BorrowedPackageKey;

/// Resolves names, arguments and types of `document` against `packages`;
/// an error gets a help line that says what exists and what to change.
pub fn link<'a>(
    source: &'a str,
    document: &'a Document<'a>,
    packages: IndexMap<BorrowedPackageKey<'a>, Vec<u8>>,
) -> Result<Resolution<'a>, ComposeError> {
    document.resolve(packages.clone()).map_err(|error| {
        let help = Explainer::new(source, document, &packages).help(&error);
        ComposeError::Link(Box::new(Explained { error, help }))
    })
}
