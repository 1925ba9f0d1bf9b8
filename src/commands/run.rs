//! `asterbot run`: run a composed agent with explicit grants.

use asterbot_runtime::{Agent, DirGrant, EnvGrant, ExitStatus, Grants, HostGrant};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a composed agent. It gets no directory, no environment variable and
/// no network unless granted here.
///
/// With MESSAGE words, they are one turn; without, each line of standard
/// input is a turn.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot run agent.wasm \"what is 6 * 7?\"
  printf 'hello\\nwhat time is it?\\n' | asterbot run agent.wasm
  asterbot run agent.wasm --dir ./state::/state --env ASTERBOT_SESSION=work \"hi\"
  asterbot run agent.wasm --allow-host api.openai.com --env OPENAI_API_KEY \"hi\"")]
pub struct RunArgs {
    /// The composed agent component.
    agent: PathBuf,

    /// Grant a directory: HOST[::GUEST][:ro] (GUEST defaults to HOST).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<DirGrant>,

    /// Grant an environment variable: KEY=VALUE, or KEY to pass ours through.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<EnvGrant>,

    /// Allow HTTP requests to a host: `api.openai.com`, `*.example.com`,
    /// `127.0.0.1:11434`. Requests to other hosts are denied.
    #[arg(long = "allow-host", value_name = "HOST")]
    hosts: Vec<HostGrant>,

    /// Allow HTTP requests to any host.
    #[arg(long = "allow-http")]
    allow_http: bool,

    /// The message; several words are joined into one.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    message: Vec<String>,
}

impl RunArgs {
    /// Runs the agent and returns its exit code.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let agent = Agent::load(&self.agent).map_err(report)?;
        let mut grants = Grants::new();
        for dir in self.dirs {
            grants = grants.dir(dir);
        }
        for env in self.env {
            grants = grants.env(env.key, env.value);
        }
        for host in self.hosts {
            grants = grants.host(host);
        }
        if self.allow_http {
            grants = grants.host("*".parse().map_err(report)?);
        }
        match agent.run(&self.message, &grants).map_err(report)? {
            ExitStatus::Success => Ok(ExitCode::SUCCESS),
            ExitStatus::Failure(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        }
    }
}

/// An error with its whole chain of causes, as a diagnostic.
fn report(error: anyhow::Error) -> miette::Report {
    miette::miette!("{error:#}")
}
