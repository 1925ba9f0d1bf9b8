//! asterbot's own components, embedded in the binary: the agent loop, the
//! models, the tools, the front ends and the guards. The composer takes
//! every `asterbot:` package from here, so no store, folder, variable or
//! flag can replace them (a recipe may shadow one only with an explicit
//! flag, and the audit says so); `asterbot audit` recognises them by
//! digest.

#![deny(missing_docs)]

use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/components.rs"));

/// The version of every embedded package (asterbot's own).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `asterbot:agent` WIT package, for recipes that import its
/// interfaces; it uses [`KEYVALUE_WIT`].
pub const AGENT_WIT: &str = include_str!("../../wit/agent.wit");

/// The `wasi:keyvalue` WIT package that [`AGENT_WIT`] depends on.
pub const KEYVALUE_WIT: &str = include_str!("../../wit/deps/keyvalue/keyvalue.wit");

/// The component of package `name` (`asterbot:core`), if asterbot has one.
pub fn get(name: &str) -> Option<&'static [u8]> {
    COMPONENTS
        .iter()
        .find(|(package, _, _)| *package == name)
        .map(|(_, bytes, _)| *bytes)
}

/// The package names of every embedded component, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    COMPONENTS.iter().map(|(name, _, _)| *name)
}

/// The SHA-256 of `bytes`, as lower-case hex. The bytes of an embedded
/// component (found by comparing, which is far quicker than hashing) have
/// their digest from the build.
pub fn digest(bytes: &[u8]) -> String {
    match COMPONENTS
        .iter()
        .find(|(_, embedded, _)| *embedded == bytes)
    {
        Some((_, _, digest)) => (*digest).to_string(),
        None => sha256(bytes),
    }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The embedded package whose bytes have this SHA-256, if any.
pub fn by_digest(digest_hex: &str) -> Option<&'static str> {
    COMPONENTS
        .iter()
        .find(|(_, _, digest)| *digest == digest_hex)
        .map(|(name, _, _)| *name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_guards_and_the_core_are_embedded_and_fixtures_are_not() {
        for name in [
            "asterbot:core",
            "asterbot:guard-env",
            "asterbot:guard-stdio",
            "asterbot:tools-join",
        ] {
            let bytes = super::get(name).unwrap_or_else(|| panic!("{name} is not embedded"));
            assert_eq!(super::by_digest(&super::digest(bytes)), Some(name));
        }
        assert!(super::names().all(|name| !name.contains("fixture")));
    }

    #[test]
    fn the_digests_from_the_build_are_the_bytes_sha256() {
        for (name, bytes, digest) in super::COMPONENTS {
            assert_eq!(super::sha256(bytes), *digest, "{name}");
            // A copy is recognised by its bytes; one changed byte is not.
            let mut copy = bytes.to_vec();
            assert_eq!(super::digest(&copy), *digest, "{name}");
            copy[bytes.len() / 2] ^= 1;
            assert_ne!(super::digest(&copy), *digest, "{name}");
            assert_eq!(super::digest(&copy), super::sha256(&copy), "{name}");
        }
    }
}
