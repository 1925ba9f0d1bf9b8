//! A folder of named markdown documents, offered to the model as tools
//! (`<prefix>_list`, `_read`, `_write`, `_delete`) and as a prompt section
//! naming the documents related to the current message. `memory`,
//! `memory-ephemeral` and `skills` are this crate with different
//! [`Library`] settings.
//!
//! It also holds the bindings of the `tools-and-context` world, for every
//! component that is a link of both chains ([`bindings`], exported with
//! `documents::bindings::export_link!`).

pub mod folder;
pub mod process;
pub mod relevance;
pub mod store;
pub mod tools;

/// Generated bindings of the `asterbot:agent/tools-and-context` world.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tools-and-context",
        pub_export_macro: true,
        export_macro_name: "export_link",
        default_bindings_module: "documents::bindings",
    });
}

pub use bindings::asterbot::agent::types::ToolSpec;
pub use bindings::exports::asterbot::agent::context::Section;
pub use store::Storage;

/// What makes one library different from another.
pub struct Library {
    /// Tool name prefix: `memory` gives `memory_list`, `memory_read`, ...
    pub prefix: &'static str,
    /// What one document is called: `note`, `skill`.
    pub noun: &'static str,
    /// Where the documents are kept.
    pub storage: Storage,
    /// Title of the prompt section.
    pub section_title: &'static str,
    /// What the model is told the documents are for.
    pub purpose: &'static str,
}

/// The rest of the tool chain's tools after this library's.
pub fn list(library: &Library) -> Vec<ToolSpec> {
    let mut specs = tools::specs(library);
    specs.extend(bindings::asterbot::agent::tools::list());
    specs
}

/// Runs the call here if it is one of the library's tools, else passes it on.
pub fn call(library: &Library, name: &str, arguments: &str) -> Result<String, String> {
    match tools::call(library, name, arguments) {
        Some(result) => result,
        None => bindings::asterbot::agent::tools::call(name, arguments),
    }
}

/// `own` first, then the sections of the rest of the context chain.
pub fn sections_with(own: Section, session: &str, input: &str) -> Vec<Section> {
    let mut sections = vec![own];
    sections.extend(
        bindings::asterbot::agent::context::sections(session, input)
            .into_iter()
            .map(|s| Section {
                title: s.title,
                body: s.body,
            }),
    );
    sections
}

/// Exports a [`Library`] (a `static`) as a link of both chains.
#[macro_export]
macro_rules! export_library {
    ($library:path) => {
        const _: () = {
            struct Link;
            impl $crate::bindings::exports::asterbot::agent::tools::Guest for Link {
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
            impl $crate::bindings::exports::asterbot::agent::context::Guest for Link {
                fn sections(
                    session: ::std::string::String,
                    input: ::std::string::String,
                ) -> ::std::vec::Vec<$crate::Section> {
                    let own = $crate::Section {
                        title: $library.section_title.to_string(),
                        body: $crate::relevance::section(&$library, &input),
                    };
                    $crate::sections_with(own, &session, &input)
                }
            }
            $crate::bindings::export_link!(Link);
        };
    };
}
