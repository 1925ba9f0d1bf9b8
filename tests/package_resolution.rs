//! Where packages come from: `--dep` before `--deps-dir` before the store,
//! versioned names, and WIT package folders.

mod common;

use common::{asterbot, compose_with, reply, repo, run, store};
use std::path::Path;

fn copy_component(name: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(store().join("asterbot").join(format!("{name}.wasm")), to).unwrap();
}

/// A one-tool agent whose tool is `package`.
fn one_tool_recipe(package: &str) -> String {
    format!(
        "package test:versions;
let llm = new asterbot:llm-script {{ ... }};
let end = new asterbot:tools-end {{ ... }};
let tool = new {package} {{ tools: end.tools, ... }};
let context = new asterbot:context-end {{ ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: tool.tools, context: context.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli[\"wasi:cli/run@0.2.0\"];
"
    )
}

fn compose_with_deps(dir: &Path, name: &str, recipe: &str, deps: &Path) -> std::process::Output {
    let path = dir.join(format!("{name}.wac"));
    std::fs::write(&path, recipe).unwrap();
    let flags = ["--deps-dir".to_string(), deps.display().to_string()];
    compose_with(&path, &dir.join(format!("{name}.wasm")), &flags)
}

#[test]
fn a_versioned_name_takes_the_exact_or_highest_compatible_version() {
    let dir = tempfile::tempdir().unwrap();
    let deps = dir.path().join("deps");
    copy_component("calculator", &deps.join("acme/tool/1.0.0.wasm"));
    copy_component("clock", &deps.join("acme/tool/1.3.0.wasm"));
    copy_component("dice", &deps.join("acme/tool/2.0.0.wasm"));

    let exact = compose_with_deps(
        dir.path(),
        "exact",
        &one_tool_recipe("acme:tool@1.0.0"),
        &deps,
    );
    assert!(
        exact.status.success(),
        "{}",
        String::from_utf8_lossy(&exact.stderr)
    );
    assert_eq!(
        reply(&run(&dir.path().join("exact.wasm"), &[], "what is 6 * 7?")),
        "The answer is 42."
    );

    let compatible = compose_with_deps(
        dir.path(),
        "compatible",
        &one_tool_recipe("acme:tool@1.1.0"),
        &deps,
    );
    assert!(
        compatible.status.success(),
        "{}",
        String::from_utf8_lossy(&compatible.stderr)
    );
    let answer = reply(&run(
        &dir.path().join("compatible.wasm"),
        &[],
        "what time is it?",
    ));
    assert!(
        answer.starts_with("It is 20"),
        "1.1.0 should resolve to 1.3.0 (clock): {answer}"
    );

    let missing = compose_with_deps(
        dir.path(),
        "missing",
        &one_tool_recipe("acme:tool@3.0.0"),
        &deps,
    );
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("unknown package `acme:tool`") && stderr.contains("3.0.0.wasm"),
        "{stderr}"
    );
}

#[test]
fn dep_overrides_beat_deps_dirs_which_beat_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let deps = dir.path().join("deps");
    // A deps folder that shadows the calculator with the clock.
    copy_component("clock", &deps.join("asterbot/calculator.wasm"));
    let recipe = std::fs::read_to_string(repo().join("recipes/offline.wac")).unwrap();

    let shadowed = compose_with_deps(dir.path(), "shadowed", &recipe, &deps);
    assert!(
        shadowed.status.success(),
        "{}",
        String::from_utf8_lossy(&shadowed.stderr)
    );
    let answer = reply(&run(
        &dir.path().join("shadowed.wasm"),
        &[],
        "what is 6 * 7?",
    ));
    assert!(answer.contains("unknown tool `calculator`"), "{answer}");

    let path = dir.path().join("offline.wac");
    std::fs::write(&path, &recipe).unwrap();
    let calculator = store().join("asterbot/calculator.wasm");
    let flags = [
        format!("--dep=asterbot:calculator={}", calculator.display()),
        format!("--deps-dir={}", deps.display()),
    ];
    let overridden = compose_with(&path, &dir.path().join("overridden.wasm"), &flags);
    assert!(
        overridden.status.success(),
        "{}",
        String::from_utf8_lossy(&overridden.stderr)
    );
    let answer = reply(&run(
        &dir.path().join("overridden.wasm"),
        &[],
        "what is 6 * 7?",
    ));
    assert_eq!(answer, "The answer is 42.");
}

#[test]
fn a_wit_package_folder_supplies_interfaces_to_import() {
    let dir = tempfile::tempdir().unwrap();
    let deps = dir.path().join("deps/asterbot/agent");
    std::fs::create_dir_all(&deps).unwrap();
    std::fs::copy(repo().join("wit/agent.wit"), deps.join("agent.wit")).unwrap();
    let recipe = "package test:wit;
import agent: asterbot:agent/agent;
let cli = new asterbot:cli { agent, ... };
export cli[\"wasi:cli/run@0.2.0\"];
";
    let output = compose_with_deps(dir.path(), "front", recipe, &dir.path().join("deps"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("asterbot:agent/agent ")
                && l.trim_end().ends_with("cli")),
        "the agent interface is left for the runtime to provide:\n{stderr}"
    );

    std::fs::write(
        deps.join("agent.wit"),
        "package asterbot:agent@0.1.0;\ninterface agent { broken }",
    )
    .unwrap();
    let output = compose_with_deps(dir.path(), "broken", recipe, &dir.path().join("deps"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("the WIT package for `asterbot:agent`")
    );
}

#[test]
fn the_store_can_be_named_by_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = asterbot()
        .current_dir(dir.path())
        .env("ASTERBOT_STORE", store())
        .arg("check")
        .arg(repo().join("recipes/offline.wac"))
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = asterbot()
        .current_dir(dir.path())
        .env("ASTERBOT_STORE", dir.path())
        .arg("check")
        .arg(repo().join("recipes/offline.wac"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the store is empty"));
}
