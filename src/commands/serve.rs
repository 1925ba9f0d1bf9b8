//! `asterbot serve`: answer HTTP requests with a composed agent.

use super::runtime_args::{KeyValueArg, RuntimeArgs, report};
use asterbot_runtime::{Server, Tuning, bind};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The variables the HTTP front end (`asterbot:http-gateway`) reads.
const API_KEYS: &str = "ASTERBOT_API_KEYS";
/// The turn limit (`--timeout`), told to the front end.
const TURN_TIMEOUT: &str = "ASTERBOT_TURN_TIMEOUT";
const APPROVER_KEYS: &str = "ASTERBOT_APPROVER_KEYS";
const ALLOWED_HOSTS: &str = "ASTERBOT_ALLOWED_HOSTS";
const ALLOWED_ORIGINS: &str = "ASTERBOT_ALLOWED_ORIGINS";

/// Serve an agent over HTTP (an OpenAI-compatible API and a chat page).
///
/// The agent is one composed with an HTTP front end (it exports
/// `wasi:http/incoming-handler`, as `recipes/serve.wac` does).
///
/// Every request gets a fresh instance with the grants and limits given
/// here; requests run concurrently. The agent keeps its state (sessions,
/// notes, waiting approvals) in a `wasi:keyvalue` store: a file by
/// default, or Redis/Valkey shared by several replicas. Ctrl-C (or
/// SIGTERM) stops accepting and lets the requests in flight finish.
///
/// The agent answers only requests with a key (`Authorization: Bearer
/// KEY`), made for `Host` names it serves as, from its own page or an
/// allowed origin. Without `--api-key` (or ASTERBOT_API_KEYS), a key is
/// made at start and printed, with the chat page's address carrying it;
/// likewise an approver key, the only key that decides waiting calls.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot compose recipes/serve.wac -o serve.wasm
  asterbot serve serve.wasm                                  # http://127.0.0.1:8080
  asterbot serve serve.wasm --listen 0.0.0.0:9000 --keyvalue state/agent.redb
  asterbot serve serve.wasm --keyvalue redis://127.0.0.1:6379/0   # replicas share it
  asterbot serve serve.wasm --api-key \"$KEY\" --public-host agent.example.com
  curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \\
       -H \"authorization: Bearer $KEY\" -H 'x-asterbot-session: demo' \\
       -d '{\"model\":\"asterbot\",\"messages\":[{\"role\":\"user\",\"content\":\"what is 6 * 7?\"}]}'

Endpoints of asterbot's HTTP front end: POST /v1/chat/completions (OpenAI's
shape, \"stream\": true for server-sent events; an Idempotency-Key header
makes a retry get the first answer), GET /v1/models, POST /v1/approvals/{id},
POST /mcp, GET /healthz (liveness), GET /readyz (the store answers), and GET /
(a chat page). asterbot serve itself answers GET /metrics (Prometheus), echoes
or makes an x-request-id, and writes one access line per request on stderr.")]
pub struct ServeArgs {
    /// The composed agent component.
    agent: PathBuf,

    /// The address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    listen: String,

    /// Where the agent's `wasi:keyvalue` store is: a file (redb, created
    /// if missing), `redis://HOST:PORT[/DB]` (or `valkey://`), or
    /// `memory` (gone when the server stops).
    #[arg(long, value_name = "STORE", default_value = "asterbot-state.redb")]
    keyvalue: KeyValueArg,

    /// Requests answered at once; more wait their turn. Each has its own
    /// instance, from a pool made for this many at start.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,

    /// Longest a client may take to send a request's head (line and
    /// headers); a keep-alive connection idle this long between requests is
    /// closed.
    #[arg(long = "header-timeout", value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    header_timeout: Duration,

    /// Longest a client may take to send a request's body, once its head
    /// is in (`408` after). The body is read before an instance is taken.
    #[arg(long = "body-timeout", value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    body_timeout: Duration,

    /// Longest a request waits for a free instance before it is answered
    /// `503` with `Retry-After` (load shedding).
    #[arg(long = "queue-timeout", value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    queue_timeout: Duration,

    /// Client connections open at once (kept under the process's file
    /// limit); more wait in the kernel's backlog.
    #[arg(long = "max-connections", value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,

    /// A key clients ask with (`Authorization: Bearer KEY`); repeat for
    /// more. Also read from ASTERBOT_API_KEYS (comma-separated). Without
    /// any, a key is made at start and printed.
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,

    /// A key that decides waiting calls (`POST /v1/approvals/{id}`), and
    /// only that; repeat for more. Also read from ASTERBOT_APPROVER_KEYS.
    /// Without any, one is made at start and printed.
    #[arg(long = "approver-key", value_name = "KEY")]
    approver_keys: Vec<String>,

    /// A name clients reach the server by (`Host`), beyond loopback names
    /// and the `--listen` address: `agent.example.com` (any port) or
    /// `agent.example.com:8443`. Also read from ASTERBOT_ALLOWED_HOSTS.
    #[arg(long = "public-host", value_name = "HOST[:PORT]")]
    public_hosts: Vec<String>,

