//! Every edge is a capability, not only WASI imports.
//!
//! Being wired on an agent's edges gives an instance powers that no guard
//! stands for:
//!
//! - on the **model edge** (between an agent loop and its provider), its
//!   replies' tool calls run as the model's: it can invoke every tool the
//!   loop can call, and it sees every prompt, section and tool result;
//! - on the **context edge** above other providers, it reads every section
//!   they write;
//! - a provider of sections sees the person's **input** only if the recipe
//!   grants it (`@sees-input`);
//! - below an **approval gate**, a middleware could call the gated tools
//!   without the gate asking, so nothing but asterbot's own plumbing may
//!   stand there, and nothing may reach those tools around the gate.
//!
//! The composer checks these on the graph it builds, and the audit reads
//! the same [`Agent`] back from the artifact's bytes, so both use the one
//! analysis in this module.

use std::collections::{BTreeMap, BTreeSet};

/// The model interface.
pub const LLM: &str = "asterbot:agent/llm";
/// The prompt sections interface.
pub const CONTEXT: &str = "asterbot:agent/context";
/// The tools interface.
pub const TOOLS: &str = "asterbot:agent/tools";

/// The approval gate's package.
pub const GATE: &str = "asterbot:approval";
/// The audit journal's middleware.
pub const AUDIT_LOG: &str = "asterbot:audit-log";
/// Another agent as a tool: it imports an agent loop's `agent` and
/// exports one tool, whose calls are that loop's input.
pub const AGENT_TOOL: &str = "asterbot:agent-tool";
/// The setting naming the tool of an [`AGENT_TOOL`] instance.
pub const TOOL_NAME: &str = "ASTERBOT_TOOL_NAME";
/// Its tool's name when the recipe sets none.
pub const DEFAULT_TOOL_NAME: &str = "ask_agent";
/// The join of prompt sections, which passes the input on only to the
/// providers the recipe lets see it.
pub const CONTEXT_JOIN: &str = "asterbot:context-join";

/// The setting an agent loop or a context join reads: the names of its
/// context imports that may be handed the person's input, comma-separated.
pub const SHARE_INPUT: &str = "ASTERBOT_SHARE_INPUT";
/// The setting asterbot's journaling middleware (the approval gate, the
/// audit log) reads: who can have produced the calls it sees.
pub const PRODUCERS: &str = "ASTERBOT_PRODUCERS";

/// An agent as far as its asterbot edges go: its instances and which
/// export of which instance feeds which of their imports.
#[derive(Debug, Clone, Default)]
pub struct Agent {
    /// Every instance of the recipe (guards and policies left out).
    pub instances: Vec<Instance>,
}

/// One instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Its name in the recipe.
    pub name: String,
    /// The package it instantiates.
    pub package: String,
    /// Whether its component is asterbot's own build (by digest).
    pub own: bool,
    /// Its imports fed by another instance.
    pub wires: Vec<Wire>,
}

/// One import of an instance, fed by another instance's export.
#[derive(Debug, Clone)]
pub struct Wire {
    /// The import's name (`asterbot:agent/llm@0.2.0`, `fallback`, `first`).
    pub import: String,
    /// The interface of the export feeding it, without version.
    pub interface: String,
    /// The instance exporting it (an index into [`Agent::instances`]).
    pub from: usize,
}

