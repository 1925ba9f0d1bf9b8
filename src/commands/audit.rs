//! `asterbot audit`: what each instance of a composed agent can reach,
//! read from the artifact alone.

use super::agent_file::agent_or_recipe;
use super::reach_table::reach_table;
use super::store_args::StoreArgs;
use asterbot_composer::audit;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Show what each instance of a composed agent can reach.
///
/// What each can reach: environment
/// variables, directories, hosts, sockets, standard input and output, the
/// tools it can call, and any import that reaches the runtime unguarded.
///
/// It is read from how the artifact is wired: which of asterbot's guards
/// (recognised by digest) stands in front of which import, and the policy
/// baked into each. No recipe is needed, and nothing the composer recorded
/// is trusted; an artifact composed without guards, or tampered with,
/// shows as such.
///
/// A recipe is composed in memory first, and the result audited.
///
/// Exit codes: 0 shown, 1 the file is unreadable, not a component, or a
/// recipe that does not compose.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot audit agent.wasm
  asterbot audit recipes/offline.wac      # composed in memory
  asterbot audit agent.wasm --json | jq '.instances[] | {instance, env}'")]
pub struct AuditArgs {
    /// The composed agent, or a recipe.
    agent: PathBuf,

    /// Print the audit as JSON.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    store: StoreArgs,
}

impl AuditArgs {
    /// Prints the audit.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let bytes = agent_or_recipe(&self.agent, &self.store)?;
        let audit = audit::analyze(&bytes)
            .map_err(|why| miette::miette!("`{}`: {why}", self.agent.display()))?;
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&audit).expect("the audit serialises")
            );
        } else {
            print!("{}", reach_table(&audit));
        }
        Ok(ExitCode::SUCCESS)
    }
}
