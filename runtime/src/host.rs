//! The per-run host state wasmtime hands to WASI.

use crate::grants::Grants;
use crate::http::HostPolicy;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// WASI and `wasi:http` contexts and the resource table of one store.
pub struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hosts: HostPolicy,
    table: ResourceTable,
}

impl Host {
    /// A host with inherited stdio, `args` and exactly `grants`.
    pub fn new(program: &str, args: &[String], grants: &Grants) -> anyhow::Result<Host> {
        let mut builder = WasiCtx::builder();
        builder.inherit_stdio().arg(program).args(args);
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
        })
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
