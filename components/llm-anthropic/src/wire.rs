//! The Messages API wire format: the system prompt at the top level, tool
//! calls as `tool_use` blocks, tool results as `tool_result` blocks of a
//! user message, and strictly alternating roles starting with the user.

use llm_http::reply::assistant_reply;
use llm_http::tolerant::{arguments_object, parameters_schema, tool_call};
use llm_http::{ChatReply, ChatRequest, Message, Role, StopReason};
use serde_json::{Map, Value, json};

/// `max_tokens` is required by the API; this is sent when none is asked.
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The JSON body of a Messages request.
pub fn encode(request: &ChatRequest, model: &str) -> Value {
    let system: Vec<&str> = request
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert(
        "max_tokens".into(),
        json!(request.options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(turns(&request.messages)));
    if !request.tools.is_empty() {
        let tools = request.tools.iter().map(|tool| {
            json!({
                "name": tool.name,
                "description": tool.description,
                "input_schema": parameters_schema(&tool.parameters),
            })
        });
        body.insert("tools".into(), Value::Array(tools.collect()));
    }
    if let Some(temperature) = request.options.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    Value::Object(body)
}

/// The conversation as alternating user/assistant messages of blocks.
fn turns(messages: &[Message]) -> Vec<Value> {
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for message in messages {
        let (role, blocks) = match message.role {
            Role::System => continue,
            Role::User => ("user", vec![text_block(&message.content)]),
            Role::Tool => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": message.tool_call_id.clone().unwrap_or_default(),
                    "content": message.content,
                })],
            ),
            Role::Assistant => {
                let mut blocks = Vec::new();
                if !message.content.trim().is_empty() || message.tool_calls.is_empty() {
                    blocks.push(text_block(&message.content));
                }
                blocks.extend(message.tool_calls.iter().map(|call| {
                    json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": arguments_object(&call.arguments),
                    })
                }));
                ("assistant", blocks)
            }
        };
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    if turns.first().is_some_and(|(role, _)| *role == "assistant") {
        turns.insert(0, ("user", vec![text_block("(earlier conversation)")]));
    }
    turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect()
}

/// A text block; the API refuses empty text, so emptiness is spelled out.
fn text_block(text: &str) -> Value {
    let text = if text.trim().is_empty() {
        "(empty)"
    } else {
        text
    };
    json!({ "type": "text", "text": text })
}

/// The reply in a Messages answer.
pub fn decode(answer: &Value) -> Result<ChatReply, String> {
    let blocks = answer
        .get("content")
        .and_then(Value::as_array)
        .ok_or("no `content` list in the answer")?;
    let mut content = String::new();
    let mut tool_calls = Vec::new();
    for block in blocks {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                content.push_str(block.get("text").and_then(Value::as_str).unwrap_or(""))
            }
            Some("tool_use") => {
                let name = block
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or("a `tool_use` block has no name")?;
                let id = block.get("id").and_then(Value::as_str);
                tool_calls.push(tool_call(tool_calls.len(), id, name, block.get("input")));
            }
            _ => {}
        }
    }
    let stop_reason = match answer.get("stop_reason").and_then(Value::as_str) {
        Some("end_turn") | Some("stop_sequence") | None => StopReason::EndTurn,
        Some("max_tokens") => StopReason::MaxTokens,
        Some("tool_use") => StopReason::ToolCalls,
        Some(_) => StopReason::Other,
    };
    let usage = ("input_tokens", "output_tokens");
    Ok(assistant_reply(
        content,
        tool_calls,
        stop_reason,
        answer,
        usage,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm_http::ChatOptions;
    use llm_http::ToolCall;

    fn msg(role: Role, content: &str) -> Message {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    #[test]
    fn roles_alternate_and_tool_results_are_user_blocks() {
        let mut assistant = msg(Role::Assistant, "");
        for (id, name) in [("t1", "clock"), ("t2", "calculator")] {
            assistant.tool_calls.push(ToolCall {
                id: id.into(),
                name: name.into(),
                arguments: "{bad".into(),
            });
        }
        let mut results = Vec::new();
        for id in ["t1", "t2"] {
            let mut result = msg(Role::Tool, "ok");
            result.tool_call_id = Some(id.into());
            results.push(result);
        }
        let mut messages = vec![
            msg(Role::System, "persona"),
            msg(Role::User, "hi"),
            assistant,
        ];
        messages.extend(results);
        messages.push(msg(Role::System, "memory"));
        let request = ChatRequest {
            messages,
            tools: Vec::new(),
            options: ChatOptions {
                model: String::new(),
                max_tokens: None,
                temperature: Some(0.5),
            },
        };
        let body = encode(&request, "claude-test");
        assert_eq!(body["system"], "persona\n\nmemory");
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        let turns = body["messages"].as_array().unwrap();
        assert_eq!(turns.len(), 3);
        assert_eq!(turns[1]["content"][0]["type"], "tool_use");
        assert_eq!(
            turns[1]["content"][0]["input"],
            json!({"invalid_arguments": "{bad"})
        );
        assert_eq!(turns[2]["role"], "user");
        assert_eq!(
            turns[2]["content"][1],
            json!({"type": "tool_result", "tool_use_id": "t2", "content": "ok"})
        );
        assert!(body.get("tools").is_none());
    }

    #[test]
    fn a_conversation_never_starts_with_the_assistant() {
        let request = ChatRequest {
            messages: vec![msg(Role::Assistant, "summary"), msg(Role::User, "")],
            tools: Vec::new(),
            options: ChatOptions {
                model: String::new(),
                max_tokens: Some(9),
                temperature: None,
            },
        };
        let body = encode(&request, "m");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["messages"][2]["content"][0]["text"], "(empty)");
    }

    #[test]
    fn replies_with_text_and_tool_use() {
        let answer = json!({
            "content": [{"type": "text", "text": "Let me check."},
                        {"type": "tool_use", "name": "clock", "input": {}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 20, "output_tokens": 5}
        });
        let reply = decode(&answer).unwrap();
        assert_eq!(reply.message.content, "Let me check.");
        assert_eq!(
            (reply.message.tool_calls[0].id.as_str(), reply.stop_reason),
            ("call_0", StopReason::ToolCalls)
        );
        assert_eq!(reply.usage.output_tokens, 5);
        assert!(decode(&json!({"id": "x"})).is_err());
    }
}
