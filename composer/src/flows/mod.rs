//! Where data can flow: from every **source** of an agent (a granted
//! environment variable, a granted folder or key prefix, the person's
//! input, a tool's results, a provider's prompt sections) to every
//! **sink** (a host an instance may call, a folder or key prefix it may
//! write, the answer on standard output or in the HTTP response), with
//! the hops in between and whether a person must approve it.
//!
//! It is computed from the artifact's wiring, the same bytes the audit
//! reads ([`crate::audit::analyze_with_agent`]), never from a recipe's
//! annotations. The propagation is conservative:
//!
//! - **within an instance**, anything it can read can reach anything it
//!   can write (its grants and every edge it is wired on);
//! - **across instances**, along every wired edge in both directions:
//!   arguments down to the exporter, results up to the importer;
//! - **through the model**: everything an agent loop shows its model (the
//!   person's input, sections, history, tool results) can come back in
//!   the arguments of every tool the loop may call. A loop's tool calls
//!   come from the model only, so a path from what the loop knows to a
//!   tool passes the node `(model)`.
//!
//! asterbot's own plumbing (recognised by digest: the joins, the approval
//! gate, the audit log, the fallback, the tracing middleware) is known
//! code: it hands arguments down and results up, never one callee's
//! results to another callee, and what it reads of its own grants (the
//! journal's path) steers it but is not passed on. A provider of prompt
//! sections that is not handed the person's input is not sent it.
//!
//! A path to a tool's sink is **approved** when every way there passes an
//! approval gate that asks about every tool of that instance (for a
//! component that is not asterbot's own, whose tool names the artifact
//! does not say: a gate that asks about all tools).
//!
//! The **lethal trifecta** is private data (a folder, a key prefix, a
//! secret) and untrusted content (results of a tool that reads from
//! outside: a host, the network, a read-only folder) both shown to a
//! model that can send data out (a path from the model to a host) with no
//! approval on that path. [`Flows::trifecta`] lists it per agent loop,
//! with what closes it.
//!
//! What this does not claim: side channels (timing, sizes, the pattern of
//! calls), and anything about what a host does with what it is sent.

pub mod policy;
mod render;

use crate::audit::{Access, Audit, Reach};
use crate::edges::{Agent, CONTEXT, LLM, TOOLS};
use crate::guard::kinds::KindId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The interface a front end calls an agent loop through.
const AGENT: &str = "asterbot:agent/agent";

/// asterbot's HTTP front end, whose answer is the HTTP response.
const HTTP_FRONT_END: &str = "asterbot:http-gateway";

/// asterbot's terminal approver: it shows each question to the person and
/// answers with the person's decision, never with another question.
const ASK_TERMINAL: &str = "asterbot:ask-terminal";

/// The interfaces whose answers asterbot's terminal approver takes from
/// the person.
const ASKING: [&str; 2] = [APPROVAL, "asterbot:agent/person"];

/// The interface a gate asks its approver through.
const APPROVAL: &str = "asterbot:agent/approval";

/// The label of the person's input, as a source.
pub const INPUT: &str = "the person's input";

/// How a hop through the model reads in a path.
pub const MODEL: &str = "(model)";

/// The tools of asterbot's own tool packages, by package: what an
/// approval gate's `@ask` must name to ask about every call to them.
const OWN_TOOLS: &[(&str, &[&str])] = &[
    ("asterbot:http-fetch", &["http_fetch"]),
    (
        "asterbot:memory",
        &[
            "memory_list",
            "memory_read",
            "memory_write",
            "memory_delete",
        ],
    ),
    (
        "asterbot:memory-ephemeral",
        &[
            "memory_list",
            "memory_read",
            "memory_write",
            "memory_delete",
        ],
    ),
    (
        "asterbot:memory-keyvalue",
        &[
            "memory_list",
            "memory_read",
            "memory_write",
            "memory_delete",
        ],
    ),
    (
        "asterbot:skills",
        &[
            "skills_list",
            "skills_read",
            "skills_write",
            "skills_delete",
        ],
    ),
    ("asterbot:soul", &["persona_update"]),
];

/// Words in a variable's name that make it a secret.
const SECRET_WORDS: [&str; 7] = [
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
];

/// What kind of source a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// The person's input (arguments, standard input, a request).
    Input,
    /// A granted folder, read.
    Folder,
    /// A granted key prefix, read.
    Keys,
    /// A granted environment variable.
    Env,
    /// A tool's results.
    ToolResults,
    /// A provider's prompt sections.
    Sections,
}

/// Where data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// How it is named (`/state/memory`, `$OPENAI_API_KEY`, `results of
    /// fetch`).
    pub label: String,
    /// What kind it is.
    pub kind: SourceKind,
    /// The instances it enters at.
    pub instances: Vec<String>,
    /// Private data: a folder, a key prefix, a secret.
    pub private: bool,
    /// Content from outside the agent: results of a tool that reads from
    /// a host, the network or a read-only folder.
    pub untrusted: bool,
}

/// What kind of sink a sink is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinkKind {
    /// A host an instance may call (outward).
    Host,
    /// The network through unguarded sockets (outward).
    Network,
    /// A folder an instance may write.
    Folder,
    /// A key prefix an instance may write.
    Keys,
    /// The answer: standard output, or the HTTP response.
    Answer,
}

