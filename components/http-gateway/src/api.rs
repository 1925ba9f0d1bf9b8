//! The HTTP API, apart from WASI: which route a request takes, how a chat
//! request is read, and the JSON of every answer. Tested natively.

use serde::Deserialize;
use serde_json::{Value, json};

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// Most bytes read and dropped from a body over [`MAX_BODY`] before the 413
/// goes out.
pub const MAX_DRAIN: usize = 8 * MAX_BODY;

/// The header naming the conversation.
pub const SESSION_HEADER: &str = "x-asterbot-session";

/// Longest session id accepted.
const MAX_SESSION: usize = 128;

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /`: the chat page.
    Page,
    /// `GET /healthz`: the server is alive.
    Health,
    /// `GET /readyz`: the store answers.
    Ready,
    /// `GET /v1/models`.
    Models,
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/responses`: Open Responses.
    Responses,
    /// `POST /v1/approvals/{id}`.
    Decide(String),
    /// `POST /mcp`: MCP's Streamable HTTP.
    Mcp,
    /// A known path with another method; the methods it takes.
    WrongMethod(&'static str),
    /// Nothing here.
    Unknown,
}

/// The route of `method` and `path` (query ignored).
pub fn route(method: &str, path: &str) -> Route {
    let path = path.split('?').next().unwrap_or_default();
    match (method, path) {
        ("GET" | "HEAD", "/") => Route::Page,
        ("GET" | "HEAD", "/healthz") => Route::Health,
        ("GET" | "HEAD", "/readyz") => Route::Ready,
        ("GET", "/v1/models") => Route::Models,
        ("POST", "/v1/chat/completions") => Route::Chat,
        ("POST", "/v1/responses") => Route::Responses,
        ("POST", "/mcp") => Route::Mcp,
        (_, "/" | "/healthz" | "/readyz" | "/v1/models") => Route::WrongMethod("GET"),
        // No stream of the server's own messages (`GET`), no session to
        // end (`DELETE`): MCP clients take 405 for both.
        (_, "/v1/chat/completions" | "/v1/responses" | "/mcp") => Route::WrongMethod("POST"),
        (method, path) => match path.strip_prefix("/v1/approvals/") {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                if method == "POST" {
                    Route::Decide(id.to_string())
                } else {
                    Route::WrongMethod("POST")
                }
            }
            _ => Route::Unknown,
        },
    }
}

/// A failed request: the status and OpenAI's error shape.
#[derive(Debug)]
pub struct Failure {
    pub status: u16,
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    /// A 400 for a request that cannot be used.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status: 400,
            kind: "invalid_request_error",
            code,
            message: message.into(),
        }
    }

    /// An answer with `status`.
    pub fn new(
        status: u16,
        kind: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Failure {
        Failure {
            status,
            kind,
            code,
            message: message.into(),
        }
    }

    /// The JSON body: `{"error": {"message", "type", "param", "code"}}`.
    pub fn body(&self) -> Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": null,
            "code": self.code,
        }})
    }
}

/// What a chat request asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Chat {
    /// The model name, echoed back.
    pub model: String,
    /// The conversation, if the request names one.
    pub session: Option<String>,
    /// The text of the last user message: this turn's input.
    pub input: String,
    /// The messages before it, when the request names no session and
    /// sends some: the conversation the client keeps, this turn's history
    /// (not stored).
    pub history: Option<Vec<Prior>>,
    /// Most tokens the model may write in a reply (`max_tokens`, or
    /// `max_completion_tokens`; the smaller if both are sent).
    pub max_tokens: Option<u32>,
    /// Whether a stream ends with a chunk giving the turn's `usage`
    /// (`stream_options.include_usage`).
    pub include_usage: bool,
    /// Whether to answer as server-sent events.
    pub stream: bool,
}

/// Who wrote an earlier message a client sends.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Speaker {
    System,
    User,
    Assistant,
}

/// An earlier message of a conversation the client keeps.
#[derive(Debug, PartialEq, Eq)]
pub struct Prior {
    pub speaker: Speaker,
    pub text: String,
}

