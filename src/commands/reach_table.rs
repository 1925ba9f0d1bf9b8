//! The table of what each instance of an agent can reach.

use asterbot_composer::Reach;
use std::fmt::Write;

/// Renders one line per instance: its environment variables, directories
/// and hosts (as its guards enforce them), then what else it uses.
pub fn reach_table(reach: &[Reach]) -> String {
    let list = |values: &Option<Vec<String>>| match values {
        None => "-".to_string(),
        Some(values) if values.is_empty() => "none".to_string(),
        Some(values) if values.iter().any(|v| v == "*") => "all granted".to_string(),
        Some(values) => values.join(" "),
    };
    let rows: Vec<[String; 5]> = reach
        .iter()
        .map(|r| {
            let mut other = Vec::new();
            let sockets = if r.guarded {
                "sockets: denied"
            } else {
                "sockets"
            };
            for (uses, what) in [
                (r.sockets, sockets),
                (r.clocks, "clocks"),
                (r.random, "random"),
                (r.stdio, "stdio"),
            ] {
                if uses {
                    other.push(what);
                }
            }
            [
                format!("{} ({})", r.instance, r.package),
                list(&r.env),
                list(&r.dirs),
                list(&r.hosts),
                other.join(", "),
            ]
        })
        .collect();
    let header = ["instance", "env", "dirs", "hosts", "also"].map(str::to_string);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut table = String::from(if reach.iter().all(|r| r.guarded) {
        "what each instance can reach, as recorded when the artifact was composed (enforced inside it; \"-\": not imported):\n"
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
