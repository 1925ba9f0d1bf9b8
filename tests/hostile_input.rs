//! Hostile and malformed input never crashes the composer: every case
//! exits with code 1, says what is wrong, and never panics or aborts.

mod common;

use common::{asterbot, store};
use std::path::Path;

/// What a case feeds the composer.
enum Input {
    /// Recipe bytes.
    Recipe(Vec<u8>),
    /// A recipe using package `acme:x`, with this component file for it.
    Component(Vec<u8>),
    /// A recipe using package `acme:x`, whose file is a directory.
    ComponentIsDirectory,
}

/// (name, input, a phrase the message must contain)
fn cases() -> Vec<(&'static str, Input, &'static str)> {
    use Input::{Component, Recipe};
    let text = |s: &str| Recipe(s.as_bytes().to_vec());
    let agent = std::fs::read(store().join("asterbot/clock.wasm")).unwrap();
    let mut flipped = agent.clone();
    for i in (100..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let long_name = "a".repeat(100_000);
    vec![
        ("empty recipe", text(""), "expected `package` keyword"),
        (
            "whitespace only",
            text(" \n\t\n"),
            "expected `package` keyword",
        ),
        (
            "binary garbage recipe",
            Recipe(garbage.clone()),
            "cannot read recipe",
        ),
        ("NUL bytes", text("package a:b;\0\0\0"), "recipe.wac"),
        ("punctuation soup", text("%%%% &&& ^^^"), "recipe.wac"),
        ("package without name", text("package;"), "expected"),
        ("package without semicolon", text("package a:b"), "expected"),
        (
            "huge identifier",
            text(&format!(
                "package a:b;\nlet {long_name} = new asterbot:clock {{ ... }};"
            )),
            "recipe.wac",
        ),
        (
            "huge package name",
            text(&format!(
                "package a:b;\nlet x = new {long_name}:{long_name} {{ ... }};"
            )),
            "unknown package",
        ),
        (
            "deep parentheses",
            text(&format!(
                "package a:b;\nlet x = {}y{};",
                "(".repeat(100_000),
                ")".repeat(100_000)
            )),
            "nested",
        ),
        (
            "deep braces",
            text(&format!(
                "package a:b;\nlet x = new a:b {}",
                "{".repeat(100_000)
            )),
            "nested",
        ),
        (
            "deep type nesting",
            text(&format!(
                "package a:b;\ntype t = {}u8{};",
                "list<".repeat(50_000),
                ">".repeat(50_000)
            )),
            "nested",
        ),
        (
            "10 MB of comments",
            text(&format!(
                "{}\nlet x = 1;",
                "// hostile comment line ................................\n".repeat(190_000)
            )),
            "expected `package` keyword",
        ),
        (
            "10 MB block comment then nothing",
            text(&format!("/*{}*/", "x".repeat(10_000_000))),
            "expected `package` keyword",
        ),
        (
            "unterminated block comment",
            text("package a:b;\n/* never closed"),
            "recipe.wac",
        ),
        (
            "unterminated string",
            text("package a:b;\nlet c = new asterbot:cli { ... };\nexport c[\"wasi:cli"),
            "recipe.wac",
        ),
        (
            "self-instantiation",
            text("package test:me;\nlet me = new test:me { ... };\nexport me...;"),
            "test:me",
        ),
        (
            "self reference",
            text("package a:b;\nlet t = new asterbot:clock { tools: t.tools, ... };"),
            "undefined name `t`",
        ),
        (
            "path-like package",
            text("package a:b;\nlet x = new ../../etc:passwd { ... };"),
            "recipe.wac",
        ),
        (
            "path-like namespace",
            text("package a:b;\nlet x = new etc:..passwd { ... };"),
            "recipe.wac",
        ),
        (
            "duplicate let",
            text(
                "package a:b;\nlet x = new asterbot:tools-end { ... };\nlet x = new asterbot:tools-end { ... };",
            ),
            "already defined",
        ),
        (
            "argument given twice",
            text(
                "package a:b;\nlet e = new asterbot:tools-end { ... };\nlet c = new asterbot:clock { tools: e.tools, tools: e.tools, ... };",
            ),
            "duplicate instantiation argument",
        ),
        (
            "unknown argument",
            text(
                "package a:b;\nlet e = new asterbot:tools-end { ... };\nlet c = new asterbot:clock { tool: e.tools, ... };",
            ),
            "tool",
        ),
        (
            "unknown export",
            text(
                "package a:b;\nlet e = new asterbot:tools-end { ... };\nlet c = new asterbot:clock { tools: e.tool, ... };",
            ),
            "no export named `tool`",
        ),
        (
            "export of unknown name",
            text("package a:b;\nexport nothing;"),
            "undefined name `nothing`",
        ),
        (
            "spread not last",
            text("package a:b;\nlet c = new asterbot:clock { ..., tools: x };"),
            "recipe.wac",
        ),
        (
            "type mismatch",
            text(
                "package a:b;\nlet l = new asterbot:llm-script { ... };\nlet c = new asterbot:audit-log { tools: l.llm, ... };",
            ),
            "mismatched instantiation argument",
        ),
        (
            "missing argument",
            text("package a:b;\nlet c = new asterbot:clock {};\nexport c...;"),
            "missing instantiation argument",
        ),
        (
            "no entry point",
            text("package a:b;\nlet e = new asterbot:tools-end { ... };\nexport e...;"),
            "exports no entry point",
        ),
        (
            "unknown version",
            text("package a:b;\nlet e = new asterbot:tools-end@9.9.9 { ... };"),
            "unknown package",
        ),
        (
            "bad version",
            text("package a:b;\nlet e = new asterbot:tools-end@x.y { ... };"),
            "recipe.wac",
        ),
        (
            "emoji identifiers",
            text("package a:b;\nlet 🦀 = new asterbot:tools-end { ... };"),
            "recipe.wac",
        ),
        (
            "empty component file",
            Component(Vec::new()),
            "not a WebAssembly component",
        ),
        (
            "garbage component file",
            Component(garbage),
            "not a WebAssembly component",
        ),
        (
            "core module",
            Component(b"\0asm\x01\0\0\0".to_vec()),
            "core WebAssembly module",
        ),
        (
            "component header only",
            Component(b"\0asm\x0d\0\x01\0".to_vec()),
            "acme:x",
        ),
        (
            "truncated component",
            Component(agent[..agent.len() / 2].to_vec()),
            "acme:x",
        ),
        ("corrupted component", Component(flipped), "acme:x"),
        (
            "WAT text instead of binary",
            Component(b"(component)".to_vec()),
            "not a WebAssembly component",
        ),
        (
            "50 MB of zeros",
            Component(vec![0; 50 << 20]),
            "not a WebAssembly component",
        ),
        (
            "a directory as the component",
            Input::ComponentIsDirectory,
            "cannot read the component for `acme:x`",
        ),
    ]
}

/// Composes `input` in `dir` and returns (exit code, stderr).
fn compose(dir: &Path, input: &Input) -> (Option<i32>, String) {
    let recipe = dir.join("recipe.wac");
    let mut extra = Vec::new();
    match input {
        Input::Recipe(bytes) => std::fs::write(&recipe, bytes).unwrap(),
        Input::Component(_) | Input::ComponentIsDirectory => {
            let text = "package a:b;\nlet x = new acme:x { ... };\nexport x...;\n";
            std::fs::write(&recipe, text).unwrap();
            let file = dir.join("x.wasm");
            match input {
                Input::Component(bytes) => std::fs::write(&file, bytes).unwrap(),
                _ => std::fs::create_dir(&file).unwrap(),
            }
            extra.push(format!("--dep=acme:x={}", file.display()));
        }
    }
    let output = asterbot()
        .arg("compose")
        .arg(&recipe)
        .args(&extra)
        .arg("--store")
        .arg(store())
        .arg("-o")
        .arg(dir.join("out.wasm"))
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn hostile_recipes_and_components_get_errors_not_crashes() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (name, input, phrase) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, stderr) = compose(dir.path(), input);
        let problems: Vec<&str> = [
            (code != Some(1), "exit code is not 1"),
            (stderr.contains("panicked"), "panicked"),
            (
                !stderr.contains(phrase),
                "the message lacks the expected phrase",
            ),
            (
                dir.path().join("out.wasm").exists(),
                "an artifact was written",
            ),
        ]
        .into_iter()
        .filter_map(|(bad, what)| bad.then_some(what))
        .collect();
        if !problems.is_empty() {
            let shown: String = stderr.chars().take(1500).collect();
            failures.push(format!(
                "{name}: {problems:?} (exit {code:?}, wanted `{phrase}`):\n{shown}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
