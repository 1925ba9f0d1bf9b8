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
