//! Encoding the graph as one component with every dependency embedded,
//! and the audit of what each instance can reach.

use crate::audit::{self, Reach};
use crate::error::{ComposeError, Explained};
use crate::validate::validate;
use wac_graph::{CompositionGraph, EncodeOptions, Processor};
use wac_parser::resolution::Error;

/// Encodes the composed component with `reach` embedded, and validates it
/// (see [`validate`]).
pub fn encode(graph: &CompositionGraph, reach: &[Reach]) -> Result<Vec<u8>, ComposeError> {
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
    let bytes = audit::embed(bytes, reach);
    validate(&bytes).map_err(|source| {
        ComposeError::Link(Box::new(Explained {
            error: Error::ValidationFailure { source },
            help: None,
        }))
    })?;
    Ok(bytes)
}
