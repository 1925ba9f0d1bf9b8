//! `http-gateway`: the HTTP front end. It exports
//! `wasi:http/incoming-handler`, so `wasmtime serve` and `asterbot serve`
//! run a composed agent as an HTTP service:
//!
//! - `POST /v1/chat/completions`: OpenAI's chat completions, plain or
//!   `"stream": true` (server-sent events); the last user message is the
//!   turn's input, and the agent keeps the conversation itself, per
//!   session (the `x-asterbot-session` header, else a new session, named
//!   in the answer), each key's sessions apart from every other key's.
//! - `POST /v1/responses`: the same turn in the Open Responses shape,
//!   plain or streamed as its semantic events; `previous_response_id`
//!   continues one of the key's own responses (see [`responses`]).
//! - `POST /v1/approvals/{id}`: allows or denies a call that waits for a
//!   person's approval (`{"decision": "allow"}`); the answer of a turn
//!   lists its waiting calls under `asterbot.approvals`.
//! - `GET /healthz` (alive), `GET /readyz` (the store answers, else
//!   `503`), `GET /v1/models`, and `GET /`: a small chat page using the
//!   endpoint.
//! - `POST /mcp`: the agent as an MCP server (Streamable HTTP): its own
//!   tools, and `converse`, a turn of the agent (see [`mcp`]).
//!
//! Every request but `/healthz` passes the checks of [`auth`] first: its
//! `Host`, its `Origin`, its key (`Authorization: Bearer`, an approver's
//! for approvals) and a JSON body.
//!
//! It keeps nothing between requests: conversations, approvals and
//! memory live in the key-value store of the components behind it.
//! Errors are JSON in OpenAI's shape with their HTTP status.

mod api;
mod auth;
mod idempotency;
mod mcp;
mod responses;

use asterbot_sdk::worlds::front_end_queued::asterbot;

use api::{Approval, Failure, Route};
use asterbot::agent::agent;
use asterbot::agent::approval_queue::{self, DecideError};
use asterbot::agent::tools;
use auth::{Policy, Principal};
use serde_json::{Value, json};
use wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasip2::io::streams::{OutputStream, StreamError};

/// The chat page.
const PAGE: &str = include_str!("page.html");

/// Bytes written to the response body per call.
const WRITE_CHUNK: usize = 4096;

/// MCP's session header: the id the server gives a client at
/// `initialize`, which the client sends with every later request.
const MCP_SESSION: &str = "mcp-session-id";

/// How long a retry waits for the answer of the request that holds its
/// idempotency key before it is told to come back (`409`).
const IDEMPOTENCY_WAIT_MS: u64 = 60_000;

/// The headers an allowed origin's page may send.
const CORS_REQUEST_HEADERS: &str = "authorization, content-type, x-asterbot-session, idempotency-key, mcp-protocol-version, mcp-session-id";

/// The trailers that tell the runtime what a request's turns did, for its
/// metrics: tool calls, and calls a person denied. `asterbot serve` takes
/// them off the answer; a client sees them only where another runtime
/// passes trailers on to a client that asked for them (`TE: trailers`).
const TOOL_CALLS_TRAILER: &str = "asterbot-tool-calls";
const DENIALS_TRAILER: &str = "asterbot-denials";

thread_local! {
    /// The allowed other origin of this request, answered with CORS
    /// headers (an instance answers one request).
    static CORS_ORIGIN: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    /// Tool calls and denials of this request's turns, told in trailers.
    static TALLY: std::cell::Cell<Option<(u32, u32)>> = const { std::cell::Cell::new(None) };
}

/// Counts `calls` tool calls and `denied` denials for this request.
fn tally(calls: u32, denied: u32) {
    let (before_calls, before_denied) = TALLY.get().unwrap_or_default();
    TALLY.set(Some((
        before_calls.saturating_add(calls),
        before_denied.saturating_add(denied),
    )));
}

/// The trailers of this request's answer: its tally, if it ran a turn or
/// a tool.
fn trailers() -> Option<Fields> {
    let (calls, denied) = TALLY.get()?;
    let fields = Fields::new();
    let _ = fields.append(TOOL_CALLS_TRAILER, calls.to_string().as_bytes());
    let _ = fields.append(DENIALS_TRAILER, denied.to_string().as_bytes());
    Some(fields)
}

