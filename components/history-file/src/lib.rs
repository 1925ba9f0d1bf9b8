//! History persisted to disk: one JSON file per session in the folder
//! `ASTERBOT_HISTORY_DIR` (default `/state/history`, granted by the runner,
//! e.g. `asterbot run --dir ./state::/state`).
//!
//! Every append rewrites the session's file through a temporary file and a
//! rename, so a crash mid-turn leaves the previous file whole. A file that
//! cannot be read back is reported, never overwritten.

wit_bindgen::generate!({ path: "../../wit", world: "history-provider" });

mod record;
mod session;

use asterbot::agent::types::Message;
use exports::asterbot::agent::history::Guest;
use session::SessionFile;

struct FileHistory;

impl Guest for FileHistory {
    fn load(session: String) -> Result<Vec<Message>, String> {
        SessionFile::open(&session)?.read()
    }

    fn append(session: String, messages: Vec<Message>) -> Result<(), String> {
        let file = SessionFile::open(&session)?;
        let mut all = file.read()?;
        all.extend(messages);
        file.write(&all)
    }
}

export!(FileHistory);
