//! Compiled code cached on disk, keyed by the artifact's hash and the
//! engine's configuration. Compiled code runs natively, so an entry must
//! be one this user's asterbot wrote for this very artifact: each carries
//! a MAC (keyed BLAKE3) over the artifact's identity and the code, made
//! with a secret key kept outside the cache folder (mode 0600). An entry
//! written by anyone else, for another artifact, or damaged, is rejected
//! and rebuilt, never run.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// First bytes of every cache entry.
const MAGIC: &[u8; 8] = b"asterbt2";

/// Length of the key and of the MAC.
const KEY_BYTES: usize = 32;

/// Environment variable naming the key file.
pub const KEY_ENV: &str = "ASTERBOT_CACHE_KEY";

/// A folder of compiled agents, and the key that vouches for them.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    key_file: Option<PathBuf>,
}

/// How the compiled code was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiled {
    /// Loaded from the cache.
    Cached,
    /// Compiled now (and stored, if the cache is usable).
    Fresh,
    /// The entry was rejected (forged, for another artifact, damaged), so
    /// it was compiled again.
    Rebuilt(String),
}

impl CompileCache {
    /// The cache in `dir`, vouched for by the key in [`default_key_file`].
    pub fn at(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache {
            dir: dir.into(),
            key_file: default_key_file(),
        }
    }

    /// Uses the key in `file` instead.
    pub fn with_key_file(mut self, file: impl Into<PathBuf>) -> CompileCache {
        self.key_file = Some(file.into());
        self
    }

    /// `$ASTERBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/asterbot`, else
    /// `~/.cache/asterbot`.
    pub fn default_location() -> Option<CompileCache> {
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

    /// The file holding the key, if one can be named.
    pub fn key_file(&self) -> Option<&Path> {
        self.key_file.as_deref()
    }

    /// The entry for `bytes` compiled by `engine`, and its identity (what
    /// the MAC binds the code to).
    fn entry(&self, engine: &Engine, bytes: &[u8]) -> (PathBuf, Vec<u8>) {
        let mut config = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut config);
        let config = config.finish();
        let artifact = Sha256::digest(bytes);
        let path = self
            .dir
            .join(format!("{}-{config:016x}.cwasm", hex(&artifact)));
        let mut identity = artifact.to_vec();
        identity.extend_from_slice(&config.to_le_bytes());
        (path, identity)
    }

    /// The entry's path for `bytes` compiled by `engine`.
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        self.entry(engine, bytes).0
    }

    /// The compiled component for `bytes`: from the cache when an entry
    /// this user wrote for this artifact exists, else compiled by
    /// `compile` and stored. Without a usable key, the cache is left alone
    /// (and the reason said once).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        compile: impl FnOnce() -> wasmtime::Result<Component>,
    ) -> wasmtime::Result<(Component, Compiled)> {
        let key = match self.key() {
            Ok(key) => key,
            Err(why) => {
                tracing::warn!("not using the compile cache: {why}");
                return compile().map(|component| (component, Compiled::Fresh));
            }
        };
        let (path, identity) = self.entry(engine, bytes);
        let problem = match read_entry(&path, &key, &identity) {
            Ok(None) => None,
            // SAFETY: the payload is exactly what `Component::serialize`
            // wrote for this artifact and engine configuration: its MAC,
            // made with this user's secret key over the artifact's identity
            // and the payload, was checked above.
            Ok(Some(payload)) => match unsafe { Component::deserialize(engine, &payload) } {
                Ok(component) => return Ok((component, Compiled::Cached)),
                Err(e) => Some(format!("it could not be loaded ({e})")),
            },
            Err(why) => Some(why),
        };
        let component = compile()?;
        if let Err(e) = write_entry(&path, &key, &identity, &component.serialize()?) {
            tracing::warn!(
                "cannot cache the compiled agent in `{}` ({e}); it will be compiled again next time",
                self.dir.display()
            );
        }
        let how = match problem {
            Some(why) => Compiled::Rebuilt(format!(
                "the cache entry `{}` was rejected: {why}",
                path.display()
            )),
            None => Compiled::Fresh,
        };
        Ok((component, how))
    }

    /// The secret key, made on first use; or why it cannot be used.
    fn key(&self) -> Result<[u8; KEY_BYTES], String> {
        let file = self.key_file.as_deref().ok_or(
            "no place for its key: set ASTERBOT_CACHE_KEY (a file outside the cache folder) or HOME",
        )?;
        let inside = |dir: &Path| {
            let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            let parent = file.parent().map(canonical).unwrap_or_default();
            parent.starts_with(canonical(dir))
        };
        if inside(&self.dir) {
            return Err(format!(
                "its key `{}` is inside the cache folder, where whoever writes entries could read it; keep it elsewhere (ASTERBOT_CACHE_KEY)",
                file.display()
            ));
        }
        load_or_make_key(file)
    }
}

