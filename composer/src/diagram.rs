//! A picture of a composed agent: its instances, the interfaces wired
//! between them, the guards in front of them, and the runtime at the edge.
//! Built with petgraph from the audit of the artifact's wiring, so it
//! shows what the artifact does, and written as Mermaid, DOT or SVG, the
//! same on every run.

use crate::audit::Audit;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a node of the picture is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An instance of the recipe, its package, and (when the guards are
    /// not drawn) what its guards let it reach, in words.
    Instance {
        /// Its name in the recipe.
        name: String,
        /// Its package (`asterbot:memory`).
        package: String,
        /// What its guards let it reach, when they are not drawn.
        sandbox: Option<String>,
    },
    /// One of asterbot's guards.
    Guard(String),
    /// The runtime: what the artifact imports.
    Runtime,
}

/// The picture of an audited artifact.
pub struct Diagram {
    graph: DiGraph<Node, String>,
}

impl Diagram {
    /// The picture of `audit`: an edge from each provider to each
    /// instance it feeds, labelled with what it provides. Harmless and
    /// types-only runtime imports are left out; unguarded ones are drawn.
    /// With `guards`, each guard is a node of its own, with an edge from
    /// the runtime and one to each instance it serves, labelled with its
    /// kind; without, what an instance's guards allow is written on the
    /// instance (a guard per kind and instance makes a picture mostly of
    /// guard edges).
    pub fn of(audit: &Audit, guards: bool) -> Diagram {
        let mut graph = DiGraph::new();
        let mut nodes: BTreeMap<String, NodeIndex> = BTreeMap::new();
        let runtime = graph.add_node(Node::Runtime);
        for reach in &audit.instances {
            let index = graph.add_node(Node::Instance {
                name: reach.instance.clone(),
                package: reach.package.clone(),
                sandbox: (!guards).then(|| sandbox(reach)).flatten(),
            });
            nodes.insert(reach.instance.clone(), index);
        }
        // Edges in a fixed order: instances as the artifact lists them,
        // imports by name.
        let mut edges: BTreeMap<(NodeIndex, NodeIndex), Vec<String>> = BTreeMap::new();
        for reach in &audit.instances {
            let to = nodes[&reach.instance];
            for (import, provider) in &reach.imports {
                let label = short_name(import);
                let from = if let Some(instance) = provider.strip_prefix("instance ") {
                    match nodes.get(instance) {
                        Some(&node) => node,
                        None => continue,
                    }
                } else if let Some(guard) = provider.strip_prefix("guard ") {
                    if !guards {
                        continue;
                    }
                    *nodes.entry(guard.to_string()).or_insert_with(|| {
                        let node = graph.add_node(Node::Guard(guard.to_string()));
                        let kind = guard.split("-guard").next().unwrap_or(guard);
                        edges
                            .entry((runtime, node))
                            .or_default()
                            .push(kind.to_string());
                        node
                    })
                } else if provider == "runtime" && reaches_past_guards(reach, import) {
                    runtime
                } else {
                    continue;
                };
                let label = match provider.strip_prefix("guard ") {
                    Some(guard) => guard.split("-guard").next().unwrap_or(guard).to_string(),
                    None => label,
                };
                let labels = edges.entry((from, to)).or_default();
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
        }
        for ((from, to), labels) in edges {
            graph.add_edge(from, to, labels.join(", "));
        }
        Diagram { graph }
    }

    /// The picture as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for index in self.graph.node_indices() {
            let id = node_id(&self.graph[index]);
            let _ = match &self.graph[index] {
                node @ Node::Instance { .. } => {
                    writeln!(out, "  {id}[\"{}\"]", instance_label(node, "<br/>"))
                }
                Node::Guard(name) => writeln!(out, "  {id}{{{{\"{name}\"}}}}"),
                Node::Runtime => writeln!(out, "  {id}[(\"runtime\")]"),
            };
        }
        for edge in self.graph.edge_indices() {
            let (from, to) = self.graph.edge_endpoints(edge).expect("an edge has ends");
            let _ = writeln!(
                out,
                "  {} -- \"{}\" --> {}",
                node_id(&self.graph[from]),
                escape(&self.graph[edge]),
                node_id(&self.graph[to])
            );
        }
        out
    }

    /// The picture in Graphviz's DOT language.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph agent {\n  rankdir=LR;\n  node [shape=box];\n");
        for index in self.graph.node_indices() {
            let id = node_id(&self.graph[index]);
            let _ = match &self.graph[index] {
                node @ Node::Instance { .. } => {
                    writeln!(out, "  {id} [label=\"{}\"];", instance_label(node, "\\n"))
                }
                Node::Guard(name) => writeln!(out, "  {id} [label=\"{name}\", shape=hexagon];"),
                Node::Runtime => writeln!(out, "  {id} [label=\"runtime\", shape=cylinder];"),
            };
        }
        for edge in self.graph.edge_indices() {
            let (from, to) = self.graph.edge_endpoints(edge).expect("an edge has ends");
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\"];",
                node_id(&self.graph[from]),
                node_id(&self.graph[to]),
                escape(&self.graph[edge])
            );
        }
        out.push_str("}\n");
        out
    }

    /// The picture as SVG, laid out without a browser or Graphviz.
    pub fn svg(&self) -> Result<String, String> {
        let dot = self.dot();
        let mut parser = layout::gv::DotParser::new(&dot);
        let ast = parser.process()?;
        let mut builder = layout::gv::GraphBuilder::new();
        builder.visit_graph(&ast);
        let mut graph = builder.get();
        let mut svg = layout::backends::svg::SVGWriter::new();
        graph.do_it(false, false, false, &mut svg);
        Ok(sort_styles(&svg.finalize()))
    }
}

