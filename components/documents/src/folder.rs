//! Documents as markdown files in a folder, written atomically. Names
//! reach here already checked by [`crate::store`].

use crate::{Library, Storage};
use std::path::PathBuf;

/// Markdown files in a folder granted by the runner: the variable
/// `dir_env` names it, else `default_dir`.
pub struct Folder {
    /// Environment variable naming the folder.
    pub dir_env: &'static str,
    /// The folder when the variable is not set.
    pub default_dir: &'static str,
}

impl Folder {
    /// The folder.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(std::env::var(self.dir_env).unwrap_or_else(|_| self.default_dir.to_string()))
    }

    /// The file of document `name`.
    fn path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.md"))
    }

    fn unavailable(&self, library: &Library, error: std::io::Error) -> String {
        format!(
            "the {} folder `{}` is not available ({error}); grant it with `--dir ./state::/state`",
            library.prefix,
            self.dir().display()
        )
    }
}

impl Storage for Folder {
    /// Names of all documents, sorted.
    fn list(&self, library: &Library) -> Result<Vec<String>, String> {
        let entries = std::fs::read_dir(self.dir()).map_err(|e| self.unavailable(library, e))?;
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
    fn read(&self, library: &Library, name: &str) -> Result<Option<String>, String> {
        match std::fs::read_to_string(self.path(name)) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.unavailable(library, e)),
        }
    }

    /// Replaces document `name` with `text`, through a temporary file.
    fn write(&self, library: &Library, name: &str, text: &str) -> Result<(), String> {
        let path = self.path(name);
        std::fs::create_dir_all(self.dir()).map_err(|e| self.unavailable(library, e))?;
        let temporary = path.with_extension("md.partial");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|e| self.unavailable(library, e))
    }

    /// Deletes document `name`; `false` if there was none.
    fn delete(&self, library: &Library, name: &str) -> Result<bool, String> {
        match std::fs::remove_file(self.path(name)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.unavailable(library, e)),
        }
    }
}
