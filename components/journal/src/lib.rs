//! The audit journal: one JSON line per event, appended to
//! `ASTERBOT_AUDIT_LOG` (default `/state/audit/log.jsonl`; `-` for
//! standard error). The audit log
//! writes a call's intent before it runs and its outcome after; the
//! approval gate writes each decision. Every line is at most
//! [`MAX_ENTRY_BYTES`]: long fields are cut, with a marker.
//!
//! Who writes is baked into the artifact by the composer: a middleware
//! sees its own recipe name in `ASTERBOT_INSTANCE` and the instances that
//! call it in `ASTERBOT_CALLERS`.

use asterbot_sdk::text::truncate_utf8;
use serde_json::{Map, Value};
use std::io::Write;
use std::time::SystemTime;

/// Environment variable naming the log file.
pub const LOG_ENV: &str = "ASTERBOT_AUDIT_LOG";

/// The log file when `ASTERBOT_AUDIT_LOG` is not set.
pub const DEFAULT_LOG: &str = "/state/audit/log.jsonl";

/// Longest line written, in bytes.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;

/// The journal, open for appending.
pub struct Journal {
    file: Sink,
    path: String,
}

/// Where the lines go: a file, or standard error (`ASTERBOT_AUDIT_LOG=-`,
/// for a served agent whose logs the platform collects).
enum Sink {
    File(std::fs::File),
    Stderr,
}

/// The recipe name of this instance, as the composer baked it.
pub fn instance() -> String {
    std::env::var("ASTERBOT_INSTANCE").unwrap_or_else(|_| "unknown".to_string())
}

/// The instances wired to call this one, as the composer baked them.
pub fn callers() -> String {
    std::env::var("ASTERBOT_CALLERS").unwrap_or_else(|_| "unknown".to_string())
}

/// Who can have produced the calls this instance sees, as the composer
/// baked it: each caller at the top of the tools edges and, for an agent
/// loop, the instances on its model edge whose replies can carry calls.
pub fn produced_by() -> String {
    std::env::var("ASTERBOT_PRODUCERS").unwrap_or_else(|_| "unknown".to_string())
}

impl Journal {
    /// Opens the journal (creating its folder and file if needed); the
    /// error says which file and how to grant it.
    pub fn open() -> Result<Journal, String> {
        let path = std::env::var(LOG_ENV).unwrap_or_else(|_| DEFAULT_LOG.to_string());
        if path == "-" {
            return Ok(Journal {
                file: Sink::Stderr,
                path,
            });
        }
        if let Some(folder) = std::path::Path::new(&path).parent() {
            // Its own folder, which a recipe can grant alone (`/state/audit`).
            let _ = std::fs::create_dir_all(folder);
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| problem(&path, &e))?;
        Ok(Journal {
            file: Sink::File(file),
            path,
        })
    }

    /// Appends `fields` as one line, with the time first; the write is on
    /// disk when this returns.
    pub fn write(&mut self, fields: &[(&str, &str)]) -> Result<(), String> {
        let line = entry(&now(), fields);
        match &mut self.file {
            Sink::File(file) => file.write_all(line.as_bytes()),
            Sink::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
        }
        .map_err(|e| problem(&self.path, &e))
    }
}

/// The current time, RFC 3339 with milliseconds.
fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// One line: the fields as a JSON object, each field cut until the whole
/// line fits in [`MAX_ENTRY_BYTES`].
fn entry(time: &str, fields: &[(&str, &str)]) -> String {
    let mut cap = MAX_ENTRY_BYTES;
    loop {
        let mut object = Map::new();
        object.insert("time".to_string(), Value::from(time));
        for (name, value) in fields {
            object.insert(name.to_string(), Value::from(truncate_utf8(value, cap)));
        }
        let mut line = Value::Object(object).to_string();
        if line.len() < MAX_ENTRY_BYTES || cap < 64 {
            line.push('\n');
            return line;
        }
        cap /= 2;
    }
}

fn problem(path: &str, error: &std::io::Error) -> String {
    format!(
        "cannot write the audit log `{path}` ({error}); the call was not run; grant the log's folder with `--dir ./state::/state`"
    )
}

#[cfg(test)]
mod tests {
    use super::{MAX_ENTRY_BYTES, entry};

    #[test]
    fn short_entries_are_whole() {
        let line = entry("t", &[("tool", "clock"), ("arguments", "{}")]);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"time": "t", "tool": "clock", "arguments": "{}"})
        );
        assert!(line.ends_with("}\n"));
    }

    #[test]
    fn every_line_fits_the_cap_and_says_what_was_cut() {
        let huge = "x".repeat(10 << 20);
        let escaped = "\u{1}".repeat(200_000);
        for value in [huge.as_str(), escaped.as_str()] {
            let line = entry(
                "t",
                &[("tool", "big"), ("result", value), ("arguments", value)],
            );
            assert!(line.len() <= MAX_ENTRY_BYTES, "{}", line.len());
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert!(parsed["result"].as_str().unwrap().contains("[truncated: "));
        }
    }
}
