//! The system prompt: a fixed preamble plus the context chain's sections.

use crate::asterbot::agent::types::Section;

/// What every agent is told before any section.
const PREAMBLE: &str = "You are asterbot, a helpful assistant. Use the tools you are given when they help; answer in plain text.";

/// Joins the preamble and the sections into one system prompt.
pub fn system_prompt(sections: &[Section]) -> String {
    let mut prompt = String::from(PREAMBLE);
    for section in sections {
        prompt.push_str("\n\n## ");
        prompt.push_str(&section.title);
        prompt.push('\n');
        prompt.push_str(&section.body);
    }
    prompt
}
