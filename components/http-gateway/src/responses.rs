//! `POST /v1/responses`, the Open Responses shape, apart from WASI: how a
//! request is read, the response object, the streamed events and the
//! record a response leaves for `previous_response_id`. Tested natively.
//!
//! - **Input.** `input` is a string (one user message) or a list of
//!   message items (`{"type": "message", "role", "content"}`, `type` may be
//!   left out) whose content is a string or `input_text` / `output_text`
//!   parts. The last item must be the user's: it is the turn's input; the
//!   items before it are earlier turns of the conversation. Function calls
//!   and their outputs are refused: the agent runs its own tools.
//! - **Instructions.** `instructions` reach the model as a leading system
//!   message of this turn's history, after the agent's own system prompt.
//!   They apply to this response only: a response continued later does
//!   not carry them over (as the specification says of
//!   `previous_response_id`).
//! - **Conversations.** The gateway keeps each response's conversation
//!   (its input and output messages after those of the response it
//!   continues) under the response id, for the key that asked: a later
//!   request naming it as `previous_response_id` continues from there, and
//!   another key naming it gets a `404`. The conversation is handed to the
//!   turn as its history, so the agent's own session store keeps no copy;
//!   a chain of responses shares one session for approvals and notes.
//!   `store: false` keeps nothing: such a response cannot be continued.
//! - **Output.** One assistant message with one `output_text` part. A call
//!   that waits for a person's approval is told in that message, as a chat
//!   completion tells it, and listed under the `asterbot` extension.

use crate::api::{Failure, Prior, Speaker};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Longest conversation kept for one response, in bytes of its JSON: the
/// oldest turns go first past it.
const MAX_KEPT: usize = crate::api::MAX_BODY;

/// What a response request asks for.
#[derive(Debug, PartialEq)]
pub struct Request {
    /// The model name, echoed back.
    pub model: String,
    /// The text of the last user message: this turn's input.
    pub input: String,
    /// The input items before it.
    pub earlier: Vec<Prior>,
    /// A system-prompt addition for this response only.
    pub instructions: Option<String>,
    /// The response this one continues.
    pub previous: Option<String>,
    /// Most tokens the model may write in a reply.
    pub max_output_tokens: Option<u32>,
    /// Whether the conversation is kept for a later response.
    pub store: bool,
    /// Echoed back.
    pub metadata: Value,
    /// Whether to answer as server-sent events.
    pub stream: bool,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    model: Option<String>,
    input: Value,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    previous_response_id: Option<String>,
    #[serde(default)]
    max_output_tokens: Option<Value>,
    #[serde(default)]
    store: Option<bool>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    tools: Option<Vec<Value>>,
    #[serde(default)]
    background: Option<bool>,
}

fn invalid_input(message: impl Into<String>) -> Failure {
    Failure::invalid("invalid_input", message)
}

/// Reads a response request.
pub fn request(body: &[u8]) -> Result<Request, Failure> {
    let body: Body = serde_json::from_slice(body).map_err(|e| {
        Failure::invalid(
            "invalid_json",
            format!("the request body is not a response request: {e}"),
        )
    })?;
    if body.tools.as_ref().is_some_and(|tools| !tools.is_empty()) {
        return Err(Failure::invalid(
            "unsupported_tools",
            "the agent runs its own tools: leave out `tools`",
        ));
    }
    if body.background == Some(true) {
        return Err(Failure::invalid(
            "unsupported_background",
            "responses run while the request waits: leave out `background`",
        ));
    }
    let max_output_tokens = match body.max_output_tokens {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    Failure::invalid(
                        "invalid_max_output_tokens",
                        format!(
                            "`max_output_tokens` must be a whole number from 1 to {}",
                            u32::MAX
                        ),
                    )
                })?,
        ),
    };
    if let Some(id) = &body.previous_response_id {
        check_id(id)?;
    }
    let mut items = match body.input {
        Value::String(text) if !text.trim().is_empty() => vec![Prior {
            speaker: Speaker::User,
            text,
        }],
        Value::Array(items) => items.iter().map(item).collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(invalid_input(
                "`input` is a string or a list of message items, ending with the user's",
            ));
        }
    };
    let last = items
        .pop()
        .filter(|last| last.speaker == Speaker::User && !last.text.trim().is_empty())
        .ok_or_else(|| {
            invalid_input(
                "the last input item must be a user message with text: the agent answers it",
            )
        })?;
    Ok(Request {
        model: body.model.unwrap_or_else(|| "asterbot".to_string()),
        input: last.text,
        earlier: items,
        instructions: body.instructions.filter(|text| !text.trim().is_empty()),
        previous: body.previous_response_id,
        max_output_tokens,
        store: body.store.unwrap_or(true),
        metadata: body.metadata.unwrap_or_else(|| json!({})),
        stream: body.stream.unwrap_or(false),
    })
}

