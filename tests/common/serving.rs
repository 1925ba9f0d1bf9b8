//! Serving an agent over HTTP in tests: `asterbot serve` (or `wasmtime
//! serve`) started on a free loopback port, and a small client.
//!
//! A served agent answers only keys: the servers started here are given
//! [`KEY`] to ask and [`APPROVER`] to decide waiting calls, and [`send`]
//! and [`chat`] ask with [`KEY`] unless told otherwise.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The API key the test servers are given (`Authorization: Bearer`).
pub const KEY: &str = "test-key-6f1d2c0b9a8e7d6c";

/// The approver key the test servers are given: the only key that
/// decides waiting calls.
pub const APPROVER: &str = "test-approver-5e4d3c2b1a09";

/// `Bearer KEY`, the header value of `key`.
pub fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

/// The flags giving `asterbot serve` the test keys.
pub fn key_flags() -> [&'static str; 4] {
    ["--api-key", KEY, "--approver-key", APPROVER]
}

/// A server process on loopback; killed when dropped.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What it wrote to stderr so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Served {
    /// Starts `command` (which must listen on port 0 of loopback) and
    /// waits for the line `marker` that names the address it got.
    pub fn start(mut command: Command, marker: &str) -> Served {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let kept = Arc::clone(&log);
        let marker = marker.to_string();
        std::thread::spawn(move || {
            let mut sender = Some(sender);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains(&marker)
                    && let Some(at) = line.find("http://")
                {
                    let url = line[at..]
                        .split(|c: char| c.is_whitespace() || c == ')')
                        .next()
                        .unwrap()
                        .trim_end_matches('/')
                        .to_string();
                    if let Some(sender) = sender.take() {
                        let _ = sender.send(url);
                    }
                }
                kept.lock().unwrap().push(line);
            }
        });
        let url = match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the server did not start:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Served { child, url, log }
    }

    /// `asterbot serve agent` on a free port, with `flags` and the test
    /// keys ([`KEY`], [`APPROVER`]).
    pub fn asterbot(agent: &Path, flags: &[&str]) -> Served {
        let mut all = key_flags().to_vec();
        all.extend_from_slice(flags);
        Served::asterbot_keyless(agent, &all)
    }

    /// `asterbot serve agent` on a free port, with `flags` only: without
    /// keys, it makes its own and prints them.
    pub fn asterbot_keyless(agent: &Path, flags: &[&str]) -> Served {
        let mut command = super::asterbot();
        command
            .arg("serve")
            .arg(agent)
            .args(["--listen", "127.0.0.1:0"])
            .args(flags);
        Served::start(command, "serving")
    }

    /// `wasmtime serve` (the `wasmtime` command given) running `agent` on
    /// a free port with the store and environment it needs, the test
    /// keys, and `env` (`NAME=VALUE`).
    pub fn wasmtime(wasmtime: Command, agent: &Path, env: &[&str]) -> Served {
        let mut all = vec![
            format!("ASTERBOT_API_KEYS={KEY}"),
            format!("ASTERBOT_APPROVER_KEYS={APPROVER}"),
        ];
        all.extend(env.iter().map(|variable| variable.to_string()));
        Served::wasmtime_keyless(wasmtime, agent, &super::strs(&all))
    }

    /// As [`Served::wasmtime`], without the test keys.
    pub fn wasmtime_keyless(mut wasmtime: Command, agent: &Path, env: &[&str]) -> Served {
        wasmtime.args([
            "serve",
            "-S",
            "cli",
            "-S",
            "keyvalue",
            "--addr",
            "127.0.0.1:0",
        ]);
        for variable in env {
            wasmtime.args(["--env", variable]);
        }
        wasmtime.arg(agent);
        Served::start(wasmtime, "Serving HTTP on")
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The lines of stderr that are `wanted`, once `count` of them came
    /// (what is printed after a reply goes out may come a little later),
    /// or all there are after ten seconds.
    pub fn log_lines(&self, count: usize, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let start = std::time::Instant::now();
        loop {
            let lines: Vec<String> = self
                .log
                .lock()
                .unwrap()
                .iter()
                .filter(|line| wanted(line))
                .cloned()
                .collect();
            if lines.len() >= count || start.elapsed().as_secs() >= 10 {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends the server signal `name` (`TERM`, `INT`), as `kill -NAME`.
    #[allow(dead_code)]
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP client that reports every status as a value and opens a new
/// connection per request (so a round-robin proxy alternates).
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent()
}

/// An HTTP answer: status, headers we look at, and the body.
pub struct Answer {
    pub status: u16,
    pub session: Option<String>,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The assistant's reply of a chat completion.
    pub fn reply(&self) -> String {
        assert_eq!(self.status, 200, "{}", self.body);
        self.json()["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// Sends `body` with `method` to `url`, with `headers`, asking with
/// [`KEY`] unless `headers` has an `authorization`, and with a body as
/// `application/json` unless `headers` has a `content-type`.
pub fn send(
    client: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Answer, ureq::Error> {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let key = bearer(KEY);
    let mut all = headers.to_vec();
    if !has("authorization") {
        all.push(("authorization", &key));
    }
    if body.is_some() && !has("content-type") {
        all.push(("content-type", "application/json"));
    }
    send_exactly(client, method, url, &all, body)
}

/// Sends `body` with `method` to `url`, with `headers` and no others.
pub fn send_exactly(
    client: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Answer, ureq::Error> {
    let request = ureq::http::Request::builder().method(method).uri(url);
    let request = headers.iter().fold(request, |request, (name, value)| {
        request.header(*name, *value)
    });
    let mut response = client.run(request.body(body.unwrap_or_default().to_vec()).unwrap())?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (session, content_type) = (
        header("x-asterbot-session"),
        header("content-type").unwrap_or_default(),
    );
    Ok(Answer {
        status: response.status().as_u16(),
        session,
        content_type,
        body: response.body_mut().read_to_string()?,
    })
}

/// `POST /v1/chat/completions` with `body` and `headers` (and the test
/// key, see [`send`]).
pub fn try_post_chat(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Result<Answer, ureq::Error> {
    send(
        &client(),
        "POST",
        &format!("{url}/v1/chat/completions"),
        headers,
        Some(body.to_string().as_bytes()),
    )
}

/// As [`try_post_chat`], for a server that must answer.
pub fn post_chat(url: &str, headers: &[(&str, &str)], body: &Value) -> Answer {
    try_post_chat(url, headers, body).expect("the server answers")
}

/// One chat turn of `session` saying `text`.
pub fn chat(client: &ureq::Agent, url: &str, session: &str, text: &str) -> Answer {
    try_chat(client, url, session, text).expect("the server answers")
}

/// One chat turn of `session` saying `text`, asking with `key`.
pub fn chat_as(client: &ureq::Agent, url: &str, key: &str, session: &str, text: &str) -> Answer {
    let body = json!({"model": "asterbot", "messages": [{"role": "user", "content": text}]});
    send(
        client,
        "POST",
        &format!("{url}/v1/chat/completions"),
        &[
            ("authorization", &bearer(key)),
            ("x-asterbot-session", session),
        ],
        Some(body.to_string().as_bytes()),
    )
    .expect("the server answers")
}

/// Decides the waiting call at `decide` (its URL) with `decision`
/// (`allow` or `deny`), as the approver ([`APPROVER`]).
pub fn decide(client: &ureq::Agent, decide: &str, decision: &str) -> Answer {
    send(
        client,
        "POST",
        decide,
        &[("authorization", &bearer(APPROVER))],
        Some(json!({"decision": decision}).to_string().as_bytes()),
    )
    .expect("the server answers")
}

/// The name the sessions of `key` are stored under (the gateway's
/// principal: `k` and the first 12 bytes of the key's SHA-256, in hex).
pub fn principal(key: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("k{hex}")
}

/// As [`chat`], with a failure to connect as a value.
pub fn try_chat(
    client: &ureq::Agent,
    url: &str,
    session: &str,
    text: &str,
) -> Result<Answer, ureq::Error> {
    let body = json!({"model": "asterbot", "messages": [{"role": "user", "content": text}]});
    send(
        client,
        "POST",
        &format!("{url}/v1/chat/completions"),
        &[("x-asterbot-session", session)],
        Some(body.to_string().as_bytes()),
    )
}

/// A round-robin TCP load balancer on loopback: each new connection goes
/// to the next backend; one that refuses the connection is skipped, as a
/// load balancer's health check would. Counts connections per backend.
pub struct Balancer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Connections handed to each backend so far.
    pub handed: Arc<Vec<std::sync::atomic::AtomicUsize>>,
}

impl Balancer {
    /// Starts balancing between `backends` (`http://host:port`).
    pub fn start(backends: &[&str]) -> Balancer {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let backends: Vec<String> = backends
            .iter()
            .map(|b| b.trim_start_matches("http://").to_string())
            .collect();
        let handed: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let counts = Arc::clone(&handed);
        std::thread::spawn(move || {
            let mut next = 0;
            for client in listener.incoming().map_while(Result::ok) {
                let backend = (0..backends.len()).find_map(|offset| {
                    let index = (next + offset) % backends.len();
                    TcpStream::connect(&backends[index])
                        .ok()
                        .map(|stream| (index, stream))
                });
                next = (next + 1) % backends.len();
                let Some((index, server)) = backend else {
                    continue;
                };
                counts[index].fetch_add(1, Ordering::SeqCst);
                let pipe = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Balancer { url, handed }
    }

    /// Connections handed to backend `index`.
    pub fn handed(&self, index: usize) -> usize {
        self.handed[index].load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// `recipes/serve.wac` (or `text` in its place) with the shipped lock,
/// written into `dir`; returns the recipe's path. Composing it there
/// leaves the repository's lock alone.
pub fn serve_recipe(dir: &Path, text: Option<&str>) -> std::path::PathBuf {
    let recipe = dir.join("serve.wac");
    match text {
        Some(text) => std::fs::write(&recipe, text).unwrap(),
        None => {
            std::fs::copy(super::repo().join("recipes/serve.wac"), &recipe).unwrap();
        }
    }
    std::fs::copy(
        super::repo().join("recipes/serve.lock"),
        dir.join("serve.lock"),
    )
    .unwrap();
    recipe
}

/// The shipped serving agent, composed once per test binary.
pub fn serve_agent() -> &'static Path {
    static AGENT: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    &AGENT
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let agent = dir.path().join("serve.wasm");
            super::compose(&serve_recipe(dir.path(), None), &agent);
            (dir, agent)
        })
        .1
}

/// The serving agent with `llm-openai` in place of the scripted model,
/// served on the memory store and talking to `peer`; the runtime grants
/// the peer's host if `granted` (the recipe always does).
pub fn serve_openai(dir: &Path, peer: &super::http_peer::Peer, granted: bool) -> Served {
    let recipe = std::fs::read_to_string(super::repo().join("recipes/serve.wac"))
        .unwrap()
        .replace(
            "/// @allow-env ASTERBOT_SCRIPT\n/// @allow-dir /scripts\nlet llm = new asterbot:llm-script { ... };",
            "/// @allow-env ASTERBOT_MODEL ASTERBOT_BASE_URL OPENAI_API_KEY\n/// @allow-host 127.0.0.1\nlet llm = new asterbot:llm-openai { ... };",
        );
    assert!(recipe.contains("llm-openai"));
    let agent = super::compose_text(dir, "openai", &recipe);
    let mut flags = super::providers::openai_flags(peer);
    if !granted {
        // `--allow-host 127.0.0.1` comes first.
        flags.drain(..2);
    }
    flags.extend(["--keyvalue", "memory"].map(String::from));
    Served::asterbot(&agent, &super::strs(&flags))
}
