//! The path of a component author, outside the repository: `asterbot wit`
//! writes the WIT, `asterbot new tool` scaffolds a project in Rust, Python
//! or JavaScript that tests, builds, fits the `tool` world (`asterbot
//! targets`), composes into an agent and answers a turn.

mod common;

use common::{asterbot, peer_tool, reply, repo};
use std::path::Path;
use std::process::{Command, Output};

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn asterbot_wit_writes_the_package_components_build_against() {
    let dir = tempfile::tempdir().unwrap();
    // `-o` as every other command that writes, and the older `--out`.
    for flag in ["-o", "--out"] {
        let out = dir.path().join(format!("wit{flag}"));
        ok(
            asterbot().args(["wit", flag]).arg(&out).output().unwrap(),
            &format!("asterbot wit {flag}"),
        );
        for file in ["agent.wit", "deps/keyvalue/keyvalue.wit"] {
            assert_eq!(
                std::fs::read_to_string(out.join(file)).unwrap(),
                std::fs::read_to_string(repo().join("wit").join(file)).unwrap(),
                "{file}"
            );
        }
    }
    let printed = ok(asterbot().arg("wit").output().unwrap(), "asterbot wit");
    assert!(printed.starts_with("//") || printed.contains("package asterbot:agent@"));
}

#[test]
fn asterbot_targets_names_the_world_or_what_is_missing() {
    let store = common::store();
    let fits = ok(
        asterbot()
            .arg("targets")
            .arg(store.join("asterbot/calculator.wasm"))
            .output()
            .unwrap(),
        "targets calculator",
    );
    assert!(
        fits.contains("fits world `tool` of asterbot:agent"),
        "{fits}"
    );

    let output = asterbot()
        .arg("targets")
        .arg(store.join("asterbot/core.wasm"))
        .args(["--world", "tool"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let told = String::from_utf8_lossy(&output.stdout);
    assert!(
        told.contains("does not fit world `tool`")
            && told
                .contains("it imports `asterbot:agent/llm@0.2.0`, which this world does not offer")
            && told.contains("it does not export `asterbot:agent/tools@0.2.0` (an instance)"),
        "{told}"
    );

    // The best fit is the world whose exports, then imports, the
    // component uses most: memory exports tools and a prompt section, the
    // stored approver both approval interfaces.
    for (component, world) in [
        ("memory", "tools-and-context"),
        ("approval-queue", "approver-stored"),
        ("history-file", "history-compacting"),
        ("llm-openai", "llm-provider"),
    ] {
        let told = ok(
            asterbot()
                .arg("targets")
                .arg(store.join(format!("asterbot/{component}.wasm")))
                .output()
                .unwrap(),
            component,
        );
        assert!(
            told.contains(&format!("fits world `{world}` of asterbot:agent")),
            "{component}: {told}"
        );
    }

    // A guard exports WASI, none of asterbot's interfaces. That it asks
    // nothing a world without exports asks for (front-end) is no fit.
    for guard in ["guard-env", "guard-sockets"] {
        let output = asterbot()
            .arg("targets")
            .arg(store.join(format!("asterbot/{guard}.wasm")))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{guard}");
        assert!(
            String::from_utf8_lossy(&output.stdout)
                .contains("exports none of asterbot's interfaces"),
            "{guard}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }

    let output = asterbot()
        .arg("targets")
        .arg(repo().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(common::failure(&output).contains("it is not a WebAssembly file"));
}

/// `asterbot wit | head` ends quietly when `head` stops reading: no panic
/// on the closed pipe.
#[cfg(unix)]
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = asterbot()
        .arg("wit")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The read end closes before asterbot (still starting) writes a byte.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        output.status.success() || output.status.signal() == Some(13),
        "{:?}",
        output.status
    );
}

#[test]
fn a_malformed_dep_is_an_error_not_ignored() {
    let output = asterbot()
        .args(["compose", "recipes/minimal.wac", "-o", "/dev/null"])
        .args(["--dep", "weather=./weather.wasm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`weather` is not a package name"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The languages `asterbot new` writes, and what each needs.
#[derive(Clone, Copy, Debug)]
enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    fn flag(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

/// Scaffolds `word-count` in `lang` outside the repository, runs its own
/// test, builds it, checks it fits the `tool` world, composes its
/// `agent.wac` and holds a turn that calls the tool.
fn scaffold_build_and_talk(lang: Lang) {
    let toolchain = match lang {
        Lang::Rust => None,
        Lang::Python => Some(("componentize-py", "pip install componentize-py==0.25.1")),
        // Installed (and found on PATH) by .ci/run, in target/tools/node.
        Lang::Js => Some((
            "componentize-js",
            "npm install --prefix target/tools/node @bytecodealliance/componentize-js@0.23",
        )),
    };
    if let Some((name, install)) = toolchain
        && peer_tool(name, install).is_none()
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("word-count");
    let told = ok(
        asterbot()
            .args(["new", "tool", "word-count", "--lang", lang.flag(), "--dir"])
            .arg(&project)
            .output()
            .unwrap(),
        "asterbot new",
    );
    assert!(
        told.contains("let word-count = new local:word-count { ... };"),
        "{told}"
    );
    assert!(project.join("wit/agent.wit").is_file());

    let built = match lang {
        Lang::Rust => {
            // Its own target folder, kept between runs under target/.
            let target = repo().join("target/authoring");
            let cargo = || {
                let mut cargo = Command::new(env!("CARGO"));
                cargo.current_dir(&project).env("CARGO_TARGET_DIR", &target);
                cargo
            };
            ok(
                cargo().args(["test", "--lib"]).output().unwrap(),
                "cargo test --lib",
            );
            ok(
                cargo()
                    .args(["build", "--release", "--target", "wasm32-wasip2"])
                    .output()
                    .unwrap(),
                "cargo build",
            );
            target.join("wasm32-wasip2/release/word_count.wasm")
        }
        Lang::Python => {
            let componentize = || {
                let mut command = Command::new("componentize-py");
                command.current_dir(&project);
                command
            };
            ok(
                componentize()
                    .args(["-d", "wit", "-w", "tool", "bindings", "."])
                    .output()
                    .unwrap(),
                "componentize-py bindings",
            );
            ok(
                Command::new("python3")
                    .args(["-m", "unittest", "test_app"])
                    .current_dir(&project)
                    .output()
                    .unwrap(),
                "python3 -m unittest",
            );
            ok(
                componentize()
                    .args([
                        "-d",
                        "wit",
                        "-w",
                        "tool",
                        "componentize",
                        "app",
                        "-o",
                        "word-count.wasm",
                    ])
                    .output()
                    .unwrap(),
                "componentize-py componentize",
            );
            project.join("word-count.wasm")
        }
        Lang::Js => {
            // A clean `npm install` from the registry, with a cache of its
            // own: the project's package.json alone must name every
            // package its build imports.
            ok(
                Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--cache"])
                    .arg(dir.path().join("npm-cache"))
                    .current_dir(&project)
                    .output()
                    .unwrap(),
                "npm install",
            );
            let npm = |script: &str| {
                Command::new("npm")
                    .args(["run", "--silent", script])
                    .current_dir(&project)
                    .output()
                    .unwrap()
            };
            ok(npm("test"), "npm test");
            ok(npm("build"), "npm run build");
            project.join("word-count.wasm")
        }
    };
    check_and_talk(&project, &built);
}

/// The built tool fits the `tool` world, composes and answers a turn.
fn check_and_talk(project: &Path, built: &Path) {
    let fits = ok(
        asterbot().arg("targets").arg(built).output().unwrap(),
        "asterbot targets",
    );
    assert!(fits.contains("fits world `tool`"), "{fits}");
    let agent = project.join("agent.wasm");
    ok(
        asterbot()
            .arg("compose")
            .arg(project.join("agent.wac"))
            .arg("--dep")
            .arg(format!("local:word-count={}", built.display()))
            .arg("-o")
            .arg(&agent)
            .output()
            .unwrap(),
        "asterbot compose agent.wac",
    );
    let turn = |message: &str| {
        reply(
            &asterbot()
                .arg("run")
                .arg(&agent)
                .arg("--dir")
                .arg(format!("{}::/project", project.display()))
                .args(["--env", "ASTERBOT_SCRIPT=/project/script.json"])
                .arg(message)
                .output()
                .unwrap(),
        )
    };
    assert_eq!(
        turn("use word_count on hello there"),
        "The tool said: HELLO THERE"
    );
    // An error the tool returns reaches the model; the turn goes on.
    assert_eq!(
        turn("use word_count on 12 34"),
        "The tool failed: `text` has no letters to upper-case"
    );
}

#[test]
fn a_rust_tool_scaffolded_outside_the_repository_builds_and_answers() {
    scaffold_build_and_talk(Lang::Rust);
}

#[test]
fn a_python_tool_scaffolded_outside_the_repository_builds_and_answers() {
    scaffold_build_and_talk(Lang::Python);
}

#[test]
fn a_javascript_tool_scaffolded_outside_the_repository_builds_and_answers() {
    scaffold_build_and_talk(Lang::Js);
}
