//! Loading a composed agent and running its `wasi:cli/run`, turn after
//! turn, within limits, restarting it after a fault.
//!
//! The agent runs on wasmtime's async API, so that a turn stuck in the
//! host (a ten-hour sleep, a poll that never ends) can be cancelled: a
//! watchdog races every run and drops it when the turn's wall-clock time
//! is up. Loops in WebAssembly, including loops of cheap host calls, are
//! stopped by the epoch callback, which checks both limits.

use crate::cache::{CompileCache, Compiled, Engines, Tier};
use crate::fault;
use crate::grants::Grants;
use crate::host::Host;
use crate::input::TurnInput;
use crate::limits::{LimitHit, Limits};
use crate::progress;
use anyhow::Context;
use std::path::Path;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{CallHook, Config, Engine, Store, UpdateDeadline};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::CommandPre;

/// How often the per-turn clock is looked at.
const TICK: Duration = Duration::from_millis(50);

/// A compiled agent, ready to run any number of times.
pub struct Agent {
    engine: Engine,
    component: Component,
    pre: CommandPre<Host>,
    name: String,
    owners: fault::Owners,
    /// How the compiled code was obtained.
    pub compiled: Compiled,
    /// Which compiler made it.
    pub tier: Tier,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `wasi:cli/run` returned success.
    Success,
    /// The agent reported failure, with this exit code.
    Failure(i32),
}

impl Agent {
    /// Compiles the component at `path` (or loads it from `cache`) and
    /// links WASI P2 and `wasi:http` for it.
    pub fn load(path: &Path, cache: Option<&CompileCache>) -> anyhow::Result<Agent> {
        let name = path.display().to_string();
        let artifact = Artifact::open(path)
            .with_context(|| format!("cannot read agent `{}`", path.display()))?;
        Agent::from_artifact(&name, artifact.bytes(), artifact.identity.as_deref(), cache)
    }

    /// As [`Agent::load`], for a component held in memory; `name` is used
    /// in messages.
    pub fn from_bytes(
        name: &str,
        bytes: &[u8],
        cache: Option<&CompileCache>,
    ) -> anyhow::Result<Agent> {
        Agent::from_artifact(name, bytes, None, cache)
    }

    /// `bytes`, read from a file of identity `file` if they were.
    fn from_artifact(
        name: &str,
        bytes: &[u8],
        file: Option<&[u8]>,
        cache: Option<&CompileCache>,
    ) -> anyhow::Result<Agent> {
        let (engine, component, compiled, tier) =
            compile(name, bytes, file, cache, engine_config())?;
        let pre = linker(&engine)?
            .instantiate_pre(&component)
            .and_then(CommandPre::new)
            .map_err(|e| {
                anyhow::Error::from(e).context(format!(
                    "cannot start `{name}`: it must export `wasi:cli/run` and import only WASI P2, `wasi:http` and `wasi:keyvalue` (see `asterbot run --explain`)"
                ))
            })?;
        Ok(Agent {
            engine,
            component,
            pre,
            name: name.to_string(),
            owners: fault::Owners::read(bytes),
            compiled,
            tier,
        })
    }

    /// Puts the optimised code of the agent at `path` in `cache`, unless
    /// it is there, replacing baseline code a quick first run left (see
    /// [`CompileCache::baseline_first`]): how it got there, or `None` if
    /// another process was already at it.
    pub fn tier_up(path: &Path, cache: &CompileCache) -> anyhow::Result<Option<Compiled>> {
        let name = path.display().to_string();
        let artifact = Artifact::open(path)
            .with_context(|| format!("cannot read agent `{}`", path.display()))?;
        let engines = Engines::new(&engine_config(), true)?;
        let (bytes, file) = (artifact.bytes(), artifact.identity.as_deref());
        cache
            .tier_up(&engines, bytes, file, compiler(&name, bytes))
            .map_err(|e| not_runnable(&name, e))
    }

    /// The engine the agent was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled component.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// Instantiates the agent once without running it: the start-up cost
    /// of a turn, for benchmarks.
    pub fn instantiate(&self, grants: &Grants, limits: &Limits) -> anyhow::Result<()> {
        let input = TurnInput::from_text("");
        let mut store = self.store(&[], grants, limits, &input)?;
        runtime()?
            .block_on(self.pre.instantiate_async(&mut store))
            .map_err(|e| anyhow::Error::from(e).context("cannot instantiate the agent"))?;
        Ok(())
    }

