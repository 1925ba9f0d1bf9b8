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
    /// What it guards, for names and messages: `env`, `dirs`, ...
    name: &'static str,
    /// Imports it guards (version left off).
    interface: &'static str,
    /// The guard component in the store.
    package: &'static str,
    /// The guard's export standing in for the import.
    export: &'static str,
}

/// The guards, by kind.
const KINDS: [Kind; 3] = [
    Kind {
        name: "env",
        interface: "wasi:cli/environment",
        package: "asterbot:guard-env",
        export: "wasi:cli/environment@0.2.6",
    },
    Kind {
        name: "dirs",
        interface: "wasi:filesystem/preopens",
        package: "asterbot:guard-dirs",
        export: "wasi:filesystem/preopens@0.2.6",
    },
    Kind {
        name: "hosts",
        interface: "wasi:http/outgoing-handler",
        package: "asterbot:guard-http",
        export: "wasi:http/outgoing-handler@0.2.12",
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
        .filter_map(|id| graph[id].name().map(|name| (id, name.to_string())))
        .collect();
    let mut guards: BTreeMap<&'static str, PackageId> = BTreeMap::new();
    for (instance, name) in instances {
        for (import, kind) in unsatisfied_guarded_imports(graph, instance) {
            let guard = match guards.get(kind.package) {
                Some(&id) => id,
                None => {
                    let id = register(graph, store, kind.package)?;
                    guards.insert(kind.package, id);
                    id
                }
            };
            let allowed = policies
                .get(&name)
                .and_then(|allowed| allowed.get(kind.name))
                .cloned()
                .unwrap_or_default();
            let policy = policy_component(&allowed)?;
            let policy = Package::from_bytes(
                &format!("asterbot-policy:{name}-{}", kind.name),
                None,
                policy,
                graph.types_mut(),
            )
            .map_err(|e| format!("{e:#}"))?;
            let policy = graph.register_package(policy).map_err(|e| e.to_string())?;
            let policy = graph.instantiate(policy);
            let policy_export = graph
                .alias_instance_export(policy, POLICY)
                .map_err(|e| e.to_string())?;
            let guard_node = graph.instantiate(guard);
            graph.set_node_name(guard_node, format!("{name}.{}-guard", kind.name));
            graph
                .set_instantiation_argument(guard_node, POLICY, policy_export)
                .map_err(|e| e.to_string())?;
            let guarded = graph
                .alias_instance_export(guard_node, kind.export)
                .map_err(|e| e.to_string())?;
            graph
                .set_instantiation_argument(instance, &import, guarded)
                .map_err(|e| format!("guarding `{import}` of `{name}`: {e}"))?;
        }
    }
    Ok(())
}

/// The imports of `instance` that a guard stands for and the recipe left
/// to the runtime (`...`).
fn unsatisfied_guarded_imports(
    graph: &CompositionGraph,
    instance: NodeId,
) -> Vec<(String, &'static Kind)> {
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
                .find(|kind| kind.interface == unversioned)
                .map(|kind| (name.clone(), kind))
        })
        .collect()
}

/// Registers the guard component `name` from the store.
fn register(
    graph: &mut CompositionGraph,
    store: &ComponentStore,
    name: &str,
) -> Result<PackageId, String> {
    let path = match store.locate(name, None) {
        Ok(Found::Component(path)) => path,
        _ => {
            return Err(format!(
                "the guard component `{name}` is not in the store; build it with `cargo xtask build`"
            ));
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let package =
        Package::from_bytes(name, None, bytes, graph.types_mut()).map_err(|e| format!("{e:#}"))?;
    graph.register_package(package).map_err(|e| e.to_string())
}
