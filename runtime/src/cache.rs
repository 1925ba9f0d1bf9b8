//! Compiled code cached on disk, keyed by the artifact's hash and the
//! engine's configuration. Compiled code runs natively, so an entry must
//! be one this user's asterbot wrote for this very artifact. Each entry
//! (`HASH-CONFIG.cwasm`, mode 0600, the code exactly as
//! `Component::serialize` wrote it) has a tag beside it (`.auth`): a MAC
//! (keyed BLAKE3, with a secret key kept outside the cache folder) over
//! the artifact's identity and the entry file's own identity as the file
//! system keeps it: device, inode, size, modification and change times.
//!
//! So an entry is vouched for without reading it: loading maps the file
//! (no copy, no hash over tens of megabytes of code), checked through the
//! very file descriptor that is mapped. An entry written by anyone else,
//! put there for another artifact, or changed in any way since it was
//! tagged (which moves its change time, which no one but the kernel
//! sets) is rejected and rebuilt, never run.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// First bytes of every tag.
const MAGIC: &[u8; 8] = b"asterbt3";

/// Length of the key and of the MAC.
const KEY_BYTES: usize = 32;

/// Environment variable naming the key file.
pub const KEY_ENV: &str = "ASTERBOT_CACHE_KEY";

/// A folder of compiled agents, and the key that vouches for them.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    key_file: Option<PathBuf>,
    baseline_first: bool,
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

/// Which compiler made the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Cranelift: optimised code.
    Optimised,
    /// Winch, wasmtime's baseline compiler: several times quicker to
    /// compile, slower to run; a stopgap until the optimised code is in
    /// the cache.
    Baseline,
}

/// The engines code may be compiled by: the optimising one, and for a
/// quick first run, a baseline one of the same configuration, made only
/// when it is needed (a warm start never is).
pub struct Engines {
    /// Compiles with Cranelift.
    pub optimised: Engine,
    baseline: Option<(wasmtime::Config, std::cell::OnceCell<Option<Engine>>)>,
}

impl Engines {
    /// The engines for `config`, a baseline one only if `baseline`.
    pub fn new(config: &wasmtime::Config, baseline: bool) -> wasmtime::Result<Engines> {
        let optimised = Engine::new(config.clone().strategy(wasmtime::Strategy::Cranelift))?;
        let baseline = baseline.then(|| {
            let mut config = config.clone();
            config.strategy(wasmtime::Strategy::Winch);
            (config, std::cell::OnceCell::new())
        });
        Ok(Engines {
            optimised,
            baseline,
        })
    }

    /// The baseline engine (Winch), if wanted and supported here.
    pub fn baseline(&self) -> Option<&Engine> {
        let (config, engine) = self.baseline.as_ref()?;
        engine.get_or_init(|| Engine::new(config).ok()).as_ref()
    }

    /// The engine of `tier` (the optimising one if there is no other).
    pub fn of(&self, tier: Tier) -> &Engine {
        match tier {
            Tier::Baseline => self.baseline().unwrap_or(&self.optimised),
            Tier::Optimised => &self.optimised,
        }
    }

    /// Each engine with its tier, the optimising one first; the baseline
    /// engine is made only if the iteration gets that far.
    fn tiers(&self) -> impl Iterator<Item = (&Engine, Tier)> {
        std::iter::once((&self.optimised, Tier::Optimised)).chain(
            std::iter::once_with(|| self.baseline())
                .flatten()
                .map(|engine| (engine, Tier::Baseline)),
        )
    }
}

impl CompileCache {
    /// The cache in `dir`, vouched for by the key in [`default_key_file`].
    pub fn at(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache {
            dir: dir.into(),
            key_file: default_key_file(),
            baseline_first: false,
        }
    }

    /// Fills a miss with code from the baseline compiler (quick to
    /// compile, slower to run) rather than the optimising one, for a quick
    /// first run; see [`CompileCache::tier_up`].
    pub fn baseline_first(mut self) -> CompileCache {
        self.baseline_first = true;
        self
    }

    /// Whether a miss is filled with baseline code.
    pub fn is_baseline_first(&self) -> bool {
        self.baseline_first
    }

