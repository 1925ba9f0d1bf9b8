//! Per-instance sandboxes that survive linking: every import an instance
//! leaves to the runtime is either wired through a guard component whose
//! policy is baked in at compose time (see [`policy_component`]), known to
//! need none, or explicitly allowed by the recipe; anything else is
//! refused at compose time. Deny by default, for every interface.
//!
//! The guards are asterbot's own components, embedded in the `asterbot`
//! binary: no store, folder or flag can replace them.

mod annotations;
pub mod kinds;
mod policy_component;

use crate::error::ComposeError;
use kinds::{Class, Kind, classify};
use std::collections::BTreeMap;
use wac_graph::types::{ItemKind, Package, Type};
use wac_graph::{CompositionGraph, NodeId, NodeKind, PackageId};

pub use annotations::{InstancePolicy, policies};
pub use policy_component::{decode_policy, policy_component};

/// The interface every guard imports its policy through.
pub const POLICY: &str = "asterbot:guard/policy@0.1.0";

/// The interface whose importers are middleware: they learn their own
/// name and their callers (baked), for the audit journal.
const TOOLS: &str = "asterbot:agent/tools";

/// The env guard's policy entry for the front end (see `guard-env`).
pub const FRONT_END_ENTRY: &str = "+front-end";

/// One instance of the recipe, as the sandbox sees it.
struct Instance {
    id: NodeId,
    name: String,
    package: String,
    policy: InstancePolicy,
}

