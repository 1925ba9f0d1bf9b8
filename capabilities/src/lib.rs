//! The one table of capability kinds: what an instance of an agent can be
//! allowed by its recipe, and what the runner grants the whole artifact.
//!
//! Each kind has a stable id ([`KindId`]) and one row of [`KINDS`] saying
//! everything asterbot says of it: the annotation that allows it and how
//! a value is checked (the composer), the guard component and the imports
//! it stands in front of (the composer's wiring, and the audit, which
//! reads it back), the word the audit's JSON and table use, the word of
//! `asterbot diff`, and the runner's flags and what `asterbot run
//! --explain` says of them. The composer and the runner never depend on
//! each other; both read this crate, so they cannot drift apart.
//!
//! Adding a kind is adding a variant to [`KindId`], a row to [`KINDS`]
//! (in the same place), its guard component and its WIT: everything else
//! reads the table, and the tests of the audit, the diff, the CLI's reach
//! table and `run --explain` iterate over it.

#![deny(missing_docs)]

use host_pattern::HostPattern;

/// The stable id of a capability kind. The order is the table's: the
/// order in which the audit, the reach table and the diff list kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KindId {
    /// Environment variables (`@allow-env`).
    Env,
    /// Directories (`@allow-dir`).
    Dirs,
    /// Hosts for outgoing HTTP (`@allow-host`).
    Hosts,
    /// TCP, UDP and name lookups: always denied to an instance.
    Sockets,
    /// A key prefix in the runtime's key-value store (`@allow-keyvalue`).
    Keyvalue,
    /// Standard input, output and exit: the front end's only.
    Stdio,
}

impl KindId {
    /// Every kind, in the table's order.
    pub const ALL: [KindId; KINDS.len()] = {
        let mut all = [KindId::Env; KINDS.len()];
        let mut i = 0;
        while i < KINDS.len() {
            all[i] = KINDS[i].id;
            i += 1;
        }
        all
    };

    /// The kind's row of the table.
    pub fn kind(self) -> &'static Kind {
        // The table is in the order of the ids (a test checks it).
        &KINDS[self as usize]
    }

    /// The kind's name, as the audit's JSON and table name it.
    pub fn name(self) -> &'static str {
        self.kind().name
    }

    /// The kind named `name` in the audit's words.
    pub fn from_name(name: &str) -> Option<KindId> {
        KINDS
            .iter()
            .find(|kind| kind.name == name)
            .map(|kind| kind.id)
    }
}

impl serde::Serialize for KindId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for KindId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<KindId, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        KindId::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("no capability kind `{name}`")))
    }
}

/// One kind of capability, and everything asterbot says of it.
#[derive(Debug)]
pub struct Kind {
    /// Its id.
    pub id: KindId,
    /// What it guards, as the audit names it: the field of the audit's
    /// JSON, the reach table's column or word, the guard instances'
    /// names (`env-guard-1`).
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
    /// How the reach table (`asterbot audit`, `asterbot compose`) shows it.
    pub table: Shown,
    /// Its word in `asterbot diff` (text, Markdown, JSON and textconv).
    pub diff_word: &'static str,
    /// The flags of `asterbot run` (and `serve`) that grant it to the
    /// whole artifact; none: the runner always provides it.
    pub flags: &'static [&'static str],
    /// What `asterbot run --explain` says of the imports of this kind,
    /// and of the interfaces that come with them (`wasi:filesystem/types`
    /// with `preopens`): interfaces without version (one ending in `/` is
    /// a whole package), and the sentence said of each.
    pub explain: &'static [(&'static [&'static str], &'static str)],
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.id == other.id
    }
}

impl Eq for Kind {}

impl Kind {
    /// What `asterbot run --explain` says of `interface` (with or without
    /// version), if it is one this kind explains.
    pub fn explain(&self, interface: &str) -> Option<&'static str> {
        let name = interface.split('@').next().unwrap_or(interface);
        self.explain
            .iter()
            .find(|(interfaces, _)| {
                interfaces
                    .iter()
                    .any(|i| *i == name || (i.ends_with('/') && name.starts_with(i)))
            })
            .map(|(_, says)| *says)
    }
}

