//! The same recipe and components give a byte-identical artifact, whatever
//! the working directory or where (and in which order) the files were found.

mod common;

use common::{asterbot, repo, store};
use std::path::Path;

/// Copies the store into `dir`, writing its files in reverse name order so
/// the directory order differs from the original's.
fn copy_store_reversed(from: &Path, dir: &Path) {
    let mut files: Vec<_> = std::fs::read_dir(from.join("asterbot"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files.reverse();
    std::fs::create_dir_all(dir.join("asterbot")).unwrap();
    for file in files {
        std::fs::copy(&file, dir.join("asterbot").join(file.file_name().unwrap())).unwrap();
    }
}

#[test]
fn the_same_inputs_give_the_same_bytes_from_anywhere() {
    let recipe = repo().join("recipes/offline.wac");
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    copy_store_reversed(&store(), &second.path().join("store"));
    std::fs::copy(&recipe, second.path().join("renamed.wac")).unwrap();

    let a = first.path().join("a.wasm");
    let status = asterbot()
        .current_dir(first.path())
        .arg("compose")
        .arg(&recipe)
        .arg("--store")
        .arg(store())
        .arg("-o")
        .arg(&a)
        .status()
        .unwrap();
    assert!(status.success());
    let b = second.path().join("b.wasm");
    let status = asterbot()
        .current_dir(second.path())
        .args([
            "compose",
            "renamed.wac",
            "--store",
            "store",
            "-o",
            "b.wasm",
            "--quiet",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(
        a == b,
        "artifacts differ ({} and {} bytes)",
        a.len(),
        b.len()
    );
}
