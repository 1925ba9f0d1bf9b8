//! `cargo xtask bench languages`: what a tool costs in each language. The
//! same small tool contract (`list`) in Rust (`calculator`), Python
//! (`text-stats-py`) and JavaScript (`units-js`): the component's size,
//! the time `wasmtime compile` takes, and a warm start-up (instantiate
//! the precompiled component and call `list`) under the wasmtime CLI.
//! Ratios are against the Rust tool, measured in the same run.

use crate::bench::{median, ms, runs, timed};
use crate::bench_serve::{real_wasmtime, version};
use crate::report::{Report, Row};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The tools compared: language, and the component in `target/store`.
const TOOLS: [(&str, &str); 3] = [
    ("Rust", "asterbot/calculator.wasm"),
    ("Python", "example/text-stats-py.wasm"),
    ("JavaScript", "example/units-js.wasm"),
];

/// The call timed: `tools.call` of a tool nobody offers.
const INVOKE: &str = r#"call("none", "{}")"#;

/// Compilations per tool: each takes seconds for the large components.
fn compiles() -> usize {
    runs().min(5)
}

/// Prints the table in Markdown; the Python and JavaScript rows go into
/// `report` too.
pub fn bench_languages(root: &Path, report: &mut Report) -> anyhow::Result<()> {
    let wasmtime = real_wasmtime()?;
    let out = root.join("target/bench/languages");
    std::fs::create_dir_all(&out)?;
    println!(
        "## one tool per language ({}; compile: median of {}; start-up: median of {})\n",
        version(&wasmtime),
        compiles(),
        runs()
    );
    println!("| language | component | size | compile | warm start-up and one call |");
    println!("| --- | --- | --- | --- | --- |");
    let mut rust: Option<(u64, Duration, Duration)> = None;
    for (language, file) in TOOLS {
        let component = root.join("target/store").join(file);
        if !component.is_file() {
            println!(
                "| {language} | `{file}` | not built (its toolchain is missing: see `cargo xtask build`) | | |"
            );
            continue;
        }
        let size = std::fs::metadata(&component)?.len();
        let compiled = out.join(format!("{language}.cwasm"));
        let mut compiles: Vec<Duration> = (0..compiles())
            .map(|_| {
                timed(
                    Command::new(&wasmtime)
                        .args(["compile", "-C", "cache=n", "-o"])
                        .arg(&compiled)
                        .arg(&component),
                )
            })
            .collect::<anyhow::Result<_>>()?;
        let mut starts: Vec<Duration> = (0..runs())
            .map(|_| {
                timed(
                    Command::new(&wasmtime)
                        .args(["run", "--allow-precompiled", "--invoke", INVOKE])
                        .arg(&compiled),
                )
            })
            .collect::<anyhow::Result<_>>()?;
        let (compile, start) = (median(&mut compiles), median(&mut starts));
        let against = |ours: f64, theirs: f64| match rust {
            Some(_) if language != "Rust" => format!(" ({:.1}× Rust)", ours / theirs),
            _ => String::new(),
        };
        let (rust_size, rust_compile, rust_start) = rust.unwrap_or((size, compile, start));
        println!(
            "| {language} | `{file}` | {}{} | {}{} | {}{} |",
            megabytes(size),
            against(size as f64, rust_size as f64),
            ms(compile),
            against(compile.as_secs_f64(), rust_compile.as_secs_f64()),
            ms(start),
            against(start.as_secs_f64(), rust_start.as_secs_f64()),
        );
        if let Some((rust_size, rust_compile, rust_start)) = rust {
            for (what, ours, theirs, ratio) in [
                (
                    "size",
                    megabytes(size),
                    megabytes(rust_size),
                    size as f64 / rust_size as f64,
                ),
                (
                    "compile time",
                    ms(compile),
                    ms(rust_compile),
                    compile.as_secs_f64() / rust_compile.as_secs_f64(),
                ),
                (
                    "warm start-up and one call",
                    ms(start),
                    ms(rust_start),
                    start.as_secs_f64() / rust_start.as_secs_f64(),
                ),
            ] {
                report.add(Row {
                    what: format!("a {language} tool's {what}, against a Rust tool's"),
                    ours,
                    peer: format!("Rust: {theirs}"),
                    ratio,
                    target: None,
                    reproduce: "cargo xtask bench languages",
                });
            }
        } else {
            rust = Some((size, compile, start));
        }
    }
    println!(
        "\nreproduce: `cargo xtask bench languages` (needs componentize-py and componentize-js for the last two rows)"
    );
    Ok(())
}

/// A size in MB, to two significant places below 1 MB.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb < 1.0 {
        format!("{mb:.2} MB")
    } else {
        format!("{mb:.1} MB")
    }
}
