//! Cutting long text without splitting a UTF-8 character: one rule for
//! every boundary that caps what passes it (tool results, log entries).

/// Returns `text` cut to at most `max_bytes` bytes (plus a marker saying how
/// much was dropped), on a character boundary.
pub fn truncate_utf8(text: &str, max_bytes: usize) -> String {
    let end = cut_point(text, max_bytes);
    if end == text.len() {
        return text.to_string();
    }
    format!("{}{}", &text[..end], marker(end, text.len()))
}

/// As [`truncate_utf8`], reusing `text`'s buffer: nothing is copied when
/// it is short enough.
pub fn truncate_owned(mut text: String, max_bytes: usize) -> String {
    let end = cut_point(&text, max_bytes);
    if end < text.len() {
        let total = text.len();
        text.truncate(end);
        text.shrink_to_fit();
        text.push_str(&marker(end, total));
    }
    text
}

/// The largest character boundary at or below `max_bytes`.
fn cut_point(text: &str, max_bytes: usize) -> usize {
    if text.len() <= max_bytes {
        return text.len();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// What replaces the cut part.
fn marker(kept: usize, total: usize) -> String {
    format!("\n[truncated: {} of {total} bytes not shown]", total - kept)
}

#[cfg(test)]
mod tests {
    use super::{truncate_owned, truncate_utf8};

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

    #[test]
    fn owned_text_is_cut_alike() {
        assert_eq!(truncate_owned("aé€z".into(), 2), truncate_utf8("aé€z", 2));
        assert_eq!(truncate_owned("short".into(), 64), "short");
    }
}
