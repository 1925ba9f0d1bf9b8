//! `asterbot inspect`: where a composed agent came from, and what each of
//! its instances can reach.

use super::agent_file::agent_or_recipe;
use super::reach_table::reach_table;
use super::store_args::StoreArgs;
use asterbot_composer::{audit, provenance};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Show where a composed agent came from, and what it can reach.
///
/// Its provenance (the asterbot that composed it, its
/// recipe, every component it embeds with its version and SHA-256) and
/// the audit of what each instance can reach.
///
/// The audit is read from the artifact's wiring; the provenance is what
/// the composer recorded, and each digest it lists is checked against
/// the components inside the artifact.
///
/// Exit codes: 0 shown, 1 the file is unreadable, not a component, or its
/// provenance does not match what it embeds.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot inspect agent.wasm
  asterbot inspect agent.wasm --recipe       # the recipe it was composed from
  asterbot inspect agent.wasm --json > agent.json")]
pub struct InspectArgs {
    /// The composed agent, or a recipe (composed in memory).
    agent: PathBuf,

    /// Print everything as JSON.
    #[arg(long)]
    json: bool,

    /// Also print the recipe's text.
    #[arg(long)]
    recipe: bool,

    #[command(flatten)]
    store: StoreArgs,
}

impl InspectArgs {
    /// Prints the provenance and the audit.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let name = self.agent.display().to_string();
        let bytes = agent_or_recipe(&self.agent, &self.store)?;
        let audit = audit::analyze(&bytes).map_err(|why| miette::miette!("`{name}`: {why}"))?;
        let provenance =
            provenance::read(&bytes).map_err(|why| miette::miette!("`{name}`: {why}"))?;
        let embedded =
            audit::embedded_digests(&bytes).map_err(|why| miette::miette!("`{name}`: {why}"))?;
        let missing: Vec<&provenance::ComponentRecord> = provenance
            .iter()
            .flat_map(|p| &p.components)
            .filter(|c| !embedded.contains(&c.sha256))
            .collect();
        if self.json {
            let json = serde_json::json!({
                "provenance": provenance,
                "audit": audit,
                "provenance-matches": missing.is_empty(),
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json).expect("serialises")
            );
        } else {
            print!(
                "{}",
                text(&name, provenance.as_ref(), &missing, self.recipe)
            );
            print!("{}", reach_table(&audit));
        }
        if !missing.is_empty() {
            miette::bail!(
                help = "the artifact was changed after it was composed: compose it again from its recipe",
                "`{name}`: its provenance lists components it does not embed: {}",
                missing
                    .iter()
                    .map(|c| c.package.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The provenance as text.
fn text(
    name: &str,
    provenance: Option<&provenance::Provenance>,
    missing: &[&provenance::ComponentRecord],
    with_recipe: bool,
) -> String {
    let mut out = String::new();
    let Some(provenance) = provenance else {
        let _ = writeln!(
            out,
            "{name} carries no provenance: it was not composed by asterbot (or it was stripped)\n"
        );
        return out;
    };
    let _ = writeln!(out, "{name}: composed by asterbot {}", provenance.asterbot);
    let _ = writeln!(out, "components:");
    let width = provenance
        .components
        .iter()
        .map(|c| c.package.len())
        .max()
        .unwrap_or(0);
    for component in &provenance.components {
        let mark = if missing.contains(&component) {
            "  NOT IN THE ARTIFACT"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:width$}  {:7}  sha256:{}  {}{mark}",
            component.package,
            component.version.as_deref().unwrap_or("-"),
            component.sha256,
            component.origin
        );
    }
    if with_recipe {
        let _ = writeln!(out, "recipe:");
        for line in provenance.recipe.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push('\n');
    out
}
