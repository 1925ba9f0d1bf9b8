//! Saying why a turn was stopped: which limit was hit or what trapped, and
//! in which recipe instance, from the record the composer embeds (see
//! [`Owners`]), else from the code's own names.

use crate::limits::LimitHit;
use asterbot_artifact::Section;
use wasmtime::{FrameInfo, Trap, WasmBacktrace};

/// Which recipe instance each core module of an agent belongs to, by the
/// module's index in the artifact (wasmtime's static module index). Empty
/// for an artifact without the record: faults then name modules.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    by_module: Vec<Owner>,
}

/// The instances of the component a core module is part of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    instances: Vec<String>,
    package: Option<String>,
}

impl Owners {
    /// Reads the record from the top level of the artifact `bytes`,
    /// skipping over every nested module and component.
    pub fn read(bytes: &[u8]) -> Owners {
        // `asterbot compose` records there (`asterbot_composer::modules`)
        // a list of runs `{"modules": N, "instances": [...], "package":
        // ...}` covering the artifact's core modules in the order of its
        // bytes.
        let Some(data) = Section::Modules.read(bytes) else {
            return Owners::default();
        };
        let Ok(serde_json::Value::Array(runs)) = serde_json::from_slice(data) else {
            return Owners::default();
        };
        let mut by_module = Vec::new();
        for run in runs {
            let owner = Owner {
                instances: run["instances"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                package: run["package"].as_str().map(str::to_string),
            };
            let modules = run["modules"].as_u64().unwrap_or(0) as usize;
            by_module.extend(std::iter::repeat_n(owner, modules));
        }
        Owners { by_module }
    }

    /// Who made the innermost wasm call of `backtrace`: the recipe
    /// instance that owns its module (`None` if unrecorded, or shared by
    /// several instances of a package), and whether that is one of
    /// asterbot's own front ends, which resolve only from the binary.
    pub fn writer(&self, backtrace: &WasmBacktrace) -> Option<(String, bool)> {
        let owner = self.of(backtrace.frames().first()?)?;
        let [instance] = owner.instances.as_slice() else {
            return None;
        };
        let front_end = matches!(
            owner.package.as_deref(),
            Some("asterbot:cli" | "asterbot:ask-terminal")
        );
        Some((instance.clone(), front_end))
    }

    /// The owner of the module `frame` runs in, if recorded and named.
    fn of(&self, frame: &FrameInfo) -> Option<&Owner> {
        let index = frame.module().functions().next()?.module.as_u32() as usize;
        self.by_module
            .get(index)
            .filter(|owner| !owner.instances.is_empty())
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.instances.iter().map(|i| format!("`{i}`")).collect();
        match (names.as_slice(), &self.package) {
            ([one], Some(package)) => write!(f, "instance {one} ({package})"),
            ([one], None) => write!(f, "instance {one}"),
            (many, Some(package)) => {
                write!(f, "an instance of {package} ({})", many.join(" or "))
            }
            (many, None) => write!(f, "one of the instances {}", many.join(", ")),
        }
    }
}

/// Crates whose frames say nothing about what the component was doing.
const SUPPORT_CRATES: [&str; 9] = [
    "std",
    "core",
    "alloc",
    "__rustc",
    "wit_bindgen",
    "wit_bindgen_rt",
    "serde",
    "serde_json",
    "dlmalloc",
];

/// The functions of asterbot's stdio guard that stop an instance, and what
/// the instance tried.
const GUARD_STOPS: [(&str, &str); 2] = [
    (
        "only_the_front_end_may_read_standard_input",
        "it tried to read standard input, which only the front end may (the input was left for the agent)",
    ),
    (
        "only_the_front_end_may_exit",
        "it tried to end the run, which only the front end may",
    ),
];

/// A sentence about `error`, which stopped a run: the limit it hit, or the
/// trap, and the recipe instance it happened in.
pub fn describe(error: &wasmtime::Error, memory_limit: Option<usize>, owners: &Owners) -> String {
    if let Some(stopped) = error
        .downcast_ref::<WasmBacktrace>()
        .and_then(|backtrace| stopped_by_guard(backtrace, owners))
    {
        return stopped;
    }
    if let Some(crate::agent::Stuck(hit)) = error.downcast_ref() {
        return format!(
            "the agent was stopped while it waited on the host (a sleep, a poll, the network): {hit}"
        );
    }
    let place = error
        .downcast_ref::<WasmBacktrace>()
        .and_then(|backtrace| place_of(backtrace, owners))
        .map(|(place, function)| match function {
            Some(function) => format!("{place} (at `{function}`)"),
            None => place,
        })
        .unwrap_or_else(|| "the agent".to_string());
    if let Some(hit) = error.downcast_ref::<LimitHit>() {
        return format!("{place} was stopped: {hit}");
    }
    if let Some(max) = memory_limit {
        return format!("{place} was stopped: {}", LimitHit::Memory(max));
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::UnreachableCodeReached) => {
            format!("{place} crashed (it panicked or aborted)")
        }
        Some(trap) => format!("{place} crashed: {trap}"),
        None => format!("{place} failed: {error:#}"),
    }
}

