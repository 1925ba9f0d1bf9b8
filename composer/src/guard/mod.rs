//! Per-instance sandboxes that survive linking: each instance's WASI
//! imports are wired through a guard component whose allowed values are
//! baked in at compose time (see [`policy_component`]).
//!
//! An instance reaches only what its recipe annotations allow; anything
//! else is denied at run time inside the artifact, whatever the runtime
//! grants the artifact as a whole.

mod annotations;
mod policy_component;

use crate::store::{ComponentStore, Found};
use std::collections::BTreeMap;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, NodeId, NodeKind, PackageId};

pub use annotations::policies;
pub use policy_component::policy_component;

/// The interface every guard imports its policy through.
const POLICY: &str = "asterbot:guard/policy@0.1.0";

/// One kind of guard: the imports it stands in front of.
struct Kind {
    /// What it guards, as in the annotations and the audit: `env`, `dirs`,
    /// `hosts`, `sockets`.
    name: &'static str,
    /// The guard component in the store.
    package: &'static str,
    /// Whether the guard imports a baked policy (`sockets` denies all).
    has_policy: bool,
    /// The imports it guards (version left off) and the export of the
    /// guard that stands in for each.
    interfaces: &'static [(&'static str, &'static str)],
}

/// The guards, by kind.
const KINDS: [Kind; 4] = [
    Kind {
        name: "env",
        package: "asterbot:guard-env",
        has_policy: true,
        interfaces: &[("wasi:cli/environment", "wasi:cli/environment@0.2.6")],
    },
    Kind {
        name: "dirs",
        package: "asterbot:guard-dirs",
        has_policy: true,
        interfaces: &[("wasi:filesystem/preopens", "wasi:filesystem/preopens@0.2.6")],
    },
    Kind {
        name: "hosts",
        package: "asterbot:guard-http",
        has_policy: true,
        interfaces: &[(
            "wasi:http/outgoing-handler",
            "wasi:http/outgoing-handler@0.2.4",
        )],
    },
    Kind {
        name: "sockets",
        package: "asterbot:guard-sockets",
        has_policy: false,
        interfaces: &[
            (
                "wasi:sockets/tcp-create-socket",
                "wasi:sockets/tcp-create-socket@0.2.6",
            ),
            (
                "wasi:sockets/udp-create-socket",
                "wasi:sockets/udp-create-socket@0.2.6",
            ),
            (
                "wasi:sockets/ip-name-lookup",
                "wasi:sockets/ip-name-lookup@0.2.6",
            ),
        ],
    },
];

/// What the recipe allows one instance, by guard kind (`env`, ...).
pub type Allowed = BTreeMap<&'static str, Vec<String>>;

