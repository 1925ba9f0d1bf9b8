//! `llm-anthropic` for real: its `wasi:http` client against a scripted
//! Messages API server on 127.0.0.1, inside a composed agent.

mod common;

use common::http_peer::{Answer, Peer};
use common::providers::{agent_recipe, anthropic_call, anthropic_flags, anthropic_text};
use common::{compose_text, failure, reply, run, strs};
use serde_json::json;

fn agent(dir: &std::path::Path) -> std::path::PathBuf {
    compose_text(dir, "anthropic", &agent_recipe("llm-anthropic"))
}

#[test]
fn a_tool_use_round_trip_sends_the_documented_request_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![
        Answer::Json(
            200,
            anthropic_call("toolu_1", "calculator", json!({"expression": "6*7"})),
        ),
        Answer::Json(200, anthropic_text("The answer is 42.")),
    ]);
    let output = run(
        &agent(dir.path()),
        &strs(&anthropic_flags(&peer)),
        "what is 6 * 7?",
    );
    assert_eq!(reply(&output), "The answer is 42.");

    let got = peer.received();
    assert_eq!(got.len(), 2, "{got:#?}");
    let first = &got[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(first.header("x-api-key"), Some("ak-test"));
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(first.header("authorization"), None);
    let body = first.json();
    assert_eq!(body["model"], "claude-test");
    assert!(body["max_tokens"].as_u64().unwrap() > 0);
    assert!(
        body["system"].is_string(),
        "the system prompt is top-level: {body:#}"
    );
    let calculator = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "calculator")
        .expect("the calculator is offered")
        .clone();
    assert_eq!(calculator["input_schema"]["type"], "object");
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "what is 6 * 7?"}]}])
    );

    let messages = got[1].json()["messages"].clone();
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "content": [
            {"type": "text", "text": "Let me work that out."},
            {"type": "tool_use", "id": "toolu_1", "name": "calculator", "input": {"expression": "6*7"}}]})
    );
    assert_eq!(
        messages[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}]})
    );
}

#[test]
fn an_overloaded_answer_is_retried_and_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![
        Answer::Raw(
            429,
            vec![("retry-after", "0")],
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#.into(),
        ),
        Answer::Raw(529, vec![("retry-after", "0")], "overloaded".into()),
        Answer::Json(200, anthropic_text("Hello at last.")),
    ]);
    let output = run(&agent(dir.path()), &strs(&anthropic_flags(&peer)), "hello");
    assert_eq!(reply(&output), "Hello at last.");
    assert_eq!(peer.received().len(), 3);
}

#[test]
fn a_401_is_a_typed_auth_error_with_the_providers_words() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![Answer::Json(
        401,
        json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
    )]);
    let output = run(&agent(dir.path()), &strs(&anthropic_flags(&peer)), "hello");
    let stderr = failure(&output);
    assert!(
        stderr.contains("the model rejected the credentials")
            && stderr.contains("invalid x-api-key"),
        "{stderr}"
    );
    assert_eq!(peer.received().len(), 1);
}
