//! The key-value store is a capability like any other: each instance sees
//! only the keys under the prefix its recipe allows (`@allow-keyvalue`),
//! and none without. A snooping tool composed beside the memory tries to
//! list and read the memory's keys; the control, the same tool allowed
//! `*`, reads them, so the test fails without the guard.

mod common;

use serde_json::{Value, json};
use std::path::Path;

/// An agent with memory in the store and the `snoop` fixture, whose
/// annotation is `snoop_annotation`.
fn agent(dir: &Path, snoop_annotation: &str) -> std::path::PathBuf {
    let recipe = format!(
        r#"package test:kv;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-keyvalue memory
let memory = new asterbot:memory-keyvalue {{ ... }};
{snoop_annotation}
let snoop = new test:kv-snoop {{ ... }};
let tools = new asterbot:tools-join {{ first: snoop.tools, rest: memory.tools, ... }};
/// @allow-keyvalue history
let history = new asterbot:history-keyvalue {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: tools.tools, context: memory.context, history: history.history, ... }};
/// @allow-env ASTERBOT_SESSION
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    );
    common::compose_text(dir, "snoop", &recipe)
}

/// Runs one turn of `agent` with the store `state`, as session `session`.
fn turn(dir: &Path, agent: &Path, state: &Path, session: &str, message: &str) -> String {
    let script = json!({"rules": [
        {"on": "tool", "reply": "{result}"},
        {"match": "^remember (.+)", "call": [{"tool": "memory_write", "arguments": {"name": "facts", "content": "{1}"}}]},
        {"match": "^snoop (.+)", "call": [{"tool": "snoop", "arguments": {"key": "{1}"}}]},
    ]});
    let mut flags = common::script_flags(dir, &script.to_string());
    flags.extend([
        "--keyvalue".to_string(),
        state.display().to_string(),
        "--session".to_string(),
        session.to_string(),
    ]);
    common::reply(&common::run(agent, &common::strs(&flags), message))
}

/// What the snoop saw: every key it could list, and the value it read.
fn snoop(dir: &Path, agent: &Path, state: &Path, key: &str) -> Value {
    let reply = turn(dir, agent, state, "snooper", &format!("snoop {key}"));
    serde_json::from_str(&reply).unwrap_or_else(|_| json!({"error": reply}))
}

#[test]
fn an_instance_reads_and_lists_only_its_own_keys() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.redb");
    let guarded = agent(dir.path(), "/// @allow-keyvalue snoop");
    assert_eq!(
        turn(
            dir.path(),
            &guarded,
            &state,
            "victim",
            "remember the secret is 42"
        ),
        "saved note `facts`"
    );
    for key in [
        "memory/memory/facts",
        "../memory/memory/facts",
        "memory/facts",
    ] {
        let seen = snoop(dir.path(), &guarded, &state, key);
        assert_eq!(seen["value"], Value::Null, "{key}: {seen}");
        let keys: Vec<&str> = seen["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(
            keys.iter()
                .all(|k| !k.contains("memory") && !k.contains("session")),
            "the snoop listed another instance's keys: {keys:?}"
        );
    }

    // Without an annotation, the store does not open at all.
    let denied = agent(dir.path(), "");
    let seen = snoop(dir.path(), &denied, &state, "memory/memory/facts");
    assert!(
        seen["error"]
            .as_str()
            .unwrap_or_default()
            .contains("@allow-keyvalue"),
        "{seen}"
    );

    // The control: allowed every key, the same tool reads the memory's note
    // and sees the conversations.
    let open = agent(dir.path(), "/// @allow-keyvalue *");
    let seen = snoop(dir.path(), &open, &state, "memory/memory/facts");
    assert_eq!(seen["value"], "the secret is 42", "{seen}");
    let keys = seen["keys"].to_string();
    assert!(keys.contains("history/turn/victim/1"), "{keys}");
}

#[test]
fn one_prefix_per_instance_and_a_prefix_never_nests() {
    let dir = tempfile::tempdir().unwrap();
    for (annotation, expected) in [
        ("/// @allow-keyvalue a b", "names more than one value"),
        ("/// @allow-keyvalue a/b", "prefixes never nest"),
    ] {
        let recipe = format!(
            "package test:kv;\n{annotation}\nlet memory = new asterbot:memory-keyvalue {{ ... }};\nexport memory.tools;\n"
        );
        let path = dir.path().join("bad.wac");
        std::fs::write(&path, recipe).unwrap();
        let output = common::compose_with(&path, &dir.path().join("bad.wasm"), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{annotation}");
        assert!(stderr.contains(expected), "{annotation}: {stderr}");
        assert!(stderr.contains("bad.wac"), "{stderr}");
    }
}

#[test]
fn notes_are_listed_from_their_own_index_and_deleting_one_unlists_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.redb");
    let agent = agent(dir.path(), "/// @allow-keyvalue snoop");
    let script = json!({"rules": [
        {"on": "tool", "reply": "{result}"},
        {"match": "^remember (\\w+) (.+)", "call": [{"tool": "memory_write", "arguments": {"name": "{1}", "content": "{2}"}}]},
        {"match": "^forget (\\w+)", "call": [{"tool": "memory_delete", "arguments": {"name": "{1}"}}]},
        {"match": "^notes", "reply": "{section:Memory}"},
    ]});
    let mut flags = common::script_flags(dir.path(), &script.to_string());
    flags.extend(["--keyvalue".to_string(), state.display().to_string()]);
    let say = |message: &str| common::reply(&common::run(&agent, &common::strs(&flags), message));
    assert!(say("notes").starts_with("You have no saved notes yet"));
    say("remember tea green");
    say("remember tea green, again");
    say("remember pin is 4711");
    let listed = say("notes");
    assert!(
        listed.ends_with("Saved notes: pin, tea. None seems related to this message."),
        "each name once: {listed}"
    );
    say("forget tea");
    assert!(say("notes").contains("Saved notes: pin."));
    // The snoop, allowed every key, sees the index beside the notes.
    let open = self::agent(dir.path(), "/// @allow-keyvalue *");
    let seen = snoop(dir.path(), &open, &state, "memory/memory-index/count");
    // Two names were created; writing one again added no slot.
    assert_eq!(seen["value"], "2", "{seen}");
}
