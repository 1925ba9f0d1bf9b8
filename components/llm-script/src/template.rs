//! Filling `{input}`, `{previous}`, `{said}`, `{result}` and `{0}`..`{9}` into
//! replies and tool arguments.

use serde_json::Value;

/// What a template can refer to.
pub struct Values<'a> {
    pub input: &'a str,
    /// The user's message before `input` in the conversation, if any.
    pub previous: &'a str,
    /// Every user message before `input`, one a line.
    pub said: &'a str,
    pub result: &'a str,
    /// The pattern's groups; group 0 is the whole match.
    pub groups: &'a [String],
    /// The system prompt, whose `## Title` sections `{section:Title}` quotes.
    pub system: &'a str,
}

impl Values<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        match name {
            "input" => Some(self.input),
            "previous" => Some(self.previous),
            "said" => Some(self.said),
            "result" => Some(self.result),
            _ if name.starts_with("section:") => {
                Some(section(self.system, &name["section:".len()..]))
            }
            _ => {
                let index: usize = name.parse().ok()?;
                Some(self.groups.get(index).map_or("", String::as_str))
            }
        }
    }
}

/// Replaces every known `{name}` in `template`; unknown braces stay as they are.
pub fn fill_text(template: &str, values: &Values) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, values.lookup(&after[..close])?)))
        {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills the string values of a JSON arguments object. A string that is
/// exactly one placeholder becomes a number when its value is one, and the
/// key is dropped when its value is empty (so the tool's default applies).
pub fn fill_arguments(arguments: &Value, values: &Values) -> Value {
    match arguments {
        Value::String(template) => {
            let filled = fill_text(template, values);
            let whole = template.starts_with('{')
                && template.ends_with('}')
                && template.matches('{').count() == 1;
            match serde_json::from_str::<serde_json::Number>(&filled) {
                Ok(number) if whole => Value::Number(number),
                _ => Value::String(filled),
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !is_empty_placeholder(v, values))
                .map(|(k, v)| (k.clone(), fill_arguments(v, values)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill_arguments(v, values)).collect())
        }
        other => other.clone(),
    }
}

fn is_empty_placeholder(value: &Value, values: &Values) -> bool {
    matches!(value, Value::String(t) if t.starts_with('{') && t.ends_with('}') && fill_text(t, values).is_empty())
}

/// The body of section `## title` of a system prompt; empty if absent.
fn section<'a>(system: &'a str, title: &str) -> &'a str {
    let heading = format!("## {title}\n");
    let Some(start) = system.find(&heading) else {
        return "";
    };
    let body = &system[start + heading.len()..];
    body.find("\n\n## ").map_or(body, |end| &body[..end]).trim()
}

#[cfg(test)]
mod tests {
    use super::section;

    #[test]
    fn sections_are_quoted_by_title() {
        let system = "Preamble.\n\n## Persona\nYou are Ada.\n\n## Memory\nNo notes.";
        assert_eq!(section(system, "Persona"), "You are Ada.");
        assert_eq!(section(system, "Memory"), "No notes.");
        assert_eq!(section(system, "Skills"), "");
    }
}