struct Gateway;

impl wasip2::exports::http::incoming_handler::Guest for Gateway {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let method = match request.method() {
            Method::Get => "GET".to_string(),
            Method::Head => "HEAD".to_string(),
            Method::Post => "POST".to_string(),
            Method::Put => "PUT".to_string(),
            Method::Delete => "DELETE".to_string(),
            Method::Patch => "PATCH".to_string(),
            Method::Options => "OPTIONS".to_string(),
            Method::Connect => "CONNECT".to_string(),
            Method::Trace => "TRACE".to_string(),
            Method::Other(other) => other,
        };
        let path = request.path_with_query().unwrap_or_else(|| "/".to_string());
        let route = api::route(&method, &path);
        if route == Route::Health {
            // For load balancers' health checks: no key, any host.
            return send_json(out, 200, &[], &json!({"status": "ok"}));
        }
        if route == Route::Ready {
            // Readiness: the store this agent keeps everything in answers.
            return match keyvalue::get("ready") {
                Ok(_) => send_json(out, 200, &[], &json!({"status": "ready"})),
                Err(error) => send_json(
                    out,
                    503,
                    &[],
                    &json!({"status": "unavailable", "store": error}),
                ),
            };
        }
        let policy = Policy::from_env();
        let authority = request.authority();
        let origin = header(&request, "origin");
        let cors = match policy
            .check_host(authority.as_deref())
            .and_then(|()| policy.check_origin(origin.as_deref(), authority.as_deref()))
        {
            Ok(cors) => cors,
            Err(failure) => return fail(out, &failure, &[]),
        };
        if let Some(allowed) = cors {
            // Another origin the operator allowed: its pages may read the
            // answers, and ask first (a preflight) what they may send.
            if method == "OPTIONS" {
                return send(
                    out,
                    204,
                    "text/plain",
                    &[
                        ("access-control-allow-origin", allowed.as_str()),
                        ("access-control-allow-methods", "GET, POST"),
                        ("access-control-allow-headers", CORS_REQUEST_HEADERS),
                        ("access-control-max-age", "600"),
                        ("vary", "origin"),
                    ],
                    b"",
                );
            }
            CORS_ORIGIN.with_borrow_mut(|origin| *origin = Some(allowed));
        }
        let authorization = header(&request, "authorization");
        let content_type = header(&request, "content-type");
        let json_body = || auth::check_json(content_type.as_deref());
        match route {
            Route::Page => send(out, 200, "text/html; charset=utf-8", &[], PAGE.as_bytes()),
            Route::Health | Route::Ready => send_json(out, 200, &[], &json!({"status": "ok"})),
            Route::Models => match policy.asker(authorization.as_deref()) {
                Ok(_) => send_json(out, 200, &[], &api::models(now())),
                Err(failure) => refuse(out, &failure),
            },
            Route::Chat | Route::Responses | Route::Mcp => {
                let principal = match policy.asker(authorization.as_deref()) {
                    Ok(principal) => principal,
                    Err(failure) => return refuse(out, &failure),
                };
                if let Err(failure) = json_body() {
                    return fail(out, &failure, &[]);
                }
                match route {
                    Route::Chat => chat(request, out, &principal),
                    Route::Responses => respond(request, out, &principal),
                    _ => serve_mcp(request, out, principal),
                }
            }
            Route::Decide(id) => match policy
                .approver(authorization.as_deref())
                .and_then(|()| json_body())
            {
                Ok(()) => decide(request, out, &id),
                Err(failure) => refuse(out, &failure),
            },
            Route::WrongMethod(allowed) => fail(
                out,
                &Failure::new(
                    405,
                    "invalid_request_error",
                    "method_not_allowed",
                    format!("`{method}` is not allowed on `{path}`: use {allowed}"),
                ),
                &[("allow", allowed)],
            ),
            Route::Unknown => fail(
                out,
                &Failure::new(
                    404,
                    "invalid_request_error",
                    "unknown_route",
                    format!(
                        "nothing at `{method} {path}`: the agent answers `POST /v1/chat/completions`, `POST /v1/responses`, `GET /v1/models`, `POST /v1/approvals/{{id}}`, `POST /mcp`, `GET /healthz`, `GET /readyz` and `GET /`"
                    ),
                ),
                &[],
            ),
        }
    }
}

