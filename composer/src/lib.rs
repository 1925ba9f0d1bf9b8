//! The asterbot composer: links a recipe (a WAC document) and the
//! capability components it names into one agent component.
//!
//! The pipeline, one module a stage:
//!
//! ```text
//! recipe.wac ──recipe──▶ parsed WAC document
//!            ──resolve─▶ component bytes for every package, from the store
//!            ──link────▶ wac-graph composition graph
//!            ──guard───▶ every instance's WASI imports behind its guards,
//!                        from the recipe's @allow-* annotations
//!            ──check───▶ the result exports an entry point
//!            ──encode──▶ agent.wasm (dependencies and the audit embedded)
//!            ──validate▶ every function body checked, on all cores
//! ```
//!
//! Every failure is a [`miette::Report`] that points into the recipe.

pub mod audit;
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

pub use audit::Reach;
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
    /// What each instance can reach (also embedded in `bytes`).
    pub reach: Vec<Reach>,
}

/// How to compose.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Put every instance behind guards that enforce its annotations
    /// (the default). Without, all instances share the runtime's grants.
    pub guards: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { guards: true }
    }
}

/// Composes `recipe` with the components found in `store`, every instance
/// in its own sandbox.
pub fn compose(recipe: &Recipe, store: &ComponentStore) -> Result<Composed, miette::Report> {
    compose_with(recipe, store, Options::default())
}

/// Composes `recipe` with the components found in `store`.
pub fn compose_with(
    recipe: &Recipe,
    store: &ComponentStore,
    options: Options,
) -> Result<Composed, miette::Report> {
    compose_stages(recipe, store, options).map_err(|error| recipe.report(error))
}

fn compose_stages(
    recipe: &Recipe,
    store: &ComponentStore,
    options: Options,
) -> Result<Composed, ComposeError> {
    let document = recipe.parse()?;
    let packages = resolve::packages(&document, store)?;
    let resolution = link::link(recipe.source(), &document, packages, || {
        resolve::packages(&document, store)
    })?;
    let policies = guard::policies(&document)?;
    let mut graph = resolution.into_graph();
    let reach = audit::audit(&graph, &policies, options.guards);
    if options.guards {
        guard::apply(&mut graph, &policies, store).map_err(ComposeError::Guard)?;
    }
    let exports = check::entry_point(&document, &graph)?;
    let imports = imports::runtime_imports(&graph);
    let bytes = encode::encode(&graph, &reach)?;
    Ok(Composed {
        bytes,
        exports,
        imports,
        reach,
    })
}
