//! MCP both ways, against the official Python SDK (PyPI `mcp`) on
//! loopback:
//! - `asterbot:mcp-client` offers an MCP server's tools to the model and
//!   calls them (a result, a tool error, a server that is down);
//! - the served agent answers MCP at `POST /mcp`, offering its own tools
//!   and `converse`, to the SDK's own client.

mod common;

use common::http_peer::{Answer, Peer};
use common::providers::{openai_call, openai_flags, openai_text};
use common::serving::{Served, serve_agent};
use common::{compose_text, peer_python_module, reply, repo, run, strs};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The official SDK, or `None` where `ASTERBOT_SKIP_PEERS` lets it be
/// missing.
fn python_mcp() -> Option<Command> {
    peer_python_module("mcp", "pip install 'mcp>=2.3,<3'")
}

/// `tests/mcp/server.py` on a free port; killed when dropped.
struct McpServer {
    child: Child,
    url: String,
}

impl McpServer {
    fn start(mut python: Command) -> McpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = python
            .arg(repo().join("tests/mcp/server.py"))
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), format!("listening on {port}"));
        McpServer {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
        }
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An agent whose only tools are an MCP server's, with a model behind
/// the OpenAI API (the test's peer), both on 127.0.0.1.
fn mcp_agent(dir: &Path) -> std::path::PathBuf {
    compose_text(
        dir,
        "mcp",
        r#"package test:mcp;
/// @allow-env ASTERBOT_MODEL ASTERBOT_BASE_URL OPENAI_API_KEY
/// @allow-host 127.0.0.1
let model = new asterbot:llm-openai { ... };
/// The MCP server's tools; it may reach the server and nothing else.
/// @allow-env ASTERBOT_MCP_URL
/// @allow-host 127.0.0.1
let mcp = new asterbot:mcp-client { ... };
let no-context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: model.llm, ... };
let core = new asterbot:core { llm: model.llm, tools: mcp.tools, context: no-context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#,
    )
}

