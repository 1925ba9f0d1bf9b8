//! The table of what each instance of an agent can reach.

use asterbot_composer::{Access, Audit, Reach, edges};
use std::fmt::Write;

/// One cell: what an instance reaches of one kind.
fn cell(access: &Access) -> String {
    match access {
        Access::NotImported => "-".to_string(),
        Access::Guarded(values) if values.is_empty() => "none".to_string(),
        Access::Guarded(values) if values.iter().any(|v| v == "*") => "all granted".to_string(),
        Access::Guarded(values) => values.join(" "),
        Access::Unguarded => "ALL (unguarded)".to_string(),
        Access::Via(instance) => format!("via {instance}"),
        Access::Unverified => "UNVERIFIED guard".to_string(),
    }
}

/// The package, and whose build it is when it is not asterbot's.
fn package(reach: &Reach) -> String {
    let short = reach.digest.get(..12).unwrap_or(&reach.digest);
    match (reach.asterbot_build, reach.package.starts_with("asterbot:")) {
        (true, _) => reach.package.clone(),
        (false, true) => format!("{} (NOT asterbot's build: sha256:{short}…)", reach.package),
        (false, false) => format!("{} (sha256:{short}…)", reach.package),
    }
}

/// Everything else an instance reaches, in words.
fn other(reach: &Reach) -> String {
    let mut parts: Vec<String> = Vec::new();
    if reach.front_end {
        parts.push("front end".to_string());
    }
    match &reach.sockets {
        Access::NotImported => {}
        Access::Guarded(_) => parts.push("sockets denied".to_string()),
        other => parts.push(format!("SOCKETS {}", cell(other))),
    }
    match &reach.keyvalue {
        Access::NotImported => {}
        Access::Guarded(prefixes) if prefixes.iter().any(|p| p != "*") => {
            parts.push(format!("keys {}/", prefixes.join(" ")));
        }
        other => parts.push(format!("keys {}", cell(other))),
    }
    if matches!(reach.stdio, Access::Via(_) | Access::Unverified) {
        parts.push(format!("stdio {}", cell(&reach.stdio)));
    }
    // The settings the composer bakes for the edges show as the edges.
    parts.extend(
        reach
            .settings
            .iter()
            .filter(|(k, _)| ![edges::SHARE_INPUT, edges::PRODUCERS].contains(&k.as_str()))
            .map(|(k, v)| format!("set {k}={v}")),
    );
    parts.extend(edge_powers(reach));
    parts.extend(reach.unguarded.iter().map(|i| format!("UNGUARDED {i}")));
    if !reach.also.is_empty() {
        parts.push(reach.also.join(" "));
    }
    parts.join("; ")
}

/// The powers of the edges an instance stands on, in words: the model
/// edge, the sections it reads, the input, and each tool it can call with
/// the gates and journal on the way.
fn edge_powers(reach: &Reach) -> Vec<String> {
    let edges = &reach.edges;
    let mut parts = Vec::new();
    if !edges.model_edge_of.is_empty() {
        parts.push(format!(
            "model edge of {} (its tool calls run as the model's; sees every prompt and result)",
            edges.model_edge_of.join(" ")
        ));
    }
    if !edges.reads_sections_of.is_empty() {
        parts.push(format!(
            "reads the sections of {}",
            edges.reads_sections_of.join(" ")
        ));
    }
    if edges.sees_input {
        parts.push("sees the input".to_string());
    }
    // Tools grouped by how the calls get there.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for path in &edges.tools {
        let gated = if path.gates.is_empty() {
            "ungated".to_string()
        } else {
            format!("through {}", path.gates.join(" "))
        };
        let how = if path.journaled {
            format!("{gated}, journaled")
        } else {
            gated
        };
        match groups.iter_mut().find(|(h, _)| *h == how) {
            Some((_, tools)) => tools.push(&path.tool),
            None => groups.push((how, vec![&path.tool])),
        }
    }
    if groups.is_empty() && !reach.calls.is_empty() {
        parts.push(format!("calls {}", reach.calls.join(" ")));
    }
    parts.extend(
        groups
            .into_iter()
            .map(|(how, tools)| format!("calls {} ({how})", tools.join(" "))),
    );
    parts
}

/// Renders one line per instance: its environment variables, directories
/// and hosts, then everything else it reaches.
pub fn reach_table(audit: &Audit) -> String {
    let rows: Vec<[String; 6]> = audit
        .instances
        .iter()
        .map(|r| {
            [
                r.instance.clone(),
                package(r),
                cell(&r.env),
                cell(&r.dirs),
                cell(&r.hosts),
                other(r),
            ]
        })
        .collect();
    let header = ["instance", "package", "env", "dirs", "hosts", "also"].map(str::to_string);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut table = String::from(if audit.guarded {
        "what each instance can reach, read from how the artifact is wired (enforced inside it under any runtime; \"-\": not imported):\n"
    } else {
        "composed without guards: every instance shares what the runtime grants (\"-\": not imported):\n"
    });
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(table, "  {}", line.join("  ").trim_end());
    }
    table
}
