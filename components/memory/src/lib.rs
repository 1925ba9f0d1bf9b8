//! `memory`: named markdown notes in `ASTERBOT_MEMORY_DIR` (default
//! `/state/memory`, granted e.g. with `asterbot run --dir ./state::/state`).
//!
//! Tools `memory_list`, `memory_read`, `memory_write` and `memory_delete`
//! join the tool chain; on the context chain it adds a "Memory" section
//! naming the notes that share words with the user's message.

static MEMORY: documents::Library = documents::Library {
    prefix: "memory",
    noun: "note",
    storage: &documents::Folder {
        dir_env: "ASTERBOT_MEMORY_DIR",
        default_dir: "/state/memory",
    },
    section_title: "Memory",
    purpose: "facts worth keeping between conversations",
};

documents::export_library!(MEMORY);
