//! `asterbot diff` from the command line: its formats, `--fail-on` for CI,
//! `--rev` against git history, agents as well as recipes, and git's own
//! `git diff` through a textconv filter or an external diff command.

mod common;

use common::{asterbot, repo};
use std::path::Path;
use std::process::{Command, Output};

/// The case whose new recipe lets `fetch` reach any host.
fn case(name: &str, file: &str) -> std::path::PathBuf {
    repo().join("tests/diffs").join(name).join(file)
}

fn diff(args: &[&str], dir: &Path) -> Output {
    asterbot()
        .current_dir(dir)
        .arg("diff")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=asterbot",
            "-c",
            "user.email=test@asterbot.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "core.pager=cat"])
        .args(args)
        .env_remove("GIT_EXTERNAL_DIFF")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        common::failure(&output)
    );
    output
}

/// A git repository holding `agent.wac` as the hosts case's old recipe,
/// committed, with the new recipe in the working tree.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--quiet"]);
    std::fs::copy(
        case("hosts-gained", "old.wac"),
        dir.path().join("agent.wac"),
    )
    .unwrap();
    git(dir.path(), &["add", "agent.wac"]);
    git(
        dir.path(),
        &["commit", "--quiet", "-m", "the reviewed recipe"],
    );
    std::fs::copy(
        case("hosts-gained", "new.wac"),
        dir.path().join("agent.wac"),
    )
    .unwrap();
    dir
}