/// Puts every instance of `graph` in its sandbox: guards in front of what
/// `policies` allows, nothing for what it does not.
/// `baked` holds the settings the composer itself bakes into instances
/// for their edges (see [`crate::edges::settings`]).
pub fn apply(
    graph: &mut CompositionGraph,
    policies: &BTreeMap<String, InstancePolicy>,
    baked: &BTreeMap<String, BTreeMap<String, String>>,
    guard: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<(), ComposeError> {
    let mut instances = instances(graph, policies);
    // The instance the recipe exports as the entry point is the front end.
    for entry in entry_instances(graph) {
        if let Some(instance) = instances.iter_mut().find(|i| i.id == entry) {
            instance.policy.front_end = true;
        }
    }
    let mut wiring = Wiring {
        guard,
        packages: BTreeMap::new(),
        guards: BTreeMap::new(),
        policies: BTreeMap::new(),
    };
    for instance in &instances {
        check_gate_settings(instance)?;
        let imports = unsatisfied_imports(graph, instance.id);
        let mut by_kind: BTreeMap<&'static str, (&'static Kind, Vec<String>)> = BTreeMap::new();
        for (import, item) in &imports {
            match classify(import) {
                Class::Guarded(kind) if kind.front_end_direct && instance.policy.front_end => {}
                Class::Guarded(kind) => by_kind
                    .entry(kind.name)
                    .or_insert((kind, Vec::new()))
                    .1
                    .push(import.clone()),
                Class::Harmless(_) => {}
                Class::Unknown if is_types_only(graph, *item) => {}
                Class::Unknown if allowed_import(&instance.policy, import) => {}
                Class::Unknown if import.starts_with("asterbot:") => {
                    return Err(missing_argument(graph, &instances, instance, import));
                }
                Class::Unknown => return Err(unguardable(instance, import)),
            }
        }
        let reads_environment = by_kind.contains_key("env");
        if !instance.policy.settings.is_empty() && !reads_environment {
            return Err(ComposeError::Annotation {
                message: format!(
                    "`{}` has settings, but its component reads no environment variables",
                    instance.name
                ),
                span: instance.policy.span.unwrap_or_else(|| (0..0).into()),
                help:
                    "remove the `@set` (or `@ask`) lines, or put them on the instance they are for"
                        .into(),
            });
        }
        let mut settings = instance.policy.settings.clone();
        if reads_environment && is_middleware(graph, instance.id) {
            settings.insert("ASTERBOT_INSTANCE".into(), instance.name.clone());
            settings.insert(
                "ASTERBOT_CALLERS".into(),
                callers(graph, instance.id).join(","),
            );
        }
        if let Some(extra) = baked.get(&instance.name) {
            if !reads_environment {
                return Err(ComposeError::Guard(format!(
                    "`{}` (`{}`) must be told {} for its edges, but its component reads no environment variables",
                    instance.name,
                    instance.package,
                    extra.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            settings.extend(extra.clone());
        }
        for (kind, imports) in by_kind.into_values() {
            let policy = kind
                .has_policy
                .then(|| policy_entries(kind, &instance.policy, &settings));
            let guard_node = wiring.guard_instance(graph, kind, policy)?;
            for import in imports {
                let unversioned = import.split('@').next().unwrap_or(&import);
                let (_, export) = kind
                    .interfaces
                    .iter()
                    .find(|(interface, _)| *interface == unversioned)
                    .expect("the import was classed as this kind");
                let guarded = graph
                    .alias_instance_export(guard_node, export)
                    .map_err(|e| ComposeError::Guard(e.to_string()))?;
                graph
                    .set_instantiation_argument(instance.id, &import, guarded)
                    .map_err(|e| {
                        ComposeError::Guard(format!(
                            "`{}` (`{}`) imports `{import}`, which asterbot's guard (WASI {}) cannot stand in for: {e}",
                            instance.name,
                            instance.package,
                            export.split('@').nth(1).unwrap_or("0.2"),
                        ))
                    })?;
            }
        }
    }
    Ok(())
}

/// What the guards registered so far, and their shared instances.
struct Wiring<'a> {
    guard: &'a dyn Fn(&str) -> Result<Vec<u8>, String>,
    packages: BTreeMap<&'static str, PackageId>,
    /// One guard instance per kind and policy (`None`: no policy).
    guards: BTreeMap<(&'static str, Option<Vec<String>>), NodeId>,
    /// One policy instance per distinct list, shared by every guard
    /// that allows the same.
    policies: BTreeMap<Vec<String>, NodeId>,
}

impl Wiring<'_> {
    /// The guard instance of `kind` with `policy`: the same instance for
    /// every sandboxed instance that is allowed the same, so a start
    /// creates as few instances as the policies need.
    fn guard_instance(
        &mut self,
        graph: &mut CompositionGraph,
        kind: &'static Kind,
        policy: Option<Vec<String>>,
    ) -> Result<NodeId, ComposeError> {
        let key = (kind.name, policy.clone());
        if let Some(&node) = self.guards.get(&key) {
            return Ok(node);
        }
        let package = match self.packages.get(kind.guard) {
            Some(&id) => id,
            None => {
                let bytes = (self.guard)(kind.guard).map_err(ComposeError::Guard)?;
                let package = Package::from_bytes(kind.guard, None, bytes, graph.types_mut())
                    .map_err(|e| ComposeError::Guard(format!("{e:#}")))?;
                let id = graph
                    .register_package(package)
                    .map_err(|e| ComposeError::Guard(e.to_string()))?;
                self.packages.insert(kind.guard, id);
                id
            }
        };
        let node = graph.instantiate(package);
        let number = self.guards.keys().filter(|(k, _)| *k == kind.name).count() + 1;
        graph.set_node_name(node, format!("{}-guard-{number}", kind.name));
        if let Some(allowed) = policy {
            let policy = self.policy_instance(graph, allowed)?;
            graph
                .set_instantiation_argument(node, POLICY, policy)
                .map_err(|e| ComposeError::Guard(e.to_string()))?;
        }
        self.guards.insert(key, node);
        Ok(node)
    }

    /// The export of a synthesised policy instance allowing `allowed`.
    fn policy_instance(
        &mut self,
        graph: &mut CompositionGraph,
        allowed: Vec<String>,
    ) -> Result<NodeId, ComposeError> {
        if let Some(&node) = self.policies.get(&allowed) {
            return Ok(node);
        }
        let number = self.policies.len();
        let bytes = policy_component(&allowed).map_err(ComposeError::Guard)?;
        let package = Package::from_bytes(
            &format!("asterbot-policy:p{number}"),
            None,
            bytes,
            graph.types_mut(),
        )
        .map_err(|e| ComposeError::Guard(format!("{e:#}")))?;
        let package = graph
            .register_package(package)
            .map_err(|e| ComposeError::Guard(e.to_string()))?;
        let node = graph.instantiate(package);
        graph.set_node_name(node, format!("policy-{}", number + 1));
        let export = graph
            .alias_instance_export(node, POLICY)
            .map_err(|e| ComposeError::Guard(e.to_string()))?;
        self.policies.insert(allowed, export);
        Ok(export)
    }
}

/// The recipe's instances, named and with their policies.
fn instances(
    graph: &CompositionGraph,
    policies: &BTreeMap<String, InstancePolicy>,
) -> Vec<Instance> {
    graph
        .node_ids()
        .filter(|&id| matches!(graph[id].kind(), NodeKind::Instantiation(_)))
        .map(|id| {
            let name = instance_name(graph, id);
            let package = graph[id]
                .package()
                .map(|p| graph[p].name().to_string())
                .unwrap_or_default();
            let policy = policies.get(&name).cloned().unwrap_or_default();
            Instance {
                id,
                name,
                package,
                policy,
            }
        })
        .collect()
}

/// The name of an instance: its `let` name, or for one written inline
/// (`new pkg { ... }` as an argument) its position, so that it is
/// sandboxed (with nothing allowed) and audited like any other.
pub fn instance_name(graph: &CompositionGraph, id: NodeId) -> String {
    match graph[id].name() {
        Some(name) => name.to_string(),
        None => {
            let position = graph.node_ids().position(|n| n == id).unwrap_or_default();
            format!("inline #{position}")
        }
    }
}

/// What a guard of `kind` allows this instance, in the guard's words.
fn policy_entries(
    kind: &Kind,
    policy: &InstancePolicy,
    settings: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut entries = policy.allowed.get(kind.name).cloned().unwrap_or_default();
    if kind.id == kinds::KindId::Env {
        entries.extend(
            settings
                .iter()
                .map(|(name, value)| format!("{name}={value}")),
        );
        if policy.front_end {
            entries.push(FRONT_END_ENTRY.to_string());
        }
    }
    entries.sort();
    entries.dedup();
    entries
}

/// The imports of `instance` that the recipe left to the runtime (`...`).
fn unsatisfied_imports(graph: &CompositionGraph, instance: NodeId) -> Vec<(String, ItemKind)> {
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
        .iter()
        .filter(|(name, _)| !satisfied.contains(name))
        .map(|(name, kind)| (name.clone(), *kind))
        .collect()
}

/// Whether `instance`'s component imports the tools interface and exports
/// it again: a middleware, which sees the calls to the tools it wraps.
fn is_middleware(graph: &CompositionGraph, instance: NodeId) -> bool {
    graph[instance].package().is_some_and(|package| {
        let world = &graph.types()[graph[package].ty()];
        world.imports.keys().any(|name| name.starts_with(TOOLS))
            && world.exports.keys().any(|name| name.starts_with(TOOLS))
    })
}

/// The instances whose exports the recipe exports as an entry point
/// (`wasi:cli/run`, `wasi:http/incoming-handler`): the front end.
fn entry_instances(graph: &CompositionGraph) -> Vec<NodeId> {
    graph
        .node_ids()
        .filter(|&id| {
            graph[id].export_name().is_some_and(|name| {
                let unversioned = name.split('@').next().unwrap_or(name);
                crate::check::ENTRY_POINTS.contains(&unversioned)
            })
        })
        .filter_map(|id| graph.get_alias_source(id).map(|(instance, _)| instance))
        .collect()
}

/// The instances wired to an export of `instance`, sorted.
fn callers(graph: &CompositionGraph, instance: NodeId) -> Vec<String> {
    let mut callers: Vec<String> = graph
        .node_ids()
        .filter(|&id| matches!(graph[id].kind(), NodeKind::Instantiation(_)))
        .filter(|&id| {
            graph.get_instantiation_arguments(id).any(|(_, source)| {
                graph
                    .get_alias_source(source)
                    .is_some_and(|(from, _)| from == instance)
            })
        })
        .map(|id| instance_name(graph, id))
        .collect();
    callers.sort();
    callers
}

/// Whether an imported item is an interface of nothing but types.
pub fn is_types_only(graph: &CompositionGraph, kind: ItemKind) -> bool {
    match kind {
        ItemKind::Instance(id) => graph.types()[id]
            .exports
            .values()
            .all(|export| matches!(export, ItemKind::Type(t) if !matches!(t, Type::Resource(_)))),
        _ => false,
    }
}

/// Whether the recipe allows `import` to reach the runtime unguarded.
fn allowed_import(policy: &InstancePolicy, import: &str) -> bool {
    let unversioned = import.split('@').next().unwrap_or(import);
    policy
        .imports
        .iter()
        .any(|allowed| allowed == import || allowed == unversioned)
}

/// `@ask` and `@pre-approve` belong on an approval gate only.
fn check_gate_settings(instance: &Instance) -> Result<(), ComposeError> {
    if instance.policy.gate_settings && instance.package != annotations::APPROVAL_GATE {
        return Err(ComposeError::Annotation {
            message: format!(
                "`@ask` and `@pre-approve` are for an approval gate, and `{}` is `{}`",
                instance.name, instance.package
            ),
            span: instance.policy.span.unwrap_or_else(|| (0..0).into()),
            help: format!(
                "put them on a `{}` instance that wraps the tools",
                annotations::APPROVAL_GATE
            ),
        });
    }
    Ok(())
}

/// The diagnostic for one of asterbot's own interfaces left to the
/// runtime: no runtime provides it, so the recipe forgot an argument.
/// The help names the recipe's instances that export it.
fn missing_argument(
    graph: &CompositionGraph,
    instances: &[Instance],
    instance: &Instance,
    import: &str,
) -> ComposeError {
    let unversioned = import.split('@').next().unwrap_or(import);
    let argument = unversioned.rsplit('/').next().unwrap_or(unversioned);
    // An instance that already takes (perhaps through others) what this
    // one exports cannot be its argument: that would be a cycle.
    let mut dependents = vec![instance.id];
    let mut grew = true;
    while grew {
        grew = false;
        for other in instances {
            if dependents.contains(&other.id) {
                continue;
            }
            let takes = graph
                .get_instantiation_arguments(other.id)
                .filter_map(|(_, source)| graph.get_alias_source(source))
                .any(|(from, _)| dependents.contains(&from));
            if takes {
                dependents.push(other.id);
                grew = true;
            }
        }
    }
    let fitting: Vec<String> = instances
        .iter()
        .filter(|other| !dependents.contains(&other.id))
        .filter(|other| {
            graph[other.id].package().is_some_and(|package| {
                graph.types()[graph[package].ty()]
                    .exports
                    .keys()
                    .any(|name| name.split('@').next() == Some(unversioned))
            })
        })
        .map(|other| format!("`{argument}: {}.{argument}`", other.name))
        .collect();
    let help = if fitting.is_empty() {
        format!(
            "no instance of the recipe exports `{unversioned}`: add one whose component does, and pass it as `{argument}: NAME.{argument}`"
        )
    } else {
        format!(
            "pass it in `{}`'s arguments: {}",
            instance.name,
            fitting.join(" or ")
        )
    };
    ComposeError::Unguardable {
        message: format!(
            "`{}` (`{}`) is missing its `{argument}` argument (`{import}`), which no runtime provides",
            instance.name, instance.package
        ),
        span: instance.policy.span,
        help,
    }
}

/// The diagnostic for an import no guard stands for.
fn unguardable(instance: &Instance, import: &str) -> ComposeError {
    let unversioned = import.split('@').next().unwrap_or(import);
    let help = if let Some(kind) = kinds::kin(import) {
        format!(
            "asterbot guards {} only through {} (WASI 0.2); rebuild `{}` to use those. Allowing `{unversioned}` with `@allow-import` would hand it whatever {} the runtime grants the whole artifact, and the audit would show `{}` as unguarded",
            kind.name,
            kind.interfaces
                .iter()
                .map(|(i, _)| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", "),
            instance.package,
            kind.name,
            kind.name,
        )
    } else if instance.policy.span.is_some() {
        format!(
            "asterbot guards WASI 0.2's environment, filesystem, HTTP, sockets and standard input and output; to let `{}` reach `{unversioned}` with whatever the runtime grants, say so above its `let`: `/// @allow-import {unversioned}` (the audit will show it as unguarded)",
            instance.name
        )
    } else {
        format!(
            "give the instance a name with `let`, and allow it there with `/// @allow-import {unversioned}` if it may reach it (the audit will show it as unguarded)"
        )
    };
    ComposeError::Unguardable {
        message: format!(
            "`{}` (`{}`) imports `{import}`, which asterbot cannot guard",
            instance.name, instance.package
        ),
        span: instance.policy.span,
        help,
    }
}
