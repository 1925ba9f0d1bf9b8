//! The project manifest, `asterbot.toml`: the recipes a project builds,
//! where its own packages come from, and what `run` and `serve` grant by
//! default. Every command finds it by walking up from the working folder
//! (as cargo finds `Cargo.toml`), so `git diff`'s textconv, run from the
//! top of the repository, composes recipes that use the project's own
//! tools without a `--dep` on every command.
//!
//! ```toml
//! [[recipe]]
//! path = "agent.wac"
//! output = "target/agent.wasm"
//!
//! [packages]
//! "local:word-count" = "word-count/word-count.wasm"
//!
//! [run]
//! dir = ["state::/state"]
//! env = ["OPENAI_API_KEY"]
//! allow-host = ["api.openai.com"]
//! ```
//!
//! Paths are relative to the manifest's folder; flags on the command line
//! add to what the manifest says (a `--dep` of the same package wins).

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const FILE_NAME: &str = "asterbot.toml";

/// A project manifest, as read from its file.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The folder holding it: every path in it is relative to this.
    pub dir: PathBuf,
    contents: Contents,
}

/// The manifest's text, parsed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Contents {
    /// The recipes the project builds.
    #[serde(default)]
    recipe: Vec<RecipeEntry>,
    /// Package name → component file.
    #[serde(default)]
    packages: BTreeMap<String, PackageSource>,
    /// Folders laid out as `<dir>/<namespace>/<name>.wasm`.
    #[serde(default)]
    deps_dirs: Vec<PathBuf>,
    /// Default grants of `run` and `serve`.
    #[serde(default)]
    run: RunDefaults,
}

/// One recipe the project builds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeEntry {
    path: PathBuf,
    output: Option<PathBuf>,
}

/// Where one package comes from: a path, or a table with one.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum PackageSource {
    Path(PathBuf),
    Table(PackageTable),
}

/// `{ path = "..." }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageTable {
    path: PathBuf,
}

/// What `run` and `serve` grant unless told otherwise, in their flags'
/// words.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunDefaults {
    /// `--dir` values (`HOST[::GUEST][:ro]`).
    #[serde(default)]
    pub dir: Vec<String>,
    /// `--env` values (`KEY[=VALUE]`).
    #[serde(default)]
    pub env: Vec<String>,
    /// `--env-file` values.
    #[serde(default)]
    pub env_file: Vec<PathBuf>,
    /// `--allow-host` values.
    #[serde(default)]
    pub allow_host: Vec<String>,
}

/// A manifest that cannot be read, with the place in it.
#[derive(Debug, Diagnostic, thiserror::Error)]
#[error("{message}")]
#[diagnostic(code(asterbot::manifest))]
struct ManifestError {
    message: String,
    #[source_code]
    text: NamedSource<String>,
    #[label("here")]
    span: Option<SourceSpan>,
    #[help]
    help: String,
}

impl Manifest {
    /// The manifest in the working folder or the nearest folder above it,
    /// if any; an error if one is found but cannot be read.
    pub fn find() -> miette::Result<Option<Manifest>> {
        let Ok(start) = std::env::current_dir() else {
            return Ok(None);
        };
        Manifest::find_from(&start)
    }

    /// The manifest in `start` or the nearest folder above it.
    pub fn find_from(start: &Path) -> miette::Result<Option<Manifest>> {
        for dir in start.ancestors() {
            let path = dir.join(FILE_NAME);
            if path.is_file() {
                return Manifest::load(&path).map(Some);
            }
        }
        Ok(None)
    }

