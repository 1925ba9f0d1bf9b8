//! What a reviewer needs to know of an agent, and what changed between two
//! of them: the components by digest, the instances and how they are
//! wired, and what each instance can reach. `asterbot diff` prints a
//! [`Diff`] of two [`View`]s; `asterbot diff --textconv` prints one view's
//! [`View::facts`], one fact a line, for git's own line diff.
//!
//! A view is read from an artifact (its audit and provenance) or from a
//! recipe composed in memory; for a recipe with a lock file, the digests
//! are the lock's, the bytes that were pinned.

use crate::audit::{Access, Audit, Reach};
use crate::guard::kinds::KindId;
use crate::lock::Lock;
use crate::provenance::Provenance;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod render;

/// Settings asterbot bakes itself: the wiring and approvals say the same
/// more plainly.
const DERIVED_SETTINGS: [&str; 6] = [
    "ASTERBOT_INSTANCE",
    "ASTERBOT_CALLERS",
    "ASTERBOT_ASK",
    "ASTERBOT_PRE_APPROVED",
    crate::edges::SHARE_INPUT,
    crate::edges::PRODUCERS,
];

/// One kind of capability, as a reviewer reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// A kind of the capability table (env, dirs, hosts, sockets, the
    /// key prefix, stdio), named by the table's diff word.
    Kind(KindId),
    /// Arguments, working directory, standard input and output.
    FrontEnd,
    /// Imports that reach the runtime with no guard.
    Unguarded,
    /// The instances whose tools it can call.
    Calls,
    /// Tools a person is asked about before they run (losing one is a
    /// gain), for calls through an approval gate.
    AsksBefore,
    /// Tools a gate lets run without asking.
    PreApproved,
    /// The agent loops on whose model edge it stands.
    ModelEdge,
    /// The providers whose prompt sections it reads.
    ReadsSections,
    /// The person's input, handed to a provider of sections.
    Input,
}

impl Capability {
    /// How the capability is named in output.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Kind(id) => id.kind().diff_word,
            Capability::FrontEnd => "front end",
            Capability::Unguarded => "unguarded import",
            Capability::Calls => "calls tools of",
            Capability::AsksBefore => "asks a person before",
            Capability::PreApproved => "pre-approved",
            Capability::ModelEdge => "model edge of",
            Capability::ReadsSections => "reads the sections of",
            Capability::Input => "sees",
        }
    }

    /// How the capability is named in JSON.
    pub fn json_name(self) -> &'static str {
        match self {
            Capability::Kind(id) => id.kind().diff_word,
            Capability::FrontEnd => "front-end",
            Capability::Unguarded => "unguarded",
            Capability::Calls => "calls",
            Capability::AsksBefore => "asks-before",
            Capability::PreApproved => "pre-approved",
            Capability::ModelEdge => "model-edge",
            Capability::ReadsSections => "reads-sections",
            Capability::Input => "input",
        }
    }

    /// Whether having more of it means reaching less (approvals).
    fn restricts(self) -> bool {
        self == Capability::AsksBefore
    }
}

impl Serialize for Capability {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.json_name())
    }
}

/// What a reviewer needs to know of one agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct View {
    /// The asterbot that composed it, when known.
    pub asterbot: Option<String>,
    /// Every component by package: its version and digest(s).
    pub components: BTreeMap<String, BTreeSet<(Option<String>, String)>>,
    /// Every instance of the recipe, by name.
    pub instances: BTreeMap<String, Instance>,
    /// Every flow from a source to a sink: by [`crate::flows::key`]
    /// (source, sink, approval), the flow with its hops
    /// ([`crate::flows::fact`]).
    pub flows: BTreeMap<String, String>,
}

/// One instance, as a reviewer reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Instance {
    /// The package it instantiates.
    pub package: String,
    /// The SHA-256 of its component.
    pub digest: String,
    /// Each import another instance provides, and which instance.
    pub wiring: BTreeMap<String, String>,
    /// Values the recipe baked into it.
    pub settings: BTreeMap<String, String>,
    /// What it can reach, by kind; an empty kind is left out.
    pub capabilities: BTreeMap<Capability, BTreeSet<String>>,
}

