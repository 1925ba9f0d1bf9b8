//! Loading a composed agent and running its `wasi:cli/run`.

use crate::grants::Grants;
use crate::host::Host;
use anyhow::{Context, anyhow};
use std::path::Path;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::sync::Command;

/// A compiled agent, ready to run any number of times.
pub struct Agent {
    engine: Engine,
    component: Component,
    linker: Linker<Host>,
    name: String,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `wasi:cli/run` returned success.
    Success,
    /// The agent reported failure, with this exit code.
    Failure(i32),
}

impl Agent {
    /// Compiles the component at `path` and links WASI P2 and `wasi:http`
    /// for it.
    pub fn load(path: &Path) -> anyhow::Result<Agent> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read agent `{}`", path.display()))?;
        Agent::from_bytes(&path.display().to_string(), &bytes)
    }

    /// Compiles a component held in memory; `name` is used in messages.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> anyhow::Result<Agent> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        let component = Component::new(&engine, bytes).map_err(|e| {
            anyhow::Error::from(e)
                .context(format!("`{name}` is not a runnable WebAssembly component"))
        })?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        Ok(Agent {
            engine,
            component,
            linker,
            name: name.to_string(),
        })
    }

    /// Runs the agent's `wasi:cli/run` once with `args` and `grants`.
    pub fn run(&self, args: &[String], grants: &Grants) -> anyhow::Result<ExitStatus> {
        let host = Host::new(&self.name, args, grants)?;
        let mut store = Store::new(&self.engine, host);
        let command =
            Command::instantiate(&mut store, &self.component, &self.linker).map_err(|e| {
                anyhow::Error::from(e).context(format!(
                    "cannot start `{}`: it must export `wasi:cli/run` and import only WASI P2 and `wasi:http`",
                    self.name
                ))
            })?;
        match command.wasi_cli_run().call_run(&mut store) {
            Ok(Ok(())) => Ok(ExitStatus::Success),
            Ok(Err(())) => Ok(ExitStatus::Failure(1)),
            Err(error) => match error.downcast_ref::<I32Exit>() {
                Some(&I32Exit(0)) => Ok(ExitStatus::Success),
                Some(&I32Exit(code)) => Ok(ExitStatus::Failure(code)),
                None => Err(anyhow!("the agent trapped: {error:?}")),
            },
        }
    }
}
