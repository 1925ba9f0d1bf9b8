//! [`Flows`] in words and pictures: text for a terminal, and Mermaid or
//! Graphviz DOT for a reviewer who wants to look at the paths.

use super::{Flow, Flows, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

impl Flows {
    /// One line saying how much there is.
    pub fn summary(&self) -> String {
        let through = self.flows.iter().filter(|f| f.via_model).count();
        let asked = self.flows.iter().filter(|f| f.approved()).count();
        format!(
            "{} sources, {} sinks, {} flows ({through} through a model, {asked} asking a person first)",
            self.sources.len(),
            self.sinks.len(),
            self.flows.len()
        )
    }

    /// The trifecta findings in words (with `line`, the recipe line of an
    /// instance, to point the fixes at).
    pub fn trifecta_text(&self, line: &dyn Fn(&str) -> Option<usize>) -> String {
        let mut out = String::new();
        for t in &self.trifecta {
            let verdict = if t.gated {
                "every way out asks a person first"
            } else {
                "OPEN: a way out needs no approval"
            };
            let _ = writeln!(out, "lethal trifecta in {}: {verdict}", t.agent);
            let _ = writeln!(out, "  private data:      {}", t.private.join(", "));
            let _ = writeln!(out, "  untrusted content: {}", t.untrusted.join(", "));
            for flow in &t.outward {
                let _ = writeln!(
                    out,
                    "  out:               {}{}",
                    flow.line(),
                    approval(flow)
                );
            }
            if !t.gated {
                let _ = writeln!(out, "  closed by: {}", t.closes(line));
            }
        }
        out
    }

    /// The flows as text, grouped by source: each path of the sources
    /// that matter most (the person's input, private data, untrusted
    /// content), and for the others (settings, trusted tools' results,
    /// sections), the sinks they reach; `all` shows every path.
    pub fn text(&self, name: &str, all: bool, line: &dyn Fn(&str) -> Option<usize>) -> String {
        let mut out = format!("flows of {name}: {}\n", self.summary());
        let trifecta = self.trifecta_text(line);
        if !trifecta.is_empty() {
            out.push('\n');
            out.push_str(&trifecta);
        }
        if !self.policies.is_empty() {
            out.push_str("\nflow policies of the recipe, all held:\n");
            for policy in &self.policies {
                let _ = writeln!(out, "  {policy}");
            }
        }
        let by_source = self.by_source();
        let mut brief = Vec::new();
        for source in &self.sources {
            let flows = by_source.get(source.label.as_str());
            let matters = all
                || source.private
                || source.untrusted
                || source.kind == super::SourceKind::Input;
            if !matters {
                brief.push((source, flows));
                continue;
            }
            let _ = writeln!(out, "\n{} ({})", source.label, marks(source));
            let Some(flows) = flows else {
                let _ = writeln!(out, "  reaches no sink");
                continue;
            };
            let width = flows
                .iter()
                .map(|f| f.sink.chars().count())
                .max()
                .unwrap_or(0);
            for flow in flows {
                let _ = writeln!(
                    out,
                    "  → {:width$}  via {}{}",
                    flow.sink,
                    if flow.hops.is_empty() {
                        "-".to_string()
                    } else {
                        flow.hops.join(" → ")
                    },
                    approval(flow)
                );
            }
        }
        if !brief.is_empty() {
            out.push_str("\nother sources (--all shows their paths):\n");
            for (source, flows) in brief {
                let sinks: Vec<String> = flows
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        if f.approved() {
                            format!("{} (asks)", f.sink)
                        } else {
                            f.sink.clone()
                        }
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "  {} ({}) → {}",
                    source.label,
                    marks(source),
                    if sinks.is_empty() {
                        "no sink".to_string()
                    } else {
                        sinks.join(", ")
                    }
                );
            }
        }
        out
    }

    /// The flows of each source, in order.
    fn by_source(&self) -> BTreeMap<&str, Vec<&Flow>> {
        let mut map: BTreeMap<&str, Vec<&Flow>> = BTreeMap::new();
        for flow in &self.flows {
            map.entry(flow.source.as_str()).or_default().push(flow);
        }
        map
    }

    /// The nodes and edges every flow passes: (nodes, edges with the
    /// gates asking on them).
    fn picture(&self) -> (Vec<String>, Edges) {
        let mut nodes: Vec<String> = Vec::new();
        let id = |label: &str, nodes: &mut Vec<String>| match nodes.iter().position(|n| n == label)
        {
            Some(i) => i,
            None => {
                nodes.push(label.to_string());
                nodes.len() - 1
            }
        };
        // An edge is asked about only if every flow over it into its
        // sink is.
        let mut edges: BTreeMap<(usize, usize), Option<BTreeSet<String>>> = BTreeMap::new();
        for flow in &self.flows {
            let mut path = vec![format!("source: {}", flow.source)];
            path.extend(flow.hops.iter().cloned());
            path.push(format!("sink: {}", flow.sink));
            let ids: Vec<usize> = path.iter().map(|p| id(p, &mut nodes)).collect();
            for (k, pair) in ids.windows(2).enumerate() {
                let last = k + 2 == ids.len();
                let entry = edges
                    .entry((pair[0], pair[1]))
                    .or_insert_with(|| Some(BTreeSet::new()));
                if last {
                    match (entry.as_mut(), flow.approved()) {
                        (Some(gates), true) => gates.extend(flow.approval.iter().cloned()),
                        (_, false) => *entry = None,
                        (None, true) => {}
                    }
                }
            }
        }
        let edges = edges
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
        (nodes, edges)
    }

    /// The flows as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let (nodes, edges) = self.picture();
        let mut out = String::from("flowchart LR\n");
        for (i, label) in nodes.iter().enumerate() {
            let (shape_open, shape_close, text) = if let Some(s) = label.strip_prefix("source: ") {
                ("[/", "/]", s)
            } else if let Some(s) = label.strip_prefix("sink: ") {
                ("[\\", "\\]", s)
            } else {
                ("(", ")", label.as_str())
            };
            let _ = writeln!(
                out,
                "  n{i}{shape_open}\"{}\"{shape_close}",
                text.replace('"', "#quot;")
            );
        }
        for ((a, b), gates) in &edges {
            if gates.is_empty() {
                let _ = writeln!(out, "  n{a} --> n{b}");
            } else {
                let gates: Vec<&str> = gates.iter().map(String::as_str).collect();
                let _ = writeln!(out, "  n{a} -. \"asks: {}\" .-> n{b}", gates.join(", "));
            }
        }
        for (class, ids) in self.classes(&nodes) {
            if !ids.is_empty() {
                let list: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
                let _ = writeln!(out, "  class {} {class}", list.join(","));
            }
        }
        out.push_str("  classDef private fill:#fde2e2,stroke:#b91c1c\n");
        out.push_str("  classDef untrusted fill:#fff4d6,stroke:#b45309\n");
        out.push_str("  classDef outward fill:#e0ecff,stroke:#1d4ed8\n");
        out
    }

    /// The flows as a Graphviz DOT graph.
    pub fn dot(&self) -> String {
        let (nodes, edges) = self.picture();
        let mut out =
            String::from("digraph flows {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n");
        let classes = self.classes(&nodes);
        let class_of = |i: usize| {
            classes
                .iter()
                .find(|(_, ids)| ids.contains(&i))
                .map(|(c, _)| *c)
        };
        for (i, label) in nodes.iter().enumerate() {
            let (shape, text) = if let Some(s) = label.strip_prefix("source: ") {
                ("note", s)
            } else if let Some(s) = label.strip_prefix("sink: ") {
                ("box3d", s)
            } else {
                ("ellipse", label.as_str())
            };
            let fill = match class_of(i) {
                Some("private") => ", style=filled, fillcolor=\"#fde2e2\"",
                Some("untrusted") => ", style=filled, fillcolor=\"#fff4d6\"",
                Some("outward") => ", style=filled, fillcolor=\"#e0ecff\"",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  n{i} [label=\"{}\", shape={shape}{fill}];",
                text.replace('\\', "\\\\").replace('"', "\\\"")
            );
        }
        for ((a, b), gates) in &edges {
            if gates.is_empty() {
                let _ = writeln!(out, "  n{a} -> n{b};");
            } else {
                let gates: Vec<&str> = gates.iter().map(String::as_str).collect();
                let _ = writeln!(
                    out,
                    "  n{a} -> n{b} [style=dashed, label=\"asks: {}\"];",
                    gates.join(", ")
                );
            }
        }
        out.push_str("}\n");
        out
    }

    /// Which picture nodes are private or untrusted sources, or outward
    /// sinks.
    fn classes(&self, nodes: &[String]) -> Vec<(&'static str, Vec<usize>)> {
        let find = |label: String| nodes.iter().position(|n| *n == label);
        let private = self
            .sources
            .iter()
            .filter(|s| s.private)
            .filter_map(|s| find(format!("source: {}", s.label)))
            .collect();
        let untrusted = self
            .sources
            .iter()
            .filter(|s| s.untrusted)
            .filter_map(|s| find(format!("source: {}", s.label)))
            .collect();
        let outward = self
            .sinks
            .iter()
            .filter(|s| s.outward)
            .filter_map(|s| find(format!("sink: {}", s.label)))
            .collect();
        vec![
            ("private", private),
            ("untrusted", untrusted),
            ("outward", outward),
        ]
    }
}

/// The edges of a picture, by the ids of their ends: the gates that ask
/// on each (none: some flow over it needs no approval).
type Edges = BTreeMap<(usize, usize), BTreeSet<String>>;

/// `  asks: gate` for a flow a person approves.
fn approval(flow: &Flow) -> String {
    if flow.approved() {
        format!("   [asks: {}]", flow.approval.join(", "))
    } else {
        String::new()
    }
}

/// What a source is, in words.
fn marks(source: &Source) -> String {
    let mut words = vec![
        match source.kind {
            super::SourceKind::Input => "input",
            super::SourceKind::Folder => "folder",
            super::SourceKind::Keys => "keys",
            super::SourceKind::Env => "variable",
            super::SourceKind::ToolResults => "tool results",
            super::SourceKind::Sections => "prompt sections",
        }
        .to_string(),
    ];
    if source.private {
        words.push("PRIVATE".into());
    }
    if source.untrusted {
        words.push("UNTRUSTED".into());
    }
    words.push(format!("in {}", source.instances.join(", ")));
    words.join(", ")
}