    /// Runs the agent's `wasi:cli/run` with `args`, `grants` and turns from
    /// `input`, within `limits`. A turn stopped by a fault or a limit is
    /// reported on stderr; when more turns are waiting, the agent is
    /// started afresh for them (what it stored on disk is kept).
    pub fn run(
        &self,
        args: &[String],
        grants: &Grants,
        limits: &Limits,
        input: &TurnInput,
    ) -> anyhow::Result<ExitStatus> {
        // A turn that failed makes the whole run fail, even if later
        // turns succeed after a restart.
        let mut failed = false;
        let runtime = runtime()?;
        loop {
            input.restart_clock();
            let handed_before = input.lines_handed();
            let mut store = self.store(args, grants, limits, input)?;
            let run = async {
                let command = self.pre.instantiate_async(&mut store).await?;
                command.wasi_cli_run().call_run(&mut store).await
            };
            let outcome = runtime.block_on(async {
                tokio::select! {
                    outcome = run => outcome,
                    () = watchdog(input, limits.timeout) => Err(Stuck(LimitHit::WallTime(limits.timeout)).into()),
                }
            });
            let error = match outcome {
                Ok(Ok(())) if failed => return Ok(ExitStatus::Failure(1)),
                Ok(Ok(())) => return Ok(ExitStatus::Success),
                Ok(Err(())) => return Ok(ExitStatus::Failure(1)),
                Err(error) => error,
            };
            match error.downcast_ref::<I32Exit>() {
                Some(&I32Exit(0)) if !failed => return Ok(ExitStatus::Success),
                Some(&I32Exit(0)) => return Ok(ExitStatus::Failure(1)),
                Some(&I32Exit(code)) => return Ok(ExitStatus::Failure(code)),
                None => {}
            }
            failed = true;
            let limiter = &store.data().limiter;
            let memory = limiter.hit.then_some(limits.max_memory);
            tracing::error!(
                "this turn ended: {}",
                fault::describe(&error, memory, &self.owners)
            );
            // Restart only for turns still waiting, and only if this run got
            // as far as taking a turn: a fault at start-up would recur.
            if !args.is_empty() || input.ended() || input.lines_handed() == handed_before {
                return Ok(ExitStatus::Failure(1));
            }
            tracing::info!("the agent starts afresh for the next turn; what it saved is kept");
        }
    }

    /// A store for one run, with the limits in place: the memory limiter,
    /// the compute clock (fed by the call hook) and the epoch callback that
    /// stops wasm past either time limit.
    fn store(
        &self,
        args: &[String],
        grants: &Grants,
        limits: &Limits,
        input: &TurnInput,
    ) -> anyhow::Result<Store<Host>> {
        let host = Host::new(&self.name, args, grants, input, limits.max_memory)?;
        Ok(limited_store(&self.engine, host, limits, input))
    }
}

/// Compiles `bytes` (or loads them from `cache`) on a new engine, with
/// the engine's epoch ticking; `name` is used in messages, and `file` is
/// the identity of the file `bytes` were read from, if they were.
pub(crate) fn compile(
    name: &str,
    bytes: &[u8],
    file: Option<&[u8]>,
    cache: Option<&CompileCache>,
    config: Config,
) -> anyhow::Result<(Engine, Component, Compiled, Tier)> {
    let baseline = cache.is_some_and(CompileCache::is_baseline_first);
    let engines = Engines::new(&config, baseline)?;
    let compile = compiler(name, bytes);
    let (component, compiled, tier) = match cache {
        Some(cache) => cache.load_or_compile(&engines, bytes, file, compile),
        None => compile(&engines.optimised).map(|c| (c, Compiled::Fresh, Tier::Optimised)),
    }
    .map_err(|e| not_runnable(name, e))?;
    if let Compiled::Rebuilt(why) = &compiled {
        tracing::warn!("{why}; it was compiled again");
    }
    let engine = engines.of(tier).clone();
    start_ticker(&engine);
    Ok((engine, component, compiled, tier))
}