/// One turn from an OpenAI chat completion request, in a session of
/// `principal`. With an `Idempotency-Key`, the turn runs once per key:
/// a retry gets the first answer (see [`idempotency`]).
fn chat(request: IncomingRequest, out: ResponseOutparam, principal: &Principal) {
    let header = match utf8_header(&request, api::SESSION_HEADER)
        .and_then(|named| Ok((named, utf8_header(&request, idempotency::HEADER)?)))
    {
        Ok(headers) => headers,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let (header, key) = header;
    let body = match read_body(request) {
        Ok(body) => body,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let chat = match api::chat(&body, header.as_deref()) {
        Ok(chat) => chat,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let Some((out, slot)) = claim(out, principal, key.as_deref(), &body, header.as_deref()) else {
        return;
    };
    // A client that keeps the conversation itself (no session, earlier
    // messages sent) is told no session: its turn is not stored. Its
    // calls waiting for approval belong to its conversation so far, so the
    // same request asked again finds the decision.
    let session = match (&chat.session, &chat.history) {
        (Some(named), _) => named.clone(),
        (None, Some(history)) => conversation(history),
        (None, None) => new_session(),
    };
    let told = if chat.history.is_some() {
        ""
    } else {
        session.as_str()
    };
    let id = format!("chatcmpl-{}", random_hex(12));
    let created = now();
    let headers = session_headers(told);
    if chat.stream {
        // The headers and the role go out before the turn runs.
        let Some((body, stream)) = start(out, 200, "text/event-stream", &headers) else {
            return release(slot.as_ref());
        };
        let role = api::chunk(
            &id,
            created,
            &chat.model,
            json!({"role": "assistant", "content": ""}),
            None,
        );
        let _ = write_all(&stream, role.as_bytes());
        let outcome = turn(
            principal,
            &session,
            &chat.input,
            &options(&chat),
            told_in(&chat, &session),
        );
        let answered = outcome.is_ok();
        let events = match outcome {
            Ok(done) => {
                let mut content = api::chunk(
                    &id,
                    created,
                    &chat.model,
                    json!({"content": done.reply}),
                    None,
                );
                let mut last =
                    api::chunk(&id, created, &chat.model, json!({}), Some(done.finish()));
                // The extension rides on the last chunk, as `usage` would.
                if let Ok(mut value) =
                    serde_json::from_str::<Value>(last.trim_start_matches("data: ").trim())
                {
                    value["asterbot"] = done.extension.clone();
                    last = api::event(&value);
                }
                content.push_str(&last);
                if chat.include_usage {
                    content.push_str(&api::usage_chunk(&id, created, &chat.model, done.usage()));
                }
                content
            }
            Err(failure) => api::event(&failure.body()),
        };
        let events = format!("{events}{}", api::DONE);
        match &slot {
            Some(slot) if answered => {
                slot.answer(200, "text/event-stream", told, format!("{role}{events}"));
            }
            _ => release(slot.as_ref()),
        }
        return end_stream(body, stream, &events);
    }
    match turn(
        principal,
        &session,
        &chat.input,
        &options(&chat),
        told_in(&chat, &session),
    ) {
        Ok(done) => {
            let answer = api::completion(
                &id,
                created,
                &chat.model,
                &done.reply,
                done.finish(),
                done.usage(),
                done.extension,
            );
            if let Some(slot) = &slot {
                slot.answer(200, "application/json", told, answer.to_string());
            }
            send_json(out, 200, &headers, &answer)
        }
        Err(failure) => {
            release(slot.as_ref());
            fail(out, &failure, &headers)
        }
    }
}

/// The session a chat answer names: none for a conversation the client
/// keeps.
fn told_in<'a>(chat: &api::Chat, session: &'a str) -> Option<&'a str> {
    chat.history.is_none().then_some(session)
}

/// One response in the Open Responses shape (see [`responses`]), in a
/// session of `principal`: the one of the response it continues, else a
/// new one. The same idempotency keys as a chat completion.
fn respond(request: IncomingRequest, out: ResponseOutparam, principal: &Principal) {
    use responses::{Events, Kept, KeptMessage, Resource};
    let key = match utf8_header(&request, idempotency::HEADER) {
        Ok(key) => key,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let body = match read_body(request) {
        Ok(body) => body,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let asked = match responses::request(&body) {
        Ok(asked) => asked,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let store_failed = |e: String| Failure::new(500, "server_error", "store_failed", e);
    // Only a response this key was given continues: another key's id is
    // not found, and its conversation is never read.
    let kept = match &asked.previous {
        None => Kept {
            session: new_session(),
            messages: Vec::new(),
        },
        Some(previous) => match keyvalue::get_text(&Kept::key(principal.name(), previous)) {
            Ok(Some(text)) => match serde_json::from_str::<Kept>(&text) {
                Ok(kept) => kept,
                Err(e) => {
                    return fail(
                        out,
                        &store_failed(format!("a kept response is unreadable: {e}")),
                        &[],
                    );
                }
            },
            Ok(None) => return fail(out, &responses::unknown_previous(previous), &[]),
            Err(e) => return fail(out, &store_failed(e), &[]),
        },
    };
    let Some((out, slot)) = claim(out, principal, key.as_deref(), &body, None) else {
        return;
    };
    let mut conversation = kept.messages;
    conversation.extend(
        asked
            .earlier
            .iter()
            .map(|prior| KeptMessage::new(prior.speaker, &prior.text)),
    );
    let instructions = asked
        .instructions
        .as_deref()
        .map(|text| message(api::Speaker::System, text));
    let history = instructions
        .into_iter()
        .chain(conversation.iter().map(|m| message(m.speaker(), &m.text)))
        .collect();
    let options = agent::TurnOptions {
        history: Some(history),
        max_tokens: asked.max_output_tokens,
    };
    let id = format!("resp_{}", random_hex(24));
    let item = format!("msg_{}", random_hex(24));
    let resource = Resource {
        id: &id,
        created_at: now(),
        request: &asked,
    };
    let session = kept.session;
    // The turn, and its conversation kept for a response that continues it.
    let mut run = || -> Result<Done, Failure> {
        let done = turn(principal, &session, &asked.input, &options, None)?;
        if asked.store {
            conversation.push(KeptMessage::new(api::Speaker::User, &asked.input));
            conversation.push(KeptMessage::new(api::Speaker::Assistant, &done.reply));
            let mut kept = Kept {
                session: session.clone(),
                messages: std::mem::take(&mut conversation),
            };
            keyvalue::set(&Kept::key(principal.name(), &id), kept.fitted().as_bytes()).map_err(
                |e| {
                    Failure::new(
                        500,
                        "server_error",
                        "response_not_stored",
                        format!("the response was answered but could not be kept, so it is not given ({e}); retry it"),
                    )
                },
            )?;
        }
        Ok(done)
    };
    let finished = |done: Done| {
        let status = if done.truncated {
            "incomplete"
        } else {
            "completed"
        };
        let output = vec![responses::message(&item, Some(&done.reply), status)];
        let usage = responses::usage(done.input_tokens, done.output_tokens);
        let whole = resource.at(status, output, Some(usage), None, Some(done.extension));
        (status, done.reply, whole)
    };
    if asked.stream {
        let Some((body, stream)) = start(out, 200, "text/event-stream", &[]) else {
            return release(slot.as_ref());
        };
        let mut events = Events::default();
        let snapshot = resource.at("in_progress", Vec::new(), None, None, None);
        events.push("response.created", json!({"response": snapshot}));
        events.push("response.in_progress", json!({"response": snapshot}));
        let mut told = events.take();
        let _ = write_all(&stream, told.as_bytes());
        let answered = match run() {
            Ok(done) => {
                let (status, reply, whole) = finished(done);
                responses::message_events(&mut events, &item, &reply, status);
                let last = if status == "completed" {
                    "response.completed"
                } else {
                    "response.incomplete"
                };
                events.push(last, json!({"response": whole}));
                true
            }
            Err(failure) => {
                let failed = resource.at("failed", Vec::new(), None, Some(&failure), None);
                events.push("response.failed", json!({"response": failed}));
                events.push("error", responses::error_fields(&failure));
                false
            }
        };
        let rest = events.take();
        match &slot {
            Some(slot) if answered => {
                told.push_str(&rest);
                slot.answer(200, "text/event-stream", "", told);
            }
            _ => release(slot.as_ref()),
        }
        return end_stream(body, stream, &rest);
    }
    match run() {
        Ok(done) => {
            let (_, _, whole) = finished(done);
            if let Some(slot) = &slot {
                slot.answer(200, "application/json", "", whole.to_string());
            }
            send_json(out, 200, &[], &whole)
        }
        Err(failure) => {
            release(slot.as_ref());
            fail(out, &failure, &[])
        }
    }
}

/// Claims the request's `Idempotency-Key` (`key`), if it has one, for
/// `principal`'s request with `body` in the session the client named:
/// `None` once the request is answered here (the first answer replayed, or
/// why not); else the request runs its turn, and answers into the slot.
fn claim(
    out: ResponseOutparam,
    principal: &Principal,
    key: Option<&str>,
    body: &[u8],
    session: Option<&str>,
) -> Option<(ResponseOutparam, Option<idempotency::Slot>)> {
    let Some(key) = key else {
        return Some((out, None));
    };
    if let Err(failure) = idempotency::check(key) {
        fail(out, &failure, &[]);
        return None;
    }
    let slot = idempotency::Slot::new(principal.name(), key, body, session);
    // A retry is told to come back before its own turn runs out.
    let wait = IDEMPOTENCY_WAIT_MS.min(idempotency::turn_limit_ms() / 2);
    match slot.claim(wait) {
        Ok(idempotency::Claim::Run) => Some((out, Some(slot))),
        Ok(idempotency::Claim::Replay(stored)) => {
            send(
                out,
                stored.status,
                &stored.content_type,
                &replayed_headers(&stored.session),
                stored.body.as_bytes(),
            );
            None
        }
        Err(failure) => {
            fail(out, &failure, &[]);
            None
        }
    }
}

/// Gives an idempotency key back after a turn that failed.
fn release(slot: Option<&idempotency::Slot>) {
    if let Some(slot) = slot {
        slot.release();
    }
}

/// Writes the rest of a streamed answer and ends it.
fn end_stream(body: OutgoingBody, stream: OutputStream, rest: &str) {
    let _ = write_all(&stream, rest.as_bytes());
    drop(stream);
    let _ = OutgoingBody::finish(body, trailers());
}

/// The headers naming `session` to the client; none for a turn the
/// client keeps (`""`).
fn session_headers(session: &str) -> Vec<(&'static str, &str)> {
    if session.is_empty() {
        Vec::new()
    } else {
        vec![(api::SESSION_HEADER, session)]
    }
}

/// The headers of a replayed answer of `session`.
fn replayed_headers(session: &str) -> Vec<(&'static str, &str)> {
    let mut headers = session_headers(session);
    headers.push((idempotency::REPLAYED, "true"));
    headers
}

/// The session a conversation the client keeps belongs to, while its
/// turn runs: named by the conversation so far, so the same request asked
/// again is the same session (a call that waited for approval runs then).
fn conversation(history: &[api::Prior]) -> String {
    use sha2::{Digest as _, Sha256};
    let mut digest = Sha256::new();
    for prior in history {
        digest.update([prior.speaker as u8]);
        digest.update((prior.text.len() as u64).to_le_bytes());
        digest.update(prior.text.as_bytes());
    }
    let hex: String = digest.finalize()[..12]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("m-{hex}")
}

/// A message of `speaker` saying `text`, for a turn's history.
fn message(speaker: api::Speaker, text: &str) -> asterbot::agent::types::Message {
    use asterbot::agent::types::{Message, Role};
    Message {
        role: match speaker {
            api::Speaker::System => Role::System,
            api::Speaker::User => Role::User,
            api::Speaker::Assistant => Role::Assistant,
        },
        content: text.to_string(),
        tool_calls: Vec::new(),
        tool_call_id: None,
    }
}

/// The turn's options from what the request asks.
fn options(chat: &api::Chat) -> agent::TurnOptions {
    let history = chat.history.as_ref().map(|history| {
        history
            .iter()
            .map(|prior| message(prior.speaker, &prior.text))
            .collect()
    });
    agent::TurnOptions {
        history,
        max_tokens: chat.max_tokens,
    }
}

/// An answered turn.
struct Done {
    reply: String,
    /// The model's last reply stopped at the token limit.
    truncated: bool,
    /// The tokens of the turn's model requests.
    input_tokens: u32,
    output_tokens: u32,
    /// The `asterbot` extension.
    extension: Value,
}

impl Done {
    /// Why the model stopped, as a chat completion says: `stop`, or
    /// `length` at the token limit.
    fn finish(&self) -> &'static str {
        if self.truncated { "length" } else { "stop" }
    }

    /// A chat completion's `usage`.
    fn usage(&self) -> Value {
        api::usage(self.input_tokens, self.output_tokens)
    }
}

/// Runs one turn of `principal`'s `session` on `input`, naming `told` as
/// the session in the answer's extension.
fn turn(
    principal: &Principal,
    session: &str,
    input: &str,
    options: &agent::TurnOptions,
    told: Option<&str>,
) -> Result<Done, Failure> {
    let stored = principal.scope(session);
    approval_queue::begin_turn(&stored);
    let turn = stored_turn(&stored, input, options);
    tally(
        turn.as_ref().map_or(0, |turn| turn.tool_calls),
        approval_queue::denied(),
    );
    let turn = turn?;
    let waiting = approval_queue::waiting();
    let approvals: Vec<Approval<'_>> = waiting
        .iter()
        .map(|w| Approval {
            id: &w.id,
            tool: &w.tool,
            arguments: &w.arguments,
        })
        .collect();
    Ok(Done {
        truncated: turn.truncated,
        input_tokens: turn.usage.input_tokens,
        output_tokens: turn.usage.output_tokens,
        reply: turn.answer,
        extension: api::extension(told, &approvals),
    })
}

/// One MCP message: JSON-RPC in, JSON-RPC out (or `202` for a
/// notification). Tool calls and turns belong to one of `principal`'s
/// sessions: the `x-asterbot-session` header's, else the MCP session the
/// client was given at `initialize` (`Mcp-Session-Id`, a new id made
/// here), else the principal's own `mcp`.
fn serve_mcp(request: IncomingRequest, out: ResponseOutparam, principal: Principal) {
    let named = header(&request, api::SESSION_HEADER).or_else(|| header(&request, MCP_SESSION));
    let session = match named {
        Some(session) => match api::check_session(&session) {
            Ok(session) => session,
            Err(failure) => return fail(out, &failure, &[]),
        },
        None => "mcp".to_string(),
    };
    let body = match read_body(request) {
        Ok(body) => body,
        Err(failure) => return fail(out, &failure, &[]),
    };
    let initialize = serde_json::from_slice::<Value>(&body)
        .is_ok_and(|message| message["method"] == "initialize" && message.get("id").is_some());
    let answer = mcp::handle(&body, &session, &Served { principal });
    // Each client that initializes gets a session of its own.
    let given = initialize.then(|| format!("mcp-{}", random_hex(12)));
    let headers: Vec<(&str, &str)> = given.iter().map(|id| (MCP_SESSION, id.as_str())).collect();
    match answer.body {
        Some(body) => send_json(out, answer.status, &headers, &body),
        None => send(out, answer.status, "application/json", &headers, b""),
    }
}

/// The agent and its tools, as the MCP server drives them for
/// `principal`: every session it names is one of the principal's.
struct Served {
    principal: Principal,
}

impl mcp::Agent for Served {
    fn tools(&self) -> Vec<(String, String, String)> {
        tools::list()
            .into_iter()
            .map(|t| (t.name, t.description, t.parameters))
            .collect()
    }

    fn call(&self, session: &str, name: &str, arguments: &str) -> Result<String, String> {
        approval_queue::begin_turn(&self.principal.scope(session));
        let result = tools::call(name, arguments);
        tally(1, approval_queue::denied());
        with_approvals(result, &approval_queue::waiting())
    }

    fn converse(&self, session: &str, message: &str) -> Result<String, String> {
        let stored = self.principal.scope(session);
        approval_queue::begin_turn(&stored);
        let options = agent::TurnOptions {
            history: None,
            max_tokens: None,
        };
        let result = stored_turn(&stored, message, &options);
        tally(
            result.as_ref().map_or(0, |turn| turn.tool_calls),
            approval_queue::denied(),
        );
        let result = result
            .map(|turn| turn.answer)
            .map_err(|failure| failure.message);
        with_approvals(result, &approval_queue::waiting())
    }
}

/// One turn of the stored session `stored`: its answer, or why there is
/// none. A turn that could not be stored is a failure, so that an answer
/// always means the turn is in the session's history (and a retry with an
/// idempotency key runs it again rather than replaying an unstored turn).
fn stored_turn(
    stored: &str,
    input: &str,
    options: &agent::TurnOptions,
) -> Result<agent::TurnReply, Failure> {
    let turn = agent::turn(stored, input, options)
        .map_err(|error| Failure::new(500, "server_error", "turn_failed", error))?;
    match &turn.unsaved {
        None => Ok(turn),
        Some(why) => Err(Failure::new(
            500,
            "server_error",
            "turn_not_stored",
            format!(
                "the turn was answered but could not be stored, so its answer is not given ({why}); retry it"
            ),
        )),
    }
}

/// `result`, with a line for each call left waiting for a person's
/// approval and where to decide it.
fn with_approvals(
    result: Result<String, String>,
    waiting: &[approval_queue::WaitingCall],
) -> Result<String, String> {
    if waiting.is_empty() {
        return result;
    }
    let lines: Vec<String> = waiting
        .iter()
        .map(|w| {
            format!(
                "`{}` {} waits for a person's approval: POST /v1/approvals/{} with {{\"decision\": \"allow\"}} or \"deny\" and an approver key (not this one), then ask again.",
                w.tool, w.arguments, w.id
            )
        })
        .collect();
    let add = |text: String| format!("{text}\n{}", lines.join("\n"));
    result.map(add).map_err(add)
}

/// A person's decision on a waiting call.
fn decide(request: IncomingRequest, out: ResponseOutparam, id: &str) {
    let allow = match read_body(request).and_then(|body| api::decision(&body)) {
        Ok(allow) => allow,
        Err(failure) => return fail(out, &failure, &[]),
    };
    match approval_queue::decide(id, allow) {
        Ok(call) => send_json(
            out,
            200,
            &[],
            &json!({
                "id": call.id,
                "tool": call.tool,
                "arguments": call.arguments,
                "decision": if allow { "allow" } else { "deny" },
            }),
        ),
        Err(error) => {
            let failure = match error {
                DecideError::Unknown => Failure::new(
                    404,
                    "not_found_error",
                    "unknown_approval",
                    format!("no call waits for approval under id `{id}`"),
                ),
                DecideError::AlreadyDecided => Failure::new(
                    409,
                    "invalid_request_error",
                    "already_decided",
                    format!("the call `{id}` was already decided"),
                ),
                DecideError::Failed(problem) => {
                    Failure::new(500, "server_error", "store_failed", problem)
                }
            };
            fail(out, &failure, &[]);
        }
    }
}

/// The value of header `name`, if it is UTF-8.
fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    let values = request.headers().get(name);
    values
        .first()
        .and_then(|value| String::from_utf8(value.clone()).ok())
}

/// The value of header `name`; a value that is not UTF-8 is a `400`, not
/// an absent header (a session named in bytes the gateway cannot read is
/// never silently a new session).
fn utf8_header(request: &IncomingRequest, name: &str) -> Result<Option<String>, Failure> {
    match request.headers().get(name).first() {
        None => Ok(None),
        Some(value) => String::from_utf8(value.clone()).map(Some).map_err(|_| {
            Failure::invalid(
                "invalid_header",
                format!("the `{name}` header is not UTF-8"),
            )
        }),
    }
}

/// The request body, at most [`api::MAX_BODY`] bytes.
///
/// A body a little over the limit is read to its end and dropped before the
/// 413 goes out, so a client that writes its whole body before reading (most
/// do) sees the answer instead of a reset connection; past
/// [`api::MAX_DRAIN`] the answer goes out at once.
fn read_body(request: IncomingRequest) -> Result<Vec<u8>, Failure> {
    let too_large = || {
        Failure::new(
            413,
            "invalid_request_error",
            "body_too_large",
            format!("the request body is larger than {} bytes", api::MAX_BODY),
        )
    };
    let declared = header(&request, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > api::MAX_DRAIN) {
        return Err(too_large());
    }
    let unreadable = || Failure::invalid("unreadable_body", "the request body could not be read");
    let body = request.consume().map_err(|()| unreadable())?;
    let stream = body.stream().map_err(|()| unreadable())?;
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                seen += chunk.len();
                if seen > api::MAX_DRAIN {
                    return Err(too_large());
                }
                if seen <= api::MAX_BODY {
                    bytes.extend_from_slice(&chunk);
                }
            }
            Err(StreamError::Closed) if seen > api::MAX_BODY => return Err(too_large()),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err(unreadable()),
        }
    }
    drop(stream);
    let _ = IncomingBody::finish(body);
    Ok(bytes)
}

