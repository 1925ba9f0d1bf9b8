//! The subcommands, one file each.

mod agent_file;
mod audit;
mod cache;
mod check;
mod completions;
mod compose;
mod diff;
mod export;
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

use std::fmt;
use std::process::ExitCode;

/// A usage error found after parsing (a wrong number of files, flags that
/// do not go together): it exits with 2, as clap's own usage errors do.
#[derive(Debug)]
pub struct UsageError {
    message: String,
    help: String,
}

impl UsageError {
    /// The error `message`, with `help` saying how to call it instead.
    pub fn report(message: impl Into<String>, help: impl Into<String>) -> miette::Report {
        miette::Report::new(UsageError {
            message: message.into(),
            help: help.into(),
        })
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

impl miette::Diagnostic for UsageError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}

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
    Export(export::ExportArgs),
    Cache(cache::CacheArgs),
    Completions(completions::CompletionsArgs),
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
            Command::Export(args) => args.exec(),
            Command::Cache(args) => args.exec(),
            Command::Completions(args) => args.exec(),
        }
    }
}
