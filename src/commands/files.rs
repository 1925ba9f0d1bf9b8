//! Writing the files asterbot produces (agents, lock files, pictures), so
//! that a crash never leaves one half-written.

use miette::{IntoDiagnostic, WrapErr};
use std::path::Path;

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`; the folder it goes in is made if it does not exist yet.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> miette::Result<()> {
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.partial"));
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot make the folder `{}`", folder.display()))?;
    }
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write `{}`", path.display()))
}
