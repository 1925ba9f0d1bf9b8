//! An approver of a third party's making asks the person through the
//! front end's narrow `person` interface, never through the terminal
//! itself: it needs no `@front-end` (so it never gets standard input, and
//! cannot read the person's next message), its question is shown with
//! its escape sequences escaped and marked as an approver's, and the
//! person's answer decides. The control marks the same approver
//! `@front-end`, the old way to let it ask: then the audit hands it the
//! terminal's standard input and output.

mod common;

use common::pty::Terminal;
use common::{asterbot, compose_text};

fn recipe(front_end: bool) -> String {
    let mark = if front_end { "/// @front-end\n" } else { "" };
    format!(
        r#"package test:approver-recipe;
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
let memory = new asterbot:memory {{ ... }};
/// @front-end
let terminal = new asterbot:ask-terminal {{ ... }};
{mark}let approver = new test:approver {{ person: terminal.person, ... }};
/// @ask memory_delete
/// @set ASTERBOT_AUDIT_LOG=-
let gate = new asterbot:approval {{ tools: memory.tools, approval: approver.approval, ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: gate.tools, context: memory.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

/// The audit line of the approver.
fn approver_row(agent: &std::path::Path) -> String {
    let output = asterbot().arg("audit").arg(agent).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find(|l| l.trim_start().starts_with("approver "))
        .unwrap()
        .to_string()
}

#[test]
fn a_third_party_approver_asks_through_the_front_end_not_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(state.join("memory")).unwrap();
    std::fs::write(state.join("memory/facts.md"), "tea").unwrap();
    let agent = compose_text(dir.path(), "narrow", &recipe(false));
    assert!(!approver_row(&agent).contains("front end"));

    let command = common::asterbot_command_line(&format!(
        "run {} --dir {}::/state",
        agent.display(),
        state.display()
    ));
    let Some(mut terminal) = Terminal::start(&command) else {
        return;
    };
    terminal.wait_for("> ", 1);
    terminal.type_keys("forget facts\r");
    terminal.wait_for(
        "An approver of this agent asks: [policy check] may `memory_delete` run? \\x1b[8mhidden\\x1b[0m (yes/no)",
        1,
    );
    terminal.type_keys("no\r");
    terminal.wait_for("the person denied `memory_delete`", 1);
    assert!(state.join("memory/facts.md").exists());
    terminal.type_keys("forget facts\r");
    terminal.wait_for("(yes/no)", 2);
    terminal.type_keys("yes\r");
    terminal.wait_for("I have forgotten it.", 1);
    terminal.type_keys("\x04");
    let (ok, screen) = terminal.finish();
    assert!(ok, "{screen}");
    assert!(!state.join("memory/facts.md").exists());

    // The control: marked `@front-end`, the approver is handed the
    // terminal's standard input and output.
    let agent = compose_text(dir.path(), "front", &recipe(true));
    assert!(approver_row(&agent).contains("front end"));
}
