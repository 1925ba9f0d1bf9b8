//! The guard kinds as the composer reads them, and the WASI interfaces
//! that need none.
//!
//! The kinds themselves are one table, [`asterbot_capabilities::KINDS`]
//! (the `capabilities/` crate, shared with the runner): which annotation
//! allows what, how a value of it is checked, which guard component
//! stands in front of which imports, and what the audit, the diff and the
//! runner call it. Every part of the composer (annotations, wiring, the
//! audit, the diff) reads that table; nothing else names a guard.

pub use asterbot_capabilities::{KINDS, Kind, KindId};

/// WASI 0.2 interfaces that need no guard, with the audit's word for each
/// (`None`: not worth a word). They reach nothing by themselves: streams,
/// descriptors, sockets and requests all come from a guarded interface;
/// clocks, randomness and standard error give nothing away.
pub const HARMLESS: &[(&str, Option<&str>)] = &[
    ("wasi:io/error", None),
    ("wasi:io/poll", None),
    ("wasi:io/streams", None),
    ("wasi:clocks/monotonic-clock", Some("clocks")),
    ("wasi:clocks/wall-clock", Some("clocks")),
    ("wasi:random/random", Some("random")),
    ("wasi:random/insecure", Some("random")),
    ("wasi:random/insecure-seed", Some("random")),
    ("wasi:cli/stderr", Some("stderr")),
    ("wasi:cli/terminal-input", None),
    ("wasi:cli/terminal-output", None),
    ("wasi:cli/terminal-stdin", None),
    ("wasi:cli/terminal-stdout", None),
    ("wasi:cli/terminal-stderr", None),
    ("wasi:http/types", None),
    ("wasi:sockets/network", None),
    ("wasi:sockets/instance-network", None),
    ("wasi:sockets/tcp", None),
    ("wasi:sockets/udp", None),
];

/// What an import left to the runtime is, to the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A guard of this kind stands in front of it.
    Guarded(&'static Kind),
    /// It needs no guard; the audit's word for it.
    Harmless(Option<&'static str>),
    /// asterbot cannot guard it (another WASI version, another interface).
    Unknown,
}

/// The class of the import named `import` (`wasi:cli/stdin@0.2.6`). Only
/// WASI 0.2 is known; any other version is unknown.
pub fn classify(import: &str) -> Class {
    let (interface, version) = import.split_once('@').unwrap_or((import, ""));
    if !version.starts_with("0.2.") {
        return Class::Unknown;
    }
    // A draft (`0.2.0-draft`) is compatible with itself only.
    let fits = |export: &str| {
        let guarded = export.split_once('@').map_or("", |(_, v)| v);
        !guarded.contains('-') || guarded == version
    };
    if let Some(kind) = KINDS.iter().find(|kind| {
        kind.interfaces
            .iter()
            .any(|(i, export)| *i == interface && fits(export))
    }) {
        return Class::Guarded(kind);
    }
    HARMLESS
        .iter()
        .find(|(i, _)| *i == interface)
        .map_or(Class::Unknown, |(_, word)| Class::Harmless(*word))
}

/// The kind an import asterbot cannot guard belongs with, whatever its
/// version: the kind guarding the same interface, or the one kind that
/// guards interfaces of the same package (`wasi:sockets/types@0.3.0` is
/// sockets). What such an import reaches unguarded, the audit shows in
/// that kind's column, and the refusal never proposes allowing it.
pub fn kin(import: &str) -> Option<&'static Kind> {
    asterbot_capabilities::kind_of(import)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_classed_by_interface_and_version() {
        let guarded = |import| match classify(import) {
            Class::Guarded(kind) => kind.name,
            other => panic!("{import}: {other:?}"),
        };
        assert_eq!(guarded("wasi:cli/environment@0.2.6"), "env");
        assert_eq!(guarded("wasi:cli/environment@0.2.0"), "env");
        assert_eq!(guarded("wasi:sockets/ip-name-lookup@0.2.6"), "sockets");
        assert_eq!(guarded("wasi:cli/stdin@0.2.3"), "stdio");
        assert_eq!(guarded("wasi:keyvalue/store@0.2.0-draft"), "keyvalue");
        assert_eq!(guarded("wasi:keyvalue/atomics@0.2.0-draft"), "keyvalue");
        assert_eq!(
            classify("wasi:clocks/wall-clock@0.2.6"),
            Class::Harmless(Some("clocks"))
        );
        for unknown in [
            "wasi:sockets/types@0.3.0",
            "wasi:http/client@0.3.0",
            "wasi:cli/environment@0.3.0",
            "wasi:config/store@0.2.0-draft",
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:keyvalue/batch@0.2.0-draft",
            "wasi:keyvalue/store@0.3.0",
            "acme:vault/secrets@1.0.0",
            "wasi:cli/run@0.2.6",
            "wasi:http/incoming-handler@0.2.6",
        ] {
            assert_eq!(classify(unknown), Class::Unknown, "{unknown}");
        }
    }

    #[test]
    fn another_version_of_a_guarded_interface_is_kin_to_its_kind() {
        let kin = |import| kin(import).map(|kind| kind.name);
        assert_eq!(kin("wasi:sockets/types@0.3.0"), Some("sockets"));
        assert_eq!(kin("wasi:http/client@0.3.0"), Some("hosts"));
        assert_eq!(kin("wasi:cli/environment@0.3.0"), Some("env"));
        assert_eq!(kin("wasi:filesystem/preopens@0.3.0"), Some("dirs"));
        assert_eq!(kin("wasi:config/store@0.2.0-draft"), None);
        assert_eq!(kin("wasi:cli/run@0.3.0"), None);
    }

    #[test]
    fn every_guarded_interface_belongs_to_one_kind() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in &KINDS {
            for (interface, export) in kind.interfaces {
                assert!(seen.insert(*interface), "{interface} twice");
                assert!(export.starts_with(&format!("{interface}@0.2.")));
                assert!(!HARMLESS.iter().any(|(h, _)| h == interface));
            }
        }
    }
}
