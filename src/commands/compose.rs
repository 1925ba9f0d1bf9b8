//! `asterbot compose`: link a recipe into one agent component.

use super::UsageError;
use super::files::write_atomically;
use super::imports_table::imports_table;
use super::lock_file;
use super::reach_table::{reach_table, summary};
use super::store_args::StoreArgs;
use crate::manifest::Manifest;
use asterbot_composer::lock::Mode;
use asterbot_composer::{Options, Recipe, compose_with};
use clap::Args;
use miette::{IntoDiagnostic, WrapErr, bail};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Link a recipe and its components into one agent component.
///
/// asterbot's own packages (`asterbot:core`, `asterbot:memory`, ...) and
/// its guards are built into asterbot. Any other package is looked up, in
/// order: `--dep` overrides, each `--deps-dir`, then the store (`--store`,
/// else `$ASTERBOT_STORE`). A folder is laid out as
/// `<dir>/<namespace>/<name>.wasm`, and `ns:name@1.2.0` as
/// `<dir>/<namespace>/<name>/1.2.0.wasm` or else the highest
/// semver-compatible version there. A project's `asterbot.toml` (in this
/// folder or one above) adds its `[packages]` after the `--dep`s and its
/// `deps-dirs` after the `--deps-dir`s, and lists the recipes `asterbot
/// compose` builds when given none.
///
/// Exit codes: 0 composed, 1 a recipe or component error, 2 a usage error.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot compose recipes/offline.wac -o agent.wasm
  asterbot compose                  # every recipe of ./asterbot.toml (or one above)
  asterbot compose my.wac --dep acme:weather=./weather.wasm -o agent.wasm
  asterbot compose my.wac --deps-dir ./deps -o agent.wasm
  asterbot compose recipes/offline.wac --wat -o - | less
  asterbot compose recipes/offline.wac --update-lock   # pin reviewed changes
  asterbot compose recipes/serve.wac --trace -o traced.wasm   # spans on stderr")]
pub struct ComposeArgs {
    /// The recipe (a WAC file). Without one, every recipe of the project's
    /// manifest (`asterbot.toml`, in this folder or one above) is composed
    /// to its `output`.
    recipe: Option<PathBuf>,

    /// Where to write the composed agent; `-` for standard output
    /// [default: agent.wasm].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Write the WebAssembly text format instead of the binary.
    #[arg(long)]
    wat: bool,

    /// Print nothing on success (warnings still show).
    #[arg(short, long)]
    quiet: bool,

    /// Print the tables of what the runtime must provide and of what each
    /// instance can reach, instead of their summary.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,

    /// Link without per-instance guards: every component then shares what
    /// the runtime grants the artifact, and the audit says so (for
    /// comparison and debugging only).
    #[arg(long = "no-guards")]
    no_guards: bool,

    /// Put tracing middleware on every `agent`, `llm` and `tools` edge:
    /// each turn's OpenTelemetry GenAI spans (`invoke_agent`, `chat` with
    /// token usage, `execute_tool`) go to the recipe's `@trace` instance,
    /// or without one as a JSON line (OTLP) on standard error. The lock is
    /// checked, not re-pinned.
    #[arg(long)]
    trace: bool,

    /// Pin the components as they are now in the recipe's lock file
    /// (`RECIPE.lock`), instead of failing when one changed. Review the
    /// change first (`asterbot diff`).
    #[arg(long = "update-lock")]
    update_lock: bool,

    /// Fail (exit 1) on this finding instead of warning of it: `trifecta`,
    /// private data and untrusted content shown to a model that can send
    /// data out with no approval on the way (see `asterbot flows`).
    #[arg(long, value_enum, value_name = "FINDING")]
    deny: Vec<super::flows::Finding>,

    #[command(flatten)]
    store: StoreArgs,
}

impl ComposeArgs {
    /// Composes the recipe (or the manifest's recipes) and writes the
    /// agent.
    pub fn exec(self) -> miette::Result<ExitCode> {
        if let Some(recipe) = &self.recipe {
            let output = self
                .output
                .clone()
                .unwrap_or_else(|| PathBuf::from("agent.wasm"));
            return self.compose(recipe, &output);
        }
        let Some(manifest) = Manifest::find()? else {
            return Err(UsageError::report(
                "no recipe given, and no asterbot.toml in this folder or above",
                "give one: `asterbot compose RECIPE.wac -o agent.wasm`, or list the project's recipes in asterbot.toml ([[recipe]] path = \"agent.wac\")",
            ));
        };
        if self.output.is_some() {
            return Err(UsageError::report(
                "-o names one agent, but without a recipe every recipe of the manifest is composed",
                format!(
                    "give the recipe too, or set each recipe's `output` in `{}`",
                    manifest.path().display()
                ),
            ));
        }
        let recipes = manifest.recipes();
        if recipes.is_empty() {
            return Err(UsageError::report(
                format!("`{}` lists no recipe", manifest.path().display()),
                "add one: [[recipe]] path = \"agent.wac\" (output defaults to target/agent.wasm)",
            ));
        }
        for (recipe, output) in &recipes {
            self.compose(recipe, output)?;
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Composes `recipe` into `output` (`-`: standard output).
    fn compose(&self, recipe_path: &Path, output: &Path) -> miette::Result<ExitCode> {
        let to_stdout = output == Path::new("-");
        if to_stdout && !self.wat && std::io::stdout().is_terminal() {
            bail!(
                help = "redirect standard output to a file, or add `--wat` for the text format",
                "refusing to write binary WebAssembly to a terminal"
            );
        }
        let recipe = Recipe::load(recipe_path)?;
        let options = Options {
            guards: !self.no_guards,
            trace: self.trace,
        };
        let composed = compose_with(&recipe, &self.store.component_store()?, options)?;
        // Before anything is written: a denied finding writes no agent.
        super::flows::findings(&recipe, &composed.flows, &self.deny)?;
        // Checked before anything is written: an agent is never written
        // from components other than the pinned ones. Composed without
        // guards (for debugging), it is checked but not re-pinned.
        let lock = lock_file::check(
            recipe_path,
            &composed,
            match (self.update_lock, self.no_guards || self.trace) {
                (true, _) => Mode::Update,
                (false, false) => Mode::Compose,
                (false, true) => Mode::DigestsOnly,
            },
        )?;
        let text;
        let bytes: &[u8] = if self.wat {
            text = wasmprinter::print_bytes(&composed.bytes).map_err(|e| {
                miette::miette!("cannot print the composed component as text: {e:#}")
            })?;
            text.as_bytes()
        } else {
            &composed.bytes
        };
        if to_stdout {
            let written = std::io::stdout().lock().write_all(bytes);
            // A reader that stops early (`| head`) is not an error.
            if let Err(error) = written
                && error.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(error)
                    .into_diagnostic()
                    .wrap_err("cannot write to standard output");
            }
        } else {
            write_atomically(output, bytes)?;
        }
        lock.write(self.quiet)?;
        for (name, path) in &composed.shadowed {
            // Said even with --quiet: a reviewer must see it.
            eprintln!(
                "warning: `{name}` is not asterbot's own: shadowed with `{}` (--shadow)",
                path.display()
            );
        }
        if !self.quiet {
            eprintln!(
                "composed {} -> {} ({} KiB, exports {})",
                recipe.name(),
                if to_stdout {
                    "standard output".into()
                } else {
                    output.display().to_string()
                },
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
