//! `asterbot targets`: which asterbot world a component fits.

use asterbot_composer::targets::{Targets, targets};
use clap::Args;
use miette::{IntoDiagnostic, WrapErr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Say which world of `asterbot:agent` a component fits, or what it lacks.
///
/// A world is a role (a tool, a model,
/// a middleware, a front end, ...), or exactly which import or export is
/// missing or has another type. WASI imports are allowed: a recipe grants
/// them with annotations.
///
/// Exit codes: 0 it fits (the world given, or some world), 1 it does not,
/// 2 a usage error.
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot targets weather.wasm
  asterbot targets weather.wasm --world tool")]
pub struct TargetsArgs {
    /// The component (`.wasm`).
    component: PathBuf,

    /// Check only this world (`tool`, `llm-provider`, `middleware`, ...).
    #[arg(long, value_name = "WORLD")]
    world: Option<String>,
}

impl TargetsArgs {
    /// Checks the component and reports the best fit, or what is wrong.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let bytes = std::fs::read(&self.component)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read `{}`", self.component.display()))?;
        let found = targets(&bytes, self.world.as_deref())
            .map_err(|e| miette::miette!("`{}`: {e}", self.component.display()))?;
        let shown = self.component.display();
        let fits: Vec<&str> = found.fits().map(|w| w.world.as_str()).collect();
        if let Some((best, others)) = fits.split_first() {
            print!("{shown} fits world `{best}` of asterbot:agent");
            if !others.is_empty() {
                print!(" (and also {})", others.join(", "));
            }
            println!();
            describe(&found);
            return Ok(ExitCode::SUCCESS);
        }
        let nearest = &found.worlds[0];
        let closest: Vec<&str> = found
            .worlds
            .iter()
            .skip(1)
            .filter(|w| w.problems.len() == nearest.problems.len())
            .map(|w| w.world.as_str())
            .collect();
        match &self.world {
            Some(world) => println!("{shown} does not fit world `{world}` of asterbot:agent:"),
            None if nearest.vacuous() => {
                println!(
                    "{shown} fits no world of asterbot:agent: it exports none of asterbot's interfaces"
                );
                describe(&found);
                println!("`asterbot wit --out wit` writes the worlds, to build against.");
                return Ok(ExitCode::FAILURE);
            }
            None => println!(
                "{shown} fits no world of asterbot:agent; nearest is `{}`:",
                nearest.world
            ),
        }
        for problem in &nearest.problems {
            println!("  - {problem}");
        }
        if !closest.is_empty() && self.world.is_none() {
            println!("  (as near: {})", closest.join(", "));
        }
        describe(&found);
        println!("`asterbot wit --out wit` writes the worlds, to build against.");
        Ok(ExitCode::FAILURE)
    }
}

/// What the component exports, and the WASI it would need granted.
fn describe(found: &Targets) {
    println!("  exports: {}", list(&found.exports));
    println!(
        "  WASI it imports (a recipe grants it with annotations): {}",
        wasi_summary(&found.wasi)
    );
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// `wasi:cli@0.2.6 (environment, exit), wasi:io@0.2.6 (streams)` for a
/// list of WASI interface names.
fn wasi_summary(imports: &[String]) -> String {
    let mut packages: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for import in imports {
        let (path, version) = import.split_once('@').unwrap_or((import, ""));
        let (package, interface) = path.split_once('/').unwrap_or((path, ""));
        let key = if version.is_empty() {
            package.to_string()
        } else {
            format!("{package}@{version}")
        };
        packages.entry(key).or_default().push(interface);
    }
    let groups: Vec<String> = packages
        .into_iter()
        .map(|(package, interfaces)| format!("{package} ({})", interfaces.join(", ")))
        .collect();
    list(&groups)
}