/// Compiles `bytes` with an engine, showing progress when it is slow.
fn compiler<'a>(
    name: &'a str,
    bytes: &'a [u8],
) -> impl Fn(&Engine) -> wasmtime::Result<Component> + 'a {
    move |engine| {
        progress::while_slow(&format!("compiling `{name}`"), || {
            Component::new(engine, bytes)
        })
    }
}

fn not_runnable(name: &str, error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from(error).context(format!("`{name}` is not a runnable WebAssembly component"))
}

/// A linker with everything the runner provides: WASI P2, `wasi:http`
/// and `wasi:keyvalue`.
pub(crate) fn linker(engine: &Engine) -> anyhow::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::keyvalue::add_to_linker(&mut linker, Host::keyvalue)?;
    Ok(linker)
}

/// A store for `host` with the limits in place: the memory limiter, the
/// compute clock (fed by the call hook) and the epoch callback that stops
/// wasm past either time limit of the turn `input` times.
pub(crate) fn limited_store(
    engine: &Engine,
    host: Host,
    limits: &Limits,
    input: &TurnInput,
) -> Store<Host> {
    let mut store = Store::new(engine, host);
    store.limiter(|host| &mut host.limiter);
    store.call_hook(|mut store, hook| {
        match hook {
            CallHook::CallingHost => store.data_mut().clock.entering_host(),
            CallHook::ReturningFromHost => store.data_mut().clock.leaving_host(),
            CallHook::CallingWasm | CallHook::ReturningFromWasm => {}
        }
        Ok(())
    });
    let (cpu_time, wall_time) = (limits.cpu_time, limits.timeout);
    let turn = input.clone();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut store| {
        if store.data_mut().clock.computing() > cpu_time {
            return Err(LimitHit::CpuTime(cpu_time).into());
        }
        if turn.turn_started().elapsed() > wall_time && !turn.waiting() {
            return Err(LimitHit::WallTime(wall_time).into());
        }
        Ok(UpdateDeadline::Continue(1))
    });
    store
}

/// A run stopped by the watchdog while the agent was in a host call.
#[derive(Debug)]
pub(crate) struct Stuck(pub LimitHit);

impl std::fmt::Display for Stuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for Stuck {}

/// Resolves when the current turn has taken longer than `limit` by the
/// wall clock, not counting the time the agent waits for a line.
async fn watchdog(input: &TurnInput, limit: Duration) {
    loop {
        tokio::time::sleep(TICK).await;
        if !input.waiting() && input.turn_started().elapsed() > limit {
            return;
        }
    }
}

/// The executor the agent's async calls run on: one thread, the runner's.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The engine configuration, which is also part of the cache key.
pub(crate) fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(64));
    config
}

/// Advances the engine's epoch every [`TICK`] while the engine lives, so
/// running code looks at its turn's clock.
fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(TICK);
        }
    });
}

/// An agent's file, mapped rather than read: a warm start with the
/// compiled code cached touches only the pages it needs (the section
/// headers and asterbot's own sections), not all of a large artifact.
struct Artifact {
    bytes: ArtifactBytes,
    /// The file's identity, for the cache ([`crate::cache::file_identity`]);
    /// `None` when the file was read instead.
    identity: Option<Vec<u8>>,
}

enum ArtifactBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Artifact {
    fn open(path: &Path) -> std::io::Result<Artifact> {
        let file = std::fs::File::open(path)?;
        let identity = crate::cache::file_identity(&file).ok();
        // SAFETY: the map is only read, as plain bytes. Were the file
        // changed while it is mapped, what runs is still this artifact's
        // code: loaded from the cache as vouched for, or compiled and then
        // stored only if the bytes still hash as they did (see
        // `CompileCache::load_or_compile`).
        match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) if identity.is_some() => Ok(Artifact {
                bytes: ArtifactBytes::Mapped(map),
                identity,
            }),
            // An empty file, or one that cannot be mapped: read it.
            _ => Ok(Artifact {
                bytes: ArtifactBytes::Read(std::fs::read(path)?),
                identity: None,
            }),
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.bytes {
            ArtifactBytes::Mapped(map) => map,
            ArtifactBytes::Read(bytes) => bytes,
        }
    }
}
