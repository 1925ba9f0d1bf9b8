//! Where a library keeps its documents ([`Storage`]), behind one set of
//! operations that refuse unsafe names first.

use crate::Library;

/// Longest document name accepted.
pub const MAX_NAME: usize = 64;

/// Where a library keeps its documents. Each component names one, so it
/// links (and imports) only what that one needs: `memory` no key-value
/// store, `memory-keyvalue` no file system. Names reach a storage already
/// checked.
pub trait Storage: Sync {
    /// Names of all documents, sorted.
    fn list(&self, library: &Library) -> Result<Vec<String>, String>;
    /// The text of document `name`, `None` if there is none.
    fn read(&self, library: &Library, name: &str) -> Result<Option<String>, String>;
    /// Replaces document `name` with `text`.
    fn write(&self, library: &Library, name: &str, text: &str) -> Result<(), String>;
    /// Deletes document `name`; `false` if there was none.
    fn delete(&self, library: &Library, name: &str) -> Result<bool, String>;
}

/// Names of all documents, sorted.
pub fn list(library: &Library) -> Result<Vec<String>, String> {
    library.storage.list(library)
}

/// The text of document `name`.
pub fn read(library: &Library, name: &str) -> Result<String, String> {
    check_name(library, name)?;
    library
        .storage
        .read(library, name)?
        .ok_or_else(|| format!("there is no {} named `{name}`", library.noun))
}

/// Replaces document `name` with `text`.
pub fn write(library: &Library, name: &str, text: &str) -> Result<(), String> {
    check_name(library, name)?;
    library.storage.write(library, name, text)
}

/// Deletes document `name`.
pub fn delete(library: &Library, name: &str) -> Result<(), String> {
    check_name(library, name)?;
    if library.storage.delete(library, name)? {
        Ok(())
    } else {
        Err(format!("there is no {} named `{name}`", library.noun))
    }
}

/// A document name is one plain file name: letters, digits, `-`, `_`,
/// `.` and spaces, not starting with `.`, at most [`MAX_NAME`] characters.
pub fn check_name(library: &Library, name: &str) -> Result<(), String> {
    let plain = name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if name.trim().is_empty() || name.chars().count() > MAX_NAME || !plain || name.starts_with('.')
    {
        return Err(format!(
            "invalid {} name `{name}`: use 1 to {MAX_NAME} letters, digits, spaces, `-`, `_` or `.`, not starting with `.` (no paths)",
            library.noun
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_name;

    const LIBRARY: crate::Library = crate::Library {
        prefix: "memory",
        noun: "note",
        storage: &crate::process::Process,
        section_title: "Memory",
        purpose: "tests",
    };

    #[test]
    fn names_are_refused_when_they_could_be_paths() {
        for good in ["facts", "trip to Oslo", "v1.2_notes-x"] {
            assert!(check_name(&LIBRARY, good).is_ok(), "{good}");
        }
        let long = "x".repeat(65);
        for bad in [
            "",
            "  ",
            "../x",
            "/etc/passwd",
            "a/b",
            ".hidden",
            "a\\b",
            long.as_str(),
        ] {
            let error = check_name(&LIBRARY, bad).unwrap_err();
            assert!(error.starts_with("invalid note name"), "{bad:?}: {error}");
        }
    }
}
