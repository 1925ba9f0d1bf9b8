//! One session's file: where it is, reading it, replacing it atomically.

use history_store::Message;
use history_store::record::Record;
use std::path::PathBuf;

/// Environment variable naming the history folder.
const DIR_ENV: &str = "ASTERBOT_HISTORY_DIR";

/// Where history lives when `ASTERBOT_HISTORY_DIR` is not set.
const DEFAULT_DIR: &str = "/state/history";

/// Longest session name accepted.
const MAX_SESSION_NAME: usize = 64;

/// The file of one session.
pub struct SessionFile {
    path: PathBuf,
}

impl SessionFile {
    /// The file for `session`; refuses names that are not plain file names.
    pub fn open(session: &str) -> Result<SessionFile, String> {
        check_name(session)?;
        let dir = std::env::var(DIR_ENV).unwrap_or_else(|_| DEFAULT_DIR.to_string());
        Ok(SessionFile {
            path: PathBuf::from(dir).join(format!("{session}.json")),
        })
    }

    /// The stored messages; none if the session has no file yet.
    pub fn read(&self) -> Result<Vec<Message>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.problem("cannot read", e)),
        };
        let records: Vec<Record> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "history file `{}` is damaged ({e}); it was left as it is: move it away to start the session afresh",
                self.path.display()
            )
        })?;
        Ok(records.into_iter().map(Message::from).collect())
    }

    /// The folder of the file.
    pub fn folder(&self) -> &std::path::Path {
        self.path.parent().unwrap_or(&self.path)
    }

    /// Whether the runner granted a directory holding the folder: creating
    /// it fails with "not found" only when no granted directory contains it.
    pub fn folder_granted(&self) -> bool {
        match std::fs::create_dir_all(self.folder()) {
            Err(e) => e.kind() != std::io::ErrorKind::NotFound,
            Ok(()) => true,
        }
    }

    /// Replaces the file with `messages`: temporary file, then rename.
    pub fn write(&self, messages: &[Message]) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| self.problem("cannot create the folder of", e))?;
        }
        let records: Vec<Record> = messages.iter().map(Record::from).collect();
        let text = serde_json::to_string_pretty(&records).map_err(|e| e.to_string())?;
        let temporary = self.path.with_extension("json.partial");
        std::fs::write(&temporary, text).map_err(|e| self.problem("cannot write", e))?;
        std::fs::rename(&temporary, &self.path).map_err(|e| self.problem("cannot replace", e))
    }

    fn problem(&self, what: &str, error: std::io::Error) -> String {
        format!(
            "{what} history file `{}`: {error} (is its folder granted, e.g. `--dir ./state::/state`?)",
            self.path.display()
        )
    }
}

/// A session name is one plain file name: letters, digits, `-`, `_`, `.`,
/// not starting with `.`, at most 64 characters.
fn check_name(session: &str) -> Result<(), String> {
    let plain = session
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if session.is_empty() || session.len() > MAX_SESSION_NAME || !plain || session.starts_with('.')
    {
        return Err(format!(
            "invalid session name `{session}`: use 1 to {MAX_SESSION_NAME} letters, digits, `-`, `_` or `.`, not starting with `.`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn session_names_are_plain_file_names() {
        for good in ["default", "work-2026", "a.b_c"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../x",
            "/etc/passwd",
            ".hidden",
            "a/b",
            "a\\b",
            &"x".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
