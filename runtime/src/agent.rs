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
        // One agent at a time: a restarted run drops its store first. The
        // memory cap is the limiter's (`--max-memory`), set per run.
        let (engine, component, compiled, tier) =
            beyond_the_pool(pooled(WASM32_MEMORY, 1, PoolRoom::RUN), |config| {
                compile(name, bytes, file, cache, config)
            })?;
        let pre = linker(&engine)?
            .instantiate_pre(&component)
            .and_then(CommandPre::new)
            .map_err(|e| {
                anyhow::Error::from(e).context(format!(
                    "cannot start `{name}`: it must export `wasi:cli/run` and import only WASI P2, `wasi:http` and `wasi:keyvalue` (see `asterbot run --explain`)"
                ))
            })?;
        if let Some(warning) = crate::unguarded::warning(name, bytes) {
            tracing::warn!("{warning}");
        }
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
        let (bytes, file) = (artifact.bytes(), artifact.identity.as_deref());
        beyond_the_pool(pooled(WASM32_MEMORY, 1, PoolRoom::RUN), |config| {
            let engines = Engines::new(&config, true)?;
            cache
                .tier_up(&engines, bytes, file, compiler(&name, bytes, true))
                .map_err(|e| not_runnable(&name, e))
        })
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
    /// of a turn, for benchmarks. `input` is what a run would read turns
    /// from (made once per run, not per instance).
    pub fn instantiate(
        &self,
        grants: &Grants,
        limits: &Limits,
        input: &TurnInput,
    ) -> anyhow::Result<()> {
        let mut store = self.store(&[], grants, limits, input)?;
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
        let mut host = Host::new(&self.name, args, grants, input, limits.max_memory)?;
        host.attribute_stderr(std::sync::Arc::new(self.owners.clone()));
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
    let compile = compiler(name, bytes, cache.is_some());
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

/// Compiles `bytes` with an engine, showing progress when it is slow;
/// `cached` says whether what it compiles is kept for later runs.
fn compiler<'a>(
    name: &'a str,
    bytes: &'a [u8],
    cached: bool,
) -> impl Fn(&Engine) -> wasmtime::Result<Component> + 'a {
    move |engine| {
        progress::while_slow(&format!("compiling `{name}`"), cached, || {
            Component::new(engine, bytes)
        })
    }
}

fn not_runnable(name: &str, error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from(error).context(format!("`{name}` is not a runnable WebAssembly component"))
}

/// `work` with the `pooled` configuration, or, for an agent too large for
/// the pool, with instances allocated on demand.
pub(crate) fn beyond_the_pool<T>(
    pooled: Config,
    work: impl Fn(Config) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    work(pooled).or_else(|error| {
        let too_large = error
            .chain()
            .any(|cause| cause.to_string().contains("pooling allocator"));
        if !too_large {
            return Err(error);
        }
        tracing::debug!("{error:#}; its instances are allocated on demand");
        work(engine_config())
    })
}

/// A linker with everything the runner provides: WASI P2, `wasi:http`
/// and `wasi:keyvalue`, but no making of symbolic links.
pub(crate) fn linker(engine: &Engine) -> anyhow::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::keyvalue::add_to_linker(&mut linker, Host::keyvalue)?;
    refuse_symlinks(&mut linker)?;
    attribute_writes(&mut linker)?;
    Ok(linker)
}

/// The version of `wasi:io` that wasmtime-wasi provides.
const IO_STREAMS: &str = "wasi:io/streams@0.2.12";

