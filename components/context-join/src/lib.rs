//! `context-join`: two providers of prompt sections as one. Each is asked
//! with the session and the user's input only, and never sees the other's
//! sections: the first's come first, then the rest's.

wit_bindgen::generate!({ path: "../../wit", world: "context-join" });

use asterbot::agent::types::Section;

struct Join;

impl exports::asterbot::agent::context::Guest for Join {
    fn sections(session: String, input: String) -> Vec<Section> {
        let mut sections = first::sections(&session, &input);
        sections.extend(rest::sections(&session, &input));
        sections
    }
}

export!(Join);
