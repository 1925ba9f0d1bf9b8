//! History persisted to disk: one JSON file per session in the folder
//! `ASTERBOT_HISTORY_DIR` (default `/state/history`, granted by the runner,
//! e.g. `asterbot run --dir ./state::/state`).
//!
//! Every save rewrites the session's file through a temporary file and a
//! rename, so a crash mid-turn leaves the previous file whole. A file that
//! cannot be read back is reported, never overwritten. Appending and
//! compaction come from `history-store`.
//!
//! When the folder is not granted at all, the conversation is kept for the
//! life of the process instead, and a warning says how to keep it.

mod session;

use history_store::{InProcess, Message, Store};
use session::SessionFile;

struct FileHistory;

impl Store for FileHistory {
    fn load(session: &str) -> Result<Vec<Message>, String> {
        if InProcess::has(session) {
            return InProcess::load(session);
        }
        SessionFile::open(session)?.read()
    }

    fn save(session: &str, messages: &[Message]) -> Result<(), String> {
        let file = SessionFile::open(session)?;
        if InProcess::has(session) || !file.folder_granted() {
            if !InProcess::has(session) {
                eprintln!(
                    "asterbot: history is kept for this run only: {} is not granted (grant it with `--dir ./state::/state`)",
                    file.folder().display()
                );
            }
            return InProcess::save(session, messages);
        }
        file.write(messages)
    }
}

history_store::export_history!(FileHistory);
