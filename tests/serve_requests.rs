//! What a chat completion request asks for beyond its last message, as
//! OpenAI's clients send it: the conversation in `messages[]` when the
//! client keeps it itself (no session), `max_tokens`, and `usage` in the
//! answer. The scripted model's `{said}` quotes every earlier user message
//! the model was given, so a reply says which history the turn had.

mod common;

use common::redis::Redis;
use common::serving::{Answer, Served, client, send};
use serde_json::{Value, json};
use std::path::Path;

/// `recount` answers with every earlier user message the model was given.
const SCRIPT: &str = r#"{"rules":[
 {"match":"^recount","reply":"{said}"},
 {"match":"^story","reply":"once upon a time there was a small agent that answered every question it was asked"},
 {"reply":"ok"}
]}"#;

/// The shipped serving agent on `store`, with [`SCRIPT`].
fn serve(dir: &Path, store: &str) -> Served {
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(scripts.join("turns.json"), SCRIPT).unwrap();
    let scripts = format!("{}::/scripts", scripts.display());
    Served::asterbot(
        common::serving::serve_agent(),
        &[
            "--keyvalue",
            store,
            "--dir",
            &scripts,
            "--env",
            "ASTERBOT_SCRIPT=/scripts/turns.json",
        ],
    )
}

/// A chat request with `body`, in `session` if one is named.
fn ask(url: &str, session: Option<&str>, body: &Value) -> Answer {
    let headers: Vec<(&str, &str)> = session
        .map(|session| ("x-asterbot-session", session))
        .into_iter()
        .collect();
    send(
        &client(),
        "POST",
        &format!("{url}/v1/chat/completions"),
        &headers,
        Some(body.to_string().as_bytes()),
    )
    .expect("the server answers")
}

#[test]
fn without_a_session_the_messages_sent_are_the_history_and_are_not_stored() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path(), &redis.url());
    let url = &served.url;
    let conversation = json!({"messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "hello Ada"},
        {"role": "user", "content": [{"type": "text", "text": "I like tea"}]},
        {"role": "assistant", "content": "noted"},
        {"role": "user", "content": "recount"},
    ]});
    let kept = ask(url, None, &conversation);
    assert_eq!(kept.reply(), "my name is Ada\nI like tea");
    assert_eq!(kept.session, None, "no session is named: nothing is stored");
    assert_eq!(kept.json()["asterbot"]["session"], Value::Null);
    assert_eq!(
        redis.cli(&["KEYS", "history/*"]),
        "",
        "no history is stored"
    );
    // Streamed the same.
    let mut streamed = conversation.clone();
    streamed["stream"] = json!(true);
    let events = ask(url, None, &streamed);
    assert!(
        events.body.contains("my name is Ada\\nI like tea"),
        "{}",
        events.body
    );
    // The control: a request naming a session has the session's stored
    // history, not the messages it sends.
    let named = ask(url, Some("named"), &conversation);
    assert_eq!(named.reply(), "");
    assert_eq!(named.session.as_deref(), Some("named"));
    assert_ne!(redis.cli(&["KEYS", "history/*"]), "");
    // A tool message cannot be history: the agent runs its tools itself.
    let tool = json!({"messages": [
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
        {"role": "user", "content": "recount"},
    ]});
    let refused = ask(url, None, &tool);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "invalid_messages");
}
