//! What each instance of an artifact can reach, derived from the artifact
//! alone: which of asterbot's guards (recognised by digest) stands in
//! front of which import, with the policy baked into it (decoded, and
//! checked to be exactly what asterbot synthesises), and which imports
//! reach the runtime unguarded. An artifact composed without guards, or
//! tampered with, shows as such. `asterbot compose` prints this for what
//! it wrote, and `asterbot audit` for any file.
//!
//! The only thing taken on trust is the provenance's list of the package
//! names the recipe used, for display. A component that is not asterbot's
//! own is shown with its digest.

pub(crate) mod wiring;

use crate::guard::kinds::{self, Class, KINDS, Kind, KindId};
use crate::guard::{FRONT_END_ENTRY, POLICY, decode_policy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use wiring::{InstanceDef, Source, Wiring};

/// The package of the tool join, whose instances are plumbing, not tools.
const TOOLS_JOIN: &str = "asterbot:tools-join";

/// The joins: their instances only route calls, and reach nothing else.
pub(crate) const JOINS: [&str; 2] = [TOOLS_JOIN, "asterbot:context-join"];

/// How an instance reaches one kind of capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "access", content = "values")]
pub enum Access {
    /// The instance does not import it.
    NotImported,
    /// asterbot's guard allows exactly these (none: denied).
    Guarded(Vec<String>),
    /// Straight from the runtime: whatever it grants the artifact.
    Unguarded,
    /// From another instance of the artifact (named).
    Via(String),
    /// Behind a guard whose policy is not asterbot's: unknown.
    Unverified,
}

/// What one instance can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// The instance's name in the recipe.
    pub instance: String,
    /// The package it instantiates.
    pub package: String,
    /// Whether the component is asterbot's own build (by digest).
    pub asterbot_build: bool,
    /// The SHA-256 of its component.
    pub digest: String,
    /// How it reaches each kind of the capability table, every kind
    /// listed ([`Reach::access`]); in JSON, one field per kind, named as
    /// the table names it (`env`, `dirs`, `hosts`, `sockets`, `keyvalue`,
    /// `stdio`). Env is the variables it sees from the runtime (the
    /// recipe's settings and the front end's entry are taken out), dirs
    /// are `:ro` when read-only, keyvalue is its key prefix, stdio when
    /// guarded is stderr only.
    #[serde(flatten)]
    pub kinds: BTreeMap<KindId, Access>,
    /// Values baked into its environment by the recipe.
    pub settings: BTreeMap<String, String>,
    /// Whether it is the front end: arguments, working directory, and
    /// standard input and output.
    pub front_end: bool,
    /// Imports that reach the runtime with no guard (allowed by the
    /// recipe with `@allow-import`, or composed without guards).
    pub unguarded: Vec<String>,
    /// Harmless things it uses: clocks, random, stderr.
    pub also: Vec<String>,
    /// The instances whose tools it can call.
    pub calls: Vec<String>,
    /// The powers of the asterbot edges it stands on, beyond its imports.
    #[serde(default)]
    pub edges: Edges,
    /// Every import, and what provides it: `runtime` (unguarded), `guard
    /// <guard instance>`, `types` (a types-only import) or `instance
    /// <name>`.
    pub imports: BTreeMap<String, String>,
}

/// Not imported: what a kind missing from [`Reach::kinds`] reads as.
static NOT_IMPORTED: Access = Access::NotImported;

impl Reach {
    /// How the instance reaches kind `id`.
    pub fn access(&self, id: KindId) -> &Access {
        self.kinds.get(&id).unwrap_or(&NOT_IMPORTED)
    }

    /// The access to kind `id`, to change.
    pub fn access_mut(&mut self, id: KindId) -> &mut Access {
        self.kinds.entry(id).or_insert(Access::NotImported)
    }
}

/// What being wired on the agent's edges lets an instance do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edges {
    /// The agent loops on whose model edge it stands: its replies' tool
    /// calls run as the model's, and it sees every prompt, section and
    /// tool result.
    pub model_edge_of: Vec<String>,
    /// The providers whose sections it reads (it wraps the context edge).
    pub reads_sections_of: Vec<String>,
    /// Whether it is handed the person's input (a provider of sections).
    pub sees_input: bool,
    /// Each tool set it can call: the approval gates on the way and
    /// whether the journal records the calls.
    pub tools: Vec<crate::edges::ToolReach>,
}

