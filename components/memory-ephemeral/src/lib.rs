//! `memory-ephemeral`: the same `memory_*` tools and "Memory" prompt
//! section as `memory`, with the notes kept in the component's memory for
//! the life of the process. It needs no grant and keeps nothing: for
//! trying an agent out, or for agents that must not leave traces.

static MEMORY: documents::Library = documents::Library {
    prefix: "memory",
    noun: "note",
    storage: &documents::Process,
    section_title: "Memory",
    purpose: "facts worth keeping during this conversation",
};

documents::export_library!(MEMORY);
