//! Where packages come from: asterbot's own from the binary, whatever the
//! folders around hold (replaced only by an explicit, reported
//! `--shadow`); any other from `--dep`, then `--deps-dir`, then the store;
//! versioned names; WIT package folders. And the binary stands alone: a
//! shipped recipe composes from an empty folder with no store anywhere.

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
let tool = new {package} {{ ... }};
let context = new asterbot:context-end {{ ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: tool.tools, context: context.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli[\"wasi:cli/run@0.2.0\"];
"
    )
}

fn compose_flags(dir: &Path, name: &str, recipe: &str, flags: &[String]) -> std::process::Output {
    let path = dir.join(format!("{name}.wac"));
    std::fs::write(&path, recipe).unwrap();
    compose_with(&path, &dir.join(format!("{name}.wasm")), flags)
}

fn compose_with_deps(dir: &Path, name: &str, recipe: &str, deps: &Path) -> std::process::Output {
    // The import table is what some of these tests read.
    let flags = [
        "--deps-dir".to_string(),
        deps.display().to_string(),
        "--verbose".to_string(),
    ];
    compose_flags(dir, name, recipe, &flags)
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
fn asterbot_packages_come_from_the_binary_whatever_the_folders_hold() {
    let dir = tempfile::tempdir().unwrap();
    // A deps folder, a store and a `target/store` in the current folder,
    // all offering a calculator that is really the clock, and a guard
    // that is really the calculator.
    for root in ["deps", "store", "target/store"] {
        let root = dir.path().join(root);
        copy_component("clock", &root.join("asterbot/calculator.wasm"));
        copy_component("calculator", &root.join("asterbot/guard-env.wasm"));
    }
    let recipe = std::fs::read_to_string(repo().join("recipes/offline.wac")).unwrap();
    std::fs::write(dir.path().join("offline.wac"), &recipe).unwrap();
    let output = asterbot()
        .current_dir(dir.path())
        .env("ASTERBOT_STORE", dir.path().join("store"))
        .args([
            "compose",
            "offline.wac",
            "--deps-dir",
            "deps",
            "-o",
            "agent.wasm",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("NOT asterbot's"), "{stderr}");
    let agent = dir.path().join("agent.wasm");
    assert_eq!(
        reply(&run(&agent, &[], "what is 6 * 7?")),
        "The answer is 42."
    );
    let audit = reply(&asterbot().arg("audit").arg(&agent).output().unwrap());
    assert!(
        !audit.contains("NOT asterbot's") && !audit.contains("UNVERIFIED"),
        "{audit}"
    );
}

#[test]
fn replacing_an_asterbot_package_takes_shadow_and_is_reported_and_guards_never() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = std::fs::read_to_string(repo().join("recipes/offline.wac")).unwrap();
    let clock = store().join("asterbot/clock.wasm").display().to_string();
    let stranger = common::test_components()
        .join("test/hostile.wasm")
        .display()
        .to_string();

    let dep = compose_flags(
        dir.path(),
        "dep",
        &recipe,
        &[format!("--dep=asterbot:calculator={clock}")],
    );
    let stderr = common::failure(&dep);
    assert!(stderr.contains("--shadow asterbot:calculator="), "{stderr}");

    let shadowed = compose_flags(
        dir.path(),
        "shadowed",
        &recipe,
        &[format!("--shadow=asterbot:calculator={stranger}")],
    );
    let stderr = String::from_utf8_lossy(&shadowed.stderr);
    assert!(shadowed.status.success(), "{stderr}");
    assert!(
        stderr.contains("`asterbot:calculator` is not asterbot's own"),
        "{stderr}"
    );
    let agent = dir.path().join("shadowed.wasm");
    let answer = reply(&run(&agent, &[], "what is 6 * 7?"));
    assert!(answer.contains("unknown tool `calculator`"), "{answer}");
    let audit = reply(&asterbot().arg("audit").arg(&agent).output().unwrap());
    let row = audit
        .lines()
        .find(|l| l.trim_start().starts_with("calculator "))
        .unwrap();
    assert!(
        row.contains("asterbot:calculator (NOT asterbot's build: sha256:"),
        "{audit}"
    );

    // asterbot's own clock under the calculator's name is named for what
    // it is.
    let clock_as_calculator = compose_flags(
        dir.path(),
        "clock",
        &recipe,
        &[format!("--shadow=asterbot:calculator={clock}")],
    );
    assert!(clock_as_calculator.status.success());
    let audit = reply(
        &asterbot()
            .arg("audit")
            .arg(dir.path().join("clock.wasm"))
            .output()
            .unwrap(),
    );
    assert!(
        audit.contains("asterbot:clock (the recipe says asterbot:calculator)"),
        "{audit}"
    );

    let guard = compose_flags(
        dir.path(),
        "guard",
        &recipe,
        &[format!("--shadow=asterbot:guard-env={clock}")],
    );
    let stderr = common::failure(&guard);
    assert!(stderr.contains("is a guard"), "{stderr}");
}

#[test]
fn a_dep_is_a_namespaced_name_given_once() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = one_tool_recipe("acme:tool");
    let calculator = store()
        .join("asterbot/calculator.wasm")
        .display()
        .to_string();
    let twice = compose_flags(
        dir.path(),
        "twice",
        &recipe,
        &[
            format!("--dep=acme:tool={calculator}"),
            format!("--dep=acme:tool={calculator}"),
        ],
    );
    assert!(common::failure(&twice).contains("given twice"));
    let bare = compose_flags(
        dir.path(),
        "bare",
        &recipe,
        &[format!("--dep=tool={calculator}")],
    );
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("expected NAMESPACE:NAME=FILE"));
    let once = compose_flags(
        dir.path(),
        "once",
        &recipe,
        &[format!("--dep=acme:tool={calculator}")],
    );
    assert!(
        once.status.success(),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
}

#[test]
fn a_wit_package_folder_supplies_interfaces_and_asterbots_own_is_built_in() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = "package test:wit;
import agent: asterbot:agent/agent;
let cli = new asterbot:cli { agent, ... };
export cli[\"wasi:cli/run@0.2.0\"];
";
    // asterbot's own WIT needs no folder, and a folder cannot replace it.
    let deps = dir.path().join("deps");
    std::fs::create_dir_all(deps.join("asterbot/agent")).unwrap();
    std::fs::write(
        deps.join("asterbot/agent/agent.wit"),
        "package asterbot:agent@0.2.0;\ninterface agent { broken }",
    )
    .unwrap();
    let output = compose_with_deps(dir.path(), "front", recipe, &deps);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("asterbot:agent/agent ")
                && l.trim_end().ends_with("cli")),
        "the agent interface is left for the runtime to provide:\n{stderr}"
    );

    // Another package's WIT comes from a folder.
    std::fs::create_dir_all(deps.join("acme/weather")).unwrap();
    std::fs::write(
        deps.join("acme/weather/weather.wit"),
        "package acme:weather@1.0.0;\ninterface forecast { today: func() -> string; }",
    )
    .unwrap();
    let weather = "package test:wit;
