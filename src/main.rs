//! `asterbot`: compose an agent from a recipe, then run it.
//!
//! Exit codes: 0 success, 1 a recipe, component or agent error, 2 a usage
//! error (unknown flag, missing argument).

mod commands;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Assemble AI agents from sandboxed, swappable WebAssembly components.
#[derive(Parser)]
#[command(name = "asterbot", version, about, long_about = None)]
#[command(after_help = "Examples:
  asterbot compose recipes/offline.wac -o agent.wasm
  asterbot run agent.wasm \"what is 6 * 7?\"
  wasmtime run agent.wasm \"what time is it?\"

Exit codes: 0 success, 1 a recipe, component or agent error, 2 a usage error.")]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    diagnostics_for_stderr();
    match cli.command.exec() {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}

/// Diagnostics wrap to the terminal's width, and not at all when stderr
/// is a file or a pipe (so scripts and tests see whole lines).
fn diagnostics_for_stderr() {
    let terminal = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .wrap_lines(terminal)
                .build(),
        )
    }));
}
