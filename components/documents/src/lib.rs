//! A folder of named markdown documents, offered to the model as tools
//! (`<prefix>_list`, `_read`, `_write`, `_delete`) and as a prompt section
//! naming the documents related to the current message. `memory`,
//! `memory-ephemeral` and `skills` are this crate with different
//! [`Library`] settings.
//!
//! A component that offers both tools and a prompt section is of the SDK's
//! `tools-and-context` world: it imports no other tool and sees no other
//! section.

pub mod bucket;
pub mod folder;
pub mod process;
pub mod relevance;
pub mod store;
pub mod tools;
pub mod turn;

/// The SDK, whose `tools-and-context` world [`export_library!`] exports.
#[doc(hidden)]
pub use asterbot_sdk as sdk;

pub use asterbot_sdk::types::{Section, ToolSpec};
pub use bucket::KeyValue;
pub use folder::Folder;
pub use process::Process;
pub use store::Storage;

/// What makes one library different from another.
pub struct Library {
    /// Tool name prefix: `memory` gives `memory_list`, `memory_read`, ...
    pub prefix: &'static str,
    /// What one document is called: `note`, `skill`.
    pub noun: &'static str,
    /// Where the documents are kept.
    pub storage: &'static dyn Storage,
    /// Title of the prompt section.
    pub section_title: &'static str,
    /// What the model is told the documents are for.
    pub purpose: &'static str,
}

/// The library's tools.
pub fn list(library: &Library) -> Vec<ToolSpec> {
    tools::specs(library)
}

/// Runs one of the library's tools; a join only hands it its own calls.
pub fn call(library: &Library, name: &str, arguments: &str) -> Result<String, String> {
    tools::call(library, name, arguments)
        .unwrap_or_else(|| Err(asterbot_sdk::chain::unknown_tool(name)))
}

/// Exports a [`Library`] (a `static`) as tools and a prompt section.
#[macro_export]
macro_rules! export_library {
    ($library:path) => {
        const _: () = {
            struct Link;
            impl $crate::sdk::worlds::tools_and_context::exports::asterbot::agent::tools::Guest
                for Link
            {
                fn list() -> ::std::vec::Vec<$crate::ToolSpec> {
                    $crate::list(&$library)
                }
                fn call(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::call(&$library, &name, &arguments)
                }
            }
            impl $crate::sdk::worlds::tools_and_context::exports::asterbot::agent::context::Guest
                for Link
            {
                fn sections(
                    session: ::std::string::String,
                    input: ::std::string::String,
                ) -> ::std::vec::Vec<$crate::Section> {
                    $crate::turn::begin(&session);
                    ::std::vec![$crate::Section {
                        title: $library.section_title.to_string(),
                        body: $crate::relevance::section(&$library, &input),
                    }]
                }
            }
            $crate::sdk::export_tools_and_context_world!(Link);
        };
    };
}
