//! A recipe's lock file, `RECIPE.lock` beside `RECIPE.wac`: the SHA-256 of
//! every component the recipe was composed with, and where each came from.
//!
//! `asterbot compose` writes it the first time and checks it every time
//! after: a component whose bytes differ from the pinned ones (a changed
//! file in a store, a rebuilt or upgraded asterbot) stops the compose with
//! both digests, until someone who has reviewed the change composes with
//! `--update-lock`. A package the recipe starts or stops using is pinned
//! or dropped as the lock is rewritten, which shows in the lock's diff.
//!
//! The file is TOML, one `[[component]]` table per component, sorted, with
//! no machine-specific path in it, so it reads well in a diff. This module
//! only decides; the caller reads and writes the file.

use crate::provenance::{Origin, Provenance};
use miette::{Diagnostic, LabeledSpan, NamedSource};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The lock format this asterbot writes and reads.
pub const FORMAT: u32 = 1;

/// The lock file of the recipe at `recipe`: the same name, `.lock`.
pub fn path_for(recipe: &Path) -> PathBuf {
    recipe.with_extension("lock")
}

/// What a lock file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The lock format ([`FORMAT`]).
    pub format: u32,
    /// Every component, sorted by package.
    #[serde(rename = "component", default)]
    pub components: Vec<Locked>,
}

/// One pinned component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locked {
    /// Its package name.
    pub package: String,
    /// Its version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Where it came from: `asterbot` (built into asterbot), `shadowed`
    /// (one of asterbot's replaced with `--shadow`) or `file`.
    pub source: String,
    /// The file, relative to the recipe's folder, when it lies below it
    /// (a path elsewhere would differ from machine to machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Lock {
    /// The lock of a composition: each component in `provenance`, with
    /// the file it was read from (`files`, by package) when the file lies
    /// below `recipe_dir`.
    pub fn new(
        provenance: &Provenance,
        files: &BTreeMap<String, PathBuf>,
        recipe_dir: &Path,
    ) -> Lock {
        let mut components: Vec<Locked> = provenance
            .components
            .iter()
            .map(|component| Locked {
                package: component.package.clone(),
                version: component.version.clone(),
                sha256: component.sha256.clone(),
                source: match component.origin {
                    Origin::Asterbot => "asterbot",
                    Origin::Shadowed => "shadowed",
                    Origin::File => "file",
                }
                .to_string(),
                path: files
                    .get(&component.package)
                    .and_then(|file| relative_below(file, recipe_dir)),
            })
            .collect();
        components.sort();
        components.dedup();
        Lock {
            format: FORMAT,
            components,
        }
    }

    /// The lock as the text of `RECIPE.lock`, for the recipe file named
    /// `recipe_file`.
    pub fn to_toml(&self, recipe_file: &str) -> String {
        let body = toml::to_string(self).expect("a lock serialises as TOML");
        format!(
            "# The components {recipe_file} is composed with, pinned by SHA-256.\n\
             # Written by `asterbot compose` and checked on every compose: a component\n\
             # whose bytes change stops the compose until it is reviewed and pinned\n\
             # again with `asterbot compose --update-lock`.\n\
             {body}"
        )
    }

    /// Parses the text of the lock file `name`.
    pub fn parse(name: &str, text: &str) -> Result<Lock, miette::Report> {
        let lock: Lock = toml::from_str(text).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            miette::Report::new(BadLock {
                message: format!(
                    "`{name}` is not a lock file asterbot can read: {}",
                    error.message()
                ),
                span: span.into(),
                source_code: NamedSource::new(name, text.to_string()),
            })
        })?;
        if lock.format != FORMAT {
            miette::bail!(
                help = "compose with an asterbot that writes this format, or with `--update-lock` to write it anew after reviewing the components",
                "`{name}` is lock format {}; this asterbot reads format {FORMAT}",
                lock.format
            );
        }
        Ok(lock)
    }

    /// The digests pinned for each package.
    fn digests(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut digests: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for component in &self.components {
            digests
                .entry(&component.package)
                .or_default()
                .insert(&component.sha256);
        }
        digests
    }
}

/// What to do with the lock file after a compose.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The new text of the lock file, when it must be written.
    pub write: Option<String>,
    /// What changed in the lock, one line each, for the person composing.
    pub notes: Vec<String>,
}

/// How strictly to treat the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check the pinned digests; pin packages the recipe started using
    /// and drop those it stopped using (`asterbot compose`).
    Compose,
    /// Pin whatever was composed (`asterbot compose --update-lock`).
    Update,
    /// Check, and fail if the lock would change at all (`asterbot check`).
    Verify,
    /// Check the digests of what was composed, and change nothing (a
    /// composition that is not the recipe's own: `--no-guards`).
    DigestsOnly,
}

