//! What the export macros call: a [`Tool`] answering its own calls, and a
//! [`Middleware`] passing calls on to the tools it wraps.

use crate::worlds::interfaces::asterbot::agent::tools as wrapped;
use crate::{Middleware, Tool, ToolSpec};

/// What the model is told about tool `T`.
pub fn spec<T: Tool>() -> ToolSpec {
    ToolSpec {
        name: T::NAME.to_string(),
        description: T::DESCRIPTION.to_string(),
        parameters: T::parameters(),
    }
}

/// Runs tool `T` for a call of `name`; a join only hands a tool its own
/// calls, so another name is an error.
pub fn run<T: Tool>(name: &str, arguments: &str) -> Result<String, String> {
    if name != T::NAME {
        return Err(unknown_tool(name));
    }
    T::run(decode_arguments::<T>(arguments)?)
}

/// The tools the model is told about, as middleware `M` presents the
/// wrapped ones.
pub fn list<M: Middleware>() -> Vec<ToolSpec> {
    M::list(wrapped::list())
}

/// Hands the call to middleware `M`, which may pass it on.
pub fn call<M: Middleware>(name: &str, arguments: &str) -> Result<String, String> {
    M::call(name, arguments, &|name, arguments| {
        wrapped::call(name, arguments)
    })
}

/// The error for a call of a tool nobody offers.
pub fn unknown_tool(name: &str) -> String {
    format!("unknown tool `{name}`: no tool of that name is installed; use one of the listed tools")
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
            T::parameters()
        )
    })
}