    /// Uses the key in `file` instead.
    pub fn with_key_file(mut self, file: impl Into<PathBuf>) -> CompileCache {
        self.key_file = Some(absolute(file.into()));
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

    /// Removes the entries used longest ago until the cache is within its
    /// limit ([`crate::cache_size`]), keeping `written`.
    fn keep_within_limit(&self, written: &Path) {
        match crate::cache_size::limit() {
            Ok(limit) => {
                let removed = crate::cache_size::trim(&self.dir, limit, written);
                if removed.entries > 0 {
                    tracing::info!(
                        "the compile cache was over its limit ({} MiB, {}): {} older entries removed",
                        limit >> 20,
                        crate::cache_size::LIMIT_ENV,
                        removed.entries
                    );
                }
            }
            Err(why) => tracing::warn!("{why}; the cache is not trimmed"),
        }
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
    /// the MAC binds the code to). `artifact` is the hash of `bytes`.
    fn entry(&self, engine: &Engine, artifact: blake3::Hash) -> (PathBuf, Vec<u8>) {
        let mut config = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut config);
        let config = config.finish();
        let path = self
            .dir
            .join(format!("{}-{config:016x}.cwasm", artifact.to_hex()));
        let mut identity = artifact.as_bytes().to_vec();
        identity.extend_from_slice(&config.to_le_bytes());
        (path, identity)
    }

    /// The entry's path for `bytes` compiled by `engine`.
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        self.entry(engine, blake3::hash(bytes)).0
    }

    /// The hash of the artifact `bytes`. When they are the contents of a
    /// file whose identity (see [`file_identity`]) is `file`, a tagged
    /// note in the cache remembers the hash for that very file, so a warm
    /// start does not read every byte of a large artifact to hash it: any
    /// change to the file changes its identity, and the note no longer
    /// applies.
    fn artifact_hash(
        &self,
        key: &[u8; KEY_BYTES],
        bytes: &[u8],
        file: Option<&[u8]>,
    ) -> blake3::Hash {
        let Some(file) = file else {
            return blake3::hash(bytes);
        };
        let note = self
            .dir
            .join(format!("{}.artifact", blake3::hash(file).to_hex()));
        if let Ok(text) = std::fs::read(&note)
            && let Ok(hash) = unseal(key, file, &text)
            && let Ok(hash) = <[u8; KEY_BYTES]>::try_from(hash)
        {
            return blake3::Hash::from(hash);
        }
        let hash = blake3::hash(bytes);
        // A note that cannot be written only costs the hash next time.
        let _ = write_private(&note, &seal(key, file, hash.as_bytes()));
        hash
    }

    /// The compiled component for `bytes`: from the cache when an entry
    /// this user wrote for this artifact exists, else compiled by
    /// `compile` and stored. Without a usable key, the cache is left alone
    /// (and the reason said once).
    ///
    /// Optimised code is preferred. Failing that, with a baseline engine
    /// in `engines`, its code is taken from the cache or compiled (several
    /// times faster) and stored; [`CompileCache::tier_up`] then replaces
    /// it with optimised code.
    ///
    /// `file` is the identity of the file `bytes` were read from, when
    /// they were ([`file_identity`]).
    pub fn load_or_compile(
        &self,
        engines: &Engines,
        bytes: &[u8],
        file: Option<&[u8]>,
        compile: impl Fn(&Engine) -> wasmtime::Result<Component>,
    ) -> wasmtime::Result<(Component, Compiled, Tier)> {
        let key = match self.key() {
            Ok(key) => key,
            Err(why) => {
                tracing::warn!("not using the compile cache: {why}");
                let component = compile(&engines.optimised)?;
                return Ok((component, Compiled::Fresh, Tier::Optimised));
            }
        };
        let artifact = self.artifact_hash(&key, bytes, file);
        let mut rejected = None;
        for (engine, tier) in engines.tiers() {
            let (path, identity) = self.entry(engine, artifact);
            match lookup(engine, &path, &key, &identity) {
                Ok(Some(component)) => return Ok((component, Compiled::Cached, tier)),
                Ok(None) => {}
                Err(why) => {
                    rejected.get_or_insert((path, why));
                }
            }
        }
        // Compiled now, by the quickest compiler that manages it (the
        // baseline compiler does not take every proposal yet).
        let (engine, tier, component) = match engines.baseline() {
            Some(engine) => match compile(engine) {
                Ok(component) => (engine, Tier::Baseline, component),
                Err(why) => {
                    tracing::debug!("the baseline compiler failed ({why:#}); optimising now");
                    let engine = &engines.optimised;
                    (engine, Tier::Optimised, compile(engine)?)
                }
            },
            _ => (
                &engines.optimised,
                Tier::Optimised,
                compile(&engines.optimised)?,
            ),
        };
        // Mapped bytes that changed while they were compiled (someone
        // rewrote the file) are not this artifact's code: not stored.
        if file.is_some() && blake3::hash(bytes) != artifact {
            tracing::warn!(
                "the agent's file changed while it was compiled; its code is not cached"
            );
            return Ok((component, Compiled::Fresh, tier));
        }
        let (path, identity) = self.entry(engine, artifact);
        if let Err(e) = write_entry(&path, &key, &identity, &component.serialize()?) {
            tracing::warn!(
                "cannot cache the compiled agent in `{}` ({e}); it will be compiled again next time",
                self.dir.display()
            );
        }
        self.keep_within_limit(&path);
        let how = match rejected {
            Some((path, why)) => Compiled::Rebuilt(format!(
                "the cache entry `{}` was rejected: {why}",
                path.display()
            )),
            None => Compiled::Fresh,
        };
        Ok((component, how, tier))
    }

