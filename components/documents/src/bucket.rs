//! Documents in a key-value store, one key per document
//! (`<prefix>/<name>`), shared by every replica of a served agent. Names
//! reach here already checked by [`crate::store`].

use crate::{Library, Storage};

/// In the runtime's key-value store (`wasi:keyvalue`), under the
/// instance's own keys.
pub struct KeyValue;

/// The key of document `name`.
fn key(library: &Library, name: &str) -> String {
    format!("{}/{name}", library.prefix)
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