#[derive(Deserialize)]
struct ChatBody {
    #[serde(default)]
    model: Option<String>,
    messages: Vec<MessageBody>,
    #[serde(default)]
    stream: Option<bool>,
    /// Choices asked for: the agent gives one.
    #[serde(default)]
    n: Option<u64>,
    /// The limit of a reply's tokens, under its older and newer names.
    #[serde(default)]
    max_tokens: Option<Value>,
    #[serde(default)]
    max_completion_tokens: Option<Value>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
    // OpenAI's `user` (an end-user label) is accepted and ignored: it is
    // never a session, since any client could name another's.
}

#[derive(Deserialize)]
struct MessageBody {
    role: String,
    #[serde(default)]
    content: Value,
}

/// Reads a chat request: the session from `header` (the `user` field is
/// not a session), the input from the last message, which must be the
/// user's.
pub fn chat(body: &[u8], header: Option<&str>) -> Result<Chat, Failure> {
    let body: ChatBody = serde_json::from_slice(body).map_err(|e| {
        Failure::invalid(
            "invalid_json",
            format!("the request body is not a chat completion request: {e}"),
        )
    })?;
    if body.n.is_some_and(|n| n != 1) {
        return Err(Failure::invalid(
            "unsupported_n",
            "the agent gives one answer per turn: leave out `n` or set it to 1",
        ));
    }
    let session = match header {
        Some(session) => Some(check_session(session)?),
        None => None,
    };
    let limits = [
        token_limit("max_tokens", body.max_tokens.as_ref())?,
        token_limit("max_completion_tokens", body.max_completion_tokens.as_ref())?,
    ];
    let max_tokens = limits.into_iter().flatten().min();
    let last = body.messages.last().ok_or_else(|| {
        Failure::invalid(
            "invalid_messages",
            "`messages` is empty: send at least one user message",
        )
    })?;
    if last.role != "user" {
        return Err(Failure::invalid(
            "invalid_messages",
            format!(
                "the last message is the {}'s: the agent answers a user message (it keeps the conversation itself, per session)",
                last.role
            ),
        ));
    }
    let input = text(&last.content).ok_or_else(|| {
        Failure::invalid(
            "invalid_messages",
            "the user message has no text: give `content` as a string or as text parts",
        )
    })?;
    let earlier = &body.messages[..body.messages.len() - 1];
    let history = if session.is_none() && !earlier.is_empty() {
        Some(earlier.iter().map(prior).collect::<Result<_, _>>()?)
    } else {
        None
    };
    Ok(Chat {
        model: body.model.unwrap_or_else(|| "asterbot".to_string()),
        session,
        input,
        history,
        max_tokens,
        include_usage: body
            .stream_options
            .and_then(|options| options.include_usage)
            .unwrap_or(false),
        stream: body.stream.unwrap_or(false),
    })
}

/// A token limit the request sets under `name`: a whole number from 1 to
/// 2^32 - 1 (`null` is no limit).
fn token_limit(name: &str, value: Option<&Value>) -> Result<Option<u32>, Failure> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                Failure::invalid(
                    "invalid_max_tokens",
                    format!("`{name}` must be a whole number from 1 to {}", u32::MAX),
                )
            }),
    }
}

/// An earlier message as the turn's history: a system (or developer),
/// user or assistant message with text. Tool messages are refused: the
/// agent runs its tools itself and never hands their calls to a client.
fn prior(message: &MessageBody) -> Result<Prior, Failure> {
    let speaker = match message.role.as_str() {
        "system" | "developer" => Speaker::System,
        "user" => Speaker::User,
        "assistant" => Speaker::Assistant,
        other => {
            return Err(Failure::invalid(
                "invalid_messages",
                format!(
                    "a `{other}` message cannot be part of the history: send system, user and assistant messages (the agent runs its tools itself)"
                ),
            ));
        }
    };
    // An assistant message that only called tools has no text: it adds
    // nothing to the conversation the agent reads.
    let text = text(&message.content).unwrap_or_default();
    Ok(Prior { speaker, text })
}

/// The text of a message's `content`: a string, or the text parts of a
/// list of parts.
fn text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|part| part["type"] == "text")
                .filter_map(|part| part["text"].as_str())
                .collect();
            let joined = texts.join("\n");
            (!joined.trim().is_empty()).then_some(joined)
        }
        _ => None,
    }
}

