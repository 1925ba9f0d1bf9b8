//! `trace-llm`: a `chat` span around every request on the `llm` edge it
//! stands on (inserted by `asterbot compose --trace`), with the model,
//! the token usage and the finish reason, or the error.

use asterbot_sdk::worlds::trace_llm::{asterbot, exports};

use asterbot::agent::llm as inner;
use asterbot::agent::tracing::{self, Attribute, Value};
use exports::asterbot::agent::llm::{ChatReply, ChatRequest, Guest, LlmError, StopReason};

fn text(key: &str, value: impl Into<String>) -> Attribute {
    Attribute {
        key: key.to_string(),
        value: Value::Text(value.into()),
    }
}

fn integer(key: &str, value: u32) -> Attribute {
    Attribute {
        key: key.to_string(),
        value: Value::Integer(i64::from(value)),
    }
}

/// OpenTelemetry's word for why the model stopped.
fn finish_reason(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn => "stop",
        StopReason::ToolCalls => "tool_calls",
        StopReason::MaxTokens => "length",
        StopReason::Other => "other",
    }
}

struct Traced;

impl Guest for Traced {
    fn chat(request: ChatRequest) -> Result<ChatReply, LlmError> {
        let model = request.options.model.clone();
        let name = if model.is_empty() {
            "chat".to_string()
        } else {
            format!("chat {model}")
        };
        let mut attributes = vec![text("gen_ai.operation.name", "chat")];
        if !model.is_empty() {
            attributes.push(text("gen_ai.request.model", model));
        }
        let span = tracing::start(&name, &attributes);
        let result = inner::chat(&request);
        match &result {
            Ok(reply) => tracing::end(
                span,
                &[
                    integer("gen_ai.usage.input_tokens", reply.usage.input_tokens),
                    integer("gen_ai.usage.output_tokens", reply.usage.output_tokens),
                    text(
                        "gen_ai.response.finish_reasons",
                        finish_reason(&reply.stop_reason),
                    ),
                ],
                None,
            ),
            Err(error) => tracing::end(span, &[], Some(&format!("{error:?}"))),
        }
        result
    }
}

asterbot_sdk::export_trace_llm_world!(Traced);
