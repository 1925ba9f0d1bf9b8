//! Bad input from a model provider: garbage, silence, failures, unknown
//! tools and malformed arguments. Every turn completes with a clear
//! message and the history on disk stays valid.

mod common;

use common::http_peer::{Answer, Peer};
use common::providers::{agent_recipe, openai_call, openai_flags, openai_text};
use common::{compose_text, failure, reply, run, strs};
use serde_json::Value;
use std::path::Path;

/// Runner flags for `peer` with the state folder `dir` and `extra` env.
fn flags(peer: &Peer, dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut flags = openai_flags(peer);
    flags.extend(["--dir".to_string(), format!("{}::/state", dir.display())]);
    for var in extra {
        flags.extend(["--env".to_string(), var.to_string()]);
    }
    flags
}

fn history(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("history/default.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .expect("the history file is valid JSON")
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn garbage_from_the_provider_ends_the_turn_clearly_and_the_history_continues() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "agent", &agent_recipe("llm-openai"));
    let peer = Peer::start(vec![Answer::Raw(
        200,
        vec![],
        "<html>502 Bad Gateway</html>".into(),
    )]);
    let output = run(&agent, &strs(&flags(&peer, dir.path(), &[])), "hello");
    let stderr = failure(&output);
    assert!(
        stderr.contains("the model's answer was not understood")
            && stderr.contains("502 Bad Gateway"),
        "{stderr}"
    );
    let saved = history(dir.path());
    assert_eq!(
        saved.len(),
        2,
        "the user's words and an explicit non-answer: {saved:#?}"
    );
    assert_eq!(saved[0]["content"], "hello");
    assert!(
        saved[1]["content"]
            .as_str()
            .unwrap()
            .starts_with("(no answer:")
    );

    let peer = Peer::start(vec![Answer::Json(200, openai_text("Hello again."))]);
    let output = run(
        &agent,
        &strs(&flags(&peer, dir.path(), &[])),
        "are you back?",
    );
    assert_eq!(reply(&output), "Hello again.");
    let sent = peer.received()[0].json()["messages"].clone();
    let contents: Vec<&str> = sent
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        contents.contains(&"hello") && contents.contains(&"are you back?"),
        "{contents:?}"
    );
    assert_eq!(history(dir.path()).len(), 4);
}

#[test]
fn a_provider_that_never_answers_times_out_and_the_history_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "agent", &agent_recipe("llm-openai"));
    let peer = Peer::start(vec![Answer::Hang]);
    let extra = ["ASTERBOT_LLM_TIMEOUT=1s", "ASTERBOT_LLM_RETRIES=0"];
    let output = run(&agent, &strs(&flags(&peer, dir.path(), &extra)), "hello");
    let stderr = failure(&output);
    assert!(
        stderr.contains("the model is unavailable") && stderr.contains("did not answer in time"),
        "{stderr}"
    );
    assert_eq!(history(dir.path()).len(), 2);
}

#[test]
fn unknown_tools_and_malformed_arguments_go_back_to_the_model_as_tool_errors() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "agent", &agent_recipe("llm-openai"));
    let peer = Peer::start(vec![
        Answer::Json(200, openai_call("c1", "teleport", r#"{"to":"Mars"}"#)),
        Answer::Json(200, openai_call("c2", "calculator", "{not json")),
        Answer::Json(200, openai_text("Sorry, I could not do that.")),
    ]);
    let output = run(&agent, &strs(&flags(&peer, dir.path(), &[])), "go to Mars");
    assert_eq!(reply(&output), "Sorry, I could not do that.");
    let got = peer.received();
    let last_message = |i: usize| {
        got[i].json()["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone()
    };
    let unknown = last_message(1);
    assert_eq!(unknown["tool_call_id"], "c1");
    assert!(
        unknown["content"].as_str().unwrap().contains("teleport"),
        "{unknown}"
    );
    let malformed = last_message(2);
    assert_eq!(malformed["tool_call_id"], "c2");
    assert!(
        malformed["content"]
            .as_str()
            .unwrap()
            .contains("invalid arguments for tool `calculator`"),
        "{malformed}"
    );
    let saved = history(dir.path());
    assert_eq!(saved.len(), 6, "user, two calls with their results, answer");
}

/// A recipe whose model is OpenAI's, falling back to the scripted one.
fn fallback_recipe() -> String {
    agent_recipe("llm-openai").replace(
        "let model = new asterbot:llm-openai { ... };",
        "let openai = new asterbot:llm-openai { ... };\nlet offline = new asterbot:llm-script { ... };\n/// @allow-env ASTERBOT_FALLBACK\nlet model = new asterbot:llm-fallback { llm: openai.llm, fallback: offline.llm, ... };",
    )
}

/// "what is 6 * 7?" to the fallback recipe while OpenAI answers 503, with
/// `extra` variables granted.
fn ask_with_openai_down(extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "fallback", &fallback_recipe());
    let peer = Peer::start(vec![Answer::Raw(
        503,
        vec![],
        "down for maintenance".into(),
    )]);
    let mut variables = vec!["ASTERBOT_LLM_RETRIES=0"];
    variables.extend_from_slice(extra);
    run(
        &agent,
        &strs(&flags(&peer, dir.path(), &variables)),
        "what is 6 * 7?",
    )
}

#[test]
fn the_fallback_model_answers_when_the_first_one_fails_and_says_so() {
    let output = ask_with_openai_down(&[]);
    // The answer says, where the person reads it, that the fallback gave it.
    let answer = reply(&output);
    let (note, text) = answer.split_once('\n').unwrap_or(("", &answer));
    assert_eq!(text, "The answer is 42.", "{answer}");
    assert!(
        note.starts_with("[answered by the fallback model: the first model failed:"),
        "{answer}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the first model failed") && stderr.contains("down for maintenance"),
        "{stderr}"
    );
}

#[test]
fn with_fallback_set_to_error_the_first_models_failure_is_the_answer() {
    let output = ask_with_openai_down(&["ASTERBOT_FALLBACK=error"]);
    let stderr = failure(&output);
    assert!(stderr.contains("down for maintenance"), "{stderr}");
    assert!(stderr.contains("ASTERBOT_FALLBACK=error"), "{stderr}");
    // Control: the scripted model was not asked (it would answer 42).
    assert!(!String::from_utf8_lossy(&output.stdout).contains("42"));
}
