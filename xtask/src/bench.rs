//! `cargo xtask bench`: every benchmark, each figure against a peer
//! measured in the same run, written as a table and a chart of the ratios
//! to `bench/results/` ([`crate::report`]).
//!
//! - compose: every shipped recipe with and without guards against `wac
//!   compose` (alternated, medians and the median of the pair-by-pair
//!   ratios), the composed size against the sum of its parts, and tool
//!   chains of 1, 10 and 100 links;
//! - run: a turn as a whole process against the wasmtime CLI, warm and
//!   cold, small and large, and in process ([`crate::bench_run`]);
//! - guards: what the per-instance sandboxes cost ([`crate::bench_guards`]);
//! - serve: serving over HTTP against `wasmtime serve`
//!   ([`crate::bench_serve`]);
//! - serve-load: serving at concurrency 1, 16 and 64 with 10 and 10,000
//!   sessions stored, on every store, against `wasmtime serve`
//!   ([`crate::bench_serve_load`]);
//! - languages: a tool per language ([`crate::bench_languages`]);
//! - upstream: a turn against the upstream asterai runtime, when it is set
//!   up ([`crate::bench_upstream`]).
//!
//! `--smoke` runs everything once with the debug build, to show that the
//! harness works (CI does), and writes to `target/bench/smoke/`.

use crate::report::{Report, Row, Target};
use crate::{cargo, components, run};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Runs of each command per measurement.
const RUNS: usize = 15;

/// Whether this is a smoke run: one iteration of everything, to show the
/// harness works (CI), its figures meaningless.
static SMOKE: AtomicBool = AtomicBool::new(false);

/// Whether this is a smoke run.
pub fn smoke() -> bool {
    SMOKE.load(Ordering::Relaxed)
}

/// Runs of each command per measurement: [`RUNS`], or one in a smoke run.
pub fn runs() -> usize {
    if smoke() { 1 } else { RUNS }
}

/// The parts of the benchmark, by the name that runs one alone.
pub const PARTS: [&str; 7] = [
    "compose",
    "run",
    "guards",
    "serve",
    "serve-load",
    "languages",
    "upstream",
];

/// Runs the benchmark's `parts` (all when empty), writes the table and
/// the chart to `bench/results/` (`target/bench/smoke/` in a smoke run)
/// and prints the table.
pub fn bench(root: &Path, parts: &[String], smoke: bool) -> anyhow::Result<()> {
    SMOKE.store(smoke, Ordering::Relaxed);
    let all = parts.is_empty();
    let wanted = |part: &str| all || parts.iter().any(|p| p == part);
    components::build(root)?;
    // A smoke run only checks the harness: the debug build will do.
    let mut build = cargo();
    build
        .current_dir(root)
        .args(["build", "--quiet", "--bin", "asterbot"]);
    if !smoke {
        build.arg("--release");
    }
    run(&mut build)?;
    let asterbot = root.join(if smoke {
        "target/debug/asterbot"
    } else {
        "target/release/asterbot"
    });
    let mut report = Report::default();
    if wanted("compose") {
        bench_compose(root, &asterbot, &mut report)?;
    }
    if wanted("run") {
        crate::bench_run::bench_run(root, &asterbot, &mut report)?;
    }
    if wanted("guards") {
        crate::bench_guards::bench_guards(root, &asterbot, &mut report)?;
    }
    if wanted("serve") {
        crate::bench_serve::bench_serve(root, &asterbot, smoke, &mut report)?;
    }
    if wanted("serve-load") {
        crate::bench_serve_load::bench_serve_load(root, &asterbot, smoke, &mut report)?;
    }
    if wanted("languages") {
        crate::bench_languages::bench_languages(root, &mut report)?;
    }
    if wanted("upstream") {
        crate::bench_upstream::bench_upstream(root, &asterbot, &mut report)?;
    }
    let dir = root.join(if smoke {
        "target/bench/smoke"
    } else {
        "bench/results"
    });
    let title = format!(
        "asterbot benchmark{}",
        if smoke {
            " (smoke run: one iteration, figures meaningless)"
        } else {
            ""
        }
    );
    let context = format!(
        "Measured on {}. Each ratio is asterbot's figure over its peer's, both measured in the same run; the chart (`ratios.svg`) shows those with a target. Reproduce all with `cargo xtask bench`.",
        machine()
    );
    report.write(&dir, &title, &context)?;
    println!("\n{}", report.markdown(&title, &context));
    println!(
        "written: {}, {}",
        dir.join("results.md").display(),
        dir.join("ratios.svg").display()
    );
    let missed: Vec<&str> = report.missed().map(|row| row.what.as_str()).collect();
    if !missed.is_empty() {
        println!("targets missed ({}): {}", missed.len(), missed.join("; "));
    }
    Ok(())
}

