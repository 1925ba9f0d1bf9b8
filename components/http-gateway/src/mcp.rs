//! The agent as an MCP server, over MCP's Streamable HTTP transport at
//! `POST /mcp`: one JSON-RPC message a request, answered in JSON.
//!
//! It offers the agent's own tools (through the same approval gate as the
//! agent's turns) and `converse`, a turn of the agent itself. The
//! `Mcp-Session-Id` it gives a client at `initialize` only names the
//! client's conversation: like the rest of the gateway, it keeps nothing
//! between requests, so any replica answers. What MCP calls
//! server-initiated messages (a `GET` stream) it does not send.
//!
//! The JSON-RPC is handled here, apart from WASI, and tested natively;
//! the gateway gives it the agent and the tools as an [`Agent`].

use serde_json::{Value, json};

/// The protocol revisions this server speaks (they differ in nothing it
/// uses); a client asking for another gets the newest.
const VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The tool that holds a turn with the agent itself.
pub const CONVERSE: &str = "converse";

/// What the MCP server drives.
pub trait Agent {
    /// The agent's own tools: name, description, JSON Schema of the
    /// arguments (as text).
    fn tools(&self) -> Vec<(String, String, String)>;
    /// Calls one of them in `session`.
    fn call(&self, session: &str, name: &str, arguments: &str) -> Result<String, String>;
    /// One turn of the agent in `session`.
    fn converse(&self, session: &str, message: &str) -> Result<String, String>;
}

/// The answer to one request: the HTTP status and the JSON body, if any.
#[derive(Debug, PartialEq)]
pub struct Answer {
    /// 200 for a request, 202 for a notification, 400 for garbage.
    pub status: u16,
    /// The JSON-RPC response.
    pub body: Option<Value>,
}

/// Answers the JSON-RPC message in `body`; `session` is the conversation
/// of tool calls and turns (from the request's headers, or `mcp`).
pub fn handle(body: &[u8], session: &str, agent: &dyn Agent) -> Answer {
    let message: Value = match serde_json::from_slice(body) {
        Ok(message) => message,
        Err(e) => {
            return Answer {
                status: 400,
                body: Some(error(Value::Null, -32700, &format!("not JSON: {e}"))),
            };
        }
    };
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        // A response (to nothing we sent) or a batch, which MCP no longer
        // has.
        return Answer {
            status: 400,
            body: Some(error(
                message.get("id").cloned().unwrap_or(Value::Null),
                -32600,
                "expected one JSON-RPC request or notification",
            )),
        };
    };
    let Some(id) = message.get("id").cloned() else {
        // A notification (`notifications/initialized`, a cancellation):
        // accepted, nothing to answer.
        return Answer {
            status: 202,
            body: None,
        };
    };
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": list(agent)})),
        "tools/call" => call(&params, session, agent),
        other => Err((-32601, format!("method `{other}` not found"))),
    };
    Answer {
        status: 200,
        body: Some(match result {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, message)) => error(id, code, &message),
        }),
    }
}

/// A JSON-RPC error response.
fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// The `initialize` result: the revision, and that it offers tools.
fn initialize(params: &Value) -> Value {
    let asked = params["protocolVersion"].as_str().unwrap_or_default();
    let version = VERSIONS
        .iter()
        .find(|v| **v == asked)
        .unwrap_or(&VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "asterbot", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "An asterbot agent. `converse` holds a turn with it (pass the same `session` to continue a conversation); the other tools are its own."
    })
}

/// `converse`, then the agent's own tools, as MCP lists them.
fn list(agent: &dyn Agent) -> Vec<Value> {
    let mut tools = vec![json!({
        "name": CONVERSE,
        "description": "Talks to the agent: one turn of the conversation `session` (a new one if not given). Returns the agent's answer.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "What to say to the agent."},
                "session": {"type": "string", "description": "The conversation to continue (1 to 128 letters, digits, `.`, `_`, `-`, `:` or `@`)."}
            },
            "required": ["message"]
        }
    })];
    for (name, description, parameters) in agent.tools() {
        if name == CONVERSE {
            continue;
        }
        let schema = serde_json::from_str::<Value>(&parameters)
            .ok()
            .filter(|schema| schema["type"] == "object")
            .unwrap_or_else(|| json!({"type": "object"}));
        tools.push(json!({"name": name, "description": description, "inputSchema": schema}));
    }
    tools
}

