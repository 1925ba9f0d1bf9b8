//! Repository tasks, run as `cargo xtask <task>`:
//!
//! - `build`: build the components (wasm32-wasip2) and stage them in the
//!   store `asterbot compose` reads, `target/store/asterbot/<name>.wasm`;
//! - `demo`: build everything, compose `recipes/offline.wac` and hold a
//!   short conversation with it;
//! - `test`: build the components, then run every test;
//! - `locks`: pin the components of every recipe in the repository again
//!   (after a deliberate change to a component), in their lock files;
//! - `bench`: compose speed and size against `wac compose`, and running
//!   an agent against `wasmtime run`.

mod bench;
mod bench_guards;
mod bench_languages;
mod bench_run;
mod bench_serve;
mod bench_serve_load;
mod bench_upstream;
mod components;
mod polyglot;
mod report;

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = repo_root();
    match task.as_str() {
        "build" => components::build(&root),
        "demo" => demo(&root),
        "test" => test(&root),
        "bench" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let smoke = args.iter().any(|a| a == "--smoke");
            let parts: Vec<String> = args.into_iter().filter(|a| a != "--smoke").collect();
            if let Some(unknown) = parts.iter().find(|p| !bench::PARTS.contains(&p.as_str())) {
                anyhow::bail!(
                    "unknown benchmark `{unknown}`: use {} or none (all), and `--smoke` for one quick iteration",
                    bench::PARTS.join(", ")
                );
            }
            bench::bench(&root, &parts, smoke)
        }
        "locks" => locks(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <build|demo|test|locks|bench>\n\n  build  build the components into target/store\n  demo   compose recipes/offline.wac and talk to it\n  test   build the components and run every test\n  locks  pin the components of the repository's recipes again\n  bench  every benchmark against its peer, into bench/results/ (a table and a chart)\n         `bench run serve` only those parts (compose, run, guards, serve, serve-load, languages);\n         `bench --smoke` one iteration with the debug build, to check the harness"
            );
            std::process::exit(2);
        }
    }
}

/// The repository root: the parent of this crate's folder.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// Runs `command`, echoing it first, and fails if it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}").replace('"', "");
    let status = command
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Composes the offline recipe and holds a short conversation with it,
/// one process a turn, its memory in a fresh `target/demo-state`.
fn demo(root: &Path) -> anyhow::Result<()> {
    components::build(root)?;
    eprintln!("building asterbot (the first build compiles wasmtime: minutes)");
    run(cargo()
        .current_dir(root)
        .args(["build", "--bin", "asterbot"]))?;
    let asterbot = root.join("target/debug/asterbot");
    let agent = "target/agent.wasm";
    println!("$ asterbot compose recipes/offline.wac -o {agent}");
    run(Command::new(&asterbot).current_dir(root).args([
        "compose",
        "recipes/offline.wac",
        "-o",
        agent,
    ]))?;
    // A fresh state folder each time, so the demo reads the same twice.
    let state = "target/demo-state";
    let _ = std::fs::remove_dir_all(root.join(state));
    std::fs::create_dir_all(root.join(state))?;
    let grant = format!("{state}::/state");
    let messages = [
        "hello",
        "what is 6 * 7?",
        "what time is it?",
        "remember that I like green tea",
        "what do you remember?",
        "who are you?",
    ];
    for message in messages {
        println!("\n$ asterbot run {agent} --dir {grant} \"{message}\"");
        run(Command::new(&asterbot)
            .current_dir(root)
            .args(["run", agent, "--dir", &grant, message]))?;
    }
    Ok(())
}

/// The recipes in the repository that carry a lock file: the shipped
/// ones and the sandbox test's.
const LOCKED_RECIPES: [&str; 2] = ["recipes", "tests/fixtures"];

/// Composes every recipe of [`LOCKED_RECIPES`] that has a lock file with
/// `--update-lock`, after a deliberate change to a component; review the
/// locks' diff after.
fn locks(root: &Path) -> anyhow::Result<()> {
    components::build(root)?;
    run(cargo()
        .current_dir(root)
        .args(["build", "--quiet", "--bin", "asterbot"]))?;
    let asterbot = root.join("target/debug/asterbot");
    for folder in LOCKED_RECIPES {
        let mut recipes: Vec<PathBuf> = std::fs::read_dir(root.join(folder))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        // Only those that carry a lock: `polyglot.wac` has none, as the
        // Python and JavaScript builds are not byte-for-byte reproducible.
        recipes.retain(|path| {
            path.extension().is_some_and(|e| e == "wac") && path.with_extension("lock").is_file()
        });
        recipes.sort();
        for recipe in recipes {
            run(Command::new(&asterbot)
                .current_dir(root)
                .arg("compose")
                .arg(&recipe)
                .args(["-o", "target/locked-agent.wasm", "--quiet", "--update-lock"])
                .args(["--deps-dir", components::TEST_COMPONENTS]))?;
        }
    }
    Ok(())
}

/// Builds the components and runs the host and component test suites.
/// Component unit tests run natively (`--lib`: a native cdylib of a
/// component cannot link, its export names are WIT names).
fn test(root: &Path) -> anyhow::Result<()> {
    components::build(root)?;
    run(cargo().current_dir(root).args([
        "test",
        "--manifest-path",
        "components/Cargo.toml",
        "--workspace",
    ]))?;
    run(cargo().current_dir(root).args(["test", "--workspace"]))
}
