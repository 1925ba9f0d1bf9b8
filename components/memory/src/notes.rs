//! The notes folder: safe names, reading, atomic writing.

use std::path::PathBuf;

/// Environment variable naming the notes folder.
const DIR_ENV: &str = "ASTERBOT_MEMORY_DIR";

/// The notes folder when `ASTERBOT_MEMORY_DIR` is not set.
const DEFAULT_DIR: &str = "/state/memory";

/// Longest note name accepted.
pub const MAX_NAME: usize = 64;

/// The notes folder.
pub fn dir() -> PathBuf {
    PathBuf::from(std::env::var(DIR_ENV).unwrap_or_else(|_| DEFAULT_DIR.to_string()))
}

/// The file of note `name`, or why the name is refused.
pub fn path(name: &str) -> Result<PathBuf, String> {
    check_name(name)?;
    Ok(dir().join(format!("{name}.md")))
}

/// Names of all notes, sorted.
pub fn list() -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir()).map_err(unavailable)?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".md").map(str::to_string)
        })
        .filter(|name| check_name(name).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The text of note `name`.
pub fn read(name: &str) -> Result<String, String> {
    std::fs::read_to_string(path(name)?).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("there is no note named `{name}`"),
        _ => unavailable(e),
    })
}

/// Replaces note `name` with `text`, through a temporary file.
pub fn write(name: &str, text: &str) -> Result<(), String> {
    let path = path(name)?;
    std::fs::create_dir_all(dir()).map_err(unavailable)?;
    let temporary = path.with_extension("md.partial");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(unavailable)
}

/// Deletes note `name`.
pub fn delete(name: &str) -> Result<(), String> {
    std::fs::remove_file(path(name)?).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("there is no note named `{name}`"),
        _ => unavailable(e),
    })
}

/// A note name is one plain file name: letters, digits, `-`, `_`, `.` and
/// spaces, not starting with `.`, at most [`MAX_NAME`] characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let plain = name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if name.trim().is_empty() || name.chars().count() > MAX_NAME || !plain || name.starts_with('.')
    {
        return Err(format!(
            "invalid note name `{name}`: use 1 to {MAX_NAME} letters, digits, spaces, `-`, `_` or `.`, not starting with `.` (no paths)"
        ));
    }
    Ok(())
}

fn unavailable(error: std::io::Error) -> String {
    format!(
        "the memory folder `{}` is not available ({error}); grant it with `--dir ./state::/state`",
        dir().display()
    )
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_refused_when_they_could_be_paths() {
        for good in ["facts", "trip to Oslo", "v1.2_notes-x"] {
            assert!(check_name(good).is_ok(), "{good}");
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
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
