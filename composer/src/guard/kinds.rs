//! The one table of guard kinds, and the WASI interfaces that need none.
//!
//! A kind says which annotation allows what, how a value of it is checked,
//! which guard component stands in front of which imports, and what the
//! audit calls it. Every other part of asterbot (annotations, wiring, the
//! audit) reads this table; nothing else names a guard.

use host_pattern::HostPattern;

/// One kind of guard.
#[derive(Debug)]
pub struct Kind {
    /// What it guards, as the audit's column names it.
    pub name: &'static str,
    /// The annotation allowing values of this kind, if there is one.
    pub annotation: Option<&'static str>,
    /// What a value of the annotation must be, for diagnostics.
    pub expects: &'static str,
    /// Checks one value of the annotation (`*` is checked before).
    pub check: fn(&str) -> Result<(), String>,
    /// The guard component, one of asterbot's own.
    pub guard: &'static str,
    /// Whether the guard imports a policy baked for the instance; one
    /// without (a fixed denial) is one instance shared by all.
    pub has_policy: bool,
    /// Whether the front end reaches these imports directly, unguarded.
    pub front_end_direct: bool,
    /// Whether the annotation takes one value at most (a key prefix: an
    /// instance sees one set of keys).
    pub one_value: bool,
    /// The imports it stands in front of (without version), and the
    /// guard's export that stands in for each.
    pub interfaces: &'static [(&'static str, &'static str)],
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.name == other.name
    }
}

impl Eq for Kind {}

/// The guard kinds.
pub const KINDS: [Kind; 6] = [
    Kind {
        name: "env",
        annotation: Some("@allow-env"),
        expects: "variable names such as `OPENAI_API_KEY`",
        check: check_variable,
        guard: "asterbot:guard-env",
        has_policy: true,
        front_end_direct: false,
        one_value: false,
        interfaces: &[("wasi:cli/environment", "wasi:cli/environment@0.2.6")],
    },
    Kind {
        name: "dirs",
        annotation: Some("@allow-dir"),
        expects: "guest directories such as `/state/memory`, with `:ro` for read-only",
        check: check_directory,
        guard: "asterbot:guard-dirs",
        has_policy: true,
        front_end_direct: false,
        one_value: false,
        interfaces: &[("wasi:filesystem/preopens", "wasi:filesystem/preopens@0.2.6")],
    },
    Kind {
        name: "hosts",
        annotation: Some("@allow-host"),
        expects: host_pattern::EXAMPLES,
        check: check_host,
        guard: "asterbot:guard-http",
        has_policy: true,
        front_end_direct: false,
        one_value: false,
        interfaces: &[(
            "wasi:http/outgoing-handler",
            "wasi:http/outgoing-handler@0.2.4",
        )],
    },
    Kind {
        name: "keyvalue",
        annotation: Some("@allow-keyvalue"),
        expects: "one key prefix such as `history` (its keys are `history/...` in the store)",
        check: check_prefix,
        guard: "asterbot:guard-keyvalue",
        has_policy: true,
        front_end_direct: false,
        one_value: true,
        interfaces: &[
            ("wasi:keyvalue/store", "wasi:keyvalue/store@0.2.0-draft"),
            ("wasi:keyvalue/atomics", "wasi:keyvalue/atomics@0.2.0-draft"),
        ],
    },
    Kind {
        name: "sockets",
        annotation: None,
        expects: "",
        check: no_values,
        guard: "asterbot:guard-sockets",
        has_policy: false,
        front_end_direct: false,
        one_value: false,
        interfaces: &[
            (
                "wasi:sockets/tcp-create-socket",
                "wasi:sockets/tcp-create-socket@0.2.6",
            ),
            (
                "wasi:sockets/udp-create-socket",
                "wasi:sockets/udp-create-socket@0.2.6",
            ),
            (
                "wasi:sockets/ip-name-lookup",
                "wasi:sockets/ip-name-lookup@0.2.6",
            ),
        ],
    },
    Kind {
        name: "stdio",
        annotation: None,
        expects: "",
        check: no_values,
        guard: "asterbot:guard-stdio",
        has_policy: false,
        front_end_direct: true,
        one_value: false,
        interfaces: &[
            ("wasi:cli/stdin", "wasi:cli/stdin@0.2.6"),
            ("wasi:cli/stdout", "wasi:cli/stdout@0.2.6"),
            ("wasi:cli/exit", "wasi:cli/exit@0.2.6"),
        ],
    },
];

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
    ("wasi:filesystem/types", None),
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
    let interface = import.split('@').next().unwrap_or(import);
    if let Some(kind) = KINDS
        .iter()
        .find(|kind| kind.interfaces.iter().any(|(i, _)| *i == interface))
    {
        return Some(kind);
    }
    let package = interface.split('/').next().unwrap_or(interface);
    let mut same = KINDS.iter().filter(|kind| {
        kind.interfaces
            .iter()
            .any(|(i, _)| i.split('/').next() == Some(package))
    });
    match (same.next(), same.next()) {
        (Some(kind), None) => Some(kind),
        _ => None,
    }
}

fn check_variable(value: &str) -> Result<(), String> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err("not a variable name".to_string())
    }
}

fn check_directory(value: &str) -> Result<(), String> {
    let path = value.strip_suffix(":ro").unwrap_or(value);
    if !path.starts_with('/') {
        Err("a guest directory is an absolute path".to_string())
    } else if path.split('/').any(|part| part == ".." || part == ".") {
        Err("`.` and `..` are not allowed in a guest directory".to_string())
    } else {
        Ok(())
    }
}

fn check_host(value: &str) -> Result<(), String> {
    HostPattern::parse(value).map(|_| ()).map_err(String::from)
}

fn check_prefix(value: &str) -> Result<(), String> {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if value.is_empty() || !plain {
        Err(
            "a key prefix is letters, digits, `-`, `_` and `.` (no `/`: prefixes never nest)"
                .to_string(),
        )
    } else {
        Ok(())
    }
}

fn no_values(_: &str) -> Result<(), String> {
    Err("this kind takes no values".to_string())
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
