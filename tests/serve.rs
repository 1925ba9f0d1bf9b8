//! The agent served over HTTP (`recipes/serve.wac` under `asterbot
//! serve`): the OpenAI-compatible endpoint, plain and streamed; history
//! per session in the key-value store; approvals over HTTP; OpenAI-shaped
//! errors for bad requests and faults, with the server serving on; and a
//! bounded load whose parallel sessions never see each other's turns.

mod common;

use common::serving::{APPROVER, KEY, Served, bearer, chat, client, decide, send, serve_agent};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The serving recipe with the `misbehave` fixture among its tools, and a
/// script that calls it: `crash`, `sleep` and `spin` do what they say.
fn misbehaving_agent(dir: &Path) -> (PathBuf, Vec<String>) {
    let recipe = std::fs::read_to_string(common::repo().join("recipes/serve.wac"))
        .unwrap()
        .replace(
            "let dice = new asterbot:dice { ... };",
            "let dice = new asterbot:dice { ... };\nlet misbehave = new test:misbehave { ... };\nlet with-misbehave = new asterbot:tools-join { first: misbehave.tools, rest: dice.tools, ... };",
        )
        .replace("first: dice.tools, rest: with-clock.tools", "first: with-misbehave.tools, rest: with-clock.tools");
    let agent = common::compose_text(dir, "misbehaving", &recipe);
    let script = json!({"rules": [
        {"on": "tool", "reply": "The tool said: {result}"},
        {"match": "^(crash|sleep|spin)$", "call": [{"tool": "misbehave", "arguments": {"how": "{1}"}}]},
        {"reply": "You said: {input}"},
    ]});
    let flags = common::script_flags(dir, &script.to_string());
    (agent, flags)
}

fn state_flags(dir: &Path) -> Vec<String> {
    vec![
        "--keyvalue".to_string(),
        dir.join("state.redb").display().to_string(),
    ]
}

#[test]
fn an_openai_client_holds_a_conversation_per_session_plain_and_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let flags = state_flags(dir.path());
    let server = Served::asterbot(serve_agent(), &common::strs(&flags));
    let http = client();

    let first = chat(&http, &server.url, "alice", "what is 6 * 7?");
    assert_eq!(first.reply(), "The answer is 42.");
    assert_eq!(first.session.as_deref(), Some("alice"));
    let body = first.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["asterbot"]["approvals"], json!([]));
    // Another session does not see alice's turn.
    assert_eq!(
        chat(&http, &server.url, "bob", "what did I say?").reply(),
        "Before this, you said: \"\"."
    );
    assert_eq!(
        chat(&http, &server.url, "alice", "what did I say?").reply(),
        "Before this, you said: \"what is 6 * 7?\"."
    );

    // `stream: true`: server-sent events, the role first, then the content,
    // the finish reason, and `[DONE]`.
    let request = json!({"model": "m", "stream": true,
        "messages": [{"role": "system", "content": "ignored"}, {"role": "user", "content": "what is 2 + 3?"}]});
    let streamed = send(
        &http,
        "POST",
        &format!("{}/v1/chat/completions", server.url),
        &[("x-asterbot-session", "carol")],
        Some(request.to_string().as_bytes()),
    )
    .unwrap();
    assert_eq!(streamed.status, 200);
    assert!(streamed.content_type.starts_with("text/event-stream"));
    let events: Vec<&str> = streamed
        .body
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").expect("every event is data"))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"), "{}", streamed.body);
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "The answer is 5.");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(
        chat(&http, &server.url, "carol", "what did I say?").reply(),
        "Before this, you said: \"what is 2 + 3?\"."
    );

    // Without a session, the answer names a new one.
    let anonymous = send(
        &http,
        "POST",
        &format!("{}/v1/chat/completions", server.url),
        &[],
        Some(br#"{"messages":[{"role":"user","content":"hi"}]}"#),
    )
    .unwrap();
    assert_eq!(anonymous.status, 200);
    let session = anonymous.session.clone().expect("a new session is named");
    assert_eq!(anonymous.json()["asterbot"]["session"], session.as_str());

    let health = send(&http, "GET", &format!("{}/healthz", server.url), &[], None).unwrap();
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );
    let page = send(&http, "GET", &server.url, &[], None).unwrap();
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("/v1/chat/completions"));
}

#[test]
fn history_survives_a_restart_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let flags = state_flags(dir.path());
    let http = client();
    {
        let server = Served::asterbot(serve_agent(), &common::strs(&flags));
        chat(
            &http,
            &server.url,
            "dana",
            "remember that the door code is 1234",
        );
    }
    let server = Served::asterbot(serve_agent(), &common::strs(&flags));
    assert_eq!(
        chat(&http, &server.url, "dana", "what did I say?").reply(),
        "Before this, you said: \"remember that the door code is 1234\"."
    );
    assert_eq!(
        chat(&http, &server.url, "erin", "what do you remember?").reply(),
        "I remember: the door code is 1234"
    );
}

