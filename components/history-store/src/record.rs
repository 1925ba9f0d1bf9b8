//! The stored form of a message: JSON with the WIT field names
//! (`tool-calls`, `tool-call-id`) and lowercase roles, kept apart from the
//! generated bindings so the file format changes only on purpose.

use crate::{Message, Role, ToolCall};
use serde::{Deserialize, Serialize};

/// One stored message.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Record {
    role: StoredRole,
    content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<StoredCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredRole {
    System,
    User,
    Assistant,
    Tool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredCall {
    id: String,
    name: String,
    arguments: String,
}

impl From<&Message> for Record {
    fn from(message: &Message) -> Record {
        Record {
            role: match message.role {
                Role::System => StoredRole::System,
                Role::User => StoredRole::User,
                Role::Assistant => StoredRole::Assistant,
                Role::Tool => StoredRole::Tool,
            },
            content: message.content.clone(),
            tool_calls: message
                .tool_calls
                .iter()
                .map(|call| StoredCall {
                    id: call.id.clone(),
                    name: call.name.clone(),
                    arguments: call.arguments.clone(),
                })
                .collect(),
            tool_call_id: message.tool_call_id.clone(),
        }
    }
}

impl From<Record> for Message {
    fn from(record: Record) -> Message {
        Message {
            role: match record.role {
                StoredRole::System => Role::System,
                StoredRole::User => Role::User,
                StoredRole::Assistant => Role::Assistant,
                StoredRole::Tool => Role::Tool,
            },
            content: record.content,
            tool_calls: record
                .tool_calls
                .into_iter()
                .map(|call| ToolCall {
                    id: call.id,
                    name: call.name,
                    arguments: call.arguments,
                })
                .collect(),
            tool_call_id: record.tool_call_id,
        }
    }
}
