//! Documents as markdown files in a folder, written atomically. Names
//! reach here already checked by [`crate::store`].

use crate::{Library, Storage};
use std::path::PathBuf;

/// The library's folder.
pub fn dir(library: &Library) -> PathBuf {
    match library.storage {
        Storage::Folder {
            dir_env,
            default_dir,
        } => PathBuf::from(std::env::var(dir_env).unwrap_or_else(|_| default_dir.to_string())),
        Storage::Process => PathBuf::new(),
    }
}

/// The file of document `name`.
fn path(library: &Library, name: &str) -> PathBuf {
    dir(library).join(format!("{name}.md"))
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
        .filter(|name| crate::store::check_name(library, name).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The text of document `name`, `None` if there is none.
pub fn read(library: &Library, name: &str) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path(library, name)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unavailable(library, e)),
    }
}

/// Replaces document `name` with `text`, through a temporary file.
pub fn write(library: &Library, name: &str, text: &str) -> Result<(), String> {
    let path = path(library, name);
    std::fs::create_dir_all(dir(library)).map_err(|e| unavailable(library, e))?;
    let temporary = path.with_extension("md.partial");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| unavailable(library, e))
}

/// Deletes document `name`; `false` if there was none.
pub fn delete(library: &Library, name: &str) -> Result<bool, String> {
    match std::fs::remove_file(path(library, name)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(unavailable(library, e)),
    }
}

fn unavailable(library: &Library, error: std::io::Error) -> String {
    format!(
        "the {} folder `{}` is not available ({error}); grant it with `--dir ./state::/state`",
        library.prefix,
        dir(library).display()
    )
}
