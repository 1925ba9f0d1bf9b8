//! `audit-log`: a middleware that records every call to the tools it
//! wraps in the audit journal (`ASTERBOT_AUDIT_LOG`, default
//! `/state/audit/log.jsonl`): the intent (tool, arguments, and which
//! instance called) before the call runs, the outcome after. A tool that
//! traps still leaves its intent. If the journal cannot be written, the
//! call is not run: nothing runs unaudited.

use asterbot_sdk::Middleware;
use journal::Journal;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the calls of this instance, to pair intent and outcome.
static CALLS: AtomicU64 = AtomicU64::new(0);

struct AuditLog;

impl Middleware for AuditLog {
    fn call(
        name: &str,
        arguments: &str,
        next: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<String, String> {
        let mut journal = Journal::open()?;
        let id = format!(
            "{}-{}",
            journal::instance(),
            CALLS.fetch_add(1, Ordering::Relaxed)
        );
        journal.write(&[
            ("event", "call"),
            ("id", &id),
            ("link", &journal::instance()),
            ("caller", &journal::callers()),
            ("produced-by", &journal::produced_by()),
            ("tool", name),
            ("arguments", arguments),
        ])?;
        let result = next(name, arguments);
        let (outcome, text) = match &result {
            Ok(output) => ("ok", output),
            Err(error) => ("error", error),
        };
        journal.write(&[
            ("event", "result"),
            ("id", &id),
            ("tool", name),
            ("outcome", outcome),
            ("result", text),
        ])?;
        result
    }
}

asterbot_sdk::export_middleware!(AuditLog);
