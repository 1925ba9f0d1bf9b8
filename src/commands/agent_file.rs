//! What a command is given where an agent goes: a composed agent (a
//! WebAssembly component), or a recipe (a WAC text file), told apart by
//! their bytes, not by the file's name.

use super::store_args::StoreArgs;
use asterbot_composer::{Recipe, compose};
use miette::{IntoDiagnostic, WrapErr};
use std::path::Path;

/// Every WebAssembly binary starts with these bytes.
const MAGIC: &[u8] = b"\0asm";

/// The file at `path`, read.
fn read(path: &Path) -> miette::Result<Vec<u8>> {
    std::fs::read(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read `{}`", path.display()))
}

/// The agent at `path`: a composed agent as it is, or a recipe composed
/// in memory with the packages `store` names (nothing is written).
pub fn agent_or_recipe(path: &Path, store: &StoreArgs) -> miette::Result<Vec<u8>> {
    let bytes = read(path)?;
    if bytes.starts_with(MAGIC) {
        return Ok(bytes);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(neither(path));
    };
    let recipe = Recipe::from_source(path.display().to_string(), text);
    Ok(compose(&recipe, &store.component_store()?)
        .wrap_err_with(|| format!("`{}` does not compose", path.display()))?
        .bytes)
}

/// Checks that `path` holds a composed agent (what a runner runs); a
/// recipe is refused with the command that composes it, `then` being
/// the command to run after (`asterbot run agent.wasm`).
pub fn composed_agent(path: &Path, then: &str) -> miette::Result<()> {
    use std::io::Read;
    let mut start = [0u8; 4];
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.read(&mut start))
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read `{}`", path.display()))?;
    if start[..read] == *MAGIC {
        return Ok(());
    }
    let text = std::fs::read(path)
        .map(|bytes| String::from_utf8(bytes).is_ok())
        .unwrap_or(false);
    if !text {
        return Err(neither(path));
    }
    let name = path.display();
    Err(miette::miette!(
        help = format!(
            "if it is a recipe, compose it first: `asterbot compose {name} -o agent.wasm`, then `{then}`"
        ),
        "`{name}` is text (a recipe?), not a composed agent"
    ))
}

/// The error for a file that is neither a recipe nor a component.
fn neither(path: &Path) -> miette::Report {
    miette::miette!(
        help = "give a composed agent (`asterbot compose RECIPE -o agent.wasm` makes one) or a recipe (a WAC text file)",
        "`{}` is neither a WebAssembly component nor a recipe (it is not UTF-8 text)",
        path.display()
    )
}
