//! Where an artifact came from, embedded in it as the custom section
//! [`SECTION`]: the asterbot version that composed it, the recipe's text,
//! every component it embeds (package, version, SHA-256, and whether it is
//! asterbot's own build), and which package each instance instantiates.
//! It is a record for reviewers, not a policy: `asterbot inspect` prints
//! it beside the audit, which is read from the wiring, and checks that the
//! digests it lists are the ones inside the artifact.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The custom section holding the provenance, as JSON.
pub const SECTION: &str = asterbot_artifact::Section::Provenance.name();

/// Where an artifact came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The version of asterbot that composed it.
    pub asterbot: String,
    /// The recipe, as written.
    pub recipe: String,
    /// Every component it embeds, sorted by package.
    pub components: Vec<ComponentRecord>,
    /// The package each instance of the recipe instantiates.
    pub instances: BTreeMap<String, String>,
}

/// One embedded component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
pub struct ComponentRecord {
    /// Its package name.
    pub package: String,
    /// Its version, when known.
    pub version: Option<String>,
    /// The SHA-256 of its bytes.
    pub sha256: String,
    /// Where it came from.
    pub origin: Origin,
}

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Built into asterbot.
    Asterbot,
    /// One of asterbot's packages, replaced with `--shadow`.
    Shadowed,
    /// A file named by `--dep`, a `--deps-dir` or the store.
    File,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Asterbot => "built into asterbot",
            Origin::Shadowed => "SHADOWED (--shadow)",
            Origin::File => "from a file",
        })
    }
}

/// `bytes` (an encoded component) with `provenance` appended as the
/// [`SECTION`] custom section.
pub fn embed(bytes: Vec<u8>, provenance: &Provenance) -> Vec<u8> {
    let data = serde_json::to_vec(provenance).expect("the provenance serialises");
    crate::encode::append_custom_section(bytes, SECTION, &data)
}

/// The provenance embedded in the top level of a component, if any.
pub fn read(bytes: &[u8]) -> Result<Option<Provenance>, String> {
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| format!("not a valid component: {e}"))? {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::CustomSection(section)
                if depth == 0 && section.name() == SECTION =>
            {
                return serde_json::from_slice(section.data())
                    .map(Some)
                    .map_err(|e| format!("the `{SECTION}` section is damaged: {e}"));
            }
            _ => {}
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_round_trips_through_a_component() {
        let provenance = Provenance {
            asterbot: "0.1.0".into(),
            recipe: "package a:b;".into(),
            components: vec![ComponentRecord {
                package: "asterbot:core".into(),
                version: Some("0.1.0".into()),
                sha256: "00".into(),
                origin: Origin::Asterbot,
            }],
            instances: BTreeMap::from([("core".into(), "asterbot:core".into())]),
        };
        let component = wasm_encoder::Component::new().finish();
        let bytes = embed(component, &provenance);
        assert_eq!(read(&bytes), Ok(Some(provenance)));
    }
}