import forecast: acme:weather/forecast;
import agent: asterbot:agent/agent;
let cli = new asterbot:cli { agent, ... };
export cli[\"wasi:cli/run@0.2.0\"];
export forecast;
";
    let output = compose_with_deps(dir.path(), "weather", weather, &deps);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(
        deps.join("acme/weather/weather.wit"),
        "package acme:weather@1.0.0;\ninterface forecast { broken }",
    )
    .unwrap();
    let output = compose_with_deps(dir.path(), "broken", weather, &deps);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the WIT package for `acme:weather`"));
}

#[test]
fn the_store_can_be_named_by_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    copy_component("calculator", &store_dir.join("acme/tool.wasm"));
    std::fs::write(dir.path().join("tool.wac"), one_tool_recipe("acme:tool")).unwrap();
    let check = |store: &Path| {
        asterbot()
            .current_dir(dir.path())
            .env("ASTERBOT_STORE", store)
            .args(["check", "tool.wac", "-q"])
            .output()
            .unwrap()
    };
    let output = check(&store_dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = common::failure(&check(&dir.path().join("empty")));
    assert!(stderr.contains("unknown package `acme:tool`"), "{stderr}");
}

#[test]
fn the_binary_alone_composes_a_shipped_recipe_from_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("recipes/openai.wac"),
        dir.path().join("openai.wac"),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_asterbot"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .args(["compose", "openai.wac", "-o", "agent.wasm"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(dir.path().join("agent.wasm").is_file());
}
