//! `asterbot diff`: what changed in meaning between two recipes or agents.

use super::UsageError;
use super::store_args::StoreArgs;
use asterbot_composer::flows::Flows;
use asterbot_composer::lock::{self, Lock};
use asterbot_composer::review::{Diff, View};
use asterbot_composer::{ComponentStore, Recipe, audit, compose, provenance};
use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, WrapErr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Show what changed in meaning between two recipes, two composed agents,
/// or one recipe at two git revisions: the components that changed (by
/// SHA-256), the instances added, removed or swapped, the wiring, the
/// settings baked by the recipe, and what each instance can reach that it
/// could not before (env, dirs, hosts, sockets, the tools it can call, the
/// tools a person is asked about), or no longer; and the flows gained or
/// lost: ways data can move from a source (a secret, a folder, the
/// person's input, a tool's results) to a sink (a host, a written folder,
/// the answer), as `asterbot flows` computes them.
///
/// A recipe is composed in memory with the components it would be
/// composed with now; where it has a lock file, the digests shown are the
/// lock's (the bytes that were pinned and reviewed). An agent is read from
/// its own wiring and provenance.
///
/// Exit codes: 0 shown, 1 an input cannot be read or composed, 2 a usage
/// error, 3 `--fail-on` found what it looks for.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot diff old.wac new.wac
  asterbot diff old-agent.wasm agent.wasm
  asterbot diff recipes/openai.wac --rev main                 # main -> working tree
  asterbot diff recipes/openai.wac --rev v0.1.0 --rev main    # one revision -> another
  asterbot diff recipes/openai.wac --rev origin/main --format markdown > comment.md
  asterbot diff recipes/openai.wac --rev origin/main --fail-on capability-gain
  asterbot diff recipes/openai.wac --rev origin/main --fail-on flow-gain

In git (every `git diff`, `git log -p` and `git show` of a recipe shows its meaning):
  echo '*.wac diff=asterbot' >> .gitattributes
  git config diff.asterbot.textconv 'asterbot diff --textconv'   # facts, diffed line by line
  git config diff.asterbot.command 'asterbot diff --git'         # or: this whole report")]
pub struct DiffArgs {
    /// OLD and NEW: recipes (`.wac`) or composed agents (`.wasm`); with
    /// `--rev`, one recipe; with `--textconv`, one file.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,

    /// Compare the recipe at this git revision with the working tree; give
    /// it twice to compare two revisions. Its lock file is read at the same
    /// revision.
    #[arg(long, value_name = "REV")]
    rev: Vec<String>,

    /// How to print the diff.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Exit with code 3 when the diff shows this (for CI).
    #[arg(long, value_enum, value_name = "WHAT")]
    fail_on: Option<FailOn>,

    /// Print one file's facts, one a line, sorted: a git textconv filter.
    #[arg(long, conflicts_with_all = ["rev", "fail_on", "git"])]
    textconv: bool,

    /// Run as git's external diff command (`diff.<driver>.command`): take
    /// git's seven arguments (path, old file, hex, mode, new file, hex,
    /// mode).
    #[arg(long, conflicts_with_all = ["rev", "fail_on"])]
    git: bool,

    #[command(flatten)]
    store: StoreArgs,
}

/// How to print the diff.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned text for a terminal.
    Text,
    /// Markdown tables for a pull-request comment.
    Markdown,
    /// JSON.
    Json,
}

/// What `--fail-on` looks for.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// An instance can reach something it could not before.
    CapabilityGain,
    /// Data can move from a source to a sink along a way it could not
    /// before (a new flow, or one that no longer asks a person).
    FlowGain,
    /// A component's bytes changed, or one was added or removed.
    ComponentChange,
    /// Any change in meaning.
    AnyChange,
}

/// One side of a diff, before it is read.
enum Side {
    /// A file (recipe or agent), or a recipe read from git.
    Text {
        /// How it is named in output.
        label: String,
        /// Its contents.
        bytes: Vec<u8>,
        /// Its lock file's text, for a recipe that has one.
        lock: Option<String>,
    },
    /// Nothing (git's `/dev/null`: the file is new, or deleted).
    Nothing(String),
}

