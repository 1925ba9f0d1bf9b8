//! Middleware on the tool chain: `approval` refuses tools that are not on
//! its allow list, `audit-log` records every call that passes it; tools
//! above them in the chain are neither gated nor logged.

mod common;

use common::{compose_text, reply, run};

/// clock (free) → audit-log → approval → calculator (gated and audited).
const GATED: &str = r#"package test:gated;
let llm = new asterbot:llm-script { ... };
let end = new asterbot:tools-end { ... };
let calculator = new asterbot:calculator { tools: end.tools, ... };
/// @allow-env ASTERBOT_APPROVED_TOOLS
let gate = new asterbot:approval { tools: calculator.tools, ... };
/// @allow-env ASTERBOT_AUDIT_LOG
/// @allow-dir /state/audit
let audit = new asterbot:audit-log { tools: gate.tools, ... };
let clock = new asterbot:clock { tools: audit.tools, ... };
let context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: clock.tools, context: context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

#[test]
fn unapproved_tools_are_refused_and_every_passing_call_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "gated", GATED);
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let grant = format!("{}::/state", state.display());

    let refused = reply(&run(&agent, &["--dir", &grant], "what is 6 * 7?"));
    assert_eq!(
        refused,
        "I could not use that tool: tool `calculator` needs approval and was not run: the user can approve it by adding `calculator` to ASTERBOT_APPROVED_TOOLS (comma-separated)"
    );
    let approved = [
        "--dir",
        &grant,
        "--env",
        "ASTERBOT_APPROVED_TOOLS=clock,calculator",
    ];
    assert_eq!(
        reply(&run(&agent, &approved, "what is 6 * 7?")),
        "The answer is 42."
    );
    // The clock sits above the gate and the log.
    assert!(reply(&run(&agent, &["--dir", &grant], "what time is it?")).starts_with("It is "));

    let log = std::fs::read_to_string(state.join("audit/log.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "{log}");
    assert_eq!(entries[0]["tool"], "calculator");
    assert_eq!(entries[0]["outcome"], "error");
    assert_eq!(entries[0]["arguments"], r#"{"expression":"6 * 7"}"#);
    assert_eq!(entries[1]["outcome"], "ok");
    assert_eq!(entries[1]["result"], "42");
    assert!(entries[1]["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn without_a_writable_log_the_audited_call_is_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "gated", GATED);
    let answer = reply(&run(
        &agent,
        &["--env", "ASTERBOT_APPROVED_TOOLS=*"],
        "what is 6 * 7?",
    ));
    assert!(
        answer.starts_with(
            "I could not use that tool: cannot write the audit log `/state/audit/log.jsonl`"
        ),
        "{answer}"
    );
    assert!(answer.contains("the call was not run"), "{answer}");
}
