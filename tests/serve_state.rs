//! What a served agent keeps for a client is that client's own: a note
//! one key saves, another key neither reads nor deletes, unless the
//! recipe declares the notes shared (`@set ASTERBOT_DOCUMENTS_SHARED=1`),
//! which is the control: the same probe then reads the other's note.

mod common;

use common::serving::{KEY, Served, chat_as, client};
use std::path::{Path, PathBuf};

/// A second client's key.
const OTHER: &str = "test-key-another-client";

/// The shipped serving agent, its notes shared or not.
fn agent(dir: &Path, shared: bool) -> PathBuf {
    let mut recipe = std::fs::read_to_string(common::repo().join("recipes/serve.wac")).unwrap();
    if shared {
        recipe = recipe.replace(
            "/// @allow-keyvalue memory\n",
            "/// @allow-keyvalue memory\n/// @set ASTERBOT_DOCUMENTS_SHARED=1\n",
        );
    }
    let name = if shared { "shared" } else { "own" };
    common::compose_text(dir, name, &recipe)
}

/// What `OTHER` gets when asking for the notes after `KEY` saved one,
/// each in a session of its own.
fn probe(agent: &Path) -> (String, String) {
    let served = Served::asterbot(agent, &["--keyvalue", "memory", "--api-key", OTHER]);
    let http = client();
    let saved = chat_as(
        &http,
        &served.url,
        KEY,
        "mine",
        "remember that my pin is 4711",
    );
    assert_eq!(saved.reply(), "I will remember that.");
    let own = chat_as(&http, &served.url, KEY, "later", "what do you remember?").reply();
    let other = chat_as(&http, &served.url, OTHER, "theirs", "what do you remember?").reply();
    (own, other)
}

#[test]
fn a_note_is_the_principals_own_unless_the_recipe_shares_notes() {
    let dir = tempfile::tempdir().unwrap();
    let (own, other) = probe(&agent(dir.path(), false));
    // The key that saved it reads it in any of its sessions.
    assert!(own.contains("my pin is 4711"), "{own}");
    assert!(
        !other.contains("4711"),
        "another key read the note: {other}"
    );
    // The control: shared by the recipe, the other key reads it.
    let (_, other) = probe(&agent(dir.path(), true));
    assert!(other.contains("my pin is 4711"), "{other}");
}

/// The script folder and its variable, with a rule quoting every earlier
/// message of the session (what the stored history holds).
fn recount_script(dir: &Path) -> [String; 4] {
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(
        scripts.join("recount.json"),
        r#"{"rules":[{"match":"^recount","reply":"said: {said}"},{"reply":"ok"}]}"#,
    )
    .unwrap();
    [
        "--dir".to_string(),
        format!("{}::/scripts", scripts.display()),
        "--env".to_string(),
        "ASTERBOT_SCRIPT=/scripts/recount.json".to_string(),
    ]
}

#[test]
fn a_session_expires_after_its_time_to_live() {
    let dir = tempfile::tempdir().unwrap();
    let agent = common::serving::serve_agent();
    let script = recount_script(dir.path());
    let said = |ttl: &str| {
        let mut flags: Vec<&str> = script.iter().map(String::as_str).collect();
        let ttl = format!("ASTERBOT_HISTORY_TTL={ttl}");
        flags.extend(["--keyvalue", "memory", "--env", &ttl]);
        let served = Served::asterbot(agent, &flags);
        let http = client();
        assert_eq!(
            chat_as(&http, &served.url, KEY, "s", "first words").reply(),
            "ok"
        );
        // Past a one-second time to live (a wait, not a measurement).
        std::thread::sleep(std::time::Duration::from_millis(2500));
        chat_as(&http, &served.url, KEY, "s", "recount").reply()
    };
    assert_eq!(said("1s"), "said: ", "the session expired");
    // The control: a session that never expires keeps its first words.
    assert_eq!(said("never"), "said: first words");
}
