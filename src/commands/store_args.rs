//! The flags that say where recipe packages come from, shared by the
//! commands that read recipes.

use crate::manifest::Manifest;
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
    /// The store these flags describe, with the packages and folders of
    /// the project's manifest (`asterbot.toml`) after them, or why they
    /// contradict each other.
    pub fn component_store(&self) -> miette::Result<ComponentStore> {
        let mut store = ComponentStore::new();
        for (name, path) in &self.deps {
            store = store
                .override_package(name, path)
                .map_err(|e| miette::miette!("--dep {name}: {e}"))?;
        }
        let manifest = Manifest::find()?;
        if let Some(manifest) = &manifest {
            for (name, path) in manifest.packages() {
                if self.deps.iter().any(|(given, _)| given == name) {
                    continue;
                }
                store = store.override_package(name, path).map_err(|e| {
                    miette::miette!("`{}`, package `{name}`: {e}", manifest.path().display())
                })?;
            }
        }
        for (name, path) in &self.shadows {
            store = store
                .shadow(name, path)
                .map_err(|e| miette::miette!("--shadow {name}: {e}"))?;
        }
        for dir in &self.deps_dirs {
            store = store.root(dir);
        }
        for dir in manifest.iter().flat_map(Manifest::deps_dirs) {
            store = store.root(dir);
        }
        Ok(match self.store.clone().or_else(ComponentStore::from_env) {
            Some(dir) => store.root(dir),
            None => store,
        })
    }
}

/// `NAME=FILE` → (NAME, FILE); NAME must be `namespace:name` or
/// `namespace:name@version`, each part a WIT identifier (`acme`,
/// `weather-v2`).
fn parse_dep(text: &str) -> Result<(String, PathBuf), String> {
    let Some((name, path)) = text.split_once('=') else {
        return Err(format!(
            "expected NAME=FILE, e.g. acme:weather=./weather.wasm, got `{text}`"
        ));
    };
    if path.is_empty() {
        return Err(format!(
            "no file after `{name}=`: expected NAME=FILE, e.g. {name}=./component.wasm"
        ));
    }
    let (package, version) = name.split_once('@').unwrap_or((name, ""));
    let Some((namespace, short)) = package.split_once(':') else {
        return Err(format!(
            "`{name}` is not a package name: expected NAMESPACE:NAME=FILE, e.g. acme:{name}=./{name}.wasm"
        ));
    };
    for part in [namespace, short] {
        if !is_wit_identifier(part) {
            return Err(format!(
                "`{part}` in `{name}` is not a WIT name: use lower-case letters, digits and single dashes, starting with a letter (e.g. acme:weather-v2)"
            ));
        }
    }
    if name.contains('@') && semver::Version::parse(version).is_err() {
        return Err(format!(
            "`{version}` in `{name}` is not a version: expected e.g. {package}@1.2.0"
        ));
    }
    Ok((name.to_string(), PathBuf::from(path)))
}

/// Whether `text` is a WIT identifier: dash-separated words of lower-case
/// letters and digits, the first starting with a letter.
fn is_wit_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::parse_dep;

    #[test]
    fn a_dep_names_a_package_and_a_file() {
        assert!(parse_dep("acme:weather=./w.wasm").is_ok());
        assert!(parse_dep("acme:weather-v2@1.2.0=w.wasm").is_ok());
        for (bad, says) in [
            ("weather=./w.wasm", "not a package name"),
            ("acme:weather", "expected NAME=FILE"),
            ("acme:weather=", "no file after"),
            (
                "Acme:weather=w.wasm",
                "`Acme` in `Acme:weather` is not a WIT name",
            ),
            ("acme:weather_x=w.wasm", "is not a WIT name"),
            ("acme:=w.wasm", "is not a WIT name"),
            (
                "acme:weather@one=w.wasm",
                "`one` in `acme:weather@one` is not a version",
            ),
        ] {
            let error = parse_dep(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
}
