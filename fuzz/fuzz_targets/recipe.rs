//! Recipe parsing, package resolution, linking and encoding on arbitrary
//! text, against the repository's component store: any input must give an
//! `Ok` or a diagnostic, never a panic, an abort or a hang.

#![no_main]

use asterbot_composer::{ComponentStore, Recipe, compose};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// The store `cargo xtask build` fills (or `$ASTERBOT_STORE`).
static STORE: LazyLock<ComponentStore> = LazyLock::new(|| {
    let dir = std::env::var_os("ASTERBOT_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/store").into());
    ComponentStore::new().root(dir)
});

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let recipe = Recipe::from_source("fuzz.wac", text);
        // Rendering the report exercises the diagnostic path too.
        if let Err(report) = compose(&recipe, &STORE) {
            let _ = format!("{report:?}");
        }
    }
});
