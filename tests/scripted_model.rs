//! The agent loop driven by custom scripts, handed to `llm-script` through
//! the runner's grants (`--dir` for the file, `--env` for its name).

mod common;

use common::{offline_agent, reply, run};
use std::path::Path;

/// Writes `script` into a fresh folder and returns the runner flags that
/// grant it to the agent.
fn grant_script(dir: &Path, script: &str) -> Vec<String> {
    std::fs::write(dir.join("script.json"), script).unwrap();
    vec![
        "--dir".into(),
        format!("{}::/scripts", dir.display()),
        "--env".into(),
        "ASTERBOT_SCRIPT=/scripts/script.json".into(),
    ]
}

fn run_with_script(script: &str, message: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let flags = grant_script(dir.path(), script);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    run(offline_agent(), &flags, message)
}

#[test]
fn a_model_that_never_stops_calling_tools_is_cut_off_after_bounded_rounds() {
    let script = r#"{"rules":[
        {"on":"tool","call":[{"tool":"clock"}]},
        {"call":[{"tool":"clock"}]}
    ]}"#;
    let answer = reply(&run_with_script(script, "loop"));
    assert_eq!(
        answer,
        "I stopped after 8 rounds of tool calls without a final answer."
    );
}

#[test]
fn a_call_to_an_unknown_tool_becomes_an_error_the_model_sees() {
    let script = r#"{"rules":[
        {"on":"tool","match":"^error: (.*)","reply":"tool failed: {1}"},
        {"call":[{"tool":"weather","arguments":{"city":"Oslo"}}]}
    ]}"#;
    let answer = reply(&run_with_script(script, "weather?"));
    assert!(
        answer.starts_with("tool failed: unknown tool `weather`"),
        "{answer}"
    );
}

#[test]
fn malformed_arguments_are_reported_to_the_model() {
    let script = r#"{"rules":[
        {"on":"tool","reply":"{result}"},
        {"call":[{"tool":"calculator","arguments":{"expr":"1+1"}}]}
    ]}"#;
    let answer = reply(&run_with_script(script, "x"));
    assert!(
        answer.starts_with("error: invalid arguments for tool `calculator`"),
        "{answer}"
    );
    assert!(answer.contains("missing field `expression`"), "{answer}");
}

#[test]
fn several_tool_calls_in_one_reply_all_run() {
    let script = r#"{"rules":[
        {"on":"tool","tool":"calculator","reply":"last result: {result}"},
        {"call":[{"tool":"clock"},{"tool":"calculator","arguments":{"expression":"2*21"}}]}
    ]}"#;
    assert_eq!(reply(&run_with_script(script, "both")), "last result: 42");
}

#[test]
fn a_bad_script_fails_the_turn_with_a_message_naming_the_rule() {
    let output = run_with_script(
        r#"{"rules":[{"reply":"a"},{"match":"(","reply":"b"}]}"#,
        "hi",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/scripts/script.json: rule 2: bad `match` pattern"),
        "{stderr}"
    );
}

#[test]
fn without_a_directory_grant_the_script_cannot_be_read() {
    let output = run(
        offline_agent(),
        &["--env", "ASTERBOT_SCRIPT=/scripts/script.json"],
        "hi",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read script `/scripts/script.json`"),
        "{stderr}"
    );
}

#[test]
fn the_default_script_answers_a_bare_number_and_who_it_is() {
    // A captured `7` goes to the calculator as the text its schema asks
    // for, not as a JSON number it would refuse.
    assert_eq!(
        reply(&run(offline_agent(), &[], "what is 7?")),
        "The answer is 7."
    );
    // The persona is said as the agent's own words.
    assert!(reply(&run(offline_agent(), &[], "who are you?")).starts_with("I am asterbot"));
}
