//! `asterbot serve`: answer HTTP requests with a composed agent.

use super::runtime_args::{KeyValueArg, RuntimeArgs, report};
use asterbot_runtime::{Server, bind};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Serve an agent over HTTP: one composed with an HTTP front end (it
/// exports `wasi:http/incoming-handler`, as `recipes/serve.wac` does).
///
/// Every request gets a fresh instance with the grants and limits given
/// here; requests run concurrently. The agent keeps its state (sessions,
/// notes, waiting approvals) in a `wasi:keyvalue` store: a file by
/// default, or Redis/Valkey shared by several replicas. Ctrl-C (or
/// SIGTERM) stops accepting and lets the requests in flight finish.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot compose recipes/serve.wac -o serve.wasm
  asterbot serve serve.wasm                                  # http://127.0.0.1:8080
  asterbot serve serve.wasm --listen 0.0.0.0:9000 --keyvalue state/agent.redb
  asterbot serve serve.wasm --keyvalue redis://127.0.0.1:6379/0   # replicas share it
  curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \\
       -H 'x-asterbot-session: demo' \\
       -d '{\"model\":\"asterbot\",\"messages\":[{\"role\":\"user\",\"content\":\"what is 6 * 7?\"}]}'

Endpoints of asterbot's HTTP front end: POST /v1/chat/completions (OpenAI's
shape, \"stream\": true for server-sent events), POST /v1/approvals/{id},
GET /healthz, and GET / (a chat page).")]
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

    #[command(flatten)]
    runtime: RuntimeArgs,
}

impl ServeArgs {
    /// Serves until Ctrl-C or SIGTERM.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let bytes = std::fs::read(&self.agent)
            .map_err(|e| miette::miette!("cannot read agent `{}`: {e}", self.agent.display()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| report(e.into()))?;
        let store = runtime.block_on(self.keyvalue.open())?;
        let described = store.describe();
        let grants = self.runtime.grants()?.keyvalue(store);
        let cache = self.runtime.cache();
        let name = self.agent.display().to_string();
        let server = Server::new(
            &name,
            &bytes,
            cache.as_ref(),
            grants,
            self.runtime.limits(),
            self.concurrency,
        )
        .map_err(report)?;
        runtime.block_on(async {
            let listener = bind(&self.listen).await.map_err(report)?;
            let address = listener.local_addr().map_err(|e| report(e.into()))?;
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
