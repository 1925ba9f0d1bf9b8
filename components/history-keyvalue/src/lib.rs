//! History in a key-value store, shared by every replica of a served agent.
//!
//! Each turn is its own key, numbered by the store's atomic counter, so
//! two turns of one session at the same moment (two browser tabs, two
//! replicas) both stay, in the order they were numbered, and no turn
//! rewrites another's:
//!
//! - `count/<session>`: the number of turns ever appended (atomic);
//! - `turn/<session>/<n>`: the messages of turn `n`, as JSON;
//! - `base/<session>`: the history of turns `1..=upto` (compacted when it
//!   outgrows its budget), written after each turn; turns past it are
//!   read one by one.
//!
//! A session stored whole by an earlier version (`session/<session>`) is
//! read as the base it was. Loading reads the counter and the keys it
//! names: it never lists the store, so a turn costs the same with ten
//! sessions stored or a million. Appending and compaction rules come
//! from `history-store`; `history-file` swaps in with one recipe line.

use history_store::record::Record;
use history_store::{Message, Store};
use serde::{Deserialize, Serialize};

struct KeyValueHistory;

/// The compacted start of a session.
#[derive(Serialize, Deserialize, Default)]
struct Base {
    /// The last turn it covers.
    upto: u64,
    messages: Vec<Record>,
}

fn count_key(session: &str) -> String {
    format!("count/{session}")
}

fn turn_key(session: &str, n: u64) -> String {
    format!("turn/{session}/{n}")
}

fn base_key(session: &str) -> String {
    format!("base/{session}")
}

/// What an earlier version stored: the whole session in one key.
fn legacy_key(session: &str) -> String {
    format!("session/{session}")
}

fn unreadable(session: &str, e: impl std::fmt::Display) -> String {
    format!("the stored history of session `{session}` cannot be read ({e}); it was left as it is")
}

/// The base of `session`: the compacted one, an earlier version's whole
/// history, or nothing.
fn base(session: &str) -> Result<Base, String> {
    if let Some(text) = keyvalue::get_text(&base_key(session))? {
        return serde_json::from_str(&text).map_err(|e| unreadable(session, e));
    }
    match keyvalue::get_text(&legacy_key(session))? {
        Some(text) => Ok(Base {
            upto: 0,
            messages: serde_json::from_str(&text).map_err(|e| unreadable(session, e))?,
        }),
        None => Ok(Base::default()),
    }
}

/// A session as stored: the messages of every turn up to `upto` that are
/// all there (`whole`), and those after a turn that is numbered but not
/// yet written, still in flight (`rest`).
struct Stored {
    whole: Vec<Message>,
    upto: u64,
    rest: Vec<Message>,
}

fn read(session: &str) -> Result<Stored, String> {
    let base = base(session)?;
    let count = keyvalue::increment(&count_key(session), 0)?;
    let mut stored = Stored {
        whole: base.messages.into_iter().map(Message::from).collect(),
        upto: base.upto,
        rest: Vec::new(),
    };
    for n in base.upto + 1..=count {
        let Some(text) = keyvalue::get_text(&turn_key(session, n))? else {
            // In flight: this turn and those after it are not whole yet.
            stored.upto = stored.upto.min(n - 1);
            continue;
        };
        let records: Vec<Record> =
            serde_json::from_str(&text).map_err(|e| unreadable(session, e))?;
        let messages = records.into_iter().map(Message::from);
        if stored.upto == n - 1 {
            stored.whole.extend(messages);
            stored.upto = n;
        } else {
            stored.rest.extend(messages);
        }
    }
    Ok(stored)
}

impl Store for KeyValueHistory {
    fn load(session: &str) -> Result<Vec<Message>, String> {
        let mut stored = read(session)?;
        stored.whole.append(&mut stored.rest);
        Ok(stored.whole)
    }

    fn save(session: &str, messages: &[Message]) -> Result<(), String> {
        let count = keyvalue::increment(&count_key(session), 0)?;
        write_base(session, count, messages)
    }

    fn append(session: &str, messages: Vec<Message>) -> Result<(), String> {
        let records: Vec<Record> = messages.iter().map(Record::from).collect();
        let text = serde_json::to_string(&records).map_err(|e| e.to_string())?;
        let n = keyvalue::increment(&count_key(session), 1)?;
        keyvalue::set(&turn_key(session, n), text.as_bytes())?;
        // The turns that are all there fold into the base (compacted
        // when it outgrows its budget), so the next load reads two keys
        // and the turns since. The turn keys stay, so a base written by a
        // slower replica that covers fewer turns loses nothing.
        let stored = read(session)?;
        let folded = history_store::compact::compact(&stored.whole).unwrap_or(stored.whole);
        write_base(session, stored.upto, &folded)
    }
}

/// Writes the base of `session` covering turns `1..=upto`, unless a base
/// covering more is already there.
fn write_base(session: &str, upto: u64, messages: &[Message]) -> Result<(), String> {
    if base(session)?.upto > upto {
        return Ok(());
    }
    let base = Base {
        upto,
        messages: messages.iter().map(Record::from).collect(),
    };
    let text = serde_json::to_string(&base).map_err(|e| e.to_string())?;
    keyvalue::set(&base_key(session), text.as_bytes())
}

history_store::export_history!(KeyValueHistory);