/// Wraps the two calls that write bytes to an output stream so that,
/// while one runs, standard error's filter knows which recipe instance
/// makes it (from the call's backtrace; see `stderr.rs`). The other ways
/// to write (zeroes, splices) stay as they are: their bytes count as
/// nobody's, filtered and without a name.
fn attribute_writes(linker: &mut Linker<Host>) -> anyhow::Result<()> {
    use wasmtime::component::{Resource, ResourceTable};
    use wasmtime::{StoreContextMut, WasmBacktrace};
    use wasmtime_wasi::p2::bindings::io::streams::{HostOutputStream, StreamError as Answer};
    use wasmtime_wasi::p2::{DynOutputStream, StreamError};

    /// A stream call's result as the guest gets it.
    fn answer(
        table: &mut ResourceTable,
        result: Result<(), StreamError>,
    ) -> wasmtime::Result<(Result<(), Answer>,)> {
        match result {
            Ok(()) => Ok((Ok(()),)),
            Err(StreamError::Closed) => Ok((Err(Answer::Closed),)),
            Err(StreamError::LastOperationFailed(e)) => {
                Ok((Err(Answer::LastOperationFailed(table.push(e)?)),))
            }
            Err(StreamError::Trap(e)) => Err(e),
        }
    }

    /// The backtrace of the call, if the host tells writers apart.
    fn backtrace(store: &StoreContextMut<'_, Host>) -> Option<WasmBacktrace> {
        store
            .data()
            .attributes_stderr()
            .then(|| WasmBacktrace::capture(store))
    }

    linker.allow_shadowing(true);
    let mut streams = linker.instance(IO_STREAMS)?;
    streams.func_wrap(
        "[method]output-stream.write",
        |mut store: StoreContextMut<'_, Host>,
         (stream, bytes): (Resource<DynOutputStream>, Vec<u8>)| {
            let backtrace = backtrace(&store);
            let host = store.data_mut();
            host.writing(backtrace);
            let result = HostOutputStream::write(host.table(), stream, bytes);
            host.written();
            answer(host.table(), result)
        },
    )?;
    streams.func_wrap_async(
        "[method]output-stream.blocking-write-and-flush",
        |mut store: StoreContextMut<'_, Host>,
         (stream, bytes): (Resource<DynOutputStream>, Vec<u8>)| {
            Box::new(async move {
                let backtrace = backtrace(&store);
                let host = store.data_mut();
                host.writing(backtrace);
                let result =
                    HostOutputStream::blocking_write_and_flush(host.table(), stream, bytes).await;
                host.written();
                answer(host.table(), result)
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The version of `wasi:filesystem` that wasmtime-wasi provides (an import
/// of an earlier 0.2 version is served by it).
const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Makes `descriptor.symlink-at` refuse (`not-permitted`). Inside the
/// sandbox a link out of a granted folder is not followed, but the person
/// and their programs follow it later: a tool in `/state/notes` could leave
/// `/state/notes/x` pointing at `../../.ssh/id_ed25519`. Whether a relative
/// target leaves the folder cannot be told from its text (a link on the
/// way may itself be a link), so no instance makes links at all. The dirs
/// guard refuses the same inside the artifact, under any runtime; this is
/// the runner's own refusal for an artifact composed without guards.
fn refuse_symlinks(linker: &mut Linker<Host>) -> anyhow::Result<()> {
    use wasmtime::component::Resource;
    use wasmtime_wasi::filesystem::Descriptor;
    use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode;
    linker.allow_shadowing(true);
    linker.instance(FILESYSTEM_TYPES)?.func_wrap(
        "[method]descriptor.symlink-at",
        |_, (_, _, _): (Resource<Descriptor>, String, String)| {
            Ok((Err::<(), ErrorCode>(ErrorCode::NotPermitted),))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
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

/// What one agent may hold, for the pooling allocator: core instances
/// (and as many tables) and memories.
#[derive(Clone, Copy)]
pub(crate) struct PoolRoom {
    pub core_instances: u32,
    pub memories: u32,
    /// Bytes of the runtime state of all its instances together.
    pub instance_state: usize,
}

impl PoolRoom {
    /// A server's agents, many at once: a composed agent has a few hundred
    /// small core instances and some dozens of memories.
    pub(crate) const SERVED: PoolRoom = PoolRoom {
        core_instances: 500,
        memories: 100,
        instance_state: 1 << 20,
    };
    /// A run's one agent: room for a thousand tools (a hundred tools with
    /// their guards make 829 core instances). An agent larger still runs
    /// without the pool.
    pub(crate) const RUN: PoolRoom = PoolRoom {
        core_instances: 10_000,
        memories: 1_000,
        instance_state: 32 << 20,
    };
}

/// How much of each memory (and a sixteenth of it, of each table) is
/// reset in place and kept resident between runs, rather than given back
/// to the kernel.
const KEEP_RESIDENT: usize = 1 << 20;

/// The largest a 32-bit memory can be.
const WASM32_MEMORY: usize = 4 << 30;

/// The engine configuration with instances from a pool sized for
/// `agents` at once, with `room` each, each memory at most `max_memory`:
/// instantiating
/// reuses memory slots instead of mapping (and then unmapping) each
/// memory, which was most of a pre-linked agent's instantiation (645 µs
/// of the offline agent's, before; 260 µs now).
pub(crate) fn pooled(max_memory: usize, agents: u32, room: PoolRoom) -> Config {
    let mut pool = wasmtime::PoolingAllocationConfig::default();
    pool.total_component_instances(agents)
        .total_core_instances(agents * room.core_instances)
        .total_memories(agents * room.memories)
        .total_tables(agents * room.core_instances)
        .max_core_instances_per_component(room.core_instances)
        .max_memories_per_component(room.memories)
        .max_tables_per_component(room.core_instances)
        .max_component_instance_size(room.instance_state)
        // A store runs one call at a time: a fiber stack each, and a spare.
        .total_stacks(agents * 2)
        .max_memory_size(max_memory);
    // Where the kernel tells which pages a run dirtied (Linux 6.7 and
    // later), a slot is reset by writing back just those pages, instead of
    // an `madvise` (and a TLB flush) per memory; without that, resetting
    // with writes would cover whole slots, so the `madvise` stays.
    if wasmtime::PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(wasmtime::Enabled::Yes)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT / 16);
    }
    let mut config = engine_config();
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A component of one core instance with one memory.
    fn one_memory() -> Vec<u8> {
        wat::parse_str("(component (core module $m (memory 1)) (core instance (instantiate $m)))")
            .unwrap()
    }

    #[test]
    fn an_agent_too_large_for_the_pool_is_allocated_on_demand() {
        let bytes = one_memory();
        let no_room = || {
            pooled(
                WASM32_MEMORY,
                1,
                PoolRoom {
                    core_instances: 1,
                    memories: 0,
                    instance_state: 1 << 20,
                },
            )
        };
        let compile = |config: Config| {
            let engine = Engine::new(&config)?;
            Ok(Component::new(&engine, &bytes)?)
        };
        // The control: in the pool alone it does not fit.
        let error = compile(no_room())
            .map(|_| ())
            .expect_err("no room for a memory");
        assert!(
            format!("{error:#}").contains("pooling allocator"),
            "{error:#}"
        );
        assert!(beyond_the_pool(no_room(), compile).is_ok());
        // Other errors are not retried.
        let bad = beyond_the_pool(no_room(), |_| -> anyhow::Result<()> {
            anyhow::bail!("not a component")
        });
        assert_eq!(bad.unwrap_err().to_string(), "not a component");
    }
}