impl View {
    /// The view of an artifact: its audit, and the provenance it carries.
    /// With `lock`, digests are the lock's (the pinned bytes) wherever it
    /// pins the package.
    pub fn new(audit: &Audit, provenance: Option<&Provenance>, lock: Option<&Lock>) -> View {
        let pinned: BTreeMap<&str, BTreeSet<(Option<String>, String)>> = lock
            .map(|lock| {
                let mut pinned: BTreeMap<&str, BTreeSet<_>> = BTreeMap::new();
                for c in &lock.components {
                    pinned
                        .entry(c.package.as_str())
                        .or_default()
                        .insert((c.version.clone(), c.sha256.clone()));
                }
                pinned
            })
            .unwrap_or_default();
        let mut components: BTreeMap<String, BTreeSet<(Option<String>, String)>> = BTreeMap::new();
        for c in provenance.iter().flat_map(|p| &p.components) {
            components
                .entry(c.package.clone())
                .or_default()
                .insert((c.version.clone(), c.sha256.clone()));
        }
        if provenance.is_none() {
            for reach in &audit.instances {
                components
                    .entry(reach.package.clone())
                    .or_default()
                    .insert((None, reach.digest.clone()));
            }
        }
        for (package, digests) in components.iter_mut() {
            if let Some(locked) = pinned.get(package.as_str()) {
                *digests = locked.clone();
            }
        }
        let gates: BTreeMap<&str, (&Reach, Vec<String>, Vec<String>)> = audit
            .instances
            .iter()
            .filter_map(|reach| {
                let list = |name: &str| -> Vec<String> {
                    reach
                        .settings
                        .get(name)
                        .map(|v| v.split(',').map(str::to_string).collect())
                        .unwrap_or_default()
                };
                let (ask, pre) = (list("ASTERBOT_ASK"), list("ASTERBOT_PRE_APPROVED"));
                (!ask.is_empty() || !pre.is_empty())
                    .then_some((reach.instance.as_str(), (reach, ask, pre)))
            })
            .collect();
        let instances = audit
            .instances
            .iter()
            .map(|reach| {
                let digest = match components.get(&reach.package) {
                    Some(digests)
                        if digests.len() == 1 && pinned.contains_key(reach.package.as_str()) =>
                    {
                        digests
                            .iter()
                            .next()
                            .map(|(_, d)| d.clone())
                            .unwrap_or_default()
                    }
                    _ => reach.digest.clone(),
                };
                let mut instance = Instance {
                    package: reach.package.clone(),
                    digest,
                    wiring: reach
                        .imports
                        .iter()
                        .filter_map(|(import, provider)| {
                            provider
                                .strip_prefix("instance ")
                                .map(|from| (import.clone(), from.to_string()))
                        })
                        .collect(),
                    settings: reach
                        .settings
                        .iter()
                        .filter(|(k, _)| !DERIVED_SETTINGS.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    capabilities: BTreeMap::new(),
                };
                let mut add = |kind: Capability, values: BTreeSet<String>| {
                    if !values.is_empty() {
                        instance.capabilities.insert(kind, values);
                    }
                };
                for id in KindId::ALL {
                    let kind = Capability::Kind(id);
                    add(kind, access(reach.access(id), kind));
                }
                add(
                    Capability::FrontEnd,
                    reach
                        .front_end
                        .then(|| "arguments, working directory, stdin, stdout".to_string())
                        .into_iter()
                        .collect(),
                );
                add(
                    Capability::Unguarded,
                    reach.unguarded.iter().cloned().collect(),
                );
                add(
                    Capability::ModelEdge,
                    reach.edges.model_edge_of.iter().cloned().collect(),
                );
                add(
                    Capability::ReadsSections,
                    reach.edges.reads_sections_of.iter().cloned().collect(),
                );
                add(
                    Capability::Input,
                    reach
                        .edges
                        .sees_input
                        .then(|| "the person's input".to_string())
                        .into_iter()
                        .collect(),
                );
                // A join only routes: what it can call is what its callers
                // can, and shows there.
                if crate::audit::JOINS.contains(&reach.package.as_str()) {
                    return (reach.instance.clone(), instance);
                }
                add(Capability::Calls, reach.calls.iter().cloned().collect());
                // The gates this instance's tool calls pass through (or
                // that it is), and what each asks about.
                let mut asks = BTreeSet::new();
                let mut pre = BTreeSet::new();
                for gate in std::iter::once(&reach.instance).chain(&reach.calls) {
                    if let Some((_, ask, pre_approved)) = gates.get(gate.as_str()) {
                        asks.extend(ask.iter().cloned());
                        pre.extend(pre_approved.iter().cloned());
                    }
                }
                add(Capability::AsksBefore, asks);
                add(Capability::PreApproved, pre);
                (reach.instance.clone(), instance)
            })
            .collect();
        View {
            asterbot: provenance.map(|p| p.asterbot.clone()),
            components,
            instances,
            flows: BTreeMap::new(),
        }
    }

    /// The view with the agent's `flows` (read from the same artifact).
    pub fn with_flows(mut self, flows: &crate::flows::Flows) -> View {
        self.flows = flows.facts();
        self
    }

    /// The view as sorted lines, one fact each, for a line diff (git's
    /// textconv).
    pub fn facts(&self) -> String {
        let mut out = String::new();
        self.write_facts(&mut out);
        let mut lines: Vec<&str> = out.lines().collect();
        lines.sort_unstable();
        lines.iter().map(|line| format!("{line}\n")).collect()
    }

    fn write_facts(&self, out: &mut String) {
        // By key: a flow that takes another way is not a change.
        for flow in self.flows.keys() {
            out.push_str(&format!("flow {flow}\n"));
        }
        for (package, digests) in &self.components {
            for (version, digest) in digests {
                out.push_str(&format!(
                    "component {package} {} sha256:{digest}\n",
                    version.as_deref().unwrap_or("-")
                ));
            }
        }
        for (name, instance) in &self.instances {
            out.push_str(&format!(
                "instance {name}: {} sha256:{}\n",
                instance.package, instance.digest
            ));
            for (import, from) in &instance.wiring {
                out.push_str(&format!("instance {name}: {import} from {from}\n"));
            }
            for (setting, value) in &instance.settings {
                out.push_str(&format!("instance {name}: set {setting}={value}\n"));
            }
            for (kind, values) in &instance.capabilities {
                for value in values {
                    out.push_str(&format!("instance {name}: {} {value}\n", kind.name()));
                }
            }
        }
    }
}

/// The values one [`Access`] gives, in words a diff can compare.
fn access(access: &Access, kind: Capability) -> BTreeSet<String> {
    match access {
        Access::NotImported => BTreeSet::new(),
        // A guard that allows nothing: denied (stdio: stderr only).
        Access::Guarded(values) => values
            .iter()
            .map(|v| {
                if v == "*" {
                    "* (all granted)".to_string()
                } else {
                    v.clone()
                }
            })
            .collect(),
        Access::Unguarded => BTreeSet::from([format!("ALL {} (unguarded)", kind.name())]),
        Access::Via(instance) => BTreeSet::from([format!("via {instance}")]),
        Access::Unverified => BTreeSet::from(["UNVERIFIED guard".to_string()]),
    }
}

/// What changed between two views.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The asterbot versions that composed them, when they differ.
    pub asterbot: Option<(Option<String>, Option<String>)>,
    /// Components added, removed or changed, by package.
    pub components: Vec<ComponentChange>,
    /// Instances added, removed or swapped.
    pub instances: Vec<InstanceChange>,
    /// Imports wired to another instance than before.
    pub wiring: Vec<Change>,
    /// Settings baked into an instance that changed.
    pub settings: Vec<Change>,
    /// Capabilities gained or lost, per instance.
    pub capabilities: Vec<CapabilityChange>,
    /// Flows from a source to a sink gained or lost (a flow that needed
    /// an approval and no longer does is a flow gained).
    pub flows: Vec<FlowChange>,
}

