//! One MCP session over Streamable HTTP: `initialize`, then
//! `tools/list` and `tools/call`, each a JSON-RPC request in a `POST`.

use asterbot_http::{HttpError, Request, Response, Url, send};
use asterbot_sdk::ToolSpec;
use serde_json::{Value, json};
use std::time::Duration;

/// The protocol revision asked for; the server answers with the one it
/// speaks, which later requests name.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// How long one exchange may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Bytes of a response kept.
const MAX_BODY: usize = 4 << 20;

/// A session with one server.
pub struct Session {
    url: Url,
    token: Option<String>,
    /// The server's `Mcp-Session-Id`, if it gave one.
    id: Option<String>,
    /// The protocol revision the server chose.
    version: String,
    next_id: u64,
}

impl Session {
    /// Opens a session: `initialize`, then `notifications/initialized`.
    pub fn open(url: &str, token: Option<String>) -> Result<Session, String> {
        let url = Url::parse(url).map_err(|e| format!("ASTERBOT_MCP_URL `{url}`: {e}"))?;
        let mut session = Session {
            url,
            token,
            id: None,
            version: PROTOCOL_VERSION.to_string(),
            next_id: 1,
        };
        let (result, response) = session.request_with_response(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "asterbot-mcp-client", "version": env!("CARGO_PKG_VERSION")},
            }),
        )?;
        session.id = response.header("mcp-session-id").map(str::to_string);
        if let Some(version) = result["protocolVersion"].as_str() {
            session.version = version.to_string();
        }
        session.notify("notifications/initialized")?;
        Ok(session)
    }

    /// The server's tools, as the model is told about them.
    pub fn list_tools(&mut self) -> Result<Vec<ToolSpec>, String> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(cursor) => json!({"cursor": cursor}),
                None => json!({}),
            };
            let result = self.request("tools/list", params)?;
            for tool in result["tools"].as_array().into_iter().flatten() {
                let Some(name) = tool["name"].as_str() else {
                    continue;
                };
                let schema = match &tool["inputSchema"] {
                    Value::Null => json!({"type": "object"}),
                    schema => schema.clone(),
                };
                tools.push(ToolSpec {
                    name: name.to_string(),
                    description: tool["description"].as_str().unwrap_or(name).to_string(),
                    parameters: schema.to_string(),
                });
            }
            match result["nextCursor"].as_str() {
                Some(next) if Some(next) != cursor.as_deref() => cursor = Some(next.to_string()),
                _ => return Ok(tools),
            }
        }
    }

    /// Calls tool `name`; its text, or its error text, for the model.
    /// The outer error is a failed exchange, the inner one the tool's.
    pub fn call_tool(
        &mut self,
        name: &str,
        arguments: &str,
    ) -> Result<Result<String, String>, String> {
        let arguments: Value = if arguments.trim().is_empty() {
            json!({})
        } else {
            match serde_json::from_str(arguments) {
                Ok(value) => value,
                Err(e) => return Ok(Err(format!("invalid arguments for tool `{name}`: {e}"))),
            }
        };
        let result = match self.request("tools/call", json!({"name": name, "arguments": arguments}))
        {
            Ok(result) => result,
            // The server refused the call itself (an unknown tool, bad
            // arguments): the model should know, the session is fine.
            Err(Failure::Refused(message)) => return Ok(Err(message)),
            Err(other) => return Err(other.to_string()),
        };
        let text = content_text(&result);
        if result["isError"].as_bool() == Some(true) {
            Ok(Err(text))
        } else {
            Ok(Ok(text))
        }
    }

    /// Sends a request and returns its result.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        self.request_with_response(method, params)
            .map(|(result, _)| result)
    }

    fn request_with_response(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<(Value, Response), Failure> {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self.post(&message)?;
        if !(200..300).contains(&response.status) {
            return Err(Failure::Exchange(format!(
                "`{method}` was answered {} {}",
                response.status,
                excerpt(&response.text())
            )));
        }
        let reply = find_reply(&response, id).ok_or_else(|| {
            Failure::Exchange(format!(
                "no answer to `{method}` in the response: {}",
                excerpt(&response.text())
            ))
        })?;
        if let Some(error) = reply.get("error") {
            let message = error["message"]
                .as_str()
                .unwrap_or("an error without a message");
            return Err(Failure::Refused(format!(
                "the MCP server refused `{method}`: {message}"
            )));
        }
        Ok((reply["result"].clone(), response))
    }

    /// Sends a notification (no answer expected).
    fn notify(&mut self, method: &str) -> Result<(), Failure> {
        let response = self.post(&json!({"jsonrpc": "2.0", "method": method}))?;
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            Err(Failure::Exchange(format!(
                "`{method}` was answered {}",
                response.status
            )))
        }
    }

    /// POSTs one JSON-RPC message.
    fn post(&self, message: &Value) -> Result<Response, Failure> {
        let mut request = Request::post_json(self.url.clone(), message.to_string().into_bytes())
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", &self.version);
        if let Some(id) = &self.id {
            request = request.header("mcp-session-id", id);
        }
        if let Some(token) = &self.token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        request.timeout = TIMEOUT;
        request.max_body = MAX_BODY;
        send(&request).map_err(|e| Failure::Exchange(describe(&e)))
    }
}

