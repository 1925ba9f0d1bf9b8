//! Where a library keeps its documents ([`Storage`]), behind one set of
//! operations that refuse unsafe names first.

use crate::{Library, folder, process};

/// Longest document name accepted.
pub const MAX_NAME: usize = 64;

/// Where a library keeps its documents.
pub enum Storage {
    /// Markdown files in a folder granted by the runner: the variable
    /// `dir_env` names it, else `default_dir`.
    Folder {
        /// Environment variable naming the folder.
        dir_env: &'static str,
        /// The folder when the variable is not set.
        default_dir: &'static str,
    },
    /// In the component's memory, for the life of the process: needs no
    /// grant and keeps nothing.
    Process,
}

/// Names of all documents, sorted.
pub fn list(library: &Library) -> Result<Vec<String>, String> {
    match library.storage {
        Storage::Folder { .. } => folder::list(library),
        Storage::Process => Ok(process::list(library)),
    }
}

/// The text of document `name`.
pub fn read(library: &Library, name: &str) -> Result<String, String> {
    check_name(library, name)?;
    let text = match library.storage {
        Storage::Folder { .. } => folder::read(library, name)?,
        Storage::Process => process::read(library, name),
    };
    text.ok_or_else(|| format!("there is no {} named `{name}`", library.noun))
}

/// Replaces document `name` with `text`.
pub fn write(library: &Library, name: &str, text: &str) -> Result<(), String> {
    check_name(library, name)?;
    match library.storage {
        Storage::Folder { .. } => folder::write(library, name, text),
        Storage::Process => {
            process::write(library, name, text);
            Ok(())
        }
    }
}

/// Deletes document `name`.
pub fn delete(library: &Library, name: &str) -> Result<(), String> {
    check_name(library, name)?;
    let existed = match library.storage {
        Storage::Folder { .. } => folder::delete(library, name)?,
        Storage::Process => process::delete(library, name),
    };
    if existed {
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
    use super::{Storage, check_name};

    const LIBRARY: crate::Library = crate::Library {
        prefix: "memory",
        noun: "note",
        storage: Storage::Process,
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
