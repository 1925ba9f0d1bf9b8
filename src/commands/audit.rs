//! `asterbot audit`: what each instance of a composed agent can reach,
//! read from the artifact alone.

use super::reach_table::reach_table;
use asterbot_composer::audit;
use clap::Args;
use miette::{IntoDiagnostic, WrapErr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Show what each instance of a composed agent can reach: environment
/// variables, directories, hosts, sockets, clocks, randomness, stdio.
///
/// The policy is read from the artifact itself (asterbot embeds it when
/// composing), so no recipe is needed.
///
/// Exit codes: 0 shown, 1 the file is unreadable or carries no policy.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot audit agent.wasm")]
pub struct AuditArgs {
    /// The composed agent.
    agent: PathBuf,
}

impl AuditArgs {
    /// Prints the audit.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let bytes = std::fs::read(&self.agent)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read `{}`", self.agent.display()))?;
        let reach = audit::read(&bytes)
            .map_err(|why| miette::miette!("`{}`: {why}", self.agent.display()))?;
        let Some(reach) = reach else {
            miette::bail!(
                help = "compose it with `asterbot compose` to sandbox each instance and record what it may reach",
                "`{}` carries no asterbot policy: it was not composed by asterbot, so every component in it shares whatever the runtime grants",
                self.agent.display()
            );
        };
        print!("{}", reach_table(&reach));
        Ok(ExitCode::SUCCESS)
    }
}
