//! Exactly-once turns for clients and load balancers that retry: a request
//! with an `Idempotency-Key` header runs its turn once, and every retry
//! with the same key (by the same principal) gets the first answer back.
//!
//! The key is claimed with the store's atomic counter (`claim/…`), so of
//! two retries arriving at once, on one replica or two, only the one that
//! counted `1` runs the turn; the other waits for the answer it stores
//! (`answer/…`). A turn that fails gives its claim back (the counter is
//! deleted), so a retry runs it again. Keys live under the gateway's own
//! prefix (`@allow-keyvalue idempotency` in the recipe) and are never
//! expired: a store that is cleaned up from outside may drop them.

use crate::api::Failure;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// The response header that marks a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// Longest key accepted.
const MAX_KEY: usize = 255;

/// A claimed or answered key of one principal.
pub struct Slot {
    claim: String,
    answer: String,
    /// The request's fingerprint: a retry must be the same request.
    fingerprint: String,
}

/// The stored answer of a key.
#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub fingerprint: String,
    pub status: u16,
    pub content_type: String,
    pub session: String,
    pub body: String,
}

/// What claiming a key found.
pub enum Claim {
    /// This request runs the turn.
    Run,
    /// An earlier request with the key answered this.
    Replay(Stored),
}

/// Checks a client's key: 1 to 255 visible ASCII characters.
pub fn check(key: &str) -> Result<(), Failure> {
    let visible = key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if key.is_empty() || key.len() > MAX_KEY || !visible {
        return Err(Failure::invalid(
            "invalid_idempotency_key",
            format!("the `Idempotency-Key` header must be 1 to {MAX_KEY} visible ASCII characters"),
        ));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Slot {
    /// The slot of `key` for `principal` (its stored name), for a request
    /// with `body` in session `session` (as named by the client).
    pub fn new(principal: &str, key: &str, body: &[u8], session: Option<&str>) -> Slot {
        let name = hex(&Sha256::digest(key.as_bytes()));
        let mut fingerprint = Sha256::new();
        fingerprint.update(session.unwrap_or_default().as_bytes());
        fingerprint.update([0]);
        fingerprint.update(body);
        Slot {
            claim: format!("claim/{principal}/{name}"),
            answer: format!("answer/{principal}/{name}"),
            fingerprint: hex(&fingerprint.finalize()),
        }
    }

    /// Claims the key, or waits (at most `wait_ms`) for the answer of the
    /// request that claimed it first.
    pub fn claim(&self, wait_ms: u64) -> Result<Claim, Failure> {
        let store = |e: String| Failure::new(500, "server_error", "store_failed", e);
        if keyvalue::increment(&self.claim, 1).map_err(store)? == 1 {
            return Ok(Claim::Run);
        }
        let mut waited = 0;
        loop {
            if let Some(text) = keyvalue::get_text(&self.answer).map_err(store)? {
                let stored: Stored = serde_json::from_str(&text)
                    .map_err(|e| store(format!("a stored answer is unreadable: {e}")))?;
                if stored.fingerprint != self.fingerprint {
                    return Err(Failure::new(
                        422,
                        "invalid_request_error",
                        "idempotency_key_reused",
                        "this `Idempotency-Key` was used for a different request: use a new key for a new request",
                    ));
                }
                return Ok(Claim::Replay(stored));
            }
            // The first request failed and gave the key back: claim it.
            if keyvalue::increment(&self.claim, 0).map_err(store)? == 0
                && keyvalue::increment(&self.claim, 1).map_err(store)? == 1
            {
                return Ok(Claim::Run);
            }
            if waited >= wait_ms {
                return Err(Failure::new(
                    409,
                    "invalid_request_error",
                    "idempotency_key_in_use",
                    "a request with this `Idempotency-Key` is still running: retry later for its answer",
                ));
            }
            let step = 50;
            wasip2::clocks::monotonic_clock::subscribe_duration(step * 1_000_000).block();
            waited += step;
        }
    }

    /// Stores the answer of the turn this request ran.
    pub fn answer(&self, status: u16, content_type: &str, session: &str, body: String) {
        let stored = Stored {
            fingerprint: self.fingerprint.clone(),
            status,
            content_type: content_type.to_string(),
            session: session.to_string(),
            body,
        };
        let text = serde_json::to_string(&stored).unwrap_or_default();
        if let Err(error) = keyvalue::set(&self.answer, text.as_bytes()) {
            eprintln!("http-gateway: cannot keep the answer of an idempotency key: {error}");
        }
    }

    /// Gives the key back after a failed turn: a retry runs it again.
    pub fn release(&self) {
        let _ = keyvalue::delete(&self.claim);
    }
}
