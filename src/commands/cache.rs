//! `asterbot cache`: where the compile cache is, what it holds, and
//! emptying it.

use asterbot_runtime::CompileCache;
use asterbot_runtime::cache_size::{self, LIMIT_ENV};
use clap::{Args, Subcommand};
use miette::{IntoDiagnostic, WrapErr, miette};
use std::process::ExitCode;

/// Show or empty the compile cache.
///
/// It is where `asterbot run`, `serve` and
/// `precompile` keep compiled agents ($ASTERBOT_CACHE_DIR, else
/// $XDG_CACHE_HOME/asterbot, else ~/.cache/asterbot). It keeps itself
/// within $ASTERBOT_CACHE_MAX (default 1G) by removing the entries used
/// longest ago.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot cache               # where it is, and what it holds
  asterbot cache clean         # remove every compiled agent
  ASTERBOT_CACHE_MAX=4G asterbot run agent.wasm \"hi\"")]
pub struct CacheArgs {
    #[command(subcommand)]
    action: Option<Action>,
}

/// What to do with the cache.
#[derive(Subcommand)]
enum Action {
    /// Where the cache is, what it holds and its limit (the default).
    Info,
    /// Remove every compiled agent; the next run of each compiles again.
    Clean,
}

impl CacheArgs {
    /// Shows or empties the cache.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let cache = CompileCache::default_location().ok_or_else(|| {
            miette!("no compile cache: set ASTERBOT_CACHE_DIR (or HOME) to say where it is")
        })?;
        let dir = cache.dir();
        match self.action.unwrap_or(Action::Info) {
            Action::Info => {
                let limit = cache_size::limit().map_err(|why| miette!("{why}"))?;
                let usage = cache_size::usage(dir);
                println!("compile cache: {}", dir.display());
                println!(
                    "holds {} compiled agent(s), {} MiB; limit {} MiB ({LIMIT_ENV})",
                    usage.entries,
                    usage.bytes.div_ceil(1 << 20),
                    limit >> 20
                );
            }
            Action::Clean => {
                let removed = cache_size::clean(dir)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("cannot empty `{}`", dir.display()))?;
                println!(
                    "removed {} compiled agent(s), {} MiB, from {}",
                    removed.entries,
                    removed.bytes.div_ceil(1 << 20),
                    dir.display()
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
