//! Data-driven diagnostics: every folder of `tests/recipes/` holds a recipe
//! that must fail and the lines its diagnostic must contain.

mod common;

use common::{asterbot, repo, store, test_components};
use std::path::Path;

/// Fixture packages for the cases: a core module and a truncated component.
fn fixture_deps(dir: &Path) {
    let acme = dir.join("acme");
    std::fs::create_dir_all(&acme).unwrap();
    std::fs::write(acme.join("module.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let component = std::fs::read(store().join("asterbot/clock.wasm")).unwrap();
    std::fs::write(acme.join("broken.wasm"), &component[..2000]).unwrap();
}

/// Set to rewrite every `expected.txt` with what compose prints now.
const BLESS: &str = "ASTERBOT_BLESS";

#[test]
fn every_bad_recipe_gets_its_expected_diagnostic() {
    let deps = tempfile::tempdir().unwrap();
    fixture_deps(deps.path());
    let out = deps.path().join("never-written.wasm");
    let mut cases: Vec<_> = std::fs::read_dir(repo().join("tests/recipes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 8,
        "expected the diagnostic cases, found {}",
        cases.len()
    );
    let bless = std::env::var_os(BLESS).is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let mut command = asterbot();
        command
            .current_dir(case)
            .arg("compose")
            .arg("recipe.wac")
            .arg("--deps-dir")
            .arg(deps.path());
        // A case that instantiates a hostile fixture (`new test:deputy`)
        // gets them.
        let recipe = std::fs::read_to_string(case.join("recipe.wac")).unwrap_or_default();
        if recipe.contains("new test:") {
            command.arg("--deps-dir").arg(test_components());
        }
        let output = command.arg("-o").arg(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr)
            .replace(&deps.path().display().to_string(), "<deps>")
            .replace(&test_components().display().to_string(), "<fixtures>");
        let expected_file = case.join("expected.txt");
        if bless {
            std::fs::write(&expected_file, &stderr).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if output.status.code() != Some(1) || stderr != expected || stderr.contains("panicked") {
            failures.push(format!(
                "{}: exit {:?}; expected:\n{expected}\ngot:\n{stderr}",
                case.display(),
                output.status.code()
            ));
        }
    }
    assert!(
        !out.exists(),
        "a failed composition must not write an artifact"
    );
    assert!(
        failures.is_empty(),
        "{}\n(if the new messages are right: {BLESS}=1 cargo test --test recipe_diagnostics)",
        failures.join("\n\n")
    );
}

#[test]
fn usage_errors_exit_with_code_2() {
    let output = asterbot().arg("compose").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = asterbot()
        .args(["compose", "x.wac", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_missing_recipe_file_is_named() {
    let output = asterbot()
        .args(["compose", "no/such/recipe.wac"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read recipe `no/such/recipe.wac`"),
        "{stderr}"
    );
}
