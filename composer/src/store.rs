//! The component store: where package names in a recipe are looked up.
//!
//! `asterbot:` packages are asterbot's own and come from the binary (see
//! `asterbot-bundle`): no folder or override can replace one, unless the
//! recipe's composer shadows it explicitly ([`ComponentStore::shadow`]),
//! which compose output and the audit report.
//!
//! Any other package: `--dep name=PATH` overrides first (`name` or
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

/// The namespace of asterbot's own packages.
pub const RESERVED_NAMESPACE: &str = "asterbot";

/// What a package name was found as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// One of asterbot's own components, embedded in the binary.
    Embedded(&'static [u8]),
    /// asterbot's own WIT package, embedded in the binary.
    EmbeddedWit(&'static str),
    /// A component binary.
    Component(PathBuf),
    /// A folder of WIT files, one package.
    Wit(PathBuf),
}

/// Package name → component file lookup.
#[derive(Debug, Clone, Default)]
pub struct ComponentStore {
    overrides: BTreeMap<String, PathBuf>,
    shadows: BTreeMap<String, PathBuf>,
    roots: Vec<PathBuf>,
}

/// Why a store cannot be built as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

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

    /// Uses `path` for package `name` (`ns:name` or `ns:name@version`),
    /// before any root. asterbot's own packages cannot be overridden this
    /// way (see [`ComponentStore::shadow`]), and a name is given once.
    pub fn override_package(
        mut self,
        name: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Result<Self, StoreError> {
        let (name, path) = (name.into(), path.into());
        check_name(&name)?;
        if is_reserved(&name) {
            return Err(StoreError(format!(
                "`{name}` is one of asterbot's own packages, built into asterbot; to replace it anyway, say so with `--shadow {name}={}` (compose output and the audit will report it)",
                path.display()
            )));
        }
        if self.overrides.contains_key(&name) {
            return Err(StoreError(format!(
                "`--dep {name}=...` is given twice; give each package once"
            )));
        }
        self.overrides.insert(name, path);
        Ok(self)
    }

    /// Replaces asterbot's own package `name` with the component at
    /// `path`. Guards cannot be replaced.
    pub fn shadow(
        mut self,
        name: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Result<Self, StoreError> {
        let (name, path) = (name.into(), path.into());
        check_name(&name)?;
        if !is_reserved(&name) {
            return Err(StoreError(format!(
                "`{name}` is not one of asterbot's packages; use `--dep {name}={}`",
                path.display()
            )));
        }
        if name.starts_with("asterbot:guard-") {
            return Err(StoreError(format!(
                "`{name}` is a guard: the sandbox is made of asterbot's own guards, which cannot be replaced"
            )));
        }
        if self.shadows.contains_key(&name) {
            return Err(StoreError(format!(
                "`--shadow {name}=...` is given twice; give each package once"
            )));
        }
        self.shadows.insert(name, path);
        Ok(self)
    }

    /// The packages replaced with [`ComponentStore::shadow`], and by what.
    pub fn shadowed(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.shadows
            .iter()
            .map(|(name, path)| (name.as_str(), path.as_path()))
    }

    /// The store folder named by `$ASTERBOT_STORE`, if set.
    pub fn from_env() -> Option<PathBuf> {
        std::env::var_os(STORE_ENV)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    }

    /// Where `name` (at `version`) is, or every place searched.
    pub fn locate(&self, name: &str, version: Option<&str>) -> Result<Found, Vec<PathBuf>> {
        if is_reserved(name) {
            let compatible = version.is_none_or(|wanted| {
                let requirement = semver::VersionReq::parse(&format!("^{wanted}"));
                let have = semver::Version::parse(asterbot_bundle::VERSION);
                matches!((requirement, have), (Ok(r), Ok(v)) if r.matches(&v))
            });
            if !compatible {
                return Err(Vec::new());
            }
            if let Some(path) = self.shadows.get(name) {
                return Ok(Found::Component(path.clone()));
            }
            if name == "asterbot:agent" {
                return Ok(Found::EmbeddedWit(asterbot_bundle::AGENT_WIT));
            }
            return asterbot_bundle::get(name)
                .map(Found::Embedded)
                .ok_or_else(Vec::new);
        }
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
        names.extend(
            asterbot_bundle::names()
                .filter(|name| !name.starts_with("asterbot:guard-"))
                .map(str::to_string),
        );
        for root in &self.roots {
            names.extend(names_in_root(root));
        }
        names.sort();
        names.dedup();
        names
    }
}

/// Whether `name` (`ns:name`, maybe with a version) is in asterbot's
/// reserved namespace.
pub fn is_reserved(name: &str) -> bool {
    name.split_once(':')
        .is_some_and(|(namespace, _)| namespace == RESERVED_NAMESPACE)
}

/// Checks that `name` is `namespace:name`, optionally `@version`.
fn check_name(name: &str) -> Result<(), StoreError> {
    let (package, version) = name
        .split_once('@')
        .map_or((name, None), |(p, v)| (p, Some(v)));
    if relative_path(package, version).is_none() {
        return Err(StoreError(format!(
            "`{name}` is not a package name: expected `namespace:name` (or `namespace:name@1.2.0`), e.g. `acme:weather`"
        )));
    }
    Ok(())
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
    use super::{ComponentStore, relative_path};

    #[test]
    fn asterbot_packages_come_from_the_binary_and_are_replaced_only_by_shadowing() {
        let dir = std::env::temp_dir();
        let store = ComponentStore::new().root(&dir);
        assert!(matches!(
            store.locate("asterbot:core", None),
            Ok(super::Found::Embedded(_))
        ));
        assert!(
            ComponentStore::new()
                .override_package("asterbot:approval", "x.wasm")
                .unwrap_err()
                .0
                .contains("--shadow asterbot:approval=x.wasm")
        );
        assert!(
            ComponentStore::new()
                .shadow("asterbot:guard-env", "x.wasm")
                .is_err()
        );
        assert!(ComponentStore::new().shadow("acme:x", "x.wasm").is_err());
        let twice = ComponentStore::new()
            .override_package("acme:x", "a.wasm")
            .unwrap()
            .override_package("acme:x", "b.wasm");
        assert!(twice.unwrap_err().0.contains("twice"));
        assert!(
            ComponentStore::new()
                .override_package("weather", "w.wasm")
                .is_err()
        );
        let shadowed = ComponentStore::new()
            .shadow("asterbot:memory", "m.wasm")
            .unwrap();
        assert_eq!(
            shadowed.locate("asterbot:memory", None),
            Ok(super::Found::Component("m.wasm".into()))
        );
    }
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
