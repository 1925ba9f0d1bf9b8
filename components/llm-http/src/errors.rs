//! Typed `llm-error`s from HTTP answers.

use crate::LlmError;
use asterbot_http::Response;

/// Longest excerpt of a provider's answer quoted in an error.
const EXCERPT: usize = 300;

/// The error for a non-2xx answer, after any retries.
pub fn from_status(api: &str, response: &Response) -> LlmError {
    let status = response.status;
    let what = format!("{api} API answered {status}: {}", explanation(response));
    match status {
        401 | 403 => LlmError::Auth(format!("{what} (check the API key)")),
        429 => LlmError::RateLimited(what),
        408 | 500..=599 => LlmError::Unavailable(what),
        _ => LlmError::BadRequest(what),
    }
}

/// The error for a 2xx answer that is not what the API promises.
pub fn invalid(api: &str, response: &Response, why: &str) -> LlmError {
    LlmError::InvalidResponse(format!(
        "{api} API answered something unexpected ({why}): {}",
        excerpt(&response.text())
    ))
}

/// The provider's own error message if the body has one (`error.message`,
/// `error` as text, or `message`), else an excerpt of the body.
fn explanation(response: &Response) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let message = json.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str())
            .map(str::to_string)
    });
    let text = message.unwrap_or_else(|| response.text());
    if text.trim().is_empty() {
        "(no details)".to_string()
    } else {
        excerpt(&text)
    }
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(EXCERPT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn statuses_become_typed_errors_with_the_providers_words() {
        let body =
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
        let LlmError::Auth(why) = from_status("X", &response(401, body)) else {
            panic!("401 is an auth error")
        };
        assert!(
            why.contains("401") && why.contains("Incorrect API key"),
            "{why}"
        );
        assert!(matches!(
            from_status("X", &response(429, "")),
            LlmError::RateLimited(_)
        ));
        assert!(
            matches!(from_status("X", &response(503, "busy")), LlmError::Unavailable(w) if w.contains("busy"))
        );
        assert!(
            matches!(from_status("X", &response(400, r#"{"error":"bad model"}"#)), LlmError::BadRequest(w) if w.contains("bad model"))
        );
        let long = "x".repeat(5000);
        let LlmError::InvalidResponse(why) = invalid("X", &response(200, &long), "not JSON") else {
            panic!()
        };
        assert!(why.len() < 500, "{}", why.len());
    }
}
