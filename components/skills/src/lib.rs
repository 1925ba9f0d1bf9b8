//! `skills`: procedure documents (step-by-step ways of doing things) in
//! `ASTERBOT_SKILLS_DIR` (default `/state/skills`).
//!
//! Tools `skills_list`, `skills_read`, `skills_write` and `skills_delete`
//! join the tool chain; on the context chain it adds a "Skills" section
//! naming the procedures that share words with the user's message.

static SKILLS: documents::Library = documents::Library {
    prefix: "skills",
    noun: "skill",
    storage: &documents::Folder {
        dir_env: "ASTERBOT_SKILLS_DIR",
        default_dir: "/state/skills",
    },
    section_title: "Skills",
    purpose: "procedures: how to do a task step by step",
};

documents::export_library!(SKILLS);
