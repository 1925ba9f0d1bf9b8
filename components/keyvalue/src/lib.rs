//! The key-value store of a component that keeps its state outside its
//! instance (history, memory and approvals of a served agent), through
//! `wasi:keyvalue/store@0.2.0-draft`.
//!
//! The bucket is opened once per instance and shared by every call. The
//! recipe narrows it to the instance's own keys (`@allow-keyvalue PREFIX`),
//! so keys here are the component's own: `session/…`, `note/…`.
//!
//! Errors are words for the model or the person, naming what to fix.

use asterbot_sdk::worlds::keyvalue_client::wasi::keyvalue::{atomics, store};
use std::cell::OnceCell;

thread_local! {
    /// The bucket of this instance, opened on first use.
    static BUCKET: OnceCell<store::Bucket> = const { OnceCell::new() };
}

/// Runs `f` with the bucket, opening it on first use.
fn with_bucket<R>(f: impl FnOnce(&store::Bucket) -> Result<R, store::Error>) -> Result<R, String> {
    BUCKET.with(|cell| {
        let bucket = match cell.get() {
            Some(bucket) => bucket,
            None => {
                let bucket = store::open("").map_err(|e| describe(&e))?;
                cell.get_or_init(|| bucket)
            }
        };
        f(bucket).map_err(|e| describe(&e))
    })
}

/// An error of the store, in words.
fn describe(error: &store::Error) -> String {
    match error {
        store::Error::NoSuchStore => "the runtime has no key-value store (`asterbot serve` provides one; `wasmtime serve` needs `-S keyvalue`)".to_string(),
        store::Error::AccessDenied => "the key-value store refused access: the recipe allows this instance no keys (add `@allow-keyvalue PREFIX` to its annotations)".to_string(),
        store::Error::Other(message) => format!("the key-value store failed: {message}"),
    }
}

/// The value of `key`, if it has one.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, String> {
    with_bucket(|bucket| bucket.get(key))
}

/// The value of `key` as text, if it has one.
pub fn get_text(key: &str) -> Result<Option<String>, String> {
    get(key)?
        .map(|bytes| {
            String::from_utf8(bytes).map_err(|_| format!("the value of `{key}` is not UTF-8"))
        })
        .transpose()
}

/// Sets the value of `key`.
pub fn set(key: &str, value: &[u8]) -> Result<(), String> {
    with_bucket(|bucket| bucket.set(key, value))
}

/// Removes `key`; true if it had a value.
pub fn delete(key: &str) -> Result<bool, String> {
    with_bucket(|bucket| {
        let existed = bucket.exists(key)?;
        bucket.delete(key)?;
        Ok(existed)
    })
}

/// Every key that starts with `prefix`, sorted.
pub fn keys_with_prefix(prefix: &str) -> Result<Vec<String>, String> {
    with_bucket(|bucket| {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let page = bucket.list_keys(cursor)?;
            keys.extend(page.keys.into_iter().filter(|key| key.starts_with(prefix)));
            match page.cursor {
                Some(next) if Some(next) != cursor => cursor = Some(next),
                _ => break,
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    })
}

/// The value of the counter at `key` (absent: 0), read without writing:
/// the stores keep a counter as its decimal text, so a plain `get` reads
/// it. A store that keeps it otherwise is asked with an increment of 0
/// (which some stores make a write, and a disk store a commit).
pub fn counter(key: &str) -> Result<u64, String> {
    match get(key)? {
        None => Ok(0),
        Some(bytes) => match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| t.parse().ok())
        {
            Some(value) => Ok(value),
            None => increment(key, 0),
        },
    }
}

/// Adds `delta` to the counter at `key` (absent: 0), atomically across
/// every instance and replica sharing the store; the new value.
pub fn increment(key: &str, delta: u64) -> Result<u64, String> {
    with_bucket(|bucket| atomics::increment(bucket, key, delta))
}