/// One input item: a message of the user, the assistant, or the
/// system (or developer).
fn item(item: &Value) -> Result<Prior, Failure> {
    let kind = item["type"].as_str().unwrap_or("message");
    if kind != "message" {
        return Err(invalid_input(format!(
            "an input item of type `{kind}` cannot be used: send message items (the agent runs its own tools)"
        )));
    }
    let speaker = match item["role"].as_str() {
        Some("user") => Speaker::User,
        Some("assistant") => Speaker::Assistant,
        Some("system" | "developer") => Speaker::System,
        other => {
            return Err(invalid_input(format!(
                "a message item's role is `user`, `assistant`, `system` or `developer`, not {}",
                other.map_or("missing".to_string(), |role| format!("`{role}`"))
            )));
        }
    };
    let text = match &item["content"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|part| matches!(part["type"].as_str(), Some("input_text" | "output_text")))
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => {
            return Err(invalid_input(
                "a message item's `content` is a string or a list of `input_text` parts",
            ));
        }
    };
    Ok(Prior { speaker, text })
}

/// A response id is `resp_` and 1 to 64 letters or digits.
fn check_id(id: &str) -> Result<(), Failure> {
    let ok = id.strip_prefix("resp_").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 64 && rest.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if ok {
        Ok(())
    } else {
        Err(Failure::invalid(
            "invalid_previous_response_id",
            "`previous_response_id` is a response id this agent gave (`resp_...`)",
        ))
    }
}

/// The answer when `previous_response_id` names no response of this key.
pub fn unknown_previous(id: &str) -> Failure {
    Failure::new(
        404,
        "invalid_request_error",
        "previous_response_not_found",
        format!("no response `{id}` was kept for this key: continue one of your own responses"),
    )
}

/// The record kept for a response: the conversation so far and the
/// session its chain runs in.
#[derive(Serialize, Deserialize, Default)]
pub struct Kept {
    pub session: String,
    pub messages: Vec<KeptMessage>,
}

/// A message of a kept conversation.
#[derive(Serialize, Deserialize, Clone)]
pub struct KeptMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub text: String,
}

impl KeptMessage {
    pub fn new(speaker: Speaker, text: &str) -> KeptMessage {
        let role = match speaker {
            Speaker::System => "system",
            Speaker::User => "user",
            Speaker::Assistant => "assistant",
        };
        KeptMessage {
            role: role.to_string(),
            text: text.to_string(),
        }
    }

    pub fn speaker(&self) -> Speaker {
        match self.role.as_str() {
            "system" => Speaker::System,
            "assistant" => Speaker::Assistant,
            _ => Speaker::User,
        }
    }
}

impl Kept {
    /// The key a response of `principal` is kept under (in the gateway's
    /// own part of the store).
    pub fn key(principal: &str, id: &str) -> String {
        format!("responses/{principal}/{id}")
    }

