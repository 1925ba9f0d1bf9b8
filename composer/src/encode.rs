//! Encoding the graph as one component with every dependency embedded,
//! and the recipe's package names as labels for the audit.

use crate::audit;
use crate::error::{ComposeError, Explained};
use crate::validate::validate;
use std::collections::BTreeMap;
use wac_graph::{CompositionGraph, EncodeOptions, Processor};
use wac_parser::resolution::Error;

/// Encodes the composed component with `labels` (instance → package)
/// embedded, and validates it (see [`validate`]).
pub fn encode(
    graph: &CompositionGraph,
    labels: &BTreeMap<String, String>,
) -> Result<Vec<u8>, ComposeError> {
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
    let bytes = audit::embed_labels(bytes, labels);
    validate(&bytes).map_err(|source| {
        ComposeError::Link(Box::new(Explained {
            error: Error::ValidationFailure { source },
            help: None,
        }))
    })?;
    Ok(bytes)
}