/// A session id is 1 to 128 letters, digits, `.`, `_`, `-`, `:` or `@`.
pub fn check_session(session: &str) -> Result<String, Failure> {
    let plain = session
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '@'));
    if session.is_empty() || session.len() > MAX_SESSION || !plain {
        return Err(Failure::invalid(
            "invalid_session",
            format!(
                "the session id must be 1 to {MAX_SESSION} letters, digits, `.`, `_`, `-`, `:` or `@` (from the `{SESSION_HEADER}` header)"
            ),
        ));
    }
    Ok(session.to_string())
}

/// A call waiting for approval, as answered.
pub struct Approval<'a> {
    pub id: &'a str,
    pub tool: &'a str,
    pub arguments: &'a str,
}

/// The `asterbot` extension of an answer: the session (none for a
/// conversation the client keeps) and the calls waiting for approval,
/// with where to decide them.
pub fn extension(session: Option<&str>, approvals: &[Approval<'_>]) -> Value {
    let approvals: Vec<Value> = approvals
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "tool": a.tool,
                "arguments": a.arguments,
                "decide": format!("/v1/approvals/{}", a.id),
            })
        })
        .collect();
    json!({"session": session, "approvals": approvals})
}

/// The model list: the agent is the one model.
pub fn models(created: u64) -> Value {
    json!({"object": "list", "data": [{
        "id": "asterbot",
        "object": "model",
        "created": created,
        "owned_by": "asterbot",
    }]})
}

/// A whole chat completion, which stopped for `finish` (`stop`, or
/// `length` when cut by the token limit).
pub fn completion(
    id: &str,
    created: u64,
    model: &str,
    reply: &str,
    finish: &str,
    usage: Value,
    extension: Value,
) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply},
            "finish_reason": finish,
            "logprobs": null,
        }],
        "usage": usage,
        "asterbot": extension,
    })
}

/// OpenAI's `usage` of a turn that read `input` tokens and wrote `output`.
pub fn usage(input: u32, output: u32) -> Value {
    json!({
        "prompt_tokens": input,
        "completion_tokens": output,
        "total_tokens": u64::from(input) + u64::from(output),
    })
}

/// The last chunk of a stream that asked for usage: no choices, the
/// turn's `usage`.
pub fn usage_chunk(id: &str, created: u64, model: &str, usage: Value) -> String {
    event(&json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }))
}

/// One server-sent event of a streamed completion.
pub fn chunk(id: &str, created: u64, model: &str, delta: Value, finish: Option<&str>) -> String {
    let chunk = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}],
    });
    event(&chunk)
}