    /// The kept conversation as JSON, its oldest turns dropped until it
    /// fits [`MAX_KEPT`].
    pub fn fitted(&mut self) -> String {
        loop {
            let text = serde_json::to_string(self).unwrap_or_default();
            if text.len() <= MAX_KEPT || self.messages.len() <= 2 {
                return text;
            }
            // Drop up to the next user message, so a turn stays whole.
            let next = self
                .messages
                .iter()
                .skip(1)
                .position(|m| m.role == "user")
                .map_or(self.messages.len() - 2, |at| at + 1);
            self.messages.drain(..next);
        }
    }
}

/// The usage of a turn that read `input` tokens and wrote `output`.
pub fn usage(input: u32, output: u32) -> Value {
    json!({
        "input_tokens": input,
        "output_tokens": output,
        "total_tokens": u64::from(input) + u64::from(output),
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    })
}

/// The assistant message of a response, as an output item.
pub fn message(id: &str, text: Option<&str>, status: &str) -> Value {
    let content: Vec<Value> = text.map(output_text).into_iter().collect();
    json!({
        "type": "message",
        "id": id,
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

/// An `output_text` content part.
pub fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

/// A response object: `status` is `in_progress`, `completed`,
/// `incomplete` or `failed`, with its output items, usage and error.
pub struct Resource<'a> {
    pub id: &'a str,
    pub created_at: u64,
    pub request: &'a Request,
}

impl Resource<'_> {
    /// The object at `status`.
    pub fn at(
        &self,
        status: &str,
        output: Vec<Value>,
        usage: Option<Value>,
        error: Option<&Failure>,
        extension: Option<Value>,
    ) -> Value {
        let finished = matches!(status, "completed" | "incomplete" | "failed");
        let request = self.request;
        let mut value = json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "completed_at": if finished { json!(now()) } else { Value::Null },
            "status": status,
            "incomplete_details": if status == "incomplete" {
                json!({"reason": "max_output_tokens"})
            } else {
                Value::Null
            },
            "model": request.model,
            "previous_response_id": request.previous,
            "instructions": request.instructions,
            "output": output,
            "error": error.map(|failure| json!({"code": failure.code, "message": failure.message})),
            "tools": [],
            "tool_choice": "auto",
            "truncation": "auto",
            "parallel_tool_calls": false,
            "text": {"format": {"type": "text"}},
            "top_p": 1.0,
            "presence_penalty": 0.0,
            "frequency_penalty": 0.0,
            "top_logprobs": 0,
            "temperature": 1.0,
            "reasoning": null,
            "usage": usage,
            "max_output_tokens": request.max_output_tokens,
            "max_tool_calls": null,
            "store": request.store,
            "background": false,
            "service_tier": "default",
            "metadata": request.metadata,
            "safety_identifier": null,
            "prompt_cache_key": null,
        });
        if let Some(extension) = extension {
            value["asterbot"] = extension;
        }
        value
    }
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Server-sent events of a streamed response, numbered in order.
#[derive(Default)]
pub struct Events {
    next: u64,
    pub text: String,
}

impl Events {
    /// Adds the event `kind` with `fields`.
    pub fn push(&mut self, kind: &str, mut fields: Value) -> &str {
        fields["type"] = json!(kind);
        fields["sequence_number"] = json!(self.next);
        self.next += 1;
        let start = self.text.len();
        self.text
            .push_str(&format!("event: {kind}\ndata: {fields}\n\n"));
        &self.text[start..]
    }

