//! Encoding the graph as one component with every dependency embedded,
//! and its provenance.

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
    let bytes = provenance::embed(bytes, provenance);
    validate(&bytes).map_err(|source| {
        ComposeError::Link(Box::new(Explained {
            error: Error::ValidationFailure { source },
            help: None,
        }))
    })?;
    Ok(bytes)
}
