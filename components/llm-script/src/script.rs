//! The script: an ordered list of rules, read from JSON.
//!
//! ```json
//! { "rules": [
//!   { "match": "(?i)what is ([0-9+*/ -]+)",
//!     "call": [{ "tool": "calculator", "arguments": { "expression": "{1}" } }] },
//!   { "on": "tool", "tool": "calculator", "reply": "The answer is {result}." },
//!   { "reply": "You said: {input}" }
//! ] }
//! ```
//!
//! A rule applies `on` the last `user` message (the default) or the last
//! `tool` result (optionally only of the tool named `tool`), when its `match`
//! regular expression (optional) matches that text. The first rule that
//! applies gives the reply: `reply` text, or `call`, a list of tool calls.
//! Templates may use `{input}` (the user's message), `{previous}` (the
//! one before it), `{said}` (every one before it, a line each: what the
//! stored history holds), `{section:Title}` (a section of the system
//! prompt), `{result}` (the tool result) and `{0}`..`{9}` (the match's
//! groups); see [`crate::template`].

use crate::template::{fill_arguments, fill_text};
use crate::{SCRIPT_ENV, ToolCall};
use regex_lite::Regex;
use serde::Deserialize;
use std::cell::OnceCell;

/// The script used when `ASTERBOT_SCRIPT` is not set.
const DEFAULT_SCRIPT: &str = include_str!("../default-script.json");

/// A parsed script, rules in order.
pub struct Script {
    rules: Vec<Rule>,
}

/// What the script sees of the conversation.
pub enum Turn {
    /// The conversation ends with the user's message; `previous` is the
    /// user's message before it, if the conversation has one, and `said`
    /// every user message before it, one a line.
    User {
        input: String,
        previous: String,
        said: String,
        system: String,
    },
    /// The conversation ends with the result of tool `tool`.
    ToolResult {
        tool: String,
        result: String,
        input: String,
        system: String,
    },
}

/// The model's answer.
pub enum Reply {
    Text(String),
    Calls(Vec<ToolCall>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    rules: Vec<RuleFile>,
}

#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
enum On {
    #[default]
    User,
    Tool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    on: On,
    tool: Option<String>,
    #[serde(rename = "match")]
    pattern: Option<String>,
    reply: Option<String>,
    call: Option<Vec<CallFile>>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct CallFile {
    tool: String,
    #[serde(default = "empty_object")]
    arguments: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

struct Rule {
    on: On,
    tool: Option<String>,
    pattern: Option<Regex>,
    action: Action,
}

enum Action {
    Reply(String),
    Call(Vec<CallFile>),
}

thread_local! {
    static LOADED: OnceCell<Result<std::rc::Rc<Script>, String>> = const { OnceCell::new() };
}

impl Script {
    /// The script named by `ASTERBOT_SCRIPT`, or the default; read once.
    pub fn load() -> Result<std::rc::Rc<Script>, String> {
        LOADED.with(|cell| {
            cell.get_or_init(|| {
                let (origin, text) = match std::env::var(SCRIPT_ENV) {
                    Ok(path) => {
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            format!("cannot read script `{path}` (from {SCRIPT_ENV}): {e}")
                        })?;
                        (path, text)
                    }
                    Err(_) => (
                        "the built-in script".to_string(),
                        DEFAULT_SCRIPT.to_string(),
                    ),
                };
                Script::parse(&text)
                    .map(std::rc::Rc::new)
                    .map_err(|e| format!("{origin}: {e}"))
            })
            .clone()
        })
    }

    /// Parses script JSON, checking every rule and pattern.
    pub fn parse(text: &str) -> Result<Script, String> {
        let file: ScriptFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let rules = file
            .rules
            .into_iter()
            .enumerate()
            .map(|(index, rule)| Rule::check(rule).map_err(|e| format!("rule {}: {e}", index + 1)))
            .collect::<Result<_, _>>()?;
        Ok(Script { rules })
    }

    /// The reply of the first rule that applies to `turn`.
    pub fn reply_to(&self, turn: &Turn) -> Reply {
        for rule in &self.rules {
            if let Some(reply) = rule.apply(turn) {
                return reply;
            }
        }
        match turn {
            Turn::ToolResult { result, .. } => Reply::Text(result.clone()),
            Turn::User { .. } => Reply::Text("(the script has no rule for this message)".into()),
        }
    }
}

impl Rule {
    fn check(rule: RuleFile) -> Result<Rule, String> {
        let pattern = rule
            .pattern
            .map(|p| Regex::new(&p).map_err(|e| format!("bad `match` pattern: {e}")))
            .transpose()?;
        let action = match (rule.reply, rule.call) {
            (Some(text), None) => Action::Reply(text),
            (None, Some(calls)) if !calls.is_empty() => Action::Call(calls),
            _ => return Err("give exactly one of `reply` (text) or `call` (tool calls)".into()),
        };
        if rule.tool.is_some() && rule.on != On::Tool {
            return Err("`tool` only applies to rules with \"on\": \"tool\"".into());
        }
        Ok(Rule {
            on: rule.on,
            tool: rule.tool,
            pattern,
            action,
        })
    }

