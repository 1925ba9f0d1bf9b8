//! `asterbot check`: everything `compose` does, but write nothing.

use super::imports_table::imports_table;
use super::lock_file;
use super::reach_table::{reach_table, summary};
use super::store_args::StoreArgs;
use asterbot_composer::lock::Mode;
use asterbot_composer::{Recipe, compose};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Check that a recipe composes, writing nothing.
///
/// Checks that it composes: parse, resolve, link, type-check, encode
/// and validate, without writing anything; and that its lock file
/// (`RECIPE.lock`), if it has one, pins exactly the components it
/// composes with.
///
/// Exit codes: 0 the recipe composes, 1 it does not, 2 a usage error.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot check recipes/offline.wac
  asterbot check my.wac --deps-dir ./deps --quiet && echo ok")]
pub struct CheckArgs {
    /// The recipe (a WAC file).
    recipe: PathBuf,

    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,

    /// Print the tables of what the runtime must provide and of what each
    /// instance can reach, instead of their summary.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,

    /// Fail (exit 1) on this finding instead of warning of it: `trifecta`,
    /// private data and untrusted content shown to a model that can send
    /// data out with no approval on the way (see `asterbot flows`).
    #[arg(long, value_enum, value_name = "FINDING")]
    deny: Vec<super::flows::Finding>,

    #[command(flatten)]
    store: StoreArgs,
}

impl CheckArgs {
    /// Composes the recipe in memory and reports the result.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let recipe = Recipe::load(&self.recipe)?;
        let composed = compose(&recipe, &self.store.component_store()?)?;
        super::flows::findings(&recipe, &composed.flows, &self.deny)?;
        lock_file::check(&self.recipe, &composed, Mode::Verify)?.tell(self.quiet);
        if !self.quiet {
            eprintln!(
                "{} composes ({} KiB, exports {})",
                recipe.name(),
                composed.bytes.len().div_ceil(1024),
                composed.exports.join(", ")
            );
            if self.verbose {
                eprint!("{}", imports_table(&composed.imports));
                eprint!("{}", reach_table(&composed.audit));
            } else {
                eprint!("{}", summary(&composed.audit));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
