//! The asterbot runner: a small wasmtime host that runs a composed agent's
//! `wasi:cli/run` with WASI P2, `wasi:http`, and exactly the grants it is
//! given; compiled code is cached on disk, each turn is limited in memory
//! and time, and a fault ends the turn, not the conversation.
//!
//! ```no_run
//! use asterbot_runtime::{Agent, Grants, Limits, TurnInput};
//! let agent = Agent::load("agent.wasm".as_ref(), None)?;
//! let grants = Grants::new().dir("./state".parse()?).env("ASTERBOT_SESSION", "demo");
//! let input = TurnInput::from_text("");
//! let status = agent.run(&["what is 6 * 7?".to_string()], &grants, &Limits::default(), &input)?;
//! # Ok::<(), anyhow::Error>(())
//! ```

#![deny(missing_docs)]

mod agent;
mod cache;
pub mod cache_size;
pub mod explain;
mod fault;
mod grants;
mod host;
mod http;
mod input;
pub mod keyvalue;
mod limits;
mod progress;
mod serve;
mod stderr;
mod turn_clock;
mod unguarded;

pub use agent::{Agent, ExitStatus};
pub use cache::{CompileCache, Compiled, Engines, Tier};
pub use grants::{DirGrant, EnvGrant, Grants, HostGrant, read_env_file};
pub use input::TurnInput;
pub use keyvalue::KeyValueStore;
pub use limits::{LimitHit, Limits, parse_size};
pub use serve::{Server, Tuning, bind};
