//! The per-run host state wasmtime hands to WASI.

use crate::grants::Grants;
use crate::http::HostPolicy;
use crate::input::TurnInput;
use crate::keyvalue::{KeyValueStore, KeyValueView};
use crate::limits::MemoryLimiter;
use crate::stderr::GuardedStderr;
use crate::turn_clock::TurnClock;
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
        let mut builder = WasiCtx::builder();
        builder
            .stdin(input.clone())
            .inherit_stdout()
            // Shown, not obeyed: no instance can hide a question on the
            // terminal (see `stderr.rs`).
            .stderr(GuardedStderr::new(input))
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
        })
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
