//! History kept in the component's memory: a conversation lasts as long as
//! the process (for example several stdin lines in one run) and is gone
//! afterwards. `history-file` is the persistent store with the same
//! imports, so the two swap in one recipe line.

use history_store::{Message, Store};
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static SESSIONS: RefCell<HashMap<String, Vec<Message>>> = RefCell::new(HashMap::new());
}

struct Ephemeral;

impl Store for Ephemeral {
    fn load(session: &str) -> Result<Vec<Message>, String> {
        Ok(SESSIONS.with_borrow(|s| s.get(session).cloned().unwrap_or_default()))
    }

    fn save(session: &str, messages: &[Message]) -> Result<(), String> {
        SESSIONS.with_borrow_mut(|s| s.insert(session.to_string(), messages.to_vec()));
        Ok(())
    }
}

history_store::export_history!(Ephemeral);