    /// Reads the manifest at `path`.
    pub fn load(path: &Path) -> miette::Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("cannot read `{}`: {e}", path.display()))?;
        let contents: Contents = toml::from_str(&text).map_err(|e| ManifestError {
            message: format!("`{}`: {}", path.display(), e.message()),
            span: e.span().map(SourceSpan::from),
            text: NamedSource::new(path.display().to_string(), text.clone()),
            help: "see `asterbot compose --help` for the manifest's keys: [[recipe]] path/output, [packages], deps-dirs, [run] dir/env/env-file/allow-host".into(),
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Manifest { dir, contents })
    }

    /// `path` as written in the manifest, made relative to its folder.
    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// The packages it names, with their files.
    pub fn packages(&self) -> impl Iterator<Item = (&str, PathBuf)> {
        self.contents.packages.iter().map(|(name, source)| {
            let path = match source {
                PackageSource::Path(path) | PackageSource::Table(PackageTable { path }) => path,
            };
            (name.as_str(), self.resolve(path))
        })
    }

    /// The folders of components it names.
    pub fn deps_dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.contents.deps_dirs.iter().map(|dir| self.resolve(dir))
    }

    /// The recipes it builds, each with where its agent goes (by default
    /// `target/NAME.wasm` beside the manifest).
    pub fn recipes(&self) -> Vec<(PathBuf, PathBuf)> {
        self.contents
            .recipe
            .iter()
            .map(|entry| {
                let recipe = self.resolve(&entry.path);
                let output = match &entry.output {
                    Some(output) => self.resolve(output),
                    None => {
                        let stem = entry.path.file_stem().unwrap_or_default();
                        self.dir.join("target").join(stem).with_extension("wasm")
                    }
                };
                (recipe, output)
            })
            .collect()
    }

    /// The default grants of `run` and `serve`, with host folders and
    /// files made relative to the manifest's folder.
    pub fn run_defaults(&self) -> RunDefaults {
        let run = &self.contents.run;
        RunDefaults {
            dir: run
                .dir
                .iter()
                .map(|grant| {
                    // HOST[::GUEST][:ro]: only HOST is a path here.
                    let (body, read_only) = match grant.strip_suffix(":ro") {
                        Some(body) => (body, ":ro"),
                        None => (grant.as_str(), ""),
                    };
                    let (host, guest) = match body.split_once("::") {
                        Some((host, guest)) => (host, guest),
                        None => (body, body),
                    };
                    format!(
                        "{}::{guest}{read_only}",
                        self.resolve(Path::new(host)).display()
                    )
                })
                .collect(),
            env: run.env.clone(),
            env_file: run.env_file.iter().map(|f| self.resolve(f)).collect(),
            allow_host: run.allow_host.clone(),
        }
    }

    /// Where it is, for messages.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_manifest_is_found_from_a_subfolder_and_resolves_its_paths() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            r#"
deps-dirs = ["deps"]

[[recipe]]
path = "agent.wac"

[packages]
"local:word-count" = "word-count/word-count.wasm"
"acme:weather" = { path = "/opt/weather.wasm" }

[run]
dir = ["state::/state", "notes::/notes:ro", "plain"]
env = ["OPENAI_API_KEY"]
allow-host = ["api.openai.com"]
"#,
        );
        let below = dir.path().join("a/b");
        std::fs::create_dir_all(&below).unwrap();
        let manifest = Manifest::find_from(&below).unwrap().unwrap();
        assert_eq!(manifest.dir, dir.path());
        let packages: Vec<_> = manifest.packages().collect();
        assert_eq!(
            packages,
            [
                ("acme:weather", PathBuf::from("/opt/weather.wasm")),
                (
                    "local:word-count",
                    dir.path().join("word-count/word-count.wasm")
                ),
            ]
        );
        assert_eq!(
            manifest.recipes(),
            [(
                dir.path().join("agent.wac"),
                dir.path().join("target/agent.wasm")
            )]
        );
        let run = manifest.run_defaults();
        let root = dir.path().display();
        assert_eq!(
            run.dir,
            [
                format!("{root}/state::/state"),
                format!("{root}/notes::/notes:ro"),
                format!("{root}/plain::plain"),
            ]
        );
        assert_eq!(
            manifest.deps_dirs().collect::<Vec<_>>(),
            [dir.path().join("deps")]
        );
        // Control: no manifest above a folder, none found.
        let lone = tempfile::tempdir().unwrap();
        assert!(Manifest::find_from(lone.path()).unwrap().is_none());
    }

    #[test]
    fn a_mistake_is_shown_at_its_place_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "[run]\ndirs = [\"state\"]\n");
        let error = Manifest::find_from(dir.path()).unwrap_err();
        let text = format!("{error:?}");
        assert!(text.contains("asterbot.toml"), "{text}");
        assert!(text.contains("unknown field `dirs`"), "{text}");
        assert!(text.contains("expected one of"), "{text}");
    }
}
