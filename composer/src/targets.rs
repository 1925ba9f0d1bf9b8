//! Which world of `asterbot:agent` a component fits (`asterbot targets`),
//! checked as `wac targets` checks one world, against all of them at once.
//!
//! A component fits a world when it exports everything the world exports,
//! with the same types, and imports nothing but what the world imports
//! and WASI. WASI imports are not part of any asterbot world: a recipe
//! grants them (or not) with annotations, and the composer guards them.

use std::collections::BTreeSet;
use wac_types::{ExternKind, ItemKind, Package, Type, Types, WorldId, validate_target};

/// How a component measures up against one world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldCheck {
    /// The world's name in `asterbot:agent` (`tool`, `core`, ...).
    pub world: String,
    /// What keeps the component from fitting it; empty when it fits.
    pub problems: Vec<Problem>,
    /// How many of the world's imports the component does not use.
    pub unused_imports: usize,
    /// How many of the world's imports the component uses.
    pub used_imports: usize,
    /// How many of the world's exports the component exports.
    pub matched_exports: usize,
}

impl WorldCheck {
    /// Whether the component fits only because the world asks nothing of
    /// it: no export of the world's, no import of the world's used (a
    /// guard or a plain command "fits" `front-end` so).
    pub fn vacuous(&self) -> bool {
        self.matched_exports == 0 && self.used_imports == 0
    }
}

/// One reason a component does not fit a world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The world exports `name`; the component does not.
    MissingExport {
        /// The export's name.
        name: String,
        /// What it is (`instance`, `function`).
        kind: String,
    },
    /// The component imports `name`, which the world does not offer.
    ExtraImport {
        /// The import's name.
        name: String,
    },
    /// The component has `name`, but with another type than the world's.
    Mistyped {
        /// The import's or export's name.
        name: String,
        /// Whether it is an import or an export.
        export: bool,
        /// How the types differ.
        reason: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::MissingExport { name, kind } => {
                write!(f, "it does not export `{name}` (an {kind})")
            }
            Problem::ExtraImport { name } => write!(
                f,
                "it imports `{name}`, which this world does not offer (nor does WASI)"
            ),
            Problem::Mistyped {
                name,
                export,
                reason,
            } => write!(
                f,
                "its {} `{name}` has another type than the world's: {reason}",
                if *export { "export" } else { "import" }
            ),
        }
    }
}

/// What `asterbot targets` found.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Every world, best fit first: those it fits (most of their exports,
    /// then most of their imports, in use), then the others, fewest
    /// problems first.
    pub worlds: Vec<WorldCheck>,
    /// Whether one world was asked for (`--world`).
    pub asked: bool,
    /// The component's WASI imports, which recipe annotations grant.
    pub wasi: Vec<String>,
    /// The component's exports.
    pub exports: Vec<String>,
}

impl Targets {
    /// The worlds the component fits, best first: most of the world's
    /// exports, then most of its imports, in use. A fit that is only
    /// [`WorldCheck::vacuous`] counts when that world was asked for.
    pub fn fits(&self) -> impl Iterator<Item = &WorldCheck> {
        self.worlds
            .iter()
            .filter(|w| w.problems.is_empty() && (self.asked || !w.vacuous()))
    }
}

/// Why a component could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetsError(String);

