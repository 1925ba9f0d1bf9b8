//! `wasi:keyvalue` (0.2.0-draft, as wasmtime, wasmCloud and Spin speak it)
//! for the agent: where served agents keep conversations, notes and
//! waiting approvals, so that instances, restarts and replicas share them.
//!
//! One [`KeyValueStore`] is shared by every store (request) of a process:
//! on disk (one redb file, the default of `asterbot serve`), in Redis or
//! Valkey (several replicas), or in memory (tests, `--keyvalue memory`).
//! The recipe's guards narrow it to each instance's own prefix inside the
//! artifact; the host sees only whole keys.

mod disk;
mod memory;
mod redis;

use anyhow::Context as _;
use std::path::PathBuf;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "asterbot:agent/keyvalue-client",
        imports: { default: async | trappable },
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
        },
        trappable_error_type: {
            "wasi:keyvalue/store.error" => super::Error,
        },
    });
}

use bindings::wasi::keyvalue::{atomics, store};

/// Most keys one `list-keys` page returns.
const PAGE: usize = 1000;

/// An open bucket: the store's one default bucket (`""`).
pub struct Bucket;

/// Why an operation failed, before it becomes `wasi:keyvalue`'s error.
#[derive(Debug)]
pub enum Error {
    /// No store of that identifier.
    NoSuchStore,
    /// Anything else, in words.
    Other(String),
}

impl From<wasmtime::component::ResourceTableError> for Error {
    fn from(error: wasmtime::component::ResourceTableError) -> Error {
        Error::Other(error.to_string())
    }
}

/// Where the keys live.
#[derive(Clone)]
pub enum KeyValueStore {
    /// In this process, gone when it ends.
    Memory(memory::Memory),
    /// One redb file.
    Disk(disk::Disk),
    /// A Redis or Valkey server.
    Redis(redis::Redis),
}

impl std::fmt::Debug for KeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl KeyValueStore {
    /// An empty store in memory.
    pub fn memory() -> KeyValueStore {
        KeyValueStore::Memory(memory::Memory::default())
    }

    /// The store in the redb file `path`, created if missing.
    pub fn disk(path: impl Into<PathBuf>) -> anyhow::Result<KeyValueStore> {
        disk::Disk::open(path.into()).map(KeyValueStore::Disk)
    }

    /// The Redis (or Valkey) server at `url` (`redis://host:port/db`);
    /// fails if it cannot be reached now.
    pub async fn redis(url: &str) -> anyhow::Result<KeyValueStore> {
        redis::Redis::connect(url)
            .await
            .map(KeyValueStore::Redis)
            .with_context(|| format!("cannot reach the key-value store `{url}`"))
    }

    /// What it is, for messages: `memory`, the file, or the server.
    pub fn describe(&self) -> String {
        match self {
            KeyValueStore::Memory(_) => "memory (this process only)".to_string(),
            KeyValueStore::Disk(disk) => disk.describe(),
            KeyValueStore::Redis(redis) => redis.describe(),
        }
    }

    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        match self {
            KeyValueStore::Memory(m) => Ok(m.get(&key)),
            KeyValueStore::Disk(d) => d.get(key).await,
            KeyValueStore::Redis(r) => r.get(key).await,
        }
    }

    async fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        match self {
            KeyValueStore::Memory(m) => {
                m.set(key, value);
                Ok(())
            }
            KeyValueStore::Disk(d) => d.set(key, value).await,
            KeyValueStore::Redis(r) => r.set(key, value).await,
        }
    }

    async fn delete(&self, key: String) -> Result<(), Error> {
        match self {
            KeyValueStore::Memory(m) => {
                m.delete(&key);
                Ok(())
            }
            KeyValueStore::Disk(d) => d.delete(key).await,
            KeyValueStore::Redis(r) => r.delete(key).await,
        }
    }

    async fn exists(&self, key: String) -> Result<bool, Error> {
        Ok(self.get(key).await?.is_some())
    }

    /// A page of keys from `cursor`, and where the next page starts.
    async fn list(&self, cursor: u64) -> Result<(Vec<String>, Option<u64>), Error> {
        match self {
            KeyValueStore::Memory(m) => Ok(m.list(cursor)),
            KeyValueStore::Disk(d) => d.list(cursor).await,
            KeyValueStore::Redis(r) => r.list(cursor).await,
        }
    }

    async fn increment(&self, key: String, delta: u64) -> Result<u64, Error> {
        match self {
            KeyValueStore::Memory(m) => m.increment(key, delta),
            KeyValueStore::Disk(d) => d.increment(key, delta).await,
            KeyValueStore::Redis(r) => r.increment(key, delta).await,
        }
    }
}

