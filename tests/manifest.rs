//! The project manifest, `asterbot.toml`: found from any subfolder, it
//! says where the project's own packages come from (so no command needs a
//! `--dep`, and `git diff`'s textconv works for recipes that use them),
//! which recipes `asterbot compose` builds, and what `run` grants by
//! default. Each test has its control: the same command without the
//! manifest fails or grants nothing.

mod common;

use common::{asterbot, offline_agent, store};
use std::path::Path;
use std::process::{Command, Output};

/// A recipe using the project's own tool `local:roll` (asterbot's dice
/// component, under a name of the project's).
const RECIPE: &str = r#"package local:project;

/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script { ... };
let roll = new local:roll { ... };
let no-context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core {
    llm: llm.llm,
    tools: roll.tools,
    context: no-context.context,
    history: history.history,
    ...
};
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A project folder: the recipe, the tool's file, and (if `manifest`) an
/// `asterbot.toml` naming both, with a subfolder to work from.
fn project(manifest: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tools")).unwrap();
    std::fs::create_dir_all(dir.path().join("deep/below")).unwrap();
    std::fs::copy(
        store().join("asterbot/dice.wasm"),
        dir.path().join("tools/roll.wasm"),
    )
    .unwrap();
    std::fs::write(dir.path().join("agent.wac"), RECIPE).unwrap();
    if manifest {
        std::fs::write(
            dir.path().join("asterbot.toml"),
            r#"[[recipe]]
path = "agent.wac"
output = "target/agent.wasm"

[packages]
"local:roll" = "tools/roll.wasm"

[run]
dir = ["state::/state"]
"#,
        )
        .unwrap();
    }
    dir
}

fn in_dir(dir: &Path, args: &[&str]) -> Output {
    asterbot().current_dir(dir).args(args).output().unwrap()
}

#[test]
fn commands_find_the_manifest_from_a_subfolder_and_need_no_dep() {
    let dir = project(true);
    let below = dir.path().join("deep/below");
    let check = in_dir(&below, &["check", "../../agent.wac", "--quiet"]);
    assert!(check.status.success(), "{}", stderr(&check));
    // `compose` without a recipe builds the manifest's recipes.
    let compose = in_dir(&below, &["compose", "--quiet"]);
    assert!(compose.status.success(), "{}", stderr(&compose));
    assert!(dir.path().join("target/agent.wasm").is_file());
    // Control: without the manifest, the package is not found.
    let bare = project(false);
    let check = in_dir(
        &bare.path().join("deep/below"),
        &["check", "../../agent.wac", "--quiet"],
    );
    assert_eq!(check.status.code(), Some(1));
    assert!(stderr(&check).contains("local:roll"), "{}", stderr(&check));
    let compose = in_dir(bare.path(), &["compose"]);
    assert_eq!(compose.status.code(), Some(2), "{}", stderr(&compose));
    assert!(
        stderr(&compose).contains("no asterbot.toml"),
        "{}",
        stderr(&compose)
    );
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=asterbot",
            "-c",
            "user.email=t@asterbot.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "core.pager=cat"])
        .args(args)
        .env_remove("GIT_EXTERNAL_DIFF")
        .output()
        .expect("git runs")
}

/// `git diff` of the recipe through asterbot's textconv, from a subfolder.
fn textconv_diff(dir: &Path) -> Output {
    for args in [
        &["init", "--quiet"][..],
        &["add", "."],
        &["commit", "--quiet", "-m", "the project"],
    ] {
        let output = git(dir, args);
        assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
    }
    std::fs::write(dir.join(".gitattributes"), "*.wac diff=asterbot\n").unwrap();
    let changed = RECIPE.replace(
        "let cli = new",
        "/// @allow-env ASTERBOT_SESSION\nlet cli = new",
    );
    std::fs::write(dir.join("agent.wac"), changed).unwrap();
    let textconv = format!(
        "diff.asterbot.textconv={} diff --textconv",
        env!("CARGO_BIN_EXE_asterbot")
    );
    git(&dir.join("deep/below"), &["-c", &textconv, "diff"])
}

#[test]
fn git_diff_of_a_recipe_with_a_local_tool_works_with_a_manifest() {
    let dir = project(true);
    let output = textconv_diff(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("ASTERBOT_SESSION"), "{shown}");
    assert!(shown.contains("local:roll"), "{shown}");
    // Control: without the manifest git cannot diff the recipe at all.
    let bare = project(false);
    let output = textconv_diff(bare.path());
    assert!(
        !output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn run_takes_its_default_grants_from_the_manifest() {
    let dir = project(true);
    let below = dir.path().join("deep/below");
    let agent = offline_agent().display().to_string();
    let output = in_dir(&below, &["run", &agent, "remember that I like tea"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The manifest's `state` folder, beside it, holds the note.
    assert!(
        dir.path().join("state/memory").is_dir(),
        "{}",
        stderr(&output)
    );
    // Control: without the manifest, nothing is granted and nothing made.
    let bare = project(false);
    let output = in_dir(bare.path(), &["run", &agent, "remember that I like tea"]);
    assert!(!bare.path().join("state").exists(), "{}", stderr(&output));
}

#[test]
fn a_mistake_in_the_manifest_is_named_with_its_place() {
    let dir = project(true);
    std::fs::write(
        dir.path().join("asterbot.toml"),
        "[packages]\n\"local:roll\" = 3\n",
    )
    .unwrap();
    let output = in_dir(&dir.path().join("deep"), &["check", "../agent.wac"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("asterbot.toml"), "{text}");
    assert!(text.contains("local:roll"), "{text}");
}
