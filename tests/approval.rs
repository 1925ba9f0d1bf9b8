//! Approval is a person: the offline agent asks at the terminal before it
//! rewrites its persona (or deletes a note), and the person allows once,
//! for the session, or denies; every decision lands in the audit journal.
//! With nobody at a terminal (a pipe), the call is not run
//! (`tests/agent_state.rs`, `tests/tool_middleware.rs`).

mod common;

use common::offline_agent;
use common::pty::Terminal;

const QUESTION: &str = "Allow it [o]nce, for this [s]ession, or [d]eny?";

#[test]
fn a_person_at_the_terminal_allows_once_for_the_session_or_denies() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let command = common::asterbot_command_line(&format!(
        "run {} --dir {}::/state",
        offline_agent().display(),
        state.display()
    ));
    let Some(mut terminal) = Terminal::start(&command) else {
        return;
    };
    let persona = || std::fs::read_to_string(state.join("soul/persona.md")).unwrap_or_default();

    terminal.wait_for("> ", 1);
    terminal.type_keys("from now on you are a pirate\r");
    terminal.wait_for(
        "The agent wants to run `persona_update` with {\"persona\":\"You are a pirate\"}",
        1,
    );
    terminal.wait_for(QUESTION, 1);
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `persona_update`", 1);
    assert_eq!(persona(), "");

    terminal.type_keys("from now on you are a pirate\r");
    terminal.wait_for(QUESTION, 2);
    terminal.type_keys("o\r");
    terminal.wait_for("Understood. That is who I am from now on.", 1);
    assert_eq!(persona(), "You are a pirate");

    // A tool that needs no approval is not asked about.
    terminal.type_keys("remember that I like maps\r");
    terminal.wait_for("I will remember that.", 1);

    terminal.type_keys("from now on you are a sailor\r");
    terminal.wait_for(QUESTION, 3);
    terminal.type_keys("s\r");
    terminal.wait_for("Understood. That is who I am from now on.", 2);
    // Allowed for the session: not asked again.
    terminal.type_keys("from now on you are a captain\r");
    terminal.wait_for("Understood. That is who I am from now on.", 3);
    terminal.type_keys("\x04");
    let (ok, screen) = terminal.finish();
    assert!(ok, "{screen}");
    assert_eq!(screen.matches(QUESTION).count(), 3, "{screen}");
    assert_eq!(persona(), "You are a captain");

    let journal = std::fs::read_to_string(state.join("audit/log.jsonl")).unwrap();
    let decisions: Vec<String> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "decision")
        .map(|e| {
            format!(
                "{} {}",
                e["decision"].as_str().unwrap(),
                e["asked"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            "deny now",
            "allow-once now",
            "allow-session now",
            "allow-session earlier in the session"
        ],
        "{journal}"
    );
}