/// Checks `component` against every world of `asterbot:agent`, or only
/// `world` when given.
pub fn targets(component: &[u8], world: Option<&str>) -> Result<Targets, TargetsError> {
    let mut types = Types::default();
    let package = crate::resolve::agent_package_bytes().map_err(TargetsError)?;
    let package = Package::from_bytes("asterbot:agent", None, package, &mut types)
        .map_err(|e| TargetsError(format!("asterbot's own WIT does not load: {e:#}")))?;
    match wasmparser::Parser::new(0).parse_all(component).next() {
        Some(Ok(wasmparser::Payload::Version {
            encoding: wasmparser::Encoding::Component,
            ..
        })) => {}
        Some(Ok(wasmparser::Payload::Version { .. })) => {
            return Err(TargetsError(
                "it is a core WebAssembly module, not a component: build for `wasm32-wasip2` (Rust), or wrap it with `wasm-tools component new`".to_string(),
            ));
        }
        _ => return Err(TargetsError("it is not a WebAssembly file".to_string())),
    }
    let component = Package::from_bytes("component", None, component.to_vec(), &mut types)
        .map_err(|e| TargetsError(format!("{e:#}")))?;
    let component_world = component.ty();
    let mut worlds = Vec::new();
    for (name, id) in worlds_of(&types, package.ty()) {
        if world.is_some_and(|w| w != name) {
            continue;
        }
        worlds.push(check(&types, &name, id, component_world));
    }
    if let Some(world) = world
        && worlds.is_empty()
    {
        let names: Vec<String> = worlds_of(&types, package.ty())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        return Err(TargetsError(format!(
            "asterbot:agent has no world `{world}`; its worlds: {}",
            names.join(", ")
        )));
    }
    // Stable: among equals, the WIT's own order.
    worlds.sort_by_key(|w| {
        (
            !w.problems.is_empty() || w.vacuous(),
            std::cmp::Reverse(w.matched_exports),
            std::cmp::Reverse(w.used_imports),
            w.problems.len(),
            w.unused_imports,
        )
    });
    let imports = &types[component_world].imports;
    Ok(Targets {
        worlds,
        asked: world.is_some(),
        wasi: imports
            .keys()
            .filter(|name| name.starts_with("wasi:"))
            .cloned()
            .collect(),
        exports: types[component_world].exports.keys().cloned().collect(),
    })
}

/// The worlds of the encoded package, by short name, in WIT order.
fn worlds_of(types: &Types, package: WorldId) -> Vec<(String, WorldId)> {
    types[package]
        .exports
        .iter()
        .filter_map(|(name, item)| {
            let ItemKind::Type(Type::World(outer)) = item else {
                return None;
            };
            match types[*outer].exports.values().next() {
                Some(ItemKind::Component(world)) => Some((short_name(name), *world)),
                _ => None,
            }
        })
        .collect()
}

/// `tool` for `asterbot:agent/tool@0.2.0`.
fn short_name(name: &str) -> String {
    let name = name.rsplit_once('/').map_or(name, |(_, n)| n);
    name.split_once('@').map_or(name, |(n, _)| n).to_string()
}

/// The problems of `component` against `world`, WASI imports allowed.
fn check(types: &Types, name: &str, world: WorldId, component: WorldId) -> WorldCheck {
    let mut problems = Vec::new();
    if let Err(report) = validate_target(types, world, component) {
        for import in report.imports_not_in_target() {
            if !import.starts_with("wasi:") {
                problems.push(Problem::ExtraImport {
                    name: import.to_string(),
                });
            }
        }
        for (export, kind) in report.missing_exports() {
            problems.push(Problem::MissingExport {
                name: export.to_string(),
                kind: kind.desc(types).to_string(),
            });
        }
        for (item, extern_kind, error) in report.mismatched_types() {
            problems.push(Problem::Mistyped {
                name: item.to_string(),
                export: matches!(extern_kind, ExternKind::Export),
                reason: format!("{error:#}"),
            });
        }
    }
    let used: BTreeSet<&String> = types[component].imports.keys().collect();
    let used_imports = types[world]
        .imports
        .keys()
        .filter(|import| used.contains(import))
        .count();
    let exports = &types[component].exports;
    WorldCheck {
        world: name.to_string(),
        problems,
        unused_imports: types[world].imports.len() - used_imports,
        used_imports,
        matched_exports: types[world]
            .exports
            .keys()
            .filter(|e| exports.contains_key(*e))
            .count(),
    }
}