/// Checks the composition `now` against the lock file `name`, whose text
/// is `existing` (none: there is no lock yet), and says what to write.
pub fn reconcile(
    name: &str,
    recipe_file: &str,
    existing: Option<&str>,
    now: &Lock,
    mode: Mode,
) -> Result<Verdict, miette::Report> {
    let text = now.to_toml(recipe_file);
    let Some(existing) = existing else {
        return match mode {
            Mode::DigestsOnly => Ok(Verdict::default()),
            Mode::Verify => Ok(Verdict {
                write: None,
                notes: vec![format!(
                    "{name} does not exist yet: `asterbot compose` writes it"
                )],
            }),
            Mode::Compose | Mode::Update => Ok(Verdict {
                write: Some(text),
                notes: vec![format!(
                    "wrote {name}: {} components pinned",
                    now.components.len()
                )],
            }),
        };
    };
    if existing == text {
        return Ok(Verdict::default());
    }
    let locked = Lock::parse(name, existing);
    let locked = match (locked, mode) {
        (Ok(locked), _) => locked,
        (Err(_), Mode::Update) => {
            return Ok(Verdict {
                write: Some(text),
                notes: vec![format!("rewrote {name}, which could not be read")],
            });
        }
        (Err(error), _) => return Err(error),
    };
    let (old, new) = (locked.digests(), now.digests());
    let mut changed = Vec::new();
    let mut notes = Vec::new();
    for (package, pinned) in &old {
        match new.get(package) {
            None => notes.push(format!("unpinned {package}: the recipe no longer uses it")),
            Some(digests) if digests != pinned => changed.push(Changed {
                package: (*package).to_string(),
                pinned: pinned.iter().map(ToString::to_string).collect(),
                now: digests.iter().map(ToString::to_string).collect(),
            }),
            Some(_) => {}
        }
    }
    for (package, digests) in &new {
        if !old.contains_key(package) {
            let digests: Vec<&str> = digests.iter().map(|d| short(d)).collect();
            notes.push(format!("pinned {package} (sha256:{})", digests.join(", ")));
        }
    }
    if mode == Mode::Update {
        notes.extend(changed.iter().map(|c| {
            format!(
                "re-pinned {}: sha256:{} -> sha256:{}",
                c.package,
                c.pinned
                    .iter()
                    .map(|d| short(d))
                    .collect::<Vec<_>>()
                    .join(","),
                c.now.iter().map(|d| short(d)).collect::<Vec<_>>().join(",")
            )
        }));
        if notes.is_empty() {
            notes.push(format!("rewrote {name}"));
        }
        return Ok(Verdict {
            write: Some(text),
            notes,
        });
    }
    if !changed.is_empty() {
        return Err(miette::Report::new(Mismatch::new(name, existing, changed)));
    }
    if mode == Mode::DigestsOnly {
        return Ok(Verdict::default());
    }
    if mode == Mode::Verify {
        let mut message = format!("{name} is out of date");
        if !notes.is_empty() {
            message = format!("{message}: {}", notes.join("; "));
        }
        miette::bail!(
            help = "compose the recipe to bring its lock up to date, and commit the lock",
            "{message}"
        );
    }
    if notes.is_empty() {
        // Same components; the file differs only in form (sources, order,
        // comments). Write it as asterbot writes it.
        notes.push(format!("rewrote {name} in its usual form"));
    }
    Ok(Verdict {
        write: Some(text),
        notes,
    })
}

/// The first 12 hex digits of a digest, for notes.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// `file` relative to `dir`, with `/` separators, if it lies below it.
fn relative_below(file: &Path, dir: &Path) -> Option<String> {
    let absolute = |p: &Path| std::path::absolute(p).ok();
    let (file, dir) = (absolute(file)?, absolute(dir)?);
    let relative = file.strip_prefix(&dir).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty() && !parts.iter().any(|p| p == "..")).then(|| parts.join("/"))
}

/// A component whose bytes are not the pinned ones.
#[derive(Debug)]
struct Changed {
    package: String,
    pinned: Vec<String>,
    now: Vec<String>,
}

/// The lock pins other bytes than the recipe was composed with.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
struct Mismatch {
    message: String,
    #[help]
    help: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label(collection)]
    labels: Vec<LabeledSpan>,
}