/// Where data can go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sink {
    /// How it is named (`api.openai.com`, `*`, `/state/memory`,
    /// `standard output`).
    pub label: String,
    /// What kind it is.
    pub kind: SinkKind,
    /// The instances that write to it.
    pub instances: Vec<String>,
    /// Whether data there leaves the machine.
    pub outward: bool,
    /// The agent loops whose model provider this is (a host of an
    /// instance on a model edge).
    pub provider_of: Vec<String>,
}

/// One way data moves from a source to a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// The source's label.
    pub source: String,
    /// The sink's label.
    pub sink: String,
    /// The instances in between, in order (`(model)` for a hop through a
    /// model; asterbot's joins, which only route, left out).
    pub hops: Vec<String>,
    /// Whether it passes through a model.
    pub via_model: bool,
    /// The approval gates every way from the source to the sink passes
    /// (empty: there is a way with no approval).
    pub approval: Vec<String>,
}

impl Flow {
    /// The flow in one line: `source → hop → ... → sink`.
    pub fn line(&self) -> String {
        let mut parts = vec![self.source.as_str()];
        parts.extend(self.hops.iter().map(String::as_str));
        parts.push(&self.sink);
        parts.join(" → ")
    }

    /// Whether a person must approve it.
    pub fn approved(&self) -> bool {
        !self.approval.is_empty()
    }
}

/// The lethal trifecta of one agent loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trifecta {
    /// The agent loop.
    pub agent: String,
    /// The private data its model is shown.
    pub private: Vec<String>,
    /// The untrusted content its model is shown.
    pub untrusted: Vec<String>,
    /// The ways from its model to an outward sink.
    pub outward: Vec<Flow>,
    /// Whether every one of them needs a person's approval.
    pub gated: bool,
    /// What closes an open one, in words (instance names, to be pointed
    /// at in the recipe by [`Trifecta::closes`]).
    pub fix: Vec<Fix>,
}

/// One change to a recipe that closes an open trifecta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// The instance whose recipe line to change.
    pub instance: String,
    /// What to change there.
    pub change: String,
}

impl Trifecta {
    /// The finding in words, one line.
    pub fn message(&self) -> String {
        let sinks: BTreeSet<&str> = self.outward.iter().map(|f| f.sink.as_str()).collect();
        let sinks: Vec<&str> = sinks.into_iter().collect();
        if self.gated {
            format!(
                "`{}`: private data ({}) and untrusted content ({}) reach the model, and every way from it out to {} asks a person first",
                self.agent,
                self.private.join(", "),
                self.untrusted.join(", "),
                sinks.join(", ")
            )
        } else {
            let open: Vec<String> = self
                .outward
                .iter()
                .filter(|f| !f.approved())
                .map(Flow::line)
                .collect();
            format!(
                "lethal trifecta in `{}`: private data ({}) and untrusted content ({}) reach the model, and it can send them out with no approval: {}",
                self.agent,
                self.private.join(", "),
                self.untrusted.join(", "),
                open.join("; ")
            )
        }
    }

    /// What closes it, each change pointed at the recipe by `line` (the
    /// line of an instance's `let`, when the recipe is known).
    pub fn closes(&self, line: &dyn Fn(&str) -> Option<usize>) -> String {
        self.fix
            .iter()
            .map(|fix| match line(&fix.instance) {
                Some(n) => format!("line {n} (`{}`): {}", fix.instance, fix.change),
                None => format!("`{}`: {}", fix.instance, fix.change),
            })
            .collect::<Vec<_>>()
            .join("; or ")
    }
}

/// Every flow of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flows {
    /// Every source, private and untrusted ones marked.
    pub sources: Vec<Source>,
    /// Every sink.
    pub sinks: Vec<Sink>,
    /// Every pair of a source and a sink that data can move between, one
    /// way each (one with no approval, if there is one).
    pub flows: Vec<Flow>,
    /// The lethal trifecta, per agent loop that has one (gated or not).
    pub trifecta: Vec<Trifecta>,
    /// The recipe's flow policies (`@deny-flow`), all of which hold (a
    /// recipe that breaks one does not compose).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

impl Flows {
    /// The flows of the component `bytes`, read from its wiring.
    pub fn of_artifact(bytes: &[u8]) -> Result<Flows, String> {
        let (audit, agent) = crate::audit::analyze_with_agent(bytes)?;
        Ok(Flows::new(&audit, &agent))
    }

    /// The open (ungated) trifectas.
    pub fn open_trifecta(&self) -> impl Iterator<Item = &Trifecta> {
        self.trifecta.iter().filter(|t| !t.gated)
    }

    /// The flows as a diff compares them: by [`key`] (source, sink and
    /// approval), each with its [`fact`] (the same, with the hops).
    pub fn facts(&self) -> BTreeMap<String, String> {
        self.flows.iter().map(|f| (key(f), fact(f))).collect()
    }

    /// The flows of an agent whose instances `audit` lists, wired as
    /// `agent` says (the same instances, in the same order).
    pub fn new(audit: &Audit, agent: &Agent) -> Flows {
        Graph::new(audit, agent).flows()
    }
}

/// What makes a flow the same flow in two versions of an agent: its
/// source, its sink, and who approves it (`SOURCE → SINK (asks: GATE)`).
/// The hops may change (another middleware, another fallback) without
/// the flow being gained or lost.
pub fn key(flow: &Flow) -> String {
    let mut key = format!("{} → {}", flow.source, flow.sink);
    if flow.approved() {
        key.push_str(&format!(" (asks: {})", flow.approval.join(", ")));
    }
    key
}