    /// Makes sure the cache holds optimised code for `bytes`, compiling it
    /// with `compile` unless it is there, and drops the baseline code it
    /// replaces: how it got there, or `None` (doing nothing) while another
    /// process is at it, or when the cache folder is gone (a background
    /// tier-up does not bring back a folder removed meanwhile).
    pub fn tier_up(
        &self,
        engines: &Engines,
        bytes: &[u8],
        file: Option<&[u8]>,
        compile: impl Fn(&Engine) -> wasmtime::Result<Component>,
    ) -> wasmtime::Result<Option<Compiled>> {
        if !self.dir.is_dir() {
            return Ok(None);
        }
        let key = self.key().map_err(wasmtime::Error::msg)?;
        let artifact = self.artifact_hash(&key, bytes, file);
        let (path, _) = self.entry(&engines.optimised, artifact);
        let Some(_building) = Building::start(&path) else {
            return Ok(None);
        };
        let optimised_only = Engines {
            optimised: engines.optimised.clone(),
            baseline: None,
        };
        let (_, compiled, _) = self.load_or_compile(&optimised_only, bytes, file, compile)?;
        if let Some(baseline) = engines.baseline() {
            let (path, _) = self.entry(baseline, artifact);
            let _ = std::fs::remove_file(tag_path(&path));
            let _ = std::fs::remove_file(&path);
        }
        Ok(Some(compiled))
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
    // A relative path is resolved now, against the current directory, so
    // that the checks of where the key lies see where it really is.
    var(KEY_ENV)
        .map(PathBuf::from)
        .or_else(|| {
            var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".config")))
                .map(|config| config.join("asterbot/cache.key"))
        })
        .map(absolute)
}

/// `path` made absolute against the current directory (as it is, if that
/// cannot be had).
fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
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

/// The MAC of `payload` for `identity`: keyed BLAKE3 over both.
fn mac(key: &[u8; KEY_BYTES], identity: &[u8], payload: &[u8]) -> [u8; KEY_BYTES] {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(&(identity.len() as u64).to_le_bytes());
    hasher.update(identity);
    hasher.update(payload);
    *hasher.finalize().as_bytes()
}

/// `payload` sealed for `identity`: [`MAGIC`], the payload and its MAC.
/// The cache's tags and notes are all sealed so.
fn seal(key: &[u8; KEY_BYTES], identity: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut text = MAGIC.to_vec();
    text.extend_from_slice(payload);
    text.extend_from_slice(&mac(key, identity, payload));
    text
}

/// Why sealed text was refused.
#[derive(Debug, PartialEq, Eq)]
enum Unsealed {
    /// Not sealed by this asterbot at all.
    Foreign,
    /// Sealed with another key, or for another identity.
    Mismatch,
}