/// `value` as one server-sent event.
pub fn event(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// The end of a stream.
pub const DONE: &str = "data: [DONE]\n\n";

/// What a decision request asks: allow or deny.
pub fn decision(body: &[u8]) -> Result<bool, Failure> {
    #[derive(Deserialize)]
    struct DecisionBody {
        decision: String,
    }
    let body: DecisionBody = serde_json::from_slice(body).map_err(|e| {
        Failure::invalid(
            "invalid_json",
            format!(
                "a decision is `{{\"decision\": \"allow\"}}` or `{{\"decision\": \"deny\"}}`: {e}"
            ),
        )
    })?;
    match body.decision.as_str() {
        "allow" => Ok(true),
        "deny" => Ok(false),
        other => Err(Failure::invalid(
            "invalid_decision",
            format!("unknown decision `{other}`: use `allow` or `deny`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("GET", "/"), Route::Page);
        assert_eq!(route("GET", "/healthz?x=1"), Route::Health);
        assert_eq!(route("GET", "/readyz"), Route::Ready);
        assert_eq!(route("GET", "/v1/models"), Route::Models);
        assert_eq!(route("POST", "/v1/chat/completions"), Route::Chat);
        assert_eq!(route("POST", "/v1/responses"), Route::Responses);
        assert_eq!(route("GET", "/v1/responses"), Route::WrongMethod("POST"));
        assert_eq!(
            route("GET", "/v1/chat/completions"),
            Route::WrongMethod("POST")
        );
        assert_eq!(
            route("POST", "/v1/approvals/ab12"),
            Route::Decide("ab12".into())
        );
        assert_eq!(route("POST", "/v1/approvals/"), Route::Unknown);
        assert_eq!(route("POST", "/v1/approvals/a/b"), Route::Unknown);
        assert_eq!(
            route("DELETE", "/v1/approvals/ab"),
            Route::WrongMethod("POST")
        );
        assert_eq!(route("GET", "/v2/models"), Route::Unknown);
    }

    #[test]
    fn the_input_is_the_last_user_message_and_only_the_header_names_the_session() {
        let body = br#"{"model":"m","user":"u1","messages":[
            {"role":"system","content":"be brief"},
            {"role":"user","content":"first"},
            {"role":"assistant","content":"ok"},
            {"role":"user","content":[{"type":"text","text":"what is"},{"type":"text","text":"6 * 7?"}]}]}"#;
        let chat = chat(body, None).unwrap();
        assert_eq!(chat.input, "what is\n6 * 7?");
        assert_eq!(chat.session, None, "the `user` field is not a session");
        let history = chat.history.as_deref().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[0].speaker, Speaker::System);
        assert_eq!(history[2].text, "ok");
        assert!(!chat.stream);
        let named = super::chat(body, Some("h-2")).unwrap();
        assert_eq!(named.session.as_deref(), Some("h-2"));
        assert_eq!(named.history, None, "a named session keeps its own history");
        assert_eq!(named.max_tokens, None);
        assert!(!named.include_usage);
        let counted = br#"{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}"#;
        assert!(super::chat(counted, None).unwrap().include_usage);
        assert_eq!(usage(3, 4)["total_tokens"], 7);
        let limited = br#"{"max_tokens":30,"max_completion_tokens":20,"messages":[{"role":"user","content":"x"}]}"#;
        assert_eq!(super::chat(limited, None).unwrap().max_tokens, Some(20));
    }

    #[test]
    fn bad_requests_say_what_to_send() {
        for (body, code) in [
            (&b"{not json"[..], "invalid_json"),
            (br#"{"messages":[]}"#, "invalid_messages"),
            (
                br#"{"messages":[{"role":"assistant","content":"x"}]}"#,
                "invalid_messages",
            ),
            (
                br#"{"messages":[{"role":"user","content":42}]}"#,
                "invalid_messages",
            ),
            (
                br#"{"n":2,"messages":[{"role":"user","content":"x"}]}"#,
                "unsupported_n",
            ),
            (
                br#"{"messages":[{"role":"tool","content":"1"},{"role":"user","content":"x"}]}"#,
                "invalid_messages",
            ),
            (
                br#"{"max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#,
                "invalid_max_tokens",
            ),
            (
                br#"{"max_completion_tokens":"9","messages":[{"role":"user","content":"x"}]}"#,
                "invalid_max_tokens",
            ),
            (
                br#"{"max_tokens":4294967296,"messages":[{"role":"user","content":"x"}]}"#,
                "invalid_max_tokens",
            ),
        ] {
            let failure = chat(body, None).unwrap_err();
            assert_eq!((failure.status, failure.code), (400, code), "{failure:?}");
            assert_eq!(failure.body()["error"]["type"], "invalid_request_error");
        }
        let failure = chat(
            br#"{"messages":[{"role":"user","content":"x"}]}"#,
            Some("a b"),
        );
        assert_eq!(failure.unwrap_err().code, "invalid_session");
        assert!(decision(br#"{"decision":"allow"}"#).unwrap());
        assert!(!decision(br#"{"decision":"deny"}"#).unwrap());
        assert_eq!(
            decision(br#"{"decision":"maybe"}"#).unwrap_err().code,
            "invalid_decision"
        );
    }

    #[test]
    fn chunks_are_server_sent_events() {
        let event = chunk("c1", 7, "m", json!({"content": "hi"}), None);
        assert!(event.starts_with("data: {") && event.ends_with("}\n\n"));
        let value: Value = serde_json::from_str(event.trim_start_matches("data: ").trim()).unwrap();
        assert_eq!(value["choices"][0]["delta"]["content"], "hi");
    }
}