/// Starts a response: the status and headers are sent; the body follows.
fn start(
    out: ResponseOutparam,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
) -> Option<(OutgoingBody, OutputStream)> {
    let headers = Fields::new();
    let mut all = vec![("content-type", content_type)];
    all.extend_from_slice(extra);
    let cors = CORS_ORIGIN.with_borrow(Clone::clone);
    if let Some(origin) = &cors {
        all.push(("access-control-allow-origin", origin));
        all.push((
            "access-control-expose-headers",
            "x-asterbot-session, mcp-session-id, idempotent-replayed",
        ));
        all.push(("vary", "origin"));
    }
    for (name, value) in all {
        let _ = headers.append(name, value.as_bytes());
    }
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(status);
    let body = response.body().ok()?;
    ResponseOutparam::set(out, Ok(response));
    let stream = body.write().ok()?;
    Some((body, stream))
}

/// Sends a whole response.
fn send(
    out: ResponseOutparam,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    bytes: &[u8],
) {
    if let Some((body, stream)) = start(out, status, content_type, extra) {
        // A client that left is not an error worth reporting.
        let _ = write_all(&stream, bytes);
        drop(stream);
        let _ = OutgoingBody::finish(body, trailers());
    }
}

fn send_json(out: ResponseOutparam, status: u16, extra: &[(&str, &str)], value: &Value) {
    send(
        out,
        status,
        "application/json",
        extra,
        value.to_string().as_bytes(),
    );
}

fn fail(out: ResponseOutparam, failure: &Failure, extra: &[(&str, &str)]) {
    send_json(out, failure.status, extra, &failure.body());
}

/// A refused key: a `401` says which scheme to use.
fn refuse(out: ResponseOutparam, failure: &Failure) {
    let challenge: &[(&str, &str)] = if failure.status == 401 {
        &[("www-authenticate", "Bearer")]
    } else {
        &[]
    };
    fail(out, failure, challenge);
}

/// Writes `bytes` to `stream`, waiting for room.
fn write_all(stream: &OutputStream, bytes: &[u8]) -> Result<(), StreamError> {
    for chunk in bytes.chunks(WRITE_CHUNK) {
        stream.blocking_write_and_flush(chunk)?;
    }
    Ok(())
}

/// A new session id, for a request that names none.
fn new_session() -> String {
    format!("s-{}", random_hex(12))
}

/// `bytes` random bytes as hex.
fn random_hex(bytes: u64) -> String {
    wasip2::random::random::get_random_bytes(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

wasip2::http::proxy::export!(Gateway);
