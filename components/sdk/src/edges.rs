//! What the composer tells asterbot's own components about their edges.
//!
//! A provider of prompt sections sees the person's input only if its
//! recipe grants it (`@sees-input`). The composer bakes, into the agent
//! loop and each context join, which of their context imports may be
//! handed the input (`ASTERBOT_SHARE_INPUT`); the others are asked with an
//! empty input. Composed without guards, nothing is baked and every
//! provider is handed it, as every instance then shares everything.

/// The setting naming the context imports that may see the input.
pub const SHARE_INPUT: &str = "ASTERBOT_SHARE_INPUT";

/// The input to hand the context import `import` (`context`, `first`,
/// `rest`): `input` if the recipe lets the provider there see it, else
/// empty.
pub fn input_for<'a>(import: &str, input: &'a str) -> &'a str {
    match std::env::var(SHARE_INPUT) {
        Err(_) => input,
        Ok(list) if shared(&list, import) => input,
        Ok(_) => "",
    }
}

/// Whether the comma-separated `list` names `import`.
fn shared(list: &str, import: &str) -> bool {
    list.split(',').map(str::trim).any(|name| name == import)
}

#[cfg(test)]
mod tests {
    use super::shared;

    #[test]
    fn only_the_named_imports_are_handed_the_input() {
        assert!(shared("first,rest", "rest"));
        assert!(!shared("first", "rest"));
        assert!(!shared("", "context"));
        assert!(!shared("contexts", "context"));
    }
}
