//! A client or load balancer that retries a chat request with the same
//! `Idempotency-Key` gets the first answer back, and the turn is stored
//! once: the scripted model's `{said}` quotes every earlier user message
//! of the session, so `recount` says how often a turn was stored. Retries
//! sent at the same moment run one turn too. The control sends the same
//! retried request without the key: the turn is stored twice.

mod common;

use common::serving::{Answer, Served, chat, client, send};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `recount` answers with every earlier message of the session.
const SCRIPT: &str = r#"{"rules":[
 {"match":"^recount","reply":"{said}"},
 {"reply":"ok"}
]}"#;

fn agent(dir: &Path) -> PathBuf {
    let agent = dir.join("serve.wasm");
    common::compose(&common::serving::serve_recipe(dir, None), &agent);
    agent
}

fn serve(dir: &Path) -> Served {
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(scripts.join("turns.json"), SCRIPT).unwrap();
    let scripts = format!("{}::/scripts", scripts.display());
    Served::asterbot(
        &agent(dir),
        &[
            "--keyvalue",
            "memory",
            "--dir",
            &scripts,
            "--env",
            "ASTERBOT_SCRIPT=/scripts/turns.json",
        ],
    )
}

/// One chat request saying `text` in `session`, with `key` as its
/// `Idempotency-Key` if given.
fn ask(url: &str, session: &str, text: &str, key: Option<&str>) -> Answer {
    let body = json!({"model": "asterbot", "messages": [{"role": "user", "content": text}]});
    let mut headers = vec![("x-asterbot-session", session)];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    common::serving::post_chat(url, &headers, &body)
}

/// How often `text` is stored in `session`.
fn stored(url: &str, session: &str, text: &str) -> usize {
    let said = chat(&client(), url, session, "recount").reply();
    said.lines().filter(|line| *line == text).count()
}

#[test]
fn a_retried_request_with_an_idempotency_key_runs_its_turn_once() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path());
    let url = &served.url;

    let first = ask(url, "retried", "pay the invoice", Some("retry-1"));
    let again = ask(url, "retried", "pay the invoice", Some("retry-1"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        first.json()["id"],
        again.json()["id"],
        "the retry is answered with the first answer"
    );
    assert_eq!(again.session.as_deref(), Some("retried"));
    assert_eq!(stored(url, "retried", "pay the invoice"), 1);

    // The same key for another request is refused, not replayed.
    let other = ask(url, "retried", "pay it twice", Some("retry-1"));
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.json()["error"]["code"], "idempotency_key_reused");

    // Retries arriving at the same moment run one turn.
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || ask(&url, "racing", "book the room", Some("race-1")))
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 200, "{}", a.body);
            a.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry got the one answer: {ids:?}");
    assert_eq!(stored(url, "racing", "book the room"), 1);

    // A streamed request is replayed as the same stream.
    let body = json!({"stream": true, "messages": [{"role": "user", "content": "stream it"}]});
    let streamed = |key| {
        send(
            &client(),
            "POST",
            &format!("{url}/v1/chat/completions"),
            &[("x-asterbot-session", "streamed"), ("idempotency-key", key)],
            Some(body.to_string().as_bytes()),
        )
        .unwrap()
    };
    let (one, two) = (streamed("stream-1"), streamed("stream-1"));
    assert!(one.body.ends_with("data: [DONE]\n\n"), "{}", one.body);
    assert_eq!(one.body, two.body);
    assert_eq!(stored(url, "streamed", "stream it"), 1);

    // Keys are the principal's own: another key's same idempotency key
    // is a request of its own (and is refused here only for its key).
    let bad = ask(url, "retried", "x", Some("has space"));
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn the_control_the_same_retry_without_a_key_stores_the_turn_twice() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path());
    let url = &served.url;
    let first = ask(url, "retried", "pay the invoice", None);
    let again = ask(url, "retried", "pay the invoice", None);
    assert_eq!((first.status, again.status), (200, 200));
    assert_ne!(first.json()["id"], again.json()["id"]);
    assert_eq!(stored(url, "retried", "pay the invoice"), 2);
}

/// The serving recipe with the `misbehave` fixture among its tools; the
/// script (rewritten by the test between requests) is `script.json`.
fn misbehaving(dir: &Path, script: &serde_json::Value) -> Served {
    let recipe = std::fs::read_to_string(common::repo().join("recipes/serve.wac"))
        .unwrap()
        .replace(
            "let dice = new asterbot:dice { ... };",
            "let dice = new asterbot:dice { ... };\nlet misbehave = new test:misbehave { ... };\nlet with-misbehave = new asterbot:tools-join { first: misbehave.tools, rest: dice.tools, ... };",
        )
        .replace(
            "first: dice.tools, rest: with-clock.tools",
            "first: with-misbehave.tools, rest: with-clock.tools",
        );
    let agent = common::compose_text(dir, "misbehaving", &recipe);
    let mut flags = common::script_flags(dir, &script.to_string());
    flags.extend(["--keyvalue", "memory", "--timeout", "4s"].map(String::from));
    Served::asterbot(&agent, &common::strs(&flags))
}

#[test]
fn a_key_whose_turn_died_is_taken_over_by_a_retry_after_the_turn_limit() {
    let dir = tempfile::tempdir().unwrap();
    let crash = json!({"rules": [
        {"match": "^recount", "reply": "{said}"},
        {"match": "^pay", "call": [{"tool": "misbehave", "arguments": {"how": "crash"}}]},
        {"reply": "ok"},
    ]});
    let served = misbehaving(dir.path(), &crash);
    let url = &served.url;
    let started = std::time::Instant::now();
    let died = ask(url, "died", "pay the invoice", Some("dies-1"));
    assert_eq!(died.status, 500, "the instance traps: {}", died.body);
    // The model is mended: the same request would now be answered.
    let mended = json!({"rules": [
        {"match": "^recount", "reply": "{said}"},
        {"match": "^pay", "reply": "paid"},
        {"reply": "ok"},
    ]});
    let script = dir.path().join("scripts/script.json");
    std::fs::write(&script, mended.to_string()).unwrap();
    // The control: within the turn limit (4 s) the key is still the dead
    // turn's, which might yet be running: the retry is told to come back.
    let early = ask(url, "died", "pay the invoice", Some("dies-1"));
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.json()["error"]["code"], "idempotency_key_in_use");
    // Past the turn limit (and the lease's margin of a second), a retry
    // takes the key over and runs the turn, once.
    std::thread::sleep(std::time::Duration::from_millis(5500).saturating_sub(started.elapsed()));
    let retried = ask(url, "died", "pay the invoice", Some("dies-1"));
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(retried.reply(), "paid");
    let again = ask(url, "died", "pay the invoice", Some("dies-1"));
    assert_eq!(again.json()["id"], retried.json()["id"], "then replayed");
    assert_eq!(stored(url, "died", "pay the invoice"), 1);
}
