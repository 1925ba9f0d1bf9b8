//! `audit-log`: every tool call that passes this link of the chain, and
//! its result or error, is appended as one JSON line to
//! `ASTERBOT_AUDIT_LOG` (default `/state/audit/log.jsonl`). Put it above the
//! tools to audit. The log is opened before the call is passed on: if it
//! cannot be, the call is refused and nothing runs unaudited.

use asterbot_sdk::Middleware;
use std::io::Write;
use std::time::SystemTime;

/// Environment variable naming the log file.
const LOG_ENV: &str = "ASTERBOT_AUDIT_LOG";

/// The log file when `ASTERBOT_AUDIT_LOG` is not set.
const DEFAULT_LOG: &str = "/state/audit/log.jsonl";

struct AuditLog;

impl Middleware for AuditLog {
    fn call(
        name: &str,
        arguments: &str,
        next: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<String, String> {
        let mut log = open()?;
        let started = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let result = next(name, arguments);
        let (outcome, text) = match &result {
            Ok(output) => ("ok", output),
            Err(error) => ("error", error),
        };
        let line = serde_json::json!({
            "time": started,
            "tool": name,
            "arguments": arguments,
            "outcome": outcome,
            "result": text,
        });
        writeln!(log, "{line}").map_err(|e| problem(&e))?;
        result
    }
}

fn path() -> String {
    std::env::var(LOG_ENV).unwrap_or_else(|_| DEFAULT_LOG.to_string())
}

/// The log, opened for appending (created if needed).
fn open() -> Result<std::fs::File, String> {
    if let Some(folder) = std::path::Path::new(&path()).parent() {
        // Its own folder, which a recipe can grant alone (`/state/audit`).
        let _ = std::fs::create_dir_all(folder);
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path())
        .map_err(|e| problem(&e))
}

fn problem(error: &std::io::Error) -> String {
    format!(
        "cannot write the audit log `{}` ({error}); the call was not run; grant the log's folder with `--dir ./state::/state`",
        path()
    )
}

asterbot_sdk::export_middleware!(AuditLog);
