//! Policy annotations: doc comments on a recipe's `let` statements that
//! keep the file valid WAC.
//!
//! ```wac
//! /// @allow-env OPENAI_API_KEY ASTERBOT_MODEL
//! /// @allow-host api.openai.com
//! /// @allow-dir /state/memory /scripts:ro
//! let model = new asterbot:llm-openai { ... };
//! ```
//!
//! `*` allows everything of one kind, explicitly. Without an annotation
//! an instance gets nothing of that kind (deny by default).

use super::Allowed;
use crate::error::ComposeError;
use miette::SourceSpan;
use std::collections::BTreeMap;
use wac_parser::{Document, Statement};

/// The annotations, the guard kind each feeds, and what a value must be.
const ANNOTATIONS: [(&str, &str, &str); 3] = [
    (
        "@allow-env",
        "env",
        "variable names such as `OPENAI_API_KEY`",
    ),
    (
        "@allow-host",
        "hosts",
        "hosts such as `api.openai.com`, `*.example.com` or `127.0.0.1:8080`",
    ),
    (
        "@allow-dir",
        "dirs",
        "guest directories such as `/state/memory`, with `:ro` for read-only",
    ),
];

/// What each `let` of `document` is allowed, by instance name.
pub fn policies(document: &Document) -> Result<BTreeMap<String, Allowed>, ComposeError> {
    let mut policies = BTreeMap::new();
    for statement in &document.statements {
        let Statement::Let(statement) = statement else {
            continue;
        };
        let instance = statement.id.string;
        let mut allowed = Allowed::new();
        for doc in &statement.docs {
            let mut offset = 0;
            for line in doc.comment.split_inclusive('\n') {
                let span = SourceSpan::new((doc.span.offset() + offset).into(), line.len());
                offset += line.len();
                let text = line.trim().trim_start_matches('/').trim();
                let Some(word) = text.split_whitespace().next() else {
                    continue;
                };
                if !word.starts_with("@allow") {
                    continue;
                }
                let Some((_, kind, expected)) = ANNOTATIONS.iter().find(|(a, ..)| *a == word)
                else {
                    return Err(annotation_error(
                        format!("unknown annotation `{word}` on `{instance}`"),
                        span,
                        format!("use {}", suggestion(word)),
                    ));
                };
                let values: Vec<&str> = text.split_whitespace().skip(1).collect();
                if values.is_empty() {
                    return Err(annotation_error(
                        format!("`{word}` on `{instance}` names nothing"),
                        span,
                        format!("list {expected}, or `*` to allow all"),
                    ));
                }
                for value in values {
                    if let Err(why) = check_value(kind, value) {
                        return Err(annotation_error(
                            format!("`{word} {value}` on `{instance}`: {why}"),
                            span,
                            format!("{word} takes {expected}, or `*` to allow all"),
                        ));
                    }
                    allowed.entry(*kind).or_default().push(value.to_string());
                }
            }
        }
        policies.insert(instance.to_string(), allowed);
    }
    Ok(policies)
}

/// Why `value` is not a valid value of guard kind `kind`, if it is not.
fn check_value(kind: &str, value: &str) -> Result<(), String> {
    if value == "*" {
        return Ok(());
    }
    match kind {
        "env" if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => Ok(()),
        "env" => Err("not a variable name".to_string()),
        "hosts" if value.contains("://") || value.contains('/') => {
            Err("a host has no scheme and no path".to_string())
        }
        "hosts" => {
            let name = value.strip_prefix("*.").unwrap_or(value);
            let plain = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if name.is_empty() || !plain {
                Err("not a host name".to_string())
            } else {
                Ok(())
            }
        }
        _ => {
            let path = value.strip_suffix(":ro").unwrap_or(value);
            if !path.starts_with('/') {
                Err("a guest directory is an absolute path".to_string())
            } else if path.split('/').any(|part| part == ".." || part == ".") {
                Err("`.` and `..` are not allowed in a guest directory".to_string())
            } else {
                Ok(())
            }
        }
    }
}

/// The known annotation nearest to `word`, or all of them.
fn suggestion(word: &str) -> String {
    let nearest = ANNOTATIONS
        .iter()
        .map(|(a, ..)| (strsim::levenshtein(a, word), *a))
        .min()
        .filter(|(distance, _)| *distance <= 3);
    match nearest {
        Some((_, annotation)) => format!("`{annotation}`"),
        None => "`@allow-env`, `@allow-host` or `@allow-dir`".to_string(),
    }
}

fn annotation_error(message: String, span: SourceSpan, help: String) -> ComposeError {
    ComposeError::Annotation {
        message,
        span,
        help,
    }
}
