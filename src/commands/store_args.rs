//! The flags that say where recipe packages come from, shared by the
//! commands that read recipes.

use asterbot_composer::ComponentStore;
use clap::Args;
use std::path::PathBuf;

/// Where packages are looked up, in this order: `--dep`, each
/// `--deps-dir`, then the store.
#[derive(Args)]
pub struct StoreArgs {
    /// Use FILE for package NAME (e.g. `acme:weather=./weather.wasm`).
    #[arg(long = "dep", value_name = "NAME=FILE", value_parser = parse_dep)]
    deps: Vec<(String, PathBuf)>,

    /// A folder of components laid out as `<dir>/<namespace>/<name>.wasm`.
    #[arg(long = "deps-dir", value_name = "DIR")]
    deps_dirs: Vec<PathBuf>,

    /// The component store searched last [default: $ASTERBOT_STORE, else
    /// the repository's target/store].
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
}

impl StoreArgs {
    /// The store these flags describe.
    pub fn component_store(&self) -> ComponentStore {
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
