//! The reply every provider builds from its answer.

use crate::{ChatReply, Message, Role, StopReason, ToolCall, Usage};
use serde_json::Value;

/// The assistant's reply: `content` and `tool_calls`, the provider's own
/// stop reason (a reply with tool calls always stops for them), and the
/// token counts at `/usage/<input>` and `/usage/<output>` of `answer`.
pub fn assistant_reply(
    content: String,
    tool_calls: Vec<ToolCall>,
    stop_reason: StopReason,
    answer: &Value,
    (input, output): (&str, &str),
) -> ChatReply {
    let count = |key: &str| {
        answer
            .pointer(&format!("/usage/{key}"))
            .and_then(Value::as_u64)
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    let stop_reason = if tool_calls.is_empty() {
        stop_reason
    } else {
        StopReason::ToolCalls
    };
    ChatReply {
        message: Message {
            role: Role::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
        },
        stop_reason,
        usage: Usage {
            input_tokens: count(input),
            output_tokens: count(output),
        },
    }
}
