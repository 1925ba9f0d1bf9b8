//! `asterbot graph`: a picture of a composition, read from the wiring,
//! the same from a recipe and from its artifact, on every run; the
//! README's picture of the offline agent is the command's output.

mod common;

use common::{asterbot, offline_agent, reply, repo};

fn graph(input: &std::path::Path, format: &str) -> String {
    graph_with(input, format, &[])
}

fn graph_with(input: &std::path::Path, format: &str, flags: &[&str]) -> String {
    reply(
        &asterbot()
            .arg("graph")
            .arg(input)
            .args(["--format", format])
            .args(flags)
            .output()
            .unwrap(),
    )
}

#[test]
fn by_default_the_guards_are_written_on_the_instances_not_drawn() {
    let recipe = repo().join("recipes/minimal.wac");
    let mermaid = graph(&recipe, "mermaid");
    assert!(
        mermaid.lines().any(|l| l
            == "  i_llm[\"llm<br/>asterbot:llm-script<br/>env ASTERBOT_SCRIPT; dirs /scripts\"]"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  i_llm -- \"llm\" --> i_core"),
        "{mermaid}"
    );
    // Control: `--guards` draws every guard; by default none is.
    assert!(!mermaid.contains("g_"), "{mermaid}");
    let drawn = graph_with(&recipe, "mermaid", &["--guards"]);
    assert!(drawn.contains("g_env_guard_1"), "{drawn}");
    assert!(
        drawn.lines().count() > mermaid.lines().count() + 5,
        "{drawn}"
    );
    // An unguarded import is drawn from the runtime even so.
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.wasm");
    let output = common::compose_with(&recipe, &bare, &["--no-guards".to_string()]);
    assert!(output.status.success());
    let unguarded = graph(&bare, "mermaid");
    assert!(unguarded.contains("runtime -- "), "{unguarded}");
}

#[test]
fn the_picture_shows_instances_wiring_guards_and_the_runtime() {
    let recipe = repo().join("recipes/minimal.wac");
    let mermaid = graph_with(&recipe, "mermaid", &["--guards"]);
    for line in [
        "flowchart LR",
        "  i_llm[\"llm<br/>asterbot:llm-script\"]",
        "  i_llm -- \"llm\" --> i_core",
        "  i_history -- \"history\" --> i_core",
        "  i_core -- \"agent\" --> i_cli",
        "  g_stdio_guard_1 -- \"stdio\" --> i_core",
        "  runtime -- \"env\" --> g_env_guard_1",
    ] {
        assert!(
            mermaid.lines().any(|l| l == line),
            "no `{line}` in:\n{mermaid}"
        );
    }
    // The front end reaches the terminal directly, not through stdio.
    assert!(!mermaid.contains("\"stdio\" --> i_cli"), "{mermaid}");
    let dot = graph_with(&recipe, "dot", &["--guards"]);
    assert!(
        dot.starts_with("digraph agent {") && dot.contains("i_llm -> i_core [label=\"llm\"];"),
        "{dot}"
    );
    let svg = graph(&recipe, "svg");
    assert!(
        svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("llm"),
        "{svg}"
    );
}

#[test]
fn the_picture_is_the_same_from_the_recipe_the_artifact_and_every_run() {
    let recipe = repo().join("recipes/offline.wac");
    let from_recipe = graph(&recipe, "mermaid");
    assert_eq!(from_recipe, graph(&recipe, "mermaid"));
    assert_eq!(from_recipe, graph(offline_agent(), "mermaid"));
    assert_eq!(graph(&recipe, "dot"), graph(offline_agent(), "dot"));
    // Each run is a new process with new hash seeds: the layout crate's
    // font classes came out in either order until asterbot sorted them
    // (eight runs all alike by chance: 1 in 128).
    let svg = graph(offline_agent(), "svg");
    for _ in 0..7 {
        assert_eq!(svg, graph(offline_agent(), "svg"));
    }
}

#[test]
fn the_readme_shows_the_offline_agent_as_the_command_draws_it() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let marker = "<!-- asterbot graph recipes/offline.wac -->\n```mermaid\n";
    let start = readme.find(marker).expect("the README has the picture") + marker.len();
    let end = start + readme[start..].find("```").unwrap();
    let drawn = graph(&repo().join("recipes/offline.wac"), "mermaid");
    assert_eq!(
        readme[start..end].trim_end(),
        drawn,
        "the README's picture is out of date: paste `asterbot graph recipes/offline.wac` into it"
    );
}
