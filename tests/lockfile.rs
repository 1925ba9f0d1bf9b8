//! `RECIPE.lock`: compose pins every component's SHA-256 beside the
//! recipe, and a component whose bytes change no longer composes until
//! someone pins it again with `--update-lock`.

mod common;

use common::{asterbot, repo, store};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A recipe that uses one component from a file (`acme:clock`, a copy of
/// asterbot's clock in `deps/`) and the rest from asterbot.
const RECIPE: &str = r#"package test:locked;

let llm = new asterbot:llm-script { ... };
let clock = new acme:clock { ... };
let no-context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core {
    llm: llm.llm,
    tools: clock.tools,
    context: no-context.context,
    history: history.history,
    ...
};
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

/// A project folder: `agent.wac` and `deps/acme/clock.wasm`.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent.wac"), RECIPE).unwrap();
    let deps = dir.path().join("deps/acme");
    std::fs::create_dir_all(&deps).unwrap();
    std::fs::copy(store().join("asterbot/clock.wasm"), deps.join("clock.wasm")).unwrap();
    let recipe = dir.path().join("agent.wac");
    (dir, recipe)
}

fn compose(dir: &Path, flags: &[&str]) -> Output {
    asterbot()
        .current_dir(dir)
        .args([
            "compose",
            "agent.wac",
            "--deps-dir",
            "deps",
            "-o",
            "agent.wasm",
        ])
        .args(flags)
        .output()
        .unwrap()
}

