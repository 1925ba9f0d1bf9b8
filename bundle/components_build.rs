//! The one command that builds asterbot's components: used by the bundle's
//! build script (which embeds them) and by `cargo xtask` (which runs it
//! first, visibly, so a cold build shows its progress; the build script's
//! run is then a no-op). The same command both times keeps the components'
//! bytes, pinned in the recipes' lock files, the same whoever builds them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo build` of the component workspace `manifest`, release, for
/// wasm32-wasip2, into `target_dir`.
pub fn components_build(manifest: &Path, target_dir: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir);
    // What the outer build sets for its own crates must not leak into the
    // components' build (flags for the host, clippy's driver).
    for variable in [
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(variable);
    }
    // The digests of these components are pinned in the recipes' lock
    // files, so the bytes must not depend on where this machine keeps
    // crate sources: their paths (in panic messages) are written as
    // `/cargo/...` wherever cargo's home is.
    command.env(
        "CARGO_ENCODED_RUSTFLAGS",
        format!("--remap-path-prefix={}=/cargo", cargo_home().display()),
    );
    command
}

/// Where cargo keeps downloaded crate sources: `$CARGO_HOME`, else
/// `~/.cargo`.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}
