//! `asterbot inspect`: an artifact says where it came from (the asterbot
//! that composed it, the recipe, every component with its version and
//! SHA-256) beside the audit of its wiring; the digests are checked
//! against what the artifact embeds, and the output is the same on every
//! run.

mod common;

use common::{asterbot, offline_agent, reply, repo, store};
use std::path::Path;

fn inspect(agent: &Path, flags: &[&str]) -> std::process::Output {
    asterbot()
        .arg("inspect")
        .arg(agent)
        .args(flags)
        .output()
        .unwrap()
}

fn sha256(path: &Path) -> String {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    sha256_hex(&bytes)
}

/// SHA-256 as lower-case hex, computed by `sha256sum` (not by asterbot).
fn sha256_hex(bytes: &[u8]) -> String {
    let output = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes)?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn an_artifact_lists_its_recipe_and_each_component_by_digest() {
    let agent = offline_agent();
    let text = reply(&inspect(agent, &["--recipe"]));
    assert!(text.contains("composed by asterbot 0.1.0"), "{text}");
    // The digests are those of the components as built.
    for package in ["core", "memory", "tools-join", "guard-env", "guard-stdio"] {
        let digest = sha256(&store().join(format!("asterbot/{package}.wasm")));
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("asterbot:{package} ")))
            .unwrap_or_else(|| panic!("no {package} in:\n{text}"));
        assert!(
            line.contains(&format!("sha256:{digest}")) && line.contains("built into asterbot"),
            "{line}"
        );
    }
    let recipe = std::fs::read_to_string(repo().join("recipes/offline.wac")).unwrap();
    assert!(
        text.contains(&format!("  {}", recipe.lines().nth(9).unwrap())),
        "{text}"
    );
    assert!(text.contains("what each instance can reach"), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(&reply(&inspect(agent, &["--json"]))).unwrap();
    assert_eq!(json["provenance"]["recipe"], recipe);
    assert_eq!(json["provenance-matches"], true);
    assert_eq!(json["provenance"]["instances"]["memory"], "asterbot:memory");
}

#[test]
fn inspect_is_the_same_on_every_run_and_every_compose() {
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again.wasm");
    common::compose(&repo().join("recipes/offline.wac"), &again);
    let first = reply(&inspect(offline_agent(), &["--json"]));
    assert_eq!(first, reply(&inspect(offline_agent(), &["--json"])));
    assert_eq!(first, reply(&inspect(&again, &["--json"])));
}

#[test]
fn a_component_changed_after_composing_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(offline_agent()).unwrap();
    // One letter of the calculator's description: still a valid component.
    let needle = b"Evaluates an arithmetic expression";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the calculator's description is in the artifact");
    bytes[at] = b'e';
    let tampered = dir.path().join("tampered.wasm");
    std::fs::write(&tampered, &bytes).unwrap();
    let stderr = common::failure(&inspect(&tampered, &[]));
    assert!(
        stderr.contains("its provenance lists components it does not embed: asterbot:calculator"),
        "{stderr}"
    );
    // The control: the untouched artifact passes.
    assert!(inspect(offline_agent(), &[]).status.success());
}

#[test]
fn a_component_without_provenance_says_so() {
    let calculator = store().join("asterbot/calculator.wasm");
    let text = reply(&inspect(&calculator, &[]));
    assert!(text.contains("carries no provenance"), "{text}");
}
