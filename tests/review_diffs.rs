//! Data-driven semantic diffs, run in process: every folder of
//! `tests/diffs/` holds `old.wac` and `new.wac` (and, for a component
//! whose bytes changed, the `old.lock` that pinned other bytes), and
//! `expected.txt`, what `asterbot diff old.wac new.wac` prints as text
//! and as Markdown. Digests of asterbot's own build show as
//! `(asterbot's build)`, so a rebuilt component does not churn the cases.
//!
//! Re-bless after a deliberate change with
//! `ASTERBOT_BLESS=1 cargo test --test review_diffs`, and read the diff.

mod common;

use asterbot_composer::lock::Lock;
use asterbot_composer::review::{Diff, View};
use asterbot_composer::{ComponentStore, Recipe, compose};
use common::repo;
use std::path::Path;

/// Set to rewrite every `expected.txt`.
const BLESS: &str = "ASTERBOT_BLESS";

/// Whether each case gains a capability (what `--fail-on
/// capability-gain` acts on).
const GAINS: [(&str, bool); 14] = [
    ("approval-dropped", true),
    ("digest-changed", false),
    ("dirs-gained", true),
    ("env-gained", true),
    ("flow-gained", true),
    ("hosts-gained", true),
    ("instance-added", false),
    ("instance-removed", false),
    ("no-change", false),
    ("package-swapped", false),
    ("setting-changed", false),
    ("sub-agent-wired", true),
    ("tool-reachable", true),
    ("wiring-changed", false),
];

/// The view of the recipe `name` in `case`, with its lock if it has one.
fn view(case: &Path, name: &str) -> View {
    let recipe = Recipe::load(&case.join(format!("{name}.wac"))).unwrap();
    let composed = compose(&recipe, &ComponentStore::new())
        .unwrap_or_else(|e| panic!("{}/{name}.wac: {e:?}", case.display()));
    let lock = std::fs::read_to_string(case.join(format!("{name}.lock")))
        .ok()
        .map(|text| Lock::parse("lock", &text).unwrap());
    View::new(&composed.audit, Some(&composed.provenance), lock.as_ref())
        .with_flows(&composed.flows)
}

/// `text` with every digest of asterbot's own build replaced by words.
fn mask_builds(mut text: String) -> String {
    for (_, bytes, _) in asterbot_bundle::COMPONENTS {
        let digest = asterbot_bundle::digest(bytes);
        text = text
            .replace(&digest, "(asterbot's build)")
            .replace(&digest[..12], "(asterbot's build)");
    }
    text
}

#[test]
fn every_kind_of_change_reads_as_expected() {
    let mut cases: Vec<_> = std::fs::read_dir(repo().join("tests/diffs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    let names: Vec<String> = cases
        .iter()
        .map(|c| c.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        GAINS.map(|(name, _)| name.to_string()),
        "every case says whether it gains a capability"
    );
    let bless = std::env::var_os(BLESS).is_some();
    let mut failures = Vec::new();
    for (case, (name, gains)) in cases.iter().zip(GAINS) {
        let diff = Diff::between(&view(case, "old"), &view(case, "new"));
        if diff.gains_capability() != gains {
            failures.push(format!(
                "{name}: gains a capability: {}",
                diff.gains_capability()
            ));
        }
        if (name == "no-change") != diff.is_empty() {
            failures.push(format!("{name}: empty: {}", diff.is_empty()));
        }
        let got = mask_builds(format!(
            "{}\n{}",
            diff.text("old.wac", "new.wac"),
            diff.markdown("old.wac", "new.wac")
        ));
        let expected_file = case.join("expected.txt");
        if bless {
            std::fs::write(&expected_file, &got).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if got != expected {
            failures.push(format!("{name}: expected:\n{expected}\ngot:\n{got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(if the new output is right: {BLESS}=1 cargo test --test review_diffs)",
        failures.join("\n\n")
    );
}

#[test]
fn a_new_tool_with_a_host_gains_the_flows_through_the_model() {
    let case = repo().join("tests/diffs/flow-gained");
    let diff = Diff::between(&view(&case, "old"), &view(&case, "new"));
    assert!(diff.gains_flow());
    let text = diff.text("old.wac", "new.wac");
    assert!(
        text.contains(
            "GAINED flow: /state/memory → example.com via memory → core → (model) → fetch\n"
        ),
        "{text}"
    );
    // The control: the same recipe gains no flow.
    let same = Diff::between(&view(&case, "old"), &view(&case, "old"));
    assert!(!same.gains_flow() && same.flows.is_empty());
    // Back again, the way out is lost, not gained.
    let back = Diff::between(&view(&case, "new"), &view(&case, "old"));
    assert!(
        back.flows
            .iter()
            .any(|f| !f.gain && f.flow.starts_with("/state/memory → example.com")),
        "{:?}",
        back.flows
    );
    assert!(
        !back
            .flows
            .iter()
            .any(|f| f.gain && f.flow.contains("example.com"))
    );
}

#[test]
fn the_same_recipe_gives_the_same_facts_every_time() {
    let case = repo().join("tests/diffs/no-change");
    let facts = view(&case, "new").facts();
    assert_eq!(facts, view(&case, "new").facts());
    let lines: Vec<&str> = facts.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "facts are sorted, for a line diff");
    assert!(
        facts.contains("instance fetch: hosts api.example.com\n"),
        "{facts}"
    );
    assert!(
        facts.contains("instance core: asks a person before http_fetch\n"),
        "{facts}"
    );
    assert!(
        facts.contains("instance fetch: set ASTERBOT_FETCH_MAX_BYTES=65536\n"),
        "{facts}"
    );
    assert!(
        facts.contains("flow /scripts → api.example.com (asks: gate)\n"),
        "{facts}"
    );
}
