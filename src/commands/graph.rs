//! `asterbot graph`: a picture of a recipe's or an artifact's composition.

use super::agent_file::agent_or_recipe;
use super::store_args::StoreArgs;
use asterbot_composer::audit;
use asterbot_composer::diagram::Diagram;
use clap::{Args, ValueEnum};

use std::path::PathBuf;
use std::process::ExitCode;

/// Draw a composition as a picture (Mermaid, DOT or SVG).
///
/// It shows each instance, the interfaces wired between them,
/// the guards in front of them, and the runtime at the edge (what stays
/// unguarded is drawn from it).
///
/// A recipe is composed in memory first; either way the picture is read
/// from the artifact's wiring. Mermaid and DOT are the same on every run;
/// the SVG layout may place nodes differently from run to run.
///
/// Exit codes: 0 drawn, 1 the recipe does not compose or the file is not
/// a component.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot graph recipes/offline.wac                 # Mermaid, for a pull request
  asterbot graph agent.wasm --format dot | dot -Tpng -o agent.png
  asterbot graph recipes/offline.wac --format svg -o agent.svg
  asterbot graph recipes/minimal.wac --guards        # every guard and its edges")]
pub struct GraphArgs {
    /// A recipe (`.wac`) or a composed agent (`.wasm`).
    input: PathBuf,

    /// What to write.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,

    /// Where to write it [default: standard output].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Draw each guard as a node, with its edges (labelled with its
    /// kind), instead of writing what the guards allow on each instance.
    #[arg(long)]
    guards: bool,

    #[command(flatten)]
    store: StoreArgs,
}

/// The picture's format.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// A Mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// SVG, laid out by asterbot itself.
    Svg,
}

impl GraphArgs {
    /// Draws the picture.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let name = self.input.display().to_string();
        let bytes = agent_or_recipe(&self.input, &self.store)?;
        let audit = audit::analyze(&bytes).map_err(|why| miette::miette!("`{name}`: {why}"))?;
        let diagram = Diagram::of(&audit, self.guards);
        let text = match self.format {
            Format::Mermaid => diagram.mermaid(),
            Format::Dot => diagram.dot(),
            Format::Svg => diagram
                .svg()
                .map_err(|why| miette::miette!("cannot lay out the picture: {why}"))?,
        };
        match &self.output {
            Some(path) => super::files::write_atomically(path, text.as_bytes())?,
            None => print!("{text}"),
        }
        Ok(ExitCode::SUCCESS)
    }
}
