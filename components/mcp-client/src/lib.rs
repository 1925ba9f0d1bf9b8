//! Tools from an MCP server: the server's tools, offered to the model as
//! this component's own, and each call passed to the server, over MCP's
//! Streamable HTTP transport (JSON-RPC in `POST` requests, answered in
//! JSON or as server-sent events).
//!
//! The server is `ASTERBOT_MCP_URL` (e.g. `http://127.0.0.1:8000/mcp`);
//! the recipe must allow its host (`@allow-host`) like any other. An
//! optional `ASTERBOT_MCP_TOKEN` is sent as a bearer token.
//!
//! The server's tools are offered under its namespace, `mcp__add` for its
//! `add` (`ASTERBOT_MCP_NAME` names another namespace: `weather__add`),
//! so a server cannot shadow a built-in tool, nor switch one off by
//! listing its name (a name two tool sets list is withheld from both).
//! A description is cut to 1,024 characters: it is the server's text,
//! read by the model.
//!
//! A server that cannot be reached offers no tools (with a note on
//! stderr), and a call to it is a tool error the model reads: the turn
//! goes on without it.

mod session;

use asterbot_sdk::ToolSpec;
use asterbot_sdk::worlds::tool::exports::asterbot::agent::tools::Guest;
use session::Session;
use std::cell::RefCell;

/// The variable naming the server's endpoint.
const URL_ENV: &str = "ASTERBOT_MCP_URL";
/// The variable holding a bearer token for the server, if it wants one.
const TOKEN_ENV: &str = "ASTERBOT_MCP_TOKEN";
/// The variable naming the namespace of the server's tools.
const NAME_ENV: &str = "ASTERBOT_MCP_NAME";

/// Most characters of a tool's description passed to the model.
const DESCRIPTION_CHARS: usize = 1024;

/// What comes before a server tool's name: `<namespace>__`.
fn prefix() -> String {
    let name = std::env::var(NAME_ENV).unwrap_or_default();
    let name = if name.is_empty() {
        "mcp"
    } else {
        name.as_str()
    };
    format!("{name}__")
}

/// A server's tool as offered to the model: its name in the namespace
/// (`None` if that name is not one a model API takes), its description
/// cut.
fn offered(prefix: &str, tool: ToolSpec) -> Option<ToolSpec> {
    let name = format!("{prefix}{}", tool.name);
    let valid = name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        eprintln!(
            "mcp-client: the server's tool `{}` is left out: `{name}` is not a tool name (letters, digits, `_`, `-`, at most 64)",
            tool.name.escape_debug()
        );
        return None;
    }
    let description = match tool.description.char_indices().nth(DESCRIPTION_CHARS) {
        Some((end, _)) => format!("{}...", &tool.description[..end]),
        None => tool.description,
    };
    Some(ToolSpec {
        name,
        description,
        parameters: tool.parameters,
    })
}

thread_local! {
    /// The session with the server, opened on first use and kept for the
    /// life of the instance.
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

/// Runs `work` on the session, opening it first if need be.
fn with_session<T>(work: impl FnOnce(&mut Session) -> Result<T, String>) -> Result<T, String> {
    SESSION.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let url = std::env::var(URL_ENV).map_err(|_| {
                format!("no MCP server: set {URL_ENV} (and allow it with `@allow-env {URL_ENV}`)")
            })?;
            let token = std::env::var(TOKEN_ENV).ok();
            *slot = Some(Session::open(&url, token)?);
        }
        let result = work(slot.as_mut().expect("opened above"));
        if result.is_err() {
            // A failed exchange may mean the server restarted: the next
            // call opens a new session.
            *slot = None;
        }
        result
    })
}

struct Mcp;

impl Guest for Mcp {
    fn list() -> Vec<ToolSpec> {
        match with_session(Session::list_tools) {
            Ok(tools) => {
                let prefix = prefix();
                tools
                    .into_iter()
                    .filter_map(|tool| offered(&prefix, tool))
                    .collect()
            }
            Err(why) => {
                eprintln!("mcp-client: no tools from the MCP server: {why}");
                Vec::new()
            }
        }
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        let prefix = prefix();
        let Some(name) = name.strip_prefix(&prefix) else {
            return Err(format!(
                "`{name}` is not one of this MCP server's tools (they are named `{prefix}...`)"
            ));
        };
        with_session(|session| session.call_tool(name, &arguments))?
    }
}

asterbot_sdk::export_tool_world!(Mcp);

#[cfg(test)]
mod tests {
    use super::{ToolSpec, offered};

    fn tool(name: &str, description: &str) -> ToolSpec {
        ToolSpec {
            name: name.to_string(),
            description: description.to_string(),
            parameters: "{}".to_string(),
        }
    }

    #[test]
    fn a_servers_tools_are_namespaced_and_their_descriptions_cut() {
        let shadow = offered("mcp__", tool("http_fetch", &"é".repeat(5000))).unwrap();
        assert_eq!(shadow.name, "mcp__http_fetch");
        assert_eq!(shadow.description.chars().count(), 1024 + 3);
        assert_eq!(
            offered("mcp__", tool("add", "Adds.")).unwrap().description,
            "Adds."
        );
        assert!(offered("mcp__", tool("no spaces", "")).is_none());
        assert!(offered("mcp__", tool(&"x".repeat(60), "")).is_none());
    }
}
