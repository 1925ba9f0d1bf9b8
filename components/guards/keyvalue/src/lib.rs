//! `guard-keyvalue`: the key-value store one instance sees. The baked
//! policy names one key prefix: the instance's key `k` is `PREFIX/k` in
//! the runtime's store, listing shows only its own keys (without the
//! prefix), and no key it can name reaches outside, so two instances with
//! different prefixes never see each other's keys. `*` passes the store
//! as it is; an empty policy (no `@allow-keyvalue`) refuses to open it.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "keyvalue", generate_all });

use asterbot::guard::policy;
use exports::wasi::keyvalue::store::{self as exported, KeyResponse};
use wasi::keyvalue::{atomics as host_atomics, store as host};

/// What the instance may reach.
enum View {
    /// Every key, as it is (`*`).
    All,
    /// The keys under `PREFIX/`.
    Prefix(String),
}

impl View {
    /// The view the baked policy allows, if any.
    fn from_policy(policy: &[String]) -> Option<View> {
        match policy.first()?.as_str() {
            "*" => Some(View::All),
            prefix => Some(View::Prefix(format!("{prefix}/"))),
        }
    }

    /// The store's key for the instance's `key`.
    fn key(&self, key: &str) -> String {
        match self {
            View::All => key.to_string(),
            View::Prefix(prefix) => format!("{prefix}{key}"),
        }
    }

    /// The instance's name for the store's `key`, if it is one of its own.
    fn own(&self, key: &str) -> Option<String> {
        match self {
            View::All => Some(key.to_string()),
            View::Prefix(prefix) => key.strip_prefix(prefix.as_str()).map(str::to_string),
        }
    }
}

/// A bucket as the instance sees it.
struct Bucket {
    inner: host::Bucket,
    view: View,
}

fn error(error: host::Error) -> exported::Error {
    match error {
        host::Error::NoSuchStore => exported::Error::NoSuchStore,
        host::Error::AccessDenied => exported::Error::AccessDenied,
        host::Error::Other(message) => exported::Error::Other(message),
    }
}

impl exported::GuestBucket for Bucket {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, exported::Error> {
        self.inner.get(&self.view.key(&key)).map_err(error)
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), exported::Error> {
        self.inner.set(&self.view.key(&key), &value).map_err(error)
    }

    fn delete(&self, key: String) -> Result<(), exported::Error> {
        self.inner.delete(&self.view.key(&key)).map_err(error)
    }

    fn exists(&self, key: String) -> Result<bool, exported::Error> {
        self.inner.exists(&self.view.key(&key)).map_err(error)
    }

    fn list_keys(&self, cursor: Option<u64>) -> Result<KeyResponse, exported::Error> {
        // A page of the store's keys, narrowed: the cursor stays the store's.
        let page = self.inner.list_keys(cursor).map_err(error)?;
        Ok(KeyResponse {
            keys: page
                .keys
                .iter()
                .filter_map(|key| self.view.own(key))
                .collect(),
            cursor: page.cursor,
        })
    }
}

struct Guard;

impl exported::Guest for Guard {
    type Bucket = Bucket;

    fn open(identifier: String) -> Result<exported::Bucket, exported::Error> {
        let view = View::from_policy(&policy::allowed()).ok_or(exported::Error::AccessDenied)?;
        let inner = host::open(&identifier).map_err(error)?;
        Ok(exported::Bucket::new(Bucket { inner, view }))
    }
}

impl exports::wasi::keyvalue::atomics::Guest for Guard {
    fn increment(
        bucket: exported::BucketBorrow<'_>,
        key: String,
        delta: u64,
    ) -> Result<u64, exported::Error> {
        let bucket: &Bucket = bucket.get();
        host_atomics::increment(&bucket.inner, &bucket.view.key(&key), delta).map_err(error)
    }
}

export!(Guard);

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_confines_every_key() {
        let view = View::from_policy(&["history".to_string()]).unwrap();
        assert_eq!(view.key("session/a"), "history/session/a");
        assert_eq!(view.key("../memory/x"), "history/../memory/x");
        assert_eq!(view.own("history/session/a").as_deref(), Some("session/a"));
        assert_eq!(view.own("memory/note/x"), None);
        assert_eq!(view.own("historyx/y"), None);
        assert!(View::from_policy(&[]).is_none());
        let all = View::from_policy(&["*".to_string()]).unwrap();
        assert_eq!(all.key("memory/x"), "memory/x");
    }
}
