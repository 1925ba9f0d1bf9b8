//! History persisted to disk: one JSON file per session in the folder
//! `ASTERBOT_HISTORY_DIR` (default `/state/history`, granted by the runner,
//! e.g. `asterbot run --dir ./state::/state`).
//!
//! Every save rewrites the session's file through a temporary file and a
//! rename, so a crash mid-turn leaves the previous file whole. A file that
//! cannot be read back is reported, never overwritten. Appending and
//! compaction come from `history-store`.

mod record;
mod session;

use history_store::{Message, Store};
use session::SessionFile;

struct FileHistory;

impl Store for FileHistory {
    fn load(session: &str) -> Result<Vec<Message>, String> {
        SessionFile::open(session)?.read()
    }

    fn save(session: &str, messages: &[Message]) -> Result<(), String> {
        SessionFile::open(session)?.write(messages)
    }
}

history_store::export_history!(FileHistory);
