//! Cutting long text without splitting a UTF-8 character.

/// Returns `text` cut to at most `max_bytes` bytes (plus a marker saying how
/// much was dropped), on a character boundary.
pub fn truncate_utf8(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[truncated: {} of {} bytes not shown]",
        &text[..end],
        text.len() - end,
        text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::truncate_utf8;

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(truncate_utf8("héllo", 64), "héllo");
    }

    #[test]
    fn cuts_on_a_character_boundary() {
        // "é" is two bytes; a cut at byte 2 would split it.
        let cut = truncate_utf8("aé€z", 2);
        assert!(cut.starts_with("a\n[truncated: 6 of 7 bytes"), "{cut}");
        let cut = truncate_utf8("€€€", 4);
        assert!(cut.starts_with("€\n"), "{cut}");
    }
}
