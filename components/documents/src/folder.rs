//! A library's folder: safe document names, reading, atomic writing.

use crate::Library;
use std::path::PathBuf;

/// Longest document name accepted.
pub const MAX_NAME: usize = 64;

/// The library's folder.
pub fn dir(library: &Library) -> PathBuf {
    PathBuf::from(
        std::env::var(library.dir_env).unwrap_or_else(|_| library.default_dir.to_string()),
    )
}

/// The file of document `name`, or why the name is refused.
fn path(library: &Library, name: &str) -> Result<PathBuf, String> {
    check_name(library, name)?;
    Ok(dir(library).join(format!("{name}.md")))
}

/// Names of all documents, sorted.
pub fn list(library: &Library) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir(library)).map_err(|e| unavailable(library, e))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".md").map(str::to_string)
        })
        .filter(|name| check_name(library, name).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The text of document `name`.
pub fn read(library: &Library, name: &str) -> Result<String, String> {
    std::fs::read_to_string(path(library, name)?).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("there is no {} named `{name}`", library.noun),
        _ => unavailable(library, e),
    })
}

/// Replaces document `name` with `text`, through a temporary file.
pub fn write(library: &Library, name: &str, text: &str) -> Result<(), String> {
    let path = path(library, name)?;
    std::fs::create_dir_all(dir(library)).map_err(|e| unavailable(library, e))?;
    let temporary = path.with_extension("md.partial");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| unavailable(library, e))
}

/// Deletes document `name`.
pub fn delete(library: &Library, name: &str) -> Result<(), String> {
    std::fs::remove_file(path(library, name)?).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("there is no {} named `{name}`", library.noun),
        _ => unavailable(library, e),
    })
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

fn unavailable(library: &Library, error: std::io::Error) -> String {
    format!(
        "the {} folder `{}` is not available ({error}); grant it with `--dir ./state::/state`",
        library.prefix,
        dir(library).display()
    )
}

#[cfg(test)]
mod tests {
    use super::check_name;

    const LIBRARY: crate::Library = crate::Library {
        prefix: "memory",
        noun: "note",
        dir_env: "UNUSED",
        default_dir: "/state/memory",
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