/// Why an exchange with the server failed.
enum Failure {
    /// The server answered with a JSON-RPC error.
    Refused(String),
    /// No usable answer: unreachable, an HTTP error, a garbled response.
    Exchange(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(why) | Failure::Exchange(why) => f.write_str(why),
        }
    }
}

impl From<Failure> for String {
    fn from(failure: Failure) -> String {
        failure.to_string()
    }
}

fn describe(error: &HttpError) -> String {
    format!("cannot reach the MCP server: {error}")
}

/// The JSON-RPC message answering request `id`: the body itself, or one
/// of the server-sent events in it.
fn find_reply(response: &Response, id: u64) -> Option<Value> {
    let is_reply = |message: &Value| message["id"].as_u64() == Some(id);
    let text = response.text();
    let streamed = response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if !streamed {
        let message: Value = serde_json::from_str(&text).ok()?;
        return match message {
            Value::Array(batch) => batch.into_iter().find(is_reply),
            message => is_reply(&message).then_some(message),
        };
    }
    events(&text)
        .filter_map(|data| serde_json::from_str::<Value>(&data).ok())
        .find(is_reply)
}

/// The `data` of each server-sent event in `text` (multi-line data joined
/// with newlines, as the format says).
fn events(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split("\n\n")
        .flat_map(|block| block.split("\r\n\r\n"))
        .filter_map(|block| {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|data| data.strip_prefix(' ').unwrap_or(data))
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
}

/// The model's view of a tool result: its text parts, and a note for
/// each part that is not text.
fn content_text(result: &Value) -> String {
    let mut parts = Vec::new();
    for item in result["content"].as_array().into_iter().flatten() {
        match item["type"].as_str() {
            Some("text") => parts.push(item["text"].as_str().unwrap_or_default().to_string()),
            Some("resource") => parts.push(
                item["resource"]["text"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "[resource {}]",
                            item["resource"]["uri"].as_str().unwrap_or("?")
                        )
                    }),
            ),
            Some(other) => parts.push(format!("[{other} content]")),
            None => {}
        }
    }
    if parts.is_empty()
        && let Some(structured) = result.get("structuredContent")
    {
        return structured.to_string();
    }
    parts.join("\n")
}

/// At most 300 characters of `text`, for messages.
fn excerpt(text: &str) -> String {
    asterbot_sdk::text::truncate_utf8(text.trim(), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(content_type: &str, body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn a_reply_comes_as_json_or_as_an_event() {
        let json = response(
            "application/json",
            r#"{"jsonrpc":"2.0","id":2,"result":{"ok":1}}"#,
        );
        assert_eq!(find_reply(&json, 2).unwrap()["result"]["ok"], 1);
        assert!(find_reply(&json, 3).is_none());
        let sse = response(
            "text/event-stream",
            "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\r\n\r\nevent: message\r\nid: 7\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"ok\":2}}\r\n\r\n",
        );
        assert_eq!(find_reply(&sse, 2).unwrap()["result"]["ok"], 2);
    }

    #[test]
    fn a_result_reads_as_text() {
        let result = json!({"content": [{"type": "text", "text": "5"}, {"type": "image", "data": "", "mimeType": "image/png"}]});
        assert_eq!(content_text(&result), "5\n[image content]");
        assert_eq!(
            content_text(&json!({"content": [], "structuredContent": {"a": 1}})),
            r#"{"a":1}"#
        );
    }
}
