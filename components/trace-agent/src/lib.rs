//! `trace-agent`: an `invoke_agent` span around every turn on the `agent`
//! edge it stands on (inserted by `asterbot compose --trace`), naming the
//! session; the turn's other spans open inside it.

use asterbot_sdk::worlds::trace_agent::{asterbot, exports};

use asterbot::agent::agent as inner;
use asterbot::agent::tracing::{self, Attribute, Value};
use exports::asterbot::agent::agent::{Guest, TurnOptions, TurnReply};

fn text(key: &str, value: &str) -> Attribute {
    Attribute {
        key: key.to_string(),
        value: Value::Text(value.to_string()),
    }
}

struct Traced;

impl Guest for Traced {
    fn converse(session: String, input: String) -> Result<String, String> {
        traced(&session, || inner::converse(&session, &input))
    }

    fn turn(session: String, input: String, options: TurnOptions) -> Result<TurnReply, String> {
        let options = inner::TurnOptions {
            history: options.history,
            max_tokens: options.max_tokens,
        };
        traced(&session, || inner::turn(&session, &input, &options)).map(|turn| TurnReply {
            answer: turn.answer,
            unsaved: turn.unsaved,
            truncated: turn.truncated,
            tool_calls: turn.tool_calls,
            usage: turn.usage,
        })
    }
}

/// Runs `turn` inside an `invoke_agent` span naming `session`.
fn traced<T>(session: &str, turn: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let span = tracing::start(
        "invoke_agent asterbot",
        &[
            text("gen_ai.operation.name", "invoke_agent"),
            text("gen_ai.agent.name", "asterbot"),
            text("gen_ai.conversation.id", session),
        ],
    );
    let result = turn();
    tracing::end(span, &[], result.as_ref().err().map(String::as_str));
    result
}

asterbot_sdk::export_trace_agent_world!(Traced);
