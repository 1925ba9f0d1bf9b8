//! A scripted HTTP server on 127.0.0.1 that plays an API (OpenAI,
//! Anthropic, a web site) for the real `wasi:http` clients in the agent:
//! it answers requests in order from a script and records what it got.

use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One scripted answer.
pub enum Answer {
    /// A status with a JSON body.
    Json(u16, Value),
    /// A status, extra headers and a raw body.
    Raw(u16, Vec<(&'static str, &'static str)>, String),
    /// A status with a JSON body, after a pause.
    Slow(std::time::Duration, Value),
    /// Never answer (the client must time out).
    Hang,
}

/// A request as the peer received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `POST`, `GET`, ...
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Received {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", self.body))
    }
}

/// A running peer.
pub struct Peer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Peer {
    /// Starts a peer answering with `script`, one answer per request; past
    /// the end it answers 500.
    pub fn start(script: Vec<Answer>) -> Peer {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("a local port");
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            let mut held = Vec::new();
            for mut request in server.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                log.lock().unwrap().push(Received {
                    method: request.method().to_string(),
                    path: request.url().to_string(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_ascii_lowercase(),
                                h.value.to_string(),
                            )
                        })
                        .collect(),
                    body,
                });
                let (status, headers, body) = match script.next() {
                    Some(Answer::Json(status, value)) => (
                        status,
                        vec![("content-type", "application/json")],
                        value.to_string(),
                    ),
                    Some(Answer::Raw(status, headers, body)) => (status, headers, body),
                    Some(Answer::Slow(pause, value)) => {
                        std::thread::sleep(pause);
                        (
                            200,
                            vec![("content-type", "application/json")],
                            value.to_string(),
                        )
                    }
                    Some(Answer::Hang) => {
                        held.push(request);
                        continue;
                    }
                    None => (500, Vec::new(), "the peer's script has ended".to_string()),
                };
                let mut response = tiny_http::Response::from_string(body).with_status_code(status);
                for (name, value) in headers {
                    response.add_header(tiny_http::Header::from_bytes(name, value).unwrap());
                }
                let _ = request.respond(response);
            }
        });
        Peer { url, received }
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
