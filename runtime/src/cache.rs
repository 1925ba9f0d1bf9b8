//! Compiled code cached on disk, keyed by the artifact's hash and the
//! engine's configuration. An entry carries the hash of its own bytes, so
//! a damaged entry is detected and rebuilt, never executed.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// First bytes of every cache entry.
const MAGIC: &[u8; 8] = b"asterbt1";

/// A folder of compiled agents.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

/// How the compiled code was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiled {
    /// Loaded from the cache.
    Cached,
    /// Compiled now (and stored, if the cache is writable).
    Fresh,
    /// The entry was damaged or stale, so it was compiled again.
    Rebuilt(String),
}

impl CompileCache {
    /// The cache in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache { dir: dir.into() }
    }

    /// `$ASTERBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/asterbot`, else
    /// `~/.cache/asterbot`.
    pub fn default_location() -> Option<CompileCache> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let dir = var("ASTERBOT_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("asterbot")))
            .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache/asterbot")))?;
        Some(CompileCache::at(dir))
    }

    /// The cache's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry for `bytes` compiled by `engine`.
    pub fn entry(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        let mut config = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut config);
        let artifact = hex(&Sha256::digest(bytes));
        self.dir
            .join(format!("{artifact}-{:016x}.cwasm", config.finish()))
    }

    /// The compiled component for `bytes`: from the cache when a sound
    /// entry exists, else compiled by `compile` and stored.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        compile: impl FnOnce() -> wasmtime::Result<Component>,
    ) -> wasmtime::Result<(Component, Compiled)> {
        let entry = self.entry(engine, bytes);
        let problem = match read_entry(&entry) {
            Ok(None) => None,
            // SAFETY: the payload is exactly what `Component::serialize`
            // wrote for this artifact and engine configuration: its SHA-256
            // was checked above, and the key covers the configuration.
            Ok(Some(payload)) => match unsafe { Component::deserialize(engine, &payload) } {
                Ok(component) => return Ok((component, Compiled::Cached)),
                Err(e) => Some(format!("it could not be loaded ({e})")),
            },
            Err(why) => Some(why),
        };
        let component = compile()?;
        if let Err(e) = write_entry(&entry, &component.serialize()?) {
            eprintln!(
                "asterbot: cannot cache the compiled agent in `{}` ({e}); it will be compiled again next time",
                self.dir.display()
            );
        }
        let how = match problem {
            Some(why) => Compiled::Rebuilt(format!(
                "the cache entry `{}` was damaged: {why}",
                entry.display()
            )),
            None => Compiled::Fresh,
        };
        Ok((component, how))
    }
}

/// The payload of a sound entry, `None` if there is none, or what is wrong.
fn read_entry(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let header = MAGIC.len() + 32;
    if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
        return Err("it is not a cache entry".to_string());
    }
    let (sum, payload) = bytes[MAGIC.len()..].split_at(32);
    if Sha256::digest(payload).as_slice() != sum {
        return Err("its checksum does not match".to_string());
    }
    Ok(Some(payload.to_vec()))
}

/// Writes an entry through a temporary file and a rename.
fn write_entry(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&Sha256::digest(payload));
    bytes.extend_from_slice(payload);
    let temporary = path.with_extension(format!("partial{}", std::process::id()));
    std::fs::write(&temporary, &bytes)?;
    std::fs::rename(&temporary, path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.cwasm");
        assert_eq!(read_entry(&path), Ok(None));
        write_entry(&path, b"compiled code").unwrap();
        assert_eq!(read_entry(&path), Ok(Some(b"compiled code".to_vec())));
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_entry(&path).unwrap_err().contains("checksum"));
        std::fs::write(&path, b"junk").unwrap();
        assert!(read_entry(&path).unwrap_err().contains("not a cache entry"));
    }
}
