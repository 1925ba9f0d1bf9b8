//! Bounded retries with exponential backoff, for answers worth retrying:
//! 429 (rate limited), 5xx (server trouble) and refused connections.

use crate::client::{HttpError, Request, Response, send};
use std::time::Duration;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubled for each later one.
    pub base_delay: Duration,
    /// Longest wait, also the cap on a server's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Two retries, waiting 1 s then 2 s (or what the server asks, up to 30 s).
    fn default() -> RetryPolicy {
        RetryPolicy {
            retries: 2,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based), honouring a
    /// `Retry-After` of whole seconds.
    pub fn delay(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        let asked = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let backoff = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        asked.unwrap_or(backoff).min(self.max_delay)
    }
}

/// Whether a response status is worth another try.
pub fn is_retryable(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// Sends `request`, retrying per `policy`. Returns the last response even
/// if it is still an error status, so the caller can say what it was.
pub fn send_with_retries(request: &Request, policy: RetryPolicy) -> Result<Response, HttpError> {
    let mut attempt = 0;
    loop {
        let outcome = send(request);
        let retry_after = match &outcome {
            Ok(response) if is_retryable(response.status) => {
                response.header("retry-after").map(str::to_string)
            }
            Err(HttpError::Unreachable(..)) => None,
            _ => return outcome,
        };
        if attempt >= policy.retries {
            return outcome;
        }
        std::thread::sleep(policy.delay(attempt, retry_after.as_deref()));
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_honours_retry_after_within_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(0, None), Duration::from_secs(1));
        assert_eq!(policy.delay(1, None), Duration::from_secs(2));
        assert_eq!(policy.delay(10, None), Duration::from_secs(30));
        assert_eq!(policy.delay(0, Some("0")), Duration::ZERO);
        assert_eq!(policy.delay(0, Some("7")), Duration::from_secs(7));
        assert_eq!(policy.delay(0, Some("3600")), Duration::from_secs(30));
        assert_eq!(policy.delay(1, Some("a date")), Duration::from_secs(2));
        assert!(is_retryable(429) && is_retryable(503) && !is_retryable(401) && !is_retryable(200));
    }
}