/// What `asterbot run --explain` says of `interface` (with or without
/// version), if a kind of the table explains it.
pub fn explain(interface: &str) -> Option<&'static str> {
    KINDS.iter().find_map(|kind| kind.explain(interface))
}

/// How the reach table shows a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A column of its own, headed by the kind's name.
    Column,
    /// A note in the `also` column, left out when not imported.
    Note {
        /// The note's word (`keys`).
        word: &'static str,
        /// The word when the instance reaches past asterbot's guard:
        /// straight from the runtime, through another instance, or
        /// behind a guard not known to be asterbot's (`SOCKETS`).
        past_guard: &'static str,
        /// What a guarded access shows.
        guarded: GuardedNote,
        /// Whether reaching it straight from the runtime is noted (stdio:
        /// the front end's is, and the table says `front end` instead).
        unguarded: bool,
    },
}

/// What the reach table notes of an access through asterbot's guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedNote {
    /// Nothing: it is what every instance has (stdio: stderr only).
    Nothing,
    /// `<word> denied`: the guard allows nothing, ever.
    Denied,
    /// The values allowed, then `suffix` (`keys history/`); a guard that
    /// allows none or all reads `none` or `all granted`.
    Values {
        /// What follows each value.
        suffix: &'static str,
    },
}

/// The table, in the order of [`KindId`].
pub const KINDS: [Kind; 6] = [
    Kind {
        id: KindId::Env,
        name: "env",
        annotation: Some("@allow-env"),
        expects: "variable names such as `OPENAI_API_KEY`",
        check: check_variable,
        guard: "asterbot:guard-env",
        has_policy: true,
        front_end_direct: false,
        one_value: false,
        interfaces: &[("wasi:cli/environment", "wasi:cli/environment@0.2.6")],
        table: Shown::Column,
        diff_word: "env",
        flags: &["--env", "--env-file"],
        explain: &[(
            &["wasi:cli/environment"],
            "--env KEY[=VALUE], --env-file FILE: only the variables granted; the message words are the arguments",
        )],
    },
    Kind {
        id: KindId::Dirs,
        name: "dirs",
        annotation: Some("@allow-dir"),
        expects: "guest directories such as `/state/memory`, with `:ro` for read-only",
        check: check_directory,
        guard: "asterbot:guard-dirs",
        has_policy: true,
        front_end_direct: false,
        one_value: false,
        interfaces: &[
            ("wasi:filesystem/preopens", "wasi:filesystem/preopens@0.2.6"),
            ("wasi:filesystem/types", "wasi:filesystem/types@0.2.6"),
        ],
        table: Shown::Column,
        diff_word: "dirs",
        flags: &["--dir"],
        explain: &[(
            &["wasi:filesystem/preopens", "wasi:filesystem/types"],
            "--dir HOST[::GUEST][:ro]: only the directories granted; none by default",
        )],
    },
    Kind {
        id: KindId::Hosts,
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
        table: Shown::Column,
        diff_word: "hosts",
        flags: &["--allow-host", "--allow-http"],
        explain: &[(
            &["wasi:http/outgoing-handler", "wasi:http/types"],
            "--allow-host HOST, --allow-http: requests to other hosts are denied",
        )],
    },
    Kind {
        id: KindId::Sockets,
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
        table: Shown::Note {
            word: "sockets",
            past_guard: "SOCKETS",
            guarded: GuardedNote::Denied,
            unguarded: true,
        },
        diff_word: "sockets",
        flags: &["--allow-network"],
        explain: &[(
            &["wasi:sockets/"],
            "--allow-network: TCP, UDP and name lookups to any address for the artifact, none without it; inside an artifact composed with guards, the sockets guard still denies them to every instance",
        )],
    },
    Kind {
        id: KindId::Keyvalue,
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
        table: Shown::Note {
            word: "keys",
            past_guard: "keys",
            guarded: GuardedNote::Values { suffix: "/" },
            unguarded: true,
        },
        diff_word: "keys",
        flags: &["--keyvalue"],
        explain: &[(
            &["wasi:keyvalue/store", "wasi:keyvalue/atomics"],
            "--keyvalue STORE (memory, redis://HOST:PORT[/DB], a file): the store; without it the agent is told there is none; inside the artifact, each instance sees only the keys under its @allow-keyvalue prefix",
        )],
    },
    Kind {
        id: KindId::Stdio,
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
        table: Shown::Note {
            word: "stdio",
            past_guard: "stdio",
            guarded: GuardedNote::Nothing,
            unguarded: false,
        },
        diff_word: "stdio",
        flags: &[],
        explain: &[
            (
                &[
                    "wasi:cli/stdin",
                    "wasi:cli/terminal-stdin",
                    "wasi:cli/terminal-input",
                ],
                "always: the turns (a REPL on a terminal, else the lines of stdin)",
            ),
            (
                &[
                    "wasi:cli/stdout",
                    "wasi:cli/stderr",
                    "wasi:cli/terminal-stdout",
                    "wasi:cli/terminal-stderr",
                    "wasi:cli/terminal-output",
                ],
                "always: the runner's output",
            ),
            (&["wasi:cli/exit"], "always: ends the run with a status"),
        ],
    },
];