/// A flow gained or lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowChange {
    /// The flow: `SOURCE → SINK via HOPS`, and `(asks: GATE)` when a
    /// person approves it.
    pub flow: String,
    /// Whether it is new.
    pub gain: bool,
}

/// A component that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentChange {
    /// Its package.
    pub package: String,
    /// Before: `version sha256:digest`, each (none: added).
    pub before: Vec<String>,
    /// After (none: removed).
    pub after: Vec<String>,
}

/// An instance added, removed or swapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceChange {
    /// The instance.
    pub instance: String,
    /// `added`, `removed`, `package` (another package) or `digest`
    /// (other bytes of the same package).
    pub change: &'static str,
    /// Its package and digest before.
    pub before: Option<String>,
    /// After.
    pub after: Option<String>,
}

/// One value of an instance that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The instance.
    pub instance: String,
    /// What (an import, a setting).
    pub what: String,
    /// Before (none: not there).
    pub before: Option<String>,
    /// After (none: gone).
    pub after: Option<String>,
}

/// A capability an instance gained or lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapabilityChange {
    /// The instance.
    pub instance: String,
    /// The kind.
    pub capability: Capability,
    /// The value gained or lost.
    pub value: String,
    /// Whether the instance can now reach more than before.
    pub gain: bool,
}

