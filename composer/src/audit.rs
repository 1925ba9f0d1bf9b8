//! What each instance of an artifact can reach, as enforced by its guards:
//! computed at compose time, embedded in the artifact as the custom
//! section [`SECTION`], and read back by `asterbot audit`.

use crate::guard::Allowed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wac_graph::{CompositionGraph, NodeKind};

/// The custom section holding the audit, as JSON.
pub const SECTION: &str = "asterbot-audit";

/// What one instance can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// The instance's name in the recipe.
    pub instance: String,
    /// The component it instantiates.
    pub package: String,
    /// Environment variables it sees (`*`: all the runtime grants);
    /// `None` if it does not import the environment.
    pub env: Option<Vec<String>>,
    /// Directories it sees, `:ro` for read-only; `None` if it does not
    /// import the filesystem.
    pub dirs: Option<Vec<String>>,
    /// Hosts it may send HTTP requests to; `None` if it does not import
    /// outgoing HTTP.
    pub hosts: Option<Vec<String>>,
    /// Whether it imports sockets or name lookup (always denied).
    pub sockets: bool,
    /// Whether it reads the clocks.
    pub clocks: bool,
    /// Whether it draws randomness.
    pub random: bool,
    /// Whether it uses standard input, output or error.
    pub stdio: bool,
    /// Whether guards enforce this (false when composed `--no-guards`).
    pub guarded: bool,
}

/// The audit of every recipe instance in `graph` (before guards are
/// added), given what the recipe allows each; `guarded` is false when
/// the artifact is composed without guards, where every instance shares
/// what the runtime grants.
pub fn audit(
    graph: &CompositionGraph,
    policies: &BTreeMap<String, Allowed>,
    guarded: bool,
) -> Vec<Reach> {
    let mut reach = Vec::new();
    for id in graph.node_ids() {
        let node = &graph[id];
        let (NodeKind::Instantiation(_), Some(package)) = (node.kind(), node.package()) else {
            continue;
        };
        let name = crate::guard::instance_name(graph, id);
        let name = name.as_str();
        let package = &graph[package];
        let world = &graph.types()[package.ty()];
        let imports: Vec<&str> = world
            .imports
            .keys()
            .map(|name| name.split('@').next().unwrap_or(name))
            .collect();
        let imports_any = |prefixes: &[&str]| {
            imports
                .iter()
                .any(|i| prefixes.iter().any(|p| i.starts_with(p)))
        };
        let allowed = |kind: &str, interface: &str| {
            imports.contains(&interface).then(|| {
                if guarded {
                    policies
                        .get(name)
                        .and_then(|allowed| allowed.get(kind))
                        .cloned()
                        .unwrap_or_default()
                } else {
                    vec!["*".to_string()]
                }
            })
        };
        reach.push(Reach {
            instance: name.to_string(),
            package: package.name().to_string(),
            env: allowed("env", "wasi:cli/environment"),
            dirs: allowed("dirs", "wasi:filesystem/preopens"),
            hosts: allowed("hosts", "wasi:http/outgoing-handler"),
            sockets: imports_any(&[
                "wasi:sockets/tcp-create-socket",
                "wasi:sockets/udp-create-socket",
                "wasi:sockets/ip-name-lookup",
            ]),
            clocks: imports_any(&["wasi:clocks/"]),
            random: imports_any(&["wasi:random/"]),
            stdio: imports_any(&["wasi:cli/stdin", "wasi:cli/stdout", "wasi:cli/stderr"]),
            guarded,
        });
    }
    reach
}

/// `bytes` (an encoded component) with the audit appended as a custom
/// section.
pub fn embed(mut bytes: Vec<u8>, reach: &[Reach]) -> Vec<u8> {
    use wasm_encoder::Encode;
    let data = serde_json::to_vec(reach).expect("the audit serialises");
    // A custom section: id 0, then (as `encode` writes it) its size, name
    // and data.
    bytes.push(0);
    wasm_encoder::CustomSection {
        name: SECTION.into(),
        data: data.into(),
    }
    .encode(&mut bytes);
    bytes
}

/// The audit embedded in a component, if it has one.
pub fn read(bytes: &[u8]) -> Result<Option<Vec<Reach>>, String> {
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::CustomSection(section)
                if depth == 0 && section.name() == SECTION =>
            {
                return serde_json::from_slice(section.data())
                    .map(Some)
                    .map_err(|e| format!("the `{SECTION}` section is damaged: {e}"));
            }
            _ => {}
        }
    }
    Ok(None)
}
