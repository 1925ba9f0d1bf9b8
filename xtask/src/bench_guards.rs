//! `cargo xtask bench` (guards part): what the per-instance sandboxes
//! cost. The same recipe composed with and without guards: the artifact's
//! size, and the time of one raw WASI call that a guard stands in front of
//! (`get-environment`, `get-directories`), made by the hostile fixture.

use crate::bench::{compose_timed, median, ms, runs, smoke};
use crate::report::{Report, Row};
use crate::run;
use anyhow::{Context, bail};
use std::path::Path;
use std::process::Command;

/// Calls per timing (a hundred in a smoke run).
fn calls() -> u32 {
    if smoke() { 100 } else { 20_000 }
}

/// The command that reproduces these rows.
const REPRODUCE: &str = "cargo xtask bench guards";

/// A hostile tool with its own box, next to memory (the sandbox test's).
const RECIPE: &str = include_str!("../../tests/fixtures/sandbox.wac");

/// Runs the guard benchmarks with the release `asterbot`.
pub fn bench_guards(root: &Path, asterbot: &Path, report: &mut Report) -> anyhow::Result<()> {
    let out = root.join("target/bench/guards");
    let state = out.join("state");
    std::fs::create_dir_all(state.join("box"))?;
    std::fs::create_dir_all(out.join("scripts"))?;
    std::fs::write(
        out.join("scripts/script.json"),
        r#"{"rules":[{"on":"tool","reply":"{result}"},{"match":"^try (.+)","call":[{"tool":"hostile","arguments":{"try":"{1}"}}]}]}"#,
    )?;
    let recipe = out.join("guards.wac");
    std::fs::write(&recipe, RECIPE)?;
    let guarded = out.join("guarded.wasm");
    let unguarded = out.join("unguarded.wasm");
    for (agent, flags) in [(&guarded, &[][..]), (&unguarded, &["--no-guards"][..])] {
        run(Command::new(asterbot)
            .args(["compose", "-q", "-o"])
            .arg(agent)
            .args(flags)
            .arg("--deps-dir")
            .arg(root.join(crate::components::TEST_COMPONENTS))
            .arg(&recipe))?;
    }
    let store = root.join("target/store");
    let offline = root.join("recipes/offline.wac");
    let (mut guarded_times, mut plain_times) = (Vec::new(), Vec::new());
    for _ in 0..runs() {
        guarded_times.push(compose_timed(
            asterbot,
            &offline,
            &store,
            &out.join("o.wasm"),
            &[],
        )?);
        plain_times.push(compose_timed(
            asterbot,
            &offline,
            &store,
            &out.join("o.wasm"),
            &["--no-guards"],
        )?);
    }
    let size = |path: &Path| std::fs::metadata(path).map(|m| m.len());
    let (with, without) = (size(&guarded)?, size(&unguarded)?);

    let (a, b) = (median(&mut guarded_times), median(&mut plain_times));
    report.add(Row {
        what: "compose `offline.wac` with guards, against without".into(),
        ours: ms(a),
        peer: format!("without guards: {}", ms(b)),
        ratio: a.as_secs_f64() / b.as_secs_f64(),
        target: None,
        reproduce: REPRODUCE,
    });
    report.add(Row {
        what: "size of the sandbox test's recipe with guards, against without".into(),
        ours: format!("{} KiB", with / 1024),
        peer: format!("without guards: {} KiB", without / 1024),
        ratio: with as f64 / without as f64,
        target: None,
        reproduce: REPRODUCE,
    });
    for what in ["env", "dirs"] {
        let call = |agent: &Path| per_call(asterbot, agent, &out, &state, what);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..runs().min(5) {
            a.push(call(&guarded)?);
            b.push(call(&unguarded)?);
        }
        let (a, b) = (median(&mut a), median(&mut b));
        let name = match what {
            "env" => "`get-environment`",
            _ => "`get-directories`",
        };
        report.add(Row {
            what: format!("one {name} call through its guard, against unguarded"),
            ours: format!("{a} ns"),
            peer: format!("unguarded: {b} ns"),
            ratio: a as f64 / b.max(1) as f64,
            target: None,
            reproduce: REPRODUCE,
        });
    }
    Ok(())
}

/// Nanoseconds per call of `what`, timed inside the fixture.
fn per_call(
    asterbot: &Path,
    agent: &Path,
    out: &Path,
    state: &Path,
    what: &str,
) -> anyhow::Result<u64> {
    let output = Command::new(asterbot)
        .env("ASTERBOT_CACHE_DIR", out.join("cache"))
        .arg("run")
        .arg(agent)
        .arg("--dir")
        .arg(format!("{}::/state", state.display()))
        .arg("--dir")
        .arg(format!("{}::/scripts", out.join("scripts").display()))
        .args([
            "--env",
            "ASTERBOT_SCRIPT=/scripts/script.json",
            "--env",
            "HOME=/home",
        ])
        .arg(format!("try bench {what} {}", calls()))
        .output()?;
    let answer = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "the guard bench failed: {answer}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    answer
        .trim()
        .strip_suffix(" ns")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("unexpected answer from the fixture: {answer}"))
}
