//! A store in Redis or Valkey, shared by every replica: one key per key,
//! values as strings, counters with `INCRBY`.

use super::{Error, PAGE};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

/// A connection (re-established when it drops) to one server.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    url: String,
}

fn failed(error: redis::RedisError) -> Error {
    Error::Other(format!("the Redis store failed: {error}"))
}

impl Redis {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> anyhow::Result<Redis> {
        let client = redis::Client::open(url)?;
        // A server that is down fails a call in a few seconds, instead of
        // after the client's default backoff (about ten): a readiness probe
        // sees `503` within its own timeout, and a turn fails promptly.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(std::time::Duration::from_millis(500));
        let connection = client.get_connection_manager_with_config(config).await?;
        Ok(Redis {
            connection,
            url: url.to_string(),
        })
    }

    pub fn describe(&self) -> String {
        // Never a password in a message.
        let shown = match self.url.split_once('@') {
            Some((scheme, host)) => {
                let scheme = scheme.split("//").next().unwrap_or("redis:");
                format!("{scheme}//…@{host}")
            }
            None => self.url.clone(),
        };
        format!("the Redis server `{shown}`")
    }

    pub async fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.connection.clone().get(key).await.map_err(failed)
    }

    pub async fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.connection
            .clone()
            .set(key, value)
            .await
            .map_err(failed)
    }

    pub async fn delete(&self, key: String) -> Result<(), Error> {
        self.connection.clone().del(key).await.map_err(failed)
    }

    pub async fn increment(&self, key: String, delta: u64) -> Result<u64, Error> {
        let delta = i64::try_from(delta).map_err(|_| {
            Error::Other(format!(
                "cannot add {delta} to `{key}`: Redis counters are 64-bit signed"
            ))
        })?;
        let value: i64 = self
            .connection
            .clone()
            .incr(&key, delta)
            .await
            .map_err(failed)?;
        u64::try_from(value).map_err(|_| Error::Other(format!("the counter `{key}` is negative")))
    }

    /// A page of keys from SCAN cursor `cursor`.
    pub async fn list(&self, cursor: u64) -> Result<(Vec<String>, Option<u64>), Error> {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(PAGE)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(failed)?;
        Ok((keys, (next != 0).then_some(next)))
    }
}
