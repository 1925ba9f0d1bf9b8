//! Builds the component workspace (`components/`) for wasm32-wasip2 and
//! embeds every component but the test fixtures, so the `asterbot` binary
//! carries its own components and guards: no store, folder or variable can
//! replace them.
//!
//! The components build once into `target/wasm` (shared with
//! `cargo xtask build`); cargo runs this again only when a component's
//! source, the WIT or a shared crate changes.

#[path = "components_build.rs"]
mod components_build;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folders whose changes rebuild the components.
const WATCHED: [&str; 2] = ["components", "wit"];

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_HOME");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bundle crate lives one level below the repository root")
        .to_path_buf();
    for folder in WATCHED {
        watch(&root.join(folder));
    }
    let manifest = root.join("components/Cargo.toml");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm");
    build(&manifest, &target_dir);
    let built = target_dir.join("wasm32-wasip2/release");
    let mut table = String::from(
        "/// asterbot's own components, by package name, as built for this binary,\n\
         /// with the SHA-256 of each (hex), computed here once.\n\
         pub static COMPONENTS: &[(&str, &[u8], &str)] = &[\n",
    );
    for (package, artifact) in artifacts(&manifest) {
        let path = built.join(format!("{artifact}.wasm"));
        assert!(path.is_file(), "the build made no {}", path.display());
        let bytes = std::fs::read(&path).expect("the built component is readable");
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        table.push_str(&format!(
            "    (\"asterbot:{package}\", include_bytes!({:?}), \"{digest}\"),\n",
            path.display().to_string()
        ));
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("components.rs"), table).expect("OUT_DIR is writable");
}

/// Asks cargo to run this again when a file below `folder` changes,
/// leaving out build output.
fn watch(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            watch(&path);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// Builds the component workspace, release, for wasm32-wasip2.
fn build(manifest: &Path, target_dir: &Path) {
    let output = components_build::components_build(manifest, target_dir)
        .output()
        .expect("cargo runs");
    if !output.status.success() {
        panic!(
            "building the components (wasm32-wasip2) failed:\n{}\nIf the target is missing: rustup target add wasm32-wasip2",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// (package name, artifact file stem) of every component the workspace
/// builds, the test fixtures left out.
fn artifacts(manifest: &Path) -> Vec<(String, String)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        if name.starts_with("fixture-") {
            continue;
        }
        for target in package["targets"].as_array().into_iter().flatten() {
            let component = target["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str())
                .any(|k| k == "cdylib" || k == "bin");
            if component {
                found.push((
                    name.to_string(),
                    target["name"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('-', "_"),
                ));
            }
        }
    }
    found.sort();
    found
}
