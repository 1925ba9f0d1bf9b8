//! Middleware over the tools: the approval gate asks a person before the
//! tools its recipe names (and with nobody to ask, does not run them); the
//! audit log writes each call's intent before it runs and its outcome
//! after, names the link that called, and keeps its lines short. Tools
//! outside a middleware are neither gated nor logged.

mod common;

use common::{compose_text, reply, run};
use serde_json::Value;
use std::path::Path;

/// clock (outside) + audit-log → approval gate → calculator, dice,
/// misbehave; the gate asks before `calculator`.
const GATED: &str = r#"package test:gated;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script { ... };
let clock = new asterbot:clock { ... };
let calculator = new asterbot:calculator { ... };
let dice = new asterbot:dice { ... };
let misbehave = new test:misbehave { ... };
let some = new asterbot:tools-join { first: calculator.tools, rest: dice.tools, ... };
let tools = new asterbot:tools-join { first: misbehave.tools, rest: some.tools, ... };
/// @front-end
let ask = new asterbot:ask-terminal { ... };
/// @ask calculator
/// @allow-dir /state/audit
let gate = new asterbot:approval { tools: tools.tools, approval: ask.approval, ... };
/// @allow-dir /state/audit
let audit = new asterbot:audit-log { tools: gate.tools, ... };
let all = new asterbot:tools-join { first: clock.tools, rest: audit.tools, ... };
let context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: all.tools, context: context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

/// The audit journal's lines.
fn journal(state: &Path) -> Vec<Value> {
    std::fs::read_to_string(state.join("audit/log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn state_grant(dir: &Path) -> String {
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    format!("{}::/state", state.display())
}

#[test]
fn with_nobody_to_ask_a_gated_tool_is_not_run_and_every_passing_call_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "gated", GATED);
    let grant = state_grant(dir.path());
    let state = dir.path().join("state");

    let refused = reply(&run(&agent, &["--dir", &grant], "what is 6 * 7?"));
    assert_eq!(
        refused,
        "I could not use that tool: `calculator` needs a person's approval and nobody is at a terminal to give it, so it was not run"
    );
    assert!(reply(&run(&agent, &["--dir", &grant], "roll 2 dice")).starts_with("You rolled"));
    // The clock sits outside the gate and the log.
    assert!(reply(&run(&agent, &["--dir", &grant], "what time is it?")).starts_with("It is "));

    let entries = journal(&state);
    let events: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["tool"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("call", "calculator"),
            ("decision", "calculator"),
            ("result", "calculator"),
            ("call", "dice"),
            ("result", "dice"),
        ],
        "{entries:#?}"
    );
    // The intent names the link that logged and the one that called it.
    assert_eq!(entries[0]["link"], "audit");
    assert_eq!(entries[0]["caller"], "all");
    assert_eq!(entries[0]["arguments"], r#"{"expression":"6 * 7"}"#);
    assert_eq!(entries[1]["decision"], "nobody-to-ask");
    assert_eq!(entries[1]["link"], "gate");
    assert_eq!(entries[2]["outcome"], "error");
    assert_eq!(entries[2]["id"], entries[0]["id"]);
    assert_eq!(entries[4]["outcome"], "ok");
    assert!(entries[0]["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn the_recipe_can_pre_approve_a_tool_and_the_runtime_environment_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let grant = state_grant(dir.path());
    // The environment does not approve: the setting is baked.
    let agent = compose_text(dir.path(), "gated", GATED);
    let flags = [
        "--dir",
        &grant,
        "--env",
        "ASTERBOT_ASK=dice",
        "--env",
        "ASTERBOT_APPROVED_TOOLS=*",
    ];
    assert!(reply(&run(&agent, &flags, "what is 6 * 7?")).contains("needs a person's approval"));

    let recipe = GATED.replace(
        "/// @ask calculator\n",
        "/// @ask *\n/// @pre-approve calculator\n",
    );
    let agent = compose_text(dir.path(), "pre-approved", &recipe);
    assert_eq!(
        reply(&run(&agent, &["--dir", &grant], "what is 6 * 7?")),
        "The answer is 42."
    );
    assert!(
        reply(&run(&agent, &["--dir", &grant], "roll 2 dice"))
            .contains("needs a person's approval")
    );
}

#[test]
fn a_tool_that_traps_mid_call_still_leaves_its_intent_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "gated", GATED);
    let grant = state_grant(dir.path());
    let script = r#"{"rules":[{"match":"crash","call":[{"tool":"misbehave","arguments":{"how":"crash"}}]}]}"#;
    let mut flags = vec!["--dir".to_string(), grant];
    flags.extend(common::script_flags(dir.path(), script));
    let output = run(&agent, &common::strs(&flags), "crash");
    assert!(!output.status.success());
    let entries = journal(&dir.path().join("state"));
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0]["event"], "call");
    assert_eq!(entries[0]["tool"], "misbehave");
}

#[test]
fn without_a_writable_log_the_audited_call_is_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "gated", GATED);
    let answer = reply(&run(&agent, &[], "roll 2 dice"));
    assert!(
        answer.starts_with(
            "I could not use that tool: cannot write the audit log `/state/audit/log.jsonl`"
        ),
        "{answer}"
    );
    assert!(answer.contains("the call was not run"), "{answer}");
}