/// One flow in a line: source, sink, the hops between, and the approval
/// (`SOURCE → SINK via HOP → HOP (asks: GATE)`).
pub fn fact(flow: &Flow) -> String {
    let mut hops = flow.hops.clone();
    hops.dedup();
    let mut fact = format!("{} → {}", flow.source, flow.sink);
    if !hops.is_empty() {
        fact.push_str(&format!(" via {}", hops.join(" → ")));
    }
    if flow.approved() {
        fact.push_str(&format!(" (asks: {})", flow.approval.join(", ")));
    }
    fact
}

/// A node of the flow graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Node {
    /// An instance that mixes whatever it reads into whatever it writes.
    Mix(usize),
    /// asterbot's plumbing, arguments going down.
    Down(usize),
    /// asterbot's plumbing, results going up.
    Up(usize),
    /// The model of an agent loop.
    Model(usize),
    /// What asterbot's own agent loop is told by its caller: the input,
    /// which it hands on to the providers of sections it may.
    Heard(usize),
    /// The secrets of asterbot's own model provider, which it sends to
    /// its hosts only (as the key of its requests), never in a reply.
    Secret(usize),
    /// What an instance hands its callers through an interface (a tool's
    /// results, a provider's sections).
    Emit(usize, &'static str),
}

/// For each node that reaches some targets, its next step there.
type Next = BTreeMap<Node, Option<Node>>;

/// The flow graph of an agent.
struct Graph<'a> {
    audit: &'a Audit,
    agent: &'a Agent,
    /// Edges, backward.
    prev: BTreeMap<Node, BTreeSet<Node>>,
    /// Sources by label.
    sources: BTreeMap<String, Source>,
    /// Where each source enters the graph, by label.
    source_at: BTreeMap<String, Vec<Node>>,
    /// Sinks by label, with the nodes writing each and the instance.
    sinks: BTreeMap<String, (Sink, Vec<(Node, usize)>)>,
}

