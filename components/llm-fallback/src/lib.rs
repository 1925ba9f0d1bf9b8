//! `llm-fallback`: asks the `llm` it imports first and, when that fails
//! (no key, rate limit, outage, garbage), asks the `fallback` model. If
//! both fail, the error names both failures and has the kind of the second.
//!
//! An answer the fallback gives says so on its first line, so the person
//! sees it wherever the answer goes (the terminal, an HTTP response), not
//! only on standard error. With `ASTERBOT_FALLBACK=error` (granted with
//! `@allow-env ASTERBOT_FALLBACK` and `--env ASTERBOT_FALLBACK=error`),
//! the first model's failure is the answer instead: no fallback is asked.
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
        let (first_kind, first) = parts(first);
        if std::env::var(SETTING).is_ok_and(|value| value == "error") {
            return Err(first_kind(format!(
                "{first} (the fallback model was not asked: {SETTING}=error)"
            )));
        }
        eprintln!("asterbot: the first model failed ({first}); asking the fallback model");
        match fallback::chat(&request) {
            Ok(mut reply) => {
                reply.message.content = marked(&first, reply.message.content);
                Ok(reply)
            }
            Err(second) => {
                let (kind, second) = parts(second);
                Err(kind(format!(
                    "{second} (after the first model failed: {first})"
                )))
            }
        }
    }
}

/// The setting that makes the first model's failure an error.
const SETTING: &str = "ASTERBOT_FALLBACK";

/// `content` of a fallback's reply, with a first line saying why the
/// fallback answered; a reply with no text (only tool calls) is left as it
/// is, since the answer that follows carries the line.
fn marked(first: &str, content: String) -> String {
    if content.is_empty() {
        return content;
    }
    format!("[answered by the fallback model: the first model failed: {first}]\n{content}")
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

#[cfg(test)]
mod tests {
    use super::marked;

    #[test]
    fn a_fallback_answer_says_why_on_its_first_line() {
        assert_eq!(
            marked("unavailable: 503", "The answer is 42.".into()),
            "[answered by the fallback model: the first model failed: unavailable: 503]\nThe answer is 42."
        );
        assert_eq!(marked("auth: 401", String::new()), "");
    }
}