/// What an artifact's instances can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// One entry per instance of the recipe, in the artifact's order.
    pub instances: Vec<Reach>,
    /// Whether any of asterbot's guards is in the artifact.
    pub guarded: bool,
}

/// What the parts of an artifact are.
#[derive(Debug, Clone)]
enum Role {
    /// One of asterbot's guards.
    Guard(&'static Kind),
    /// A guard's policy: what it allows, if it is asterbot's.
    Policy(Option<Vec<String>>),
    /// An instance of the recipe.
    Recipe,
}

/// The SHA-256 of every component the artifact `bytes` defines.
pub fn embedded_digests(bytes: &[u8]) -> Result<BTreeSet<String>, String> {
    let wiring = Wiring::read(bytes)?;
    Ok(wiring
        .components
        .iter()
        .filter_map(|component| match component {
            wiring::ComponentDef::Defined(range) => bytes.get(range.clone()),
            wiring::ComponentDef::Other => None,
        })
        .map(asterbot_bundle::digest)
        .collect())
}

/// Reads what each instance of the component `bytes` can reach.
pub fn analyze(bytes: &[u8]) -> Result<Audit, String> {
    analyze_with_agent(bytes).map(|(audit, _)| audit)
}

/// Reads what each instance of the component `bytes` can reach, and how
/// the instances are wired on asterbot's edges (the same instances, in
/// the same order): what [`crate::flows`] follows data along.
pub fn analyze_with_agent(bytes: &[u8]) -> Result<(Audit, crate::edges::Agent), String> {
    let wiring = Wiring::read(bytes)?;
    let labels: BTreeMap<String, String> = crate::provenance::read(bytes)
        .ok()
        .flatten()
        .map(|provenance| provenance.instances)
        .unwrap_or_default();
    let digests: BTreeMap<u32, String> = (0..wiring.instances.len() as u32)
        .filter_map(|i| {
            wiring
                .component_bytes(bytes, i)
                .map(|b| (i, asterbot_bundle::digest(b)))
        })
        .collect();
    let embedded = |i: u32| {
        digests
            .get(&i)
            .and_then(|digest| asterbot_bundle::by_digest(digest))
    };
    let mut roles: BTreeMap<u32, Role> = BTreeMap::new();
    for (index, definition) in wiring.instances.iter().enumerate() {
        let index = index as u32;
        if !matches!(definition, InstanceDef::Instantiated { .. }) {
            continue;
        }
        let guard = embedded(index).and_then(|name| KINDS.iter().find(|kind| kind.guard == name));
        roles.insert(index, guard.map_or(Role::Recipe, Role::Guard));
    }
    // A guard's policy argument names its policy instance.
    let guards: Vec<u32> = roles
        .iter()
        .filter(|(_, role)| matches!(role, Role::Guard(_)))
        .map(|(index, _)| *index)
        .collect();
    for guard in &guards {
        for (name, argument) in arguments(&wiring, *guard) {
            if name != POLICY {
                continue;
            }
            if let Source::Instance { instance, .. } = wiring.source(argument) {
                let verified = wiring
                    .component_bytes(bytes, instance)
                    .and_then(verified_policy);
                roles.insert(instance, Role::Policy(verified));
            }
        }
    }
    let name_of = |index: u32| {
        wiring
            .names
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("instance #{index}"))
    };
    let mut instances = Vec::new();
    for (&index, role) in &roles {
        if !matches!(role, Role::Recipe) {
            continue;
        }
        let name = name_of(index);
        let label = labels.get(&name);
        let package = match (embedded(index), label) {
            // What the bytes are, and what the recipe called them if not that.
            (Some(package), Some(label)) if label != package => {
                format!("{package} (the recipe says {label})")
            }
            (Some(package), _) => package.to_string(),
            (None, Some(label)) => label.clone(),
            (None, None) => "unknown".to_string(),
        };
        let mut reach = Reach {
            instance: name,
            package,
            asterbot_build: embedded(index).is_some(),
            digest: digests.get(&index).cloned().unwrap_or_default(),
            kinds: KindId::ALL
                .into_iter()
                .map(|id| (id, Access::NotImported))
                .collect(),
            settings: BTreeMap::new(),
            front_end: false,
            unguarded: Vec::new(),
            also: Vec::new(),
            calls: calls(&wiring, index, &roles, &|i| embedded(i) == Some(TOOLS_JOIN))
                .into_iter()
                .map(name_of)
                .collect(),
            edges: Edges::default(),
            imports: BTreeMap::new(),
        };
        for (import, argument) in arguments(&wiring, index) {
            let source = wiring.source(argument);
            let provider = match &source {
                Source::Runtime {
                    types_only: true, ..
                } => "types".to_string(),
                Source::Runtime { .. } => "runtime".to_string(),
                Source::Instance { instance, .. } => match roles.get(instance) {
                    Some(Role::Guard(_)) => format!("guard {}", name_of(*instance)),
                    _ => format!("instance {}", name_of(*instance)),
                },
                Source::Unknown => "unknown".to_string(),
            };
            reach.imports.insert(import.clone(), provider);
            match kinds::classify(&import) {
                Class::Guarded(kind) => {
                    let access = access(kind, &source, &roles, &wiring, &name_of);
                    let slot = reach.access_mut(kind.id);
                    *slot = weaker(slot.clone(), access);
                }
                Class::Harmless(word) => {
                    if let Some(word) = word
                        && !reach.also.iter().any(|w| w == word)
                    {
                        reach.also.push(word.to_string());
                    }
                }
                Class::Unknown => {
                    if let Source::Runtime {
                        types_only: false, ..
                    } = source
                    {
                        // Another version of a guarded kind's interface
                        // (WASI 0.3 sockets) reaches that kind unguarded.
                        if let Some(kind) = kinds::kin(&import) {
                            let slot = reach.access_mut(kind.id);
                            *slot = weaker(slot.clone(), Access::Unguarded);
                        }
                        reach.unguarded.push(import);
                    }
                }
            }
        }
        if let Access::Guarded(entries) = reach.access(KindId::Env).clone() {
            reach.front_end = entries.iter().any(|e| e == FRONT_END_ENTRY);
            reach.settings = entries
                .iter()
                .filter_map(|e| e.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            *reach.access_mut(KindId::Env) = Access::Guarded(
                entries
                    .iter()
                    .filter(|e| !e.contains('=') && *e != FRONT_END_ENTRY)
                    .cloned()
                    .collect(),
            );
        }
        if *reach.access(KindId::Stdio) == Access::Unguarded && guards.is_empty() {
            reach.front_end = true;
        }
        reach.unguarded.sort();
        reach.also.sort();
        instances.push(reach);
    }
    let recipe: Vec<u32> = roles
        .iter()
        .filter(|(_, role)| matches!(role, Role::Recipe))
        .map(|(index, _)| *index)
        .collect();
    let agent = edge_agent(&wiring, &recipe, &instances, &digests);
    let shares: Vec<Option<String>> = instances
        .iter()
        .map(|reach| reach.settings.get(crate::edges::SHARE_INPUT).cloned())
        .collect();
    for (index, reach) in instances.iter_mut().enumerate() {
        reach.edges = edges_of(&agent, index, &|i| shares[i].clone());
    }
    Ok((
        Audit {
            instances,
            guarded: !guards.is_empty(),
        },
        agent,
    ))
}

/// The agent's edges as the artifact wires them: `recipe` are the
/// instances of the recipe, in the order of `reaches`.
fn edge_agent(
    wiring: &Wiring,
    recipe: &[u32],
    reaches: &[Reach],
    digests: &BTreeMap<u32, String>,
) -> crate::edges::Agent {
    use crate::edges::{Agent, Instance, Wire, unversioned};
    let instances = recipe
        .iter()
        .zip(reaches)
        .map(|(&index, reach)| {
            let own = digests
                .get(&index)
                .and_then(|digest| asterbot_bundle::by_digest(digest))
                .map(str::to_string);
            Instance {
                name: reach.instance.clone(),
                package: own.clone().unwrap_or_else(|| reach.package.clone()),
                own: own.is_some(),
                wires: arguments(wiring, index)
                    .into_iter()
                    .filter_map(|(import, argument)| match wiring.source(argument) {
                        Source::Instance { instance, export } => Some(Wire {
                            import,
                            interface: unversioned(&export).to_string(),
                            from: recipe.iter().position(|&r| r == instance)?,
                        }),
                        _ => None,
                    })
                    .collect(),
            }
        })
        .collect();
    Agent { instances }
}

/// The powers of instance `index`'s edges; `share` gives an instance's
/// baked input setting.
fn edges_of(
    agent: &crate::edges::Agent,
    index: usize,
    share: &dyn Fn(usize) -> Option<String>,
) -> Edges {
    use crate::edges::{CONTEXT, LLM, TOOLS};
    let name = |i: usize| agent.instances[i].name.clone();
    let model_edge_of = agent
        .loops()
        .into_iter()
        .filter(|&l| agent.model_edge(l).contains(&index))
        .map(name)
        .collect();
    // asterbot's joins only route: what they see and call shows on the
    // instances on either side.
    let join = agent.is_join(index);
    let reads_sections_of = if agent.re_exports(index, CONTEXT) && !join {
        agent.providers_below(index).into_iter().map(name).collect()
    } else {
        Vec::new()
    };
    let provider = agent.exports(index, CONTEXT) && !agent.imports(index, LLM) && !join;
    let calls_tools = agent.imports(index, TOOLS) && !join;
    Edges {
        model_edge_of,
        reads_sections_of,
        sees_input: provider && agent.sees_input(index, share),
        tools: if calls_tools {
            agent.tool_reach(index)
        } else {
            Vec::new()
        },
    }
}

/// The instance arguments of instance `index`, by import name.
fn arguments(wiring: &Wiring, index: u32) -> Vec<(String, u32)> {
    match wiring.instances.get(index as usize) {
        Some(InstanceDef::Instantiated { args, .. }) => args.clone(),
        _ => Vec::new(),
    }
}

/// How an import of `kind` fed from `source` is reached.
fn access(
    kind: &Kind,
    source: &Source,
    roles: &BTreeMap<u32, Role>,
    wiring: &Wiring,
    name_of: &dyn Fn(u32) -> String,
) -> Access {
    match source {
        Source::Runtime { .. } => Access::Unguarded,
        Source::Unknown => Access::Unverified,
        Source::Instance { instance, .. } => match roles.get(instance) {
            Some(Role::Guard(guard)) if guard.id == kind.id => {
                if !kind.has_policy {
                    return Access::Guarded(Vec::new());
                }
                let policy = arguments(wiring, *instance)
                    .into_iter()
                    .find(|(name, _)| name == POLICY)
                    .and_then(|(_, argument)| match wiring.source(argument) {
                        Source::Instance { instance, .. } => match roles.get(&instance) {
                            Some(Role::Policy(Some(allowed))) => Some(allowed.clone()),
                            _ => None,
                        },
                        _ => None,
                    });
                policy.map_or(Access::Unverified, Access::Guarded)
            }
            _ => Access::Via(name_of(*instance)),
        },
    }
}

/// Of two accesses to one kind, the one that reaches more.
fn weaker(a: Access, b: Access) -> Access {
    let rank = |access: &Access| match access {
        Access::NotImported => 0,
        Access::Guarded(_) => 1,
        Access::Via(_) => 2,
        Access::Unverified => 3,
        Access::Unguarded => 4,
    };
    match (a, b) {
        (Access::Guarded(mut x), Access::Guarded(y)) => {
            x.extend(y);
            x.sort();
            x.dedup();
            Access::Guarded(x)
        }
        (a, b) if rank(&b) > rank(&a) => b,
        (a, _) => a,
    }
}

/// The policy that the component `bytes` returns, if it is exactly what
/// asterbot synthesises for that policy.
fn verified_policy(bytes: &[u8]) -> Option<Vec<String>> {
    let allowed = decode_policy(bytes)?;
    let again = crate::guard::policy_component(&allowed).ok()?;
    (again == bytes).then_some(allowed)
}

/// The recipe instances whose tools instance `index` can call, through
/// joins and middleware (joins left out of the list: they only route).
fn calls(
    wiring: &Wiring,
    index: u32,
    roles: &BTreeMap<u32, Role>,
    is_join: &dyn Fn(u32) -> bool,
) -> Vec<u32> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![index];
    while let Some(next) = stack.pop() {
        for (_, argument) in arguments(wiring, next) {
            if let Source::Instance { instance, export } = wiring.source(argument)
                && export.starts_with("asterbot:agent/tools")
                && matches!(roles.get(&instance), Some(Role::Recipe))
                && seen.insert(instance)
            {
                stack.push(instance);
            }
        }
    }
    seen.into_iter().filter(|i| !is_join(*i)).collect()
}
