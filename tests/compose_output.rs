//! What `compose` and `check` write and print: the artifact to a file or
//! standard output, binary or text, and the table of runtime imports.

mod common;

use common::{asterbot, offline_agent, repo};

fn compose(args: &[&str]) -> std::process::Output {
    asterbot()
        .args(["compose", "recipes/offline.wac"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_imports_table_names_each_interface_and_the_instances_needing_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("agent.wasm");
    let output = compose(&["-o", out.to_str().unwrap(), "--verbose"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("the runtime must provide:"), "{stderr}");
    let line = |interface: &str| {
        stderr
            .lines()
            .find(|l| l.trim_start().starts_with(interface))
            .unwrap_or_else(|| panic!("no line for {interface} in:\n{stderr}"))
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("wasi:clocks/monotonic-clock@"), "clock, gate");
    assert_eq!(line("wasi:random/random@"), "dice");
    // A guard's imports are listed under the instances it serves.
    assert_eq!(
        line("wasi:filesystem/preopens@"),
        "llm, memory, skills, soul, gate, history"
    );
    assert_eq!(line("wasi:cli/stdin@"), "ask, cli");
    assert!(line("asterbot:agent/types@0.2.0").ends_with("[types only: nothing to provide]"));

    let quiet = compose(&["-o", out.to_str().unwrap(), "--quiet"]);
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

#[test]
fn by_default_compose_and_check_print_a_short_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("agent.wasm");
    let check = asterbot()
        .args(["check", "recipes/offline.wac"])
        .output()
        .unwrap();
    for output in [compose(&["-o", out.to_str().unwrap()]), check] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        // Control: `--verbose` above prints the tables, dozens of lines.
        assert!(!stderr.contains("the runtime must provide:"), "{stderr}");
        assert!(stderr.lines().count() <= 8, "{stderr}");
        let line = |kind: &str| {
            stderr
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{kind} ")))
                .unwrap_or_else(|| panic!("no {kind} in:\n{stderr}"))
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            line("dirs"),
            "/scripts /state/audit /state/history /state/memory /state/skills /state/soul"
        );
        assert_eq!(line("hosts"), "none");
        assert!(line("env").contains("ASTERBOT_MEMORY_DIR"), "{stderr}");
        assert!(!stderr.contains("WARNING"), "{stderr}");
    }
    // An instance past the guards is named even in the summary.
    let unguarded = compose(&["-o", out.to_str().unwrap(), "--no-guards"]);
    let stderr = String::from_utf8_lossy(&unguarded.stderr);
    assert!(
        stderr.contains("WARNING: past asterbot's guards: llm memory"),
        "{stderr}"
    );
}

#[test]
fn dash_writes_the_artifact_to_standard_output() {
    let output = compose(&["-o", "-", "-q"]);
    assert!(output.status.success());
    assert_eq!(output.stdout, std::fs::read(offline_agent()).unwrap());

    let text = compose(&["-o", "-", "--wat", "-q"]);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("(component"));
}

#[test]
fn check_composes_but_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = asterbot()
        .current_dir(dir.path())
        .arg("check")
        .arg(repo().join("recipes/offline.wac"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("composes") && stderr.contains("wasi:cli/run"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let bad = dir.path().join("bad.wac");
    std::fs::write(&bad, "package a:b;\nlet x = new asterbot:nope { ... };\n").unwrap();
    let output = asterbot().arg("check").arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown package `asterbot:nope`"));
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let output = asterbot().args(["compose", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("Examples:")
            && help.contains("asterbot compose recipes/offline.wac -o agent.wasm"),
        "{help}"
    );
    assert!(
        help.contains("Exit codes: 0 composed, 1 a recipe or component error, 2 a usage error"),
        "{help}"
    );
}
