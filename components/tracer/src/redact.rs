//! Taking secrets out of span text before it leaves for a collector: a
//! provider's error may echo the key it was sent, and a tool's error the
//! token in a URL. The tracer cannot see the secret variables themselves
//! (its recipe grants it none), so it recognises secrets by their shape:
//!
//! - a value labelled as one (8 characters or more, with a digit or 20
//!   long): after `Bearer`, `Basic`, `Authorization`, or a word ending in
//!   `key`, `token`, `secret` or `password` (`api_key=...`,
//!   `"x-api-key": "..."`, `OPENAI_API_KEY=...`);
//! - a token with a known key prefix (`sk-`, `gsk_`, `ghp_`, `AIza`, ...);
//! - a long run of letters and digits (32 or more, both present), as
//!   generated keys are.

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Prefixes of API keys and tokens that providers hand out.
const KEY_PREFIXES: [&str; 12] = [
    "sk-",
    "sk_",
    "gsk_",
    "xai-",
    "ghp_",
    "gho_",
    "github_pat_",
    "glpat-",
    "hf_",
    "AIza",
    "xoxb-",
    "xoxp-",
];

/// Labels that say the value after them is secret (besides words ending
/// in `key`, `token`, `secret` or `password`).
const LABELS: [&str; 4] = ["bearer", "basic", "authorization", "auth"];

/// Characters a token (a key, a word) is made of.
fn in_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '~' | '+' | '/')
}

/// Whether `word` says that the token after it is secret.
fn is_label(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    LABELS.contains(&word.as_str())
        || ["key", "token", "secret", "password", "passwd"]
            .iter()
            .any(|end| word.ends_with(end))
}

/// Whether `token` is secret on its own (its prefix or its shape).
fn looks_like_a_key(token: &str) -> bool {
    let prefixed = KEY_PREFIXES
        .iter()
        .any(|prefix| token.starts_with(prefix) && token.len() >= prefix.len() + 8);
    let alphanumeric = token.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    let generated = alphanumeric >= 32
        && token.chars().any(|c| c.is_ascii_digit())
        && token.chars().any(|c| c.is_ascii_alphabetic())
        && !token.contains('/');
    prefixed || generated
}

/// `text` with every secret-looking value replaced by [`REDACTED`].
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The last token, and whether only separators came after it.
    let mut label = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_token(c) {
            let mut end = rest.find(|c: char| !in_token(c)).unwrap_or(rest.len());
            // A full stop after a token ends the sentence, not the token.
            while end > 1 && rest[..end].ends_with('.') {
                end -= 1;
            }
            let token = &rest[..end];
            let labelled = label
                && token.len() >= 8
                && (token.len() >= 20 || token.chars().any(|c| c.is_ascii_digit()));
            if labelled || looks_like_a_key(token) {
                out.push_str(REDACTED);
                label = false;
            } else {
                out.push_str(token);
                label = is_label(token);
            }
            rest = &rest[end..];
        } else {
            out.push(c);
            // Between a label and its value: spaces, `:`, `=` and quotes.
            label &= matches!(c, ' ' | ':' | '=' | '"' | '\'');
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn keys_echoed_in_errors_are_redacted() {
        assert_eq!(
            redact(
                "Auth(\"401: Incorrect API key provided: sk-proj-abcdef0123456789. You can find your API key at https://platform.openai.com/account/api-keys.\")"
            ),
            "Auth(\"401: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.\")"
        );
        assert_eq!(
            redact("sent Authorization: Bearer abc.def-ghi_123 to the host"),
            "sent Authorization: Bearer [redacted] to the host"
        );
        assert_eq!(
            redact("GET https://api.example.com/v1?api_key=hunter2hunter2&q=tea failed"),
            "GET https://api.example.com/v1?api_key=[redacted]&q=tea failed"
        );
        assert_eq!(
            redact(r#"{"x-api-key": "0123456789abcdef"}"#),
            r#"{"x-api-key": "[redacted]"}"#
        );
        assert_eq!(
            redact("token 3f8a9c0d1e2b4a6f8c0e2d4b6a8f0c1e3d5b7a9f"),
            "token [redacted]"
        );
    }

    #[test]
    fn ordinary_text_is_kept() {
        for text in [
            "execute_tool http_fetch",
            "chat gpt-4o-mini",
            "the key provided was wrong",
            "rate limited: retry after 20 s",
            "GET https://example.com/docs/page answered 404",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
