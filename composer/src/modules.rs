//! Which recipe instance each core module of an artifact belongs to,
//! embedded as the custom section [`SECTION`], so that a runtime names the
//! instance a trap happened in (`units`), not an inner module of it
//! (`libc.so`, or none at all).
//!
//! Runtimes number an artifact's core modules in the order of its bytes,
//! nested components included (wasmtime's static module index). The
//! record lists, in that order, runs of modules and the instances of the
//! component they belong to.

use crate::audit::wiring::{ComponentDef, InstanceDef, Wiring};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The custom section holding the record, as JSON.
pub const SECTION: &str = asterbot_artifact::Section::Modules.name();

/// A run of consecutive core modules of one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// How many modules.
    pub modules: usize,
    /// The instances of their component, by recipe name; empty for the
    /// artifact's own glue.
    pub instances: Vec<String>,
    /// The component's package, when the recipe names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// The runs of the artifact `bytes`, given the package of each recipe
/// instance.
pub fn record(bytes: &[u8], packages: &BTreeMap<String, String>) -> Result<Vec<Run>, String> {
    let wiring = Wiring::read(bytes)?;
    let mut runs: Vec<Run> = Vec::new();
    for &start in &wiring.modules {
        let owner = wiring.components.iter().position(
            |component| matches!(component, ComponentDef::Defined(range) if range.contains(&start)),
        );
        let instances: Vec<String> = match owner {
            Some(component) => wiring
                .instances
                .iter()
                .enumerate()
                .filter(|(_, instance)| {
                    matches!(instance, InstanceDef::Instantiated { component: c, .. } if *c as usize == component)
                })
                .filter_map(|(index, _)| wiring.names.get(&(index as u32)).cloned())
                .collect(),
            None => Vec::new(),
        };
        match runs.last_mut() {
            Some(run) if run.instances == instances => run.modules += 1,
            _ => runs.push(Run {
                modules: 1,
                package: instances.iter().find_map(|i| packages.get(i).cloned()),
                instances,
            }),
        }
    }
    Ok(runs)
}
