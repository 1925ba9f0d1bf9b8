//! What an artifact imports, and which runner flag grants each import.

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// One import of the artifact and how the runner provides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportGrant {
    /// The interface, e.g. `wasi:filesystem/preopens@0.2.6`.
    pub interface: String,
    /// What the runner does for it.
    pub grant: &'static str,
}

/// The artifact's imports, each with what grants it.
pub fn imports(engine: &Engine, component: &Component) -> Vec<ImportGrant> {
    let mut list: Vec<ImportGrant> = component
        .component_type()
        .imports(engine)
        .map(|(name, item)| ImportGrant {
            interface: name.to_string(),
            grant: if types_only(engine, &item.ty) {
                "nothing: it holds only types"
            } else {
                grant_for(name)
            },
        })
        .collect();
    list.sort_by(|a, b| a.interface.cmp(&b.interface));
    list
}

/// Whether an import is an instance with nothing but (non-resource)
/// types in it: nothing a runtime must implement.
fn types_only(engine: &Engine, item: &ComponentItem) -> bool {
    match item {
        ComponentItem::ComponentInstance(instance) => instance
            .exports(engine)
            .all(|(_, export)| matches!(export.ty, ComponentItem::Type(_))),
        _ => false,
    }
}

/// The flag that grants `interface`, or how it is provided.
pub fn grant_for(interface: &str) -> &'static str {
    let name = interface.split('@').next().unwrap_or(interface);
    match name {
        "wasi:filesystem/preopens" | "wasi:filesystem/types" => {
            "--dir HOST[::GUEST][:ro]: only the directories granted; none by default"
        }
        "wasi:cli/environment" => {
            "--env KEY[=VALUE], --env-file FILE: only the variables granted; the message words are the arguments"
        }
        "wasi:http/outgoing-handler" | "wasi:http/types" => {
            "--allow-host HOST, --allow-http: requests to other hosts are denied"
        }
        "wasi:cli/stdin" | "wasi:cli/terminal-stdin" | "wasi:cli/terminal-input" => {
            "always: the turns (a REPL on a terminal, else the lines of stdin)"
        }
        "wasi:cli/stdout"
        | "wasi:cli/stderr"
        | "wasi:cli/terminal-stdout"
        | "wasi:cli/terminal-stderr"
        | "wasi:cli/terminal-output" => "always: the runner's output",
        "wasi:cli/exit" => "always: ends the run with a status",
        "wasi:clocks/wall-clock" | "wasi:clocks/monotonic-clock" => "always: the host's clocks",
        "wasi:random/random" | "wasi:random/insecure" | "wasi:random/insecure-seed" => {
            "always: the host's randomness"
        }
        "wasi:io/error" | "wasi:io/poll" | "wasi:io/streams" => "always: streams and polling",
        n if n.starts_with("wasi:sockets/") => {
            "never: sockets are denied (use wasi:http with --allow-host)"
        }
        _ => "not provided by asterbot run: the agent cannot start",
    }
}
