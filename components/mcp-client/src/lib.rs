//! Tools from an MCP server: the server's tools, offered to the model as
//! this component's own, and each call passed to the server, over MCP's
//! Streamable HTTP transport (JSON-RPC in `POST` requests, answered in
//! JSON or as server-sent events).
//!
//! The server is `ASTERBOT_MCP_URL` (e.g. `http://127.0.0.1:8000/mcp`);
//! the recipe must allow its host (`@allow-host`) like any other. An
//! optional `ASTERBOT_MCP_TOKEN` is sent as a bearer token.
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
            Ok(tools) => tools,
            Err(why) => {
                eprintln!("mcp-client: no tools from the MCP server: {why}");
                Vec::new()
            }
        }
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        with_session(|session| session.call_tool(&name, &arguments))?
    }
}

asterbot_sdk::export_tool_world!(Mcp);
