//! `asterbot`: compose an agent from a recipe, then run it.
//!
//! Exit codes: 0 success, 1 a recipe, component or agent error, 2 a usage
//! error (unknown flag, missing argument).

mod commands;
mod manifest;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Assemble AI agents from sandboxed, swappable WebAssembly components.
#[derive(Parser)]
#[command(name = "asterbot", version, about, long_about = None)]
#[command(after_help = "Examples:
  asterbot compose recipes/offline.wac -o agent.wasm
  asterbot run agent.wasm \"what is 6 * 7?\"
  wasmtime run agent.wasm \"what time is it?\"

Exit codes: 0 success, 1 a recipe, component or agent error, 2 a usage error.")]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, commands::Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    diagnostics_for_stderr();
    events_to_stderr();
    match cli.command.exec() {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            if report.downcast_ref::<commands::UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Output piped into a program that stops reading (`asterbot wit | head`)
/// ends asterbot quietly, as it ends any Unix tool, instead of a panic.
/// Not for `serve`: a server never ends because one peer went away.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of SIGPIPE (Rust ignores
    // it) at start-up, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// What the runtime reports (faults, limits, cache notes, requests served)
/// goes to stderr as `asterbot: message` lines.
fn events_to_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .event_format(Plain)
        .try_init();
}

/// An event as one `asterbot: ...` line: the message, then any fields.
struct Plain;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "asterbot: ")?;
        context
            .field_format()
            .format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Diagnostics wrap to the terminal's width, and not at all when stderr
/// is a file or a pipe (so scripts and tests see whole lines).
fn diagnostics_for_stderr() {
    let terminal = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .wrap_lines(terminal)
                .build(),
        )
    }));
}
