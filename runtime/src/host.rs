//! The per-run host state wasmtime hands to WASI.

use crate::grants::Grants;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

/// WASI context and resource table of one store.
pub struct Host {
    wasi: WasiCtx,
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
