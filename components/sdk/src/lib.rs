//! The asterbot component SDK.
//!
//! A tool author implements [`Tool`] for a type and calls
//! [`export_tool!`]: the component exports that one tool and imports no
//! other, so it reaches nothing but its own grants. A recipe joins tools
//! with `asterbot:tools-join`, which hands each call to the one tool that
//! lists its name.
//!
//! ```ignore
//! struct Echo;
//! /// The arguments; their JSON Schema is derived from the type.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Args {
//!     /// The text to repeat.
//!     text: String,
//! }
//! impl asterbot_sdk::Tool for Echo {
//!     const NAME: &'static str = "echo";
//!     const DESCRIPTION: &'static str = "Repeats the text it is given.";
//!     type Args = Args;
//!     fn run(args: Args) -> Result<String, String> { Ok(args.text) }
//! }
//! asterbot_sdk::export_tool!(Echo);
//! ```
//!
//! A [`Middleware`] (audit log, rate limit) instead wraps the tools a
//! recipe gives it, with [`export_middleware!`]; it sees every call to
//! them, so a recipe places it explicitly.

pub mod approval;
pub mod chain;
pub mod edges;
pub mod schema;
pub mod session;
pub mod text;
pub mod worlds;

pub use types::ToolSpec;
/// The records every interface shares (messages, tool specs, model
/// requests and replies), generated once.
pub use worlds::interfaces::asterbot::agent::types;

/// One tool: its name, what the model is told about it, and what it does.
pub trait Tool {
    /// The name the model calls the tool by.
    const NAME: &'static str;
    /// One or two sentences telling the model when to use the tool.
    const DESCRIPTION: &'static str;
    /// The arguments, decoded from the model's JSON; the model is told
    /// their JSON Schema, derived from the type (doc comments, serde
    /// defaults and `#[schemars(...)]` ranges included).
    type Args: serde::de::DeserializeOwned + schemars::JsonSchema;

    /// Runs the tool. An `Err` goes back to the model as the tool result.
    fn run(args: Self::Args) -> Result<String, String>;

    /// JSON Schema of the arguments object, as JSON text.
    fn parameters() -> String {
        schema::of::<Self::Args>()
    }
}

/// A link that wraps the tools a recipe gives it and sees every call on
/// its way to them: an audit log, an approval gate, a rate limit.
pub trait Middleware {
    /// Handles one call; `next` passes it on to the wrapped tools.
    fn call(
        name: &str,
        arguments: &str,
        next: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<String, String>;

    /// The tools the model is told about; by default the wrapped ones,
    /// unchanged.
    fn list(wrapped: Vec<ToolSpec>) -> Vec<ToolSpec> {
        wrapped
    }
}

/// Exports a [`Tool`] as a component of its own: it lists itself and
/// answers calls of its own name.
#[macro_export]
macro_rules! export_tool {
    ($tool:ty) => {
        const _: () = {
            struct Leaf;
            impl $crate::worlds::tool::exports::asterbot::agent::tools::Guest for Leaf {
                fn list() -> ::std::vec::Vec<$crate::ToolSpec> {
                    ::std::vec![$crate::chain::spec::<$tool>()]
                }
                fn call(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::chain::run::<$tool>(&name, &arguments)
                }
            }
            $crate::export_tool_world!(Leaf);
        };
    };
}

/// Exports a [`Middleware`] over the tools it imports.
#[macro_export]
macro_rules! export_middleware {
    ($link:ty) => {
        const _: () = {
            struct Link;
            impl $crate::worlds::middleware::exports::asterbot::agent::tools::Guest for Link {
                fn list() -> ::std::vec::Vec<$crate::ToolSpec> {
                    $crate::chain::list::<$link>()
                }
                fn call(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::chain::call::<$link>(&name, &arguments)
                }
            }
            $crate::export_middleware_world!(Link);
        };
    };
}
