//! The table of what each instance of an agent can reach: a column for
//! each kind of the capability table shown as one, the others as notes.

use asterbot_capabilities::{GuardedNote, KINDS, Kind, Shown};
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
    parts.extend(
        KINDS
            .iter()
            .filter_map(|kind| note(kind, reach.access(kind.id))),
    );
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

/// The note of `kind`, shown in the `also` column, for `access`.
fn note(kind: &Kind, access: &Access) -> Option<String> {
    let Shown::Note {
        word,
        past_guard,
        guarded,
        unguarded,
    } = kind.table
    else {
        return None;
    };
    match (access, guarded) {
        (Access::NotImported, _) | (Access::Guarded(_), GuardedNote::Nothing) => None,
        (Access::Guarded(_), GuardedNote::Denied) => Some(format!("{word} denied")),
        (Access::Guarded(values), GuardedNote::Values { suffix })
            if values.iter().any(|v| v != "*") =>
        {
            Some(format!("{word} {}{suffix}", values.join(" ")))
        }
        (Access::Guarded(_), GuardedNote::Values { .. }) => {
            Some(format!("{word} {}", cell(access)))
        }
        (Access::Unguarded, _) if !unguarded => None,
        (Access::Unguarded | Access::Via(_) | Access::Unverified, _) => {
            Some(format!("{past_guard} {}", cell(access)))
        }
    }
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

/// Renders one line per instance: a column for each kind shown as one
/// (environment variables, directories, hosts), then everything else it
/// reaches.
pub fn reach_table(audit: &Audit) -> String {
    let columns: Vec<&Kind> = KINDS
        .iter()
        .filter(|kind| kind.table == Shown::Column)
        .collect();
    let rows: Vec<Vec<String>> = audit
        .instances
        .iter()
        .map(|r| {
            let mut row = vec![r.instance.clone(), package(r)];
            row.extend(columns.iter().map(|kind| cell(r.access(kind.id))));
            row.push(other(r));
            row
        })
        .collect();
    let mut header = vec!["instance".to_string(), "package".to_string()];
    header.extend(columns.iter().map(|kind| kind.name.to_string()));
    header.push("also".to_string());
    let mut widths: Vec<usize> = header.iter().map(String::len).collect();
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
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(table, "  {}", line.join("  ").trim_end());
    }
    table
}

