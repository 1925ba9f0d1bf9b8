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
//! read as the base it was.
//!
//! A session expires `ASTERBOT_HISTORY_TTL` after its last turn (`30d` by
//! default; `12h`, `45m`, `90s`, seconds, or `never`): it then reads as
//! empty, and its next turn deletes its earlier keys and starts it again.
//!
//! Loading reads the counter (a plain read, no write) and the keys it
//! names: it never lists the store, so a turn costs the same with ten
//! sessions stored or a million. A turn writes three keys: the counter,
//! its own, and the base. Appending and compaction rules come from
//! `history-store`; `history-file` swaps in with one recipe line.

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
    /// When a turn was last added (seconds since the Unix epoch; 0: not
    /// known, as in an earlier version's record).
    #[serde(default)]
    touched: u64,
}

/// The setting: how long a session lasts after its last turn (`30d`,
/// `12h`, `45m`, `90s` or seconds; `never`).
const TTL_ENV: &str = "ASTERBOT_HISTORY_TTL";

/// How long a session lasts after its last turn, by default.
const DEFAULT_TTL: u64 = 30 * 24 * 60 * 60;

/// The configured time to live, in seconds; `None`: sessions never
/// expire. A value that does not parse keeps the default.
fn ttl() -> Option<u64> {
    let Ok(value) = std::env::var(TTL_ENV) else {
        return Some(DEFAULT_TTL);
    };
    parse_ttl(&value).unwrap_or(Some(DEFAULT_TTL))
}

/// `30d`, `12h`, `45m`, `90s`, `3600` or `never`.
fn parse_ttl(value: &str) -> Option<Option<u64>> {
    let value = value.trim();
    if value == "never" {
        return Some(None);
    }
    let (number, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => value.split_at(at),
        None => (value, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return None,
    };
    number.parse::<u64>().ok().map(|n| Some(n * scale))
}

/// Now, in seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
            touched: 0,
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
    /// The session outlived its time to live: nothing of it counts, and
    /// turns `1..=count` are gone.
    expired: Option<u64>,
}

fn read(session: &str) -> Result<Stored, String> {
    let base = base(session)?;
    let count = keyvalue::counter(&count_key(session))?;
    if let Some(ttl) = ttl()
        && base.touched != 0
        && now().saturating_sub(base.touched) > ttl
    {
        return Ok(Stored {
            whole: Vec::new(),
            upto: count,
            rest: Vec::new(),
            expired: Some(count),
        });
    }
    let mut stored = Stored {
        whole: base.messages.into_iter().map(Message::from).collect(),
        upto: base.upto,
        rest: Vec::new(),
        expired: None,
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
        let count = keyvalue::counter(&count_key(session))?;
        write_base(session, count, messages)
    }

    fn append(session: &str, messages: Vec<Message>) -> Result<(), String> {
        // An expired session starts again: its earlier turns are dropped
        // (from the store too) before this one is added.
        if let Some(count) = read(session)?.expired {
            for n in 1..=count {
                keyvalue::delete(&turn_key(session, n))?;
            }
            keyvalue::delete(&legacy_key(session))?;
            put_base(session, count, &[])?;
        }
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
    put_base(session, upto, messages)
}

/// Writes the base of `session` covering turns `1..=upto`, touched now.
fn put_base(session: &str, upto: u64, messages: &[Message]) -> Result<(), String> {
    let base = Base {
        upto,
        messages: messages.iter().map(Record::from).collect(),
        touched: now(),
    };
    let text = serde_json::to_string(&base).map_err(|e| e.to_string())?;
    keyvalue::set(&base_key(session), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn a_time_to_live_is_read_with_its_unit() {
        assert_eq!(parse_ttl("30d"), Some(Some(30 * 86_400)));
        assert_eq!(parse_ttl("12h"), Some(Some(43_200)));
        assert_eq!(parse_ttl("90"), Some(Some(90)));
        assert_eq!(parse_ttl("never"), Some(None));
        assert_eq!(parse_ttl("3w"), None);
        assert_eq!(parse_ttl("h"), None);
    }
}

history_store::export_history!(KeyValueHistory);
