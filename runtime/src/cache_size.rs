//! How large the compile cache may grow, and emptying it. Every agent
//! compiled leaves an entry of several megabytes; without a limit, a
//! folder of experiments fills the disk. After each entry is written, the
//! entries used longest ago are removed until the cache is within its
//! limit (`ASTERBOT_CACHE_MAX`, default [`DEFAULT_LIMIT`]). Only files the
//! cache makes are touched; the key lives outside the folder.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Environment variable holding the cache's size limit (`2G`, `512M`).
pub const LIMIT_ENV: &str = "ASTERBOT_CACHE_MAX";

/// The limit when none is set: 1 GiB.
pub const DEFAULT_LIMIT: u64 = 1 << 30;

/// The endings of the files the cache writes: compiled code, the tag that
/// vouches for it, and the note of an artifact's hash.
const ENDINGS: [&str; 3] = ["cwasm", "auth", "artifact"];

/// What the cache folder holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Compiled entries.
    pub entries: usize,
    /// Bytes of every file the cache made.
    pub bytes: u64,
}

/// The limit `ASTERBOT_CACHE_MAX` sets, or the default; a value that is
/// not a size is an error naming the variable.
pub fn limit() -> Result<u64, String> {
    match std::env::var(LIMIT_ENV) {
        Ok(text) => crate::parse_size(&text)
            .map(|size| size as u64)
            .map_err(|why| format!("{LIMIT_ENV}: {why}")),
        Err(_) => Ok(DEFAULT_LIMIT),
    }
}

/// The files of the cache in `dir`, with their sizes and when each was
/// last used (read or written, as the file system tells).
fn files(dir: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flatten()
        .filter(|entry| {
            let path = entry.path();
            path.extension()
                .is_some_and(|e| ENDINGS.iter().any(|ending| e == *ending))
        })
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            if !meta.is_file() {
                return None;
            }
            let used = [meta.accessed().ok(), meta.modified().ok()]
                .into_iter()
                .flatten()
                .max()?;
            Some((entry.path(), meta.len(), used))
        })
        .collect()
}

/// What the cache in `dir` holds now.
pub fn usage(dir: &Path) -> Usage {
    let files = files(dir);
    Usage {
        entries: files
            .iter()
            .filter(|(path, _, _)| path.extension().is_some_and(|e| e == "cwasm"))
            .count(),
        bytes: files.iter().map(|(_, size, _)| size).sum(),
    }
}

/// Removes every file the cache made in `dir`: what was removed.
pub fn clean(dir: &Path) -> std::io::Result<Usage> {
    let before = usage(dir);
    for (path, _, _) in files(dir) {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(before)
}

/// Removes the entries of the cache in `dir` used longest ago (each with
/// its tag), then notes no longer needed, until it holds at most `limit`
/// bytes; `keep` (the entry just written) stays. What was removed.
pub fn trim(dir: &Path, limit: u64, keep: &Path) -> Usage {
    let mut files = files(dir);
    let mut total: u64 = files.iter().map(|(_, size, _)| size).sum();
    let mut removed = Usage::default();
    if total <= limit {
        return removed;
    }
    // Oldest first; compiled code before the small notes.
    files.sort_by_key(|(path, _, used)| (path.extension().is_some_and(|e| e != "cwasm"), *used));
    for (path, size, _) in files {
        if total <= limit {
            break;
        }
        if path == keep || path.extension().is_some_and(|e| e == "auth") {
            continue;
        }
        let tag = path.with_extension("auth");
        let tag_size = std::fs::metadata(&tag).map_or(0, |m| m.len());
        if std::fs::remove_file(&path).is_ok() {
            total = total.saturating_sub(size);
            removed.bytes += size;
            if path.extension().is_some_and(|e| e == "cwasm") {
                removed.entries += 1;
                if std::fs::remove_file(&tag).is_ok() {
                    total = total.saturating_sub(tag_size);
                    removed.bytes += tag_size;
                }
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(dir: &Path, name: &str, size: usize, age: u64) -> PathBuf {
        let path = dir.join(format!("{name}.cwasm"));
        std::fs::write(&path, vec![0u8; size]).unwrap();
        std::fs::write(path.with_extension("auth"), [1u8; 40]).unwrap();
        let when = SystemTime::now() - Duration::from_secs(age);
        let times = std::fs::FileTimes::new()
            .set_accessed(when)
            .set_modified(when);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(times)
            .unwrap();
        path
    }

    #[test]
    fn the_entries_used_longest_ago_go_first_until_the_cache_fits() {
        let dir = tempfile::tempdir().unwrap();
        let old = entry(dir.path(), "old", 1000, 300);
        let middle = entry(dir.path(), "middle", 1000, 200);
        let new = entry(dir.path(), "new", 1000, 0);
        std::fs::write(dir.path().join("key.txt"), "not the cache's").unwrap();
        assert_eq!(usage(dir.path()).entries, 3);
        let removed = trim(dir.path(), 2200, &new);
        assert_eq!(removed.entries, 1);
        assert!(!old.exists() && !old.with_extension("auth").exists());
        assert!(middle.exists() && new.exists());
        // Control: within the limit, nothing goes.
        assert_eq!(trim(dir.path(), 1 << 20, &new), Usage::default());
        assert!(middle.exists());
        // The entry just written stays even when it alone is too large.
        trim(dir.path(), 10, &new);
        assert!(new.exists() && !middle.exists());
        assert!(dir.path().join("key.txt").exists());
    }

    #[test]
    fn cleaning_removes_only_what_the_cache_made() {
        let dir = tempfile::tempdir().unwrap();
        entry(dir.path(), "a", 100, 0);
        std::fs::write(dir.path().join("x.artifact"), "note").unwrap();
        std::fs::write(dir.path().join("mine.txt"), "not the cache's").unwrap();
        let removed = clean(dir.path()).unwrap();
        assert_eq!(removed.entries, 1);
        assert_eq!(removed.bytes, 100 + 40 + 4);
        assert_eq!(usage(dir.path()), Usage::default());
        assert!(dir.path().join("mine.txt").exists());
    }
}
