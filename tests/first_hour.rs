//! What a newcomer meets in the first hour, made plain: a recipe given
//! where an agent goes is composed in memory or answered with the command
//! that composes it (never a dump of magic bytes); a forgotten argument is
//! named as one, with the instances that would fit; usage errors exit 2;
//! an artifact without asterbot's guards is run with a warning; and a
//! server whose port is taken leaves no state file behind.

mod common;

use common::{asterbot, repo};
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A copy of the shipped minimal recipe (no lock beside it) in `dir`.
fn minimal_recipe(dir: &Path) -> PathBuf {
    let recipe = dir.join("minimal.wac");
    std::fs::copy(repo().join("recipes/minimal.wac"), &recipe).unwrap();
    recipe
}

#[test]
fn audit_inspect_and_graph_compose_a_recipe_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = minimal_recipe(dir.path());
    let agent = dir.path().join("minimal.wasm");
    common::compose(&recipe, &agent);
    for command in ["audit", "inspect", "graph"] {
        let of_recipe = asterbot().arg(command).arg(&recipe).output().unwrap();
        assert!(
            of_recipe.status.success(),
            "{command} of a recipe: {}",
            stderr(&of_recipe)
        );
        // The same as of the artifact the recipe composes to.
        let of_agent = asterbot().arg(command).arg(&agent).output().unwrap();
        assert!(of_agent.status.success(), "{}", stderr(&of_agent));
        let (recipe_text, agent_text) = (stdout(&of_recipe), stdout(&of_agent));
        let label = |text: &str, path: &Path| text.replace(&path.display().to_string(), "FILE");
        assert_eq!(
            label(&recipe_text, &recipe),
            label(&agent_text, &agent),
            "{command}"
        );
    }
}

#[test]
fn run_serve_and_precompile_given_a_recipe_say_how_to_compose_it() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = minimal_recipe(dir.path());
    for (command, then) in [
        ("run", "asterbot run agent.wasm"),
        ("serve", "asterbot serve agent.wasm"),
        ("precompile", "asterbot precompile agent.wasm"),
    ] {
        let output = asterbot().arg(command).arg(&recipe).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        let text = stderr(&output);
        assert!(text.contains("not a composed agent"), "{command}: {text}");
        assert!(
            text.contains(&format!("asterbot compose {}", recipe.display())),
            "{command}: {text}"
        );
        assert!(text.contains(then), "{command}: {text}");
        assert!(!text.contains("magic"), "{command}: {text}");
    }
    // Neither text nor a component: said so, not parsed.
    let binary = dir.path().join("noise.bin");
    std::fs::write(&binary, [0xffu8, 0xfe, 0x00, 0x01, 0x80]).unwrap();
    for command in ["run", "audit"] {
        let output = asterbot().arg(command).arg(&binary).output().unwrap();
        let text = stderr(&output);
        assert!(
            text.contains("neither a WebAssembly component nor a recipe"),
            "{command}: {text}"
        );
    }
}

#[test]
fn a_missing_argument_is_named_with_the_instances_that_would_fit() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("recipes/minimal.wac")).unwrap();
    let without = text.replace("    history: history.history,\n", "");
    assert_ne!(without, text, "the shipped recipe passes `history` to core");
    let recipe = dir.path().join("forgot.wac");
    std::fs::write(&recipe, without).unwrap();
    let output = asterbot().arg("check").arg(&recipe).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("`core` (`asterbot:core`) is missing its `history` argument"),
        "{text}"
    );
    assert!(text.contains("`history: history.history`"), "{text}");
    assert!(!text.contains("cannot guard"), "{text}");
}

#[test]
fn usage_errors_found_after_parsing_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = minimal_recipe(dir.path());
    let output = asterbot().arg("diff").arg(&recipe).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("takes two files"));
    // Control: an error in what the files hold is 1, not 2.
    let broken = dir.path().join("broken.wac");
    std::fs::write(&broken, "let x = new nobody:nothing { ... };\n").unwrap();
    let output = asterbot()
        .arg("diff")
        .arg(&recipe)
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn an_artifact_without_guards_runs_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = minimal_recipe(dir.path());
    let unguarded = dir.path().join("unguarded.wasm");
    let output = common::compose_with(&recipe, &unguarded, &["--no-guards".to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let guarded = dir.path().join("guarded.wasm");
    common::compose(&recipe, &guarded);
    let warning = "composed without guards";
    let run = |agent: &Path| common::run(agent, &[], "hello");
    let output = run(&unguarded);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains(warning), "{}", stderr(&output));
    // Control: the same recipe with its guards runs without it.
    let output = run(&guarded);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("without guards"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_server_whose_port_is_taken_makes_no_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let state = dir.path().join("agent.redb");
    // The shipped serving recipe's artifact is not needed: binding comes
    // first, so any composed agent shows it.
    let recipe = minimal_recipe(dir.path());
    let agent = dir.path().join("minimal.wasm");
    common::compose(&recipe, &agent);
    let output = asterbot()
        .arg("serve")
        .arg(&agent)
        .args(["--listen", &address, "--keyvalue"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(!state.exists(), "{}", stderr(&output));
    // Control: with a free port the store file is made (and the agent,
    // which has no HTTP front end, is then refused).
    let output = asterbot()
        .arg("serve")
        .arg(&agent)
        .args(["--listen", "127.0.0.1:0", "--keyvalue"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(state.exists(), "{}", stderr(&output));
}

#[test]
fn a_state_folder_that_does_not_exist_yet_is_made_for_a_writable_grant() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("demo-state");
    let grant = format!("{}::/state", state.display());
    let output = common::run(common::offline_agent(), &["--dir", &grant], "remember tea");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(state.is_dir(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("made the folder"),
        "{}",
        stderr(&output)
    );
    // Control: a read-only grant of a missing folder is an error, and
    // nothing is made.
    let missing = dir.path().join("missing");
    let grant = format!("{}::/state:ro", missing.display());
    let output = common::run(common::offline_agent(), &["--dir", &grant], "hello");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
    assert!(!missing.exists());
}
