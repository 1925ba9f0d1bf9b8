//! The end of the `context` chain: contributes no system-prompt sections.

wit_bindgen::generate!({ path: "../../wit", world: "context-end" });

use exports::asterbot::agent::context::{Guest, Section};

struct End;

impl Guest for End {
    fn sections(_session: String, _input: String) -> Vec<Section> {
        Vec::new()
    }
}

export!(End);
