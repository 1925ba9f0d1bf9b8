//! Encoding the graph as one component with every dependency embedded.

use crate::error::{ComposeError, Explained};
use crate::validate::validate;
use wac_graph::{EncodeOptions, Processor};
use wac_parser::resolution::{Error, Resolution};

/// Encodes the composed component and validates it (see [`validate`]).
pub fn encode(resolution: &Resolution) -> Result<Vec<u8>, ComposeError> {
    let link_error = |error| ComposeError::Link(Box::new(Explained { error, help: None }));
    let bytes = resolution
        .encode(EncodeOptions {
            define_components: true,
            validate: false,
            processor: Some(Processor {
                name: "asterbot",
                version: env!("CARGO_PKG_VERSION"),
            }),
        })
        .map_err(link_error)?;
    validate(&bytes).map_err(|source| link_error(Error::ValidationFailure { source }))?;
    Ok(bytes)
}

/// Encodes a graph changed after resolution (guards added).
pub fn encode_graph(graph: &wac_graph::CompositionGraph) -> Result<Vec<u8>, ComposeError> {
    let bytes = graph
        .encode(EncodeOptions {
            define_components: true,
            validate: false,
            processor: Some(Processor {
                name: "asterbot",
                version: env!("CARGO_PKG_VERSION"),
            }),
        })
        .map_err(|e| ComposeError::Guard(format!("{e:#}")))?;
    let link_error = |error| ComposeError::Link(Box::new(Explained { error, help: None }));
    validate(&bytes).map_err(|source| link_error(Error::ValidationFailure { source }))?;
    Ok(bytes)
}
