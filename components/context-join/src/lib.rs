//! `context-join`: two providers of prompt sections as one. Each is asked
//! with the session and, if its recipe grants it (`@sees-input`), the
//! user's input, and never sees the other's sections: the first's come
//! first, then the rest's.

use asterbot_sdk::edges::input_for;
use asterbot_sdk::worlds::context_join::{asterbot, exports};
use named::{first, rest};

/// The imports `first` and `rest`, generated here from the `context-join`
/// world: both joins name their imports so, and the SDK, which every
/// component links, cannot describe both (see `asterbot_sdk::worlds`).
/// Its `export!` is left unused: the SDK's export is the one used.
mod named {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "context-join",
        with: { "asterbot:agent/types@0.2.0": asterbot_sdk::types },
    });
}

use asterbot::agent::types::Section;

struct Join;

impl exports::asterbot::agent::context::Guest for Join {
    fn sections(session: String, input: String) -> Vec<Section> {
        let mut sections = first::sections(&session, input_for("first", &input));
        sections.extend(rest::sections(&session, input_for("rest", &input)));
        sections
    }
}

asterbot_sdk::export_context_join_world!(Join);