impl DiffArgs {
    /// Reads both sides and prints what changed.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let store = self.store.component_store()?;
        if self.textconv {
            let [file] = self.files.as_slice() else {
                return Err(UsageError::report(
                    format!(
                        "--textconv takes one file (git passes it), got {}",
                        self.files.len()
                    ),
                    "set it as `git config diff.asterbot.textconv 'asterbot diff --textconv'`",
                ));
            };
            print!("{}", read(&from_file(file)?, &store)?.facts());
            return Ok(ExitCode::SUCCESS);
        }
        let (old, new) = if self.git {
            let [path, old, _, _, new, _, _] = self.files.as_slice() else {
                return Err(UsageError::report(
                    format!(
                        "--git takes the seven arguments git passes to an external diff, got {}",
                        self.files.len()
                    ),
                    "set it as `git config diff.asterbot.command 'asterbot diff --git'`; git passes path, old file, hex, mode, new file, hex, mode",
                ));
            };
            let side = |file: &Path, prefix: &str| -> miette::Result<Side> {
                if file == Path::new("/dev/null") {
                    return Ok(Side::Nothing(format!("{prefix}/{}", path.display())));
                }
                let mut side = from_file(file)?;
                if let Side::Text { label, .. } = &mut side {
                    *label = format!("{prefix}/{}", path.display());
                }
                Ok(side)
            };
            (side(old, "a")?, side(new, "b")?)
        } else {
            match (self.files.as_slice(), self.rev.as_slice()) {
                ([old, new], []) => (from_file(old)?, from_file(new)?),
                ([recipe], [rev]) => (from_git(recipe, rev)?, from_file(recipe)?),
                ([recipe], [old, new]) => (from_git(recipe, old)?, from_git(recipe, new)?),
                (files, revs) => {
                    return Err(UsageError::report(
                        format!(
                            "asterbot diff takes two files, or one recipe and one or two --rev; got {} file(s) and {} --rev",
                            files.len(),
                            revs.len()
                        ),
                        "compare OLD NEW, or one recipe with `--rev REV` (against the working tree) or `--rev OLD --rev NEW`",
                    ));
                }
            }
        };
        let (old_label, new_label) = (old.label().to_string(), new.label().to_string());
        let diff = Diff::between(&read(&old, &store)?, &read(&new, &store)?);
        match self.format {
            Format::Text => print!("{}", diff.text(&old_label, &new_label)),
            Format::Markdown => print!("{}", diff.markdown(&old_label, &new_label)),
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "old": old_label,
                    "new": new_label,
                    "summary": diff.summary(),
                    "capability-gain": diff.gains_capability(),
                    "flow-gain": diff.gains_flow(),
                    "diff": diff,
                }))
                .expect("a diff serialises")
            ),
        }
        let failed = match self.fail_on {
            None => false,
            Some(FailOn::CapabilityGain) => diff.gains_capability(),
            Some(FailOn::FlowGain) => diff.gains_flow(),
            Some(FailOn::ComponentChange) => !diff.components.is_empty(),
            Some(FailOn::AnyChange) => !diff.is_empty(),
        };
        if failed {
            eprintln!(
                "asterbot diff: --fail-on {}: {}",
                self.fail_on
                    .and_then(|f| f.to_possible_value())
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default(),
                diff.summary()
            );
            return Ok(ExitCode::from(3));
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl Side {
    /// How the side is named in output.
    fn label(&self) -> &str {
        match self {
            Side::Text { label, .. } | Side::Nothing(label) => label,
        }
    }
}

/// A recipe or an agent from a file, with the recipe's lock if it has one.
fn from_file(path: &Path) -> miette::Result<Side> {
    let bytes = std::fs::read(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read `{}`", path.display()))?;
    let lock = std::fs::read_to_string(lock::path_for(path)).ok();
    Ok(Side::Text {
        label: path.display().to_string(),
        bytes,
        lock,
    })
}

/// The recipe `path` and its lock file as they are at git revision `rev`.
fn from_git(path: &Path, rev: &str) -> miette::Result<Side> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let show = |file: &Path| -> Result<Vec<u8>, String> {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let output = Command::new("git")
            .current_dir(dir)
            .arg("show")
            .arg(format!("{rev}:./{name}"))
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
        }
    };
    let bytes = show(path).map_err(|why| {
        miette::miette!(
            help = "name a revision git knows (`git log --oneline -- FILE`), from inside the repository",
            "cannot read `{}` at revision `{rev}`: {why}",
            path.display()
        )
    })?;
    let lock = show(&lock::path_for(path))
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Ok(Side::Text {
        label: format!("{}@{rev}", path.display()),
        bytes,
        lock,
    })
}

/// What a reviewer needs to know of one side.
fn read(side: &Side, store: &ComponentStore) -> miette::Result<View> {
    let Side::Text { label, bytes, lock } = side else {
        return Ok(View::default());
    };
    if bytes.starts_with(b"\0asm") {
        let audit = audit::analyze(bytes).map_err(|why| miette::miette!("`{label}`: {why}"))?;
        let provenance =
            provenance::read(bytes).map_err(|why| miette::miette!("`{label}`: {why}"))?;
        let flows = Flows::of_artifact(bytes).map_err(|why| miette::miette!("`{label}`: {why}"))?;
        return Ok(View::new(&audit, provenance.as_ref(), None).with_flows(&flows));
    }
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        miette::miette!(
            help = "give a recipe (a WAC text file) or a composed agent (.wasm)",
            "`{label}` is neither a recipe (not UTF-8 text) nor a WebAssembly component"
        )
    })?;
    let recipe = Recipe::from_source(label.clone(), text);
    let composed =
        compose(&recipe, store).wrap_err_with(|| format!("`{label}` does not compose"))?;
    let lock = match lock {
        Some(text) => Some(Lock::parse(&format!("the lock of {label}"), text)?),
        None => None,
    };
    Ok(
        View::new(&composed.audit, Some(&composed.provenance), lock.as_ref())
            .with_flows(&composed.flows),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        diff: DiffArgs,
    }

    #[test]
    fn the_flags_are_consistent() {
        Cli::command().debug_assert();
    }
}