/// When a guard stopped an instance on purpose: which one, and why.
fn stopped_by_guard(backtrace: &WasmBacktrace, owners: &Owners) -> Option<String> {
    let frames = backtrace.frames();
    let (at, why) = frames.iter().enumerate().find_map(|(at, frame)| {
        let name = frame.func_name()?;
        GUARD_STOPS
            .iter()
            .find(|(function, _)| name.contains(function))
            .map(|(_, why)| (at, *why))
    })?;
    let guard = owners.of(&frames[at]);
    let culprit = frames[at..]
        .iter()
        .find_map(|frame| owners.of(frame).filter(|owner| Some(*owner) != guard))
        .map(Owner::to_string);
    let guard = frames[at].module().name();
    let culprit = culprit.unwrap_or_else(|| {
        frames[at..]
            .iter()
            .filter_map(|frame| frame.module().name())
            .find(|module| Some(*module) != guard)
            .map_or_else(
                || "a component".to_string(),
                |m| format!("component `{}`", component_name(m)),
            )
    });
    Some(format!("{culprit} was stopped: {why}"))
}

/// Where a backtrace points: the recipe instance of its innermost frame
/// when the artifact records one, else the component named by the
/// innermost module that has a name; and the innermost function there
/// that is its own code, if any.
fn place_of(backtrace: &WasmBacktrace, owners: &Owners) -> Option<(String, Option<String>)> {
    let frames = backtrace.frames();
    if let Some(owner) = frames.iter().find_map(|frame| owners.of(frame)) {
        let function = frames
            .iter()
            .filter(|frame| owners.of(frame) == Some(owner))
            .filter_map(|frame| frame.func_name())
            .map(clean_function)
            .find(|function| is_own_code(function));
        return Some((owner.to_string(), function));
    }
    component_of(frames)
}

/// The component a backtrace points at, from the name of the innermost
/// module that has one (`misbehave.wasm`, `cli-<hash>.wasm`), and the
/// innermost function of it that is its own code, if any.
fn component_of(frames: &[FrameInfo]) -> Option<(String, Option<String>)> {
    let module = frames.iter().find_map(|frame| frame.module().name())?;
    let function = frames
        .iter()
        .filter(|frame| frame.module().name() == Some(module))
        .filter_map(|frame| frame.func_name())
        .map(clean_function)
        .find(|function| is_own_code(function));
    Some((format!("component `{}`", component_name(module)), function))
}

/// `misbehave` for `misbehave.wasm`, `cli` for `cli-7410a52dacbe1ae9.wasm`,
/// `agent-core` for `agent_core.wasm`.
fn component_name(module: &str) -> String {
    let name = module.strip_suffix(".wasm").unwrap_or(module);
    let name = match name.rsplit_once('-') {
        Some((base, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            base
        }
        _ => name,
    };
    name.replace('_', "-")
}

/// A function name demangled, without crate hashes (`std[1f2e]::x`) or
/// symbol hashes (`::h0123456789abcdef`).
fn clean_function(name: &str) -> String {
    let name = format!("{:#}", rustc_demangle::demangle(name));
    let mut clean = String::with_capacity(name.len());
    let mut depth = 0;
    for c in name.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => clean.push(c),
            _ => {}
        }
    }
    match clean.rsplit_once("::h") {
        Some((base, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            base.to_string()
        }
        _ => clean,
    }
}

/// Whether a function is the component's own: a Rust path outside the
/// support crates, or an export of a WIT interface (`...#call`).
fn is_own_code(function: &str) -> bool {
    let path = function.trim_start_matches('<');
    match path.split_once("::") {
        Some((first, _)) => !SUPPORT_CRATES.contains(&first),
        None => function.contains('#'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_and_functions_are_named_plainly() {
        assert_eq!(component_name("misbehave.wasm"), "misbehave");
        assert_eq!(component_name("cli-7410a52dacbe1ae9.wasm"), "cli");
        assert_eq!(component_name("agent_core.wasm"), "agent-core");
        assert_eq!(
            clean_function("misbehave::spin::h25a0b3052b989039"),
            "misbehave::spin"
        );
        assert_eq!(
            clean_function("_ZN9misbehave4spin17h25a0b3052b989039E"),
            "misbehave::spin"
        );
        assert_eq!(
            clean_function("std[d123b7a1a2ed1472]::process::abort"),
            "std::process::abort"
        );
        assert!(is_own_code("misbehave::spin"));
        assert!(is_own_code("asterbot:agent/tools@0.1.0#call"));
        assert!(!is_own_code("std::process::abort"));
        assert!(!is_own_code("std::panicking::panic_handler::{closure#0}"));
        assert!(!is_own_code("abort"));
        assert!(!is_own_code("dlmalloc"));
    }
}
