//! `trace-tools`: an `execute_tool` span around every call on the `tools`
//! edge it stands on (inserted by `asterbot compose --trace`), with the
//! tool's name, and the error the model is told if the call failed.

use asterbot_sdk::worlds::trace_tools::{asterbot, exports};

use asterbot::agent::tools as inner;
use asterbot::agent::tracing::{self, Attribute, Value};
use asterbot::agent::types::ToolSpec;
use exports::asterbot::agent::tools::Guest;

fn text(key: &str, value: &str) -> Attribute {
    Attribute {
        key: key.to_string(),
        value: Value::Text(value.to_string()),
    }
}

struct Traced;

impl Guest for Traced {
    fn list() -> Vec<ToolSpec> {
        inner::list()
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        let span = tracing::start(
            &format!("execute_tool {name}"),
            &[
                text("gen_ai.operation.name", "execute_tool"),
                text("gen_ai.tool.name", &name),
            ],
        );
        let result = inner::call(&name, &arguments);
        tracing::end(span, &[], result.as_ref().err().map(String::as_str));
        result
    }
}

asterbot_sdk::export_trace_tools_world!(Traced);
