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
        report.add(Row {
            what: format!("peak memory (max RSS), warm turn, {what}"),
            ours: format!("{} MiB", ours.memory / 1024),
            peer: format!("wasmtime run: {} MiB", default.memory / 1024),
            ratio: ours.memory as f64 / default.memory as f64,
            target: None,
            reproduce: REPRODUCE,
        });
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
struct Figures {
    time: Duration,
    memory: u64,
}

/// Runs each command once untimed (warming caches), then [`runs`] rounds
/// of all of them in turn; the medians of each.
fn alternated(commands: &mut [&dyn Fn() -> Command]) -> anyhow::Result<Vec<Figures>> {
    for command in commands.iter() {
        measured(&mut command())?;
    }
    let mut samples = vec![(Vec::new(), Vec::new()); commands.len()];
    for _ in 0..runs() {
        for (command, (times, memory)) in commands.iter().zip(&mut samples) {
            let (time, peak) = measured(&mut command())?;
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

fn ratio(ours: Duration, theirs: Duration) -> f64 {
    ours.as_secs_f64() / theirs.as_secs_f64()
}

fn us(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

/// What `runtime/benches/agent.rs` measures for `agent`: instantiating it
/// and one scripted turn, each a median.
fn in_process(root: &Path, agent: &Path) -> anyhow::Result<Vec<(String, Duration)>> {
    let mut command = cargo();
    command.current_dir(root).args(["bench", "--quiet"]);
    if smoke() {
        // Only that it works: no optimised build of the runtime.
        command.args(["--profile", "dev"]);
    }
    let output = command
        .args(["-p", "asterbot-runtime", "--bench", "agent"])
        .env("ASTERBOT_BENCH_AGENT", agent)
        .env("ASTERBOT_BENCH_RUNS", runs().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    if !output.status.success() {
        bail!(
            "cargo bench -p asterbot-runtime failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let rows: Vec<(String, Duration)> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).filter(|c| !c.is_empty());
            let what = cells.next()?.to_string();
            let micros: f64 = cells.next()?.strip_suffix(" µs")?.parse().ok()?;
            Some((what, Duration::from_secs_f64(micros / 1e6)))
        })
        .collect();
    if rows.len() != 2 {
        bail!(
            "runtime/benches/agent.rs printed no figures: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(rows)
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
fn measured(command: &mut Command) -> anyhow::Result<(Duration, u64)> {
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
