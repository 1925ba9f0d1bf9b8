//! A [`Store`] in the component's memory: a conversation lasts as long as
//! the process and is gone afterwards.

use crate::{Message, Store};
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static SESSIONS: RefCell<HashMap<String, Vec<Message>>> = RefCell::new(HashMap::new());
}

/// Sessions kept for the life of the process.
pub struct InProcess;

impl InProcess {
    /// Whether `session` has messages in this process.
    pub fn has(session: &str) -> bool {
        SESSIONS.with_borrow(|s| s.contains_key(session))
    }
}

impl Store for InProcess {
    fn load(session: &str) -> Result<Vec<Message>, String> {
        Ok(SESSIONS.with_borrow(|s| s.get(session).cloned().unwrap_or_default()))
    }

    fn save(session: &str, messages: &[Message]) -> Result<(), String> {
        SESSIONS.with_borrow_mut(|s| s.insert(session.to_string(), messages.to_vec()));
        Ok(())
    }
}
