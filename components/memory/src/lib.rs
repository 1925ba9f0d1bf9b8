//! `memory`: named markdown notes in `ASTERBOT_MEMORY_DIR` (default
//! `/state/memory`, granted e.g. with `asterbot run --dir ./state::/state`).
//!
//! Tools `memory_list`, `memory_read`, `memory_write` and `memory_delete`
//! join the tool chain; on the context chain it adds a "Memory" section
//! naming the notes that share words with the user's message.

wit_bindgen::generate!({ path: "../../wit", world: "tools-and-context" });

mod notes;
mod relevance;
mod tools;

use asterbot::agent::context as rest_of_context;
use asterbot::agent::types::ToolSpec;
use exports::asterbot::agent::context::{Guest as ContextGuest, Section};
use exports::asterbot::agent::tools::Guest as ToolsGuest;

struct Memory;

impl ToolsGuest for Memory {
    fn list() -> Vec<ToolSpec> {
        let mut specs = tools::specs();
        specs.extend(asterbot::agent::tools::list());
        specs
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        match tools::call(&name, &arguments) {
            Some(result) => result,
            None => asterbot::agent::tools::call(&name, &arguments),
        }
    }
}

impl ContextGuest for Memory {
    fn sections(session: String, input: String) -> Vec<Section> {
        let mut sections = vec![Section {
            title: "Memory".to_string(),
            body: relevance::section(&input),
        }];
        sections.extend(
            rest_of_context::sections(&session, &input)
                .into_iter()
                .map(|s| Section {
                    title: s.title,
                    body: s.body,
                }),
        );
        sections
    }
}

export!(Memory);