    /// The reply, if this rule applies to `turn`.
    fn apply(&self, turn: &Turn) -> Option<Reply> {
        let (subject, input, result, system, previous, said) = match turn {
            Turn::User {
                input,
                previous,
                said,
                system,
            } if self.on == On::User => {
                (input, input, "", system, previous.as_str(), said.as_str())
            }
            Turn::ToolResult {
                tool,
                result,
                input,
                system,
            } if self.on == On::Tool => {
                if self.tool.as_ref().is_some_and(|wanted| wanted != tool) {
                    return None;
                }
                (result, input, result.as_str(), system, "", "")
            }
            _ => return None,
        };
        let groups: Vec<String> = match &self.pattern {
            Some(pattern) => {
                let captures = pattern.captures(subject)?;
                (0..captures.len())
                    .map(|i| {
                        captures
                            .get(i)
                            .map_or("", |m| m.as_str())
                            .trim()
                            .to_string()
                    })
                    .collect()
            }
            None => vec![subject.clone()],
        };
        let values = crate::template::Values {
            input,
            previous,
            said,
            result,
            groups: &groups,
            system,
        };
        Some(match &self.action {
            Action::Reply(text) => Reply::Text(fill_text(text, &values)),
            Action::Call(calls) => Reply::Calls(
                calls
                    .iter()
                    .map(|call| ToolCall {
                        id: String::new(),
                        name: call.tool.clone(),
                        arguments: fill_arguments(&call.arguments, &values).to_string(),
                    })
                    .collect(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Turn {
        Turn::User {
            input: text.into(),
            previous: String::new(),
            said: String::new(),
            system: "## Persona\nYou are Ada.".into(),
        }
    }

    fn tool(name: &str, result: &str) -> Turn {
        Turn::ToolResult {
            tool: name.into(),
            result: result.into(),
            input: "q".into(),
            system: String::new(),
        }
    }

    fn default_script() -> Script {
        Script::parse(DEFAULT_SCRIPT).expect("the default script parses")
    }

    #[test]
    fn arithmetic_question_calls_the_calculator() {
        let Reply::Calls(calls) = default_script().reply_to(&user("What is 6 * 7?")) else {
            panic!("expected a tool call");
        };
        assert_eq!(calls[0].name, "calculator");
        assert_eq!(calls[0].arguments, r#"{"expression":"6 * 7"}"#);
    }

    #[test]
    fn said_quotes_every_earlier_user_message() {
        let script = Script::parse(r#"{"rules":[{"reply":"{said}"}]}"#).unwrap();
        let turn = Turn::User {
            input: "now".into(),
            previous: "b".into(),
            said: "a\nb".into(),
            system: String::new(),
        };
        let Reply::Text(text) = script.reply_to(&turn) else {
            panic!("expected text");
        };
        assert_eq!(text, "a\nb");
    }

    #[test]
    fn tool_results_and_errors_become_text() {
        let script = default_script();
        let Reply::Text(text) = script.reply_to(&tool("calculator", "42")) else {
            panic!("expected text");
        };
        assert_eq!(text, "The answer is 42.");
        let Reply::Text(text) = script.reply_to(&tool("calculator", "error: unknown tool")) else {
            panic!("expected text");
        };
        assert_eq!(text, "I could not use that tool: unknown tool");
    }

    #[test]
    fn numeric_groups_become_numbers_and_missing_groups_are_dropped() {
        let script = default_script();
        let Reply::Calls(calls) = script.reply_to(&user("roll 3 dice")) else {
            panic!("expected a tool call");
        };
        assert_eq!(calls[0].arguments, r#"{"count":3}"#);
        let Reply::Calls(calls) = script.reply_to(&user("roll the dice")) else {
            panic!("expected a tool call");
        };
        assert_eq!(calls[0].arguments, "{}");
    }

    #[test]
    fn a_summary_request_gets_a_short_deterministic_summary() {
        let request = "Summarise this conversation for your own later use.\n\nuser: what is 6 * 7?\nassistant: [calls calculator]\nuser: what time is it?";
        let Reply::Text(text) = default_script().reply_to(&user(request)) else {
            panic!("expected text");
        };
        assert_eq!(
            text,
            "The conversation began with the question \"what is 6 * 7?\"."
        );
    }

    #[test]
    fn memory_and_persona_rules() {
        let script = default_script();
        let Reply::Calls(calls) = script.reply_to(&user("Remember that my cat is Tom")) else {
            panic!("expected a tool call");
        };
        assert_eq!(calls[0].name, "memory_write");
        assert_eq!(
            calls[0].arguments,
            r#"{"append":true,"content":"my cat is Tom","name":"facts"}"#
        );
        let Reply::Text(text) = script.reply_to(&user("who are you?")) else {
            panic!("expected text");
        };
        assert_eq!(text, "I am Ada.");
    }

    #[test]
    fn bad_scripts_are_refused_with_the_rule_number() {
        let error = Script::parse(r#"{"rules":[{"reply":"a"},{"match":"(","reply":"b"}]}"#)
            .err()
            .unwrap();
        assert!(error.starts_with("rule 2: bad `match`"), "{error}");
        let error = Script::parse(r#"{"rules":[{"reply":"a","call":[]}]}"#)
            .err()
            .unwrap();
        assert!(error.contains("exactly one"), "{error}");
        assert!(Script::parse("not json").is_err());
    }
}
