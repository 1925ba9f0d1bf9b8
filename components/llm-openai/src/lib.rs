//! `llm-openai`: OpenAI-compatible chat completions with native tool
//! calling, for every endpoint that speaks that API.
//!
//! `ASTERBOT_MODEL=<preset>/<model>` picks the endpoint and the model, e.g.
//! `openai/gpt-4o-mini`, `ollama/llama3.2`, `groq/llama-3.3-70b-versatile`;
//! see [`presets::PRESETS`] and the `llm_http::config` variables.

pub mod presets;
mod wire;

use asterbot_http::Request;
use llm_http::{ChatReply, ChatRequest, Config, Preset, Provider};

struct OpenAi;

impl Provider for OpenAi {
    const API: &'static str = "OpenAI-compatible";
    const PRESETS: &'static [Preset] = presets::PRESETS;

    fn request(config: &Config, body: Vec<u8>) -> Request {
        let request = Request::post_json(config.base_url.join("chat/completions"), body);
        match &config.api_key {
            Some(key) => request.header("authorization", &format!("Bearer {key}")),
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

llm_http::export_provider!(OpenAi);
