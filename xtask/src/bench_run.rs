//! `cargo xtask bench` (run part): one turn as a whole process, asterbot
//! against the wasmtime CLI (the real binary, not a launcher) on the same
//! artifact, alternated: warm against `wasmtime run -C cache=y` and
//! against the precompiled floor (`wasmtime run --allow-precompiled` of a
//! `.cwasm` from `wasmtime compile`), for the offline agent and for a
//! large one (the polyglot recipe, Python and JavaScript tools in); peak
//! memory; a cold first run against `wasmtime compile`. Then the
//! in-process costs from `runtime/benches/agent.rs`.

use crate::bench::{median, ms, runs, smoke};
use crate::bench_serve::{real_wasmtime, version};
use crate::report::{Report, Row, Target};
use crate::{cargo, run};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The turn every runner answers.
const MESSAGE: &str = "what is 6 * 7?";

/// The command that reproduces these rows.
const REPRODUCE: &str = "cargo xtask bench run";

/// Runs the run benchmarks with `asterbot` (a release build, unless smoke).
pub fn bench_run(root: &Path, asterbot: &Path, report: &mut Report) -> anyhow::Result<()> {
    let out = root.join("target/bench/run");
    std::fs::create_dir_all(&out)?;
    let wasmtime = real_wasmtime()?;
    let small = out.join("offline.wasm");
    run(Command::new(asterbot)
        .args(["compose", "recipes/offline.wac", "-q", "-o"])
        .arg(&small)
        .current_dir(root))?;
    let mut agents = vec![("offline agent", small.clone())];
    if let Some(large) = polyglot(root, asterbot, &out)? {
        agents.push(("polyglot agent", large));
    }
    println!(
        "\n## one turn as a process ({} runs each, alternated; against {})\n",
        runs(),
        version(&wasmtime)
    );
    let mut warm = Vec::new();
    for (name, agent) in &agents {
        let size = std::fs::metadata(agent)?.len() as f64 / 1e6;
        let what = format!("{name} ({size:.1} MB)");
        let compiled = agent.with_extension("cwasm");
        run(Command::new(&wasmtime)
            .args(["compile", "-o"])
            .arg(&compiled)
            .arg(agent))?;
        let cache = out.join("cache");
        let ours = || {
            let mut command = Command::new(asterbot);
            command
                .env("ASTERBOT_CACHE_DIR", &cache)
                .env("ASTERBOT_CACHE_KEY", out.join("cache.key"))
                .arg("run")
                .arg(agent)
                .arg(MESSAGE);
            command
        };
        let default = || {
            let mut command = Command::new(&wasmtime);
            command
                .args(["run", "-C", "cache=y"])
                .arg(agent)
                .arg(MESSAGE);
            command
        };
        let floor = || {
            let mut command = Command::new(&wasmtime);
            command
                .args(["run", "--allow-precompiled"])
                .arg(&compiled)
                .arg(MESSAGE);
            command
        };
        let figures = alternated(&mut [&ours, &default, &floor])?;
        let [ours, default, floor] = &figures[..] else {
            unreachable!("three commands")
        };
        warm.push(ours.time);
        report.add(Row {
            what: format!("warm turn, {what}, against `wasmtime run -C cache=y`"),
            ours: ms(ours.time),
            peer: format!("wasmtime run: {}", ms(default.time)),
            ratio: ratio(ours.time, default.time),
            target: Some(Target::AtMost(0.8)),
            reproduce: REPRODUCE,
        });
        report.add(Row {
            what: format!("warm turn, {what}, against the precompiled floor"),
            ours: ms(ours.time),
            peer: format!("wasmtime run --allow-precompiled: {}", ms(floor.time)),
            ratio: ratio(ours.time, floor.time),
            target: Some(Target::AtMost(1.2)),
            reproduce: REPRODUCE,
        });
        report.add(memory_row(
            format!("warm turn, {what}"),
            ours,
            ("wasmtime run", default),
            REPRODUCE,
        ));
    }
    if let [small, large] = warm[..] {
        report.add(Row {
            what: "warm turn, large agent against small (loading scales?)".into(),
            ours: format!("large: {}", ms(large)),
            peer: format!("small: {}", ms(small)),
            ratio: ratio(large, small),
            target: Some(Target::AtMost(3.0)),
            reproduce: REPRODUCE,
        });
    }

    // Cold: an empty cache each time, against compiling the same artifact.
    let cold_cache = out.join("cold-cache");
    let cold = || {
        let _ = std::fs::remove_dir_all(&cold_cache);
        let mut command = Command::new(asterbot);
        command
            .env("ASTERBOT_CACHE_DIR", &cold_cache)
            .env("ASTERBOT_CACHE_KEY", out.join("cache.key"))
            .arg("run")
            .arg(&small)
            .arg(MESSAGE);
        command
    };
    let compile = || {
        let mut command = Command::new(&wasmtime);
        command.args(["compile", "-C", "cache=n"]);
        command
    };
    let finish = |mut command: Command| {
        command.arg("-o").arg(out.join("cold.cwasm")).arg(&small);
        command
    };
    // asterbot compiles with epoch interruption (what stops a turn at
    // --timeout); the same setting for wasmtime shows what is asterbot's.
    let plain = || finish(compile());
    let epochs = || {
        let mut command = compile();
        command.args(["-W", "epoch-interruption=y"]);
        finish(command)
    };
    let figures = alternated(&mut [&cold, &plain, &epochs])?;
    report.add(Row {
        what: "cold first run (empty cache), offline agent, against `wasmtime compile`".into(),
        ours: ms(figures[0].time),
        peer: format!("wasmtime compile: {}", ms(figures[1].time)),
        ratio: ratio(figures[0].time, figures[1].time),
        target: Some(Target::AtMost(1.0)),
        reproduce: REPRODUCE,
    });
    report.add(Row {
        what: "cold first run, against `wasmtime compile` with epoch interruption as asterbot's"
            .into(),
        ours: ms(figures[0].time),
        peer: format!(
            "wasmtime compile -W epoch-interruption=y: {}",
            ms(figures[2].time)
        ),
        ratio: ratio(figures[0].time, figures[2].time),
        target: None,
        reproduce: REPRODUCE,
    });

    // The optimised code a quick first run leaves to the background: how
    // long until it is cached.
    let mut until_optimised = Vec::new();
    for _ in 0..runs() {
        let start = Instant::now();
        measured(&mut cold())?;
        settle()?;
        until_optimised.push(start.elapsed());
    }
    let until_optimised = median(&mut until_optimised);
    report.add(Row {
        what: "cold first run until its optimised code is cached (compiled in the background)"
            .into(),
        ours: ms(until_optimised),
        peer: format!("wasmtime compile: {}", ms(figures[1].time)),
        ratio: ratio(until_optimised, figures[1].time),
        target: None,
        reproduce: REPRODUCE,
    });

    for (what, time) in in_process(root, &small)? {
        let (budget, why) = if what.starts_with("instantiate") {
            (Duration::from_micros(300), "budget")
        } else {
            (Duration::from_millis(5), "1% of a 500 ms model call")
        };
        report.add(Row {
            what: format!("{what}, in process"),
            ours: us(time),
            peer: format!("{why}: {}", us(budget)),
            ratio: ratio(time, budget),
            target: Some(Target::AtMost(1.0)),
            reproduce: REPRODUCE,
        });
    }
    bench_dispatch(root, &out, report)?;
    bench_joins(root, asterbot, &out)
}