/// `tools/call`: a turn for `converse`, else the agent's tool. A tool's
/// failure is a result with `isError`, as MCP wants; only a request that
/// makes no sense is a JSON-RPC error.
fn call(params: &Value, session: &str, agent: &dyn Agent) -> Result<Value, (i64, String)> {
    let Some(name) = params["name"].as_str() else {
        return Err((-32602, "`tools/call` needs the tool's `name`".to_string()));
    };
    let arguments = match &params["arguments"] {
        Value::Null => json!({}),
        Value::Object(_) => params["arguments"].clone(),
        _ => return Err((-32602, "`arguments` must be an object".to_string())),
    };
    let outcome = if name == CONVERSE {
        match arguments["message"].as_str() {
            Some(message) => {
                let session = arguments["session"].as_str().unwrap_or(session);
                match crate::api::check_session(session) {
                    Ok(session) => agent.converse(&session, message),
                    Err(failure) => Err(failure.message),
                }
            }
            None => Err("`converse` needs a `message` (text)".to_string()),
        }
    } else if agent.tools().iter().any(|(tool, _, _)| tool == name) {
        agent.call(session, name, &arguments.to_string())
    } else {
        Err(format!("unknown tool `{name}`: see `tools/list`"))
    };
    let (text, is_error) = match outcome {
        Ok(text) => (text, false),
        Err(text) => (text, true),
    };
    Ok(json!({"content": [{"type": "text", "text": text}], "isError": is_error}))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An agent with one tool, `add`, that fails on negative numbers.
    struct Fake;

    impl Agent for Fake {
        fn tools(&self) -> Vec<(String, String, String)> {
            vec![(
                "add".into(),
                "Adds.".into(),
                r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#.into(),
            )]
        }
        fn call(&self, session: &str, name: &str, arguments: &str) -> Result<String, String> {
            let a: Value = serde_json::from_str(arguments).unwrap();
            match a["a"].as_i64() {
                Some(n) if n >= 0 => Ok(format!("{name} {n} in {session}")),
                _ => Err("negative".into()),
            }
        }
        fn converse(&self, session: &str, message: &str) -> Result<String, String> {
            Ok(format!("{session}: {message}"))
        }
    }

    fn ask(message: Value) -> Answer {
        handle(message.to_string().as_bytes(), "mcp", &Fake)
    }

    #[test]
    fn it_initializes_in_the_revision_asked_for_or_the_newest() {
        let answer = ask(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}));
        assert_eq!(answer.status, 200);
        let result = &answer.body.unwrap()["result"];
        assert_eq!(result["protocolVersion"], "2025-06-18");
        assert_eq!(result["serverInfo"]["name"], "asterbot");
        let answer = ask(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2099-01-01"}}),
        );
        assert_eq!(
            answer.body.unwrap()["result"]["protocolVersion"],
            VERSIONS[0]
        );
    }

    #[test]
    fn notifications_are_accepted_and_unknown_methods_refused() {
        let answer = ask(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        assert_eq!(
            answer,
            Answer {
                status: 202,
                body: None
            }
        );
        let answer = ask(json!({"jsonrpc": "2.0", "id": "x", "method": "server/discover"}));
        assert_eq!(answer.body.unwrap()["error"]["code"], -32601);
        let answer = handle(b"{", "mcp", &Fake);
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body.unwrap()["error"]["code"], -32700);
    }

    #[test]
    fn tools_are_listed_and_called_with_errors_as_results() {
        let answer = ask(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
        let tools = answer.body.unwrap()["result"]["tools"].clone();
        let names: Vec<&str> = tools
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["converse", "add"]);
        let call = |name: &str, arguments: Value| {
            ask(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": name, "arguments": arguments}}))
                .body
                .unwrap()["result"]
                .clone()
        };
        assert_eq!(
            call("add", json!({"a": 2})),
            json!({"content": [{"type": "text", "text": "add 2 in mcp"}], "isError": false})
        );
        assert_eq!(call("add", json!({"a": -2}))["isError"], true);
        assert_eq!(
            call("nope", json!({}))["content"][0]["text"],
            "unknown tool `nope`: see `tools/list`"
        );
        assert_eq!(
            call("converse", json!({"message": "hi", "session": "s1"}))["content"][0]["text"],
            "s1: hi"
        );
        assert_eq!(
            call(
                "converse",
                json!({"message": "hi", "session": "bad session"})
            )["isError"],
            true
        );
    }
}
