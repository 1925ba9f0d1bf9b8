//! History kept in the component's memory: a conversation lasts as long as
//! the process (for example several stdin lines in one run) and is gone
//! afterwards. The persistent store is a separate component.

wit_bindgen::generate!({ path: "../../wit", world: "history-provider" });

use asterbot::agent::types::Message;
use exports::asterbot::agent::history::Guest;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static SESSIONS: RefCell<HashMap<String, Vec<Message>>> = RefCell::new(HashMap::new());
}

struct Ephemeral;

impl Guest for Ephemeral {
    fn load(session: String) -> Result<Vec<Message>, String> {
        Ok(SESSIONS.with_borrow(|s| s.get(&session).cloned().unwrap_or_default()))
    }

    fn append(session: String, messages: Vec<Message>) -> Result<(), String> {
        SESSIONS.with_borrow_mut(|s| s.entry(session).or_default().extend(messages));
        Ok(())
    }
}

export!(Ephemeral);
