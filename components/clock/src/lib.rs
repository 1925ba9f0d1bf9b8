//! Tool `clock`: tells the model the current date and time in UTC.

use std::time::SystemTime;

struct Clock;

/// `clock` takes no arguments.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoArgs {}

impl asterbot_sdk::Tool for Clock {
    const NAME: &'static str = "clock";
    const DESCRIPTION: &'static str =
        "Returns the current date and time in UTC, as RFC 3339 (e.g. 2026-01-31T12:00:00Z).";
    type Args = NoArgs;

    fn run(_: NoArgs) -> Result<String, String> {
        Ok(humantime::format_rfc3339_seconds(SystemTime::now()).to_string())
    }
}

asterbot_sdk::export_tool!(Clock);
