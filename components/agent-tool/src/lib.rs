//! `agent-tool`: another agent as a tool (a sub-agent).
//!
//! It imports an agent (a second `asterbot:core`, with its own model,
//! tools, history and sandbox) and offers it to its caller as one tool.
//! The recipe names and describes the tool:
//!
//! ```text
//! /// @set ASTERBOT_TOOL_NAME=research
//! /// @set ASTERBOT_TOOL_DESCRIPTION=Looks something up on the web and reports.
//! let research = new asterbot:agent-tool { agent: researcher.agent, ... };
//! ```
//!
//! A call's `task` argument is the input of a new conversation of the
//! agent below (a session of its own per call, so one task never sees
//! another's), and the agent's answer is the tool's result. The agent
//! below sees nothing of its caller's conversation but the task.

use asterbot_sdk::worlds::agent_tool::{asterbot, exports};

use asterbot::agent::agent::converse;
use asterbot::agent::types::ToolSpec;
use exports::asterbot::agent::tools::Guest;
use std::sync::atomic::{AtomicU64, Ordering};

/// The setting naming the tool.
pub const NAME_ENV: &str = "ASTERBOT_TOOL_NAME";
/// The setting describing it to the model.
pub const DESCRIPTION_ENV: &str = "ASTERBOT_TOOL_DESCRIPTION";
/// The tool's name when the recipe sets none.
pub const DEFAULT_NAME: &str = "ask_agent";
/// Its description when the recipe sets none.
const DEFAULT_DESCRIPTION: &str =
    "Hands a task to another agent, which has tools of its own, and returns its answer.";

/// Calls made so far by this instance, to name each call's session.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The setting `name`, or `default` when it is unset or blank.
fn setting(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The tool's name.
fn tool_name() -> String {
    setting(NAME_ENV, DEFAULT_NAME)
}

/// The JSON Schema of the tool's arguments.
fn parameters() -> String {
    serde_json::json!({
        "type": "object",
        "properties": {
            "task": {
                "type": "string",
                "description": "The task, in full: the agent that does it sees nothing else of this conversation."
            }
        },
        "required": ["task"]
    })
    .to_string()
}

/// The task in a call's arguments: the `task` field, or the arguments as
/// they are when they are not an object with one.
pub fn task_of(arguments: &str) -> Result<String, String> {
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(serde_json::Value::Object(fields)) => match fields.get("task") {
            Some(serde_json::Value::String(task)) if !task.trim().is_empty() => Ok(task.clone()),
            Some(serde_json::Value::String(_)) | None => {
                Err("the call names no task: give `task`, the task in words".to_string())
            }
            Some(other) => Ok(other.to_string()),
        },
        _ if !arguments.trim().is_empty() => Ok(arguments.to_string()),
        _ => Err("the call names no task: give `task`, the task in words".to_string()),
    }
}

/// The session of one call: the tool's name, this process's time and a
/// count, so that no call continues another's conversation.
fn session(name: &str) -> String {
    let n = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{name}-{nanos:x}-{n}")
}

struct AgentTool;

impl Guest for AgentTool {
    fn list() -> Vec<ToolSpec> {
        vec![ToolSpec {
            name: tool_name(),
            description: setting(DESCRIPTION_ENV, DEFAULT_DESCRIPTION),
            parameters: parameters(),
        }]
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        let own = tool_name();
        if name != own {
            return Err(asterbot_sdk::chain::unknown_tool(&name));
        }
        let task = task_of(&arguments)?;
        converse(&session(&own), &task)
    }
}

asterbot_sdk::export_agent_tool_world!(AgentTool);

#[cfg(test)]
mod tests {
    use super::task_of;

    #[test]
    fn the_task_is_the_task_field_or_the_arguments() {
        assert_eq!(task_of(r#"{"task":"look up tea"}"#).unwrap(), "look up tea");
        assert_eq!(task_of("look up tea").unwrap(), "look up tea");
        assert_eq!(task_of(r#"{"task":7}"#).unwrap(), "7");
        assert!(task_of("{}").is_err());
        assert!(task_of(r#"{"task":"  "}"#).is_err());
        assert!(task_of("").is_err());
    }
}
