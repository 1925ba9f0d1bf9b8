//! The component store: where package names in a recipe are looked up.
//!
//! Lookup order: `--dep name=PATH` overrides first (`name` or
//! `name@version`), then each store root in the order given. A root is
//! laid out like wac's `deps` folder:
//!
//! - `<root>/<namespace>/<name>.wasm`: a component;
//! - `<root>/<namespace>/<name>/` holding `.wit` files: a WIT package
//!   (types and interfaces a recipe can import);
//! - `<root>/<namespace>/<name>/<version>.wasm` (or a `<version>/` WIT
//!   folder): a versioned package.
//!   `ns:name@1.2.0` takes `1.2.0.wasm` if present, else the highest
//!   version semver-compatible with it (`^1.2.0`: `1.4.1`, not `2.0.0`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variable naming the default store folder.
pub const STORE_ENV: &str = "ASTERBOT_STORE";

/// Where the repository's build step stages the components.
const REPO_STORE: &str = "target/store";

/// What a package name was found as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A component binary.
    Component(PathBuf),
    /// A folder of WIT files, one package.
    Wit(PathBuf),
}

/// Package name → component file lookup.
#[derive(Debug, Clone, Default)]
pub struct ComponentStore {
    overrides: BTreeMap<String, PathBuf>,
    roots: Vec<PathBuf>,
}

impl ComponentStore {
    /// An empty store; add roots and overrides with the builder methods.
    pub fn new() -> ComponentStore {
        ComponentStore::default()
    }

    /// Searches `dir` after the roots already added.
    pub fn root(mut self, dir: impl Into<PathBuf>) -> ComponentStore {
        self.roots.push(dir.into());
        self
    }

    /// Uses `path` for package `name`, before any root.
    pub fn override_package(mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.overrides.insert(name.into(), path.into());
        self
    }

    /// The repository's own store when none is given: `$ASTERBOT_STORE`,
    /// else `target/store` in the current folder or one of its parents,
    /// else the `store` folder beside the running binary's build folder.
    pub fn discover_default() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os(STORE_ENV) {
            return Some(PathBuf::from(dir));
        }
        let from_cwd = std::env::current_dir().ok().and_then(|cwd| {
            cwd.ancestors()
                .map(|dir| dir.join(REPO_STORE))
                .find(|dir| dir.is_dir())
        });
        from_cwd.or_else(|| {
            // target/<profile>/asterbot → target/store
            let exe = std::env::current_exe().ok()?;
            let store = exe.parent()?.parent()?.join("store");
            store.is_dir().then_some(store)
        })
    }

    /// Where `name` (at `version`) is, or every place searched.
    pub fn locate(&self, name: &str, version: Option<&str>) -> Result<Found, Vec<PathBuf>> {
        let key = match version {
            Some(version) => format!("{name}@{version}"),
            None => name.to_string(),
        };
        if let Some(path) = self.overrides.get(&key) {
            return Ok(Found::Component(path.clone()));
        }
        let Some(relative) = relative_path(name, version) else {
            return Err(Vec::new());
        };
        let mut searched = Vec::new();
        for root in &self.roots {
            let path = root.join(&relative);
            if path.is_file() {
                return Ok(Found::Component(path));
            }
            let dir = path.with_extension("");
            if has_wit_files(&dir) {
                return Ok(Found::Wit(dir));
            }
            searched.push(path.clone());
            if let Some(version) = version
                && let Some(compatible) = highest_compatible(path.parent().unwrap_or(root), version)
            {
                return Ok(Found::Component(compatible));
            }
        }
        Err(searched)
    }

    /// Every package name the store can resolve, sorted.
    pub fn known_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.overrides.keys().cloned().collect();
        for root in &self.roots {
            names.extend(names_in_root(root));
        }
        names.sort();
        names.dedup();
        names
    }
}

/// `ns:name` → `ns/name.wasm`; `None` for names that could leave the root.
fn relative_path(name: &str, version: Option<&str>) -> Option<PathBuf> {
    let (namespace, package) = name.split_once(':')?;
    let safe = |part: &str| {
        !part.is_empty() && !part.contains(['/', '\\', ':', '\0']) && !part.starts_with('.')
    };
    if !safe(namespace) || !safe(package) || version.is_some_and(|v| !safe(v)) {
        return None;
    }
    let dir = Path::new(namespace);
    Some(match version {
        None => dir.join(format!("{package}.wasm")),
        Some(version) => dir.join(package).join(format!("{version}.wasm")),
    })
}

/// Whether `dir` holds at least one `.wit` file.
fn has_wit_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "wit"))
    })
}

/// The highest `<dir>/<version>.wasm` that `^wanted` accepts.
fn highest_compatible(dir: &Path, wanted: &str) -> Option<PathBuf> {
    let requirement = semver::VersionReq::parse(&format!("^{wanted}")).ok()?;
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "wasm"))
        .filter_map(|path| {
            let version = semver::Version::parse(&path.file_stem()?.to_string_lossy()).ok()?;
            requirement.matches(&version).then_some((version, path))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, path)| path)
}

/// `ns:name` for every `<root>/<ns>/<name>.wasm`.
fn names_in_root(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(namespaces) = std::fs::read_dir(root) else {
        return names;
    };
    for namespace in namespaces.flatten() {
        let Ok(files) = std::fs::read_dir(namespace.path()) else {
            continue;
        };
        let ns = namespace.file_name().to_string_lossy().into_owned();
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "wasm")
                && let Some(stem) = path.file_stem()
            {
                names.push(format!("{ns}:{}", stem.to_string_lossy()));
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::relative_path;
    use std::path::PathBuf;

    #[test]
    fn names_map_to_the_wac_deps_layout() {
        assert_eq!(
            relative_path("asterbot:core", None),
            Some(PathBuf::from("asterbot/core.wasm"))
        );
        assert_eq!(
            relative_path("acme:weather", Some("1.2.0")),
            Some(PathBuf::from("acme/weather/1.2.0.wasm"))
        );
    }

    #[test]
    fn names_that_could_escape_the_root_are_refused() {
        for name in [
            "../x:y",
            "a:../../etc",
            "a:b/c",
            "nocolon",
            "a:",
            ":b",
            "a:.hidden",
        ] {
            assert_eq!(relative_path(name, None), None, "{name}");
        }
        assert_eq!(relative_path("a:b", Some("../1")), None);
    }
}
