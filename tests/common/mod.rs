//! Helpers shared by the integration tests: composing recipes with the
//! `asterbot` binary and running the result.

#![allow(dead_code)]

pub mod http_peer;
pub mod providers;
pub mod pty;
pub mod redis;
pub mod serving;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `asterbot` binary under test.
pub fn asterbot() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asterbot"));
    // Compiled agents are cached under target/, not in the user's home,
    // with the cache's key beside it (outside it).
    command
        .current_dir(repo())
        .env_remove("ASTERBOT_STORE")
        .env("ASTERBOT_CACHE_DIR", repo().join("target/test-cache"))
        .env(
            "ASTERBOT_CACHE_KEY",
            repo().join("target/test-cache-key/cache.key"),
        );
    command
}

/// A shell command line running the `asterbot` under test with `args`
/// and the tests' compile cache, for programs started through a shell
/// (the terminal harness).
pub fn asterbot_command_line(args: &str) -> String {
    format!(
        "ASTERBOT_CACHE_DIR={} ASTERBOT_CACHE_KEY={} {} {args}",
        repo().join("target/test-cache").display(),
        repo().join("target/test-cache-key/cache.key").display(),
        env!("CARGO_BIN_EXE_asterbot"),
    )
}

/// asterbot's components laid out as a `--deps-dir` folder, for the
/// upstream `wac` CLI and for tests that need a component file; the tests
/// need `cargo xtask build` first.
pub fn store() -> PathBuf {
    let store = repo().join("target/store");
    assert!(
        store.join("asterbot/core.wasm").is_file(),
        "the component store is empty: run the tests with `cargo xtask test` (or `cargo xtask build` first)"
    );
    store
}

/// The test fixtures (`test:hostile`, `test:misbehave`) as a `--deps-dir`
/// folder: they never enter a store users compose from.
pub fn test_components() -> PathBuf {
    let dir = repo().join("target/test-components");
    assert!(
        dir.join("test/hostile.wasm").is_file(),
        "the test fixtures are not built: run the tests with `cargo xtask test` (or `cargo xtask build` first)"
    );
    dir
}

/// Runs `asterbot compose recipe -o out` with the test fixtures at hand
/// and `flags`.
pub fn compose_with(recipe: &Path, out: &Path, flags: &[String]) -> Output {
    asterbot()
        .arg("compose")
        .arg(recipe)
        .arg("-o")
        .arg(out)
        .arg("--deps-dir")
        .arg(test_components())
        .args(flags)
        .output()
        .expect("asterbot runs")
}

