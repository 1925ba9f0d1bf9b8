//! The shared half of every history component.
//!
//! A store implements [`Store`] (load and save a session's messages) and
//! calls [`export_history!`]; this crate provides the `history` interface
//! on top: appending a turn and compacting older turns with the model when
//! the history outgrows its budget (see [`compact`]).

pub mod compact;
pub mod in_process;
pub mod record;

/// The SDK, whose `history-compacting` world [`export_history!`] exports.
#[doc(hidden)]
pub use asterbot_sdk as sdk;

pub use asterbot_sdk::types::{Message, Role, ToolCall};
pub use in_process::InProcess;

/// Where the messages of a session are kept.
pub trait Store {
    /// The stored messages of `session`, oldest first; empty if none.
    fn load(session: &str) -> Result<Vec<Message>, String>;
    /// Replaces the stored messages of `session`.
    fn save(session: &str, messages: &[Message]) -> Result<(), String>;

    /// Appends the messages of one turn to `session`, compacting when
    /// needed. The default reads, extends and saves the whole history; a
    /// store shared by concurrent turns overrides it so none is lost.
    fn append(session: &str, messages: Vec<Message>) -> Result<(), String> {
        let mut all = Self::load(session)?;
        all.extend(messages);
        if let Some(compacted) = compact::compact(&all) {
            all = compacted;
        }
        Self::save(session, &all)
    }
}

/// Appends a turn to `session` in store `S`.
pub fn append<S: Store>(session: &str, messages: Vec<Message>) -> Result<(), String> {
    S::append(session, messages)
}

/// Exports a [`Store`] as the `history` interface.
#[macro_export]
macro_rules! export_history {
    ($store:ty) => {
        const _: () = {
            struct History;
            impl $crate::sdk::worlds::history_compacting::exports::asterbot::agent::history::Guest
                for History
            {
                fn load(
                    session: ::std::string::String,
                ) -> ::std::result::Result<::std::vec::Vec<$crate::Message>, ::std::string::String>
                {
                    <$store as $crate::Store>::load(&session)
                }
                fn append(
                    session: ::std::string::String,
                    messages: ::std::vec::Vec<$crate::Message>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::append::<$store>(&session, messages)
                }
            }
            $crate::sdk::export_history_compacting_world!(History);
        };
    };
}
