//! The per-run host state wasmtime hands to WASI.

use crate::fault::Owners;
use crate::grants::Grants;
use crate::http::HostPolicy;
use crate::input::TurnInput;
use crate::keyvalue::{KeyValueStore, KeyValueView};
use crate::limits::MemoryLimiter;
use crate::stderr::{GuardedStderr, Writer};
use crate::turn_clock::TurnClock;
use std::sync::{Arc, Mutex};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// WASI and `wasi:http` contexts, the resource table and the memory
/// limiter of one store.
pub struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hosts: HostPolicy,
    table: ResourceTable,
    /// Refuses memory growth past `--max-memory`.
    pub limiter: MemoryLimiter,
    /// The compute time of the current turn, for `--timeout`.
    pub clock: TurnClock,
    keyvalue: Option<KeyValueStore>,
    /// Who writes to standard error now, told to its filter.
    stderr_writer: Arc<Mutex<Writer>>,
    /// The recipe instances of the agent's core modules, to tell who
    /// writes (none: nobody is told apart).
    owners: Option<Arc<Owners>>,
}

impl Host {
    /// A host with `args`, turns from `input`, the runner's stdout and
    /// (filtered) stderr, and exactly `grants`.
    pub fn new(
        program: &str,
        args: &[String],
        grants: &Grants,
        input: &TurnInput,
        max_memory: usize,
    ) -> anyhow::Result<Host> {
        let stderr = GuardedStderr::new(input);
        let stderr_writer = stderr.writer();
        let mut builder = WasiCtx::builder();
        builder
            .stdin(input.clone())
            .inherit_stdout()
            // Shown, not obeyed: no instance can hide a question on the
            // terminal (see `stderr.rs`).
            .stderr(stderr)
            .arg(program)
            .args(args);
        if grants.network {
            builder
                .inherit_network()
                .allow_tcp(true)
                .allow_udp(true)
                .allow_ip_name_lookup(true);
        }
        for env in &grants.env {
            builder.env(&env.key, &env.value);
        }
        for dir in &grants.dirs {
            let perms = if dir.read_only {
                FsPerms::ReadOnly
            } else {
                FsPerms::ReadWrite
            };
            builder
                .preopened_dir(&dir.host, &dir.guest, perms)
                .map_err(|e| {
                    anyhow::Error::from(e)
                        .context(format!("cannot grant directory `{}`", dir.host.display()))
                })?;
        }
        Ok(Host {
            wasi: builder.build(),
            http: WasiHttpCtx::new(),
            hosts: HostPolicy::new(grants),
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(max_memory),
            clock: TurnClock::new(input),
            keyvalue: grants.keyvalue.clone(),
            stderr_writer,
            owners: None,
        })
    }

    /// Counts the outgoing HTTP requests refused by the grants in
    /// `denied` (a server's metrics).
    pub fn count_denials(&mut self, denied: Arc<std::sync::atomic::AtomicU64>) {
        self.hosts.denied = Some(denied);
    }

    /// Tells standard error's lines apart by the recipe instance that
    /// writes them, as `owners` records.
    pub fn attribute_stderr(&mut self, owners: Arc<Owners>) {
        self.owners = Some(owners);
    }

    /// Whether writes are told apart (and so worth a backtrace).
    pub fn attributes_stderr(&self) -> bool {
        self.owners.is_some()
    }

    /// Notes who makes the output-stream call `backtrace` was taken in
    /// (until [`Host::written`]).
    pub fn writing(&mut self, backtrace: Option<wasmtime::WasmBacktrace>) {
        let (Some(owners), Some(backtrace)) = (&self.owners, backtrace) else {
            return;
        };
        let writer = match owners.writer(&backtrace) {
            Some((_, true)) => Writer::FrontEnd,
            Some((instance, false)) => Writer::Instance(instance),
            None => Writer::Unknown,
        };
        *self.stderr_writer.lock().unwrap() = writer;
    }

    /// The output-stream call noted by [`Host::writing`] is over.
    pub fn written(&mut self) {
        *self.stderr_writer.lock().unwrap() = Writer::Unknown;
    }

    /// The resource table, for the runner's own stream functions.
    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// The `wasi:keyvalue` host functions' view of this store.
    pub fn keyvalue(&mut self) -> KeyValueView<'_> {
        KeyValueView {
            store: self.keyvalue.as_ref(),
            table: &mut self.table,
        }
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hosts,
        }
    }
}
