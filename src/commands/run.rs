//! `asterbot run`: run a composed agent with explicit grants.

use asterbot_runtime::{
    Agent, CompileCache, DirGrant, EnvGrant, ExitStatus, Grants, HostGrant, Limits, TurnInput,
    explain, parse_size, read_env_file,
};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run a composed agent. It gets no directory, no environment variable and
/// no network unless granted here.
///
/// With MESSAGE words, they are one turn. Without, a terminal gets a REPL
/// (one line a turn, Ctrl-D ends) and a pipe gives one turn per line.
/// Compiled code is cached (in $ASTERBOT_CACHE_DIR, else
/// ~/.cache/asterbot), so only the first run of an artifact compiles it.
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

    /// Grant a directory: HOST[::GUEST][:ro] (GUEST defaults to HOST).
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    dirs: Vec<DirGrant>,

    /// Grant an environment variable: KEY=VALUE, or KEY to pass ours through.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<EnvGrant>,

    /// Grant the variables of a file of KEY=VALUE lines (# comments).
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,

    /// Allow HTTP requests to a host: `api.openai.com`, `*.example.com`,
    /// `127.0.0.1:11434`. Requests to other hosts are denied.
    #[arg(long = "allow-host", value_name = "HOST")]
    hosts: Vec<HostGrant>,

    /// Allow HTTP requests to any host.
    #[arg(long = "allow-http")]
    allow_http: bool,

    /// Allow TCP and UDP sockets to any address, and name lookups. The
    /// guards of a composed agent still deny sockets to each instance.
    #[arg(long = "allow-network")]
    allow_network: bool,

    /// The conversation to continue (sets ASTERBOT_SESSION).
    #[arg(long, value_name = "ID")]
    session: Option<String>,

    /// Largest size of any one memory of the agent (e.g. 256M, 1G).
    #[arg(long = "max-memory", value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    max_memory: usize,

    /// Longest a turn may take by the wall clock (e.g. 30s, 10m), from the
    /// moment its line is handed over; waiting on the host (the network, a
    /// sleep) counts, waiting for you does not.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    timeout: Duration,

    /// Longest a turn may compute (e.g. 30s, 5m); time in host calls does
    /// not count.
    #[arg(long = "cpu-time", value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    cpu_time: Duration,

    /// Compile without reading or writing the cache.
    #[arg(long = "no-cache")]
    no_cache: bool,

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
        let grants = self.grants()?;
        let cache = if self.no_cache {
            None
        } else {
            CompileCache::default_location().filter(|cache| !reachable(cache, &self.dirs))
        };
        let agent = Agent::load(&self.agent, cache.as_ref()).map_err(report)?;
        if self.explain {
            print_explanation(&self.agent, &agent);
            return Ok(ExitCode::SUCCESS);
        }
        let limits = Limits {
            max_memory: self.max_memory,
            timeout: self.timeout,
            cpu_time: self.cpu_time,
        };
        let input = TurnInput::stdin();
        match agent
            .run(&self.message, &grants, &limits, &input)
            .map_err(report)?
        {
            ExitStatus::Success => Ok(ExitCode::SUCCESS),
            ExitStatus::Failure(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        }
    }

    fn grants(&self) -> miette::Result<Grants> {
        let mut grants = Grants::new();
        for dir in &self.dirs {
            grants = grants.dir(dir.clone());
        }
        for file in &self.env_files {
            for env in read_env_file(file).map_err(report)? {
                grants = grants.env(env.key, env.value);
            }
        }
        for env in &self.env {
            grants = grants.env(env.key.clone(), env.value.clone());
        }
        if let Some(session) = &self.session {
            grants = grants.env("ASTERBOT_SESSION", session.clone());
        }
        for host in &self.hosts {
            grants = grants.host(host.clone());
        }
        if self.allow_http {
            grants = grants.host("*".parse().map_err(report)?);
        }
        if self.allow_network {
            grants = grants.network();
        }
        Ok(grants)
    }
}

/// Whether the agent could reach `cache` or its key through a granted
/// directory: compiled code it could plant there would run natively, so
/// such a cache is not used (with a warning).
fn reachable(cache: &CompileCache, dirs: &[DirGrant]) -> bool {
    let canonical =
        |path: &std::path::Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let inside = |path: &std::path::Path| {
        dirs.iter()
            .any(|dir| canonical(path).starts_with(canonical(&dir.host)))
    };
    let key_folder = cache.key_file().and_then(std::path::Path::parent);
    let what = if inside(cache.dir()) {
        "it is"
    } else if key_folder.is_some_and(inside) {
        "its key is"
    } else {
        return false;
    };
    eprintln!(
        "asterbot: not using the compile cache `{}`: {what} inside a directory granted to the agent",
        cache.dir().display()
    );
    true
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

/// An error with its whole chain of causes, as a diagnostic.
fn report(error: anyhow::Error) -> miette::Report {
    miette::miette!("{error:#}")
}
