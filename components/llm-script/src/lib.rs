//! `llm-script`: an offline, deterministic language model.
//!
//! It answers from a script of rules (see [`script`]): the first rule whose
//! pattern matches the last user message or tool result decides the reply,
//! either text or tool calls. The script is the file named by the
//! `ASTERBOT_SCRIPT` environment variable, or the built-in default.
//!
//! It has no tokenizer: it counts four bytes of text a token, for the
//! `usage` it reports and for a request's `max-tokens`, which cuts its
//! text reply (at a word) and stops it with `max-tokens`.

use asterbot_sdk::worlds::llm_provider::{asterbot, exports};

pub mod script;
mod template;

use asterbot::agent::types::{Message, Role, ToolCall};
use exports::asterbot::agent::llm::{ChatReply, ChatRequest, Guest, LlmError, StopReason, Usage};
use script::{Reply, Script, Turn};

/// Environment variable naming a script file to use instead of the default.
pub const SCRIPT_ENV: &str = "ASTERBOT_SCRIPT";

struct ScriptedModel;

impl Guest for ScriptedModel {
    fn chat(request: ChatRequest) -> Result<ChatReply, LlmError> {
        let script = Script::load().map_err(LlmError::BadRequest)?;
        let turn = last_turn(&request.messages);
        let (content, tool_calls) = match script.reply_to(&turn) {
            Reply::Text(text) => (text, Vec::new()),
            Reply::Calls(mut calls) => {
                // A captured `7` is text where the tool's schema asks for text.
                for call in &mut calls {
                    if let Some(spec) = request.tools.iter().find(|t| t.name == call.name) {
                        call.arguments = template::fit_to_schema(&call.arguments, &spec.parameters);
                    }
                }
                (String::new(), calls)
            }
        };
        let (content, cut) = within(content, request.options.max_tokens);
        let stop_reason = if !tool_calls.is_empty() {
            StopReason::ToolCalls
        } else if cut {
            StopReason::MaxTokens
        } else {
            StopReason::EndTurn
        };
        let usage = Usage {
            input_tokens: estimate_tokens(request.messages.iter().map(|m| m.content.as_str())),
            output_tokens: estimate_tokens([content.as_str()]),
        };
        Ok(ChatReply {
            message: Message {
                role: Role::Assistant,
                content,
                tool_calls,
                tool_call_id: None,
            },
            stop_reason,
            usage,
        })
    }
}

/// What the script reacts to: the newest tool result if the conversation
/// ends with one, otherwise the newest user message.
fn last_turn(messages: &[Message]) -> Turn {
    let system = messages
        .iter()
        .find(|m| m.role == Role::System)
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let mut users = messages.iter().rev().filter(|m| m.role == Role::User);
    let input = users.next().map(|m| m.content.clone()).unwrap_or_default();
    let previous = users.next().map(|m| m.content.clone()).unwrap_or_default();
    let earlier: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::User)
        .map(|m| m.content.as_str())
        .collect();
    let said = earlier[..earlier.len().saturating_sub(1)].join("\n");
    match messages.last() {
        Some(last) if last.role == Role::Tool => Turn::ToolResult {
            tool: tool_name(messages, last.tool_call_id.as_deref()),
            result: last.content.clone(),
            input,
            system,
        },
        _ => Turn::User {
            input,
            previous,
            said,
            system,
        },
    }
}

/// The name of the tool whose call has id `id`.
fn tool_name(messages: &[Message], id: Option<&str>) -> String {
    messages
        .iter()
        .flat_map(|m| m.tool_calls.iter())
        .filter(|call: &&ToolCall| Some(call.id.as_str()) == id)
        .map(|call| call.name.clone())
        .next_back()
        .unwrap_or_default()
}

/// `content` cut to `max_tokens` as [`estimate_tokens`] counts them (four
/// bytes a token), at the last whitespace that fits, or at a character
/// boundary; and whether it was cut.
fn within(content: String, max_tokens: Option<u32>) -> (String, bool) {
    let Some(max) = max_tokens else {
        return (content, false);
    };
    let budget = (max as usize).saturating_mul(4);
    if content.len() <= budget {
        return (content, false);
    }
    let mut end = budget;
    while !content.is_char_boundary(end) {
        end -= 1;
    }
    let cut = content[..end]
        .rfind(char::is_whitespace)
        .filter(|&at| at > 0)
        .unwrap_or(end);
    (content[..cut].trim_end().to_string(), true)
}

/// A rough token count: four bytes a token. The scripted model has no
/// tokenizer; its `usage` and its `max-tokens` limit both count this way.
fn estimate_tokens<'a>(texts: impl IntoIterator<Item = &'a str>) -> u32 {
    let bytes: usize = texts.into_iter().map(str::len).sum();
    u32::try_from(bytes.div_ceil(4)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn a_reply_is_cut_to_the_token_limit_at_a_word() {
        let text = "once upon a time".to_string();
        assert_eq!(within(text.clone(), None), (text.clone(), false));
        assert_eq!(within(text.clone(), Some(4)), (text.clone(), false));
        assert_eq!(within(text.clone(), Some(2)), ("once".to_string(), true));
        assert_eq!(
            within("abcdefghij".to_string(), Some(1)),
            ("abcd".to_string(), true)
        );
    }
}

asterbot_sdk::export_llm_provider_world!(ScriptedModel);
