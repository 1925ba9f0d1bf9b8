//! Policy annotations: doc comments on a recipe's `let` statements.
//!
//! ```wac
//! /// @allow-env OPENAI_API_KEY ASTERBOT_MODEL
//! /// @allow-host api.openai.com
//! let model = new asterbot:llm-openai { ... };
//! ```

use super::Allowed;
use std::collections::BTreeMap;
use wac_parser::{Document, Statement};

/// The annotations and the guard kind each feeds.
const ANNOTATIONS: [(&str, &str); 3] = [
    ("@allow-env", "env"),
    ("@allow-host", "hosts"),
    ("@allow-dir", "dirs"),
];

/// What each `let` of `document` is allowed, by instance name.
pub fn policies(document: &Document) -> Result<BTreeMap<String, Allowed>, String> {
    let mut policies = BTreeMap::new();
    for statement in &document.statements {
        let Statement::Let(statement) = statement else {
            continue;
        };
        let mut allowed = Allowed::new();
        for doc in &statement.docs {
            for line in doc.comment.lines() {
                let line = line.trim().trim_start_matches('/').trim();
                let Some(word) = line.split_whitespace().next() else {
                    continue;
                };
                if !word.starts_with("@allow") {
                    continue;
                }
                let Some((_, kind)) = ANNOTATIONS.iter().find(|(a, _)| *a == word) else {
                    return Err(format!(
                        "unknown annotation `{word}` on `{}`: use @allow-env, @allow-host or @allow-dir",
                        statement.id.string
                    ));
                };
                allowed
                    .entry(*kind)
                    .or_default()
                    .extend(line.split_whitespace().skip(1).map(str::to_string));
            }
        }
        policies.insert(statement.id.string.to_string(), allowed);
    }
    Ok(policies)
}
