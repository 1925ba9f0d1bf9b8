//! A store in one redb file: nothing to install, crash-safe (each write
//! is a committed transaction), shared by every request of the process.

use super::{Error, PAGE, add};
use anyhow::Context as _;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::PathBuf;
use std::sync::Arc;

/// The one table: key to value.
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("keyvalue");

/// The database and its file.
#[derive(Clone)]
pub struct Disk {
    db: Arc<Database>,
    path: PathBuf,
}

fn failed(error: impl std::fmt::Display) -> Error {
    Error::Other(format!("the on-disk store failed: {error}"))
}

impl Disk {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: PathBuf) -> anyhow::Result<Disk> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create the folder `{}`", folder.display()))?;
        }
        let db = Database::create(&path).with_context(|| {
            format!(
                "cannot open the key-value store `{}` (is another process using it? one file serves one process; share Redis between replicas)",
                path.display()
            )
        })?;
        // The table exists from the start, so reads never miss it.
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        Ok(Disk {
            db: Arc::new(db),
            path,
        })
    }

    pub fn describe(&self) -> String {
        format!("the file `{}`", self.path.display())
    }

    /// Runs `f` on a blocking thread: redb waits for the disk.
    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(failed)?
    }

    pub async fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(failed)?;
            let table = txn.open_table(TABLE).map_err(failed)?;
            let value = table.get(key.as_str()).map_err(failed)?;
            Ok(value.map(|v| v.value().to_vec()))
        })
        .await
    }

    /// Changes the value of `key` in one committed transaction.
    async fn write<R: Send + 'static>(
        &self,
        key: String,
        change: impl FnOnce(&str, Option<&[u8]>) -> Result<(Option<Vec<u8>>, R), Error> + Send + 'static,
    ) -> Result<R, Error> {
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(failed)?;
            let result = {
                let mut table = txn.open_table(TABLE).map_err(failed)?;
                let old = table
                    .get(key.as_str())
                    .map_err(failed)?
                    .map(|v| v.value().to_vec());
                let (new, result) = change(&key, old.as_deref())?;
                match new {
                    Some(value) => {
                        table
                            .insert(key.as_str(), value.as_slice())
                            .map_err(failed)?;
                    }
                    None => {
                        table.remove(key.as_str()).map_err(failed)?;
                    }
                }
                result
            };
            txn.commit().map_err(failed)?;
            Ok(result)
        })
        .await
    }

    pub async fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.write(key, move |_, _| Ok((Some(value), ()))).await
    }

    pub async fn delete(&self, key: String) -> Result<(), Error> {
        self.write(key, |_, _| Ok((None, ()))).await
    }

    pub async fn increment(&self, key: String, delta: u64) -> Result<u64, Error> {
        self.write(key, move |key, old| {
            let value = add(key, old, delta)?;
            Ok((Some(value.to_string().into_bytes()), value))
        })
        .await
    }

    /// A page of keys from position `cursor`, in key order.
    pub async fn list(&self, cursor: u64) -> Result<(Vec<String>, Option<u64>), Error> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(failed)?;
            let table = txn.open_table(TABLE).map_err(failed)?;
            let start = usize::try_from(cursor).unwrap_or(usize::MAX);
            let mut keys = Vec::new();
            let mut more = false;
            for entry in table.iter().map_err(failed)?.skip(start) {
                if keys.len() == PAGE {
                    more = true;
                    break;
                }
                let (key, _) = entry.map_err(failed)?;
                keys.push(key.value().to_string());
            }
            let next = start.saturating_add(keys.len()) as u64;
            Ok((keys, more.then_some(next)))
        })
        .await
    }
}
