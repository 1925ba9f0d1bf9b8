//! Checking that the composed agent can be started.

use crate::error::ComposeError;
use wac_graph::CompositionGraph;
use wac_parser::{Document, Statement};

/// Interfaces a runtime can start an agent through (without version).
pub const ENTRY_POINTS: [&str; 3] = [
    "wasi:cli/run",
    "wasi:http/incoming-handler",
    "asterbot:agent/agent",
];

/// The graph's export names, if at least one is an entry point.
pub fn entry_point(
    document: &Document,
    graph: &CompositionGraph,
) -> Result<Vec<String>, ComposeError> {
    let exports: Vec<String> = graph
        .node_ids()
        .filter_map(|id| graph[id].export_name().map(str::to_string))
        .collect();
    let is_entry = |name: &String| {
        let unversioned = name.split('@').next().unwrap_or(name);
        ENTRY_POINTS.contains(&unversioned)
    };
    if exports.iter().any(is_entry) {
        return Ok(exports);
    }
    let span = document
        .statements
        .iter()
        .rev()
        .find_map(|statement| match statement {
            Statement::Export(export) => Some(export.expr.span),
            _ => None,
        })
        .unwrap_or(document.directive.package.span);
    let found = if exports.is_empty() {
        String::new()
    } else {
        format!("; it exports only {}", exports.join(", "))
    };
    Err(ComposeError::NoEntryPoint {
        expected: ENTRY_POINTS.map(|e| format!("`{e}`")).join(", "),
        found,
        span,
    })
}
