//! `llm-openai` for real: its `wasi:http` client against a scripted
//! OpenAI-compatible server on 127.0.0.1, inside a composed agent.

mod common;

use common::http_peer::{Answer, Peer};
use common::providers::{agent_recipe, openai_call, openai_flags, openai_text};
use common::{compose_text, failure, reply, run, strs};
use serde_json::json;

fn agent(dir: &std::path::Path) -> std::path::PathBuf {
    compose_text(dir, "openai", &agent_recipe("llm-openai"))
}

#[test]
fn a_tool_call_round_trip_sends_the_documented_request_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![
        Answer::Json(
            200,
            openai_call("call_abc", "calculator", r#"{"expression":"6*7"}"#),
        ),
        Answer::Json(200, openai_text("The answer is 42.")),
    ]);
    let state = format!("{}::/state", dir.path().display());
    let mut flags = openai_flags(&peer);
    flags.extend(["--dir".to_string(), state]);
    let output = run(&agent(dir.path()), &strs(&flags), "what is 6 * 7?");
    assert_eq!(reply(&output), "The answer is 42.");

    let got = peer.received();
    assert_eq!(got.len(), 2, "{got:#?}");
    let first = &got[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(first.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    let body = first.json();
    assert_eq!(body["model"], "gpt-test");
    let tools = body["tools"].as_array().unwrap();
    let calculator = tools
        .iter()
        .find(|t| t["function"]["name"] == "calculator")
        .expect("the calculator is offered");
    assert_eq!(calculator["type"], "function");
    assert_eq!(calculator["function"]["parameters"]["type"], "object");
    assert!(tools.iter().any(|t| t["function"]["name"] == "clock"));
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last, json!({"role": "user", "content": "what is 6 * 7?"}));

    let messages = got[1].json()["messages"].as_array().unwrap().clone();
    let n = messages.len();
    assert_eq!(messages[n - 2]["role"], "assistant");
    assert_eq!(messages[n - 2]["tool_calls"][0]["id"], "call_abc");
    assert_eq!(
        messages[n - 2]["tool_calls"][0]["function"],
        json!({"name": "calculator", "arguments": "{\"expression\":\"6*7\"}"})
    );
    assert_eq!(
        messages[n - 1],
        json!({"role": "tool", "tool_call_id": "call_abc", "content": "42"})
    );

    // The turn, with its tool call and result, is in the history file.
    let history = std::fs::read_to_string(dir.path().join("history/default.json")).unwrap();
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 4, "{history:#}");
}

#[test]
fn a_429_is_retried_and_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![
        Answer::Raw(
            429,
            vec![("retry-after", "0"), ("content-type", "application/json")],
            r#"{"error":{"message":"Rate limit reached"}}"#.into(),
        ),
        Answer::Json(200, openai_text("Hello after a pause.")),
    ]);
    let output = run(&agent(dir.path()), &strs(&openai_flags(&peer)), "hello");
    assert_eq!(reply(&output), "Hello after a pause.");
    assert_eq!(peer.received().len(), 2);
}

#[test]
fn a_401_is_a_typed_auth_error_with_the_providers_words() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![Answer::Json(
        401,
        json!({"error": {"message": "Incorrect API key provided: sk-test", "type": "invalid_request_error"}}),
    )]);
    let output = run(&agent(dir.path()), &strs(&openai_flags(&peer)), "hello");
    let stderr = failure(&output);
    assert!(
        stderr.contains("the model rejected the credentials")
            && stderr.contains("401")
            && stderr.contains("Incorrect API key provided"),
        "{stderr}"
    );
    assert_eq!(peer.received().len(), 1, "a 401 is not retried");
}

#[test]
fn a_missing_key_is_reported_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(Vec::new());
    let flags = [
        "--allow-host".to_string(),
        "127.0.0.1".to_string(),
        "--env".to_string(),
        "ASTERBOT_MODEL=openai/gpt-test".to_string(),
    ];
    let output = run(&agent(dir.path()), &strs(&flags), "hello");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("set OPENAI_API_KEY and grant it with `--env OPENAI_API_KEY`"),
        "{stderr}"
    );
    assert!(peer.received().is_empty());
}

#[test]
fn a_host_that_is_not_granted_is_denied_without_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(Vec::new());
    let flags: Vec<String> = openai_flags(&peer).into_iter().skip(2).collect();
    let output = run(&agent(dir.path()), &strs(&flags), "hello");
    let stderr = failure(&output);
    assert!(stderr.contains("--allow-host 127.0.0.1"), "{stderr}");
    assert!(peer.received().is_empty());
}

/// A provider's 401 that echoes the key: the turn's own error shows it
/// (the probe), but the trace the tracer exports does not, whether the
/// recipe keeps error text out of spans (the default) or lets it in.
#[test]
fn a_key_a_401_echoes_stays_out_of_the_trace() {
    const KEY: &str = "sk-proj-Secret0123456789";
    // A secret the provider does not know to hide (another key of the
    // account, say): only the tracer's redaction keeps it out of spans.
    const OTHER: &str = "sk-proj-Other98765432100";
    let dir = tempfile::tempdir().unwrap();
    let answer = || {
        Answer::Json(
            401,
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}. Did you mean {OTHER}?"), "type": "invalid_request_error"}}),
        )
    };
    let traced = |name: &str, recipe: &str, flags: &[&str]| {
        let path = dir.path().join(format!("{name}.wac"));
        std::fs::write(&path, recipe).unwrap();
        let agent = dir.path().join(format!("{name}.wasm"));
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        let output = common::compose_with(&path, &agent, &flags);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let peer = Peer::start(vec![answer()]);
        let mut flags = openai_flags(&peer);
        for flag in &mut flags {
            if flag == "OPENAI_API_KEY=sk-test" {
                *flag = format!("OPENAI_API_KEY={KEY}");
            }
        }
        let stderr = failure(&run(&agent, &strs(&flags), "hello"));
        let spans: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("{\"resourceSpans\""))
            .collect();
        assert_eq!(spans.len(), 1, "{stderr}");
        // The provider hides its own key wherever the answer echoes it;
        // the other secret reaches the turn's error (the probe).
        assert!(!stderr.contains(KEY), "{stderr}");
        assert!(
            stderr.contains("Incorrect API key provided: [the API key]."),
            "{stderr}"
        );
        assert!(stderr.contains(OTHER), "{stderr}");
        spans[0].to_string()
    };

    // `compose --trace`: the error text is withheld.
    let spans = traced("withheld", &agent_recipe("llm-openai"), &["--trace"]);
    assert!(!spans.contains(KEY) && !spans.contains(OTHER), "{spans}");
    assert!(spans.contains("the error text is not exported"), "{spans}");

    // A tracer the recipe lets export error text: redacted.
    let recipe = agent_recipe("llm-openai").replace(
        "let core = new asterbot:core {",
        "/// @trace\n/// @allow-env ASTERBOT_TRACE_ERROR_TEXT\n/// @set ASTERBOT_TRACE_ERROR_TEXT=1\nlet tracer = new asterbot:tracer { ... };\nlet core = new asterbot:core {",
    );
    let spans = traced("redacted", &recipe, &[]);
    assert!(!spans.contains(KEY) && !spans.contains(OTHER), "{spans}");
    assert!(
        spans.contains("Incorrect API key provided: [the API key]. Did you mean [redacted]?"),
        "{spans}"
    );
}
