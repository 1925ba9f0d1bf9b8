//! How a tool or a middleware becomes a link of the `tools` chain.
//!
//! Every link is a [`Middleware`]: it sees each call with a `next` that
//! passes it down the chain. A [`Tool`] is the middleware that answers
//! calls of its own name and passes every other one on.

use crate::bindings::asterbot::agent::tools as rest;
use crate::{Middleware, Tool, ToolSpec};

impl<T: Tool> Middleware for T {
    /// Runs the call here when it names this tool, otherwise forwards it.
    fn call(
        name: &str,
        arguments: &str,
        next: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<String, String> {
        if name != T::NAME {
            return next(name, arguments);
        }
        T::run(decode_arguments::<T>(arguments)?)
    }

    /// This tool first, then every tool further down the chain.
    fn list(rest: Vec<ToolSpec>) -> Vec<ToolSpec> {
        let mut specs = vec![ToolSpec {
            name: T::NAME.to_string(),
            description: T::DESCRIPTION.to_string(),
            parameters: T::PARAMETERS.to_string(),
        }];
        specs.extend(rest);
        specs
    }
}

/// The tools the model is told about, as link `M` presents the chain's.
pub fn list<M: Middleware>() -> Vec<ToolSpec> {
    M::list(rest::list())
}

/// Hands the call to link `M`, which may pass it down the chain.
pub fn call<M: Middleware>(name: &str, arguments: &str) -> Result<String, String> {
    M::call(name, arguments, &|name, arguments| {
        rest::call(name, arguments)
    })
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
