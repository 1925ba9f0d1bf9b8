//! What a person approves: the fields of a call that decide where it
//! reaches (a URL and its host, a note's name, a file), shown first in the
//! question whatever else the arguments hold, and the scope an "allow for
//! this session" covers. The gate (`approval`) and the front ends that ask
//! (`ask-terminal`) share these rules, so the question says exactly what a
//! session allowance covers.

/// Argument names whose value decides where a call reaches, in the order
/// the question shows them.
pub const DECISIVE: [&str; 12] = [
    "url", "uri", "host", "target", "to", "path", "file", "filename", "name", "note", "key", "id",
];

/// Undoes what earlier output may have done to hide the question, without
/// clearing the screen: leaves the alternate screen, resets the scroll
/// region (keeping the cursor where it was), every text attribute and the
/// character set, and shows the cursor with line wrap on. `asterbot run`
/// lets exactly this sequence through its filter of standard error
/// (`runtime/src/stderr.rs`), which escapes every other control character.
pub const TERMINAL_RESET: &str = "\x1b[?1049l\x1b7\x1b[r\x1b8\x1b[0m\x1b(B\x1b[?25h\x1b[?7h";

/// Most bytes of one decisive value shown in the question.
const SHOWN_VALUE: usize = 512;

/// The decisive fields of `arguments` (a JSON object), as `(name, value)`
/// with the value as text (a string's own text, otherwise its JSON), in
/// the order of [`DECISIVE`].
pub fn decisive_fields(arguments: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(arguments) else {
        return Vec::new();
    };
    DECISIVE
        .iter()
        .filter_map(|name| {
            let value = object.get(*name)?;
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((name.to_string(), text))
        })
        .collect()
}

/// The host (with its port, lowercased) of an `http://` or `https://`
/// URL, read the way `asterbot:http` reads it; `None` when it has none
/// that a request would go to.
pub fn host_of(url: &str) -> Option<String> {
    let text = url.trim();
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &text[8..]
    } else if lower.starts_with("http://") {
        &text[7..]
    } else {
        return None;
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return None;
    }
    Some(authority.to_ascii_lowercase())
}

/// What one "allow for this session" covers: the later calls of the same
/// tool whose [`SessionScope::key`] is equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionScope {
    /// Compared between calls (the tool, then what it reaches).
    pub key: String,
    /// Said to the person: "every call of `tool` ...".
    pub covers: String,
}

/// The scope of a session allowance for a call of `tool` with
/// `arguments`: for a `url`, its host; else for the first other decisive
/// field, its value; else the exact arguments.
pub fn session_scope(tool: &str, arguments: &str) -> SessionScope {
    let fields = decisive_fields(arguments);
    if let Some((_, url)) = fields
        .iter()
        .find(|(name, _)| name == "url" || name == "uri")
    {
        if let Some(host) = host_of(url) {
            return SessionScope {
                key: format!("{tool}\nhost\n{host}"),
                covers: format!("every call of `{tool}` to the host {host}"),
            };
        }
    } else if let Some((name, value)) = fields.first() {
        return SessionScope {
            key: format!("{tool}\n{name}\n{value}"),
            covers: format!(
                "every call of `{tool}` whose {name} is {}",
                shown(value, SHOWN_VALUE)
            ),
        };
    }
    SessionScope {
        key: format!("{tool}\narguments\n{arguments}"),
        covers: format!("calls of `{tool}` with exactly these arguments"),
    }
}

/// `text` with every control character escaped (all but `\n` and `\t`,
/// and the marks that reorder text), so that nothing shown can move the
/// cursor, hide text or change the terminal.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\n' || c == '\t' || !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// Control characters (C0, DEL, C1) and the bidirectional marks and
/// overrides that reorder what a terminal shows.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` escaped and cut to about `max_bytes`, saying how many bytes are
/// not shown.
pub fn shown(text: &str, max_bytes: usize) -> String {
    let escaped = escape_controls(text);
    if escaped.len() <= max_bytes {
        return escaped;
    }
    let mut end = max_bytes;
    while !escaped.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}... [{} more bytes not shown]",
        &escaped[..end],
        escaped.len() - end
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_scoped_to_its_host() {
        let a = session_scope("http_fetch", r#"{"url":"https://Example.com/a?x=1"}"#);
        let b = session_scope("http_fetch", r#"{"url":"https://example.com/b"}"#);
        let c = session_scope("http_fetch", r#"{"url":"https://evil.example/b"}"#);
        assert_eq!(a.key, b.key);
        assert_ne!(a.key, c.key);
        assert_eq!(
            a.covers,
            "every call of `http_fetch` to the host example.com"
        );
        // A user part is not a host that allows every host behind it.
        assert_eq!(host_of("https://example.com@evil.example/"), None);
        assert_eq!(host_of("ftp://example.com/"), None);
    }

    #[test]
    fn a_name_is_scoped_to_its_value_and_anything_else_to_its_exact_arguments() {
        let a = session_scope("memory_delete", r#"{"name":"tea"}"#);
        let b = session_scope("memory_delete", r#"{"name":"maps"}"#);
        assert_ne!(a.key, b.key);
        assert_eq!(a.covers, "every call of `memory_delete` whose name is tea");
        let p = session_scope("persona_update", r#"{"persona":"a pirate"}"#);
        let q = session_scope("persona_update", r#"{"persona":"a captain"}"#);
        assert_ne!(p.key, q.key);
        assert_eq!(
            session_scope("persona_update", r#"{"persona":"a pirate"}"#),
            p
        );
        // Another tool is never covered.
        assert_ne!(session_scope("memory_read", r#"{"name":"tea"}"#).key, a.key);
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape_controls("a\x1b[8mb\rc\u{9b}d\u{202e}e\n\tf"),
            "a\\x1b[8mb\\x0dc\\x9bd\\u{202e}e\n\tf"
        );
        assert_eq!(shown("abcdef", 3), "abc... [3 more bytes not shown]");
    }
}
