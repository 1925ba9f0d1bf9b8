//! `asterbot`: compose an agent from a recipe, then run it.
//!
//! Exit codes: 0 success, 1 a recipe, component or agent error, 2 a usage
//! error (unknown flag, missing argument).

mod commands;

use clap::Parser;
use std::process::ExitCode;

/// Assemble AI agents from sandboxed, swappable WebAssembly components.
#[derive(Parser)]
#[command(name = "asterbot", version, about, long_about = None)]
#[command(after_help = "Examples:
  asterbot compose recipes/offline.wac -o agent.wasm
  asterbot run agent.wasm \"what is 6 * 7?\"
  wasmtime run agent.wasm \"what time is it?\"")]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.exec() {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}