/// The payload of `text` if it was sealed with `key` for `identity`.
fn unseal<'a>(
    key: &[u8; KEY_BYTES],
    identity: &[u8],
    text: &'a [u8],
) -> Result<&'a [u8], Unsealed> {
    let body = text
        .strip_prefix(MAGIC.as_slice())
        .ok_or(Unsealed::Foreign)?;
    let split = body.len().checked_sub(KEY_BYTES).ok_or(Unsealed::Foreign)?;
    let (payload, found) = body.split_at(split);
    let found = <[u8; KEY_BYTES]>::try_from(found).map_err(|_| Unsealed::Foreign)?;
    // blake3's Hash compares in constant time.
    if blake3::Hash::from(mac(key, identity, payload)) == blake3::Hash::from(found) {
        Ok(payload)
    } else {
        Err(Unsealed::Mismatch)
    }
}

/// The cached code at `path` for the artifact `identity` names: `None`
/// if there is none, or why it is rejected.
fn lookup(
    engine: &Engine,
    path: &Path,
    key: &[u8; KEY_BYTES],
    identity: &[u8],
) -> Result<Option<Component>, String> {
    match open_entry(path, key, identity)? {
        Some((entry, vouched)) => load(engine, path, &entry, &vouched).map(Some),
        None => Ok(None),
    }
}

/// A marker beside an entry while a process compiles it, so that runs
/// started meanwhile do not compile the same code again; removed when
/// dropped. A marker older than [`Building::STALE`] is from a process
/// that died, and is taken over.
struct Building(PathBuf);

impl Building {
    const STALE: std::time::Duration = std::time::Duration::from_secs(600);

    fn start(entry: &Path) -> Option<Building> {
        let marker = entry.with_extension("building");
        let create = || {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&marker)
        };
        if create().is_ok() {
            return Some(Building(marker));
        }
        let age = std::fs::metadata(&marker)
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())?;
        if age < Building::STALE {
            return None;
        }
        let _ = std::fs::remove_file(&marker);
        create().ok().map(|_| Building(marker))
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Where the tag of the entry at `path` is kept.
fn tag_path(path: &Path) -> PathBuf {
    path.with_extension("auth")
}

/// The entry at `path`, opened, with the file identity its tag vouches
/// for as this user's code for this artifact; `None` if there is none, or
/// why it is rejected.
fn open_entry(
    path: &Path,
    key: &[u8; KEY_BYTES],
    identity: &[u8],
) -> Result<Option<(File, Vec<u8>)>, String> {
    let entry = match File::open(path) {
        Ok(entry) => entry,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let tag = match std::fs::read(tag_path(path)) {
        Ok(tag) => tag,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("it has no authentication code beside it".to_string());
        }
        Err(e) => return Err(e.to_string()),
    };
    let file = file_identity(&entry)?;
    match unseal(key, identity, &tag) {
        Ok(vouched) if vouched == file.as_slice() => Ok(Some((entry, file))),
        Err(Unsealed::Foreign) => Err("its tag is not one of this asterbot".to_string()),
        Ok(_) | Err(Unsealed::Mismatch) => Err(
            "its authentication code does not match: it was not written by you for this artifact, or it changed since"
                .to_string(),
        ),
    }
}

/// Maps `entry` (opened from `path`), whose identity the tag vouched
/// for as `vouched`, as a component.
fn load(engine: &Engine, path: &Path, entry: &File, vouched: &[u8]) -> Result<Component, String> {
    // SAFETY: the file mapped is the one whose identity the tag vouches
    // for: this user's asterbot wrote it, with `Component::serialize`, for
    // this artifact and engine configuration, and it has not changed since
    // (any change moves its change time). It is reached through the open
    // descriptor where the platform allows, so no other file can be put in
    // its place; elsewhere, a file swapped in meanwhile is caught below,
    // before anything of it runs.
    let component = unsafe { Component::deserialize_file(engine, same_file(entry, path)) }
        .map_err(|e| format!("it could not be loaded ({e})"))?;
    let after = File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|file| file_identity(&file))?;
    if after != vouched {
        return Err("it changed while it was loaded".to_string());
    }
    Ok(component)
}

/// A path that opens the very file `entry` is, not whatever `path` names
/// by then.
fn same_file(entry: &File, path: &Path) -> PathBuf {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    {
        use std::os::fd::AsRawFd;
        let root = if cfg!(target_os = "linux") {
            "/proc/self/fd"
        } else {
            "/dev/fd"
        };
        let through = PathBuf::from(format!("{root}/{}", entry.as_raw_fd()));
        if through.exists() {
            return through;
        }
    }
    let _ = entry;
    path.to_path_buf()
}

