//! Documents in a key-value store, one key per document, shared by every
//! replica of a served agent. Names reach here already checked by
//! [`crate::store`].
//!
//! A served agent's documents are its principal's own: in a turn of a
//! session a front end named for a principal (see
//! [`asterbot_sdk::session`]), they are kept under
//! `<prefix>/@<principal>/<name>`, so no other client sees or changes
//! them. A recipe that means them to be shared by everyone says so with
//! `@set ASTERBOT_DOCUMENTS_SHARED=1`; then, as for a session with no
//! principal (the command line), they are `<prefix>/<name>`.
//!
//! Each scope keeps an index of its names (`<prefix>-index/...`: a
//! counter and one key per document created), so listing the documents,
//! which the prompt section does every turn, never lists the store: its
//! cost does not grow with the sessions and principals stored beside it.

use crate::{Library, Storage};

/// The setting that makes the documents everyone's.
pub const SHARED_ENV: &str = "ASTERBOT_DOCUMENTS_SHARED";

/// In the runtime's key-value store (`wasi:keyvalue`), under the
/// instance's own keys.
pub struct KeyValue;

/// The current turn's scope: `@<principal>/`, or empty when the
/// documents are everyone's.
fn scope() -> String {
    let shared = std::env::var(SHARED_ENV).is_ok_and(|v| v == "1");
    match crate::turn::principal() {
        Some(principal) if !shared => format!("@{principal}/"),
        _ => String::new(),
    }
}

/// The key of document `name`, in the current turn's scope.
fn key(library: &Library, name: &str) -> String {
    format!("{}/{}{name}", library.prefix, scope())
}

/// The keys of a scope's index of names: a counter, and one key per
/// document ever created, numbered by it. Listing reads these instead of
/// the store's keys, so it costs what the scope holds, not what the whole
/// store (every other principal, every conversation) does.
fn index_count(library: &Library) -> String {
    format!("{}-index/{}count", library.prefix, scope())
}

fn index_slot(library: &Library, n: u64) -> String {
    format!("{}-index/{}{n}", library.prefix, scope())
}

/// Marks a scope whose documents from before the index was kept have
/// been indexed.
fn index_done(library: &Library) -> String {
    format!("{}-index/{}indexed", library.prefix, scope())
}

/// Adds `name` to the index (twice is harmless: listing dedupes).
fn index(library: &Library, name: &str) -> Result<(), String> {
    let n = keyvalue::increment(&index_count(library), 1)?;
    keyvalue::set(&index_slot(library, n), name.as_bytes())
}

/// Indexes, once per scope, the documents written before the index was
/// kept: the one listing of the store's keys a scope ever costs.
fn index_earlier(library: &Library) -> Result<(), String> {
    if keyvalue::get(&index_done(library))?.is_some() {
        return Ok(());
    }
    let prefix = key(library, "");
    for key in keyvalue::keys_with_prefix(&prefix)? {
        if let Some(name) = key.strip_prefix(&prefix)
            && crate::store::check_name(library, name).is_ok()
        {
            index(library, name)?;
        }
    }
    keyvalue::set(&index_done(library), b"1")
}

impl Storage for KeyValue {
    fn list(&self, library: &Library) -> Result<Vec<String>, String> {
        index_earlier(library)?;
        let count = keyvalue::counter(&index_count(library))?;
        let mut names = std::collections::BTreeSet::new();
        for n in 1..=count {
            if let Some(name) = keyvalue::get_text(&index_slot(library, n))?
                && crate::store::check_name(library, &name).is_ok()
                && !names.contains(&name)
                && keyvalue::get(&key(library, &name))?.is_some()
            {
                names.insert(name);
            }
        }
        Ok(names.into_iter().collect())
    }

    fn read(&self, library: &Library, name: &str) -> Result<Option<String>, String> {
        keyvalue::get_text(&key(library, name))
    }

    fn write(&self, library: &Library, name: &str, text: &str) -> Result<(), String> {
        index_earlier(library)?;
        if keyvalue::get(&key(library, name))?.is_none() {
            index(library, name)?;
        }
        keyvalue::set(&key(library, name), text.as_bytes())
    }

    fn delete(&self, library: &Library, name: &str) -> Result<bool, String> {
        keyvalue::delete(&key(library, name))
    }
}
