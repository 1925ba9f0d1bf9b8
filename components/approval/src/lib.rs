//! `approval`: the approval gate. It wraps the tools its recipe gives it
//! and, before a call of a tool that needs approval runs, asks a person
//! through the front end's `approval` interface: allow once, allow for the
//! session, or deny. With nobody to ask (no terminal), the call is not
//! run; with a person who answers later (over HTTP), it is not run yet,
//! and runs when the model asks again after they allowed it. Every decision is written to the audit journal before the call.
//!
//! Which tools need approval is baked into the artifact by the recipe,
//! never taken from the runtime's environment:
//!
//! ```wac
//! /// @ask memory_delete persona_update http_fetch
//! let gate = new asterbot:approval { tools: tools.tools, approval: ask.approval, ... };
//! ```
//!
//! `@ask` names the tools (without it, every tool the gate wraps needs
//! approval); `@pre-approve` exempts tools from it. The composer serves
//! them to the gate as `ASTERBOT_ASK` and `ASTERBOT_PRE_APPROVED`.

use asterbot_sdk::worlds::approval_gate::{asterbot, exports};

use asterbot::agent::approval::{Decision, Request, ask};
use asterbot::agent::tools as wrapped;
use asterbot::agent::types::ToolSpec;
use asterbot_sdk::approval::session_scope;
use journal::Journal;
use std::cell::RefCell;
use std::collections::BTreeSet;

/// The tools that need approval (comma-separated; absent: all).
const ASK_ENV: &str = "ASTERBOT_ASK";

/// The tools that never need it (comma-separated).
const PRE_APPROVED_ENV: &str = "ASTERBOT_PRE_APPROVED";

thread_local! {
    /// What the person allowed for the rest of the session: the
    /// [`session_scope`] keys of the calls they allowed (a tool and the host
    /// or name it reached, else its exact arguments), never a whole tool.
    static ALLOWED_FOR_SESSION: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Whether `tool` is on the comma-separated `list` (`*` names all).
fn listed(list: &str, tool: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|entry| entry == "*" || entry == tool)
}

/// Whether a call of `tool` needs a person's approval, given the baked
/// lists (`ask`: `None` when the recipe named no tools, so all need it).
fn needs_approval(ask: Option<&str>, pre_approved: &str, tool: &str) -> bool {
    ask.is_none_or(|ask| listed(ask, tool)) && !listed(pre_approved, tool)
}

/// The word for a decision, in the journal.
fn word(decision: Decision) -> &'static str {
    match decision {
        Decision::AllowOnce => "allow-once",
        Decision::AllowSession => "allow-session",
        Decision::Deny => "deny",
        Decision::Unavailable => "nobody-to-ask",
        Decision::Pending => "waits-for-a-person",
    }
}

struct Gate;

impl Gate {
    /// The person's decision on this call (or the earlier one for the
    /// session), already written to the journal.
    fn decide(name: &str, arguments: &str) -> Result<Decision, String> {
        let mut journal = Journal::open()?;
        let scope = session_scope(name, arguments).key;
        let earlier = ALLOWED_FOR_SESSION.with(|allowed| allowed.borrow().contains(&scope));
        let decision = if earlier {
            Decision::AllowSession
        } else {
            ask(&Request {
                tool: name.to_string(),
                arguments: arguments.to_string(),
            })
        };
        journal.write(&[
            ("event", "decision"),
            ("link", &journal::instance()),
            ("produced-by", &journal::produced_by()),
            ("tool", name),
            ("arguments", arguments),
            ("decision", word(decision)),
            (
                "asked",
                if earlier {
                    "earlier in the session"
                } else {
                    "now"
                },
            ),
        ])?;
        Ok(decision)
    }
}

impl exports::asterbot::agent::tools::Guest for Gate {
    fn list() -> Vec<ToolSpec> {
        wrapped::list()
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        let ask_list = std::env::var(ASK_ENV).ok();
        let pre_approved = std::env::var(PRE_APPROVED_ENV).unwrap_or_default();
        if !needs_approval(ask_list.as_deref(), &pre_approved, &name) {
            return wrapped::call(&name, &arguments);
        }
        match Gate::decide(&name, &arguments)? {
            Decision::AllowOnce => wrapped::call(&name, &arguments),
            Decision::AllowSession => {
                let scope = session_scope(&name, &arguments).key;
                ALLOWED_FOR_SESSION.with(|allowed| allowed.borrow_mut().insert(scope));
                wrapped::call(&name, &arguments)
            }
            Decision::Deny => Err(format!(
                "the person denied `{name}`; it was not run. Do not try it again unless they ask"
            )),
            Decision::Unavailable => Err(format!(
                "`{name}` needs a person's approval and nobody is at a terminal to give it, so it was not run"
            )),
            Decision::Pending => Err(format!(
                "`{name}` waits for a person's approval, so it was not run yet. Tell them it waits for their approval; once they have given it, call it again with the same arguments"
            )),
        }
    }
}

asterbot_sdk::export_approval_gate_world!(Gate);

#[cfg(test)]
mod tests {
    use super::needs_approval;

    #[test]
    fn the_recipe_names_the_tools_that_need_approval() {
        assert!(needs_approval(None, "", "clock"));
        assert!(needs_approval(
            Some("memory_delete, http_fetch"),
            "",
            "http_fetch"
        ));
        assert!(!needs_approval(Some("memory_delete"), "", "memory_read"));
        assert!(needs_approval(Some("*"), "clock", "calculator"));
        assert!(!needs_approval(Some("*"), "clock", "clock"));
        assert!(!needs_approval(Some("calc"), "", "calculator"));
    }
}
