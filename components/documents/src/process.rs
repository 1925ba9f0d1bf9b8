//! Documents kept in the component's memory for the life of the process.

use crate::{Library, Storage};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Every in-process document, keyed by library prefix and name.
static DOCUMENTS: Mutex<BTreeMap<(&'static str, String), String>> = Mutex::new(BTreeMap::new());

fn documents() -> std::sync::MutexGuard<'static, BTreeMap<(&'static str, String), String>> {
    DOCUMENTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// In the component's memory, for the life of the process: needs no
/// grant and keeps nothing.
pub struct Process;

impl Storage for Process {
    /// Names of the library's documents, sorted.
    fn list(&self, library: &Library) -> Result<Vec<String>, String> {
        Ok(documents()
            .keys()
            .filter(|(prefix, _)| *prefix == library.prefix)
            .map(|(_, name)| name.clone())
            .collect())
    }

    /// The text of document `name`, if there is one.
    fn read(&self, library: &Library, name: &str) -> Result<Option<String>, String> {
        Ok(documents()
            .get(&(library.prefix, name.to_string()))
            .cloned())
    }

    /// Replaces document `name` with `text`.
    fn write(&self, library: &Library, name: &str, text: &str) -> Result<(), String> {
        documents().insert((library.prefix, name.to_string()), text.to_string());
        Ok(())
    }

    /// Deletes document `name`; `false` if there was none.
    fn delete(&self, library: &Library, name: &str) -> Result<bool, String> {
        Ok(documents()
            .remove(&(library.prefix, name.to_string()))
            .is_some())
    }
}
