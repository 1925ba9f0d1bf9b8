//! What the composed agent still imports: the interfaces a runtime must
//! provide, and which instances of the recipe need each one.

use std::collections::BTreeMap;
use wac_graph::types::{ItemKind, Type};
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
    let mut add = |name: &str, kind: ItemKind, user: Option<&str>| {
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
        entry.types_only &= is_types_only(graph, kind);
        if !version.is_empty() && !entry.versions.iter().any(|v| v == version) {
            entry.versions.push(version.to_string());
        }
        if let Some(user) = user
            && !entry.instances.iter().any(|i| i == user)
        {
            entry.instances.push(user.to_string());
        }
    };
    for id in graph.node_ids() {
        let node = &graph[id];
        match node.kind() {
            NodeKind::Import(name) => add(name, node.item_kind(), None),
            NodeKind::Instantiation(_) => {
                let Some(package) = node.package() else {
                    continue;
                };
                let package = &graph[package];
                let user = node.name().unwrap_or(package.name());
                let arguments: BTreeMap<&str, _> = graph.get_instantiation_arguments(id).collect();
                for (import, kind) in &graph.types()[package.ty()].imports {
                    match arguments.get(import.as_str()) {
                        None => add(import, *kind, Some(user)),
                        Some(source) => {
                            if let NodeKind::Import(name) = graph[*source].kind() {
                                add(name, *kind, Some(user));
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

/// Whether an imported item is an interface of nothing but types.
fn is_types_only(graph: &CompositionGraph, kind: ItemKind) -> bool {
    match kind {
        ItemKind::Instance(id) => graph.types()[id]
            .exports
            .values()
            .all(|export| matches!(export, ItemKind::Type(t) if !matches!(t, Type::Resource(_)))),
        _ => false,
    }
}
