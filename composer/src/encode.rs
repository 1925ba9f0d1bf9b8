//! Encoding the graph as one component with every dependency embedded.

use crate::error::{ComposeError, Explained};
use wac_graph::{EncodeOptions, Processor};
use wac_parser::resolution::Resolution;

/// Encodes and validates the composed component.
pub fn encode(resolution: &Resolution) -> Result<Vec<u8>, ComposeError> {
    resolution
        .encode(EncodeOptions {
            define_components: true,
            validate: true,
            processor: Some(Processor {
                name: "asterbot",
                version: env!("CARGO_PKG_VERSION"),
            }),
        })
        .map_err(|error| ComposeError::Link(Box::new(Explained { error, help: None })))
}
