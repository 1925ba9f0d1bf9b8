//! The agent loop. One `converse` call is one turn: build the prompt from
//! the context chain and the stored history, ask the model, run the tool
//! calls it asks for, feed the results back, and stop at a final answer or
//! after a bounded number of rounds.

use asterbot_sdk::worlds::core::{asterbot, exports};

mod prompt;
mod turn;

struct Core;

impl exports::asterbot::agent::agent::Guest for Core {
    fn converse(session: String, input: String) -> Result<String, String> {
        turn::converse(&session, &input)
    }

    fn turn(
        session: String,
        input: String,
        options: exports::asterbot::agent::agent::TurnOptions,
    ) -> Result<exports::asterbot::agent::agent::TurnReply, String> {
        let turn = turn::run(&session, &input, options.history, options.max_tokens)?;
        Ok(exports::asterbot::agent::agent::TurnReply {
            answer: turn.answer,
            unsaved: turn.unsaved,
            truncated: turn.truncated,
            tool_calls: turn.tool_calls,
            usage: turn.usage,
        })
    }
}

asterbot_sdk::export_core_world!(Core);
