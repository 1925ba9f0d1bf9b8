//! `asterbot completions`: tab completion for the shells people use.

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::process::ExitCode;

/// Print a shell's completion script for asterbot's subcommands and flags.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot completions bash > ~/.local/share/bash-completion/completions/asterbot
  asterbot completions zsh > ~/.zfunc/_asterbot      # with fpath+=~/.zfunc
  asterbot completions fish > ~/.config/fish/completions/asterbot.fish")]
pub struct CompletionsArgs {
    /// The shell.
    shell: Shell,
}

impl CompletionsArgs {
    /// Prints the script.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let mut command = crate::Cli::command();
        clap_complete::generate(self.shell, &mut command, "asterbot", &mut std::io::stdout());
        Ok(ExitCode::SUCCESS)
    }
}
