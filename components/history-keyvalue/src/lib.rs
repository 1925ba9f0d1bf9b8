//! History in a key-value store: one key per session (`session/<id>`)
//! holding its messages as JSON, written whole with one `set`, so a
//! replica that dies mid-turn leaves the previous turn's value intact and
//! any replica sharing the store reads the same conversation.
//!
//! Appending and compaction come from `history-store`, as for
//! `history-file`; the two swap in one recipe line. Two turns of one
//! session running at the same moment on two replicas are not merged: the
//! later write wins (a client waits for a turn's answer before the next).

use history_store::record::Record;
use history_store::{Message, Store};

struct KeyValueHistory;

/// The key of `session`'s messages.
fn key(session: &str) -> String {
    format!("session/{session}")
}

impl Store for KeyValueHistory {
    fn load(session: &str) -> Result<Vec<Message>, String> {
        let Some(text) = keyvalue::get_text(&key(session))? else {
            return Ok(Vec::new());
        };
        let records: Vec<Record> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "the stored history of session `{session}` cannot be read ({e}); it was left as it is"
            )
        })?;
        Ok(records.into_iter().map(Message::from).collect())
    }

    fn save(session: &str, messages: &[Message]) -> Result<(), String> {
        let records: Vec<Record> = messages.iter().map(Record::from).collect();
        let text = serde_json::to_string(&records).map_err(|e| e.to_string())?;
        keyvalue::set(&key(session), text.as_bytes())
    }
}

history_store::export_history!(KeyValueHistory);
