//! The asterbot composer: links a recipe (a WAC document) and the
//! capability components it names into one agent component.
//!
//! The pipeline, one module a stage:
//!
//! ```text
//! recipe.wac ──recipe──▶ parsed WAC document
//!            ──resolve─▶ component bytes for every package, from the store
//!            ──link────▶ wac-graph composition graph
//!            ──check───▶ the result exports an entry point
//!            ──encode──▶ agent.wasm (dependencies embedded)
//!            ──validate▶ every function body checked, on all cores
//! ```
//!
//! Every failure is a [`miette::Report`] that points into the recipe.

mod check;
mod encode;
mod error;
mod explain;
mod guard;
mod imports;
mod link;
mod nesting;
mod recipe;
mod resolve;
mod store;
mod validate;

pub use check::ENTRY_POINTS;
pub use error::ComposeError;
pub use imports::RuntimeImport;
pub use recipe::Recipe;
pub use store::{ComponentStore, Found};

/// A composed agent: the encoded component and what it exports.
#[derive(Debug)]
pub struct Composed {
    /// The component binary, ready to write to `agent.wasm`.
    pub bytes: Vec<u8>,
    /// The names the component exports, in recipe order.
    pub exports: Vec<String>,
    /// What the runtime must provide, and which instances need it.
    pub imports: Vec<RuntimeImport>,
}

/// Composes `recipe` with the components found in `store`.
pub fn compose(recipe: &Recipe, store: &ComponentStore) -> Result<Composed, miette::Report> {
    compose_stages(recipe, store).map_err(|error| recipe.report(error))
}

fn compose_stages(recipe: &Recipe, store: &ComponentStore) -> Result<Composed, ComposeError> {
    let document = recipe.parse()?;
    let packages = resolve::packages(&document, store)?;
    let resolution = link::link(recipe.source(), &document, packages, || {
        resolve::packages(&document, store)
    })?;
    let policies = guard::policies(&document).map_err(ComposeError::Guard)?;
    let mut graph = resolution.into_graph();
    guard::apply(&mut graph, &policies, store).map_err(ComposeError::Guard)?;
    let exports = check::entry_point(&document, &graph)?;
    let imports = imports::runtime_imports(&graph);
    let bytes = encode::encode_graph(&graph)?;
    Ok(Composed {
        bytes,
        exports,
        imports,
    })
}
