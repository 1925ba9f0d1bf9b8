//! The asterbot composer: links a recipe (a WAC document) and the
//! capability components it names into one agent component.
//!
//! The pipeline, one module a stage:
//!
//! ```text
//! recipe.wac ──recipe──▶ parsed WAC document
//!            ──resolve─▶ component bytes for every package, from the store
//!            ──link────▶ wac-graph composition graph
//!            ──trace───▶ when asked, tracing middleware on every agent,
//!                        llm and tools edge, reporting to one tracer
//!            ──edges───▶ the model and context edges granted, and no
//!                        way to a gated tool around its gate
//!            ──guard───▶ every import an instance leaves to the runtime
//!                        behind one of asterbot's guards, from the
//!                        recipe's annotations; anything unguardable
//!                        refused unless the recipe allows it
//!            ──check───▶ the result exports an entry point
//!            ──encode──▶ agent.wasm (dependencies embedded)
//!            ──validate▶ every function body checked, on all cores
//!            ──audit───▶ what each instance can reach, read back from
//!                        the bytes
//! ```
//!
//! Every failure is a [`miette::Report`] that points into the recipe.

#![deny(missing_docs)]

pub mod audit;
mod check;
pub mod diagram;
pub mod edges;
mod encode;
mod error;
mod explain;
pub mod flows;
mod guard;
mod imports;
mod link;
pub mod lock;
pub mod modules;
mod nesting;
pub mod provenance;
mod recipe;
mod resolve;
pub mod review;
mod store;
pub mod targets;
mod trace;
mod validate;

pub use audit::{Access, Audit, Reach};
pub use check::ENTRY_POINTS;
pub use error::ComposeError;
pub use imports::RuntimeImport;
pub use recipe::Recipe;
pub use store::{ComponentStore, Found, StoreError};

/// A composed agent: the encoded component and what it exports.
#[derive(Debug)]
pub struct Composed {
    /// The component binary, ready to write to `agent.wasm`.
    pub bytes: Vec<u8>,
    /// The names the component exports, in recipe order.
    pub exports: Vec<String>,
    /// What the runtime must provide, and which instances need it.
    pub imports: Vec<RuntimeImport>,
    /// What each instance can reach, read back from `bytes`.
    pub audit: Audit,
    /// Where data can flow, read back from `bytes` too.
    pub flows: flows::Flows,
    /// asterbot's own packages the recipe replaced (`--shadow`), and by
    /// which file.
    pub shadowed: Vec<(String, std::path::PathBuf)>,
    /// Where it came from, as embedded in `bytes`.
    pub provenance: provenance::Provenance,
    /// The file each package not built into asterbot was read from.
    pub files: std::collections::BTreeMap<String, std::path::PathBuf>,
}

impl Composed {
    /// The lock file of this composition, for a recipe in `recipe_dir`.
    pub fn lock(&self, recipe_dir: &std::path::Path) -> lock::Lock {
        lock::Lock::new(&self.provenance, &self.files, recipe_dir)
    }
}

