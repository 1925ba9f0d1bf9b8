//! The offline agent with its state in a granted folder: memory written in
//! one run is read back in the next, the history continues across runs,
//! and the persona shapes its answers. Rewriting the persona needs a
//! person's approval (see `tests/approval.rs`): with nobody at a terminal
//! it is refused and the persona stays.

mod common;

use common::{offline_agent, reply, run, script_flags, strs, user_turns};
use std::path::Path;

fn say(agent: &Path, state: &Path, message: &str) -> String {
    let grant = format!("{}::/state", state.display());
    reply(&run(agent, &["--dir", &grant], message))
}

#[test]
fn memory_history_and_persona_persist_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();

    // The built-in persona until one is set.
    assert!(say(agent, &state, "who are you?").starts_with("I am asterbot"));
    // Nobody is at a terminal to approve a rewrite.
    assert_eq!(
        say(
            agent,
            &state,
            "from now on you are Captain Aster, a pirate who loves maps"
        ),
        "I could not use that tool: `persona_update` needs a person's approval and nobody is at a terminal to give it, so it was not run"
    );
    assert!(say(agent, &state, "who are you?").starts_with("I am asterbot"));
    // The person can write it themselves.
    std::fs::create_dir_all(state.join("soul")).unwrap();
    std::fs::write(
        state.join("soul/persona.md"),
        "You are Captain Aster, a pirate who loves maps",
    )
    .unwrap();
    assert_eq!(
        say(agent, &state, "remember that my favourite colour is green"),
        "I will remember that."
    );
    assert_eq!(
        say(agent, &state, "remember that I live in Oslo"),
        "I will remember that."
    );

    // Every call above was its own process; the state carried over.
    assert_eq!(
        say(agent, &state, "what do you remember?"),
        "I remember: my favourite colour is green\nI live in Oslo"
    );
    assert_eq!(
        say(agent, &state, "who are you?"),
        "I am Captain Aster, a pirate who loves maps"
    );
    assert_eq!(
        std::fs::read_to_string(state.join("memory/facts.md")).unwrap(),
        "my favourite colour is green\nI live in Oslo"
    );

    assert_eq!(
        user_turns(&state, "default"),
        [
            "who are you?",
            "from now on you are Captain Aster, a pirate who loves maps",
            "who are you?",
            "remember that my favourite colour is green",
            "remember that I live in Oslo",
            "what do you remember?",
            "who are you?"
        ]
    );
}

/// Seeds `files` (path in the state folder, text) and asks with a script
/// whose only reply is the prompt section `title`, so it shows what the
/// model was told.
fn section_for(files: &[(&str, &str)], title: &str, message: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent();
    let state = dir.path().join("state");
    for (path, text) in files {
        let path = state.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let script = format!(r#"{{"rules":[{{"reply":"{{section:{title}}}"}}]}}"#);
    let mut flags = vec!["--dir".to_string(), format!("{}::/state", state.display())];
    flags.extend(script_flags(dir.path(), &script));
    reply(&run(agent, &strs(&flags), message))
}

#[test]
fn the_memory_section_names_the_notes_related_to_the_message() {
    let notes = [
        ("memory/garden.md", "Tomatoes need water daily."),
        ("memory/travel.md", "Flight to Oslo on Monday."),
    ];
    assert_eq!(
        section_for(&notes, "Memory", "when is my flight to oslo?"),
        "Notes related to this message (read them with memory_read): travel. All notes: garden, travel."
    );
}

#[test]
fn note_names_that_could_escape_the_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let agent = offline_agent();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let script = r#"{"rules":[
            {"on":"tool","reply":"{result}"},
            {"call":[{"tool":"memory_write","arguments":{"name":"../escaped","content":"x"}}]}
        ]}"#;
    let mut flags = vec!["--dir".to_string(), format!("{}::/state", state.display())];
    flags.extend(script_flags(dir.path(), script));
    let answer = reply(&run(agent, &strs(&flags), "go"));
    assert!(
        answer.starts_with("error: invalid note name `../escaped`"),
        "{answer}"
    );
    assert!(!state.join("escaped.md").exists());
}

#[test]
fn the_skills_section_names_the_procedures_related_to_the_message() {
    let skills = [(
        "skills/release.md",
        "1. Tag the version.\n2. Publish the crate.",
    )];
    assert_eq!(
        section_for(&skills, "Skills", "how do I publish a new version?"),
        "Skills related to this message (read them with skills_read): release. All skills: release."
    );
}
