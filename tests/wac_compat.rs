//! Every shipped recipe is plain WAC: the upstream `wac compose` builds it
//! from the same components, and the result runs the same.
//!
//! Skipped (with a note) where `wac` is not installed, except in CI (`CI`
//! set), where its absence is a failure: `.ci/run` installs it.

mod common;

use common::{asterbot, reply, repo, store};
use std::process::Command;

fn wac() -> Option<Command> {
    common::peer_tool("wac", "cargo install wac-cli")
}

/// Every recipe in `recipes/`.
fn shipped_recipes() -> Vec<std::path::PathBuf> {
    let mut recipes: Vec<_> = std::fs::read_dir(repo().join("recipes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "wac"))
        .collect();
    recipes.sort();
    assert!(!recipes.is_empty());
    recipes
}

#[test]
fn every_shipped_recipe_composes_with_wac_too() {
    let dir = tempfile::tempdir().unwrap();
    for recipe in shipped_recipes() {
        let stem = recipe.file_stem().unwrap().to_string_lossy().into_owned();
        let ours = dir.path().join(format!("{stem}.asterbot.wasm"));
        let output = asterbot()
            .arg("compose")
            .arg(&recipe)
            .arg("-o")
            .arg(&ours)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "asterbot: {}",
            String::from_utf8_lossy(&output.stderr)
        );

        let Some(mut wac) = wac() else { continue };
        let theirs = dir.path().join(format!("{stem}.wac.wasm"));
        let output = wac
            .arg("compose")
            .arg("--deps-dir")
            .arg(store())
            .arg(&recipe)
            .arg("-o")
            .arg(&theirs)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "wac compose {}: {}",
            recipe.display(),
            String::from_utf8_lossy(&output.stderr)
        );

        // Offline agents answer alike, whichever tool composed them. (Only
        // asterbot's has sandboxes and baked settings: in wac's, the
        // approval gate has no list of tools to ask about, so it asks
        // before every tool, so this turn uses none.)
        let text = std::fs::read_to_string(&recipe).unwrap();
        if text.contains("asterbot:llm-script") {
            let served = text.contains("wasi:http/incoming-handler");
            let answer = |agent: &std::path::Path| {
                if served {
                    use common::serving::{Served, chat, client};
                    let server = Served::asterbot(agent, &["--keyvalue", "memory"]);
                    chat(&client(), &server.url, "wac", "hello").reply()
                } else {
                    reply(
                        &asterbot()
                            .arg("run")
                            .arg(agent)
                            .arg("hello")
                            .output()
                            .unwrap(),
                    )
                }
            };
            assert_eq!(answer(&ours), answer(&theirs), "{}", recipe.display());
        }
    }
}
