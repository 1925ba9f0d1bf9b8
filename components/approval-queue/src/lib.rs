//! `approval-queue`: the approver of a served agent. When the approval
//! gate asks about a call, nobody is there to answer: the call is stored
//! as waiting, under a random id, and the gate is told `pending`. The
//! front end reports the waiting calls of the turn (`waiting`), and a
//! person decides later (`decide`, from `POST /v1/approvals/{id}`). When
//! the model asks for the same call in the same session again, the stored
//! decision answers, once.
//!
//! Everything lives in the key-value store, under the instance's own keys:
//! `call/<id>` (the call and its state) and `index/<fingerprint>` (the id
//! of a session's call), so any replica answers and nothing is kept in
//! the instance between requests.

use asterbot_sdk::worlds::approver_stored::exports;

use exports::asterbot::agent::approval::{Decision, Guest as Approval, Request};
use exports::asterbot::agent::approval_queue::{DecideError, Guest as Queue, WaitingCall};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

thread_local! {
    /// The session of the current turn.
    static SESSION: RefCell<String> = const { RefCell::new(String::new()) };
    /// The calls this turn left waiting.
    static WAITING: RefCell<Vec<WaitingCall>> = const { RefCell::new(Vec::new()) };
    /// The calls of this turn refused because a person denied them.
    static DENIED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Where a stored call stands.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum State {
    Waiting,
    Allowed,
    Denied,
}

/// A call as stored.
#[derive(Serialize, Deserialize, Debug)]
struct Call {
    session: String,
    tool: String,
    arguments: String,
    state: State,
}

/// A 128-bit fingerprint of a session's call (two FNV-1a hashes), as hex:
/// the index key; the stored call is compared in full before it counts.
fn fingerprint(session: &str, tool: &str, arguments: &str) -> String {
    let hash = |seed: u64| {
        let mut hash = seed;
        for part in [session, tool, arguments] {
            for byte in part.bytes().chain([0xff]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        hash
    };
    format!(
        "{:016x}{:016x}",
        hash(0xcbf2_9ce4_8422_2325),
        hash(0x6c62_272e_07bb_0142)
    )
}

fn call_key(id: &str) -> String {
    format!("call/{id}")
}

fn load(id: &str) -> Result<Option<Call>, String> {
    let Some(text) = keyvalue::get_text(&call_key(id))? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("the stored approval `{id}` cannot be read: {e}"))
}

fn store(id: &str, call: &Call) -> Result<(), String> {
    let text = serde_json::to_string(call).map_err(|e| e.to_string())?;
    keyvalue::set(&call_key(id), text.as_bytes())
}

/// A new random call id.
fn new_id() -> String {
    wasip2::random::random::get_random_bytes(16)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Notes `call` as waiting in this turn (once).
fn note_waiting(id: &str, call: &Call) {
    WAITING.with_borrow_mut(|waiting| {
        if !waiting.iter().any(|w| w.id == id) {
            waiting.push(WaitingCall {
                id: id.to_string(),
                tool: call.tool.clone(),
                arguments: call.arguments.clone(),
            });
        }
    });
}

/// The decision on `request` in `session`, storing it as waiting if it
/// was never asked.
fn ask(session: &str, request: &Request) -> Result<Decision, String> {
    let index = format!(
        "index/{}",
        fingerprint(session, &request.tool, &request.arguments)
    );
    let stored = match keyvalue::get_text(&index)? {
        Some(id) => load(&id)?.map(|call| (id, call)),
        None => None,
    };
    if let Some((id, call)) = stored.filter(|(_, call)| {
        call.session == session && call.tool == request.tool && call.arguments == request.arguments
    }) {
        let decision = match call.state {
            State::Waiting => {
                note_waiting(&id, &call);
                return Ok(Decision::Pending);
            }
            State::Allowed => Decision::AllowOnce,
            State::Denied => {
                DENIED.set(DENIED.get().saturating_add(1));
                Decision::Deny
            }
        };
        // A decision answers once.
        keyvalue::delete(&call_key(&id))?;
        keyvalue::delete(&index)?;
        return Ok(decision);
    }
    let id = new_id();
    let call = Call {
        session: session.to_string(),
        tool: request.tool.clone(),
        arguments: request.arguments.clone(),
        state: State::Waiting,
    };
    store(&id, &call)?;
    keyvalue::set(&index, id.as_bytes())?;
    note_waiting(&id, &call);
    Ok(Decision::Pending)
}

struct Stored;

impl Approval for Stored {
    fn ask(request: Request) -> Decision {
        let session = SESSION.with_borrow(Clone::clone);
        match ask(&session, &request) {
            Ok(decision) => decision,
            Err(problem) => {
                eprintln!("asterbot: approval-queue: {problem}; the call was not run");
                Decision::Unavailable
            }
        }
    }
}

impl Queue for Stored {
    fn begin_turn(session: String) {
        SESSION.with_borrow_mut(|current| *current = session);
        WAITING.with_borrow_mut(Vec::clear);
        DENIED.set(0);
    }

    fn waiting() -> Vec<WaitingCall> {
        WAITING.with_borrow(Clone::clone)
    }

    fn denied() -> u32 {
        DENIED.get()
    }

    fn decide(id: String, allow: bool) -> Result<WaitingCall, DecideError> {
        let plain = !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit());
        if !plain {
            return Err(DecideError::Unknown);
        }
        let mut call = load(&id)
            .map_err(DecideError::Failed)?
            .ok_or(DecideError::Unknown)?;
        if call.state != State::Waiting {
            return Err(DecideError::AlreadyDecided);
        }
        call.state = if allow { State::Allowed } else { State::Denied };
        store(&id, &call).map_err(DecideError::Failed)?;
        Ok(WaitingCall {
            id,
            tool: call.tool,
            arguments: call.arguments,
        })
    }
}

asterbot_sdk::export_approver_stored_world!(Stored);

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_tell_sessions_tools_and_arguments_apart() {
        let a = fingerprint("s1", "memory_delete", r#"{"name":"x"}"#);
        assert_eq!(a, fingerprint("s1", "memory_delete", r#"{"name":"x"}"#));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("s2", "memory_delete", r#"{"name":"x"}"#));
        assert_ne!(a, fingerprint("s1", "memory_write", r#"{"name":"x"}"#));
        assert_ne!(a, fingerprint("s1", "memory_delete", r#"{"name":"y"}"#));
        // Parts are delimited: moving a character across the border differs.
        assert_ne!(fingerprint("ab", "c", ""), fingerprint("a", "bc", ""));
    }
}