/// A few lines for `compose` and `check` by default: what the agent's
/// instances may use together, of each kind shown as a column (the
/// runner grants what of it the person wants), and which instances reach
/// past asterbot's guards. `--verbose` prints the full tables instead.
pub fn summary(audit: &Audit) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "  {} instances, {}",
        audit.instances.len(),
        if audit.guarded {
            "each in a sandbox of its own; together they may use:"
        } else {
            "composed without guards: they share whatever the runner grants:"
        }
    );
    let width = KINDS
        .iter()
        .filter(|kind| kind.table == Shown::Column)
        .map(|kind| kind.name.len())
        .max()
        .unwrap_or(0);
    for kind in KINDS.iter().filter(|kind| kind.table == Shown::Column) {
        let mut values: Vec<&str> = Vec::new();
        let (mut all, mut past) = (false, false);
        for reach in &audit.instances {
            match reach.access(kind.id) {
                Access::Guarded(allowed) => {
                    for value in allowed {
                        if value == "*" {
                            all = true;
                        } else if !values.contains(&value.as_str()) {
                            values.push(value);
                        }
                    }
                }
                Access::NotImported => {}
                Access::Unguarded | Access::Via(_) | Access::Unverified => past = true,
            }
        }
        values.sort_unstable();
        let shown = match (past, all, values.is_empty()) {
            (true, _, _) => "ALL the runner grants, past the guards".to_string(),
            (false, true, _) => "all the runner grants".to_string(),
            (false, false, true) => "none".to_string(),
            (false, false, false) => values.join(" "),
        };
        let _ = writeln!(text, "    {:width$}  {shown}", kind.name);
    }
    let past: Vec<&str> = audit
        .instances
        .iter()
        .filter(|reach| {
            !reach.unguarded.is_empty()
                || KINDS.iter().any(|kind| {
                    // A front end reaches some kinds directly, by design.
                    !(reach.front_end && kind.front_end_direct)
                        && matches!(
                            reach.access(kind.id),
                            Access::Unguarded | Access::Via(_) | Access::Unverified
                        )
                })
        })
        .map(|reach| reach.instance.as_str())
        .collect();
    if !past.is_empty() {
        let _ = writeln!(
            text,
            "  WARNING: past asterbot's guards: {} (see --verbose)",
            past.join(" ")
        );
    }
    let _ = writeln!(
        text,
        "  (--verbose: what the runtime must provide, and what each instance can reach)"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::reach_table;
    use asterbot_capabilities::{KINDS, KindId, Shown};
    use asterbot_composer::review::{Diff, View};
    use asterbot_composer::{Access, Audit, Reach};
    use asterbot_runtime::explain::grant_for;

    /// An audit of one instance reaching kind `id` (if any) through
    /// another instance, and nothing else.
    fn audit(id: Option<KindId>) -> Audit {
        let mut reach = Reach {
            instance: "tool".into(),
            package: "test:tool".into(),
            asterbot_build: false,
            digest: "0".repeat(64),
            kinds: KindId::ALL
                .into_iter()
                .map(|id| (id, Access::NotImported))
                .collect(),
            settings: Default::default(),
            front_end: false,
            unguarded: Vec::new(),
            also: Vec::new(),
            calls: Vec::new(),
            edges: Default::default(),
            imports: Default::default(),
        };
        if let Some(id) = id {
            *reach.access_mut(id) = Access::Via("other".into());
        }
        Audit {
            instances: vec![reach],
            guarded: true,
        }
    }

    /// Every kind of the capability table shows in the audit's JSON, the
    /// reach table, the diff's words and `asterbot run --explain`: a kind
    /// added to the table and forgotten by one of them fails here.
    #[test]
    fn every_kind_shows_in_the_audit_the_reach_table_the_diff_and_explain() {
        let nothing = View::new(&audit(None), None, None);
        let quiet = reach_table(&audit(None));
        for kind in &KINDS {
            let audit = audit(Some(kind.id));

            let json = serde_json::to_value(&audit).unwrap();
            let instance = &json["instances"][0];
            assert_eq!(
                instance[kind.name],
                serde_json::json!({"access": "via", "values": "other"}),
                "{}: {instance}",
                kind.name
            );
            for other in &KINDS {
                assert!(instance[other.name].is_object(), "{}", other.name);
            }
            let back: Audit = serde_json::from_value(json).unwrap();
            assert_eq!(back, audit, "{}", kind.name);

            let table = reach_table(&audit);
            let (header, row) = (table.lines().nth(1).unwrap(), table.lines().nth(2).unwrap());
            match kind.table {
                Shown::Column => {
                    assert!(
                        header.split_whitespace().any(|h| h == kind.name),
                        "{}: {table}",
                        kind.name
                    );
                    assert!(row.contains("via other"), "{}: {table}", kind.name);
                }
                Shown::Note { past_guard, .. } => assert!(
                    row.contains(&format!("{past_guard} via other")),
                    "{}: {table}",
                    kind.name
                ),
            }
            assert_ne!(table, quiet, "{}", kind.name);

            let diff = Diff::between(&nothing, &View::new(&audit, None, None));
            assert!(diff.gains_capability(), "{}", kind.name);
            let text = diff.text("a", "b");
            assert!(
                text.lines().any(|line| line
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .windows(4)
                    .any(|w| w == ["GAINED", "tool", kind.diff_word, "via"])),
                "{}: {text}",
                kind.name
            );
            let json = serde_json::to_value(&diff).unwrap();
            assert_eq!(json["capabilities"][0]["capability"], kind.diff_word);
            assert!(
                diff.markdown("a", "b")
                    .contains(&format!("| {} |", kind.diff_word))
            );

            for (interface, export) in kind.interfaces {
                let says = grant_for(export);
                assert_eq!(Some(says), kind.explain(interface), "{export}");
                assert!(!says.starts_with("not provided"), "{export}: {says}");
                for flag in kind.flags {
                    assert!(says.contains(flag), "{export}: {says} lacks {flag}");
                }
            }
        }
    }
}
