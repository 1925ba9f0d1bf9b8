//! No prompt sections: the context of an agent without any.

wit_bindgen::generate!({ path: "../../wit", world: "context-end" });

use asterbot::agent::types::Section;
use exports::asterbot::agent::context::Guest;

struct End;

impl Guest for End {
    fn sections(_session: String, _input: String) -> Vec<Section> {
        Vec::new()
    }
}

export!(End);
