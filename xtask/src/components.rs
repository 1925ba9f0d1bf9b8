//! Building the component workspace and staging the results in the store.

use crate::{cargo, run};
use anyhow::Context;
use std::path::Path;

/// Where the store lives, relative to the repository root.
const STORE: &str = "target/store/asterbot";

/// The target the components are built for.
const TARGET: &str = "wasm32-wasip2";

/// Builds every component for wasm32-wasip2 (incrementally, as cargo
/// does) and copies each changed one to `target/store/asterbot/<package>.wasm`.
pub fn build(root: &Path) -> anyhow::Result<()> {
    ensure_target()?;
    let manifest = root.join("components/Cargo.toml");
    run(cargo()
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(&manifest))?;
    let built = root.join("components/target/wasm32-wasip2/release");
    let store = root.join(STORE);
    std::fs::create_dir_all(&store)
        .with_context(|| format!("cannot create {}", store.display()))?;
    for (package, artifact) in artifacts(&manifest)? {
        let from = built.join(format!("{artifact}.wasm"));
        let to = store.join(format!("{package}.wasm"));
        let bytes =
            std::fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
        if std::fs::read(&to).ok().as_deref() != Some(bytes.as_slice()) {
            std::fs::write(&to, &bytes)
                .with_context(|| format!("cannot write {}", to.display()))?;
        }
    }
    Ok(())
}

/// (package name, artifact file stem) of every component the workspace
/// builds: each package's cdylib or bin target.
fn artifacts(manifest: &Path) -> anyhow::Result<Vec<(String, String)>> {
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
                let name = target["name"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('-', "_");
                found.push((
                    package["name"].as_str().unwrap_or_default().to_string(),
                    name,
                ));
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
