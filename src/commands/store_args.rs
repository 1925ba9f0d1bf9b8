//! The flags that say where recipe packages come from, shared by the
//! commands that read recipes.

use asterbot_composer::ComponentStore;
use clap::Args;
use std::path::PathBuf;

/// Where packages are looked up: asterbot's own come from the binary;
/// any other from `--dep`, each `--deps-dir`, then the store.
#[derive(Args)]
pub struct StoreArgs {
    /// Use FILE for package NAME (e.g. `acme:weather=./weather.wasm`); a
    /// name is given once, and asterbot's own cannot be (see --shadow).
    #[arg(long = "dep", value_name = "NAME=FILE", value_parser = parse_dep)]
    deps: Vec<(String, PathBuf)>,

    /// Replace one of asterbot's own packages (not a guard) with FILE, e.g.
    /// `asterbot:memory=./my-memory.wasm`; compose output and the audit
    /// report it.
    #[arg(long = "shadow", value_name = "NAME=FILE", value_parser = parse_dep)]
    shadows: Vec<(String, PathBuf)>,

    /// A folder of components laid out as `<dir>/<namespace>/<name>.wasm`.
    #[arg(long = "deps-dir", value_name = "DIR")]
    deps_dirs: Vec<PathBuf>,

    /// The component store searched last [default: $ASTERBOT_STORE].
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
}

impl StoreArgs {
    /// The store these flags describe, or why they contradict each other.
    pub fn component_store(&self) -> miette::Result<ComponentStore> {
        let mut store = ComponentStore::new();
        for (name, path) in &self.deps {
            store = store
                .override_package(name, path)
                .map_err(|e| miette::miette!("--dep {name}: {e}"))?;
        }
        for (name, path) in &self.shadows {
            store = store
                .shadow(name, path)
                .map_err(|e| miette::miette!("--shadow {name}: {e}"))?;
        }
        for dir in &self.deps_dirs {
            store = store.root(dir);
        }
        Ok(match self.store.clone().or_else(ComponentStore::from_env) {
            Some(dir) => store.root(dir),
            None => store,
        })
    }
}

/// `NAME=FILE` → (NAME, FILE); NAME must be `namespace:name`.
fn parse_dep(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if name.contains(':') && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        Some((name, _)) if !name.is_empty() && !name.contains(':') => Err(format!(
            "`{name}` is not a package name: expected NAMESPACE:NAME=FILE, e.g. acme:{name}=./{name}.wasm"
        )),
        _ => Err(format!(
            "expected NAME=FILE, e.g. acme:weather=./weather.wasm, got `{text}`"
        )),
    }
}
