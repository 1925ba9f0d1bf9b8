//! The subcommands, one file each.

mod compose;
mod run;

use std::process::ExitCode;

/// What `asterbot` can do.
#[derive(clap::Subcommand)]
pub enum Command {
    Compose(compose::ComposeArgs),
    Run(run::RunArgs),
}

impl Command {
    /// Runs the chosen subcommand.
    pub fn exec(self) -> miette::Result<ExitCode> {
        match self {
            Command::Compose(args) => args.exec(),
            Command::Run(args) => args.exec(),
        }
    }
}
