//! A store in this process's memory, shared by all its requests.

use super::{Error, PAGE, add};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Keys and values in memory, sorted.
#[derive(Clone, Default)]
pub struct Memory(Arc<Mutex<BTreeMap<String, Vec<u8>>>>);

impl Memory {
    fn map(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.map().get(key).cloned()
    }

    pub fn set(&self, key: String, value: Vec<u8>) {
        self.map().insert(key, value);
    }

    pub fn delete(&self, key: &str) {
        self.map().remove(key);
    }

    /// A page of keys from position `cursor`.
    pub fn list(&self, cursor: u64) -> (Vec<String>, Option<u64>) {
        let map = self.map();
        let start = usize::try_from(cursor).unwrap_or(usize::MAX);
        let keys: Vec<String> = map.keys().skip(start).take(PAGE).cloned().collect();
        let next = start.saturating_add(keys.len());
        let more = next < map.len();
        (keys, more.then_some(next as u64))
    }

    pub fn increment(&self, key: String, delta: u64) -> Result<u64, Error> {
        let mut map = self.map();
        let value = add(&key, map.get(&key).map(Vec::as_slice), delta)?;
        map.insert(key, value.to_string().into_bytes());
        Ok(value)
    }
}