impl Mismatch {
    fn new(name: &str, text: &str, changed: Vec<Changed>) -> Mismatch {
        let packages: Vec<&str> = changed.iter().map(|c| c.package.as_str()).collect();
        let subject = match packages.as_slice() {
            [one] => format!("`{one}` is"),
            many => format!("`{}` are", many.join("`, `")),
        };
        let mut labels = Vec::new();
        let mut lines = Vec::new();
        for change in &changed {
            for pinned in &change.pinned {
                if let Some(at) = text.find(pinned.as_str()) {
                    labels.push(LabeledSpan::at(
                        at..at + pinned.len(),
                        format!("{} was pinned to these bytes", change.package),
                    ));
                }
            }
            lines.push(format!(
                "{}: pinned sha256:{}, now sha256:{}",
                change.package,
                change.pinned.join(", sha256:"),
                change.now.join(", sha256:")
            ));
        }
        Mismatch {
            message: format!(
                "{subject} not what {name} pins:\n  {}",
                lines.join("\n  ")
            ),
            help: "the bytes behind these names changed since the lock was written (a changed file, or another build of asterbot). Review what changed (`asterbot diff` of the old and new artifacts), then pin the new bytes with `asterbot compose --update-lock`".to_string(),
            source_code: NamedSource::new(name, text.to_string()),
            labels,
        }
    }
}

/// A lock file that does not parse.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(help(
    "fix the file by hand, or, once you have reviewed the components, write it anew with `asterbot compose --update-lock`"
))]
struct BadLock {
    message: String,
    #[label("here")]
    span: miette::SourceSpan,
    #[source_code]
    source_code: NamedSource<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::ComponentRecord;

    fn lock(digest: &str, extra: bool) -> Lock {
        let mut components = vec![ComponentRecord {
            package: "acme:weather".into(),
            version: None,
            sha256: digest.into(),
            origin: Origin::File,
        }];
        if extra {
            components.push(ComponentRecord {
                package: "asterbot:clock".into(),
                version: Some("0.1.0".into()),
                sha256: "c1".repeat(32),
                origin: Origin::Asterbot,
            });
        }
        let provenance = Provenance {
            asterbot: "0.1.0".into(),
            recipe: String::new(),
            components,
            instances: BTreeMap::new(),
        };
        let files = BTreeMap::from([(
            "acme:weather".to_string(),
            PathBuf::from("/p/deps/acme/weather.wasm"),
        )]);
        Lock::new(&provenance, &files, Path::new("/p"))
    }

    #[test]
    fn a_lock_round_trips_and_keeps_only_paths_below_the_recipe() {
        let lock = lock(&"ab".repeat(32), true);
        assert_eq!(
            lock.components[0].path.as_deref(),
            Some("deps/acme/weather.wasm")
        );
        let text = lock.to_toml("r.wac");
        assert_eq!(Lock::parse("r.lock", &text).unwrap(), lock);
        let elsewhere = Lock::new(
            &Provenance {
                asterbot: "0".into(),
                recipe: String::new(),
                components: vec![],
                instances: BTreeMap::new(),
            },
            &BTreeMap::new(),
            Path::new("/q"),
        );
        assert!(elsewhere.components.is_empty());
        assert_eq!(
            relative_below(Path::new("/p/x.wasm"), Path::new("/q")),
            None
        );
    }

    #[test]
    fn changed_bytes_fail_and_update_repins() {
        let old = lock(&"ab".repeat(32), false).to_toml("r.wac");
        let now = lock(&"cd".repeat(32), false);
        let error = reconcile("r.lock", "r.wac", Some(&old), &now, Mode::Compose).unwrap_err();
        let message = format!("{error}");
        assert!(message.contains("`acme:weather` is not"), "{message}");
        assert!(message.contains(&"ab".repeat(32)), "{message}");
        assert!(message.contains(&"cd".repeat(32)), "{message}");
        let verdict = reconcile("r.lock", "r.wac", Some(&old), &now, Mode::Update).unwrap();
        assert_eq!(verdict.write, Some(now.to_toml("r.wac")));
        // Control: the same bytes pass and write nothing.
        let same = lock(&"ab".repeat(32), false);
        let verdict = reconcile("r.lock", "r.wac", Some(&old), &same, Mode::Compose).unwrap();
        assert_eq!(verdict, Verdict::default());
    }

    #[test]
    fn a_new_package_is_pinned_but_verify_calls_the_lock_out_of_date() {
        let old = lock(&"ab".repeat(32), false).to_toml("r.wac");
        let now = lock(&"ab".repeat(32), true);
        let verdict = reconcile("r.lock", "r.wac", Some(&old), &now, Mode::Compose).unwrap();
        assert_eq!(verdict.write, Some(now.to_toml("r.wac")));
        assert!(verdict.notes[0].starts_with("pinned asterbot:clock"));
        assert!(reconcile("r.lock", "r.wac", Some(&old), &now, Mode::Verify).is_err());
    }

    #[test]
    fn a_damaged_lock_names_the_place() {
        let error = Lock::parse("r.lock", "format = 1\n[[component]]\npackage = 3\n").unwrap_err();
        assert!(format!("{error:?}").contains("r.lock"), "{error:?}");
    }
}