#[test]
fn fail_on_capability_gain_exits_3_only_when_something_was_gained() {
    let dir = repo();
    let gained = diff(
        &[
            case("hosts-gained", "old.wac").to_str().unwrap(),
            case("hosts-gained", "new.wac").to_str().unwrap(),
            "--fail-on",
            "capability-gain",
        ],
        &dir,
    );
    assert_eq!(
        gained.status.code(),
        Some(3),
        "{}",
        common::failure(&gained)
    );
    assert!(stdout(&gained).contains("GAINED  fetch  hosts  * (all granted)"));
    // Control: a change that only takes capabilities away passes.
    let lost = diff(
        &[
            case("wiring-changed", "old.wac").to_str().unwrap(),
            case("wiring-changed", "new.wac").to_str().unwrap(),
            "--fail-on",
            "capability-gain",
        ],
        &dir,
    );
    assert_eq!(lost.status.code(), Some(0), "{}", common::failure(&lost));
    // And without --fail-on, a gain is shown, not failed.
    let shown = diff(
        &[
            case("hosts-gained", "old.wac").to_str().unwrap(),
            case("hosts-gained", "new.wac").to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(shown.status.code(), Some(0));
}

#[test]
fn markdown_and_json_say_the_same_as_text() {
    let (old, new) = (
        case("approval-dropped", "old.wac"),
        case("approval-dropped", "new.wac"),
    );
    let args = |format: &str| {
        diff(
            &[
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                format,
            ],
            &repo(),
        )
    };
    let markdown = stdout(&args("markdown"));
    assert!(markdown.starts_with("### asterbot diff: `"), "{markdown}");
    assert!(
        markdown.contains("| **GAINED** | `core` | calls without asking | `http_fetch` |"),
        "{markdown}"
    );
    let json: serde_json::Value = serde_json::from_slice(&args("json").stdout).unwrap();
    assert_eq!(json["capability-gain"], true);
    assert_eq!(json["diff"]["capabilities"][1]["value"], "http_fetch");
}

#[test]
fn two_agents_diff_like_their_recipes() {
    let dir = tempfile::tempdir().unwrap();
    for side in ["old", "new"] {
        // Copied: composing writes a lock beside the recipe.
        let recipe = dir.path().join(format!("{side}.wac"));
        std::fs::copy(case("hosts-gained", &format!("{side}.wac")), &recipe).unwrap();
        common::compose(&recipe, &dir.path().join(format!("{side}.wasm")));
    }
    let output = diff(&["old.wasm", "new.wasm"], dir.path());
    assert!(output.status.success(), "{}", common::failure(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("old.wasm -> new.wasm: 1 capability GAINED, 1 capability lost"),
        "{text}"
    );
    assert!(
        text.contains("GAINED  fetch  hosts  * (all granted)"),
        "{text}"
    );
}

#[test]
fn rev_compares_a_recipe_with_its_committed_self() {
    let dir = repository();
    let output = diff(&["agent.wac", "--rev", "HEAD"], dir.path());
    assert!(output.status.success(), "{}", common::failure(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("agent.wac@HEAD -> agent.wac: 1 capability GAINED"),
        "{text}"
    );
    assert!(
        text.contains("GAINED  fetch  hosts  * (all granted)"),
        "{text}"
    );
    // Two revisions: the same one twice is no change.
    let same = diff(&["agent.wac", "--rev", "HEAD", "--rev", "HEAD"], dir.path());
    assert!(
        stdout(&same).contains("no change in meaning"),
        "{}",
        stdout(&same)
    );
    // A revision git does not know is named.
    let unknown = diff(&["agent.wac", "--rev", "no-such-branch"], dir.path());
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("cannot read `agent.wac` at revision `no-such-branch`"),
        "{stderr}"
    );
}

#[test]
fn git_diff_shows_the_meaning_through_textconv_or_an_external_diff() {
    let dir = repository();
    let exe = env!("CARGO_BIN_EXE_asterbot");
    // Control: without the attribute, git shows the recipe's lines.
    let plain = stdout(&git(dir.path(), &["diff"]));
    assert!(
        plain.contains("-/// @allow-host api.example.com"),
        "{plain}"
    );
    assert!(!plain.contains("hosts * (all granted)"), "{plain}");

    std::fs::write(dir.path().join(".gitattributes"), "*.wac diff=asterbot\n").unwrap();
    let textconv = format!("diff.asterbot.textconv={exe} diff --textconv");
    let facts = stdout(&git(dir.path(), &["-c", &textconv, "diff"]));
    assert!(
        facts.contains("+instance fetch: hosts * (all granted)"),
        "{facts}"
    );
    assert!(
        facts.contains("-instance fetch: hosts api.example.com"),
        "{facts}"
    );

    let command = format!("diff.asterbot.command={exe} diff --git");
    let report = stdout(&git(dir.path(), &["-c", &command, "diff"]));
    assert!(
        report.contains("a/agent.wac -> b/agent.wac: 1 capability GAINED"),
        "{report}"
    );
    assert!(
        report.contains("GAINED  fetch  hosts  * (all granted)"),
        "{report}"
    );
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.wac"), [0xff, 0xfe, 0]).unwrap();
    let output = diff(&["junk.wac", "junk.wac"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`junk.wac` is neither a recipe"),
        "{stderr}"
    );
    // One file is a usage error (2), as documented.
    let output = diff(&["only-one.wac"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let output = diff(&["a.wac", "b.wac", "c.wac"], dir.path());
    assert!(String::from_utf8_lossy(&output.stderr).contains("takes two files"));
}

/// `text` with every short digest but the all-zero one shown as
/// `sha256:<digest>`: the README's figures are real, and a rebuilt
/// component must not make them fail.
fn mask_digests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("sha256:") {
        let (head, tail) = rest.split_at(at + "sha256:".len());
        out.push_str(head);
        let hex = tail.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        if hex >= 12 && !tail[..hex].bytes().all(|b| b == b'0') {
            out.push_str("<digest>");
        } else {
            out.push_str(&tail[..hex]);
        }
        rest = &tail[hex..];
    }
    out.push_str(rest);
    // Masking changes widths; compare words, not alignment.
    out.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fenced block that follows `marker` in the README.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find(marker)
        .unwrap_or_else(|| panic!("the README has `{marker}`"));
    let body = &readme[start + marker.len()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_readme_shows_a_shipped_recipe_change_as_the_command_prints_it() {
    let block =
        readme_block("<!-- asterbot diff recipes/openai.wac recipes/openai-ollama.wac -->\n");
    let output = diff(
        &["recipes/openai.wac", "recipes/openai-ollama.wac"],
        &repo(),
    );
    assert!(output.status.success(), "{}", common::failure(&output));
    assert_eq!(
        mask_digests(&block),
        mask_digests(&stdout(&output)),
        "the README's example is out of date: paste `asterbot diff recipes/openai.wac recipes/openai-ollama.wac` into it"
    );
    // The digest example is the digest-changed case's output.
    let digests = readme_block("changed shows by digest (from `tests/diffs/digest-changed`):\n");
    let case = diff(
        &[
            case("digest-changed", "old.wac").to_str().unwrap(),
            case("digest-changed", "new.wac").to_str().unwrap(),
        ],
        &repo(),
    );
    let printed = mask_digests(&stdout(&case));
    for line in mask_digests(&digests).lines() {
        assert!(printed.contains(line), "`{line}` is not in:\n{printed}");
    }
}
