//! `asterbot run`: run a composed agent with explicit grants.

use super::runtime_args::{KeyValueArg, RuntimeArgs, report};
use asterbot_runtime::{Agent, ExitStatus, Tier, TurnInput, explain};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a composed agent, with what it may reach granted here.
///
/// It gets no directory, no environment variable and no network unless
/// granted here.
///
/// With MESSAGE words, they are one turn. Without, a terminal gets a REPL
/// (one line a turn, Ctrl-D ends) and a pipe gives one turn per line.
/// Compiled code is cached (in $ASTERBOT_CACHE_DIR, else
/// ~/.cache/asterbot), so only the first run of an artifact compiles it:
/// quickly, with wasmtime's baseline compiler, while the optimised code
/// is compiled in the background for the runs after it.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot run agent.wasm \"what is 6 * 7?\"
  asterbot run agent.wasm --dir ./state::/state            # a REPL on a terminal
  printf 'hello\\nwhat time is it?\\n' | asterbot run agent.wasm
  asterbot run agent.wasm --dir ./state::/state --session work \"hi\"
  asterbot run agent.wasm --allow-host api.openai.com --env OPENAI_API_KEY \"hi\"
  asterbot run agent.wasm --env-file .env --timeout 2m --cpu-time 30s --max-memory 256M
  asterbot run --explain agent.wasm

A turn that traps or hits a limit is reported with the component it
happened in; with more turns waiting, the agent starts afresh for them.")]
pub struct RunArgs {
    /// The composed agent component.
    agent: PathBuf,

    #[command(flatten)]
    runtime: RuntimeArgs,

    /// A `wasi:keyvalue` store for agents that keep state in one:
    /// `memory`, `redis://HOST:PORT[/DB]`, or a file (redb). Without it,
    /// such an agent is told there is no store.
    #[arg(long, value_name = "STORE")]
    keyvalue: Option<KeyValueArg>,

    /// The conversation to continue (sets ASTERBOT_SESSION).
    #[arg(long, value_name = "ID")]
    session: Option<String>,

    /// How a run without cached optimised code starts: `quick` compiles
    /// with wasmtime's baseline compiler (several times faster, slower
    /// code) and leaves the optimised code to `asterbot precompile` in the
    /// background; `optimised` compiles optimised code first.
    #[arg(long, value_enum, value_name = "HOW", default_value = "quick")]
    compile: CompileFirst,

    /// List what the agent imports and which flags grant it, then stop.
    #[arg(long)]
    explain: bool,

    /// The message; several words are joined into one.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    message: Vec<String>,
}

impl RunArgs {
    /// Runs the agent and returns its exit code.
    pub fn exec(self) -> miette::Result<ExitCode> {
        super::agent_file::composed_agent(&self.agent, "asterbot run agent.wasm ...")?;
        let mut grants = self.runtime.grants()?;
        if let Some(session) = &self.session {
            grants = grants.env("ASTERBOT_SESSION", session.clone());
        }
        if let Some(store) = &self.keyvalue {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| report(e.into()))?;
            grants = grants.keyvalue(runtime.block_on(store.open())?);
        }
        let cache = self.runtime.cache().map(|cache| match self.compile {
            CompileFirst::Quick => cache.baseline_first(),
            CompileFirst::Optimised => cache,
        });
        let agent = Agent::load(&self.agent, cache.as_ref()).map_err(report)?;
        if agent.tier == Tier::Baseline {
            super::precompile::in_background(&self.agent);
        }
        if self.explain {
            print_explanation(&self.agent, &agent);
            return Ok(ExitCode::SUCCESS);
        }
        let input = if self.message.is_empty() {
            TurnInput::stdin()
        } else {
            TurnInput::stdin_for_answers()
        };
        match agent
            .run(&self.message, &grants, &self.runtime.limits(), &input)
            .map_err(report)?
        {
            ExitStatus::Success => Ok(ExitCode::SUCCESS),
            ExitStatus::Failure(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        }
    }
}

/// What a run compiles when the cache holds no optimised code.
#[derive(Clone, Copy, clap::ValueEnum)]
enum CompileFirst {
    /// Baseline code now, optimised code in the background.
    Quick,
    /// Optimised code now.
    Optimised,
}

/// Prints the artifact's imports and the flag that grants each.
fn print_explanation(path: &std::path::Path, agent: &Agent) {
    let imports = explain::imports(agent.engine(), agent.component());
    println!("{} imports {} interfaces:", path.display(), imports.len());
    let width = imports.iter().map(|i| i.interface.len()).max().unwrap_or(0);
    for import in &imports {
        println!("  {:width$}  {}", import.interface, import.grant);
    }
    println!("\nNothing is granted by default: no directory, no environment variable, no host.");
}
