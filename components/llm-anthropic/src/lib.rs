//! `llm-anthropic`: the Anthropic Messages API with tool use.
//!
//! `ASTERBOT_MODEL` names the model (`anthropic/claude-sonnet-4-5`, or
//! just `claude-sonnet-4-5`); the key is `ANTHROPIC_API_KEY`. See the
//! `llm_http::config` variables for the endpoint, timeout and retries.

mod wire;

use asterbot_http::Request;
use llm_http::{ChatReply, ChatRequest, Config, Preset, Provider};

/// The API version this component speaks.
const API_VERSION: &str = "2023-06-01";

struct Anthropic;

impl Provider for Anthropic {
    const API: &'static str = "Anthropic";
    const PRESETS: &'static [Preset] = &[Preset {
        name: "anthropic",
        base_url: "https://api.anthropic.com/v1",
        key_env: Some("ANTHROPIC_API_KEY"),
        default_model: "claude-sonnet-4-5",
    }];

    fn request(config: &Config, body: Vec<u8>) -> Request {
        let request = Request::post_json(config.base_url.join("messages"), body)
            .header("anthropic-version", API_VERSION);
        match &config.api_key {
            Some(key) => request.header("x-api-key", key),
            None => request,
        }
    }

    fn encode(request: &ChatRequest, model: &str) -> serde_json::Value {
        wire::encode(request, model)
    }

    fn decode(answer: &serde_json::Value) -> Result<ChatReply, String> {
        wire::decode(answer)
    }
}

llm_http::export_provider!(Anthropic);
