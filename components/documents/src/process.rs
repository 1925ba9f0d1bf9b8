//! Documents kept in the component's memory for the life of the process.

use crate::Library;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Every in-process document, keyed by library prefix and name.
static DOCUMENTS: Mutex<BTreeMap<(&'static str, String), String>> = Mutex::new(BTreeMap::new());

fn documents() -> std::sync::MutexGuard<'static, BTreeMap<(&'static str, String), String>> {
    DOCUMENTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Names of the library's documents, sorted.
pub fn list(library: &Library) -> Vec<String> {
    documents()
        .keys()
        .filter(|(prefix, _)| *prefix == library.prefix)
        .map(|(_, name)| name.clone())
        .collect()
}

/// The text of document `name`, if there is one.
pub fn read(library: &Library, name: &str) -> Option<String> {
    documents()
        .get(&(library.prefix, name.to_string()))
        .cloned()
}

/// Replaces document `name` with `text`.
pub fn write(library: &Library, name: &str, text: &str) {
    documents().insert((library.prefix, name.to_string()), text.to_string());
}

/// Deletes document `name`; `false` if there was none.
pub fn delete(library: &Library, name: &str) -> bool {
    documents()
        .remove(&(library.prefix, name.to_string()))
        .is_some()
}
