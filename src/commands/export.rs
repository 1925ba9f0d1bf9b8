//! `asterbot export`: asterbot's own components as a folder other tools
//! read, so the upstream `wac compose` builds a shipped recipe too.

use super::files::write_atomically;
use super::wit::write_package;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Write asterbot's built-in components as a `--deps-dir` folder.
///
/// The folder is laid out as wac's `deps`: `DIR/asterbot/<name>.wasm` for
/// each component built into this asterbot (the guards among them), and
/// the `asterbot:agent` WIT package as `DIR/asterbot/agent/` (with its
/// `wasi:keyvalue` dependency), so `wac compose --deps-dir DIR` resolves
/// every `asterbot:` package of a recipe. What wac composes from it has
/// no guards: only `asterbot compose` puts them in front of each instance.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot export -o deps
  wac compose --deps-dir deps recipes/offline.wac -o plain.wasm")]
pub struct ExportArgs {
    /// The folder to write (created if need be); files asterbot wrote
    /// there before are replaced.
    #[arg(short, long, value_name = "DIR", default_value = "deps")]
    output: PathBuf,
}

impl ExportArgs {
    /// Writes the components and the WIT package.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let mut count = 0;
        for name in asterbot_bundle::names() {
            let short = name.strip_prefix("asterbot:").unwrap_or(name);
            let bytes = asterbot_bundle::get(name).expect("a listed component is embedded");
            write_atomically(
                &self.output.join("asterbot").join(format!("{short}.wasm")),
                bytes,
            )?;
            count += 1;
        }
        write_package(&self.output.join("asterbot/agent"))?;
        eprintln!(
            "wrote {count} components of asterbot {} and the asterbot:agent WIT package to {}",
            asterbot_bundle::VERSION,
            self.output.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
