//! One turn of the conversation.

use crate::asterbot::agent::llm::{self, ChatOptions, ChatRequest, LlmError, StopReason};
use crate::asterbot::agent::types::{Message, Role, Section, ToolCall, Usage};
use crate::asterbot::agent::{context, history, tools};
use crate::prompt::system_prompt;
use asterbot_sdk::text::truncate_owned;

/// Most model requests in one turn; tool calls past it end the turn.
const MAX_ROUNDS: usize = 8;

/// Longest tool result handed to the model, in bytes.
const MAX_TOOL_RESULT_BYTES: usize = 16 * 1024;

/// A finished turn.
pub struct Turn {
    pub answer: String,
    /// Why the turn could not be stored; `None` once it is.
    pub unsaved: Option<String>,
    /// The model's last reply stopped at the token limit.
    pub truncated: bool,
    /// Tool calls the model asked for.
    pub tool_calls: u32,
    /// Tokens spent by the turn's model requests.
    pub usage: Usage,
}

/// What a turn asks of the model beyond its messages.
#[derive(Default)]
struct Asked {
    /// Most tokens the model may write in each reply.
    max_tokens: Option<u32>,
}

/// What the model's replies came to.
#[derive(Default)]
struct Tally {
    /// The last reply stopped at the token limit.
    truncated: bool,
    /// Tool calls the model asked for.
    tool_calls: u32,
    /// Tokens the model read and wrote, over every request.
    input_tokens: u32,
    output_tokens: u32,
}

/// Runs one turn and stores what was said, whatever the outcome; the
/// answer is kept when it cannot be stored (a person at a terminal still
/// reads it), with a warning.
pub fn converse(session: &str, input: &str) -> Result<String, String> {
    let turn = run(session, input, None, None)?;
    if let Some(e) = &turn.unsaved {
        eprintln!("asterbot: history not saved: {e}");
    }
    Ok(turn.answer)
}

/// Runs one turn and stores what was said, whatever the outcome: the
/// answer, and whether it could not be stored. A failed turn that could
/// not be stored either says both. A turn `given` its history (the
/// client keeps the conversation) neither loads nor stores one.
pub fn run(
    session: &str,
    input: &str,
    given: Option<Vec<Message>>,
    max_tokens: Option<u32>,
) -> Result<Turn, String> {
    let stateless = given.is_some();
    let earlier = match given {
        Some(earlier) => earlier,
        None => history::load(session).map_err(|e| format!("history unavailable: {e}"))?,
    };
    let sections = context::sections(session, asterbot_sdk::edges::input_for("context", input));
    let mut said = vec![text(Role::User, input)];
    let asked = Asked { max_tokens };
    let mut tally = Tally::default();
    let outcome = run_rounds(&sections, &earlier, &asked, &mut said, &mut tally);
    let turn = |answer, unsaved| Turn {
        answer,
        unsaved,
        truncated: tally.truncated,
        tool_calls: tally.tool_calls,
        usage: Usage {
            input_tokens: tally.input_tokens,
            output_tokens: tally.output_tokens,
        },
    };
    if stateless {
        return outcome.map(|answer| turn(answer, None));
    }
    if let Err(error) = &outcome {
        // Keep the record well-formed: every user turn gets an answer.
        said.push(text(Role::Assistant, &format!("(no answer: {error})")));
    }
    match (history::append(session, &said), outcome) {
        (Ok(()), Ok(answer)) => Ok(turn(answer, None)),
        (Err(e), Ok(answer)) => Ok(turn(answer, Some(format!("history not saved: {e}")))),
        (Ok(()), Err(error)) => Err(error),
        (Err(e), Err(error)) => Err(format!("{error}; history not saved: {e}")),
    }
}

/// Asks the model until it answers without tool calls, appending every
/// message of the turn to `said` and what the replies came to to `tally`.
fn run_rounds(
    sections: &[Section],
    earlier: &[Message],
    asked: &Asked,
    said: &mut Vec<Message>,
    tally: &mut Tally,
) -> Result<String, String> {
    let specs = tools::list();
    for round in 0..MAX_ROUNDS {
        let mut messages = vec![text(Role::System, &system_prompt(sections))];
        messages.extend_from_slice(earlier);
        messages.extend_from_slice(said);
        let request = ChatRequest {
            messages,
            tools: specs.clone(),
            options: ChatOptions {
                model: String::new(),
                max_tokens: asked.max_tokens,
                temperature: None,
            },
        };
        let answered = llm::chat(&request).map_err(describe)?;
        tally.truncated = answered.stop_reason == StopReason::MaxTokens;
        tally.input_tokens = tally
            .input_tokens
            .saturating_add(answered.usage.input_tokens);
        tally.output_tokens = tally
            .output_tokens
            .saturating_add(answered.usage.output_tokens);
        let mut reply = answered.message;
        reply.role = Role::Assistant;
        if reply.tool_calls.is_empty() {
            let answer = reply.content.clone();
            said.push(reply);
            return Ok(answer);
        }
        name_calls(&mut reply.tool_calls, round);
        let calls = reply.tool_calls.clone();
        let count = u32::try_from(calls.len()).unwrap_or(u32::MAX);
        tally.tool_calls = tally.tool_calls.saturating_add(count);
        said.push(reply);
        said.extend(calls.iter().map(run_tool));
    }
    let note = format!("I stopped after {MAX_ROUNDS} rounds of tool calls without a final answer.");
    said.push(text(Role::Assistant, &note));
    Ok(note)
}

/// Gives every call an id, so each tool result can refer to its call.
fn name_calls(calls: &mut [ToolCall], round: usize) {
    for (index, call) in calls.iter_mut().enumerate() {
        if call.id.is_empty() {
            call.id = format!("call-{round}-{index}");
        }
    }
}

/// Runs one tool call; an error becomes the result the model sees.
fn run_tool(call: &ToolCall) -> Message {
    let result = match tools::call(&call.name, &call.arguments) {
        Ok(output) => output,
        Err(error) => format!("error: {error}"),
    };
    Message {
        role: Role::Tool,
        content: truncate_owned(result, MAX_TOOL_RESULT_BYTES),
        tool_calls: Vec::new(),
        tool_call_id: Some(call.id.clone()),
    }
}

fn text(role: Role, content: &str) -> Message {
    Message {
        role,
        content: content.to_string(),
        tool_calls: Vec::new(),
        tool_call_id: None,
    }
}

/// Words for a failed model request.
fn describe(error: LlmError) -> String {
    match error {
        LlmError::Auth(m) => format!("the model rejected the credentials: {m}"),
        LlmError::RateLimited(m) => format!("the model is rate-limited: {m}"),
        LlmError::Unavailable(m) => format!("the model is unavailable: {m}"),
        LlmError::BadRequest(m) => format!("the model refused the request: {m}"),
        LlmError::InvalidResponse(m) => format!("the model's answer was not understood: {m}"),
    }
}
