//! The README and the docs, run verbatim. A command block marked with
//! `<!-- verbatim -->` on the line before it is run as a reader would run
//! it: from a fresh folder holding only a copy of the repository's
//! `recipes/` (what a clone gives), with the `asterbot` binary first on
//! `PATH`.
//!
//! - In a `console` block each `$ ` line is a command; the lines after it
//!   are what it prints (standard output, then standard error). A line
//!   `...` stands for any lines. With `<!-- verbatim: exact -->` the
//!   output must be exactly that; otherwise each line shown must appear,
//!   in order.
//! - In an `sh` block every line is a command that must succeed.
//!
//! `ASTERBOT_BLESS=1 cargo test --test readme` rewrites the output of the
//! exact blocks from what the commands print now; read the diff.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that re-blesses exact blocks.
const BLESS: &str = "ASTERBOT_BLESS";

/// One marked block.
struct Block {
    /// The file and the line of its opening fence.
    file: PathBuf,
    line: usize,
    /// `console` or `sh`.
    lang: String,
    exact: bool,
    /// The lines between the fences.
    body: Vec<String>,
}

/// The marked blocks of `file`.
fn blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let marker = lines[index].trim();
        let exact = marker == "<!-- verbatim: exact -->";
        if (marker == "<!-- verbatim -->" || exact)
            && let Some(lang) = lines
                .get(index + 1)
                .and_then(|fence| fence.strip_prefix("```"))
        {
            let start = index + 2;
            let end = (start..lines.len())
                .find(|&i| lines[i].starts_with("```"))
                .unwrap_or_else(|| panic!("{}:{}: an unclosed block", file.display(), index + 2));
            found.push(Block {
                file: file.to_path_buf(),
                line: index + 2,
                lang: lang.trim().to_string(),
                exact,
                body: lines[start..end].iter().map(|l| l.to_string()).collect(),
            });
            index = end;
        }
        index += 1;
    }
    found
}

/// A fresh folder with the repository's recipes, as a clone has them.
fn fresh_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let recipes = dir.path().join("recipes");
    std::fs::create_dir_all(&recipes).unwrap();
    for entry in std::fs::read_dir(common::repo().join("recipes")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, recipes.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Runs `command` with `sh` in `dir`, asterbot first on PATH: its exit
/// status and what it printed (standard output, then standard error).
fn run(dir: &Path, command: &str) -> (bool, String) {
    let binary = Path::new(env!("CARGO_BIN_EXE_asterbot"));
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .env(
            "ASTERBOT_CACHE_DIR",
            common::repo().join("target/test-cache"),
        )
        .env(
            "ASTERBOT_CACHE_KEY",
            common::repo().join("target/test-cache-key/cache.key"),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

/// Whether `printed` shows `expected`: every line of it in order (`...`
/// any lines); with `exact`, nothing else either.
fn shows(printed: &str, expected: &[String], exact: bool) -> bool {
    let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
    // A blank line ends the output shown (before the next `$ `); loose
    // blocks need not show blank lines at all.
    let shown = expected.len()
        - expected
            .iter()
            .rev()
            .take_while(|l| l.trim().is_empty())
            .count();
    let mut at = 0;
    let mut gap = !exact;
    for line in expected[..shown]
        .iter()
        .filter(|line| exact || !line.trim().is_empty())
    {
        if line.trim() == "..." {
            gap = true;
            continue;
        }
        let line = line.trim_end();
        match printed[at..].iter().position(|p| same(p, line)) {
            Some(0) => at += 1,
            Some(skip) if gap => at += skip + 1,
            _ => return false,
        }
        gap = !exact;
    }
    gap || at == printed.len()
}

/// Whether `printed` is the line `shown`, in which `[..]` stands for any
/// text (a size, a path that differs from run to run).
fn same(printed: &str, shown: &str) -> bool {
    let mut parts = shown.split("[..]");
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = printed.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// The `$ ` commands of a console block, each with the output shown.
fn commands(block: &Block) -> Vec<(String, Vec<String>)> {
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    for line in &block.body {
        match line.strip_prefix("$ ") {
            Some(command) => commands.push((command.to_string(), Vec::new())),
            None => commands
                .last_mut()
                .unwrap_or_else(|| {
                    panic!(
                        "{}:{}: output before the first `$ `",
                        block.file.display(),
                        block.line
                    )
                })
                .1
                .push(line.clone()),
        }
    }
    commands
}

#[test]
fn every_verbatim_block_of_the_readme_and_the_docs_runs_as_written() {
    let mut files = vec![common::repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(common::repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let bless = std::env::var_os(BLESS).is_some();
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in &files {
        let mut blessed: Vec<(usize, Vec<String>)> = Vec::new();
        // One fresh folder per file: a page's blocks build on each other.
        let dir = fresh_folder();
        for block in blocks(file) {
            let place = format!("{}:{}", file.display(), block.line);
            match block.lang.as_str() {
                "console" => {
                    let mut body = Vec::new();
                    for (command, expected) in commands(&block) {
                        let (ok, printed) = run(dir.path(), &command);
                        ran += 1;
                        if !ok {
                            failures.push(format!("{place}: `{command}` failed:\n{printed}"));
                        } else if !shows(&printed, &expected, block.exact) {
                            failures.push(format!(
                                "{place}: `{command}` printed\n{printed}\ninstead of\n{}",
                                expected.join("\n")
                            ));
                        }
                        body.push(format!("$ {command}"));
                        body.extend(printed.lines().map(|l| l.trim_end().to_string()));
                    }
                    if bless && block.exact {
                        blessed.push((block.line, body));
                    }
                }
                "sh" => {
                    for command in &block.body {
                        if command.trim().is_empty() || command.trim_start().starts_with('#') {
                            continue;
                        }
                        let (ok, printed) = run(dir.path(), command);
                        ran += 1;
                        if !ok {
                            failures.push(format!("{place}: `{command}` failed:\n{printed}"));
                        }
                    }
                }
                other => failures.push(format!(
                    "{place}: a verbatim block must be `console` or `sh`, not `{other}`"
                )),
            }
        }
        if !blessed.is_empty() {
            rewrite(file, &blessed);
        }
    }
    assert!(ran > 0, "no verbatim block found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Replaces the bodies of the blocks opening at the given lines.
fn rewrite(file: &Path, blessed: &[(usize, Vec<String>)]) {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        out.push(lines[index].to_string());
        if let Some((_, body)) = blessed.iter().find(|(line, _)| *line == index + 1) {
            out.extend(body.iter().cloned());
            index += 1;
            while !lines[index].starts_with("```") {
                index += 1;
            }
            continue;
        }
        index += 1;
    }
    std::fs::write(file, out.join("\n") + "\n").unwrap();
}

#[test]
fn the_matcher_takes_lines_in_order_with_gaps_where_shown() {
    let expected = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    let printed = "a\nb\nc\n";
    assert!(shows(printed, &expected(&["a", "c"]), false));
    assert!(!shows(printed, &expected(&["c", "a"]), false));
    assert!(!shows(printed, &expected(&["a", "c"]), true));
    assert!(shows(printed, &expected(&["a", "...", "c"]), true));
    assert!(shows(printed, &expected(&["a", "b", "c"]), true));
    assert!(!shows(printed, &expected(&["a", "b"]), true));
    assert!(shows(printed, &expected(&["a", "..."]), true));
    assert!(same("composed x (2262 KiB, y)", "composed x ([..] KiB, y)"));
    assert!(same("abc", "a[..]"));
    assert!(!same("abc", "b[..]"));
    assert!(!same("abc", "ab"));
}
