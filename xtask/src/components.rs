//! Building the component workspace and staging what the tests and the
//! upstream `wac` CLI read from folders. `asterbot` itself needs neither:
//! it embeds its own components (see `bundle/`).

#[path = "../../bundle/components_build.rs"]
mod components_build;

use crate::{cargo, run};
use anyhow::Context;
use std::path::Path;

/// asterbot's components laid out as a `wac compose --deps-dir` folder,
/// relative to the repository root.
pub const STORE: &str = "target/store";

/// The test fixtures, as a `--deps-dir` folder (`test:hostile`, ...): they
/// never enter a store that users compose from.
pub const TEST_COMPONENTS: &str = "target/test-components";

/// Where the component workspace builds (shared with `bundle/build.rs`).
const BUILT: &str = "target/wasm/wasm32-wasip2/release";

/// The target the components are built for.
const TARGET: &str = "wasm32-wasip2";

/// Builds every component for wasm32-wasip2 (incrementally, as cargo
/// does) and stages each changed one: asterbot's in
/// `target/store/asterbot/<package>.wasm`, the fixtures in
/// `target/test-components/test/<name>.wasm`; then the Python and
/// JavaScript ones (see [`crate::polyglot`]) in `target/store/example/`.
///
/// The build itself is `bundle/build.rs`'s, the one place that knows how
/// the components are compiled (so that their digests, pinned in the
/// recipes' lock files, are the same whoever builds them).
pub fn build(root: &Path) -> anyhow::Result<()> {
    ensure_target()?;
    let manifest = root.join("components/Cargo.toml");
    // The bundle's own build runs this too, silently (cargo keeps a build
    // script's output); run first here, a cold build shows its progress,
    // and the bundle's run finds everything built.
    eprintln!("building asterbot's components (wasm32-wasip2; the first build takes minutes)");
    run(
        components_build::components_build(&manifest, &root.join("target/wasm")).current_dir(root),
    )?;
    run(cargo()
        .args(["build", "--quiet", "--package", "asterbot-bundle"])
        .current_dir(root))?;
    let built = root.join(BUILT);
    for component in artifacts(&manifest)? {
        let from = built.join(format!("{}.wasm", component.artifact));
        let to = match component.package.strip_prefix("fixture-") {
            Some(name) => root
                .join(TEST_COMPONENTS)
                .join("test")
                .join(format!("{name}.wasm")),
            None => root
                .join(STORE)
                .join("asterbot")
                .join(format!("{}.wasm", component.package)),
        };
        let bytes =
            std::fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
        if std::fs::read(&to).ok().as_deref() != Some(bytes.as_slice()) {
            let folder = to.parent().expect("a staged file is in a folder");
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
            std::fs::write(&to, &bytes)
                .with_context(|| format!("cannot write {}", to.display()))?;
        }
    }
    crate::polyglot::build(root, &root.join(STORE))
}

/// A component the workspace builds.
struct Component {
    /// Its package name.
    package: String,
    /// The file stem of what cargo builds.
    artifact: String,
}

/// Every component the workspace builds: each package's cdylib or bin.
fn artifacts(manifest: &Path) -> anyhow::Result<Vec<Component>> {
    let output = cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .context("cannot run `cargo metadata`")?;
    anyhow::ensure!(
        output.status.success(),
        "`cargo metadata` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        for target in package["targets"].as_array().into_iter().flatten() {
            let kinds = target["kind"].as_array().into_iter().flatten();
            if kinds
                .filter_map(|k| k.as_str())
                .any(|k| k == "cdylib" || k == "bin")
            {
                found.push(Component {
                    package: package["name"].as_str().unwrap_or_default().to_string(),
                    artifact: target["name"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('-', "_"),
                });
            }
        }
    }
    Ok(found)
}

/// Installs the wasm32-wasip2 standard library with rustup if it is missing,
/// so a fresh machine needs nothing but Rust.
fn ensure_target() -> anyhow::Result<()> {
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(output)
            if String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|t| t == TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            eprintln!("installing the {TARGET} target (once)");
            run(std::process::Command::new("rustup").args(["target", "add", TARGET]))
        }
        // Without rustup, let cargo say whether the target is there.
        Err(_) => Ok(()),
    }
}