/// `recipes/polyglot.wac` composed from the store, if its Python and
/// JavaScript components were built.
fn polyglot(root: &Path, asterbot: &Path, out: &Path) -> anyhow::Result<Option<PathBuf>> {
    let store = root.join("target/store");
    if !store.join("example/text-stats-py.wasm").is_file()
        || !store.join("example/units-js.wasm").is_file()
    {
        println!("(no Python or JavaScript toolchain: the large agent's rows are left out)");
        return Ok(None);
    }
    // A copy: composing writes a lock beside the recipe.
    let recipe = out.join("polyglot.wac");
    std::fs::copy(root.join("recipes/polyglot.wac"), &recipe)?;
    let _ = std::fs::remove_file(out.join("polyglot.lock"));
    let agent = out.join("polyglot.wasm");
    run(Command::new(asterbot)
        .args(["compose", "-q", "--deps-dir"])
        .arg(&store)
        .arg("-o")
        .arg(&agent)
        .arg(&recipe))?;
    Ok(Some(agent))
}

/// Median wall time and peak memory of one command.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Wall time.
    pub time: Duration,
    /// Peak resident memory, KiB.
    pub memory: u64,
}

/// The row of peak memory of `what`: `ours` against the peer `(name,
/// figures)`.
pub fn memory_row(
    what: String,
    ours: &Figures,
    (name, peer): (&str, &Figures),
    reproduce: &'static str,
) -> Row {
    Row {
        what: format!("peak memory (max RSS), {what}"),
        ours: format!("{} MiB", ours.memory / 1024),
        peer: format!("{name}: {} MiB", peer.memory / 1024),
        ratio: ours.memory as f64 / peer.memory as f64,
        target: None,
        reproduce,
    }
}

