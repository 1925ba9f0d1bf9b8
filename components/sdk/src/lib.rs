//! The asterbot component SDK.
//!
//! A tool author implements [`Tool`] for a type and calls
//! [`export_tool!`]; the SDK turns it into a link of the `tools` chain: it
//! lists the tool ahead of the rest of the chain, answers calls for its own
//! name and forwards every other call down the chain.
//!
//! ```ignore
//! struct Echo;
//! #[derive(serde::Deserialize)]
//! struct Args { text: String }
//! impl asterbot_sdk::Tool for Echo {
//!     const NAME: &'static str = "echo";
//!     const DESCRIPTION: &'static str = "Repeats the text it is given.";
//!     const PARAMETERS: &'static str =
//!         r#"{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}"#;
//!     type Args = Args;
//!     fn run(args: Args) -> Result<String, String> { Ok(args.text) }
//! }
//! asterbot_sdk::export_tool!(Echo);
//! ```

pub mod chain;

/// Generated bindings of the `asterbot:agent/tool` world.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tool",
        pub_export_macro: true,
        export_macro_name: "export_tool_link",
        default_bindings_module: "asterbot_sdk::bindings",
    });
}

pub use bindings::asterbot::agent::types::ToolSpec;

/// One tool of the chain: its name, what the model is told about it, and
/// what it does.
pub trait Tool {
    /// The name the model calls the tool by.
    const NAME: &'static str;
    /// One or two sentences telling the model when to use the tool.
    const DESCRIPTION: &'static str;
    /// JSON Schema of the arguments object.
    const PARAMETERS: &'static str;
    /// The arguments, decoded from the model's JSON.
    type Args: serde::de::DeserializeOwned;

    /// Runs the tool. An `Err` goes back to the model as the tool result.
    fn run(args: Self::Args) -> Result<String, String>;
}

/// A link of the `tools` chain that adds no tool but sees every call on
/// its way down: an audit log, an approval gate, a rate limit.
pub trait Middleware {
    /// Handles one call; `next` passes it on down the chain.
    fn call(
        name: &str,
        arguments: &str,
        next: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<String, String>;

    /// The tools the model is told about; by default those of the rest of
    /// the chain, unchanged.
    fn list(rest: Vec<ToolSpec>) -> Vec<ToolSpec> {
        rest
    }
}

/// Exports a [`Tool`] as a link of the `tools` chain.
#[macro_export]
macro_rules! export_tool {
    ($tool:ty) => {
        $crate::export_middleware!($tool);
    };
}

/// Exports a [`Middleware`] (every [`Tool`] is one) as a link of the
/// `tools` chain.
#[macro_export]
macro_rules! export_middleware {
    ($link:ty) => {
        const _: () = {
            struct Link;
            impl $crate::bindings::exports::asterbot::agent::tools::Guest for Link {
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
            $crate::bindings::export_tool_link!(Link);
        };
    };
}
