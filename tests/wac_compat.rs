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
        let text = std::fs::read_to_string(&recipe).unwrap();
        // The Python and JavaScript examples come from the store (built
        // by `cargo xtask build` where their toolchains are).
        let polyglot = text.contains("new example:");
        if polyglot && common::polyglot_agent().is_none() {
            continue;
        }
        // Composed from a copy: compose writes a lock beside the recipe
        // when it has none (the polyglot one), and checks it when it has.
        let copy = dir.path().join(recipe.file_name().unwrap());
        std::fs::copy(&recipe, &copy).unwrap();
        if recipe.with_extension("lock").is_file() {
            std::fs::copy(recipe.with_extension("lock"), copy.with_extension("lock")).unwrap();
        }
        let ours = dir.path().join(format!("{stem}.asterbot.wasm"));
        let output = asterbot()
            .arg("compose")
            .arg(&copy)
            .arg("-o")
            .arg(&ours)
            .arg("--deps-dir")
            .arg(store())
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
        // before every tool, so this turn uses none.) The polyglot agent
        // is left out here: compiling two 30 MB artifacts costs half a
        // minute, and tests/polyglot.rs holds its conversations.
        if text.contains("asterbot:llm-script") && !polyglot {
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
            // The fallback's first line says why the first model failed,
            // and wac's artifact has none of the recipe's baked settings
            // (so it fails for another reason): the answers are compared.
            let answered = |text: String| {
                text.lines()
                    .skip_while(|line| line.starts_with("[answered by the fallback model"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(
                answered(answer(&ours)),
                answered(answer(&theirs)),
                "{}",
                recipe.display()
            );
        }
    }
}

#[test]
fn asterbot_export_writes_the_folder_wac_composes_from() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("deps");
    let output = asterbot()
        .args(["export", "-o"])
        .arg(&exported)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The very components built into asterbot: the build's own files.
    for entry in std::fs::read_dir(store().join("asterbot")).unwrap() {
        let built = entry.unwrap().path();
        let name = built.file_name().unwrap();
        assert_eq!(
            std::fs::read(exported.join("asterbot").join(name)).ok(),
            Some(std::fs::read(&built).unwrap()),
            "{}",
            name.to_string_lossy()
        );
    }
    assert!(exported.join("asterbot/agent/agent.wit").is_file());
    let Some(_) = wac() else { return };
    let compose = |deps: &std::path::Path| {
        wac()
            .unwrap()
            .arg("compose")
            .arg("--deps-dir")
            .arg(deps)
            .arg(repo().join("recipes/minimal.wac"))
            .arg("-o")
            .arg(dir.path().join("plain.wasm"))
            .output()
            .unwrap()
    };
    let output = compose(&exported);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Control: without the exported folder, wac finds no asterbot package.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(!compose(&empty).status.success());
}
