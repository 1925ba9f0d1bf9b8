//! Answers in the shape of the OpenAI and Anthropic APIs, runner flags that
//! point a provider component at a [`Peer`], and a small agent to test
//! providers with.

use super::http_peer::Peer;
use serde_json::{Value, json};

/// An OpenAI chat completion answering `text`.
pub fn openai_text(text: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 7}
    })
}

/// An OpenAI chat completion asking for one tool call.
pub fn openai_call(id: &str, name: &str, arguments: &str) -> Value {
    json!({
        "choices": [{"index": 0, "finish_reason": "tool_calls",
                     "message": {"role": "assistant", "content": null, "tool_calls": [
                         {"id": id, "type": "function",
                          "function": {"name": name, "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 9}
    })
}

/// An Anthropic Messages answer with `text`.
pub fn anthropic_text(text: &str) -> Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 50, "output_tokens": 7}
    })
}

/// An Anthropic Messages answer asking for one tool.
pub fn anthropic_call(id: &str, name: &str, input: Value) -> Value {
    json!({
        "id": "msg_2", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": "Let me work that out."},
                    {"type": "tool_use", "id": id, "name": name, "input": input}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 40, "output_tokens": 9}
    })
}

/// Runner flags sending `llm-openai` to `peer` with key `sk-test`.
pub fn openai_flags(peer: &Peer) -> Vec<String> {
    flags(&[
        "ASTERBOT_MODEL=openai/gpt-test".to_string(),
        format!("ASTERBOT_BASE_URL={}/v1", peer.url),
        "OPENAI_API_KEY=sk-test".to_string(),
    ])
}

/// Runner flags sending `llm-anthropic` to `peer` with key `ak-test`.
pub fn anthropic_flags(peer: &Peer) -> Vec<String> {
    flags(&[
        "ASTERBOT_MODEL=anthropic/claude-test".to_string(),
        format!("ASTERBOT_BASE_URL={}/v1", peer.url),
        "ANTHROPIC_API_KEY=ak-test".to_string(),
    ])
}

fn flags(env: &[String]) -> Vec<String> {
    let mut flags = vec!["--allow-host".to_string(), "127.0.0.1".to_string()];
    for var in env {
        flags.push("--env".to_string());
        flags.push(var.clone());
    }
    flags
}

/// A small agent on `model` (a component name): clock and calculator
/// tools, history in /state/history; the model may reach 127.0.0.1 with
/// the provider settings and keys.
pub fn agent_recipe(model: &str) -> String {
    format!(
        r#"package test:providers;
/// @allow-env ASTERBOT_MODEL ASTERBOT_BASE_URL ASTERBOT_API_KEY ASTERBOT_LLM_TIMEOUT ASTERBOT_LLM_RETRIES
/// @allow-env OPENAI_API_KEY ANTHROPIC_API_KEY
/// @allow-host 127.0.0.1
let model = new asterbot:{model} {{ ... }};
let no-context = new asterbot:context-end {{ ... }};
let clock = new asterbot:clock {{ ... }};
let calculator = new asterbot:calculator {{ ... }};
let tools = new asterbot:tools-join {{ first: calculator.tools, rest: clock.tools, ... }};
/// @allow-dir /state/history
let history = new asterbot:history-file {{ llm: model.llm, ... }};
let core = new asterbot:core {{
    llm: model.llm,
    tools: tools.tools,
    context: no-context.context,
    history: history.history,
    ...
}};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}
