//! `cargo xtask bench`: composition speed and size, measured against the
//! upstream `wac compose` in the same run.
//!
//! - every shipped recipe: `asterbot compose --no-guards` (the same work)
//!   and `wac compose` with the
//!   same recipe and deps, alternated, median of each and the median of
//!   the pair-by-pair time ratios;
//! - composed size against the sum of the components it embeds;
//! - compose time for a tool chain of 1, 10 and 100 links;
//! - then running an agent ([`crate::bench_run`]), what the per-instance
//!   guards cost ([`crate::bench_guards`]), serving over HTTP
//!   ([`crate::bench_serve`]), and a tool per language
//!   ([`crate::bench_languages`]).

use crate::{cargo, components, run};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs of each command per measurement.
pub const RUNS: usize = 15;

/// Runs only the serving benchmark (`smoke`: a handful of requests, to
/// check that it works).
pub fn serve_only(root: &Path, smoke: bool) -> anyhow::Result<()> {
    components::build(root)?;
    run(cargo()
        .current_dir(root)
        .args(["build", "--quiet", "--release", "--bin", "asterbot"]))?;
    crate::bench_serve::bench_serve(root, &root.join("target/release/asterbot"), smoke)
}

/// Runs the benchmark and prints a report in Markdown.
pub fn bench(root: &Path) -> anyhow::Result<()> {
    components::build(root)?;
    run(cargo()
        .current_dir(root)
        .args(["build", "--quiet", "--release", "--bin", "asterbot"]))?;
    let asterbot = root.join("target/release/asterbot");
    let wac = find_wac(root)?;
    let store = root.join("target/store");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;

    println!("## compose: asterbot against wac ({RUNS} runs each, alternated)\n");
    println!(
        "| recipe | asterbot median | wac median | median ratio (pair by pair) | size / sum of parts |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let mut recipes: Vec<PathBuf> = std::fs::read_dir(root.join("recipes"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wac"))
        .collect();
    recipes.sort();
    for recipe in &recipes {
        let ours = out.join("ours.wasm");
        let theirs = out.join("theirs.wasm");
        let (a, w, ratio) = compare(
            || compose_asterbot(&asterbot, recipe, &store, &ours),
            || compose_wac(&wac, recipe, &store, &theirs),
        )?;
        let size = std::fs::metadata(&ours)?.len() as f64;
        let parts = embedded_size(recipe, &store)?;
        println!(
            "| {} | {} | {} | {ratio:.2} | {:.3} |",
            recipe.file_name().unwrap_or_default().to_string_lossy(),
            ms(a),
            ms(w),
            size / parts
        );
    }

    println!("\n## compose time against the length of the tool chain\n");
    println!("| tools | asterbot median | added per tool since 1 | wac median | median ratio |");
    println!("| --- | --- | --- | --- | --- |");
    let mut base: Option<Duration> = None;
    for tools in [1, 10, 100] {
        let recipe = out.join(format!("chain-{tools}.wac"));
        std::fs::write(&recipe, chain_recipe(tools))?;
        let (a, w, ratio) = compare(
            || compose_asterbot(&asterbot, &recipe, &store, &out.join("chain.wasm")),
            || compose_wac(&wac, &recipe, &store, &out.join("chain-wac.wasm")),
        )?;
        let base = *base.get_or_insert(a);
        let per_tool = match tools {
            1 => "-".to_string(),
            _ => ms(a.saturating_sub(base) / (tools as u32 - 1)),
        };
        println!(
            "| {tools} | {} | {per_tool} | {} | {ratio:.2} |",
            ms(a),
            ms(w)
        );
    }
    println!("\nagainst {} (release asterbot)", version(&wac));
    crate::bench_run::bench_run(root, &asterbot)?;
    crate::bench_guards::bench_guards(root, &asterbot)?;
    crate::bench_serve::bench_serve(root, &asterbot, false)?;
    println!();
    crate::bench_languages::bench_languages(root)?;
    println!("\nreproduce: cargo xtask bench");
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
    for _ in 0..RUNS {
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

/// Times `asterbot compose --no-guards`: the same work as `wac compose`
/// (what the guards add is measured in [`crate::bench_guards`]).
fn compose_asterbot(
    asterbot: &Path,
    recipe: &Path,
    store: &Path,
    out: &Path,
) -> anyhow::Result<Duration> {
    compose_timed(asterbot, recipe, store, out, &["--no-guards"])
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
    let text = std::fs::read_to_string(recipe)?;
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
fn find_wac(root: &Path) -> anyhow::Result<PathBuf> {
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
