//! Finding the component for every package a recipe names.

use crate::error::ComposeError;
use crate::store::{ComponentStore, Found};
use indexmap::IndexMap;
use miette::SourceSpan;
use std::path::Path;
use wac_parser::Document;
use wac_types::BorrowedPackageKey;
use wasmparser::{Encoding, Parser, Payload};

/// Reads the component of every package `document` refers to.
pub fn packages<'a>(
    document: &'a Document<'a>,
    store: &ComponentStore,
) -> Result<IndexMap<BorrowedPackageKey<'a>, Vec<u8>>, ComposeError> {
    let keys = wac_resolver::packages(document).map_err(|e| match e {
        wac_resolver::Error::UnknownPackage { name, span }
        | wac_resolver::Error::InvalidPackageName { name, span } => {
            unknown(&name, None, span, &[], store)
        }
        other => unknown(&other.to_string(), None, SourceSpan::from(0..0), &[], store),
    })?;
    let mut packages = IndexMap::new();
    for (key, span) in keys {
        let version = key.version.map(ToString::to_string);
        let found = store
            .locate(key.name, version.as_deref())
            .map_err(|searched| unknown(key.name, version.as_deref(), span, &searched, store))?;
        let bytes = match found {
            Found::Embedded(bytes) => bytes.to_vec(),
            Found::EmbeddedWit(text) => encode_wit_text(key.name, text, span)?,
            Found::Component(path) => read_component(key.name, &path, span)?,
            Found::Wit(dir) => encode_wit_package(key.name, &dir, span)?,
        };
        packages.insert(key, bytes);
    }
    Ok(packages)
}

/// Encodes the WIT package in `dir` the way wac does, as a component type.
fn encode_wit_package(name: &str, dir: &Path, span: SourceSpan) -> Result<Vec<u8>, ComposeError> {
    let mut resolve = wit_parser::Resolve::new();
    resolve
        .push_dir(dir)
        .and_then(|(package, _)| wit_component::encode(&resolve, package))
        .map_err(|e| ComposeError::BadWitPackage {
            name: name.to_string(),
            path: dir.display().to_string(),
            reason: format!("{e:#}"),
            span,
        })
}

/// Encodes asterbot's own WIT package, held as text.
fn encode_wit_text(name: &str, text: &str, span: SourceSpan) -> Result<Vec<u8>, ComposeError> {
    let mut resolve = wit_parser::Resolve::new();
    resolve
        .push_str("keyvalue.wit", asterbot_bundle::KEYVALUE_WIT)
        .and_then(|_| resolve.push_str("agent.wit", text))
        .and_then(|package| wit_component::encode(&resolve, package))
        .map_err(|e| ComposeError::BadWitPackage {
            name: name.to_string(),
            path: "(built into asterbot)".to_string(),
            reason: format!("{e:#}"),
            span,
        })
}

/// asterbot's own WIT package (`asterbot:agent`), encoded as a component
/// type, for checking components against its worlds.
pub(crate) fn agent_package_bytes() -> Result<Vec<u8>, String> {
    encode_wit_text(
        "asterbot:agent",
        asterbot_bundle::AGENT_WIT,
        SourceSpan::from(0..0),
    )
    .map_err(|e| e.to_string())
}

/// Reads `path` and checks that it holds a component, not a core module.
fn read_component(name: &str, path: &Path, span: SourceSpan) -> Result<Vec<u8>, ComposeError> {
    let bytes = std::fs::read(path).map_err(|e| ComposeError::UnreadableComponent {
        name: name.to_string(),
        path: path.display().to_string(),
        reason: e.to_string(),
        span,
    })?;
    let not_component = |reason: &str, help: &str| ComposeError::NotAComponent {
        name: name.to_string(),
        path: path.display().to_string(),
        reason: reason.to_string(),
        help: help.to_string(),
        span,
    };
    let encoding = match Parser::new(0).parse_all(&bytes).next() {
        Some(Ok(Payload::Version { encoding, .. })) => Some(encoding),
        _ => None,
    };
    match encoding {
        Some(Encoding::Component) => Ok(bytes),
        Some(Encoding::Module) => Err(not_component(
            "it is a core WebAssembly module",
            "turn it into a component with `wasm-tools component new module.wasm -o component.wasm` (add `--adapt` with the WASI preview 1 adapter if it uses WASI), or build it for the `wasm32-wasip2` target",
        )),
        _ => Err(not_component(
            "the file is empty, truncated or not WebAssembly",
            "rebuild the component; a component file starts with the bytes `\\0asm` and a component version",
        )),
    }
}

/// The diagnostic for a package the store does not have.
fn unknown(
    name: &str,
    version: Option<&str>,
    span: SourceSpan,
    searched: &[std::path::PathBuf],
    store: &ComponentStore,
) -> ComposeError {
    let searched = if crate::store::is_reserved(name) && version.is_some() {
        format!(
            "asterbot's own components are version {}",
            asterbot_bundle::VERSION
        )
    } else if crate::store::is_reserved(name) {
        "asterbot has no component of this name".to_string()
    } else if searched.is_empty() {
        "no folder has a place for this name (expected `namespace:name`)".to_string()
    } else {
        let places: Vec<String> = searched
            .iter()
            .map(|p| format!("  {}", p.display()))
            .collect();
        format!("searched:\n{}", places.join("\n"))
    };
    // A name outside asterbot's namespace is not one of asterbot's: only
    // the other known names can be what was meant.
    let mut known = store.known_names();
    if !crate::store::is_reserved(name) {
        known.retain(|k| !crate::store::is_reserved(k));
    }
    let mut near: Vec<(f64, &String)> = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    let nearest = if let Some((_, best)) = near.first() {
        format!("\ndid you mean `{best}`?")
    } else if known.is_empty() {
        String::new()
    } else {
        format!("\nknown packages: {}", known.join(", "))
    };
    let hint = if crate::store::is_reserved(name) {
        String::new()
    } else {
        let (_, short) = name.split_once(':').unwrap_or(("", name));
        format!(
            "\nto use a component of your own, name its file: `--dep {name}=./{short}.wasm`, or pass a `--deps-dir` folder laid out as <dir>/<namespace>/<name>.wasm"
        )
    };
    ComposeError::UnknownPackage {
        name: name.to_string(),
        span,
        searched,
        hint,
        nearest,
    }
}