impl Diff {
    /// What changed from `old` to `new`.
    pub fn between(old: &View, new: &View) -> Diff {
        let mut diff = Diff::default();
        if old.asterbot != new.asterbot {
            diff.asterbot = Some((old.asterbot.clone(), new.asterbot.clone()));
        }
        let describe = |set: &BTreeSet<(Option<String>, String)>| -> Vec<String> {
            set.iter()
                .map(|(v, d)| format!("{} sha256:{d}", v.as_deref().unwrap_or("-")))
                .collect()
        };
        let empty = BTreeSet::new();
        for package in keys(&old.components, &new.components) {
            let before = old.components.get(package).unwrap_or(&empty);
            let after = new.components.get(package).unwrap_or(&empty);
            if before != after {
                diff.components.push(ComponentChange {
                    package: package.clone(),
                    before: describe(before),
                    after: describe(after),
                });
            }
        }
        let nothing = Instance::default();
        let none = BTreeSet::new();
        for name in keys(&old.instances, &new.instances) {
            let (before, after) = (old.instances.get(name), new.instances.get(name));
            let label = |i: &Instance| format!("{} sha256:{}", i.package, short(&i.digest));
            let change = match (before, after) {
                (None, Some(_)) => Some("added"),
                (Some(_), None) => Some("removed"),
                (Some(a), Some(b)) if a.package != b.package => Some("package"),
                (Some(a), Some(b)) if a.digest != b.digest => Some("digest"),
                _ => None,
            };
            if let Some(change) = change {
                diff.instances.push(InstanceChange {
                    instance: name.clone(),
                    change,
                    before: before.map(label),
                    after: after.map(label),
                });
            }
            let (before, after) = (before.unwrap_or(&nothing), after.unwrap_or(&nothing));
            // An added or removed instance's wiring and settings are part
            // of it; its capabilities are still listed, as gains or losses.
            if change != Some("added") && change != Some("removed") {
                changes(name, &before.wiring, &after.wiring, &mut diff.wiring);
                changes(name, &before.settings, &after.settings, &mut diff.settings);
            } else if change == Some("added") {
                changes(name, &before.settings, &after.settings, &mut diff.settings);
            }
            for kind in keys(&before.capabilities, &after.capabilities) {
                // An instance that comes or goes is not asked more or less
                // often: its callers are, and show it.
                if kind.restricts() && matches!(change, Some("added" | "removed")) {
                    continue;
                }
                let was = before.capabilities.get(kind).unwrap_or(&none);
                let now = after.capabilities.get(kind).unwrap_or(&none);
                for (gained, values) in [(true, now.difference(was)), (false, was.difference(now))]
                {
                    diff.capabilities
                        .extend(values.map(|value| CapabilityChange {
                            instance: name.clone(),
                            capability: *kind,
                            value: value.clone(),
                            // More approvals is less reach.
                            gain: gained != kind.restricts(),
                        }));
                }
            }
        }
        for (gain, from, other) in [
            (true, &new.flows, &old.flows),
            (false, &old.flows, &new.flows),
        ] {
            diff.flows.extend(
                from.iter()
                    .filter(|(key, _)| !other.contains_key(*key))
                    .map(|(_, flow)| FlowChange {
                        flow: flow.clone(),
                        gain,
                    }),
            );
        }
        diff
    }

    /// Whether data can move along a way it could not before.
    pub fn gains_flow(&self) -> bool {
        self.flows.iter().any(|f| f.gain)
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self == &Diff::default()
    }

    /// Whether any instance can reach something it could not before.
    pub fn gains_capability(&self) -> bool {
        self.capabilities.iter().any(|c| c.gain)
    }
}

/// Every key of `a` and `b`, sorted, once.
fn keys<'a, K: Ord, V>(a: &'a BTreeMap<K, V>, b: &'a BTreeMap<K, V>) -> BTreeSet<&'a K> {
    a.keys().chain(b.keys()).collect()
}

/// The changes from `before` to `after` of one instance's map.
fn changes(
    instance: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    into: &mut Vec<Change>,
) {
    for key in keys(before, after) {
        let (a, b) = (before.get(key), after.get(key));
        if a != b {
            into.push(Change {
                instance: instance.to_string(),
                what: key.clone(),
                before: a.cloned(),
                after: b.cloned(),
            });
        }
    }
}

/// The first 12 hex digits of a digest.
pub fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
