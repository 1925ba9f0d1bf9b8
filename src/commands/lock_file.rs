//! The lock file beside a recipe: checked after every compose, written
//! when it is new or the recipe's packages changed (see
//! `asterbot_composer::lock`).

use super::files::write_atomically;
use asterbot_composer::Composed;
use asterbot_composer::lock::{self, Mode, Verdict};
use miette::{IntoDiagnostic, WrapErr};
use std::path::Path;

/// Checks `composed`, composed from the recipe at `recipe`, against the
/// recipe's lock file, and returns what to write.
pub fn check(recipe: &Path, composed: &Composed, mode: Mode) -> miette::Result<Pending> {
    let path = lock::path_for(recipe);
    let name = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read the lock file `{name}`"));
        }
    };
    let recipe_dir = match recipe.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let recipe_file = recipe
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let verdict = lock::reconcile(
        &name,
        &recipe_file,
        existing.as_deref(),
        &composed.lock(recipe_dir),
        mode,
    )?;
    Ok(Pending { path, verdict })
}

/// A lock file checked, waiting to be written once the agent is.
pub struct Pending {
    path: std::path::PathBuf,
    verdict: Verdict,
}

impl Pending {
    /// Writes the lock file if it changed, and says what changed.
    pub fn write(self, quiet: bool) -> miette::Result<()> {
        if let Some(text) = &self.verdict.write {
            write_atomically(&self.path, text.as_bytes())?;
        }
        self.tell(quiet);
        Ok(())
    }

    /// Says what changed, or would.
    pub fn tell(&self, quiet: bool) {
        if !quiet {
            for note in &self.verdict.notes {
                eprintln!("lock: {note}");
            }
        }
    }
}