/// The processors this ran on, for the record.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown processor".into());
    format!("{cpus} × {model}")
}

/// Compose time and size against `wac compose`.
fn bench_compose(root: &Path, asterbot: &Path, report: &mut Report) -> anyhow::Result<()> {
    let wac = find_wac(root)?;
    let store = root.join("target/store");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    const REPRODUCE: &str = "cargo xtask bench compose";

    println!(
        "## compose: asterbot against wac ({} runs each, alternated)\n",
        runs()
    );
    let mut recipes: Vec<PathBuf> = std::fs::read_dir(root.join("recipes"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wac"))
        .collect();
    recipes.sort();
    for recipe in &recipes {
        let name = recipe.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(recipe)?;
        if text.contains("new example:") && !store.join("example").is_dir() {
            continue;
        }
        let ours = out.join("ours.wasm");
        let theirs = out.join("theirs.wasm");
        for guards in [false, true] {
            let flags: &[&str] = if guards { &[] } else { &["--no-guards"] };
            let (a, w, ratio) = compare(
                || compose_timed(asterbot, recipe, &store, &ours, flags),
                || compose_wac(&wac, recipe, &store, &theirs),
            )?;
            report.add(Row {
                what: format!(
                    "compose `{name}` {}, against `wac compose`",
                    if guards {
                        "with guards"
                    } else {
                        "without guards (the same work)"
                    }
                ),
                ours: ms(a),
                peer: format!("wac: {}", ms(w)),
                ratio,
                target: guards.then_some(Target::AtMost(1.0)),
                reproduce: REPRODUCE,
            });
        }
        let size = std::fs::metadata(&ours)?.len() as f64;
        let parts = embedded_size(recipe, &store)?;
        report.add(Row {
            what: format!("size of `{name}` composed, against the sum of its parts"),
            ours: format!("{:.0} KiB", size / 1024.0),
            peer: format!("parts: {:.0} KiB", parts / 1024.0),
            ratio: size / parts,
            target: None,
            reproduce: REPRODUCE,
        });
    }

    let mut base: Option<Duration> = None;
    for tools in [1, 10, 100] {
        let recipe = out.join(format!("chain-{tools}.wac"));
        std::fs::write(&recipe, chain_recipe(tools))?;
        let (a, w, ratio) = compare(
            || compose_timed(asterbot, &recipe, &store, &out.join("chain.wasm"), &[]),
            || compose_wac(&wac, &recipe, &store, &out.join("chain-wac.wasm")),
        )?;
        let base = *base.get_or_insert(a);
        let per_tool = match tools {
            1 => String::new(),
            _ => format!(
                " ({} per tool added)",
                ms(a.saturating_sub(base) / (tools as u32 - 1))
            ),
        };
        report.add(Row {
            what: format!("compose a chain of {tools} tools with guards, against `wac compose`"),
            ours: format!("{}{per_tool}", ms(a)),
            peer: format!("wac: {}", ms(w)),
            ratio,
            target: None,
            reproduce: REPRODUCE,
        });
    }
    println!("against {}", version(&wac));
    Ok(())
}

/// Times `ours` and `theirs` alternately; (median ours, median theirs,
/// median of the per-pair ratios ours/theirs).
fn compare(
    mut ours: impl FnMut() -> anyhow::Result<Duration>,
    mut theirs: impl FnMut() -> anyhow::Result<Duration>,
) -> anyhow::Result<(Duration, Duration, f64)> {
    // One untimed round warms the file cache for both.
    ours()?;
    theirs()?;
    let (mut a, mut w, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs() {
        let x = ours()?;
        let y = theirs()?;
        ratios.push(x.as_secs_f64() / y.as_secs_f64());
        a.push(x);
        w.push(y);
    }
    Ok((median(&mut a), median(&mut w), median(&mut ratios)))
}

pub fn median<T: PartialOrd + Copy>(values: &mut [T]) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    values[values.len() / 2]
}

/// Wall time of a command that must succeed.
pub fn timed(command: &mut Command) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let output = command.stdin(Stdio::null()).output()?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        bail!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

/// Times one `asterbot compose` of `recipe` with `flags`.
pub fn compose_timed(
    asterbot: &Path,
    recipe: &Path,
    store: &Path,
    out: &Path,
    flags: &[&str],
) -> anyhow::Result<Duration> {
    timed(
        Command::new(asterbot)
            .arg("compose")
            .arg(recipe)
            .arg("--store")
            .arg(store)
            .args(flags)
            .arg("-q")
            .arg("-o")
            .arg(out),
    )
}

fn compose_wac(wac: &Path, recipe: &Path, store: &Path, out: &Path) -> anyhow::Result<Duration> {
    timed(
        Command::new(wac)
            .arg("compose")
            .arg("--deps-dir")
            .arg(store)
            .arg(recipe)
            .arg("-o")
            .arg(out),
    )
}

/// The sum of the sizes of the distinct components a recipe instantiates.
fn embedded_size(recipe: &Path, store: &Path) -> anyhow::Result<f64> {
    let text: String = std::fs::read_to_string(recipe)?
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names: Vec<&str> = text
        .split("new ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    names.sort();
    names.dedup();
    let mut total = 0u64;
    for name in names {
        let (namespace, package) = name.split_once(':').context("package name without `:`")?;
        total += std::fs::metadata(store.join(namespace).join(format!("{package}.wasm")))?.len();
    }
    Ok(total as f64)
}

/// An offline agent with `tools` calculators, each one line and joined by
/// one more (the first stands alone).
fn chain_recipe(tools: usize) -> String {
    let mut recipe = String::from(
        "package bench:chain;\nlet llm = new asterbot:llm-script { ... };\nlet t1 = new asterbot:calculator { ... };\n",
    );
    for i in 2..=tools {
        recipe.push_str(&format!(
            "let c{i} = new asterbot:calculator {{ ... }};\nlet t{i} = new asterbot:tools-join {{ first: c{i}.tools, rest: t{}.tools, ... }};\n",
            i - 1
        ));
    }
    recipe.push_str(&format!(
        "let context = new asterbot:context-end {{ ... }};\nlet history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};\nlet core = new asterbot:core {{ llm: llm.llm, tools: t{tools}.tools, context: context.context, history: history.history, ... }};\nlet cli = new asterbot:cli {{ agent: core.agent, ... }};\nexport cli[\"wasi:cli/run@0.2.0\"];\n"
    ));
    recipe
}

/// `wac` from PATH, or the copy `.ci/run` installs under `target/tools`.
pub fn find_wac(root: &Path) -> anyhow::Result<PathBuf> {
    let local = root.join("target/tools/bin/wac");
    if local.is_file() {
        return Ok(local);
    }
    if Command::new("wac")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(PathBuf::from("wac"));
    }
    bail!(
        "the benchmark compares against wac: cargo install wac-cli --version 0.12.0 --no-default-features --locked --root target/tools"
    )
}

fn version(wac: &Path) -> String {
    Command::new(wac)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