    /// A web origin whose pages may call the agent from a browser, beyond
    /// its own page: `https://app.example.com`. Also read from
    /// ASTERBOT_ALLOWED_ORIGINS.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

impl ServeArgs {
    /// Serves until Ctrl-C or SIGTERM.
    pub fn exec(self) -> miette::Result<ExitCode> {
        super::agent_file::composed_agent(&self.agent, "asterbot serve agent.wasm")?;
        let bytes = std::fs::read(&self.agent)
            .map_err(|e| miette::miette!("cannot read agent `{}`: {e}", self.agent.display()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| report(e.into()))?;
        // Bound first: a port taken fails before the state is opened (a
        // store file is not made for nothing) or the agent compiled, and
        // the front end is told the address it serves as.
        let listener = runtime.block_on(bind(&self.listen)).map_err(report)?;
        let address = listener.local_addr().map_err(|e| report(e.into()))?;
        let store = runtime.block_on(self.keyvalue.open())?;
        let described = store.describe();
        let mut grants = self.runtime.grants()?.keyvalue(store);
        let cache = self.runtime.cache();
        let name = self.agent.display().to_string();
        let access = self.access(address)?;
        for (key, value) in access.env {
            grants = grants.env(key, value);
        }
        // The front end's idempotency keys outlive a turn that died only
        // by the turn limit: it is told the limit.
        let limit = self.runtime.limits().timeout;
        grants = grants.env(TURN_TIMEOUT, format!("{}ms", limit.as_millis()));
        let server = Server::new(
            &name,
            &bytes,
            cache.as_ref(),
            grants,
            self.runtime.limits(),
            self.concurrency,
        )
        .map_err(report)?
        .tuned(Tuning {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            queue_timeout: self.queue_timeout,
            max_connections: self.max_connections as usize,
        });
        for line in &access.notes {
            eprintln!("asterbot: {line}");
        }
        runtime.block_on(async {
            eprintln!("asterbot: serving `{name}` on http://{address} (state: {described})");
            Arc::new(server)
                .serve(listener, shutdown())
                .await
                .map_err(report)?;
            eprintln!("asterbot: stopped");
            Ok(ExitCode::SUCCESS)
        })
    }
}

/// What the agent's front end is told about who may ask: the variables
/// it reads, and the lines to print.
struct Access {
    env: Vec<(&'static str, String)>,
    notes: Vec<String>,
}

impl ServeArgs {
    /// The keys, hosts and origins for the agent listening on `address`:
    /// each from its flags, the same variable granted with `--env`, and
    /// asterbot's own environment; keys nobody gave are made here.
    fn access(&self, address: SocketAddr) -> miette::Result<Access> {
        let configured = |variable: &str, flags: &[String]| -> miette::Result<Vec<String>> {
            let mut values: Vec<String> = Vec::new();
            let given = [
                std::env::var(variable).ok(),
                self.runtime.env_value(variable)?,
            ];
            for value in given
                .iter()
                .flatten()
                .map(String::as_str)
                .chain(flags.iter().map(String::as_str))
            {
                for item in value
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                {
                    if !values.iter().any(|v| v == item) {
                        values.push(item.to_string());
                    }
                }
            }
            Ok(values)
        };
        let page_host = if address.ip().is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
        } else {
            address
        };
        let mut notes = Vec::new();
        let mut keys = configured(API_KEYS, &self.api_keys)?;
        if keys.is_empty() {
            let key = new_key("ak")?;
            notes.push(format!(
                "API key (made for this run; give --api-key to keep one): {key}"
            ));
            notes.push(format!("chat page: http://{page_host}/#key={key}"));
            keys.push(key);
        } else {
            notes.push(format!(
                "chat page: http://{page_host}/#key=KEY (with one of the API keys given)"
            ));
        }
        let mut approvers = configured(APPROVER_KEYS, &self.approver_keys)?;
        if approvers.is_empty() {
            let key = new_key("approver")?;
            notes.push(format!(
                "approver key (made for this run; give --approver-key to keep one): {key}"
            ));
            approvers.push(key);
        }
        if let Some(both) = keys.iter().position(|key| approvers.contains(key)) {
            return Err(miette::miette!(
                "API key number {} (of {API_KEYS} and --api-key) is also an approver key: the one who asks is not the one who approves, so give them different keys",
                both + 1
            ));
        }
        let mut hosts = configured(ALLOWED_HOSTS, &self.public_hosts)?;
        if address.ip().is_unspecified() {
            if hosts.is_empty() {
                notes.push(format!(
                    "listening on every address: only loopback names are answered until you name the others with --public-host (or {ALLOWED_HOSTS})"
                ));
            }
        } else {
            hosts.push(address.to_string());
        }
        let origins = configured(ALLOWED_ORIGINS, &self.allow_origins)?;
        let mut env = vec![
            (API_KEYS, keys.join(",")),
            (APPROVER_KEYS, approvers.join(",")),
        ];
        if !hosts.is_empty() {
            env.push((ALLOWED_HOSTS, hosts.join(",")));
        }
        if !origins.is_empty() {
            env.push((ALLOWED_ORIGINS, origins.join(",")));
        }
        Ok(Access { env, notes })
    }
}

/// A new random key: `asterbot-KIND-` and 128 bits in hex.
fn new_key(kind: &str) -> miette::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| miette::miette!("cannot make a key: {e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("asterbot-{kind}-{hex}"))
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
