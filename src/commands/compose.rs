//! `asterbot compose`: link a recipe into one agent component.

use asterbot_composer::{ComponentStore, Recipe, compose};
use clap::Args;
use miette::{IntoDiagnostic, WrapErr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Link a recipe and its components into one agent component.
///
/// Packages named in the recipe are looked up, in order: `--dep`
/// overrides, each `--deps-dir`, then the store (`--store`, else
/// `$ASTERBOT_STORE`, else the repository's `target/store`, filled by
/// `cargo xtask build`). A folder is laid out as `<dir>/<namespace>/<name>.wasm`.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot compose recipes/offline.wac -o agent.wasm
  asterbot compose my.wac --dep acme:weather=./weather.wasm -o agent.wasm
  asterbot compose my.wac --deps-dir ./deps -o agent.wasm")]
pub struct ComposeArgs {
    /// The recipe (a WAC file).
    recipe: PathBuf,

    /// Where to write the composed agent.
    #[arg(short, long, value_name = "FILE", default_value = "agent.wasm")]
    output: PathBuf,

    /// Use FILE for package NAME (e.g. `acme:weather=./weather.wasm`).
    #[arg(long = "dep", value_name = "NAME=FILE", value_parser = parse_dep)]
    deps: Vec<(String, PathBuf)>,

    /// A folder of components laid out as `<dir>/<namespace>/<name>.wasm`.
    #[arg(long = "deps-dir", value_name = "DIR")]
    deps_dirs: Vec<PathBuf>,

    /// The component store searched last (default: the repository's).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
}

impl ComposeArgs {
    /// Composes the recipe and writes the agent.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let recipe = Recipe::load(&self.recipe)?;
        let composed = compose(&recipe, &self.component_store())?;
        write_atomically(&self.output, &composed.bytes)?;
        eprintln!(
            "composed {} -> {} ({} KiB, exports {})",
            recipe.name(),
            self.output.display(),
            composed.bytes.len().div_ceil(1024),
            composed.exports.join(", ")
        );
        Ok(ExitCode::SUCCESS)
    }

    fn component_store(&self) -> ComponentStore {
        let mut store = ComponentStore::new();
        for (name, path) in &self.deps {
            store = store.override_package(name, path);
        }
        for dir in &self.deps_dirs {
            store = store.root(dir);
        }
        match self.store.clone().or_else(ComponentStore::discover_default) {
            Some(dir) => store.root(dir),
            None => store,
        }
    }
}

/// `NAME=FILE` → (NAME, FILE).
fn parse_dep(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "expected NAME=FILE, e.g. acme:weather=./weather.wasm, got `{text}`"
        )),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it, so a
/// crash never leaves a half-written agent behind.
fn write_atomically(path: &Path, bytes: &[u8]) -> miette::Result<()> {
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.partial"));
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write `{}`", path.display()))
}