impl<'a> Graph<'a> {
    fn new(audit: &'a Audit, agent: &'a Agent) -> Graph<'a> {
        let mut graph = Graph {
            audit,
            agent,
            prev: BTreeMap::new(),
            source_at: BTreeMap::new(),
            sources: BTreeMap::new(),
            sinks: BTreeMap::new(),
        };
        graph.wire();
        graph.grants();
        graph
    }

    fn reach(&self, index: usize) -> &Reach {
        &self.audit.instances[index]
    }

    fn name(&self, index: usize) -> &str {
        &self.agent.instances[index].name
    }

    /// Whether `index` is asterbot's own plumbing: it re-exports what it
    /// wraps, or offers an agent as a tool, and is no agent loop.
    fn plumbing(&self, index: usize) -> bool {
        let agent = self.agent;
        agent.instances[index].own
            && !self.is_loop(index)
            && (agent.is_join(index)
                || agent.is_agent_tool(index)
                || [LLM, TOOLS, CONTEXT, AGENT]
                    .iter()
                    .any(|i| agent.re_exports(index, i)))
    }

    /// Whether `index` stands below an agent-tool as its sub-agent but is
    /// no agent loop of asterbot's: its answers are its own results.
    fn foreign_sub_agent(&self, index: usize) -> bool {
        let agent = self.agent;
        let own_loop = agent.instances[index].own && self.is_loop(index);
        !own_loop
            && !self.plumbing(index)
            && agent
                .callers(index, AGENT)
                .into_iter()
                .any(|c| agent.is_agent_tool(c))
    }

    /// Whether `index` is asterbot's terminal approver, which answers
    /// with the person's words and decisions only.
    fn asks_the_person(&self, index: usize) -> bool {
        let instance = &self.agent.instances[index];
        instance.own && instance.package == ASK_TERMINAL
    }

    fn is_loop(&self, index: usize) -> bool {
        self.agent.imports(index, LLM) && self.agent.imports(index, TOOLS)
    }

    /// Where the person's input enters at the front end `index`.
    fn input_node(&self, index: usize) -> Node {
        let own_front = self.agent.instances[index].own
            && !self.is_loop(index)
            && self.agent.imports(index, AGENT);
        if own_front || self.asks_the_person(index) {
            Node::Heard(index)
        } else {
            Node::Mix(index)
        }
    }

    /// Where data sent down into `index` arrives.
    fn down_in(&self, index: usize) -> Node {
        if self.plumbing(index) {
            Node::Down(index)
        } else {
            Node::Mix(index)
        }
    }

    /// Where results coming up into `index` arrive.
    fn up_in(&self, index: usize) -> Node {
        if self.plumbing(index) {
            Node::Up(index)
        } else {
            Node::Mix(index)
        }
    }

    fn edge(&mut self, from: Node, to: Node) {
        if from != to {
            self.prev.entry(to).or_default().insert(from);
        }
    }

    /// The edges of the wiring, and of each loop's model.
    fn wire(&mut self) {
        let agent = self.agent;
        let shares: Vec<Option<String>> = self
            .audit
            .instances
            .iter()
            .map(|r| r.settings.get(crate::edges::SHARE_INPUT).cloned())
            .collect();
        for importer in 0..agent.instances.len() {
            let is_loop = self.is_loop(importer);
            if is_loop {
                self.edge(Node::Mix(importer), Node::Model(importer));
                if agent.instances[importer].own {
                    self.edge(Node::Heard(importer), Node::Mix(importer));
                }
            }
            if self.asks_the_person(importer) {
                // What the person answers, it also shows.
                self.edge(Node::Heard(importer), Node::Mix(importer));
            }
            for wire in &agent.instances[importer].wires {
                let exporter = wire.from;
                let interface = wire.interface.as_str();
                // A sub-agent that is not an agent loop of asterbot's
                // (something else standing in for one) answers with
                // results of its own, told apart as a tool's are.
                let emits = [TOOLS, CONTEXT]
                    .into_iter()
                    .find(|i| *i == interface)
                    .or((interface == AGENT && self.foreign_sub_agent(exporter)).then_some(AGENT));
                // Arguments down.
                let own_loop = is_loop && agent.instances[importer].own;
                let own_front = !is_loop
                    && agent.instances[importer].own
                    && interface == AGENT
                    && !self.plumbing(importer);
                let from = if is_loop && interface == TOOLS {
                    Node::Model(importer)
                } else if own_front {
                    // asterbot's front end hands the loop the input only,
                    // never the answers it was given.
                    self.edge(Node::Heard(importer), Node::Mix(importer));
                    Node::Heard(importer)
                } else if own_loop && interface == CONTEXT {
                    // asterbot's loop hands its providers the input only.
                    Node::Heard(importer)
                } else if self.plumbing(importer) {
                    Node::Down(importer)
                } else {
                    Node::Mix(importer)
                };
                let handed_input = interface != CONTEXT
                    || self.plumbing(exporter)
                    || agent.sees_input(exporter, &|i| shares[i].clone());
                let to = if interface == AGENT
                    && self.is_loop(exporter)
                    && agent.instances[exporter].own
                {
                    Node::Heard(exporter)
                } else {
                    self.down_in(exporter)
                };
                if handed_input {
                    self.edge(from, to);
                }
                if is_loop && interface == TOOLS && !agent.instances[importer].own {
                    // A loop that is not asterbot's may call tools of its
                    // own accord.
                    self.edge(Node::Mix(importer), self.down_in(exporter));
                }
                // Results up: a leaf's through its own node, so that its
                // results can be told apart as a source. The terminal
                // approver answers one asker with the person's words,
                // never with what another asker asked; a gate's decision
                // steers it and goes to its journal, and whether a call
                // ran is a side channel flows does not claim.
                let up = if self.plumbing(exporter) {
                    Node::Up(exporter)
                } else if self.asks_the_person(exporter) && ASKING.contains(&interface) {
                    if interface == APPROVAL && agent.is_gate(importer) {
                        self.edge(Node::Heard(exporter), Node::Emit(importer, APPROVAL));
                        continue;
                    }
                    Node::Heard(exporter)
                } else if let Some(interface) = emits {
                    self.edge(Node::Mix(exporter), Node::Emit(exporter, interface));
                    Node::Emit(exporter, interface)
                } else {
                    Node::Mix(exporter)
                };
                self.edge(up, self.up_in(importer));
            }
        }
    }

    /// The sources and sinks of each instance's grants.
    fn grants(&mut self) {
        let agent = self.agent;
        let loops = agent.loops();
        let providers: BTreeSet<usize> = loops.iter().flat_map(|&l| agent.producers(l)).collect();
        for index in 0..agent.instances.len() {
            let reach = self.reach(index).clone();
            let plumbing = self.plumbing(index);
            let name = self.name(index).to_string();
            let at = if plumbing {
                // A gate also writes the decisions it is given.
                let mut at = vec![Node::Down(index), Node::Up(index)];
                if agent.is_gate(index) {
                    at.push(Node::Emit(index, APPROVAL));
                }
                at
            } else {
                vec![Node::Mix(index)]
            };
            // An agent offered as a tool is no front end: its input is
            // its caller's tool call.
            let calls_agent = !plumbing
                && agent.instances[index]
                    .wires
                    .iter()
                    .any(|w| w.interface == AGENT && self.is_loop(w.from));
            let front = reach.front_end || calls_agent;
            // asterbot's own providers keep their keys to their hosts.
            let keeps_secrets =
                agent.instances[index].own && !plumbing && agent.exports(index, LLM);
            let input_at = self.input_node(index);
            let foreign_sub_agent = self.foreign_sub_agent(index);
            // Sources. asterbot's plumbing passes on nothing of its own.
            if !plumbing {
                let mut add = |label: String, kind, node, private, untrusted| {
                    let nodes = self.source_at.entry(label.clone()).or_default();
                    if !nodes.contains(&node) {
                        nodes.push(node);
                    }
                    let source = self.sources.entry(label.clone()).or_insert(Source {
                        label,
                        kind,
                        instances: Vec::new(),
                        private,
                        untrusted,
                    });
                    if !source.instances.contains(&name) {
                        source.instances.push(name.clone());
                    }
                    source.private |= private;
                    source.untrusted |= untrusted;
                };
                match reach.access(KindId::Env) {
                    Access::Guarded(vars) => {
                        for var in vars {
                            let node = if keeps_secrets && secret(var) {
                                Node::Secret(index)
                            } else {
                                Node::Mix(index)
                            };
                            add(format!("${var}"), SourceKind::Env, node, secret(var), false);
                        }
                    }
                    Access::NotImported => {}
                    _ => add(
                        "every environment variable".into(),
                        SourceKind::Env,
                        Node::Mix(index),
                        true,
                        false,
                    ),
                }
                for folder in values(&reach, KindId::Dirs) {
                    add(
                        folder_label(&folder),
                        SourceKind::Folder,
                        Node::Mix(index),
                        true,
                        false,
                    );
                }
                for prefix in values(&reach, KindId::Keyvalue) {
                    add(
                        keys_label(&prefix),
                        SourceKind::Keys,
                        Node::Mix(index),
                        true,
                        false,
                    );
                }
                if front {
                    add(INPUT.into(), SourceKind::Input, input_at, false, false);
                }
                if agent.exports(index, TOOLS) {
                    add(
                        format!("results of {name}"),
                        SourceKind::ToolResults,
                        Node::Emit(index, TOOLS),
                        false,
                        reads_outside(&reach),
                    );
                } else if foreign_sub_agent {
                    add(
                        format!("results of {name}"),
                        SourceKind::ToolResults,
                        Node::Emit(index, AGENT),
                        false,
                        reads_outside(&reach),
                    );
                }
                if agent.exports(index, CONTEXT) && !agent.imports(index, CONTEXT) {
                    add(
                        format!("sections of {name}"),
                        SourceKind::Sections,
                        Node::Emit(index, CONTEXT),
                        false,
                        false,
                    );
                }
            }
            // Sinks.
            let provider_of: Vec<String> = if providers.contains(&index) {
                loops
                    .iter()
                    .filter(|&&l| agent.model_edge(l).contains(&index))
                    .map(|&l| self.name(l).to_string())
                    .collect()
            } else {
                Vec::new()
            };
            let mut sinks: Vec<(String, SinkKind)> = Vec::new();
            match reach.access(KindId::Hosts) {
                Access::Guarded(hosts) => {
                    sinks.extend(hosts.iter().map(|h| (h.clone(), SinkKind::Host)));
                }
                Access::NotImported => {}
                _ => sinks.push(("every host (unguarded)".into(), SinkKind::Host)),
            }
            if !matches!(
                reach.access(KindId::Sockets),
                Access::NotImported | Access::Guarded(_)
            ) {
                sinks.push(("the network (unguarded sockets)".into(), SinkKind::Network));
            }
            for folder in values(&reach, KindId::Dirs) {
                if !folder.ends_with(":ro") {
                    sinks.push((folder_label(&folder), SinkKind::Folder));
                }
            }
            for prefix in values(&reach, KindId::Keyvalue) {
                sinks.push((keys_label(&prefix), SinkKind::Keys));
            }
            let http_front =
                agent.instances[index].own && agent.instances[index].package == HTTP_FRONT_END;
            if http_front {
                sinks.push(("the HTTP response".into(), SinkKind::Answer));
            } else if reach.front_end {
                sinks.push(("standard output".into(), SinkKind::Answer));
            } else if calls_agent {
                sinks.push((format!("the response of {name}"), SinkKind::Answer));
            }
            for (label, kind) in sinks {
                let outward = matches!(kind, SinkKind::Host | SinkKind::Network);
                let entry = self.sinks.entry(label.clone()).or_insert_with(|| {
                    (
                        Sink {
                            label,
                            kind,
                            instances: Vec::new(),
                            outward,
                            provider_of: Vec::new(),
                        },
                        Vec::new(),
                    )
                });
                if !entry.0.instances.contains(&name) {
                    entry.0.instances.push(name.clone());
                }
                if outward {
                    for loop_name in &provider_of {
                        if !entry.0.provider_of.contains(loop_name) {
                            entry.0.provider_of.push(loop_name.clone());
                        }
                    }
                }
                for &node in &at {
                    entry.1.push((node, index));
                }
                if keeps_secrets && outward {
                    entry.1.push((Node::Secret(index), index));
                }
            }
        }
    }

    /// The approval gates that ask about every tool of `index`, and those
    /// that ask about a sub-agent's tool whose agent can call `index`
    /// (the sub-agent runs only once that gate allowed the call).
    fn gates_of(&self, index: usize) -> BTreeSet<usize> {
        let agent = self.agent;
        if !agent.exports(index, TOOLS) {
            // Something standing in for a sub-agent runs only when its
            // tool is called: the gates asking about that tool.
            if !self.foreign_sub_agent(index) {
                return BTreeSet::new();
            }
            return agent
                .callers(index, AGENT)
                .into_iter()
                .filter(|&t| agent.is_agent_tool(t))
                .flat_map(|t| self.gates_of(t))
                .collect();
        }
        let mut gates = self.gates_asking(index);
        for sub in self.sub_agents_above(index) {
            gates.extend(self.gates_asking(sub));
        }
        gates
    }

    /// The approval gates that ask about every tool of the tool set
    /// `index` (a sub-agent's tool: the name its recipe set).
    fn gates_asking(&self, index: usize) -> BTreeSet<usize> {
        let agent = self.agent;
        let instance = &agent.instances[index];
        let sub_agent_tool = agent.is_agent_tool(index).then(|| {
            self.reach(index)
                .settings
                .get(crate::edges::TOOL_NAME)
                .cloned()
                .unwrap_or_else(|| crate::edges::DEFAULT_TOOL_NAME.to_string())
        });
        let tools: Option<Vec<String>> = match sub_agent_tool {
            Some(name) => Some(vec![name]),
            None => OWN_TOOLS
                .iter()
                .find(|(package, _)| instance.own && *package == instance.package)
                .map(|(_, tools)| tools.iter().map(|t| t.to_string()).collect()),
        };
        (0..agent.instances.len())
            .filter(|&g| agent.is_gate(g) && agent.reachable(g, TOOLS).contains(&index))
            .filter(|&g| {
                let settings = &self.reach(g).settings;
                let ask = settings.get("ASTERBOT_ASK").map(String::as_str);
                let pre = settings
                    .get("ASTERBOT_PRE_APPROVED")
                    .map(String::as_str)
                    .unwrap_or("");
                let listed = |list: &str, tool: &str| {
                    list.split(',')
                        .map(str::trim)
                        .any(|entry| entry == "*" || entry == tool)
                };
                match &tools {
                    Some(tools) => tools
                        .iter()
                        .all(|t| ask.is_none_or(|a| listed(a, t)) && !listed(pre, t)),
                    None => {
                        ask.is_none_or(|a| a.split(',').any(|e| e.trim() == "*"))
                            && pre.trim().is_empty()
                    }
                }
            })
            .collect()
    }

    /// The sub-agent tools (asterbot's agent-tool) whose agent can call
    /// the tool set `index`, directly or through a sub-agent of its own.
    fn sub_agents_above(&self, index: usize) -> Vec<usize> {
        let agent = self.agent;
        let mut reached = BTreeSet::from([index]);
        let mut found = Vec::new();
        loop {
            let before = found.len();
            for t in (0..agent.instances.len()).filter(|&t| agent.is_agent_tool(t)) {
                if found.contains(&t) {
                    continue;
                }
                let calls = agent.instances[t]
                    .wires
                    .iter()
                    .filter(|w| w.interface == AGENT)
                    .any(|w| {
                        let below = agent.reachable(w.from, TOOLS);
                        reached.iter().any(|r| below.contains(r))
                    });
                if calls {
                    found.push(t);
                    reached.insert(t);
                }
            }
            if found.len() == before {
                return found;
            }
        }
    }

    /// Every node that reaches `targets`, with its next step there,
    /// never passing `avoid`'s instances.
    fn toward(&self, targets: &[Node], avoid: &BTreeSet<usize>) -> BTreeMap<Node, Option<Node>> {
        let blocked = |node: &Node| match node {
            Node::Down(i) | Node::Up(i) | Node::Mix(i) => avoid.contains(i),
            _ => false,
        };
        let mut next: BTreeMap<Node, Option<Node>> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for &target in targets {
            if !blocked(&target) && next.insert(target, None).is_none() {
                queue.push_back(target);
            }
        }
        while let Some(node) = queue.pop_front() {
            for &before in self.prev.get(&node).into_iter().flatten() {
                if blocked(&before) || next.contains_key(&before) {
                    continue;
                }
                next.insert(before, Some(node));
                queue.push_back(before);
            }
        }
        next
    }

    /// Where the source enters the graph.
    fn source_nodes(&self, source: &Source) -> Vec<Node> {
        self.source_at
            .get(&source.label)
            .cloned()
            .unwrap_or_default()
    }

    /// The hops from `start` along `next`, as instance names.
    fn hops(&self, start: Node, next: &BTreeMap<Node, Option<Node>>) -> (Vec<String>, Vec<Node>) {
        let mut nodes = vec![start];
        let mut at = start;
        while let Some(Some(step)) = next.get(&at) {
            nodes.push(*step);
            at = *step;
        }
        let mut hops: Vec<String> = Vec::new();
        for node in &nodes {
            let word = match *node {
                Node::Model(_) => MODEL.to_string(),
                Node::Heard(i) | Node::Secret(i) => self.name(i).to_string(),
                Node::Mix(i) | Node::Down(i) | Node::Up(i) | Node::Emit(i, _) => {
                    if self.agent.is_join(i) {
                        continue;
                    }
                    self.name(i).to_string()
                }
            };
            if hops.last() != Some(&word) {
                hops.push(word);
            }
        }
        (hops, nodes)
    }

    fn flows(&self) -> Flows {
        let sources: Vec<Source> = {
            let mut list: Vec<Source> = self.sources.values().cloned().collect();
            list.sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
            list
        };
        let mut sinks: Vec<&(Sink, Vec<(Node, usize)>)> = self.sinks.values().collect();
        sinks.sort_by(|a, b| (a.0.kind, &a.0.label).cmp(&(b.0.kind, &b.0.label)));
        let mut flows: BTreeMap<(usize, usize), Flow> = BTreeMap::new();
        for (sink_at, (sink, writers)) in sinks.iter().enumerate() {
            // The writers grouped by the gates that ask about their
            // tools; per group, who reaches them with no approval, and
            // who at all.
            let mut groups: BTreeMap<BTreeSet<usize>, Vec<Node>> = BTreeMap::new();
            for &(node, index) in writers {
                groups.entry(self.gates_of(index)).or_default().push(node);
            }
            let reach: Vec<(&BTreeSet<usize>, Next, Next)> = groups
                .iter()
                .map(|(gates, nodes)| {
                    (
                        gates,
                        self.toward(nodes, gates),
                        self.toward(nodes, &BTreeSet::new()),
                    )
                })
                .collect();
            for (source_at, source) in sources.iter().enumerate() {
                for start in self.source_nodes(source) {
                    // The shortest way with no approval, else the
                    // shortest at all.
                    let shortest = |open: bool| {
                        reach
                            .iter()
                            .filter_map(|(gates, o, a)| {
                                let next = if open { o } else { a };
                                next.contains_key(&start)
                                    .then(|| (self.hops(start, next), *gates))
                            })
                            .min_by_key(|((_, nodes), _)| nodes.len())
                    };
                    let (((mut hops, nodes), gates), open) = match shortest(true) {
                        Some(found) => (found, true),
                        None => match shortest(false) {
                            Some(found) => (found, false),
                            None => continue,
                        },
                    };
                    // A source entering at an instance that writes the
                    // sink itself, the same folder or keys: no flow.
                    if hops.len() == 1 && source.label == sink.label {
                        continue;
                    }
                    let approval = if open {
                        Vec::new()
                    } else {
                        let on_path: Vec<String> = gates
                            .iter()
                            .filter(|g| {
                                nodes.iter().any(|n| {
                                    matches!(n, Node::Down(i) | Node::Up(i) | Node::Mix(i) if i == *g)
                                })
                            })
                            .map(|&g| self.name(g).to_string())
                            .collect();
                        if on_path.is_empty() {
                            gates.iter().map(|&g| self.name(g).to_string()).collect()
                        } else {
                            on_path
                        }
                    };
                    let via_model = nodes.iter().any(|n| matches!(n, Node::Model(_)));
                    let flow = Flow {
                        source: source.label.clone(),
                        sink: sink.label.clone(),
                        hops: std::mem::take(&mut hops),
                        via_model,
                        approval,
                    };
                    // One flow per pair: one with no approval first, then
                    // the shortest.
                    match flows.get(&(source_at, sink_at)) {
                        Some(existing)
                            if !((existing.approved() && !flow.approved())
                                || (existing.approved() == flow.approved()
                                    && flow.hops.len() < existing.hops.len())) => {}
                        _ => {
                            flows.insert((source_at, sink_at), flow);
                        }
                    }
                }
            }
        }
        let flows: Vec<Flow> = flows.into_values().collect();
        let trifecta = self.trifecta(&sources, &sinks);
        Flows {
            sources,
            sinks: sinks.iter().map(|(sink, _)| sink.clone()).collect(),
            flows,
            trifecta,
            policies: Vec::new(),
        }
    }

    /// The lethal trifecta of each agent loop.
    fn trifecta(&self, sources: &[Source], sinks: &[&(Sink, Vec<(Node, usize)>)]) -> Vec<Trifecta> {
        let mut found = Vec::new();
        for l in self.agent.loops() {
            let model = Node::Model(l);
            let shown = self.toward(&[model], &BTreeSet::new());
            let seen = |source: &Source| {
                self.source_nodes(source)
                    .iter()
                    .any(|n| shown.contains_key(n))
            };
            let private: Vec<String> = sources
                .iter()
                .filter(|s| s.private && seen(s))
                .map(|s| s.label.clone())
                .collect();
            let untrusted: Vec<String> = sources
                .iter()
                .filter(|s| s.untrusted && seen(s))
                .map(|s| s.label.clone())
                .collect();
            if private.is_empty() || untrusted.is_empty() {
                continue;
            }
            let mut outward = Vec::new();
            let mut fix = Vec::new();
            // The provider already sees all the model is shown: the
            // question is whether the model can send it anywhere else.
            // Another loop's provider (a sub-agent's, or the agent's that
            // calls this one as a tool) is a model provider too, shown
            // what its own model is shown by design, not a way out.
            let providers: BTreeSet<usize> = self
                .agent
                .loops()
                .into_iter()
                .flat_map(|l| self.agent.model_edge(l))
                .collect();
            for (sink, writers) in sinks {
                if !sink.outward {
                    continue;
                }
                let writers: Vec<(Node, usize)> = writers
                    .iter()
                    .copied()
                    .filter(|(_, i)| !providers.contains(i))
                    .collect();
                let all = writers.iter().map(|&(node, _)| node).collect::<Vec<_>>();
                let any = self.toward(&all, &BTreeSet::new());
                if !any.contains_key(&model) {
                    continue;
                }
                let open = self
                    .open_toward(&writers)
                    .filter(|o| o.contains_key(&model));
                let (next, approval) = match open {
                    Some(open) => (open.clone(), Vec::new()),
                    None => {
                        let gates: BTreeSet<String> = writers
                            .iter()
                            .flat_map(|&(_, i)| self.gates_of(i))
                            .map(|g| self.name(g).to_string())
                            .collect();
                        (any, gates.into_iter().collect())
                    }
                };
                let (mut hops, _) = self.hops(model, &next);
                hops.remove(0);
                let flow = Flow {
                    source: format!("the model of {}", self.name(l)),
                    sink: sink.label.clone(),
                    hops,
                    via_model: true,
                    approval,
                };
                if !flow.approved() {
                    for &(_, writer) in &writers {
                        fix.extend(self.fixes(l, writer));
                    }
                }
                outward.push(flow);
            }
            if outward.is_empty() {
                continue;
            }
            // The gate's fixes first, each once.
            let mut seen = BTreeSet::new();
            fix.retain(|f| seen.insert((f.instance.clone(), f.change.clone())));
            fix.sort_by_key(|f| f.change.starts_with("take away"));
            found.push(Trifecta {
                agent: self.name(l).to_string(),
                private,
                untrusted,
                gated: outward.iter().all(Flow::approved),
                outward,
                fix,
            });
        }
        found
    }

    /// Who reaches any of `writers` with no approval gate asking about
    /// the tools of the one written to (none: nobody).
    fn open_toward(&self, writers: &[(Node, usize)]) -> Option<BTreeMap<Node, Option<Node>>> {
        let mut open: BTreeMap<Node, Option<Node>> = BTreeMap::new();
        for &(node, index) in writers {
            for (n, step) in self.toward(&[node], &self.gates_of(index)) {
                open.entry(n).or_insert(step);
            }
        }
        (!open.is_empty()).then_some(open)
    }

    /// What closes the way from loop `l`'s model to the instance `writer`.
    fn fixes(&self, l: usize, writer: usize) -> Vec<Fix> {
        let agent = self.agent;
        let name = |i: usize| self.name(i).to_string();
        let mut fixes = Vec::new();
        // The way out: the writer, or for something standing in for a
        // sub-agent, the tool that offers it.
        let out = writer;
        let writer = if agent.exports(writer, TOOLS) {
            writer
        } else {
            match agent
                .callers(writer, AGENT)
                .into_iter()
                .find(|&t| agent.is_agent_tool(t))
            {
                Some(tool) => tool,
                None => return fixes,
            }
        };
        let tools = if agent.is_agent_tool(writer) {
            self.reach(writer)
                .settings
                .get(crate::edges::TOOL_NAME)
                .cloned()
                .unwrap_or_else(|| crate::edges::DEFAULT_TOOL_NAME.to_string())
        } else {
            OWN_TOOLS
                .iter()
                .find(|(p, _)| agent.instances[writer].own && *p == agent.instances[writer].package)
                .map(|(_, t)| t.join(" "))
                .unwrap_or_else(|| "*".to_string())
        };
        // The loop whose tools the writer is: `l` itself, or the
        // sub-agent that `l` reaches it through.
        let owners = agent.loops_calling(writer);
        let l = if owners.is_empty() || owners.contains(&l) {
            l
        } else {
            owners[0]
        };
        let gates: Vec<usize> = (0..agent.instances.len())
            .filter(|&g| agent.is_gate(g) && agent.reachable(l, TOOLS).contains(&g))
            .collect();
        for &g in &gates {
            if agent.reachable(g, TOOLS).contains(&writer) {
                fixes.push(Fix {
                    instance: name(g),
                    change: format!(
                        "the gate `{}` does not ask about `{}`'s tools: add them to its `@ask` (`/// @ask {tools}`)",
                        name(g),
                        name(writer)
                    ),
                });
            } else {
                fixes.push(Fix {
                    instance: name(writer),
                    change: format!(
                        "wire `{}` below the approval gate `{}` (into the tools it wraps) and name its tools in the gate's `@ask` ({tools})",
                        name(writer),
                        name(g)
                    ),
                });
            }
        }
        if gates.is_empty() {
            fixes.push(Fix {
                instance: name(l),
                change: format!(
                    "wire `{}`'s tools through an approval gate that asks about `{}`: `/// @ask {tools}` above `let gate = new asterbot:approval {{ tools: ..., approval: ..., ... }};`, and `tools: gate.tools` here",
                    name(l),
                    name(writer)
                ),
            });
        }
        fixes.push(Fix {
            instance: name(out),
            change: "take away its way out: drop its `@allow-host`, or narrow it to hosts that may see the private data".to_string(),
        });
        fixes
    }
}

