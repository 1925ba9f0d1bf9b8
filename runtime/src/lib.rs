//! The asterbot runner: a small wasmtime host that runs a composed agent's
//! `wasi:cli/run` with WASI P2, `wasi:http`, and exactly the grants it is
//! given.
//!
//! ```no_run
//! use asterbot_runtime::{Agent, Grants};
//! let agent = Agent::load("agent.wasm".as_ref())?;
//! let grants = Grants::new().dir("./state".parse()?).env("ASTERBOT_SESSION", "demo");
//! let status = agent.run(&["what is 6 * 7?".to_string()], &grants)?;
//! # Ok::<(), anyhow::Error>(())
//! ```

mod agent;
mod grants;
mod host;
mod http;

pub use agent::{Agent, ExitStatus};
pub use grants::{DirGrant, EnvGrant, Grants, HostGrant};
