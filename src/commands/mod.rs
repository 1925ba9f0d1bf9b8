//! The subcommands, one file each.

mod audit;
mod check;
mod compose;
mod diff;
mod files;
mod flows;
mod graph;
mod imports_table;
mod inspect;
mod lock_file;
mod new;
mod precompile;
mod reach_table;
mod run;
mod runtime_args;
mod serve;
mod store_args;
mod targets;
mod wit;

use std::process::ExitCode;

/// What `asterbot` can do.
#[derive(clap::Subcommand)]
pub enum Command {
    Compose(compose::ComposeArgs),
    Check(check::CheckArgs),
    Run(run::RunArgs),
    Precompile(precompile::PrecompileArgs),
    Serve(serve::ServeArgs),
    Audit(audit::AuditArgs),
    Inspect(inspect::InspectArgs),
    Graph(graph::GraphArgs),
    Diff(diff::DiffArgs),
    Flows(flows::FlowsArgs),
    New(new::NewArgs),
    Targets(targets::TargetsArgs),
    Wit(wit::WitArgs),
}

impl Command {
    /// Runs the chosen subcommand.
    pub fn exec(self) -> miette::Result<ExitCode> {
        match self {
            Command::Compose(args) => args.exec(),
            Command::Check(args) => args.exec(),
            Command::Run(args) => args.exec(),
            Command::Precompile(args) => args.exec(),
            Command::Serve(args) => args.exec(),
            Command::Audit(args) => args.exec(),
            Command::Inspect(args) => args.exec(),
            Command::Graph(args) => args.exec(),
            Command::Diff(args) => args.exec(),
            Command::Flows(args) => args.exec(),
            Command::New(args) => args.exec(),
            Command::Targets(args) => args.exec(),
            Command::Wit(args) => args.exec(),
        }
    }
}
