//! `history-file`: the conversation survives across process runs, in a
//! granted folder, one file per session, never overwritten when damaged.

mod common;

use common::{offline_agent, reply, run, run_stdin};
use std::path::Path;

fn grant(state: &Path) -> Vec<String> {
    vec!["--dir".into(), format!("{}::/state", state.display())]
}

fn run_in(agent: &Path, state: &Path, extra: &[&str], message: &str) -> std::process::Output {
    let mut flags = grant(state);
    flags.extend(extra.iter().map(|s| s.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    run(agent, &flags, message)
}

fn stored(state: &Path, session: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(state.join(format!("history/{session}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn turns_of_separate_runs_land_in_one_history_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent().to_path_buf();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();

    assert_eq!(
        reply(&run_in(&agent, &state, &[], "what is 6 * 7?")),
        "The answer is 42."
    );
    assert!(reply(&run_in(&agent, &state, &[], "what time is it?")).starts_with("It is "));
    reply(&run_in(
        &agent,
        &state,
        &["--env", "ASTERBOT_SESSION=other"],
        "hello",
    ));

    let history = stored(&state, "default");
    let roles: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "user",
            "assistant",
            "tool",
            "assistant",
            "user",
            "assistant",
            "tool",
            "assistant"
        ]
    );
    assert_eq!(history[0]["content"], "what is 6 * 7?");
    assert_eq!(history[4]["content"], "what time is it?");
    // The tool result answers the call before it.
    assert_eq!(history[1]["tool-calls"][0]["name"], "calculator");
    assert_eq!(
        history[2]["tool-call-id"],
        history[1]["tool-calls"][0]["id"]
    );
    assert_eq!(history[2]["content"], "42");

    let other = stored(&state, "other");
    assert_eq!(other.as_array().unwrap().len(), 2, "{other}");
    assert!(!state.join("history/default.json.partial").exists());
}

#[test]
fn a_damaged_history_file_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent().to_path_buf();
    let state = dir.path().join("state");
    std::fs::create_dir_all(state.join("history")).unwrap();
    let file = state.join("history/default.json");
    std::fs::write(&file, "[{\"role\": \"user\", \"content\": \"half a wri").unwrap();

    let output = run_in(&agent, &state, &[], "hello");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("history file `/state/history/default.json` is damaged"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[{\"role\": \"user\", \"content\": \"half a wri"
    );
}

#[test]
fn session_names_cannot_leave_the_history_folder() {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent().to_path_buf();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let output = run_in(
        &agent,
        &state,
        &["--env", "ASTERBOT_SESSION=../escape"],
        "hello",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid session name `../escape`"));
    assert!(!state.join("escape.json").exists());
}

#[test]
fn without_a_granted_folder_the_run_keeps_its_history_and_says_which_grant_is_missing() {
    let output = run_stdin(offline_agent(), &[], "what is 6 * 7?\nwhat is 2 + 2?\n");
    assert_eq!(reply(&output), "The answer is 42.\nThe answer is 4.");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("history is kept for this run only")
            && stderr.contains("--dir ./state::/state"),
        "{stderr}"
    );
    // Warned once: the second turn found the first one kept in the process.
    assert_eq!(stderr.matches("history is kept").count(), 1, "{stderr}");
}

#[test]
fn a_folder_granted_read_only_is_reported_not_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("history")).unwrap();
    let grant = format!("{}::/state:ro", dir.path().display());
    let output = run(offline_agent(), &["--dir", &grant], "what is 6 * 7?");
    // The answer is still given...
    assert_eq!(reply(&output), "The answer is 42.");
    // ...with a warning that it was not stored, and no silent fallback.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("history not saved"), "{stderr}");
    assert!(!stderr.contains("kept for this run only"), "{stderr}");
}

#[test]
fn past_the_budget_older_turns_become_a_summary_and_recent_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent().to_path_buf();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let small = [
        "--env",
        "ASTERBOT_HISTORY_BUDGET=20",
        "--env",
        "ASTERBOT_HISTORY_KEEP_TURNS=1",
    ];

    assert_eq!(
        reply(&run_in(&agent, &state, &small, "what is 6 * 7?")),
        "The answer is 42."
    );
    assert_eq!(
        stored(&state, "default").as_array().unwrap().len(),
        4,
        "one turn fits the budget"
    );

    assert_eq!(
        reply(&run_in(&agent, &state, &small, "what is 2 + 2?")),
        "The answer is 4."
    );
    let history = stored(&state, "default");
    let messages = history.as_array().unwrap();
    assert_eq!(messages.len(), 5, "{history:#}");
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[0]["content"],
        "Summary of the earlier conversation: The conversation began with the question \"what is 6 * 7?\"."
    );
    // The kept turn is whole: the question, the call, its result, the answer.
    assert_eq!(messages[1]["content"], "what is 2 + 2?");
    assert_eq!(
        messages[3]["tool-call-id"],
        messages[2]["tool-calls"][0]["id"]
    );
    assert_eq!(messages[4]["content"], "The answer is 4.");
}