/// Composes `recipe` into `out`, panicking with the diagnostic on failure.
pub fn compose(recipe: &Path, out: &Path) {
    let output = compose_with(recipe, out, &[]);
    assert!(
        output.status.success(),
        "composing {} failed:\n{}",
        recipe.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Composes a recipe given as text, in `dir`, and returns the agent's path.
pub fn compose_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let recipe = dir.join(format!("{name}.wac"));
    std::fs::write(&recipe, text).unwrap();
    let agent = dir.join(format!("{name}.wasm"));
    compose(&recipe, &agent);
    agent
}

/// `recipe` with `from` replaced by `to`, asserting that this changes
/// exactly one line: the promise of a one-line capability swap.
pub fn swap_one_line(recipe: &str, from: &str, to: &str) -> String {
    let swapped = recipe.replace(from, to);
    let changed = recipe
        .lines()
        .zip(swapped.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        changed, 1,
        "swapping `{from}` for `{to}` must change exactly one line"
    );
    swapped
}

/// Writes `script` as `dir/scripts/script.json` and returns the runner
/// flags that give it to `llm-script`: the folder as `/scripts` (which the
/// shipped recipes allow it to read) and `ASTERBOT_SCRIPT`.
pub fn script_flags(dir: &Path, script: &str) -> Vec<String> {
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(scripts.join("script.json"), script).unwrap();
    vec![
        "--dir".into(),
        format!("{}::/scripts", scripts.display()),
        "--env".into(),
        "ASTERBOT_SCRIPT=/scripts/script.json".into(),
    ]
}

/// `flags` as the `&str`s [`run`] takes.
pub fn strs(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

/// Runs `agent` with `asterbot run`, extra runner flags, and `message`.
pub fn run(agent: &Path, flags: &[&str], message: &str) -> Output {
    asterbot()
        .arg("run")
        .arg(agent)
        .args(flags)
        .arg(message)
        .stdin(Stdio::null())
        .output()
        .expect("asterbot runs")
}

/// Runs `agent` with `input` on standard input.
pub fn run_stdin(agent: &Path, flags: &[&str], input: &str) -> Output {
    with_stdin(asterbot().arg("run").arg(agent).args(flags), input)
}

/// Runs `command` with `input` on standard input, capturing its output.
pub fn with_stdin(command: &mut Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// What the user said in `session`, in order, from the history file in
/// the state folder `state`.
pub fn user_turns(state: &Path, session: &str) -> Vec<String> {
    let path = state.join(format!("history/{session}.json"));
    user_messages(&std::fs::read_to_string(&path).unwrap())
}

/// The user's messages of a stored history (`text`: its JSON), in order.
pub fn user_messages(text: &str) -> Vec<String> {
    let history: serde_json::Value = serde_json::from_str(text).expect("valid history JSON");
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

/// The standard output of a successful run, trimmed.
pub fn reply(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the run failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The standard error of a failed run.
pub fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "the run should have failed:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The offline agent, composed once per test binary into a temp folder.
pub fn offline_agent() -> &'static Path {
    static AGENT: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = AGENT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offline.wasm");
        compose(&repo().join("recipes/offline.wac"), &path);
        (dir, path)
    });
    path
}

/// The variable that lets tests skip a missing peer: a comma-separated
/// list of peer names (`wasmtime,jco`), or `all`.
pub const SKIP_PEERS: &str = "ASTERBOT_SKIP_PEERS";

/// A peer tool (`wasmtime`, `wac`, `jco`, `script`). A missing peer fails
/// the test (`.ci/run` installs them all), unless `ASTERBOT_SKIP_PEERS`
/// names it: then the caller skips, with a note.
pub fn peer_tool(name: &str, install: &str) -> Option<Command> {
    peer_tool_probed(name, "--version", install)
}

/// As [`peer_tool`], for a tool whose version flag is `probe` (HAProxy
/// answers `-v`, and fails on `--version`).
pub fn peer_tool_probed(name: &str, probe: &str, install: &str) -> Option<Command> {
    let found = Command::new(name)
        .arg(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(Command::new(name));
    }
    skip_missing_peer(name, install)
}

/// Python 3 with `module` importable (the peer is named after the module:
/// `openai`), to run `python3 -c ...` with.
pub fn peer_python_module(module: &str, install: &str) -> Option<Command> {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(Command::new("python3"));
    }
    skip_missing_peer(module, install)
}

/// Fails the test for a missing peer, unless `ASTERBOT_SKIP_PEERS` names
/// it: then `None`, with a note.
fn skip_missing_peer(name: &str, install: &str) -> Option<Command> {
    let skipped = std::env::var(SKIP_PEERS).unwrap_or_default();
    let skip = skipped
        .split(',')
        .map(str::trim)
        .any(|peer| peer == name || peer == "all");
    assert!(
        skip,
        "this test needs the {name} CLI ({install}); to skip it where {name} cannot be had, set {SKIP_PEERS}={name}"
    );
    eprintln!("note: {name} not found ({install}); skipped, as {SKIP_PEERS} asks");
    None
}

/// The components written in Python and JavaScript (`example:` in the
/// store), each with the toolchain that builds it.
pub const POLYGLOT: [(&str, &str, &str); 2] = [
    (
        "text-stats-py",
        "componentize-py",
        "python3 -m pip install componentize-py==0.25.1",
    ),
    (
        "units-js",
        "componentize-js",
        "npm install --prefix target/tools/node @bytecodealliance/componentize-js@0.23",
    ),
];

/// `recipes/polyglot.wac`, composed once per test binary from the store
/// `cargo xtask build` fills (the large Python and JavaScript components
/// are built once, by it). `None` when a toolchain was missing and
/// `ASTERBOT_SKIP_PEERS` names it.
pub fn polyglot_agent() -> Option<&'static Path> {
    static AGENT: std::sync::OnceLock<Option<(tempfile::TempDir, PathBuf)>> =
        std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            for (name, toolchain, install) in POLYGLOT {
                if !store().join(format!("example/{name}.wasm")).is_file() {
                    skip_missing_peer(toolchain, install)?;
                }
            }
            let dir = tempfile::tempdir().unwrap();
            let recipe = dir.path().join("polyglot.wac");
            std::fs::copy(repo().join("recipes/polyglot.wac"), &recipe).unwrap();
            let path = dir.path().join("polyglot.wasm");
            let flags = ["--deps-dir".to_string(), store().display().to_string()];
            let output = compose_with(&recipe, &path, &flags);
            assert!(
                output.status.success(),
                "composing polyglot.wac failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some((dir, path))
        })
        .as_ref()
        .map(|(_, path)| path.as_path())
}
