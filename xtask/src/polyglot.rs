//! Building the components written in Python and JavaScript, with the
//! same helpers and build script `asterbot new` gives an author.
//!
//! They are large (a language runtime each, 12 to 18 MB), so they are not
//! embedded in the `asterbot` binary: they are staged in the store as
//! `example:<name>`, for `recipes/polyglot.wac`. A build runs only when a
//! source, a helper or the WIT is newer than what was built, so CI builds
//! each once and every test reuses it.

use crate::run;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The language a component is written in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Language {
    /// componentize-py, from PyPI.
    Python,
    /// componentize-js, from npm.
    JavaScript,
}

/// A component of `components/` written in Python or JavaScript.
pub struct Polyglot {
    /// Its folder under `components/`, also its store name `example:<name>`.
    pub name: &'static str,
    /// The language it is written in.
    pub language: Language,
    /// The world of `wit/agent.wit` it targets.
    pub world: &'static str,
}

/// Every component written in another language than Rust.
pub const POLYGLOT: [Polyglot; 2] = [
    Polyglot {
        name: "text-stats-py",
        language: Language::Python,
        world: "tool",
    },
    Polyglot {
        name: "units-js",
        language: Language::JavaScript,
        world: "tool",
    },
];

/// The store namespace of the example components.
pub const NAMESPACE: &str = "example";

/// Where npm installs the JavaScript tooling (`.ci/run` installs it).
const NODE_TOOLS: &str = "target/tools/node";

impl Language {
    /// The peer name (as `ASTERBOT_SKIP_PEERS` knows it) and how to install it.
    pub fn toolchain(self) -> (&'static str, &'static str) {
        match self {
            Language::Python => (
                "componentize-py",
                "python3 -m pip install componentize-py==0.25.1",
            ),
            Language::JavaScript => (
                "componentize-js",
                "npm install --prefix target/tools/node @bytecodealliance/componentize-js@0.23",
            ),
        }
    }

    /// The helper an author imports, in `components/`.
    fn helper(self) -> &'static str {
        match self {
            Language::Python => "sdk-python/asterbot_tool.py",
            Language::JavaScript => "sdk-js/asterbot_tool.js",
        }
    }
}

/// Builds each Python and JavaScript component whose toolchain is here,
/// if it is older than its sources, and stages it in `store`. A missing
/// toolchain is a note, not an error: the Rust components and the demo
/// need neither.
pub fn build(root: &Path, store: &Path) -> anyhow::Result<()> {
    for component in &POLYGLOT {
        let out = store
            .join(NAMESPACE)
            .join(format!("{}.wasm", component.name));
        let (tool, install) = component.language.toolchain();
        if !toolchain_found(root, component.language) {
            if !out.exists() {
                eprintln!(
                    "note: {tool} not found, so {NAMESPACE}:{} is not built (install: {install})",
                    component.name
                );
            }
            continue;
        }
        let inputs = inputs(root, component)?;
        if newest(&inputs)? <= modified(&out) {
            continue;
        }
        eprintln!("building {NAMESPACE}:{} with {tool}", component.name);
        std::fs::create_dir_all(out.parent().expect("a store file is in a folder"))?;
        let partial = out.with_extension("wasm.partial");
        match component.language {
            Language::Python => build_python(root, component, &partial)?,
            Language::JavaScript => build_javascript(root, component, &partial)?,
        }
        std::fs::rename(&partial, &out)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

/// Whether the toolchain of `language` can be run.
fn toolchain_found(root: &Path, language: Language) -> bool {
    match language {
        Language::Python => Command::new("componentize-py")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        Language::JavaScript => {
            root.join(NODE_TOOLS)
                .join("node_modules/@bytecodealliance/componentize-js/package.json")
                .is_file()
                && Command::new("node")
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
        }
    }
}

/// `componentize-py -d wit -w WORLD componentize app`, with the helper on
/// the module path.
fn build_python(root: &Path, component: &Polyglot, out: &Path) -> anyhow::Result<()> {
    let source = root.join("components").join(component.name);
    let helper = root.join("components/sdk-python");
    run(Command::new("componentize-py")
        .arg("-d")
        .arg(root.join("wit"))
        .args(["-w", component.world, "componentize", "app", "-p"])
        .arg(&source)
        .arg("-p")
        .arg(&helper)
        .arg("-o")
        .arg(out)
        .current_dir(&source))
}

/// `node build.mjs tool.js`, in a folder under the npm prefix (where
/// componentize-js resolves), with the helper beside the source.
fn build_javascript(root: &Path, component: &Polyglot, out: &Path) -> anyhow::Result<()> {
    let work = root.join(NODE_TOOLS).join("build").join(component.name);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let source = root.join("components").join(component.name);
    for entry in std::fs::read_dir(&source)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "js" || e == "mjs") {
            std::fs::copy(&path, work.join(path.file_name().expect("a file")))?;
        }
    }
    for file in ["asterbot_tool.js", "build.mjs"] {
        std::fs::copy(root.join("components/sdk-js").join(file), work.join(file))?;
    }
    run(Command::new("node")
        .arg("build.mjs")
        .arg("tool.js")
        .arg("--wit")
        .arg(root.join("wit"))
        .args(["--world", component.world, "-o"])
        .arg(out)
        .current_dir(&work))
}

/// The files a build of `component` reads: its folder, its helper, the WIT.
fn inputs(root: &Path, component: &Polyglot) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![
        root.join("components").join(component.name),
        root.join("wit"),
    ];
    files.push(root.join("components").join(component.language.helper()));
    files.push(root.join("components/sdk-js/build.mjs"));
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read {}", folder.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "__pycache__") {
                    folders.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    Ok(files)
}

/// The latest modification time among `files`.
fn newest(files: &[PathBuf]) -> anyhow::Result<SystemTime> {
    let mut newest = SystemTime::UNIX_EPOCH;
    for file in files {
        newest = newest.max(
            std::fs::metadata(file)
                .and_then(|m| m.modified())
                .with_context(|| format!("cannot read {}", file.display()))?,
        );
    }
    Ok(newest)
}

/// When `file` was written, or the epoch if it does not exist.
fn modified(file: &Path) -> SystemTime {
    std::fs::metadata(file)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
