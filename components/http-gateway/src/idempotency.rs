//! Exactly-once turns for clients and load balancers that retry: a request
//! with an `Idempotency-Key` header runs its turn once, and every retry
//! with the same key (by the same principal) gets the first answer back.
//!
//! The key is claimed with the store's atomic counter (`claim/…`), so of
//! two retries arriving at once, on one replica or two, only the one that
//! counted `1` runs the turn; the other waits for the answer it stores
//! (`answer/…`). A turn that fails gives its claim back (the counter is
//! deleted), so a retry runs it again.
//!
//! A turn whose instance died (a trap, the runtime's turn limit) cannot
//! give its claim back. So the claimer writes when it started (`lease/…`),
//! and once the turn limit (`ASTERBOT_TURN_TIMEOUT`, which `asterbot
//! serve` sets from `--timeout`; 10 minutes if unset) and a second have
//! passed without an answer, the turn is dead: one retry takes the claim
//! over (an atomic counter per lease, `takeover/…`) and runs the turn.
//! Keys live under the gateway's own prefix (`@allow-keyvalue
//! idempotency` in the recipe) and are never expired: a store that is
//! cleaned up from outside may drop them.

use crate::api::Failure;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// The response header that marks a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// Longest key accepted.
const MAX_KEY: usize = 255;

/// The setting: the longest a turn may run (the runtime's turn limit),
/// as `300ms`, `90s`, `10m`, `1h` or seconds.
pub const TURN_TIMEOUT_ENV: &str = "ASTERBOT_TURN_TIMEOUT";

/// The turn limit when none is set: `asterbot serve`'s default `--timeout`.
const DEFAULT_TURN_MS: u64 = 10 * 60 * 1000;

/// How long past the turn limit a claim is still its turn's: room for the
/// clocks of replicas that disagree a little.
const LEASE_MARGIN_MS: u64 = 1000;

/// The longest a turn may run, in milliseconds.
pub fn turn_limit_ms() -> u64 {
    std::env::var(TURN_TIMEOUT_ENV)
        .ok()
        .and_then(|value| parse_ms(&value))
        .unwrap_or(DEFAULT_TURN_MS)
}

/// `300ms`, `90s`, `10m`, `1h` or seconds, in milliseconds.
fn parse_ms(value: &str) -> Option<u64> {
    let value = value.trim();
    let at = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(at);
    let scale = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

/// Now, in milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A claimed or answered key of one principal.
pub struct Slot {
    claim: String,
    answer: String,
    /// When the claim's turn started (milliseconds since the epoch).
    lease: String,
    /// Prefix of the counters that hand a dead turn's claim to one retry.
    takeover: String,
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
            lease: format!("lease/{principal}/{name}"),
            takeover: format!("takeover/{principal}/{name}"),
            fingerprint: hex(&fingerprint.finalize()),
        }
    }

    /// Claims the key, or waits (at most `wait_ms`) for the answer of the
    /// request that claimed it first; takes the claim over from a turn
    /// that died (see the module's documentation).
    pub fn claim(&self, wait_ms: u64) -> Result<Claim, Failure> {
        let store = |e: String| Failure::new(500, "server_error", "store_failed", e);
        if keyvalue::increment(&self.claim, 1).map_err(store)? == 1 {
            return self.hold().map_err(store);
        }
        // A claim without a lease (its claimer died before writing it) is
        // timed from the moment this request first saw it.
        let seen = now_ms();
        let limit = turn_limit_ms();
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
                return self.hold().map_err(store);
            }
            // The turn holding the key outlived the turn limit: its
            // instance is gone. One retry takes the claim over.
            let lease = keyvalue::get_text(&self.lease).map_err(store)?;
            let started = lease
                .as_deref()
                .and_then(|text| text.parse::<u64>().ok())
                .unwrap_or(seen);
            if now_ms() > started.saturating_add(limit + LEASE_MARGIN_MS) {
                let of = lease.as_deref().unwrap_or("none");
                let counter = format!("{}/{of}", self.takeover);
                if keyvalue::increment(&counter, 1).map_err(store)? == 1 {
                    return self.hold().map_err(store);
                }
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

    /// Marks the claim as this request's, from now: the turn runs.
    fn hold(&self) -> Result<Claim, String> {
        keyvalue::set(&self.lease, now_ms().to_string().as_bytes())?;
        Ok(Claim::Run)
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
        // The lease first: a request that claims the key next must not
        // find this turn's lease, which is older than its own turn.
        let _ = keyvalue::delete(&self.lease);
        let _ = keyvalue::delete(&self.claim);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn a_turn_limit_is_read_with_its_unit() {
        assert_eq!(parse_ms("300ms"), Some(300));
        assert_eq!(parse_ms("90s"), Some(90_000));
        assert_eq!(parse_ms("10m"), Some(600_000));
        assert_eq!(parse_ms("2"), Some(2000));
        assert_eq!(parse_ms("3w"), None);
        assert_eq!(parse_ms("ms"), None);
    }
}