/// `$ASTERBOT_CACHE_KEY`, else `$XDG_CONFIG_HOME/asterbot/cache.key`,
/// else `~/.config/asterbot/cache.key`.
pub fn default_key_file() -> Option<PathBuf> {
    var(KEY_ENV).map(PathBuf::from).or_else(|| {
        var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".config")))
            .map(|config| config.join("asterbot/cache.key"))
    })
}

fn var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

/// Reads the key in `file`, or makes one there (mode 0600, its folder
/// 0700, written atomically). A key others can read or write is refused.
fn load_or_make_key(file: &Path) -> Result<[u8; KEY_BYTES], String> {
    match std::fs::read(file) {
        Ok(bytes) => {
            check_private(file)?;
            bytes.try_into().map_err(|_| {
                format!(
                    "its key `{}` is not {KEY_BYTES} bytes; delete it to make a new one",
                    file.display()
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; KEY_BYTES];
            getrandom::fill(&mut key).map_err(|e| format!("cannot make a key: {e}"))?;
            write_private(file, &key)
                .map_err(|e| format!("cannot write its key `{}`: {e}", file.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read its key `{}`: {e}", file.display())),
    }
}

/// Refuses a key file that others can read or write.
#[cfg(unix)]
fn check_private(file: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "its key `{}` can be read or written by others (mode {:o}); make it private with `chmod 600 {}`",
            file.display(),
            mode & 0o777,
            file.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &Path) -> Result<(), String> {
    Ok(())
}

/// Writes `bytes` to `file` through a private temporary file and a
/// rename, creating its folder private.
fn write_private(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = file.parent().unwrap_or(Path::new("."));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)?;
    let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut temporary, bytes)?;
    temporary.persist(file).map_err(|e| e.error)?;
    Ok(())
}

/// The MAC of an entry: keyed BLAKE3 over the identity and the payload.
fn mac(key: &[u8; KEY_BYTES], identity: &[u8], payload: &[u8]) -> [u8; KEY_BYTES] {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(&(identity.len() as u64).to_le_bytes());
    hasher.update(identity);
    hasher.update(payload);
    *hasher.finalize().as_bytes()
}

/// The payload of an authentic entry, `None` if there is none, or why it
/// is rejected.
fn read_entry(
    path: &Path,
    key: &[u8; KEY_BYTES],
    identity: &[u8],
) -> Result<Option<Vec<u8>>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let header = MAGIC.len() + KEY_BYTES;
    if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
        return Err("it is not a cache entry of this asterbot".to_string());
    }
    let (tag, payload) = bytes[MAGIC.len()..].split_at(KEY_BYTES);
    // blake3's Hash compares in constant time.
    let expected = blake3::Hash::from(mac(key, identity, payload));
    if expected != blake3::Hash::from(<[u8; KEY_BYTES]>::try_from(tag).expect("32 bytes")) {
        return Err(
            "its authentication code does not match: it was not written by you for this artifact, or it is damaged"
                .to_string(),
        );
    }
    Ok(Some(payload.to_vec()))
}

/// Writes an entry through a temporary file and a rename.
fn write_entry(
    path: &Path,
    key: &[u8; KEY_BYTES],
    identity: &[u8],
    payload: &[u8],
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = Vec::with_capacity(MAGIC.len() + KEY_BYTES + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&mac(key, identity, payload));
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
    fn only_an_entry_made_with_the_key_for_the_artifact_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.cwasm");
        let (key, other) = ([1u8; KEY_BYTES], [2u8; KEY_BYTES]);
        assert_eq!(read_entry(&path, &key, b"a"), Ok(None));
        write_entry(&path, &key, b"a", b"compiled code").unwrap();
        assert_eq!(
            read_entry(&path, &key, b"a"),
            Ok(Some(b"compiled code".to_vec()))
        );
        // Another key, another artifact: rejected.
        assert!(
            read_entry(&path, &other, b"a")
                .unwrap_err()
                .contains("does not match")
        );
        assert!(
            read_entry(&path, &key, b"b")
                .unwrap_err()
                .contains("does not match")
        );
        // A flipped byte: rejected.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(
            read_entry(&path, &key, b"a")
                .unwrap_err()
                .contains("does not match")
        );
        std::fs::write(&path, b"junk").unwrap();
        assert!(
            read_entry(&path, &key, b"a")
                .unwrap_err()
                .contains("not a cache entry")
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_is_made_private_and_a_shared_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config/asterbot/cache.key");
        let key = load_or_make_key(&file).unwrap();
        assert_eq!(load_or_make_key(&file).unwrap(), key);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_or_make_key(&file).unwrap_err().contains("chmod 600"));

        let cache =
            CompileCache::at(dir.path().join("cache")).with_key_file(dir.path().join("cache/key"));
        assert!(cache.key().unwrap_err().contains("inside the cache folder"));
    }
}
