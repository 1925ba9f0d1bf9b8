//! Filling `{input}`, `{previous}`, `{said}`, `{result}`, `{section:Title}`,
//! `{self:Title}` (a section said in the first person) and `{0}`..`{9}`
//! into replies and tool arguments.

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
        let owned = after.find('}').and_then(|close| {
            let title = after[..close].strip_prefix("self:")?;
            Some((close, first_person(section(values.system, title))))
        });
        if let Some((close, value)) = owned {
            out.push_str(&value);
            rest = &after[close + 1..];
            continue;
        }
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

/// `arguments` (a JSON object) with each number the tool's `schema` (JSON
/// Schema of the arguments) types as a string turned into that string: a
/// captured `7` for a calculator's `expression`. Anything that does not
/// parse is left as it is, for the tool to refuse.
pub fn fit_to_schema(original: &str, schema: &str) -> String {
    let (Ok(Value::Object(mut arguments)), Ok(schema)) = (
        serde_json::from_str::<Value>(original),
        serde_json::from_str::<Value>(schema),
    ) else {
        return original.to_string();
    };
    let mut changed = false;
    for (name, value) in arguments.iter_mut() {
        let wants_text = schema["properties"][name]["type"] == "string";
        if let (true, Value::Number(number)) = (wants_text, &*value) {
            *value = Value::String(number.to_string());
            changed = true;
        }
    }
    if changed {
        Value::Object(arguments).to_string()
    } else {
        original.to_string()
    }
}

fn is_empty_placeholder(value: &Value, values: &Values) -> bool {
    matches!(value, Value::String(t) if t.starts_with('{') && t.ends_with('}') && fill_text(t, values).is_empty())
}

/// `text`, written to the model ("You are Ada, ... what you know"), as
/// the model says it of itself ("I am Ada, ... what I know"): a persona
/// quoted as an answer to "who are you?".
fn first_person(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut words = Vec::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_alphanumeric() || c == '\'' {
            word.push(c);
            continue;
        }
        words.push(std::mem::take(&mut word));
        if c != '\0' {
            words.push(c.to_string());
        }
    }
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let next_is_are = words.get(i + 1).map(String::as_str) == Some(" ")
            && words.get(i + 2).map(String::as_str) == Some("are");
        let swapped = match w {
            "You" | "you" if next_is_are => {
                i += 2;
                "I am"
            }
            "You're" | "you're" => "I'm",
            "You" | "you" => "I",
            "Your" => "My",
            "your" => "my",
            "yours" => "mine",
            "Yourself" | "yourself" => "myself",
            _ => w,
        };
        out.push_str(swapped);
        i += 1;
    }
    out
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
    fn a_number_becomes_text_where_the_schema_asks_for_text() {
        let schema =
            r#"{"properties":{"expression":{"type":"string"},"count":{"type":"integer"}}}"#;
        assert_eq!(
            super::fit_to_schema(r#"{"expression":7,"count":2}"#, schema),
            r#"{"count":2,"expression":"7"}"#
        );
        assert_eq!(super::fit_to_schema("not json", schema), "not json");
        let fits = r#"{"expression":"7","count":2}"#;
        assert_eq!(super::fit_to_schema(fits, schema), fits, "left as written");
    }

    #[test]
    fn a_persona_is_said_in_the_first_person() {
        assert_eq!(
            super::first_person(
                "You are asterbot: concise, and honest about what you do not know."
            ),
            "I am asterbot: concise, and honest about what I do not know."
        );
        assert_eq!(
            super::first_person("You are Ada, and your maps are yours."),
            "I am Ada, and my maps are mine."
        );
    }

    #[test]
    fn sections_are_quoted_by_title() {
        let system = "Preamble.\n\n## Persona\nYou are Ada.\n\n## Memory\nNo notes.";
        assert_eq!(section(system, "Persona"), "You are Ada.");
        assert_eq!(section(system, "Memory"), "No notes.");
        assert_eq!(section(system, "Skills"), "");
    }
}