/// `svg` with the lines of its `<style>` block sorted: the layout crate
/// keeps its font classes in a hash map, so their order (and nothing
/// else) changes from run to run.
fn sort_styles(svg: &str) -> String {
    let (Some(start), Some(end)) = (svg.find("<style>\n"), svg.find("</style>")) else {
        return svg.to_string();
    };
    let start = start + "<style>\n".len();
    if end < start {
        return svg.to_string();
    }
    let mut styles: Vec<&str> = svg[start..end].lines().collect();
    styles.sort_unstable();
    let mut sorted = String::with_capacity(svg.len());
    sorted.push_str(&svg[..start]);
    for style in styles {
        sorted.push_str(style);
        sorted.push('\n');
    }
    sorted.push_str(&svg[end..]);
    sorted
}

/// Whether `import`, which `reach` takes from the runtime directly, is
/// one a guard should stand in front of (or none can): drawn, since it is
/// what the instance reaches unguarded. A front end's own terminal is not.
fn reaches_past_guards(reach: &crate::audit::Reach, import: &str) -> bool {
    use crate::guard::kinds::{Class, classify};
    reach.unguarded.iter().any(|i| i == import)
        || matches!(classify(import), Class::Guarded(kind) if !(reach.front_end && kind.front_end_direct))
}

/// What the guards of `reach` let it reach, of the kinds shown as
/// columns, in words (`dirs /state/memory`); `None` if nothing.
fn sandbox(reach: &crate::audit::Reach) -> Option<String> {
    use asterbot_capabilities::{KINDS, Shown};
    let parts: Vec<String> = KINDS
        .iter()
        .filter(|kind| kind.table == Shown::Column)
        .filter_map(|kind| match reach.access(kind.id) {
            crate::audit::Access::Guarded(values) if !values.is_empty() => {
                // A long list (a dozen variables) is counted, not listed:
                // the picture stays readable; the audit lists them.
                let listed = values.join(" ");
                Some(if listed.len() > 40 {
                    format!("{} {}", values.len(), kind.name)
                } else {
                    format!("{} {listed}", kind.name)
                })
            }
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `asterbot:agent/tools@0.2.0` → `tools`; `first` stays `first`.
fn short_name(import: &str) -> String {
    let name = import.split('@').next().unwrap_or(import);
    name.rsplit('/').next().unwrap_or(name).to_string()
}

/// An instance's label, its lines (name, package, sandbox if written on
/// it) joined by `line_break`; empty for any other node.
fn instance_label(node: &Node, line_break: &str) -> String {
    let Node::Instance {
        name,
        package,
        sandbox,
    } = node
    else {
        return String::new();
    };
    let mut lines = vec![name.clone(), escape(package)];
    lines.extend(sandbox.as_deref().map(escape));
    lines.join(line_break)
}

/// A node's identifier, the same in every format.
fn node_id(node: &Node) -> String {
    let name = match node {
        Node::Instance { name, .. } => format!("i_{name}"),
        Node::Guard(name) => format!("g_{name}"),
        Node::Runtime => "runtime".to_string(),
    };
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Text safe inside a double-quoted label.
fn escape(text: &str) -> String {
    text.replace('"', "'")
}
