//! Which notes matter for the current message.

use crate::notes;

/// Shortest word that counts when matching notes to a message.
const MIN_WORD: usize = 4;

/// The body of the "Memory" section for `input`.
pub fn section(input: &str) -> String {
    let names = match notes::list() {
        Ok(names) if names.is_empty() => {
            return "You have no saved notes yet; save facts worth keeping with memory_write."
                .to_string();
        }
        Ok(names) => names,
        Err(error) => return format!("Notes are unavailable: {error}"),
    };
    let wanted = words(input);
    let relevant: Vec<&String> = names
        .iter()
        .filter(|name| {
            let text = notes::read(name).unwrap_or_default();
            words(&format!("{name} {text}"))
                .iter()
                .any(|w| wanted.contains(w))
        })
        .collect();
    if relevant.is_empty() {
        format!(
            "Saved notes: {}. None seems related to this message.",
            names.join(", ")
        )
    } else {
        let relevant: Vec<&str> = relevant.iter().map(|n| n.as_str()).collect();
        format!(
            "Notes related to this message (read them with memory_read): {}. All notes: {}.",
            relevant.join(", "),
            names.join(", ")
        )
    }
}

/// Lowercase words of at least [`MIN_WORD`] letters.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= MIN_WORD)
        .map(str::to_lowercase)
        .collect()
}
