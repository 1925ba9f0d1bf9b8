//! The chat completions wire format: requests out, replies in.

use llm_http::reply::assistant_reply;
use llm_http::tolerant::{parameters_schema, tool_call};
use llm_http::{ChatReply, ChatRequest, Message, Role, StopReason};
use serde_json::{Map, Value, json};

/// The JSON body of a chat completions request.
pub fn encode(request: &ChatRequest, model: &str) -> Value {
    let messages: Vec<Value> = request.messages.iter().map(message).collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    if !request.tools.is_empty() {
        let tools = request.tools.iter().map(|tool| {
            json!({
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": parameters_schema(&tool.parameters),
                }
            })
        });
        body.insert("tools".into(), Value::Array(tools.collect()));
    }
    if let Some(max) = request.options.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    if let Some(temperature) = request.options.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    Value::Object(body)
}

fn message(message: &Message) -> Value {
    match message.role {
        Role::System => json!({ "role": "system", "content": message.content }),
        Role::User => json!({ "role": "user", "content": message.content }),
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": message.content,
        }),
        Role::Assistant if message.tool_calls.is_empty() => {
            json!({ "role": "assistant", "content": message.content })
        }
        Role::Assistant => {
            let calls = message.tool_calls.iter().map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": call.arguments },
                })
            });
            let content = if message.content.is_empty() {
                Value::Null
            } else {
                json!(message.content)
            };
            json!({ "role": "assistant", "content": content, "tool_calls": calls.collect::<Vec<_>>() })
        }
    }
}

/// The reply in a chat completions answer.
pub fn decode(answer: &Value) -> Result<ChatReply, String> {
    let choice = answer
        .pointer("/choices/0")
        .ok_or("no `choices[0]` in the answer")?;
    let message = choice
        .get("message")
        .ok_or("no `message` in `choices[0]`")?;
    let content = text_of(message.get("content"));
    let mut tool_calls = Vec::new();
    for (index, call) in message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let function = call.get("function").unwrap_or(call);
        let name = function
            .get("name")
            .and_then(Value::as_str)
            .ok_or(format!("tool call {index} has no function name"))?;
        let id = call.get("id").and_then(Value::as_str);
        tool_calls.push(tool_call(index, id, name, function.get("arguments")));
    }
    let stop_reason = match choice.get("finish_reason").and_then(Value::as_str) {
        Some("stop") | Some("end_turn") | None => StopReason::EndTurn,
        Some("length") => StopReason::MaxTokens,
        Some("tool_calls") | Some("function_call") => StopReason::ToolCalls,
        Some(_) => StopReason::Other,
    };
    let usage = ("prompt_tokens", "completion_tokens");
    Ok(assistant_reply(
        content,
        tool_calls,
        stop_reason,
        answer,
        usage,
    ))
}

/// Message content as text: a string, or the text parts of a list.
fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm_http::ChatOptions;
    use llm_http::{ToolCall, ToolSpec};

    fn msg(role: Role, content: &str) -> Message {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    #[test]
    fn requests_carry_tools_calls_and_results() {
        let mut assistant = msg(Role::Assistant, "");
        assistant.tool_calls.push(ToolCall {
            id: "c1".into(),
            name: "calculator".into(),
            arguments: r#"{"expression":"6*7"}"#.into(),
        });
        let mut result = msg(Role::Tool, "42");
        result.tool_call_id = Some("c1".into());
        let request = ChatRequest {
            messages: vec![
                msg(Role::System, "be brief"),
                msg(Role::User, "6*7?"),
                assistant,
                result,
            ],
            tools: vec![ToolSpec {
                name: "calculator".into(),
                description: "Evaluates arithmetic.".into(),
                parameters: r#"{"type":"object","properties":{"expression":{"type":"string"}}}"#
                    .into(),
            }],
            options: ChatOptions {
                model: String::new(),
                max_tokens: Some(100),
                temperature: None,
            },
        };
        let body = encode(&request, "gpt-test");
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["max_tokens"], 100);
        assert!(body.get("temperature").is_none());
        assert_eq!(
            body["tools"][0]["function"]["parameters"]["properties"]["expression"]["type"],
            "string"
        );
        assert_eq!(body["messages"][2]["content"], Value::Null);
        assert_eq!(
            body["messages"][2]["tool_calls"][0]["function"]["arguments"],
            r#"{"expression":"6*7"}"#
        );
        assert_eq!(
            body["messages"][3],
            json!({"role": "tool", "tool_call_id": "c1", "content": "42"})
        );
    }

    #[test]
    fn replies_are_read_tolerantly() {
        let answer = json!({
            "choices": [{"finish_reason": "stop", "message": {"content": null, "tool_calls": [
                {"function": {"name": "clock", "arguments": {"zone": "UTC"}}},
                {"id": "x", "function": {"name": "calculator", "arguments": "{not json"}}
            ]}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3}
        });
        let reply = decode(&answer).unwrap();
        assert_eq!(reply.stop_reason, StopReason::ToolCalls);
        assert_eq!(reply.message.tool_calls[0].id, "call_0");
        assert_eq!(reply.message.tool_calls[0].arguments, r#"{"zone":"UTC"}"#);
        assert_eq!(reply.message.tool_calls[1].arguments, "{not json");
        assert_eq!(
            (reply.usage.input_tokens, reply.usage.output_tokens),
            (12, 3)
        );
        let reply = decode(&json!({"choices": [{"finish_reason": "length", "message": {"content": [{"type": "text", "text": "Hi"}]}}]})).unwrap();
        assert_eq!(
            (reply.message.content.as_str(), reply.stop_reason),
            ("Hi", StopReason::MaxTokens)
        );
        assert!(
            decode(&json!({"object": "list"}))
                .unwrap_err()
                .contains("choices")
        );
    }
}