/// What a tag binds a file to: where it lives and every change to it, as
/// the file system records them.
#[cfg(unix)]
pub fn file_identity(file: &File) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    let fields: [i64; 8] = [
        meta.dev() as i64,
        meta.ino() as i64,
        meta.size() as i64,
        meta.mode() as i64,
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec(),
    ];
    Ok(fields.iter().flat_map(|f| f.to_le_bytes()).collect())
}

/// Without Unix's change time, a tag binds a file to its contents.
#[cfg(not(unix))]
pub fn file_identity(file: &File) -> Result<Vec<u8>, String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file).map_err(|e| e.to_string())?;
    Ok(hasher.finalize().as_bytes().to_vec())
}

/// Writes an entry (through a private temporary file and a rename), then
/// its tag, which vouches for the file the rename left in place.
fn write_entry(
    path: &Path,
    key: &[u8; KEY_BYTES],
    identity: &[u8],
    payload: &[u8],
) -> std::io::Result<()> {
    write_private(path, payload)?;
    let file =
        File::open(path).and_then(|entry| file_identity(&entry).map_err(std::io::Error::other))?;
    write_private(&tag_path(path), &seal(key, identity, &file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_entry_made_with_the_key_for_the_artifact_and_unchanged_is_vouched_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.cwasm");
        let (key, other) = ([1u8; KEY_BYTES], [2u8; KEY_BYTES]);
        let open = |key: &[u8; KEY_BYTES], identity: &[u8]| {
            open_entry(&path, key, identity).map(|entry| entry.is_some())
        };
        assert_eq!(open(&key, b"a"), Ok(false));
        write_entry(&path, &key, b"a", b"compiled code").unwrap();
        assert_eq!(open(&key, b"a"), Ok(true));
        // Another key, another artifact: rejected.
        assert!(open(&other, b"a").unwrap_err().contains("does not match"));
        assert!(open(&key, b"b").unwrap_err().contains("does not match"));

        // The same bytes in another file (copied, or put back after a
        // change): rejected, as is a file changed in place.
        let copy = dir.path().join("copy");
        std::fs::copy(&path, &copy).unwrap();
        std::fs::rename(&copy, &path).unwrap();
        assert!(open(&key, b"a").unwrap_err().contains("does not match"));
        write_entry(&path, &key, b"a", b"compiled code").unwrap();
        assert_eq!(open(&key, b"a"), Ok(true));
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"!").unwrap();
        assert!(open(&key, b"a").unwrap_err().contains("does not match"));

        std::fs::write(tag_path(&path), b"junk").unwrap();
        assert!(
            open(&key, b"a")
                .unwrap_err()
                .contains("not one of this asterbot")
        );
        std::fs::remove_file(tag_path(&path)).unwrap();
        assert!(
            open(&key, b"a")
                .unwrap_err()
                .contains("no authentication code")
        );
    }

    /// The smallest component (its preamble alone): both compilers take
    /// it in microseconds.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    /// A cache in a fresh folder with its key outside, filling misses with
    /// baseline code; the engines for it.
    fn tiered_cache() -> (tempfile::TempDir, CompileCache, Engines) {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::at(dir.path().join("cache"))
            .with_key_file(dir.path().join("cache.key"))
            .baseline_first();
        let engines = Engines::new(&wasmtime::Config::new(), true).unwrap();
        assert!(engines.baseline().is_some(), "no baseline compiler here");
        (dir, cache, engines)
    }

    fn compile(engine: &Engine) -> wasmtime::Result<Component> {
        Component::new(engine, EMPTY_COMPONENT)
    }

    /// How `cache` gives the empty component with `engines`.
    fn load(cache: &CompileCache, engines: &Engines) -> (Compiled, Tier) {
        let (_, how, tier) = cache
            .load_or_compile(engines, EMPTY_COMPONENT, None, compile)
            .unwrap();
        (how, tier)
    }

    fn entries(cache: &CompileCache) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".cwasm"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_miss_is_filled_with_baseline_code_until_tier_up_replaces_it() {
        let (_dir, cache, engines) = tiered_cache();
        assert_eq!(load(&cache, &engines), (Compiled::Fresh, Tier::Baseline));
        assert_eq!(load(&cache, &engines), (Compiled::Cached, Tier::Baseline));
        let baseline = entries(&cache);
        assert_eq!(baseline.len(), 1);

        let how = cache
            .tier_up(&engines, EMPTY_COMPONENT, None, compile)
            .unwrap();
        assert_eq!(how, Some(Compiled::Fresh));
        let optimised = entries(&cache);
        assert_eq!(optimised.len(), 1, "the baseline code is dropped");
        assert_ne!(optimised, baseline);
        assert_eq!(load(&cache, &engines), (Compiled::Cached, Tier::Optimised));
        // Done once, it is not done again.
        let again = cache
            .tier_up(&engines, EMPTY_COMPONENT, None, compile)
            .unwrap();
        assert_eq!(again, Some(Compiled::Cached));

        // Without a baseline engine (`--compile optimised`, `serve`), a
        // miss is optimised at once.
        let (_dir, cache, _) = tiered_cache();
        let optimised_only = Engines::new(&wasmtime::Config::new(), false).unwrap();
        assert_eq!(
            load(&cache, &optimised_only),
            (Compiled::Fresh, Tier::Optimised)
        );
    }

    #[test]
    fn baseline_code_is_vouched_for_as_optimised_code_is() {
        let (_dir, cache, engines) = tiered_cache();
        load(&cache, &engines);
        // The control: untouched, it is used.
        assert_eq!(load(&cache, &engines), (Compiled::Cached, Tier::Baseline));
        let entry = cache.dir().join(&entries(&cache)[0]);
        let mut bytes = std::fs::read(&entry).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&entry, &bytes).unwrap();
        let (how, tier) = load(&cache, &engines);
        assert_eq!(tier, Tier::Baseline);
        assert!(
            matches!(&how, Compiled::Rebuilt(why) if why.contains("authentication code")),
            "{how:?}"
        );
    }

    #[test]
    fn tier_up_leaves_the_work_to_a_process_already_at_it_unless_it_died() {
        let (_dir, cache, engines) = tiered_cache();
        std::fs::create_dir_all(cache.dir()).unwrap();
        let (path, _) = cache.entry(&engines.optimised, blake3::hash(EMPTY_COMPONENT));
        let marker = path.with_extension("building");
        std::fs::write(&marker, b"").unwrap();
        let tier_up = || {
            cache
                .tier_up(&engines, EMPTY_COMPONENT, None, compile)
                .unwrap()
        };
        assert_eq!(tier_up(), None);
        assert!(entries(&cache).is_empty());
        // A marker left by a process that died long ago is taken over.
        let long_ago = std::time::SystemTime::now() - 2 * Building::STALE;
        File::options()
            .write(true)
            .open(&marker)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        assert_eq!(tier_up(), Some(Compiled::Fresh));
        assert!(!marker.exists());
    }

    #[test]
    fn a_note_of_an_artifacts_hash_counts_only_with_the_key_and_for_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::at(dir.path());
        let (key, other) = ([1u8; KEY_BYTES], [2u8; KEY_BYTES]);
        let (file, bytes) = (b"file identity".as_slice(), b"artifact".as_slice());
        let hash = cache.artifact_hash(&key, bytes, Some(file));
        assert_eq!(hash, blake3::hash(bytes));
        // The note answers for that file without reading its bytes...
        assert_eq!(cache.artifact_hash(&key, b"not read", Some(file)), hash);
        // ...but not for another file, nor under another key: a note
        // someone else wrote cannot point a file at another artifact's code.
        assert_eq!(
            cache.artifact_hash(&key, b"other", Some(b"another file")),
            blake3::hash(b"other")
        );
        assert_eq!(
            cache.artifact_hash(&other, b"other", Some(file)),
            blake3::hash(b"other")
        );
        assert_eq!(
            cache.artifact_hash(&key, b"third", Some(file)),
            blake3::hash(b"third"),
            "the note under the other key replaced it"
        );
    }

    #[cfg(unix)]
    #[test]
    fn entries_and_tags_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/x.cwasm");
        write_entry(&path, &[1u8; KEY_BYTES], b"a", b"compiled code").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&tag_path(&path)), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
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
