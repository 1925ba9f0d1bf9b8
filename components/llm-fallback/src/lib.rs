//! `llm-fallback`: asks the `llm` it imports first and, when that fails
//! (no key, rate limit, outage, garbage), asks the `fallback` model. If
//! both fail, the error names both failures and has the kind of the second.
//!
//! ```wac
//! let model = new asterbot:llm-fallback { llm: openai.llm, fallback: ollama.llm, ... };
//! ```

use asterbot_sdk::worlds::llm_fallback::{asterbot, exports, fallback};

use asterbot::agent::llm as primary;
use exports::asterbot::agent::llm::{ChatReply, ChatRequest, Guest, LlmError};

struct Fallback;

impl Guest for Fallback {
    fn chat(request: ChatRequest) -> Result<ChatReply, LlmError> {
        let first = match primary::chat(&request) {
            Ok(reply) => return Ok(reply),
            Err(error) => error,
        };
        let (_, first) = parts(first);
        eprintln!("asterbot: the first model failed ({first}); asking the fallback model");
        match fallback::chat(&request) {
            Ok(reply) => Ok(reply),
            Err(second) => {
                let (kind, second) = parts(second);
                Err(kind(format!(
                    "{second} (after the first model failed: {first})"
                )))
            }
        }
    }
}

/// The error's kind, as a constructor, and its words.
fn parts(error: LlmError) -> (fn(String) -> LlmError, String) {
    match error {
        LlmError::Auth(m) => (LlmError::Auth, m),
        LlmError::RateLimited(m) => (LlmError::RateLimited, m),
        LlmError::Unavailable(m) => (LlmError::Unavailable, m),
        LlmError::BadRequest(m) => (LlmError::BadRequest, m),
        LlmError::InvalidResponse(m) => (LlmError::InvalidResponse, m),
    }
}

asterbot_sdk::export_llm_fallback_world!(Fallback);
