//! No tools: the tool set of an agent without any, with a clear error for
//! any call.

use asterbot_sdk::worlds::tools_end::{asterbot, exports};

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

asterbot_sdk::export_tools_end_world!(End);