/// Wires every instance's guarded imports through guards that allow what
/// `policies` says (nothing, for an instance it does not name).
pub fn apply(
    graph: &mut CompositionGraph,
    policies: &BTreeMap<String, Allowed>,
    store: &ComponentStore,
) -> Result<(), String> {
    let instances: Vec<(NodeId, String)> = graph
        .node_ids()
        .filter(|&id| matches!(graph[id].kind(), NodeKind::Instantiation(_)))
        .map(|id| (id, instance_name(graph, id)))
        .collect();
    let mut guards: BTreeMap<&'static str, PackageId> = BTreeMap::new();
    // One policy instance per distinct allowed list, shared by every guard
    // that allows the same: fewer instances to create on every start.
    let mut shared_policies: BTreeMap<Vec<String>, NodeId> = BTreeMap::new();
    for (instance, name) in instances {
        let imports = unsatisfied_guarded_imports(graph, instance);
        for kind in &KINDS {
            let mine: Vec<&(String, &'static str)> =
                imports.iter().filter(|(_, k)| *k == kind.name).collect();
            if mine.is_empty() {
                continue;
            }
            let guard = match guards.get(kind.package) {
                Some(&id) => id,
                None => {
                    let id = register(graph, store, kind.package)?;
                    guards.insert(kind.package, id);
                    id
                }
            };
            let guard_node = graph.instantiate(guard);
            graph.set_node_name(guard_node, format!("{name}.{}-guard", kind.name));
            if kind.has_policy {
                let allowed = policies
                    .get(&name)
                    .and_then(|allowed| allowed.get(kind.name))
                    .cloned()
                    .unwrap_or_default();
                let policy = match shared_policies.get(&allowed) {
                    Some(&policy) => policy,
                    None => {
                        let number = shared_policies.len();
                        let policy = policy_instance(graph, number, &allowed)?;
                        shared_policies.insert(allowed, policy);
                        policy
                    }
                };
                graph
                    .set_instantiation_argument(guard_node, POLICY, policy)
                    .map_err(|e| e.to_string())?;
            }
            for (import, _) in mine {
                let unversioned = import.split('@').next().unwrap_or(import);
                let (_, export) = kind
                    .interfaces
                    .iter()
                    .find(|(interface, _)| *interface == unversioned)
                    .expect("the import was matched to this kind");
                let guarded = graph
                    .alias_instance_export(guard_node, export)
                    .map_err(|e| e.to_string())?;
                graph
                    .set_instantiation_argument(instance, import, guarded)
                    .map_err(|e| format!("guarding `{import}` of `{name}`: {e}"))?;
            }
        }
    }
    Ok(())
}

/// The name of an instance: its `let` name, or for one written inline
/// (`new pkg { ... }` as an argument) its package and position, so that it
/// is guarded (with nothing allowed) and audited like any other.
pub fn instance_name(graph: &CompositionGraph, id: NodeId) -> String {
    match graph[id].name() {
        Some(name) => name.to_string(),
        None => {
            let position = graph.node_ids().position(|n| n == id).unwrap_or_default();
            format!("inline #{position}")
        }
    }
}

/// An instance of a synthesised policy allowing `allowed` (policy
/// `number` of the artifact), and its export.
fn policy_instance(
    graph: &mut CompositionGraph,
    number: usize,
    allowed: &[String],
) -> Result<NodeId, String> {
    let bytes = policy_component(allowed)?;
    let package = Package::from_bytes(
        &format!("asterbot-policy:p{number}"),
        None,
        bytes,
        graph.types_mut(),
    )
    .map_err(|e| format!("{e:#}"))?;
    let package = graph.register_package(package).map_err(|e| e.to_string())?;
    let node = graph.instantiate(package);
    graph
        .alias_instance_export(node, POLICY)
        .map_err(|e| e.to_string())
}

/// The imports of `instance` that a guard stands for and the recipe left
/// to the runtime (`...`), with the kind of guard for each.
fn unsatisfied_guarded_imports(
    graph: &CompositionGraph,
    instance: NodeId,
) -> Vec<(String, &'static str)> {
    let Some(package) = graph[instance].package() else {
        return Vec::new();
    };
    let satisfied: Vec<String> = graph
        .get_instantiation_arguments(instance)
        .map(|(name, _)| name.to_string())
        .collect();
    let world = &graph.types()[graph[package].ty()];
    world
        .imports
        .keys()
        .filter(|name| !satisfied.contains(name))
        .filter_map(|name| {
            let unversioned = name.split('@').next().unwrap_or(name);
            KINDS
                .iter()
                .find(|kind| kind.interfaces.iter().any(|(i, _)| *i == unversioned))
                .map(|kind| (name.clone(), kind.name))
        })
        .collect()
}

/// Registers the guard component `name` from the store.
fn register(
    graph: &mut CompositionGraph,
    store: &ComponentStore,
    name: &str,
) -> Result<PackageId, String> {
    // Guards come with asterbot: its own store first, so a third-party
    // store cannot swap in a looser guard; the recipe's store only when
    // asterbot's cannot be found.
    let default = ComponentStore::discover_default().map(|dir| ComponentStore::new().root(dir));
    let path = [default.as_ref(), Some(store)]
        .into_iter()
        .flatten()
        .find_map(|store| match store.locate(name, None) {
            Ok(Found::Component(path)) => Some(path),
            _ => None,
        })
        .ok_or_else(|| format!("the guard component `{name}` is in no store"))?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let package =
        Package::from_bytes(name, None, bytes, graph.types_mut()).map_err(|e| format!("{e:#}"))?;
    graph.register_package(package).map_err(|e| e.to_string())
}