/// How to compose.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Put every instance behind guards that enforce its annotations
    /// (the default). Without, all instances share the runtime's grants.
    pub guards: bool,
    /// Put tracing middleware on every `agent`, `llm` and `tools` edge,
    /// reporting to the recipe's `@trace` instance or, without one, to a
    /// tracer that writes spans to stderr. (A `@trace` instance asks for
    /// tracing by itself.)
    pub trace: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            guards: true,
            trace: false,
        }
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
    let policies_of_flows =
        flows::policy::parse(&document).map_err(|(message, span)| ComposeError::Annotation {
            message,
            span,
            help: format!("a flow policy is {}", flows::policy::SYNTAX),
        })?;
    let packages = resolve::packages(&document, store)?;
    let (mut components, files) = component_records(&packages, store);
    let resolution = link::link(recipe.source(), &document, packages, || {
        resolve::packages(&document, store)
    })?;
    let policies = guard::policies(&document)?;
    let mut graph = resolution.into_graph();
    name_inline_instances(&mut graph);
    let own = |name: &str| {
        asterbot_bundle::get(name)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("asterbot was built without its component `{name}`"))
    };
    trace::insert(&mut graph, &policies, options.trace, &own)?;
    let labels = labels(&graph);
    if options.guards {
        let (agent, _) = edges::from_graph(&graph);
        if let Some(breach) = edges::check(&agent, &policies).into_iter().next() {
            return Err(ComposeError::Edge {
                span: policies.get(&breach.instance).and_then(|p| p.span),
                message: breach.message,
                help: breach.help,
            });
        }
        let baked = edges::settings(&agent, &policies);
        guard::apply(&mut graph, &policies, &baked, &own)?;
    }
    let exports = check::entry_point(&document, &graph)?;
    let imports = imports::runtime_imports(&graph);
    // The guards and tracing middleware the artifact embeds are
    // components too.
    for package in graph.packages() {
        let recorded = components.iter().any(|c| c.package == package.name());
        if !recorded && asterbot_bundle::get(package.name()).is_some() {
            components.push(provenance::ComponentRecord {
                package: package.name().to_string(),
                version: Some(asterbot_bundle::VERSION.to_string()),
                sha256: asterbot_bundle::digest(package.bytes()),
                origin: provenance::Origin::Asterbot,
            });
        }
    }
    components.sort();
    components.dedup();
    let provenance = provenance::Provenance {
        asterbot: env!("CARGO_PKG_VERSION").to_string(),
        recipe: recipe.source().to_string(),
        components,
        instances: labels,
    };
    let bytes = encode::encode(&graph, &provenance)?;
    let (audit, agent) = audit::analyze_with_agent(&bytes).map_err(ComposeError::Encode)?;
    let mut flows = flows::Flows::new(&audit, &agent);
    // Without guards every instance shares everything: the policies are
    // the guarded composition's.
    if options.guards {
        flows::policy::enforce(&flows, &policies_of_flows, recipe.source())?;
        flows.policies = policies_of_flows.iter().map(|p| p.text.clone()).collect();
    }
    let shadowed = store
        .shadowed()
        .map(|(name, path)| (name.to_string(), path.to_path_buf()))
        .collect();
    Ok(Composed {
        bytes,
        exports,
        imports,
        audit,
        flows,
        shadowed,
        provenance,
        files,
    })
}

/// What the provenance says of each component the recipe names: its
/// version, digest and where it came from (WIT packages are types, not
/// components, and left out); and the file each was read from, if any.
fn component_records(
    packages: &indexmap::IndexMap<wac_types::BorrowedPackageKey<'_>, Vec<u8>>,
    store: &ComponentStore,
) -> (
    Vec<provenance::ComponentRecord>,
    std::collections::BTreeMap<String, std::path::PathBuf>,
) {
    let mut files = std::collections::BTreeMap::new();
    let records = packages
        .iter()
        .filter_map(|(key, bytes)| {
            let version = key.version.map(ToString::to_string);
            let origin = match store.locate(key.name, version.as_deref()).ok()? {
                Found::Embedded(_) => provenance::Origin::Asterbot,
                Found::Component(path) => {
                    files.insert(key.name.to_string(), path);
                    if store::is_reserved(key.name) {
                        provenance::Origin::Shadowed
                    } else {
                        provenance::Origin::File
                    }
                }
                Found::Wit(_) | Found::EmbeddedWit(_) => return None,
            };
            let version = match origin {
                provenance::Origin::Asterbot => Some(asterbot_bundle::VERSION.to_string()),
                _ => version,
            };
            Some(provenance::ComponentRecord {
                package: key.name.to_string(),
                version,
                sha256: asterbot_bundle::digest(bytes),
                origin,
            })
        })
        .collect();
    (records, files)
}

/// Names every instance written inline (`new pkg { ... }` as an argument)
/// after its place, so that guards, diagnostics and the audit can name it.
fn name_inline_instances(graph: &mut wac_graph::CompositionGraph) {
    let unnamed: Vec<_> = graph
        .node_ids()
        .filter(|&id| {
            matches!(graph[id].kind(), wac_graph::NodeKind::Instantiation(_))
                && graph[id].name().is_none()
        })
        .collect();
    for id in unnamed {
        let name = guard::instance_name(graph, id);
        graph.set_node_name(id, name);
    }
}

/// The package each instance of the recipe instantiates, by instance name.
fn labels(graph: &wac_graph::CompositionGraph) -> std::collections::BTreeMap<String, String> {
    graph
        .node_ids()
        .filter(|&id| matches!(graph[id].kind(), wac_graph::NodeKind::Instantiation(_)))
        .filter_map(|id| {
            let package = graph[id].package()?;
            Some((
                guard::instance_name(graph, id),
                graph[package].name().to_string(),
            ))
        })
        .collect()
}
