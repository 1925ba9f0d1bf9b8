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

use crate::{Library, Storage};

/// The setting that makes the documents everyone's.
pub const SHARED_ENV: &str = "ASTERBOT_DOCUMENTS_SHARED";

/// In the runtime's key-value store (`wasi:keyvalue`), under the
/// instance's own keys.
pub struct KeyValue;

/// The key of document `name`, in the current turn's scope.
fn key(library: &Library, name: &str) -> String {
    let shared = std::env::var(SHARED_ENV).is_ok_and(|v| v == "1");
    match crate::turn::principal() {
        Some(principal) if !shared => format!("{}/@{principal}/{name}", library.prefix),
        _ => format!("{}/{name}", library.prefix),
    }
}

impl Storage for KeyValue {
    fn list(&self, library: &Library) -> Result<Vec<String>, String> {
        let prefix = key(library, "");
        Ok(keyvalue::keys_with_prefix(&prefix)?
            .into_iter()
            .filter_map(|key| key.strip_prefix(&prefix).map(str::to_string))
            .filter(|name| crate::store::check_name(library, name).is_ok())
            .collect())
    }

    fn read(&self, library: &Library, name: &str) -> Result<Option<String>, String> {
        keyvalue::get_text(&key(library, name))
    }

    fn write(&self, library: &Library, name: &str, text: &str) -> Result<(), String> {
        keyvalue::set(&key(library, name), text.as_bytes())
    }

    fn delete(&self, library: &Library, name: &str) -> Result<bool, String> {
        keyvalue::delete(&key(library, name))
    }
}
