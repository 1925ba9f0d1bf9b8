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

/// `error` with every occurrence of the API `key` replaced: a provider
/// that echoes the key in its error (a 401 quoting the bad key) must not
/// put it into the error text, which goes to the person, the history and
/// traces. Keys shorter than 8 bytes are not looked for (they would match
/// ordinary words).
pub fn without_key(error: LlmError, key: Option<&str>) -> LlmError {
    let Some(key) = key.map(str::trim).filter(|k| k.len() >= 8) else {
        return error;
    };
    let hide = |text: String| text.replace(key, "[the API key]");
    match error {
        LlmError::Auth(m) => LlmError::Auth(hide(m)),
        LlmError::RateLimited(m) => LlmError::RateLimited(hide(m)),
        LlmError::Unavailable(m) => LlmError::Unavailable(hide(m)),
        LlmError::BadRequest(m) => LlmError::BadRequest(hide(m)),
        LlmError::InvalidResponse(m) => LlmError::InvalidResponse(hide(m)),
    }
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
    fn an_echoed_key_is_taken_out_of_the_error() {
        let body =
            r#"{"error":{"message":"Incorrect API key provided: sk-live-0123456789abcdef"}}"#;
        let error = from_status("X", &response(401, body));
        let LlmError::Auth(why) = without_key(error, Some("sk-live-0123456789abcdef")) else {
            panic!("still an auth error")
        };
        assert!(!why.contains("0123456789abcdef"), "{why}");
        assert!(
            why.contains("Incorrect API key provided: [the API key]"),
            "{why}"
        );
        // The control: without the key to look for, the echo stays.
        let LlmError::Auth(why) = without_key(from_status("X", &response(401, body)), None) else {
            panic!()
        };
        assert!(why.contains("sk-live-0123456789abcdef"), "{why}");
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