    /// Takes the events added so far.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

/// The events of a message item `item` from its start to its end, with
/// the whole `text` as one delta.
pub fn message_events(events: &mut Events, item: &str, text: &str, status: &str) {
    events.push(
        "response.output_item.added",
        json!({"output_index": 0, "item": message(item, None, "in_progress")}),
    );
    let at = json!({"item_id": item, "output_index": 0, "content_index": 0});
    let with = |mut base: Value, key: &str, value: Value| {
        base[key] = value;
        base
    };
    events.push(
        "response.content_part.added",
        with(at.clone(), "part", output_text("")),
    );
    events.push(
        "response.output_text.delta",
        with(
            with(at.clone(), "delta", json!(text)),
            "logprobs",
            json!([]),
        ),
    );
    events.push(
        "response.output_text.done",
        with(with(at.clone(), "text", json!(text)), "logprobs", json!([])),
    );
    events.push(
        "response.content_part.done",
        with(at, "part", output_text(text)),
    );
    events.push(
        "response.output_item.done",
        json!({"output_index": 0, "item": message(item, Some(text), status)}),
    );
}

/// The `error` event of a failed streamed response.
pub fn error_fields(failure: &Failure) -> Value {
    json!({"error": {
        "type": failure.kind,
        "code": failure.code,
        "message": failure.message,
        "param": null,
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_a_string_or_message_items_ending_with_the_users() {
        let plain = request(br#"{"model":"m","input":"hi"}"#).unwrap();
        assert_eq!(plain.input, "hi");
        assert!(plain.earlier.is_empty() && plain.store && !plain.stream);
        let items = request(
            br#"{"instructions":"be brief","previous_response_id":"resp_ab12","stream":true,"input":[
            {"role":"developer","content":"terse"},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]},
            {"type":"message","role":"user","content":[{"type":"input_text","text":"6 *"},{"type":"input_text","text":"7?"}]}]}"#,
        )
        .unwrap();
        assert_eq!(items.input, "6 *\n7?");
        assert_eq!(items.earlier.len(), 2);
        assert_eq!(items.earlier[0].speaker, Speaker::System);
        assert_eq!(items.instructions.as_deref(), Some("be brief"));
        assert_eq!(items.previous.as_deref(), Some("resp_ab12"));
        assert!(items.stream);
    }

    #[test]
    fn bad_requests_say_what_to_send() {
        for (body, code) in [
            (&b"{"[..], "invalid_json"),
            (br#"{"input":42}"#, "invalid_input"),
            (br#"{"input":[]}"#, "invalid_input"),
            (
                br#"{"input":[{"role":"assistant","content":"x"}]}"#,
                "invalid_input",
            ),
            (
                br#"{"input":[{"type":"function_call_output","call_id":"c","output":"1"},{"role":"user","content":"x"}]}"#,
                "invalid_input",
            ),
            (
                br#"{"input":"x","tools":[{"type":"function","name":"f"}]}"#,
                "unsupported_tools",
            ),
            (
                br#"{"input":"x","previous_response_id":"chatcmpl-1"}"#,
                "invalid_previous_response_id",
            ),
            (
                br#"{"input":"x","max_output_tokens":0}"#,
                "invalid_max_output_tokens",
            ),
        ] {
            let failure = request(body).unwrap_err();
            assert_eq!((failure.status, failure.code), (400, code), "{failure:?}");
        }
    }

    #[test]
    fn events_are_numbered_and_named() {
        let mut events = Events::default();
        message_events(&mut events, "msg_1", "hi", "completed");
        let lines: Vec<&str> = events
            .text
            .lines()
            .filter(|l| l.starts_with("data: "))
            .collect();
        assert_eq!(lines.len(), 6);
        let last: Value = serde_json::from_str(&lines[5][6..]).unwrap();
        assert_eq!(last["type"], "response.output_item.done");
        assert_eq!(last["sequence_number"], 5);
        assert_eq!(last["item"]["content"][0]["text"], "hi");
    }

    #[test]
    fn a_kept_conversation_drops_whole_old_turns_past_its_limit() {
        let long = "x".repeat(MAX_KEPT / 3);
        let mut kept = Kept {
            session: "s".into(),
            messages: (0..8)
                .map(|i| {
                    let speaker = if i % 2 == 0 {
                        Speaker::User
                    } else {
                        Speaker::Assistant
                    };
                    KeptMessage::new(speaker, &long)
                })
                .collect(),
        };
        assert!(kept.fitted().len() <= MAX_KEPT);
        assert_eq!(kept.messages[0].role, "user");
    }
}
