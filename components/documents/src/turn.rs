//! The session of the current turn, as far as a library can know it.
//!
//! Tools are called without a session; the prompt section is asked for
//! first in every turn, with the session. A served agent answers each
//! request in a fresh instance, and a command-line agent talks in one
//! session, so the session the section was last asked for is the turn's:
//! what the library keeps for a principal is scoped by it (see
//! [`crate::bucket`]).

use std::cell::RefCell;

thread_local! {
    static SESSION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Starts a turn of `session`.
pub fn begin(session: &str) {
    SESSION.with(|current| *current.borrow_mut() = Some(session.to_string()));
}

/// The principal of the current turn's session, if its front end named
/// one.
pub fn principal() -> Option<String> {
    SESSION.with(|current| {
        current
            .borrow()
            .as_deref()
            .and_then(asterbot_sdk::session::principal)
            .map(str::to_string)
    })
}
