//! A [`Diff`] in words: plain text for a terminal, or Markdown tables for
//! a pull-request comment. Both list the same things in the same (sorted)
//! order, so the output can be committed and compared.

use super::{Capability, CapabilityChange, Change, Diff, short};
use std::fmt::Write;

/// How a capability change reads: GAINED or lost, and the capability.
/// Approvals read the other way round: the capability is to call a tool
/// without a person's approval, so a tool no longer asked about is a gain.
fn capability_words(change: &CapabilityChange) -> (&'static str, &'static str) {
    let verdict = if change.gain { "GAINED" } else { "lost" };
    let kind = match change.capability {
        Capability::AsksBefore => "calls without asking",
        kind => kind.name(),
    };
    (verdict, kind)
}

/// `version sha256:digest` with the digest shortened, for tables.
fn component(text: &str) -> String {
    match text.split_once(" sha256:") {
        Some((version, digest)) => format!("{version} sha256:{}", short(digest)),
        None => text.to_string(),
    }
}

impl Diff {
    /// How many instances changed this way (`added`, `removed`).
    fn instances_that(&self, change: &str) -> usize {
        self.instances.iter().filter(|i| i.change == change).count()
    }

    /// One line saying how much changed.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "no change in meaning: the same components, instances, wiring, settings, capabilities and flows".to_string();
        }
        let count = |n: usize, one: &str, many: &str| -> Option<String> {
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        };
        let gained = self.capabilities.iter().filter(|c| c.gain).count();
        let lost = self.capabilities.len() - gained;
        let flows_gained = self.flows.iter().filter(|f| f.gain).count();
        let parts: Vec<String> = [
            count(gained, "capability GAINED", "capabilities GAINED"),
            count(lost, "capability lost", "capabilities lost"),
            count(flows_gained, "flow GAINED", "flows GAINED"),
            count(self.flows.len() - flows_gained, "flow lost", "flows lost"),
            count(
                self.components.len(),
                "component changed",
                "components changed",
            ),
            count(
                self.instances_that("added"),
                "instance added",
                "instances added",
            ),
            count(
                self.instances_that("removed"),
                "instance removed",
                "instances removed",
            ),
            count(
                self.instances.len()
                    - self.instances_that("added")
                    - self.instances_that("removed"),
                "instance swapped",
                "instances swapped",
            ),
            count(self.wiring.len(), "import rewired", "imports rewired"),
            count(self.settings.len(), "setting changed", "settings changed"),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.join(", ")
    }

    /// The diff as plain text, `old` and `new` naming the two sides.
    pub fn text(&self, old: &str, new: &str) -> String {
        let mut out = format!("{old} -> {new}: {}\n", self.summary());
        if let Some((before, after)) = &self.asterbot {
            let _ = writeln!(
                out,
                "\ncomposed by asterbot {} -> {}",
                before.as_deref().unwrap_or("(unknown)"),
                after.as_deref().unwrap_or("(unknown)")
            );
        }
        if !self.capabilities.is_empty() {
            out.push_str("\ncapabilities:\n");
            let rows: Vec<[String; 4]> = self
                .capabilities
                .iter()
                .map(|c| {
                    let (verdict, kind) = capability_words(c);
                    [
                        verdict.into(),
                        c.instance.clone(),
                        kind.into(),
                        c.value.clone(),
                    ]
                })
                .collect();
            table(&mut out, &rows);
        }
        if !self.flows.is_empty() {
            out.push_str("\nflows (source → sink via hops):\n");
            for f in &self.flows {
                let verdict = if f.gain { "GAINED" } else { "lost" };
                let _ = writeln!(out, "  {verdict} flow: {}", f.flow);
            }
        }
        if !self.components.is_empty() {
            out.push_str("\ncomponents (by SHA-256):\n");
            let rows: Vec<[String; 4]> = self
                .components
                .iter()
                .map(|c| {
                    let side = |list: &[String]| -> String {
                        if list.is_empty() {
                            "(none)".into()
                        } else {
                            list.iter()
                                .map(|t| component(t))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    };
                    let change = match (c.before.is_empty(), c.after.is_empty()) {
                        (true, _) => "added",
                        (_, true) => "removed",
                        _ => "changed",
                    };
                    [
                        change.into(),
                        c.package.clone(),
                        side(&c.before),
                        format!("-> {}", side(&c.after)),
                    ]
                })
                .collect();
            table(&mut out, &rows);
        }
        if !self.instances.is_empty() {
            out.push_str("\ninstances:\n");
            let rows: Vec<[String; 4]> = self
                .instances
                .iter()
                .map(|i| {
                    let change = match i.change {
                        "package" => "swapped (another package)",
                        "digest" => "swapped (other bytes)",
                        other => other,
                    };
                    [
                        change.into(),
                        i.instance.clone(),
                        i.before.clone().unwrap_or_default(),
                        i.after
                            .as_ref()
                            .map(|a| format!("-> {a}"))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            table(&mut out, &rows);
        }
        for (title, changes) in [
            ("wiring (import <- instance)", &self.wiring),
            ("settings baked by the recipe", &self.settings),
        ] {
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}:");
            let rows: Vec<[String; 4]> = changes.iter().map(change_row).collect();
            table(&mut out, &rows);
        }
        out
    }

    /// The diff as Markdown, ready for a pull-request comment.
    pub fn markdown(&self, old: &str, new: &str) -> String {
        let mut out = format!(
            "### asterbot diff: `{}` → `{}`\n\n{}\n",
            escape(old),
            escape(new),
            self.summary()
        );
        if let Some((before, after)) = &self.asterbot {
            let _ = writeln!(
                out,
                "\nComposed by asterbot {} → {}.",
                before.as_deref().unwrap_or("(unknown)"),
                after.as_deref().unwrap_or("(unknown)")
            );
        }
        if !self.capabilities.is_empty() {
            out.push_str(
                "\n#### Capabilities\n\n| | instance | capability | value |\n|---|---|---|---|\n",
            );
            for c in &self.capabilities {
                let (verdict, kind) = capability_words(c);
                let verdict = if c.gain {
                    format!("**{verdict}**")
                } else {
                    verdict.to_string()
                };
                let _ = writeln!(
                    out,
                    "| {verdict} | `{}` | {kind} | `{}` |",
                    escape(&c.instance),
                    escape(&c.value)
                );
            }
        }
        if !self.flows.is_empty() {
            out.push_str("\n#### Flows (source → sink via hops)\n\n| | flow |\n|---|---|\n");
            for f in &self.flows {
                let verdict = if f.gain { "**GAINED**" } else { "lost" };
                let _ = writeln!(out, "| {verdict} | `{}` |", escape(&f.flow));
            }
        }
        if !self.components.is_empty() {
            out.push_str(
                "\n#### Components (by SHA-256)\n\n| component | before | after |\n|---|---|---|\n",
            );
            for c in &self.components {
                let side = |list: &[String]| -> String {
                    if list.is_empty() {
                        "—".into()
                    } else {
                        list.iter()
                            .map(|t| format!("`{}`", escape(&component(t))))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    }
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    escape(&c.package),
                    side(&c.before),
                    side(&c.after)
                );
            }
        }
        if !self.instances.is_empty() {
            out.push_str(
                "\n#### Instances\n\n| instance | change | before | after |\n|---|---|---|---|\n",
            );
            for i in &self.instances {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    escape(&i.instance),
                    i.change,
                    cell(&i.before),
                    cell(&i.after)
                );
            }
        }
        for (title, what, changes) in [
            ("Wiring", "import", &self.wiring),
            ("Settings baked by the recipe", "setting", &self.settings),
        ] {
            if changes.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "\n#### {title}\n\n| instance | {what} | before | after |\n|---|---|---|---|\n"
            );
            for c in changes {
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {} |",
                    escape(&c.instance),
                    escape(&c.what),
                    cell(&c.before),
                    cell(&c.after)
                );
            }
        }
        out
    }
}

/// One row of a wiring or settings change.
fn change_row(change: &Change) -> [String; 4] {
    [
        change.instance.clone(),
        change.what.clone(),
        change.before.clone().unwrap_or_else(|| "(none)".into()),
        format!("-> {}", change.after.as_deref().unwrap_or("(none)")),
    ]
}

/// Appends `rows` as aligned columns, indented.
fn table(out: &mut String, rows: &[[String; 4]]) {
    let mut widths = [0usize; 4];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
}

/// A Markdown cell: the value as code, or a dash for none.
fn cell(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or("—".to_string(), |v| format!("`{}`", escape(v)))
}

/// Text safe inside a Markdown table cell and inline code.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('`', "'")
        .replace('\n', " ")
}
