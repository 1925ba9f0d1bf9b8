//! Compaction: when a session's history grows past a token budget, the
//! older turns are summarised by the model into one system message and the
//! most recent turns are kept verbatim.
//!
//! Turns are cut only where a user message starts, so an assistant's tool
//! calls always stay with their results. If the model fails, nothing is
//! dropped: the history stays as it was.

use crate::{Message, Role};
use asterbot_sdk::types::{ChatOptions, ChatRequest};
use asterbot_sdk::worlds::history_compacting::asterbot::agent::llm::chat;

/// Environment variable: the token budget (default [`DEFAULT_BUDGET`]).
const BUDGET_ENV: &str = "ASTERBOT_HISTORY_BUDGET";

/// Environment variable: how many recent turns stay verbatim.
const KEEP_ENV: &str = "ASTERBOT_HISTORY_KEEP_TURNS";

/// Tokens a history may hold before it is compacted.
const DEFAULT_BUDGET: usize = 8000;

/// Recent turns kept word for word.
const DEFAULT_KEEP_TURNS: usize = 4;

/// How the summary message starts.
const SUMMARY_PREFIX: &str = "Summary of the earlier conversation: ";

/// What the model is asked to do.
const INSTRUCTION: &str = "Summarise this conversation for your own later use: the facts, decisions and open questions, in a few sentences.";

/// The history after compaction, or `None` when it fits or cannot be
/// compacted (too few turns, or the model failed).
pub fn compact(messages: &[Message]) -> Option<Vec<Message>> {
    let budget = setting(BUDGET_ENV, DEFAULT_BUDGET);
    if estimate_tokens(messages) <= budget {
        return None;
    }
    let cut = cut_point(messages, setting(KEEP_ENV, DEFAULT_KEEP_TURNS))?;
    let summary = summarise(&messages[..cut])?;
    let mut compacted = vec![Message {
        role: Role::System,
        content: format!("{SUMMARY_PREFIX}{summary}"),
        tool_calls: Vec::new(),
        tool_call_id: None,
    }];
    compacted.extend_from_slice(&messages[cut..]);
    Some(compacted)
}

/// A rough token count: four bytes a token, arguments included.
pub fn estimate_tokens(messages: &[Message]) -> usize {
    let bytes: usize = messages
        .iter()
        .map(|m| {
            m.content.len()
                + m.tool_calls
                    .iter()
                    .map(|c| c.arguments.len() + c.name.len())
                    .sum::<usize>()
        })
        .sum();
    bytes.div_ceil(4)
}

/// Where the kept part starts: at the user message that opens the
/// `keep`-th last turn; `None` if there is nothing older to summarise.
fn cut_point(messages: &[Message], keep: usize) -> Option<usize> {
    let cut = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.role == Role::User)
        .map(|(i, _)| i)
        .rev()
        .nth(keep.max(1) - 1)?;
    (cut > 0).then_some(cut)
}

/// The model's summary of `older`, or `None` if it gave none.
fn summarise(older: &[Message]) -> Option<String> {
    let transcript: Vec<String> = older.iter().map(line).collect();
    let request = ChatRequest {
        messages: vec![
            text(Role::System, INSTRUCTION),
            text(
                Role::User,
                &format!("{INSTRUCTION}\n\n{}", transcript.join("\n")),
            ),
        ],
        tools: Vec::new(),
        options: ChatOptions {
            model: String::new(),
            max_tokens: Some(512),
            temperature: None,
        },
    };
    let reply = chat(&request).ok()?.message;
    let summary = reply.content.trim();
    (!summary.is_empty()).then(|| summary.to_string())
}

/// One transcript line: `role: content`, tool calls spelled out.
fn line(message: &Message) -> String {
    let role = match message.role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool result",
    };
    let calls: Vec<String> = message
        .tool_calls
        .iter()
        .map(|c| format!(" [calls {}({})]", c.name, c.arguments))
        .collect();
    format!("{role}: {}{}", message.content, calls.concat())
}

fn text(role: Role, content: &str) -> Message {
    Message {
        role,
        content: content.to_string(),
        tool_calls: Vec::new(),
        tool_call_id: None,
    }
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolCall;

    fn message(role: Role, content: &str) -> Message {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// user, assistant+call, tool, assistant: one turn with a tool call.
    fn turn(question: &str) -> Vec<Message> {
        let mut call = message(Role::Assistant, "");
        call.tool_calls.push(ToolCall {
            id: "c".into(),
            name: "calculator".into(),
            arguments: "{}".into(),
        });
        let mut result = message(Role::Tool, "42");
        result.tool_call_id = Some("c".into());
        vec![
            message(Role::User, question),
            call,
            result,
            message(Role::Assistant, "42"),
        ]
    }

    #[test]
    fn the_cut_falls_on_a_user_message_so_calls_keep_their_results() {
        let history: Vec<Message> = ["a", "b", "c"].iter().flat_map(|q| turn(q)).collect();
        assert_eq!(cut_point(&history, 1), Some(8));
        assert_eq!(cut_point(&history, 2), Some(4));
        assert_eq!(history[4].role, Role::User);
        // Keeping as many turns as there are leaves nothing to summarise.
        assert_eq!(cut_point(&history, 3), None);
        assert_eq!(cut_point(&history, 0), Some(8));
    }

    #[test]
    fn tokens_are_estimated_from_contents_and_arguments() {
        assert_eq!(estimate_tokens(&[message(Role::User, "12345678")]), 2);
        // "42" twice, plus the call's name and arguments: 16 bytes.
        assert_eq!(estimate_tokens(&turn("")), 4);
    }
}
