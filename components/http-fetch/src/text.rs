//! Readable text out of HTML: tags dropped, scripts and styles skipped,
//! block elements on lines of their own, entities decoded, blank runs
//! collapsed.

/// Elements whose content is never text for a reader.
const SKIPPED: [&str; 5] = ["script", "style", "noscript", "template", "svg"];
/// Elements that start a new line.
const BLOCKS: [&str; 22] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "pre",
    "blockquote",
    "title",
    "hr",
];

/// The text a reader sees in `html`.
pub fn from_html(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..start]));
        rest = &rest[start..];
        let Some(end) = rest.find('>') else {
            break;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with("!--") {
            if let Some(close) = rest.find("-->").filter(|_| !tag.ends_with("--")) {
                rest = &rest[close + 3..];
            }
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !tag.starts_with('/') && SKIPPED.contains(&name.as_str()) {
            let close = format!("</{name}");
            rest = match find_ignore_case(rest, &close) {
                Some(at) => &rest[at..],
                None => "",
            };
        } else if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        }
    }
    out.push_str(&decode_entities(rest));
    tidy(&out)
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack.char_indices().map(|(i, _)| i).find(|&i| {
        haystack
            .get(i..i + needle.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(needle))
    })
}

/// `&amp;`, `&lt;`, `&#39;`, `&#x2F;`, ... decoded; unknown ones kept.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let code = |digits: &str, radix| {
        u32::from_str_radix(digits, radix)
            .ok()
            .and_then(char::from_u32)
    };
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => match name.strip_prefix('#') {
            Some(hex) if hex.starts_with(['x', 'X']) => code(&hex[1..], 16),
            Some(decimal) => code(decimal, 10),
            None => None,
        },
    }
}

/// Spaces collapsed within lines, empty lines collapsed to one.
fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if !line.is_empty() || lines.last().is_some_and(|l| !l.is_empty()) {
            lines.push(line);
        }
    }
    lines.join("\n").trim().to_string()
}

/// At most `max` characters of `text`, saying how much was cut.
pub fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => {
            let left = text[end..].chars().count();
            format!("{}\n[cut: {left} more characters]", &text[..end])
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_readable_text() {
        let html = "<html><head><title>Tea &amp; you</title><style>p{color:red}</style>\
            <script>var x = '<p>no</p>';</script></head><body><!-- hidden -->\
            <h1>Green&nbsp;tea</h1><p>Steep   at 80&#176;C &lt;3 min&gt;.</p><ul><li>one</li><li>two</li></ul>\
            <SCRIPT type=x>alert(1)</SCRIPT>AT&T &bogus; done</body></html>";
        assert_eq!(
            from_html(html),
            "Tea & you\n\nGreen tea\n\nSteep at 80°C <3 min>.\n\none\n\ntwo\n\nAT&T &bogus; done"
        );
        assert_eq!(from_html("a < b"), "a < b");
        assert_eq!(cap("héllo", 2), "hé\n[cut: 3 more characters]");
        assert_eq!(cap("hi", 2), "hi");
    }
}
