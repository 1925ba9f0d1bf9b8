//! Which documents matter for the current message.

use crate::{Library, store};

/// Shortest word that counts when matching documents to a message.
const MIN_WORD: usize = 4;

/// The body of the library's prompt section for `input`.
pub fn section(library: &Library, input: &str) -> String {
    let (prefix, noun) = (library.prefix, library.noun);
    let names = match store::list(library) {
        Ok(names) if names.is_empty() => {
            return format!(
                "You have no saved {noun}s yet; save {} with {prefix}_write.",
                library.purpose
            );
        }
        Ok(names) => names,
        Err(error) => return format!("{}s are unavailable: {error}", capitalised(noun)),
    };
    let wanted = words(input);
    let relevant: Vec<&str> = names
        .iter()
        .filter(|name| {
            let text = store::read(library, name).unwrap_or_default();
            words(&format!("{name} {text}"))
                .iter()
                .any(|w| wanted.contains(w))
        })
        .map(String::as_str)
        .collect();
    if relevant.is_empty() {
        format!(
            "Saved {noun}s: {}. None seems related to this message.",
            names.join(", ")
        )
    } else {
        format!(
            "{}s related to this message (read them with {prefix}_read): {}. All {noun}s: {}.",
            capitalised(noun),
            relevant.join(", "),
            names.join(", ")
        )
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Lowercase words of at least [`MIN_WORD`] letters.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= MIN_WORD)
        .map(str::to_lowercase)
        .collect()
}
