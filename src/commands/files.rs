//! Writing the files asterbot produces (agents, lock files, pictures), so
//! that a crash never leaves one half-written.

use miette::{IntoDiagnostic, WrapErr};
use std::path::Path;

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> miette::Result<()> {
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.partial"));
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write `{}`", path.display()))
}
