//! Tracing without rewiring: when asked (`asterbot compose --trace`, or an
//! instance of the recipe annotated `@trace`), every edge of the agent's
//! `agent`, `llm` and `tools` interfaces gets a tracing middleware that
//! reports OpenTelemetry GenAI spans (`invoke_agent`, `chat`,
//! `execute_tool`) to one tracer. The recipe's own `@trace` instance is
//! that tracer, with whatever its annotations allow (a collector's host);
//! without one, `--trace` adds `asterbot:tracer`, which writes each turn's
//! spans to standard error.
//!
//! The middleware and the tracer are instances like any other: guarded,
//! audited, pinned in the lock.

use crate::error::ComposeError;
use crate::guard::{InstancePolicy, instance_name};
use std::collections::BTreeMap;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, NodeId, NodeKind, PackageId};

/// The traced interfaces, and the middleware that stands on their edges.
pub const TRACED: [(&str, &str); 3] = [
    ("asterbot:agent/agent", "asterbot:trace-agent"),
    ("asterbot:agent/llm", "asterbot:trace-llm"),
    ("asterbot:agent/tools", "asterbot:trace-tools"),
];

/// The interface the middleware reports through.
const TRACING: &str = "asterbot:agent/tracing@0.2.0";

/// The tracer `--trace` adds when the recipe has none.
const TRACER: &str = "asterbot:tracer";

/// One edge to trace: `instance` imports `import` from `source`.
struct Edge {
    instance: NodeId,
    import: String,
    source: NodeId,
    middleware: &'static str,
}

/// Puts tracing middleware on every traced edge of `graph`, if the recipe
/// has a `@trace` instance or `requested`; `component` gives asterbot's
/// own components by package name.
pub fn insert(
    graph: &mut CompositionGraph,
    policies: &BTreeMap<String, InstancePolicy>,
    requested: bool,
    component: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<(), ComposeError> {
    let marked: Vec<&String> = policies
        .iter()
        .filter(|(_, policy)| policy.tracer)
        .map(|(name, _)| name)
        .collect();
    let mut packages = BTreeMap::new();
    let tracer = match marked.as_slice() {
        [] if !requested => return Ok(()),
        [] => {
            let package = register(graph, &mut packages, TRACER, component)?;
            let node = graph.instantiate(package);
            graph.set_node_name(node, free_name(graph, "tracer"));
            node
        }
        [name] => instance_named(graph, name).ok_or_else(|| {
            ComposeError::Guard(format!(
                "the `@trace` instance `{name}` is not in the graph"
            ))
        })?,
        [first, second, ..] => {
            let span = policies[*second].span.unwrap_or_else(|| (0..0).into());
            return Err(ComposeError::Annotation {
                message: format!(
                    "`{first}` and `{second}` are both marked `@trace`: one tracer collects every span"
                ),
                span,
                help: "keep `@trace` on one instance".into(),
            });
        }
    };
    let tracer_name = instance_name(graph, tracer);
    let tracing = graph.alias_instance_export(tracer, TRACING).map_err(|e| {
        let span = policies
            .get(&tracer_name)
            .and_then(|p| p.span)
            .unwrap_or_else(|| (0..0).into());
        ComposeError::Annotation {
            message: format!("`{tracer_name}` is marked `@trace` but cannot collect spans: {e}"),
            span,
            help: format!("put `@trace` on an instance that exports `{TRACING}`, such as `new {TRACER} {{ ... }}`"),
        }
    })?;
    for edge in edges(graph, tracer) {
        let package = register(graph, &mut packages, edge.middleware, component)?;
        let node = graph.instantiate(package);
        let kind = edge.import.split('@').next().unwrap_or_default();
        let kind = kind.rsplit('/').next().unwrap_or(kind);
        let name = free_name(
            graph,
            &format!("trace-{}-{kind}", instance_name(graph, edge.instance)),
        );
        graph.set_node_name(node, name.clone());
        let failed = |e: &dyn std::fmt::Display| {
            ComposeError::Guard(format!(
                "cannot trace `{name}`'s edge `{}`: {e}",
                edge.import
            ))
        };
        graph
            .set_instantiation_argument(node, &edge.import, edge.source)
            .map_err(|e| failed(&e))?;
        graph
            .set_instantiation_argument(node, TRACING, tracing)
            .map_err(|e| failed(&e))?;
        let traced = graph
            .alias_instance_export(node, &edge.import)
            .map_err(|e| failed(&e))?;
        graph
            .unset_instantiation_argument(edge.instance, &edge.import, edge.source)
            .map_err(|e| failed(&e))?;
        graph
            .set_instantiation_argument(edge.instance, &edge.import, traced)
            .map_err(|e| failed(&e))?;
    }
    Ok(())
}

/// The traced edges of `graph`, the tracer's own left out.
fn edges(graph: &CompositionGraph, tracer: NodeId) -> Vec<Edge> {
    graph
        .node_ids()
        .filter(|&id| id != tracer && matches!(graph[id].kind(), NodeKind::Instantiation(_)))
        .flat_map(|instance| {
            graph
                .get_instantiation_arguments(instance)
                .filter_map(|(import, source)| {
                    let unversioned = import.split('@').next().unwrap_or(import);
                    let (_, middleware) = TRACED.iter().find(|(i, _)| *i == unversioned)?;
                    Some(Edge {
                        instance,
                        import: import.to_string(),
                        source,
                        middleware,
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The package `name`, registered once.
fn register(
    graph: &mut CompositionGraph,
    packages: &mut BTreeMap<&'static str, PackageId>,
    name: &'static str,
    component: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<PackageId, ComposeError> {
    if let Some(&id) = packages.get(name) {
        return Ok(id);
    }
    let bytes = component(name).map_err(ComposeError::Guard)?;
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())
        .map_err(|e| ComposeError::Guard(format!("{e:#}")))?;
    let id = graph
        .register_package(package)
        .map_err(|e| ComposeError::Guard(e.to_string()))?;
    packages.insert(name, id);
    Ok(id)
}

/// The instance named `name`.
fn instance_named(graph: &CompositionGraph, name: &str) -> Option<NodeId> {
    graph.node_ids().find(|&id| {
        matches!(graph[id].kind(), NodeKind::Instantiation(_)) && graph[id].name() == Some(name)
    })
}

/// `wanted`, or `wanted-2`, ... if an instance has that name.
fn free_name(graph: &CompositionGraph, wanted: &str) -> String {
    let taken = |name: &str| graph.node_ids().any(|id| graph[id].name() == Some(name));
    if !taken(wanted) {
        return wanted.to_string();
    }
    (2..)
        .map(|n| format!("{wanted}-{n}"))
        .find(|name| !taken(name))
        .expect("some number is free")
}
