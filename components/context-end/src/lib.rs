//! No prompt sections: the context of an agent without any.

use asterbot_sdk::worlds::context_end::{asterbot, exports};

use asterbot::agent::types::Section;
use exports::asterbot::agent::context::Guest;

struct End;

impl Guest for End {
    fn sections(_session: String, _input: String) -> Vec<Section> {
        Vec::new()
    }
}

asterbot_sdk::export_context_end_world!(End);
