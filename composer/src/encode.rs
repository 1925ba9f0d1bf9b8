//! Encoding the graph as one component with every dependency embedded,
//! its provenance, and which instance each core module belongs to.

use crate::error::{ComposeError, Explained};
use crate::provenance::{self, Provenance};
use crate::validate::validate;
use wac_graph::{CompositionGraph, EncodeOptions, Processor};
use wac_parser::resolution::Error;

/// Encodes the composed component with its `provenance` embedded, and
/// validates it (see [`validate`]).
pub fn encode(graph: &CompositionGraph, provenance: &Provenance) -> Result<Vec<u8>, ComposeError> {
    let bytes = graph
        .encode(EncodeOptions {
            define_components: true,
            validate: false,
            processor: Some(Processor {
                name: "asterbot",
                version: env!("CARGO_PKG_VERSION"),
            }),
        })
        .map_err(|e| ComposeError::Encode(format!("{e:#}")))?;
    let runs =
        crate::modules::record(&bytes, &provenance.instances).map_err(ComposeError::Encode)?;
    let runs = serde_json::to_vec(&runs).expect("the module record serialises");
    let bytes = append_custom_section(bytes, crate::modules::SECTION, &runs);
    let bytes = provenance::embed(bytes, provenance);
    validate(&bytes).map_err(|source| {
        ComposeError::Link(Box::new(Explained {
            error: Error::ValidationFailure { source },
            help: None,
        }))
    })?;
    Ok(bytes)
}

/// `bytes` (an encoded component) with the custom section `name` appended
/// at its top level.
pub fn append_custom_section(mut bytes: Vec<u8>, name: &str, data: &[u8]) -> Vec<u8> {
    use wasm_encoder::Encode;
    // A custom section: id 0, then (as `encode` writes it) its size, name
    // and data.
    bytes.push(0);
    wasm_encoder::CustomSection {
        name: name.into(),
        data: data.into(),
    }
    .encode(&mut bytes);
    bytes
}
