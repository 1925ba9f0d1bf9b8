//! What the composed agent still imports: the interfaces a runtime must
//! provide, and which instances of the recipe need each one.

use std::collections::BTreeMap;
use wac_graph::types::ItemKind;
use wac_graph::{CompositionGraph, NodeKind};

/// One import of the composed component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeImport {
    /// The interface without version, e.g. `wasi:cli/environment`.
    pub name: String,
    /// The versions imported, e.g. `0.2.6` (empty for unversioned names).
    pub versions: Vec<String>,
    /// The recipe instances (`let` names) that use it, in recipe order.
    pub instances: Vec<String>,
    /// True when the interface only defines types: nothing to provide.
    pub types_only: bool,
}

/// The composition's imports, one entry per interface (all versions of it
/// together), sorted by name.
pub fn runtime_imports(graph: &CompositionGraph) -> Vec<RuntimeImport> {
    let mut imports: BTreeMap<String, RuntimeImport> = BTreeMap::new();
    let mut add = |name: &str, kind: ItemKind, users: &[String]| {
        let (interface, version) = name.split_once('@').unwrap_or((name, ""));
        let entry = imports
            .entry(interface.to_string())
            .or_insert_with(|| RuntimeImport {
                name: interface.to_string(),
                versions: Vec::new(),
                instances: Vec::new(),
                types_only: true,
            });
        // Shared by several instances, it is types-only if it is for all.
        entry.types_only &= crate::guard::is_types_only(graph, kind);
        if !version.is_empty() && !entry.versions.iter().any(|v| v == version) {
            entry.versions.push(version.to_string());
        }
        for user in users {
            if !entry.instances.iter().any(|i| i == user) {
                entry.instances.push(user.clone());
            }
        }
    };
    for id in graph.node_ids() {
        let node = &graph[id];
        match node.kind() {
            NodeKind::Import(name) => add(name, node.item_kind(), &[]),
            NodeKind::Instantiation(_) => {
                let Some(package) = node.package() else {
                    continue;
                };
                let package = &graph[package];
                // A guard's imports are on behalf of the instances it serves.
                let users = if package.name().starts_with("asterbot:guard-") {
                    served_by(graph, id)
                } else {
                    vec![node.name().unwrap_or(package.name()).to_string()]
                };
                let arguments: BTreeMap<&str, _> = graph.get_instantiation_arguments(id).collect();
                for (import, kind) in &graph.types()[package.ty()].imports {
                    match arguments.get(import.as_str()) {
                        None => add(import, *kind, &users),
                        Some(source) => {
                            if let NodeKind::Import(name) = graph[*source].kind() {
                                add(name, *kind, &users);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    imports.into_values().collect()
}

/// The instances with an argument from an export of `guard`, in graph
/// order.
fn served_by(graph: &CompositionGraph, guard: wac_graph::NodeId) -> Vec<String> {
    graph
        .node_ids()
        .filter(|&id| {
            graph.get_instantiation_arguments(id).any(|(_, source)| {
                graph
                    .get_alias_source(source)
                    .is_some_and(|(from, _)| from == guard)
            })
        })
        .map(|id| crate::guard::instance_name(graph, id))
        .collect()
}
