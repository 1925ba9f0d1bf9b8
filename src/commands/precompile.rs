//! `asterbot precompile`: put an agent's optimised code in the compile
//! cache, ahead of its first run or after a quick one.

use super::runtime_args::report;
use asterbot_runtime::{Agent, CompileCache, Compiled};
use clap::Args;
use miette::{IntoDiagnostic, WrapErr, miette};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// Compile an agent's optimised code into the compile cache.
///
/// The cache is $ASTERBOT_CACHE_DIR, else ~/.cache/asterbot; the next run
/// of the agent starts at once.
///
/// A first run without cached code compiles with wasmtime's baseline
/// compiler (Winch), several times quicker, and then runs this in the
/// background; run it yourself to have the optimised code ready
/// beforehand, as in an image's build step.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot precompile agent.wasm
  ASTERBOT_CACHE_DIR=/var/cache/asterbot asterbot precompile agent.wasm")]
pub struct PrecompileArgs {
    /// The composed agent component.
    agent: PathBuf,

    /// Say nothing on success.
    #[arg(long, short)]
    quiet: bool,
}

impl PrecompileArgs {
    /// Compiles the agent into the cache.
    pub fn exec(self) -> miette::Result<ExitCode> {
        super::agent_file::composed_agent(&self.agent, "asterbot precompile agent.wasm")?;
        let cache = CompileCache::default_location().ok_or_else(|| {
            miette!("no compile cache: set ASTERBOT_CACHE_DIR (or HOME) to say where it is")
        })?;
        std::fs::create_dir_all(cache.dir())
            .into_diagnostic()
            .wrap_err_with(|| {
                format!("cannot make the cache folder `{}`", cache.dir().display())
            })?;
        let how = Agent::tier_up(&self.agent, &cache).map_err(report)?;
        if !self.quiet {
            let agent = self.agent.display();
            match how {
                Some(Compiled::Cached) => eprintln!("`{agent}`: its optimised code was cached"),
                Some(_) => eprintln!(
                    "`{agent}`: compiled, and cached in {}",
                    cache.dir().display()
                ),
                None => eprintln!("`{agent}`: another asterbot is compiling it now"),
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Starts `asterbot precompile AGENT` in the background, detached from
/// this process and its terminal; it outlives a short run.
pub fn in_background(agent: &Path) {
    let Ok(asterbot) = std::env::current_exe() else {
        return;
    };
    let mut command = Command::new(asterbot);
    command
        .args(["precompile", "--quiet"])
        .arg(agent)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    match command.spawn() {
        // Reaped by a thread, in case this process lives on (a REPL).
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::debug!("cannot start the optimising compile: {e}"),
    }
}
