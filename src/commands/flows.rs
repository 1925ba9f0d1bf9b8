//! `asterbot flows`: where an agent can send data, and through whom.

use super::store_args::StoreArgs;
use asterbot_composer::flows::{Flows, let_line};
use asterbot_composer::{Recipe, compose};
use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, WrapErr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Show every way data can move from a source to a sink in an agent, and
/// whether a person must approve it.
///
/// Sources: each granted environment variable (secrets by name), folder
/// and key prefix, the person's input, each tool's results (untrusted
/// when the tool reads from a host, the network or a read-only folder),
/// and each provider's prompt sections. Sinks: each host an instance may
/// call (the model provider's among them), each folder and key prefix it
/// may write, and the answer (standard output or the HTTP response).
///
/// The paths are computed from the artifact's wiring, the bytes `asterbot
/// audit` reads (a recipe is composed in memory first), never from the
/// recipe's annotations. Conservatively: within an instance anything it
/// reads can reach anything it writes; data moves both ways along every
/// wired edge; and a model can put anything it was shown into the
/// arguments of any tool its agent may call. A path is approved when
/// every way along it passes an approval gate that asks about that
/// tool.
///
/// The lethal trifecta (private data and untrusted content shown to a
/// model that can send data out to a host with no approval on the way)
/// is reported with the recipe line that closes it. A recipe's flow
/// policies (`/// @deny-flow SOURCE -> SINK ...` above its `package`
/// line) are checked as it is composed: one that the wiring breaks stops
/// the composition, naming the path.
///
/// Exit codes: 0 shown, 1 the input cannot be read or composed (or
/// `--deny trifecta` found one open), 2 a usage error.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot flows recipes/openai.wac
  asterbot flows agent.wasm --json | jq '.flows[] | select(.approval == [])'
  asterbot flows recipes/openai.wac --format mermaid > flows.mmd
  asterbot flows recipes/openai.wac --format dot | dot -Tsvg > flows.svg
  asterbot flows my.wac --deny trifecta   # fail (exit 1) on an open trifecta")]
pub struct FlowsArgs {
    /// A composed agent (`.wasm`) or a recipe (`.wac`, composed in
    /// memory).
    file: PathBuf,

    /// How to print the flows.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Print the flows as JSON (the same as `--format json`).
    #[arg(long)]
    json: bool,

    /// In text, print the paths of every source, not only of the
    /// person's input, private data and untrusted content.
    #[arg(long)]
    all: bool,

    /// Fail (exit 1) on this finding.
    #[arg(long, value_enum, value_name = "FINDING")]
    deny: Vec<Finding>,

    #[command(flatten)]
    store: StoreArgs,
}

/// How to print the flows.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Every flow by source, and the findings.
    Text,
    /// JSON: sources, sinks, flows and the trifecta findings.
    Json,
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz DOT graph.
    Dot,
}

/// A finding that can fail the command.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Finding {
    /// Private data and untrusted content reach a model that can send
    /// data out with no approval on the way.
    Trifecta,
}

impl FlowsArgs {
    /// Computes and prints the flows.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let bytes = std::fs::read(&self.file)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read `{}`", self.file.display()))?;
        let name = self.file.display().to_string();
        let (flows, source) = if bytes.starts_with(b"\0asm") {
            let flows =
                Flows::of_artifact(&bytes).map_err(|why| miette::miette!("`{name}`: {why}"))?;
            (flows, None)
        } else {
            let recipe = Recipe::load(&self.file)?;
            let composed = compose(&recipe, &self.store.component_store()?)?;
            (composed.flows, Some(recipe.source().to_string()))
        };
        let line = |instance: &str| source.as_deref().and_then(|s| let_line(s, instance));
        let format = if self.json { Format::Json } else { self.format };
        match format {
            Format::Text => print!("{}", flows.text(&name, self.all, &line)),
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&flows).expect("the flows serialise")
            ),
            Format::Mermaid => print!("{}", flows.mermaid()),
            Format::Dot => print!("{}", flows.dot()),
        }
        if self.deny.contains(&Finding::Trifecta) {
            deny_trifecta(&flows, &line)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// What `compose` and `check` say of the recipe's flows: each open
/// trifecta, as a warning (said even with `--quiet`), or as the error
/// when `deny` names it.
pub fn findings(recipe: &Recipe, flows: &Flows, deny: &[Finding]) -> miette::Result<()> {
    let line = |instance: &str| let_line(recipe.source(), instance);
    if deny.contains(&Finding::Trifecta) {
        return deny_trifecta(flows, &line);
    }
    for t in flows.open_trifecta() {
        eprintln!("warning: {}", t.message());
        eprintln!("  closed by: {}", t.closes(&line));
        eprintln!("  (`asterbot flows` shows every path; `--deny trifecta` makes this an error)");
    }
    Ok(())
}

/// Fails on the first open trifecta.
pub fn deny_trifecta(flows: &Flows, line: &dyn Fn(&str) -> Option<usize>) -> miette::Result<()> {
    if let Some(t) = flows.open_trifecta().next() {
        miette::bail!(
            help = format!("close it at {}", t.closes(line)),
            "{} (denied by --deny trifecta)",
            t.message()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        flows: FlowsArgs,
    }

    #[test]
    fn the_flags_are_consistent() {
        Cli::command().debug_assert();
    }
}