/// The decimal counter stored in `value` (absent: 0) plus `delta`, as
/// wasmtime's and Redis's stores keep counters.
fn add(key: &str, value: Option<&[u8]>, delta: u64) -> Result<u64, Error> {
    let current = match value {
        None => 0,
        Some(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .ok_or_else(|| Error::Other(format!("the value of `{key}` is not a counter")))?,
    };
    current
        .checked_add(delta)
        .ok_or_else(|| Error::Other(format!("the counter `{key}` would overflow")))
}

/// What a store's host functions see: the shared store and the resource
/// table of the current request.
pub struct KeyValueView<'a> {
    /// The store; `None` when the runner was given none.
    pub store: Option<&'a KeyValueStore>,
    /// The request's resources.
    pub table: &'a mut ResourceTable,
}

struct HasKeyValue;

impl HasData for HasKeyValue {
    type Data<'a> = KeyValueView<'a>;
}

/// Adds `wasi:keyvalue/store` and `atomics` to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KeyValueView<'_>,
) -> anyhow::Result<()> {
    store::add_to_linker::<_, HasKeyValue>(linker, view)?;
    atomics::add_to_linker::<_, HasKeyValue>(linker, view)?;
    Ok(())
}

impl KeyValueView<'_> {
    fn store(&self) -> Result<&KeyValueStore, Error> {
        self.store.ok_or(Error::NoSuchStore)
    }
}

impl store::Host for KeyValueView<'_> {
    async fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, Error> {
        self.store()?;
        if !identifier.is_empty() {
            return Err(Error::NoSuchStore);
        }
        Ok(self.table.push(Bucket)?)
    }

    fn convert_error(&mut self, error: Error) -> wasmtime::Result<store::Error> {
        Ok(match error {
            Error::NoSuchStore => store::Error::NoSuchStore,
            Error::Other(message) => store::Error::Other(message),
        })
    }
}

impl store::HostBucket for KeyValueView<'_> {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.table.get(&bucket)?;
        self.store()?.get(key).await
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        self.table.get(&bucket)?;
        self.store()?.set(key, value).await
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), Error> {
        self.table.get(&bucket)?;
        self.store()?.delete(key).await
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, Error> {
        self.table.get(&bucket)?;
        self.store()?.exists(key).await
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> Result<store::KeyResponse, Error> {
        self.table.get(&bucket)?;
        let (keys, cursor) = self.store()?.list(cursor.unwrap_or(0)).await?;
        Ok(store::KeyResponse { keys, cursor })
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KeyValueView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: u64,
    ) -> Result<u64, Error> {
        self.table.get(&bucket)?;
        self.store()?.increment(key, delta).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every store behaves the same: set, get, list, delete, count.
    pub(super) async fn behaves(store: &KeyValueStore) {
        assert_eq!(store.get("a/1".into()).await.unwrap(), None);
        store.set("a/1".into(), b"one".to_vec()).await.unwrap();
        store.set("b/2".into(), b"two".to_vec()).await.unwrap();
        assert_eq!(
            store.get("a/1".into()).await.unwrap().as_deref(),
            Some(&b"one"[..])
        );
        assert!(store.exists("b/2".into()).await.unwrap());
        let mut keys = Vec::new();
        let mut cursor = 0;
        loop {
            let (page, next) = store.list(cursor).await.unwrap();
            keys.extend(page);
            match next {
                Some(next) => cursor = next,
                None => break,
            }
        }
        keys.sort();
        assert_eq!(keys, ["a/1", "b/2"]);
        store.delete("a/1".into()).await.unwrap();
        store.delete("a/1".into()).await.unwrap();
        assert!(!store.exists("a/1".into()).await.unwrap());
        assert_eq!(store.increment("n".into(), 2).await.unwrap(), 2);
        assert_eq!(store.increment("n".into(), 40).await.unwrap(), 42);
        assert_eq!(
            store.get("n".into()).await.unwrap().as_deref(),
            Some(&b"42"[..])
        );
        assert!(store.increment("b/2".into(), 1).await.is_err());
    }

    #[tokio::test]
    async fn memory_and_disk_stores_behave_alike() {
        behaves(&KeyValueStore::memory()).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        behaves(&KeyValueStore::disk(&path).unwrap()).await;
        // What was written is there after reopening.
        let reopened = KeyValueStore::disk(&path).unwrap();
        assert_eq!(
            reopened.get("n".into()).await.unwrap().as_deref(),
            Some(&b"42"[..])
        );
    }
}
