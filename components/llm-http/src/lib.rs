//! What every LLM provider component that speaks HTTP shares.
//!
//! A provider (`llm-openai`, `llm-anthropic`) implements [`Provider`]: its
//! presets, how a `chat-request` becomes a JSON body and how the JSON
//! answer becomes a `chat-reply`. This crate does the rest: configuration
//! from the environment ([`config`]), the request with bounded retries,
//! typed `llm-error`s ([`errors`]) and tolerant tool calls ([`tolerant`]).
//! `llm_http::export_provider!(MyProvider)` exports it as `asterbot:agent/llm`.

pub mod config;
pub mod errors;
pub mod reply;
pub mod tolerant;

/// The SDK, whose `llm-provider` world [`export_provider!`] exports.
#[doc(hidden)]
pub use asterbot_sdk as sdk;

pub use asterbot_sdk::types::{
    ChatOptions, ChatReply, ChatRequest, LlmError, Message, Role, StopReason, ToolCall, ToolSpec,
    Usage,
};
pub use config::{Config, Preset};

use asterbot_http::Request;
use asterbot_http::retry::send_with_retries;

/// One HTTP LLM API.
pub trait Provider {
    /// Name used in messages: "OpenAI-compatible", "Anthropic".
    const API: &'static str;
    /// The endpoints `ASTERBOT_MODEL=<preset>/<model>` selects; the first is
    /// used when the model names no preset.
    const PRESETS: &'static [Preset];

    /// The HTTP request for `body`: URL and headers (credentials included).
    fn request(config: &Config, body: Vec<u8>) -> Request;

    /// The JSON body for `request`, sent to `model`.
    fn encode(request: &ChatRequest, model: &str) -> serde_json::Value;

    /// The reply in a successful answer, or what is wrong with it.
    fn decode(answer: &serde_json::Value) -> Result<ChatReply, String>;
}

/// One chat request to provider `P`, configured from the environment.
pub fn chat<P: Provider>(request: ChatRequest) -> Result<ChatReply, LlmError> {
    let config = Config::from_env(P::API, P::PRESETS)?;
    let model = if request.options.model.is_empty() {
        config.model.clone()
    } else {
        request.options.model.clone()
    };
    let body = P::encode(&request, &model).to_string().into_bytes();
    let mut http = P::request(&config, body);
    http.timeout = config.timeout;
    http.max_body = 16 << 20;
    let answer = send_with_retries(&http, config.retry)
        .map_err(|e| LlmError::Unavailable(format!("{} API: {e}", P::API)))
        .and_then(|response| {
            if !(200..300).contains(&response.status) {
                return Err(errors::from_status(P::API, &response));
            }
            let answer: serde_json::Value = serde_json::from_slice(&response.body)
                .map_err(|e| errors::invalid(P::API, &response, &e.to_string()))?;
            P::decode(&answer).map_err(|why| errors::invalid(P::API, &response, &why))
        });
    answer.map_err(|error| errors::without_key(error, config.api_key.as_deref()))
}

/// Exports a [`Provider`] as the `asterbot:agent/llm` interface.
#[macro_export]
macro_rules! export_provider {
    ($provider:ty) => {
        const _: () = {
            struct Model;
            impl $crate::sdk::worlds::llm_provider::exports::asterbot::agent::llm::Guest for Model {
                fn chat(
                    request: $crate::ChatRequest,
                ) -> ::std::result::Result<$crate::ChatReply, $crate::LlmError> {
                    $crate::chat::<$provider>(request)
                }
            }
            $crate::sdk::export_llm_provider_world!(Model);
        };
    };
}