/// Waits until no `asterbot precompile` runs: the optimised compile a
/// quick first run leaves in the background. Linux only, as is `wait4`.
pub fn settle() -> anyhow::Result<()> {
    let start = Instant::now();
    while precompiling() {
        if start.elapsed() > Duration::from_secs(600) {
            bail!("`asterbot precompile` still runs after ten minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Whether an `asterbot precompile` process runs.
fn precompiling() -> bool {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return false;
    };
    processes.flatten().any(|process| {
        let Ok(command_line) = std::fs::read(process.path().join("cmdline")) else {
            return false;
        };
        let mut args = command_line.split(|b| *b == 0);
        let program = args.next().unwrap_or_default();
        program.ends_with(b"asterbot") && args.next() == Some(b"precompile".as_slice())
    })
}

/// Runs each command once untimed (warming caches), then [`runs`] rounds
/// of all of them in turn; the medians of each. After each command, what
/// it left compiling in the background is waited for ([`settle`]), so it
/// slows down no other command.
pub fn alternated(commands: &mut [&dyn Fn() -> Command]) -> anyhow::Result<Vec<Figures>> {
    for command in commands.iter() {
        measured(&mut command())?;
        settle()?;
    }
    let mut samples = vec![(Vec::new(), Vec::new()); commands.len()];
    for _ in 0..runs() {
        for (command, (times, memory)) in commands.iter().zip(&mut samples) {
            let (time, peak) = measured(&mut command())?;
            settle()?;
            times.push(time);
            memory.push(peak);
        }
    }
    Ok(samples
        .into_iter()
        .map(|(mut times, mut memory)| Figures {
            time: median(&mut times),
            memory: median(&mut memory),
        })
        .collect())
}

/// `ours` over `theirs`.
pub fn ratio(ours: Duration, theirs: Duration) -> f64 {
    ours.as_secs_f64() / theirs.as_secs_f64()
}

fn us(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

/// What `runtime/benches/agent.rs` measures for `agent`: instantiating it
/// and one scripted turn, each a median.
fn in_process(root: &Path, agent: &Path) -> anyhow::Result<Vec<(String, Duration)>> {
    cargo_bench(root, "agent", &[("ASTERBOT_BENCH_AGENT", agent)], 2)
}

/// Runs `runtime/benches/NAME.rs` with `env`, optimised unless in a smoke
/// run; the `| what | N µs |` (or `ns`) lines it prints, `rows` of them.
fn cargo_bench(
    root: &Path,
    name: &str,
    env: &[(&str, &Path)],
    rows: usize,
) -> anyhow::Result<Vec<(String, Duration)>> {
    let mut command = cargo();
    command.current_dir(root).args(["bench", "--quiet"]);
    if smoke() {
        // Only that it works: no optimised build of the runtime.
        command.args(["--profile", "dev"]);
    }
    command
        .args(["-p", "asterbot-runtime", "--bench", name])
        .env("ASTERBOT_BENCH_RUNS", runs().to_string());
    for (var, value) in env {
        command.env(var, value);
    }
    let output = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    if !output.status.success() {
        bail!(
            "cargo bench -p asterbot-runtime --bench {name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let found: Vec<(String, Duration)> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).filter(|c| !c.is_empty());
            let what = cells.next()?.to_string();
            let figure = cells.next()?;
            let seconds = if let Some(micros) = figure.strip_suffix(" µs") {
                micros.parse::<f64>().ok()? / 1e6
            } else {
                figure.strip_suffix(" ns")?.parse::<f64>().ok()? / 1e9
            };
            Some((what, Duration::from_secs_f64(seconds)))
        })
        .collect();
    if found.len() != rows {
        bail!(
            "runtime/benches/{name}.rs printed no figures: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(found)
}

/// One tool call through the static link against the host-mediated
/// dynamic dispatch (`runtime/benches/dispatch.rs`): `test:tool-caller`
/// composed with the calculator, and the calculator alone.
fn bench_dispatch(root: &Path, out: &Path, report: &mut Report) -> anyhow::Result<()> {
    for tool in ["calculator", "tools-end"] {
        let recipe = out.join("dispatch.wac");
        std::fs::write(
            &recipe,
            format!(
                "package bench:dispatch;\nlet tool = new asterbot:{tool} {{ ... }};\nlet caller = new test:tool-caller {{ tools: tool.tools, ... }};\nexport caller[\"test:tool-caller/calls\"];\n"
            ),
        )?;
        // Linked by wac: asterbot composes agents, with an entry point,
        // and this has none.
        let linked = out.join(format!("dispatch-{tool}.wasm"));
        let tool_file = root.join(format!("target/store/asterbot/{tool}.wasm"));
        let caller = root
            .join(crate::components::TEST_COMPONENTS)
            .join("test/tool-caller.wasm");
        run(Command::new(crate::bench::find_wac(root)?)
            .args(["compose", "-o"])
            .arg(&linked)
            .arg("--dep")
            .arg(format!("asterbot:{tool}={}", tool_file.display()))
            .arg("--dep")
            .arg(format!("test:tool-caller={}", caller.display()))
            .arg(&recipe))?;
        let rows = cargo_bench(
            root,
            "dispatch",
            &[
                ("ASTERBOT_BENCH_LINKED", &linked),
                ("ASTERBOT_BENCH_TOOL", &tool_file),
            ],
            2,
        )?;
        let [(what, linked), (_, dynamic)] = &rows[..] else {
            unreachable!("two rows")
        };
        report.add(Row {
            what: format!("{what}, in process, against host-mediated dynamic dispatch"),
            ours: format!("{} ns", linked.as_nanos()),
            peer: format!("JSON through the host: {} ns", dynamic.as_nanos()),
            ratio: ratio(*linked, *dynamic),
            target: Some(Target::AtMost(0.1)),
            reproduce: REPRODUCE,
        });
    }
    Ok(())
}

/// Joins between the agent and its calculator in [`bench_joins`].
const JOINS: usize = 10;

/// What joining tools costs: one scripted turn (one `list` through every
/// join, one calculator call) with the calculator as the agent's only
/// tool, and behind [`JOINS`] joins of other tools.
fn bench_joins(root: &Path, asterbot: &Path, out: &Path) -> anyhow::Result<()> {
    println!("\n## joining tools: one scripted turn, in process (median)\n");
    println!("| calculator | one scripted turn |");
    println!("| --- | --- |");
    let mut turns = Vec::new();
    for joins in [0, JOINS] {
        let recipe = out.join(format!("joins-{joins}.wac"));
        std::fs::write(&recipe, join_recipe(joins))?;
        let agent = out.join(format!("joins-{joins}.wasm"));
        run(Command::new(asterbot)
            .args(["compose", "-q", "-o"])
            .arg(&agent)
            .arg(&recipe))?;
        let rows = in_process(root, &agent)?;
        let turn = rows
            .iter()
            .find(|(what, _)| what.contains("one scripted turn"))
            .map_or(Duration::ZERO, |(_, time)| *time);
        println!("| behind {joins} joins | {} |", us(turn));
        turns.push(turn.as_secs_f64() * 1e6);
    }
    println!(
        "\nper join, per turn (a list and a call through it): {:.1} µs",
        (turns[1] - turns[0]) / JOINS as f64
    );
    Ok(())
}

/// An agent whose one calculator sits behind `joins` joins, each adding a
/// clock.
fn join_recipe(joins: usize) -> String {
    let mut recipe = String::from(
        "package bench:joins;\nlet llm = new asterbot:llm-script { ... };\nlet j0 = new asterbot:calculator { ... };\n",
    );
    for i in 1..=joins {
        recipe.push_str(&format!(
            "let c{i} = new asterbot:clock {{ ... }};\nlet j{i} = new asterbot:tools-join {{ first: c{i}.tools, rest: j{}.tools, ... }};\n",
            i - 1
        ));
    }
    recipe.push_str(&format!(
        "let context = new asterbot:context-end {{ ... }};\nlet history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};\nlet core = new asterbot:core {{ llm: llm.llm, tools: j{joins}.tools, context: context.context, history: history.history, ... }};\nlet cli = new asterbot:cli {{ agent: core.agent, ... }};\nexport cli[\"wasi:cli/run@0.2.0\"];\n"
    ));
    recipe
}

/// Runs `command` to completion; its wall time and peak resident memory
/// in KiB.
pub fn measured(command: &mut Command) -> anyhow::Result<(Duration, u64)> {
    let start = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut status = 0;
    // SAFETY: all-zero is a valid `rusage`; `wait4` fills it for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = i32::try_from(child.id())?;
    // SAFETY: `pid` is our own child, not yet waited for.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{command:?} failed (status {status})");
    }
    Ok((elapsed, u64::try_from(usage.ru_maxrss)?))
}
