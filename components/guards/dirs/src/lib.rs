//! `guard-dirs`: the preopened directories one instance sees. A policy
//! entry is a guest path, `:ro` for read-only: `/state/memory`,
//! `/state:ro`, or `*` for every granted directory as it is. A path below
//! a granted directory is opened from it (and created if missing), so the
//! instance gets that subdirectory alone; everything else is left out.
//!
//! A directory opened from another keeps the other's rights, so `:ro`
//! cannot be narrowed here: a `:ro` entry is handed out only when the
//! runtime granted its directory read-only, and withheld otherwise (fail
//! closed, never silently writable).
//!
//! Every descriptor the instance holds is the guard's own (`wasi:filesystem
//! /types` is exported here too), standing in front of the runtime's: each
//! call passes through but `symlink-at`, which is refused. A link the
//! sandbox would not follow is still followed later by the person and
//! their programs (`/state/notes/x` pointing at `../../.ssh/id_ed25519`),
//! and whether a relative target leaves the box cannot be told from its
//! text (a directory on the way may itself be a link), so no link is made.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::rc::Rc;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::cell::RefCell;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "dirs", generate_all });

mod descriptor;

use asterbot::guard::policy;
use exports::wasi::filesystem::preopens::Guest;
use wasi::filesystem::preopens as host;
use wasi::filesystem::types::{Descriptor, DescriptorFlags, OpenFlags, PathFlags};

struct Guard;

impl Guest for Guard {
    fn get_directories() -> Vec<(exports::wasi::filesystem::types::Descriptor, String)> {
        // Narrowed once per instance (as a runtime opens its preopens once);
        // every later call hands out new handles on the same directories,
        // with no call to the runtime. A directory descriptor holds no
        // cursor, so handles sharing one cannot see each other's use.
        let mut narrowed = NARROWED.0.borrow_mut();
        let directories = narrowed.get_or_insert_with(|| {
            narrowed_directories()
                .into_iter()
                .map(|(descriptor, path)| (Rc::new(descriptor), path))
                .collect()
        });
        directories
            .iter()
            .map(|(inner, path)| (descriptor::guarded(Rc::clone(inner)), path.clone()))
            .collect()
    }
}

/// A directory the policy allows, opened once, with its guest path.
type Directory = (Rc<Descriptor>, String);

/// The directories the policy allows, once they are opened.
struct Narrowed(RefCell<Option<Vec<Directory>>>);

// SAFETY: a guard is a wasm32 component instance, which runs on one
// thread; the cell is never reached from two at once.
unsafe impl Sync for Narrowed {}

static NARROWED: Narrowed = Narrowed(RefCell::new(None));

/// The granted directories narrowed to what the policy allows.
fn narrowed_directories() -> Vec<(Descriptor, String)> {
    let allowed = policy::allowed();
    let granted = host::get_directories();
    if allowed.iter().any(|a| a == "*") {
        return granted;
    }
    allowed
        .iter()
        .filter_map(|entry| {
            let (path, read_only) = match entry.strip_suffix(":ro") {
                Some(path) => (path, true),
                None => (entry.as_str(), false),
            };
            narrow(&granted, path, read_only).map(|d| (d, path.to_string()))
        })
        .collect()
}

/// `path` opened from the granted directory that holds it, with only the
/// rights allowed; `None` if no granted directory holds it.
fn narrow(granted: &[(Descriptor, String)], path: &str, read_only: bool) -> Option<Descriptor> {
    let (root, rest) = granted
        .iter()
        .find_map(|(descriptor, guest)| relative(guest, path).map(|rest| (descriptor, rest)))?;
    if read_only {
        let writable = root.get_flags().map_or(true, |flags| {
            flags & DescriptorFlags::MUTATE_DIRECTORY == DescriptorFlags::MUTATE_DIRECTORY
        });
        if writable {
            return None;
        }
    }
    let flags = if read_only {
        DescriptorFlags::READ
    } else {
        DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY
    };
    let rest = if rest.is_empty() { "." } else { rest.as_str() };
    if !read_only && rest != "." {
        // A fresh state folder has no subfolders yet.
        let _ = root.create_directory_at(rest);
    }
    // A directory the runtime granted read-only stays read-only.
    root.open_at(PathFlags::empty(), rest, OpenFlags::DIRECTORY, flags)
        .or_else(|_| {
            root.open_at(
                PathFlags::empty(),
                rest,
                OpenFlags::DIRECTORY,
                DescriptorFlags::READ,
            )
        })
        .ok()
}

/// `path` relative to the granted guest directory `guest`, if inside it.
fn relative(guest: &str, path: &str) -> Option<String> {
    let guest = guest.trim_end_matches('/');
    let rest = path.strip_prefix(guest)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = rest.trim_start_matches('/');
    if rest.split('/').any(|part| part == ".." || part == ".") {
        return None;
    }
    Some(rest.to_string())
}

export!(Guard);

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn paths_inside_a_granted_directory_are_relative_to_it() {
        assert_eq!(
            relative("/state", "/state/memory").as_deref(),
            Some("memory")
        );
        assert_eq!(relative("/state/", "/state").as_deref(), Some(""));
        assert_eq!(relative("/state", "/statement"), None);
        assert_eq!(relative("/state", "/state/../etc"), None);
        assert_eq!(relative("/data", "/state/x"), None);
    }
}
