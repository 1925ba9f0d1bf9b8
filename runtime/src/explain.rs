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

/// The flag that grants `interface`, or how it is provided: for the
/// imports of a capability kind (and what comes with them), what the
/// capability table says; the rest are always provided, or not at all.
pub fn grant_for(interface: &str) -> &'static str {
    if let Some(says) = asterbot_capabilities::explain(interface) {
        return says;
    }
    let name = interface.split('@').next().unwrap_or(interface);
    match name {
        "wasi:clocks/wall-clock" | "wasi:clocks/monotonic-clock" => "always: the host's clocks",
        "wasi:random/random" | "wasi:random/insecure" | "wasi:random/insecure-seed" => {
            "always: the host's randomness"
        }
        "wasi:io/error" | "wasi:io/poll" | "wasi:io/streams" => "always: streams and polling",
        _ => NOT_PROVIDED,
    }
}

/// What is said of an import `asterbot run` does not provide.
const NOT_PROVIDED: &str = "not provided by asterbot run: the agent cannot start";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_import_of_every_kind_names_the_flags_that_grant_it() {
        for kind in &asterbot_capabilities::KINDS {
            for (interface, export) in kind.interfaces {
                for import in [*interface, *export] {
                    let says = grant_for(import);
                    assert_eq!(Some(says), kind.explain(interface), "{import}");
                    assert_ne!(says, NOT_PROVIDED, "{import}");
                    for flag in kind.flags {
                        assert!(says.contains(flag), "{import}: {says} lacks {flag}");
                    }
                }
            }
        }
    }

    #[test]
    fn sockets_are_granted_to_the_artifact_by_flag_and_denied_inside_by_guards() {
        for import in [
            "wasi:sockets/tcp-create-socket@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:sockets/ip-name-lookup@0.2.6",
        ] {
            let says = grant_for(import);
            assert!(says.starts_with("--allow-network"), "{says}");
            assert!(says.contains("guard"), "{says}");
            assert!(!says.contains("never"), "{says}");
        }
        let keyvalue = grant_for("wasi:keyvalue/atomics@0.2.0-draft");
        assert!(keyvalue.starts_with("--keyvalue"), "{keyvalue}");
        assert_eq!(
            grant_for("wasi:filesystem/types@0.2.6"),
            grant_for("wasi:filesystem/preopens@0.2.6")
        );
        assert_eq!(
            grant_for("wasi:cli/terminal-stdin@0.2.6"),
            grant_for("wasi:cli/stdin@0.2.6")
        );
        assert_eq!(grant_for("wasi:cli/run@0.2.6"), NOT_PROVIDED);
        assert_eq!(grant_for("wasi:http/incoming-handler@0.2.6"), NOT_PROVIDED);
        assert_eq!(grant_for("wasi:keyvalue/batch@0.2.0-draft"), NOT_PROVIDED);
    }
}
