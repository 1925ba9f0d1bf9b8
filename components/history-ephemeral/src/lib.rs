//! History kept in the component's memory: a conversation lasts as long as
//! the process (for example several stdin lines in one run) and is gone
//! afterwards. `history-file` is the persistent store with the same
//! imports, so the two swap in one recipe line.

history_store::export_history!(history_store::InProcess);
