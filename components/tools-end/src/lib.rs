//! No tools: the tool set of an agent without any, with a clear error for
//! any call.

wit_bindgen::generate!({ path: "../../wit", world: "tools-end" });

use asterbot::agent::types::ToolSpec;
use exports::asterbot::agent::tools::Guest;

struct End;

impl Guest for End {
    fn list() -> Vec<ToolSpec> {
        Vec::new()
    }

    fn call(name: String, _arguments: String) -> Result<String, String> {
        Err(asterbot_sdk::chain::unknown_tool(&name))
    }
}

export!(End);
