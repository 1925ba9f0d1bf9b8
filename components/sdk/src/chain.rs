//! How one tool becomes a link of the `tools` chain.

use crate::bindings::asterbot::agent::tools as rest;
use crate::{Middleware, Tool, ToolSpec};

/// This link's tool first, then every tool further down the chain.
pub fn list<T: Tool>() -> Vec<ToolSpec> {
    let mut specs = vec![ToolSpec {
        name: T::NAME.to_string(),
        description: T::DESCRIPTION.to_string(),
        parameters: T::PARAMETERS.to_string(),
    }];
    specs.extend(rest::list());
    specs
}

/// Runs the call here when it names this link's tool, otherwise forwards it.
pub fn call<T: Tool>(name: &str, arguments: &str) -> Result<String, String> {
    if name != T::NAME {
        return rest::call(name, arguments);
    }
    T::run(decode_arguments::<T>(arguments)?)
}

/// Decodes the model's JSON arguments; empty text counts as `{}`.
fn decode_arguments<T: Tool>(arguments: &str) -> Result<T::Args, String> {
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    serde_json::from_str(text).map_err(|e| {
        format!(
            "invalid arguments for tool `{}`: {e}; expected JSON matching {}",
            T::NAME,
            T::PARAMETERS
        )
    })
}

/// The rest of the chain's tools, as the middleware presents them.
pub fn middleware_list<M: Middleware>() -> Vec<ToolSpec> {
    M::list(rest::list())
}

/// Hands the call to the middleware, which may pass it down the chain.
pub fn middleware_call<M: Middleware>(name: &str, arguments: &str) -> Result<String, String> {
    M::call(name, arguments, &|name, arguments| {
        rest::call(name, arguments)
    })
}