/// The kind of the import `interface` (with or without version), by its
/// interface, whatever the version: the kind guarding it, or else the one
/// kind that guards interfaces of the same package (`wasi:sockets/types`
/// is sockets; `wasi:cli/run` is nobody's, as `wasi:cli` has two kinds).
pub fn kind_of(interface: &str) -> Option<&'static Kind> {
    let interface = interface.split('@').next().unwrap_or(interface);
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
    use std::collections::BTreeSet;

    #[test]
    fn the_table_is_in_the_order_of_the_ids_and_names_each_kind_once() {
        let mut names = BTreeSet::new();
        let mut annotations = BTreeSet::new();
        let mut guards = BTreeSet::new();
        for (position, kind) in KINDS.iter().enumerate() {
            assert_eq!(kind.id as usize, position, "{}", kind.name);
            assert_eq!(KindId::ALL[position], kind.id);
            assert_eq!(kind.id.kind(), kind);
            assert_eq!(KindId::from_name(kind.name), Some(kind.id));
            assert!(names.insert(kind.name), "{} twice", kind.name);
            assert!(guards.insert(kind.guard), "{} twice", kind.guard);
            if let Some(annotation) = kind.annotation {
                assert!(annotation.starts_with("@allow-"), "{annotation}");
                assert!(annotations.insert(annotation), "{annotation} twice");
                assert!(!kind.expects.is_empty() && kind.has_policy);
            }
            assert!(!kind.interfaces.is_empty() && !kind.diff_word.is_empty());
            assert!(!kind.explain.is_empty());
            for (interface, _) in kind.interfaces {
                assert_eq!(kind_of(interface), Some(kind), "{interface}");
            }
        }
    }

    #[test]
    fn every_flag_is_named_in_what_explain_says_of_each_import() {
        for kind in &KINDS {
            for (interface, export) in kind.interfaces {
                let says = kind.explain(interface).expect(interface);
                assert_eq!(kind.explain(export), Some(says));
                assert_eq!(explain(interface), Some(says));
                if kind.flags.is_empty() {
                    assert!(says.starts_with("always"), "{interface}: {says}");
                }
                for flag in kind.flags {
                    assert!(says.contains(flag), "{interface}: {says} lacks {flag}");
                }
            }
        }
    }

    #[test]
    fn ids_serialise_as_the_audits_names() {
        for id in KindId::ALL {
            let name = id.name();
            assert_eq!(
                <KindId as serde::Deserialize>::deserialize(serde::de::value::StrDeserializer::<
                    serde::de::value::Error,
                >::new(name)),
                Ok(id)
            );
        }
        assert!(
            <KindId as serde::Deserialize>::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new("keys"))
            .is_err()
        );
    }

    #[test]
    fn values_are_checked() {
        let check = |id: KindId, value: &str| (id.kind().check)(value).is_ok();
        assert!(check(KindId::Env, "OPENAI_API_KEY") && !check(KindId::Env, "A-B"));
        assert!(check(KindId::Dirs, "/state:ro") && !check(KindId::Dirs, "/state/../x"));
        assert!(check(KindId::Hosts, "*.example.com"));
        assert!(check(KindId::Keyvalue, "history") && !check(KindId::Keyvalue, "a/b"));
        assert!(!check(KindId::Sockets, "x") && !check(KindId::Stdio, "x"));
    }
}
