//! Accepting what models really send: tool calls without ids, arguments
//! that are objects instead of JSON text, or not JSON at all, and schemas
//! that are not objects.

use crate::ToolCall;
use serde_json::{Value, json};

/// A tool call from loosely shaped parts. A missing or empty `id` becomes
/// `call_<index>`; `arguments` text is kept as it is (if it is not valid
/// JSON the tool answers the model with a clear error), an object is
/// written out as JSON, and nothing at all is `{}`.
pub fn tool_call(
    index: usize,
    id: Option<&str>,
    name: &str,
    arguments: Option<&Value>,
) -> ToolCall {
    let id = match id.map(str::trim) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("call_{index}"),
    };
    let arguments = match arguments {
        Some(Value::String(text)) => text.clone(),
        None | Some(Value::Null) => "{}".to_string(),
        Some(other) => other.to_string(),
    };
    ToolCall {
        id,
        name: name.to_string(),
        arguments,
    }
}

/// The arguments of a call as a JSON object, for APIs that want an object:
/// text that is not a JSON object is kept under `invalid_arguments`.
pub fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(object)) => Value::Object(object),
        _ if arguments.trim().is_empty() => json!({}),
        _ => json!({ "invalid_arguments": arguments }),
    }
}

/// A tool's JSON Schema as a value; one that is not an object schema
/// becomes an empty object schema, so one bad tool does not break a request.
pub fn parameters_schema(parameters: &str) -> Value {
    match serde_json::from_str::<Value>(parameters) {
        Ok(Value::Object(object)) => Value::Object(object),
        _ => json!({ "type": "object", "properties": {} }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_tool_calls_are_made_usable() {
        let call = tool_call(2, None, "clock", None);
        assert_eq!(
            (call.id.as_str(), call.arguments.as_str()),
            ("call_2", "{}")
        );
        let call = tool_call(0, Some(" "), "calc", Some(&json!({"expression": "1+1"})));
        assert_eq!(
            (call.id.as_str(), call.arguments.as_str()),
            ("call_0", r#"{"expression":"1+1"}"#)
        );
        let call = tool_call(0, Some("abc"), "calc", Some(&json!("{oops")));
        assert_eq!(
            (call.id.as_str(), call.arguments.as_str()),
            ("abc", "{oops")
        );
        assert_eq!(
            arguments_object("{oops"),
            json!({"invalid_arguments": "{oops"})
        );
        assert_eq!(arguments_object(""), json!({}));
        assert_eq!(arguments_object(r#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(parameters_schema("nope")["type"], "object");
    }
}