/// Appends a custom section to the component: still a valid component,
/// other bytes.
fn tamper(component: &Path) {
    let mut bytes = std::fs::read(component).unwrap();
    bytes.extend_from_slice(&[0, 10, 8]);
    bytes.extend_from_slice(b"tamperedx");
    std::fs::write(component, bytes).unwrap();
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_first_compose_pins_every_component_and_where_it_came_from() {
    let (dir, _) = project();
    let output = compose(dir.path(), &[]);
    assert!(output.status.success(), "{}", common::failure(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lock: wrote agent.lock"), "{stderr}");
    let lock = std::fs::read_to_string(dir.path().join("agent.lock")).unwrap();
    let clock = sha256(&dir.path().join("deps/acme/clock.wasm"));
    assert!(
        lock.contains(&format!(
            "package = \"acme:clock\"\nsha256 = \"{clock}\"\nsource = \"file\"\npath = \"deps/acme/clock.wasm\"\n"
        )),
        "{lock}"
    );
    // asterbot's own, the guards among them, are pinned too.
    for package in ["asterbot:core", "asterbot:guard-env", "asterbot:llm-script"] {
        assert!(
            lock.contains(&format!("package = \"{package}\"")),
            "{package} not in\n{lock}"
        );
    }
    // Sorted: a diff of the lock shows only what changed.
    let packages: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("package = "))
        .collect();
    let mut sorted = packages.clone();
    sorted.sort();
    assert_eq!(packages, sorted);
}

#[test]
fn a_tampered_component_is_caught_with_both_digests_until_the_lock_is_updated() {
    let (dir, _) = project();
    let component = dir.path().join("deps/acme/clock.wasm");
    assert!(compose(dir.path(), &[]).status.success());
    let pinned = sha256(&component);
    let agent = std::fs::read(dir.path().join("agent.wasm")).unwrap();
    let lock = std::fs::read(dir.path().join("agent.lock")).unwrap();

    tamper(&component);
    let now = sha256(&component);
    let output = compose(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`acme:clock` is not what agent.lock pins"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&pinned) && stderr.contains(&now),
        "{stderr}"
    );
    assert!(stderr.contains("--update-lock"), "{stderr}");
    // Nothing was written: not the agent, not the lock.
    assert_eq!(std::fs::read(dir.path().join("agent.wasm")).unwrap(), agent);
    assert_eq!(std::fs::read(dir.path().join("agent.lock")).unwrap(), lock);
    // `check` says the same.
    let check = asterbot()
        .current_dir(dir.path())
        .args(["check", "agent.wac", "--deps-dir", "deps", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));

    // Control: without the lock, the same tampered file composes; the lock
    // is what caught it.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("agent.wac"), RECIPE).unwrap();
    std::fs::create_dir_all(elsewhere.path().join("deps/acme")).unwrap();
    std::fs::copy(&component, elsewhere.path().join("deps/acme/clock.wasm")).unwrap();
    let unlocked = compose(elsewhere.path(), &[]);
    assert!(unlocked.status.success(), "{}", common::failure(&unlocked));

    // Reviewed: pin the new bytes.
    let output = compose(dir.path(), &["--update-lock"]);
    assert!(output.status.success(), "{}", common::failure(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("re-pinned acme:clock"), "{stderr}");
    let lock = std::fs::read_to_string(dir.path().join("agent.lock")).unwrap();
    assert!(lock.contains(&now) && !lock.contains(&pinned), "{lock}");
    assert!(compose(dir.path(), &[]).status.success());
}

#[test]
fn an_unchanged_recipe_composes_byte_identically_and_leaves_its_lock_alone() {
    let (dir, _) = project();
    assert!(compose(dir.path(), &[]).status.success());
    let agent = std::fs::read(dir.path().join("agent.wasm")).unwrap();
    let lock_path = dir.path().join("agent.lock");
    let lock = std::fs::read(&lock_path).unwrap();
    let written = std::fs::metadata(&lock_path).unwrap().modified().unwrap();

    let output = compose(dir.path(), &[]);
    assert!(output.status.success());
    assert!(!String::from_utf8_lossy(&output.stderr).contains("lock:"));
    assert_eq!(std::fs::read(dir.path().join("agent.wasm")).unwrap(), agent);
    assert_eq!(std::fs::read(&lock_path).unwrap(), lock);
    assert_eq!(
        std::fs::metadata(&lock_path).unwrap().modified().unwrap(),
        written
    );
}

#[test]
fn a_package_the_recipe_starts_or_stops_using_is_pinned_or_dropped() {
    let (dir, recipe) = project();
    assert!(compose(dir.path(), &[]).status.success());
    // Swap the file's clock for asterbot's own.
    std::fs::write(
        &recipe,
        RECIPE.replace("new acme:clock", "new asterbot:clock"),
    )
    .unwrap();
    let output = compose(dir.path(), &[]);
    assert!(output.status.success(), "{}", common::failure(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lock: unpinned acme:clock"), "{stderr}");
    assert!(stderr.contains("lock: pinned asterbot:clock"), "{stderr}");
    // `check` with the old lock would have called it out of date.
    let lock = std::fs::read_to_string(dir.path().join("agent.lock")).unwrap();
    assert!(!lock.contains("acme:clock") && lock.contains("asterbot:clock"));
}

#[test]
fn a_damaged_lock_is_named_with_its_line_and_the_fix() {
    let (dir, _) = project();
    std::fs::write(
        dir.path().join("agent.lock"),
        "format = 1\n[[component]]\npackage = 7\n",
    )
    .unwrap();
    let output = compose(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("agent.lock"), "{stderr}");
    assert!(stderr.contains("agent.lock:3"), "{stderr}");
    assert!(stderr.contains("--update-lock"), "{stderr}");
    assert!(!dir.path().join("agent.wasm").exists());
}

/// Shipped recipes without a committed lock: the Python and JavaScript
/// components they use do not build byte-for-byte alike twice, so a lock
/// pins what each person built (and `.gitignore` keeps it local).
const UNLOCKED: [&str; 1] = ["polyglot.wac"];

#[test]
fn every_shipped_recipe_ships_a_lock_that_pins_what_it_composes() {
    let mut recipes: Vec<PathBuf> = std::fs::read_dir(repo().join("recipes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "wac"))
        .filter(|path| !UNLOCKED.contains(&path.file_name().unwrap().to_string_lossy().as_ref()))
        .collect();
    recipes.push(repo().join("tests/fixtures/sandbox.wac"));
    for recipe in recipes {
        assert!(
            recipe.with_extension("lock").is_file(),
            "{} has no lock: compose it (`cargo xtask locks`) and commit the lock",
            recipe.display()
        );
        let output = asterbot()
            .arg("check")
            .arg(&recipe)
            .arg("--deps-dir")
            .arg(common::test_components())
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: {}\nIf a component changed on purpose: `cargo xtask locks`",
            recipe.display(),
            common::failure(&output)
        );
    }
}