/// The interface `name` names, without its version.
pub fn unversioned(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

impl Agent {
    /// The instances that `index` is fed `interface` by.
    fn below<'a>(&'a self, index: usize, interface: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.instances[index]
            .wires
            .iter()
            .filter(move |w| w.interface == interface)
            .map(|w| w.from)
    }

    /// Whether `index` imports `interface` from another instance.
    pub fn imports(&self, index: usize, interface: &str) -> bool {
        self.below(index, interface).next().is_some()
    }

    /// Whether another instance imports `interface` from `index`.
    pub fn exports(&self, index: usize, interface: &str) -> bool {
        !self.callers(index, interface).is_empty()
    }

    /// The instances fed `interface` by `index`.
    pub fn callers(&self, index: usize, interface: &str) -> Vec<usize> {
        (0..self.instances.len())
            .filter(|&i| self.below(i, interface).any(|from| from == index))
            .collect()
    }

    /// Every instance reachable from `index` along `interface` edges, not
    /// `index` itself.
    pub fn reachable(&self, index: usize, interface: &str) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![index];
        while let Some(next) = stack.pop() {
            for from in self.below(next, interface) {
                if from != index && seen.insert(from) {
                    stack.push(from);
                }
            }
        }
        seen
    }

    /// Whether `index` imports `interface` and exports it again: it stands
    /// on that edge between its callers and what it wraps.
    pub fn re_exports(&self, index: usize, interface: &str) -> bool {
        self.imports(index, interface) && self.exports(index, interface)
    }

    /// The agent loops: instances that ask a model and run tools (`core`).
    pub fn loops(&self) -> Vec<usize> {
        (0..self.instances.len())
            .filter(|&i| self.imports(i, LLM) && self.imports(i, TOOLS))
            .collect()
    }

    /// The instances on the model edge of the loop `index`.
    pub fn model_edge(&self, index: usize) -> BTreeSet<usize> {
        self.reachable(index, LLM)
    }

    /// Of the model edge of loop `index`, the instances whose replies can
    /// carry tool calls of their own making: the providers, and whatever
    /// stands between that is not asterbot's own pass-through.
    pub fn producers(&self, index: usize) -> Vec<usize> {
        self.model_edge(index)
            .into_iter()
            .filter(|&i| !(self.instances[i].own && self.imports(i, LLM)))
            .collect()
    }

    /// The providers of prompt sections below `index` (joins and
    /// middleware left out).
    pub fn providers_below(&self, index: usize) -> Vec<usize> {
        self.reachable(index, CONTEXT)
            .into_iter()
            .filter(|&i| !self.imports(i, CONTEXT))
            .collect()
    }

    /// The tool sets along `index`'s tools edges: every instance there but
    /// asterbot's own joins and pass-through middleware (a foreign
    /// middleware may offer tools of its own).
    pub fn tools_below(&self, index: usize) -> Vec<usize> {
        self.reachable(index, TOOLS)
            .into_iter()
            .filter(|&i| !(self.instances[i].own && self.imports(i, TOOLS)))
            .collect()
    }

    /// Whether `index` is asterbot's agent-as-a-tool: a tool set whose
    /// calls are the input of the agent loop it imports (a sub-agent).
    pub fn is_agent_tool(&self, index: usize) -> bool {
        self.instances[index].own && self.instances[index].package == AGENT_TOOL
    }

    /// The agent loops whose tools reach `index` directly (along their
    /// own tools edges, not through a sub-agent).
    pub fn loops_calling(&self, index: usize) -> Vec<usize> {
        self.loops()
            .into_iter()
            .filter(|&l| l == index || self.reachable(l, TOOLS).contains(&index))
            .collect()
    }

    /// Whether `index` is one of asterbot's approval gates.
    pub fn is_gate(&self, index: usize) -> bool {
        self.instances[index].own && self.instances[index].package == GATE
    }

    /// Whether `index` writes every call through it to the audit journal
    /// (a gate writes only its decisions, on the calls it asks about).
    fn journals(&self, index: usize) -> bool {
        self.instances[index].own && self.instances[index].package == AUDIT_LOG
    }

    /// Every path of tool calls from `caller` to the tool set `tool`: for
    /// each, the gates on it and whether a journal is.
    fn tool_paths(&self, caller: usize, tool: usize) -> Vec<(Vec<usize>, bool)> {
        let mut paths = Vec::new();
        let mut stack = vec![(caller, Vec::new(), false, BTreeSet::from([caller]))];
        while let Some((at, gates, journaled, visited)) = stack.pop() {
            if at == tool {
                paths.push((gates, journaled));
                continue;
            }
            for from in self.below(at, TOOLS) {
                if visited.contains(&from) {
                    continue;
                }
                let mut gates = gates.clone();
                if self.is_gate(from) {
                    gates.push(from);
                }
                let mut visited = visited.clone();
                visited.insert(from);
                stack.push((from, gates, journaled || self.journals(from), visited));
            }
        }
        paths
    }

    /// How `caller` reaches each tool set below it.
    pub fn tool_reach(&self, caller: usize) -> Vec<ToolReach> {
        self.tools_below(caller)
            .into_iter()
            .map(|tool| {
                let paths = self.tool_paths(caller, tool);
                let gated = !paths.is_empty() && paths.iter().all(|(gates, _)| !gates.is_empty());
                let mut gates: Vec<String> = paths
                    .iter()
                    .flat_map(|(gates, _)| gates.iter().map(|&g| self.instances[g].name.clone()))
                    .collect();
                gates.sort();
                gates.dedup();
                ToolReach {
                    tool: self.instances[tool].name.clone(),
                    gates: if gated { gates } else { Vec::new() },
                    journaled: !paths.is_empty() && paths.iter().all(|(_, j)| *j),
                }
            })
            .collect()
    }

    /// Whether the provider `index` is handed the person's input, given
    /// each instance's baked settings (absent: composed without guards,
    /// so every provider is).
    pub fn sees_input(&self, index: usize, settings: &dyn Fn(usize) -> Option<String>) -> bool {
        let callers = self.callers(index, CONTEXT);
        callers.iter().any(|&caller| {
            let handed = match settings(caller) {
                None => true,
                Some(list) => {
                    let imports: Vec<&str> = self.instances[caller]
                        .wires
                        .iter()
                        .filter(|w| w.interface == CONTEXT && w.from == index)
                        .map(|w| unversioned(&w.import))
                        .collect();
                    list.split(',')
                        .map(str::trim)
                        .any(|name| imports.iter().any(|i| short(i) == name))
                }
            };
            let caller_has_it = self.imports(caller, LLM) || self.sees_input(caller, settings);
            handed && caller_has_it
        })
    }

    /// The input settings to bake: for each of asterbot's loops and context
    /// joins, the context imports whose provider may see the input
    /// (`granted`: the recipe's `@sees-input`, by instance index).
    pub fn share_input(&self, granted: &dyn Fn(usize) -> bool) -> BTreeMap<usize, String> {
        let mut settings = BTreeMap::new();
        for (index, instance) in self.instances.iter().enumerate() {
            let passes_on = instance.own
                && self.imports(index, CONTEXT)
                && (self.imports(index, LLM) || instance.package == CONTEXT_JOIN);
            if !passes_on {
                continue;
            }
            let mut names: Vec<&str> = instance
                .wires
                .iter()
                .filter(|w| w.interface == CONTEXT && self.wants_input(w.from, granted))
                .map(|w| short(unversioned(&w.import)))
                .collect();
            names.sort();
            names.dedup();
            settings.insert(index, names.join(","));
        }
        settings
    }

    /// Whether the provider `index`, or one below it when it is one of
    /// asterbot's joins, is granted the input.
    fn wants_input(&self, index: usize, granted: &dyn Fn(usize) -> bool) -> bool {
        let instance = &self.instances[index];
        if instance.own && instance.package == CONTEXT_JOIN {
            self.below(index, CONTEXT)
                .collect::<Vec<_>>()
                .into_iter()
                .any(|from| self.wants_input(from, granted))
        } else {
            granted(index)
        }
    }

    /// Who can have produced the tool calls reaching the middleware
    /// `index`, in words: each caller at the top of its tools edges, and
    /// for an agent loop, the instances on its model edge whose replies
    /// can carry calls.
    pub fn produced_by(&self, index: usize) -> String {
        let mut tops = BTreeSet::new();
        let mut stack = vec![index];
        let mut seen = BTreeSet::new();
        while let Some(at) = stack.pop() {
            for caller in self.callers(at, TOOLS) {
                if !seen.insert(caller) {
                    continue;
                }
                if self.re_exports(caller, TOOLS) || self.is_join(caller) {
                    stack.push(caller);
                } else {
                    tops.insert(caller);
                }
            }
        }
        tops.into_iter()
            .map(|top| {
                let name = &self.instances[top].name;
                let producers: Vec<&str> = self
                    .producers(top)
                    .into_iter()
                    .map(|p| self.instances[p].name.as_str())
                    .collect();
                if producers.is_empty() {
                    name.clone()
                } else {
                    format!(
                        "{name} (calls from the model edge: {})",
                        producers.join(" ")
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The instances that can start tool calls that reach `index` (itself
    /// included): walking up its callers past asterbot's own joins and
    /// pass-through middleware, which only hand calls on.
    pub fn initiators(&self, index: usize) -> BTreeSet<usize> {
        let passes_on = |i: usize| self.instances[i].own && self.imports(i, TOOLS);
        let mut found = BTreeSet::new();
        let mut seen = BTreeSet::from([index]);
        let mut stack = vec![index];
        while let Some(at) = stack.pop() {
            if !passes_on(at) {
                found.insert(at);
                continue;
            }
            for caller in self.callers(at, TOOLS) {
                if seen.insert(caller) {
                    stack.push(caller);
                }
            }
        }
        found
    }

    /// Whether `index` only joins tool sets or prompt sections (asterbot's
    /// `tools-join` and `context-join`, whose imports are `first` and
    /// `rest`): plumbing that hands each call or section on unseen by the
    /// other side.
    pub fn is_join(&self, index: usize) -> bool {
        let instance = &self.instances[index];
        instance.own && crate::audit::JOINS.contains(&instance.package.as_str())
    }
}

/// How an instance reaches one tool set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ToolReach {
    /// The tool set (a leaf instance).
    pub tool: String,
    /// The approval gates every path to it passes (empty: some path
    /// passes none).
    pub gates: Vec<String>,
    /// Whether every path to it writes the audit journal.
    pub journaled: bool,
}

/// The last segment of an interface name (`asterbot:agent/context` →
/// `context`); a plain import name stays as it is.
fn short(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// A rule of the edges that a recipe breaks, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The instance the recipe must change.
    pub instance: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// The annotations that grant edge powers, read from the recipe.
pub trait Grants {
    /// Whether the instance `name` is granted the model edge (`@model-edge`).
    fn model_edge(&self, name: &str) -> bool;
    /// Whether it is granted reading other providers' sections
    /// (`@reads-context`).
    fn reads_context(&self, name: &str) -> bool;
}

/// The rules of the edges: a component that stands on the model or the
/// context edge needs the recipe's grant (asterbot's own pass-throughs
/// excepted), and an approval gate is the only way to the tools below it.
pub fn check(agent: &Agent, grants: &dyn Grants) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let name = |i: usize| agent.instances[i].name.clone();
    for (index, instance) in agent.instances.iter().enumerate() {
        if instance.own {
            continue;
        }
        if agent.re_exports(index, LLM) && !grants.model_edge(&instance.name) {
            let loops: Vec<String> = agent
                .loops()
                .into_iter()
                .filter(|&l| agent.model_edge(l).contains(&index))
                .map(name)
                .collect();
            let tools: Vec<String> = agent
                .loops()
                .into_iter()
                .filter(|&l| agent.model_edge(l).contains(&index))
                .flat_map(|l| agent.tools_below(l))
                .map(name)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let power = if loops.is_empty() {
                "it sees every request and answers in the model's place".to_string()
            } else {
                format!(
                    "its replies' tool calls run as the model's for {} (tools of {}), and it sees every prompt, section and tool result",
                    loops.join(", "),
                    if tools.is_empty() {
                        "none".to_string()
                    } else {
                        tools.join(", ")
                    }
                )
            };
            breaches.push(Breach {
                instance: instance.name.clone(),
                message: format!(
                    "`{}` (`{}`) stands on the model edge: it imports `llm` and exports it again, so {power}",
                    instance.name, instance.package
                ),
                help: "if it may, grant that power above its `let`: `/// @model-edge`; otherwise wire the agent to the provider directly".to_string(),
            });
        }
        if agent.re_exports(index, CONTEXT) && !grants.reads_context(&instance.name) {
            let providers: Vec<String> =
                agent.providers_below(index).into_iter().map(name).collect();
            breaches.push(Breach {
                instance: instance.name.clone(),
                message: format!(
                    "`{}` (`{}`) imports prompt sections and exports them again, so it reads every section of {}",
                    instance.name,
                    instance.package,
                    if providers.is_empty() { "the providers below it".to_string() } else { providers.join(", ") }
                ),
                help: "if it may, grant that power above its `let`: `/// @reads-context`; otherwise join the providers with `asterbot:context-join`, which never shows one provider another's sections".to_string(),
            });
        }
    }
    for gate in (0..agent.instances.len()).filter(|&g| agent.is_gate(g)) {
        let below = agent.reachable(gate, TOOLS);
        for &inner in &below {
            let instance = &agent.instances[inner];
            if agent.imports(inner, TOOLS) && !instance.own {
                breaches.push(Breach {
                    instance: instance.name.clone(),
                    message: format!(
                        "`{}` (`{}`) is wired below the approval gate `{}`: it can call the tools the gate asks about (even from `list`) without anyone being asked, and without a journal line",
                        instance.name,
                        instance.package,
                        name(gate)
                    ),
                    help: format!(
                        "wire it above the gate instead (give it `tools: {}.tools` and give its callers its tools), so every call it makes passes the gate",
                        name(gate)
                    ),
                });
            }
            for caller in agent.callers(inner, TOOLS) {
                // A join that nothing calls makes no calls of its own.
                let live = !agent.initiators(caller).is_empty();
                if caller != gate && !below.contains(&caller) && live {
                    breaches.push(Breach {
                        instance: name(caller),
                        message: format!(
                            "`{}` calls the tools of `{}` around the approval gate `{}`: the gate's questions would not be asked on that path",
                            name(caller),
                            instance.name,
                            name(gate)
                        ),
                        help: format!(
                            "wire `{}` to `{}.tools` (or to what stands above the gate), so every way to those tools passes the gate",
                            name(caller),
                            name(gate)
                        ),
                    });
                }
            }
        }
    }
    breaches
}

/// The agent of a composition graph, every instance named as the guards
/// and the audit name it.
pub(crate) fn from_graph(graph: &wac_graph::CompositionGraph) -> (Agent, Vec<wac_graph::NodeId>) {
    use wac_graph::NodeKind;
    let nodes: Vec<wac_graph::NodeId> = graph
        .node_ids()
        .filter(|&id| matches!(graph[id].kind(), NodeKind::Instantiation(_)))
        .collect();
    let position = |id: wac_graph::NodeId| nodes.iter().position(|&n| n == id);
    let instances = nodes
        .iter()
        .map(|&id| {
            let (package, own) = match graph[id].package() {
                Some(package) => {
                    let package = &graph[package];
                    let own = asterbot_bundle::by_digest(&asterbot_bundle::digest(package.bytes()))
                        == Some(package.name());
                    (package.name().to_string(), own)
                }
                None => (String::new(), false),
            };
            let wires = graph
                .get_instantiation_arguments(id)
                .filter_map(|(import, source)| {
                    let (from, export) = graph.get_alias_source(source)?;
                    Some(Wire {
                        import: import.to_string(),
                        interface: unversioned(export).to_string(),
                        from: position(from)?,
                    })
                })
                .collect();
            Instance {
                name: crate::guard::instance_name(graph, id),
                package,
                own,
                wires,
            }
        })
        .collect();
    (Agent { instances }, nodes)
}

impl Grants for BTreeMap<String, crate::guard::InstancePolicy> {
    fn model_edge(&self, name: &str) -> bool {
        self.get(name).is_some_and(|p| p.model_edge)
    }
    fn reads_context(&self, name: &str) -> bool {
        self.get(name).is_some_and(|p| p.reads_context)
    }
}

/// What the composer bakes into the instances for their edges, by
/// instance name: which context imports are handed the input, and who
/// produces the calls a journaling middleware sees.
pub(crate) fn settings(
    agent: &Agent,
    policies: &BTreeMap<String, crate::guard::InstancePolicy>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut baked: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let granted = |i: usize| {
        policies
            .get(&agent.instances[i].name)
            .is_some_and(|p| p.sees_input)
    };
    for (index, list) in agent.share_input(&granted) {
        baked
            .entry(agent.instances[index].name.clone())
            .or_default()
            .insert(SHARE_INPUT.to_string(), list);
    }
    for (index, instance) in agent.instances.iter().enumerate() {
        let journals = instance.own && (instance.package == GATE || instance.package == AUDIT_LOG);
        if journals && agent.re_exports(index, TOOLS) {
            baked
                .entry(instance.name.clone())
                .or_default()
                .insert(PRODUCERS.to_string(), agent.produced_by(index));
        }
    }
    baked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One instance: `(name, package, own, [(import, interface, from)])`.
    type Spec<'a> = (&'a str, &'a str, bool, &'a [(&'a str, &'a str, &'a str)]);

    /// An agent from its instances.
    fn agent(spec: &[Spec]) -> Agent {
        let index = |n: &str| spec.iter().position(|(name, ..)| *name == n).unwrap();
        Agent {
            instances: spec
                .iter()
                .map(|(name, package, own, wires)| Instance {
                    name: name.to_string(),
                    package: package.to_string(),
                    own: *own,
                    wires: wires
                        .iter()
                        .map(|(import, interface, from)| Wire {
                            import: import.to_string(),
                            interface: interface.to_string(),
                            from: index(from),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    struct NoGrants;
    impl Grants for NoGrants {
        fn model_edge(&self, _: &str) -> bool {
            false
        }
        fn reads_context(&self, _: &str) -> bool {
            false
        }
    }

    const CORE: &str = "asterbot:core";

    #[test]
    fn a_foreign_component_on_the_model_edge_needs_the_grant() {
        let a = agent(&[
            ("model", "asterbot:llm-openai", true, &[]),
            (
                "cache",
                "acme:cache",
                false,
                &[("asterbot:agent/llm@0.2.0", LLM, "model")],
            ),
            ("notes", "asterbot:memory", true, &[]),
            (
                "core",
                CORE,
                true,
                &[
                    ("asterbot:agent/llm@0.2.0", LLM, "cache"),
                    ("asterbot:agent/tools@0.2.0", TOOLS, "notes"),
                ],
            ),
        ]);
        let breaches = check(&a, &NoGrants);
        assert_eq!(breaches.len(), 1, "{breaches:?}");
        assert!(
            breaches[0].message.contains("for core (tools of notes)"),
            "{breaches:?}"
        );
        assert_eq!(a.producers(3), vec![0, 1]);
    }

    #[test]
    fn the_gate_is_the_only_way_to_the_tools_below_it() {
        let a = agent(&[
            ("fetch", "asterbot:http-fetch", true, &[]),
            (
                "spy",
                "acme:spy",
                false,
                &[("asterbot:agent/tools@0.2.0", TOOLS, "fetch")],
            ),
            (
                "gate",
                GATE,
                true,
                &[("asterbot:agent/tools@0.2.0", TOOLS, "spy")],
            ),
            (
                "other",
                "acme:other",
                false,
                &[("asterbot:agent/tools@0.2.0", TOOLS, "fetch")],
            ),
        ]);
        let messages: Vec<String> = check(&a, &NoGrants)
            .into_iter()
            .map(|b| b.message)
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`spy` (`acme:spy`) is wired below the approval gate `gate`")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`other` calls the tools of `fetch` around the approval gate")),
            "{messages:?}"
        );
        let reach = a.tool_reach(3);
        assert_eq!(reach[0].gates, Vec::<String>::new());
    }
}