#[test]
fn a_call_that_needs_approval_waits_until_a_person_allows_it_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let flags = state_flags(dir.path());
    let server = Served::asterbot(serve_agent(), &common::strs(&flags));
    let http = client();
    chat(&http, &server.url, "s1", "remember that I like tea");

    let asked = chat(&http, &server.url, "s1", "forget facts");
    assert!(
        asked.reply().contains("waits for a person's approval"),
        "{}",
        asked.body
    );
    let approvals = asked.json()["asterbot"]["approvals"].clone();
    assert_eq!(approvals.as_array().unwrap().len(), 1, "{approvals}");
    assert_eq!(approvals[0]["tool"], "memory_delete");
    assert_eq!(approvals[0]["arguments"], r#"{"name":"facts"}"#);
    let decide_url = format!("{}{}", server.url, approvals[0]["decide"].as_str().unwrap());

    // Asking again before anyone decided: still waiting, same id.
    let again = chat(&http, &server.url, "s1", "forget facts");
    assert_eq!(
        again.json()["asterbot"]["approvals"][0]["id"],
        approvals[0]["id"]
    );
    // The same call in another session is not covered by this approval.
    let other = chat(&http, &server.url, "s2", "forget facts");
    assert_ne!(
        other.json()["asterbot"]["approvals"][0]["id"],
        approvals[0]["id"]
    );

    let approver = bearer(APPROVER);
    let bad = send(
        &http,
        "POST",
        &decide_url,
        &[("authorization", &approver)],
        Some(br#"{"decision":"maybe"}"#),
    )
    .unwrap();
    assert_eq!(bad.status, 400);
    let allowed = decide(&http, &decide_url, "allow");
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(allowed.json()["tool"], "memory_delete");
    let twice = decide(&http, &decide_url, "deny");
    assert_eq!(twice.status, 409, "{}", twice.body);

    // The model asks again: the stored approval lets the call run, once.
    assert_eq!(
        chat(&http, &server.url, "s1", "forget facts").reply(),
        "I have forgotten it."
    );
    assert_eq!(
        chat(&http, &server.url, "s1", "what do you remember?").reply(),
        "I could not use that tool: there is no note named `facts`"
    );
    let unknown = decide(&http, &format!("{}/v1/approvals/00ff", server.url), "allow");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["type"], "not_found_error");

    // A denial is told to the model, and the note stays.
    chat(&http, &server.url, "s3", "remember that I like coffee");
    let asked = chat(&http, &server.url, "s3", "forget facts");
    let decide_url = format!(
        "{}{}",
        server.url,
        asked.json()["asterbot"]["approvals"][0]["decide"]
            .as_str()
            .unwrap()
    );
    let denied = decide(&http, &decide_url, "deny");
    assert_eq!(denied.status, 200);
    assert!(
        chat(&http, &server.url, "s3", "forget facts")
            .reply()
            .contains("the person denied `memory_delete`")
    );
    assert_eq!(
        chat(&http, &server.url, "s3", "what do you remember?").reply(),
        "I remember: I like coffee"
    );
    // Every decision is in the audit journal, on the server's stderr.
    assert!(
        server.log().contains(r#""decision":"allow-once""#),
        "{}",
        server.log()
    );
}

/// Sends raw bytes and returns the status line and body.
fn raw(url: &str, request: &[u8]) -> (String, String) {
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

#[test]
fn bad_requests_and_faults_get_openai_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (agent, mut flags) = misbehaving_agent(dir.path());
    flags.extend(state_flags(dir.path()));
    flags.extend([
        "--timeout".into(),
        "3s".into(),
        "--cpu-time".into(),
        "2s".into(),
    ]);
    let server = Served::asterbot(&agent, &common::strs(&flags));
    let http = client();
    let completions = format!("{}/v1/chat/completions", server.url);
    let error = |answer: &common::serving::Answer| answer.json()["error"].clone();

    let malformed = send(&http, "POST", &completions, &[], Some(b"{not json")).unwrap();
    assert_eq!(malformed.status, 400);
    assert_eq!(error(&malformed)["type"], "invalid_request_error");
    assert_eq!(error(&malformed)["code"], "invalid_json");

    let oversized = vec![b' '; 1024 * 1024 + 1];
    let too_large = send(&http, "POST", &completions, &[], Some(&oversized)).unwrap();
    assert_eq!(too_large.status, 413);
    assert_eq!(error(&too_large)["code"], "body_too_large");

    let unknown = send(
        &http,
        "GET",
        &format!("{}/v2/nothing", server.url),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(unknown.status, 404);
    let wrong = send(&http, "GET", &completions, &[], None).unwrap();
    assert_eq!(wrong.status, 405);
    let empty = send(
        &http,
        "POST",
        &completions,
        &[],
        Some(br#"{"messages":[]}"#),
    )
    .unwrap();
    assert_eq!(
        (empty.status, error(&empty)["code"].as_str()),
        (400, Some("invalid_messages"))
    );

    // A tool that traps: the instance is gone, the answer says where.
    let crashed = chat(&http, &server.url, "f1", "crash");
    assert_eq!(crashed.status, 500, "{}", crashed.body);
    assert_eq!(error(&crashed)["type"], "server_error");
    let message = error(&crashed)["message"].as_str().unwrap().to_string();
    assert!(message.contains("misbehave"), "{message}");
    // A turn stuck in a host call past --timeout, and one computing past
    // --cpu-time.
    let stuck = chat(&http, &server.url, "f2", "sleep");
    assert_eq!(stuck.status, 504, "{}", stuck.body);
    assert!(
        error(&stuck)["message"]
            .as_str()
            .unwrap()
            .contains("--timeout")
    );
    let spinning = chat(&http, &server.url, "f3", "spin");
    assert_eq!(spinning.status, 500, "{}", spinning.body);
    assert!(
        error(&spinning)["message"]
            .as_str()
            .unwrap()
            .contains("--cpu-time")
    );

    // A client that leaves mid-turn.
    let address = server.url.trim_start_matches("http://").to_string();
    let body = r#"{"messages":[{"role":"user","content":"sleep"}]}"#;
    let mut leaving = std::net::TcpStream::connect(&address).unwrap();
    write!(
        leaving,
        "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(leaving);
    // A body that ends before its length, and a request that is not HTTP.
    let (status, _) = raw(
        &server.url,
        format!("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {KEY}\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{{\"messages\"").as_bytes(),
    );
    let _ = status;
    let (status, _) = raw(&server.url, b"NOT HTTP AT ALL\r\n\r\n");
    assert!(status.contains("400") || status.is_empty(), "{status}");

    // Still serving, with the conversation of an earlier session intact.
    assert_eq!(
        chat(&http, &server.url, "f4", "hello").reply(),
        "You said: hello"
    );
    assert_eq!(
        chat(&http, &server.url, "f4", "again").reply(),
        "You said: again"
    );
    assert!(server.log().contains("this turn ended"), "{}", server.log());
}

#[test]
fn a_thousand_requests_at_concurrency_sixteen_keep_every_session_apart() {
    let dir = tempfile::tempdir().unwrap();
    let flags = state_flags(dir.path());
    let server = Served::asterbot(serve_agent(), &common::strs(&flags));
    let url = server.url.clone();
    let next = std::sync::atomic::AtomicUsize::new(0);
    const REQUESTS: usize = 1000;
    const CONCURRENCY: usize = 16;
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|worker| {
                let (url, next) = (&url, &next);
                scope.spawn(move || {
                    let http = client();
                    let session = format!("load-{worker}");
                    let mut failures = Vec::new();
                    let mut said: Option<String> = None;
                    while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < REQUESTS {
                        // Turns alternate: say something unique, then ask
                        // what was said, which must be exactly that.
                        match said.take() {
                            None => {
                                let text = format!("note {worker}-{}", rand_word());
                                let answer = chat(&http, url, &session, &text);
                                if answer.status != 200 {
                                    failures.push(format!("{session}: {}", answer.body));
                                }
                                said = Some(text);
                            }
                            Some(text) => {
                                let answer = chat(&http, url, &session, "what did I say?");
                                let expected = format!("Before this, you said: \"{text}\".");
                                if answer.status != 200 || answer.reply() != expected {
                                    failures.push(format!(
                                        "{session}: expected {expected}, got {}",
                                        answer.body
                                    ));
                                }
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A word no other request uses.
fn rand_word() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{:x}{n}", std::process::id())
}

#[test]
fn serving_an_agent_without_an_http_front_end_says_what_to_compose() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("minimal.wac");
    std::fs::copy(common::repo().join("recipes/minimal.wac"), &recipe).unwrap();
    let agent = dir.path().join("minimal.wasm");
    common::compose(&recipe, &agent);
    let output = common::asterbot()
        .arg("serve")
        .arg(&agent)
        .args(["--listen", "127.0.0.1:0", "--keyvalue", "memory"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("wasi:http/incoming-handler"), "{stderr}");
    assert!(stderr.contains("recipes/serve.wac"), "{stderr}");
    let bad = common::asterbot()
        .args(["serve", "x.wasm", "--keyvalue", "ftp://x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("redis://"));
}