/// Whether a variable named `name` holds a secret, by its name.
fn secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// Whether a tool with this reach returns content from outside the
/// agent: it reads from a host, the network, a read-only folder, or
/// something asterbot does not guard.
fn reads_outside(reach: &Reach) -> bool {
    let outside = |id| {
        !matches!(reach.access(id), Access::NotImported | Access::Guarded(_))
            || matches!(reach.access(id), Access::Guarded(v) if !v.is_empty())
    };
    outside(KindId::Hosts)
        || outside(KindId::Sockets)
        || !reach.unguarded.is_empty()
        || values(reach, KindId::Dirs)
            .iter()
            .any(|d| d.ends_with(":ro"))
}

/// The values a guard allows an instance of kind `id`.
fn values(reach: &Reach, id: KindId) -> Vec<String> {
    match reach.access(id) {
        Access::Guarded(values) => values.clone(),
        _ => Vec::new(),
    }
}

/// A folder as a source or sink (`/state/memory`, `:ro` left out).
fn folder_label(folder: &str) -> String {
    folder.strip_suffix(":ro").unwrap_or(folder).to_string()
}

/// A key prefix as a source or sink.
fn keys_label(prefix: &str) -> String {
    format!("keys {prefix}*")
}

/// The line (from 1) of the recipe `source` where the instance `name` is
/// made (`let name = new ...`), to point a finding at.
pub fn let_line(source: &str, name: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            let Some(rest) = line.trim_start().strip_prefix("let ") else {
                return false;
            };
            rest.trim_start()
                .strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|n| n + 1)
}
