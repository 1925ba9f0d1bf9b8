//! `asterbot wit`: the WIT package components are built against.

use super::files::write_atomically;
use clap::Args;
use miette::{IntoDiagnostic, WrapErr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Print or write asterbot's WIT package, to build components against.
///
/// The package is `asterbot:agent` (the interfaces and
/// worlds a component implements), or write it as a folder that
/// wit-bindgen, componentize-py and componentize-js read:
/// `DIR/agent.wit` and its dependency `DIR/deps/keyvalue/keyvalue.wit`.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot wit -o wit
  componentize-py -d wit -w tool bindings .
  asterbot wit | less")]
pub struct WitArgs {
    /// Write the package into this folder (created if need be), replacing
    /// the files asterbot wrote there before.
    #[arg(short, long, visible_alias = "out", value_name = "DIR")]
    output: Option<PathBuf>,
}

/// The files of the package, relative to its folder.
pub const FILES: [(&str, &str); 2] = [
    ("agent.wit", asterbot_bundle::AGENT_WIT),
    ("deps/keyvalue/keyvalue.wit", asterbot_bundle::KEYVALUE_WIT),
];

impl WitArgs {
    /// Prints or writes the package.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let Some(dir) = self.output else {
            print!("{}", asterbot_bundle::AGENT_WIT);
            return Ok(ExitCode::SUCCESS);
        };
        write_package(&dir)?;
        eprintln!(
            "wrote asterbot:agent@{} to {}",
            package_version(),
            dir.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Writes the package's files under `dir`.
pub fn write_package(dir: &std::path::Path) -> miette::Result<()> {
    for (file, text) in FILES {
        let path = dir.join(file);
        let folder = path.parent().expect("a package file is in a folder");
        std::fs::create_dir_all(folder)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot create `{}`", folder.display()))?;
        write_atomically(&path, text.as_bytes())?;
    }
    Ok(())
}

/// The version in `package asterbot:agent@VERSION;`.
fn package_version() -> &'static str {
    asterbot_bundle::AGENT_WIT
        .lines()
        .find_map(|l| l.trim().strip_prefix("package asterbot:agent@"))
        .and_then(|v| v.strip_suffix(';'))
        .unwrap_or("?")
}
