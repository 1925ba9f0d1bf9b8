//! The end of the `tools` chain: no tools of its own, and a clear error for a
//! call that no link of the chain answered.

wit_bindgen::generate!({ path: "../../wit", world: "tools-end" });

use asterbot::agent::types::ToolSpec;
use exports::asterbot::agent::tools::Guest;

struct End;

impl Guest for End {
    fn list() -> Vec<ToolSpec> {
        Vec::new()
    }

    fn call(name: String, _arguments: String) -> Result<String, String> {
        Err(format!(
            "unknown tool `{name}`: no tool of that name is installed; use one of the listed tools"
        ))
    }
}

export!(End);