/// The names of the tools the model was offered in request `request`.
fn offered(request: &Value) -> Vec<String> {
    request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// The last message the model was sent: the tool result, in answer.
fn tool_result(request: &Value) -> String {
    let messages = request["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "tool", "{last}");
    last["content"].as_str().unwrap().to_string()
}

#[test]
fn the_mcp_client_offers_a_servers_tools_and_calls_them() {
    let Some(python) = python_mcp() else {
        return;
    };
    let server = McpServer::start(python);
    let dir = tempfile::tempdir().unwrap();
    let agent = mcp_agent(dir.path());
    let api = Peer::start(vec![
        Answer::Json(200, openai_call("c1", "mcp__add", r#"{"a": 2, "b": 3}"#)),
        Answer::Json(200, openai_text("It is 5.")),
        Answer::Json(
            200,
            openai_call("c2", "mcp__fail", r#"{"reason": "no luck"}"#),
        ),
        Answer::Json(200, openai_text("It failed.")),
    ]);
    let mut flags = openai_flags(&api);
    flags.extend(["--env".into(), format!("ASTERBOT_MCP_URL={}", server.url)]);
    assert_eq!(
        reply(&run(&agent, &strs(&flags), "what is 2 + 3?")),
        "It is 5."
    );
    assert_eq!(reply(&run(&agent, &strs(&flags), "fail")), "It failed.");

    let asked = api.received();
    let first = asked[0].json();
    // Under the server's namespace, so that it cannot claim another
    // tool's name.
    assert_eq!(
        offered(&first),
        ["mcp__add", "mcp__fail", "mcp__calculator"]
    );
    // The server's own description and JSON Schema reach the model.
    let add = &first["tools"][0]["function"];
    assert_eq!(add["description"], "Adds two integers.");
    assert_eq!(add["parameters"]["required"], serde_json::json!(["a", "b"]));
    assert_eq!(tool_result(&asked[1].json()), "5");
    // A tool error is the model's to read, and the turn goes on.
    let failed = tool_result(&asked[3].json());
    assert!(failed.contains("no luck"), "{failed}");
}

#[test]
fn an_mcp_server_cannot_shadow_or_switch_off_a_built_in_tool() {
    let Some(python) = python_mcp() else {
        return;
    };
    let server = McpServer::start(python);
    let dir = tempfile::tempdir().unwrap();
    // The server lists `calculator`, asterbot's own calculator's name.
    let recipe = std::fs::read_to_string(mcp_agent(dir.path()).with_extension("wac")).unwrap();
    let joined = recipe
        .replace(
            "let no-context",
            "let calculator = new asterbot:calculator { ... };\nlet tools = new asterbot:tools-join { first: calculator.tools, rest: mcp.tools, ... };\nlet no-context",
        )
        .replace("tools: mcp.tools, context", "tools: tools.tools, context");
    let agent = compose_text(dir.path(), "joined", &joined);
    let api = Peer::start(vec![
        Answer::Json(
            200,
            openai_call("c1", "calculator", r#"{"expression": "6 * 7"}"#),
        ),
        Answer::Json(200, openai_text("Built in.")),
        Answer::Json(
            200,
            openai_call("c2", "mcp__calculator", r#"{"expression": "6 * 7"}"#),
        ),
        Answer::Json(200, openai_text("From the server.")),
    ]);
    let mut flags = openai_flags(&api);
    flags.extend(["--env".into(), format!("ASTERBOT_MCP_URL={}", server.url)]);
    assert_eq!(reply(&run(&agent, &strs(&flags), "6 * 7")), "Built in.");
    assert_eq!(
        reply(&run(&agent, &strs(&flags), "6 * 7 there")),
        "From the server."
    );
    let asked = api.received();
    let first = asked[0].json();
    // Both are offered: the built-in under its name, the server's under
    // the server's namespace (had the server's tool kept the name, the
    // join would have withheld both: tests/sandbox.rs, the squatter).
    let names = offered(&first);
    assert!(names.contains(&"calculator".to_string()), "{names:?}");
    assert!(names.contains(&"mcp__calculator".to_string()), "{names:?}");
    assert_eq!(tool_result(&asked[1].json()), "42");
    assert_eq!(
        tool_result(&asked[3].json()),
        "the MCP server's calculator answered"
    );
    // The server's long description reaches the model cut.
    let description = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "mcp__calculator")
        .unwrap()["function"]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(description.chars().count(), 1024 + 3, "{description}");
}

#[test]
fn with_the_mcp_server_down_the_agent_still_answers_and_a_call_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let agent = mcp_agent(dir.path());
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = Peer::start(vec![
        Answer::Json(200, openai_call("c1", "mcp__add", r#"{"a": 2, "b": 3}"#)),
        Answer::Json(200, openai_text("The tool is down.")),
    ]);
    let mut flags = openai_flags(&api);
    flags.extend([
        "--env".into(),
        format!("ASTERBOT_MCP_URL=http://127.0.0.1:{port}/mcp"),
    ]);
    let output = run(&agent, &strs(&flags), "what is 2 + 3?");
    assert_eq!(reply(&output), "The tool is down.");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no tools from the MCP server"), "{stderr}");
    let asked = api.received();
    assert!(offered(&asked[0].json()).is_empty());
    let result = tool_result(&asked[1].json());
    assert!(result.contains("cannot reach the MCP server"), "{result}");
}

#[test]
fn without_an_allowed_host_the_mcp_client_reaches_nothing() {
    let Some(python) = python_mcp() else {
        return;
    };
    let server = McpServer::start(python);
    let dir = tempfile::tempdir().unwrap();
    // Control for the test above: the same agent, but the recipe does not
    // let the MCP client reach the server's host.
    let recipe = std::fs::read_to_string(mcp_agent(dir.path()).with_extension("wac")).unwrap();
    let denied = recipe.replace(
        "/// @allow-env ASTERBOT_MCP_URL\n/// @allow-host 127.0.0.1\n",
        "/// @allow-env ASTERBOT_MCP_URL\n",
    );
    assert_ne!(denied, recipe);
    let agent = compose_text(dir.path(), "denied", &denied);
    let api = Peer::start(vec![Answer::Json(200, openai_text("No tools here."))]);
    let mut flags = openai_flags(&api);
    flags.extend(["--env".into(), format!("ASTERBOT_MCP_URL={}", server.url)]);
    let output = run(&agent, &strs(&flags), "what is 2 + 3?");
    assert_eq!(reply(&output), "No tools here.");
    assert!(offered(&api.received()[0].json()).is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("denied"));
}

/// Runs `tests/mcp/client.py` against `url` with `calls`, asking with the
/// test key; its JSON lines.
fn official_client(mut python: Command, url: &str, calls: Value) -> Vec<Value> {
    let output = python
        .arg(repo().join("tests/mcp/client.py"))
        .arg(url)
        .arg(calls.to_string())
        .arg(common::serving::KEY)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the MCP client failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn the_served_agent_is_an_mcp_server_to_the_official_client() {
    let Some(python) = python_mcp() else {
        return;
    };
    let server = Served::asterbot(serve_agent(), &["--keyvalue", "memory"]);
    let lines = official_client(
        python,
        &format!("{}/mcp", server.url),
        serde_json::json!([
            ["calculator", {"expression": "6 * 7"}],
            ["converse", {"message": "what is 2 + 2?", "session": "m1"}],
            ["converse", {"message": "what did I say?", "session": "m1"}],
            ["calculator", {"expression": "6 *"}],
            ["memory_delete", {"name": "facts"}],
        ]),
    );
    let tools: Vec<&str> = lines[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tools[0], "converse");
    for tool in [
        "calculator",
        "dice",
        "clock",
        "memory_write",
        "memory_delete",
    ] {
        assert!(tools.contains(&tool), "{tools:?}");
    }
    assert_eq!(
        lines[1],
        serde_json::json!({"isError": false, "text": "42"})
    );
    assert_eq!(
        lines[2],
        serde_json::json!({"isError": false, "text": "The answer is 4."})
    );
    // `converse` keeps the conversation of its session.
    assert_eq!(
        lines[3]["text"],
        "Before this, you said: \"what is 2 + 2?\"."
    );
    assert_eq!(lines[4]["isError"], true);
    // A sensitive tool waits for a person, as in the agent's own turns.
    assert_eq!(lines[5]["isError"], true, "{}", lines[5]);
    let waiting = lines[5]["text"].as_str().unwrap();
    assert!(
        waiting.contains("waits for a person's approval: POST /v1/approvals/"),
        "{waiting}"
    );
}
