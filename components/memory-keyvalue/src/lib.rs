//! `memory-keyvalue`: the same `memory_*` tools and "Memory" prompt
//! section as `memory`, with each note under its own key (`memory/<name>`)
//! in the runtime's key-value store, so every replica of a served agent
//! remembers the same notes. The recipe allows the instance its keys with
//! `@allow-keyvalue PREFIX`.

static MEMORY: documents::Library = documents::Library {
    prefix: "memory",
    noun: "note",
    storage: &documents::KeyValue,
    section_title: "Memory",
    purpose: "facts worth keeping between conversations",
};

documents::export_library!(MEMORY);
