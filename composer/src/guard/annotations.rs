//! Policy annotations: doc comments on a recipe's `let` statements that
//! keep the file valid WAC.
//!
//! ```wac
//! /// @allow-env OPENAI_API_KEY
//! /// @allow-host api.openai.com
//! /// @set ASTERBOT_MODEL=openai/gpt-4o-mini
//! let model = new asterbot:llm-openai { ... };
//!
//! /// @front-end
//! let ask = new asterbot:ask-terminal { ... };
//! /// @ask memory_delete persona_update
//! let gate = new asterbot:approval { tools: tools.tools, approval: ask.approval, ... };
//! ```
//!
//! `*` allows everything of one kind, explicitly. Without an annotation an
//! instance gets nothing of that kind (deny by default). A doc line that
//! starts with `@` is an annotation: an unknown one is an error, never
//! ignored.

use super::kinds::{KINDS, Kind};
use crate::error::ComposeError;
use miette::SourceSpan;
use std::collections::BTreeMap;
use wac_parser::{Document, Statement};

/// Settings the composer itself bakes, which a recipe cannot set.
pub const RESERVED_SETTINGS: [&str; 4] = [
    "ASTERBOT_INSTANCE",
    "ASTERBOT_CALLERS",
    crate::edges::SHARE_INPUT,
    crate::edges::PRODUCERS,
];

/// The approval gate's settings, baked from `@ask` and `@pre-approve`.
const ASK_SETTING: &str = "ASTERBOT_ASK";
const PRE_APPROVED_SETTING: &str = "ASTERBOT_PRE_APPROVED";

/// The package `@ask` and `@pre-approve` belong on.
pub const APPROVAL_GATE: &str = "asterbot:approval";

/// What the recipe says of one instance.
#[derive(Debug, Clone, Default)]
pub struct InstancePolicy {
    /// What each guard kind allows, by kind name (`env`, `dirs`, ...).
    pub allowed: BTreeMap<&'static str, Vec<String>>,
    /// Values baked into the instance's environment (`@set`, `@ask`).
    pub settings: BTreeMap<String, String>,
    /// Imports passed to the runtime unguarded (`@allow-import`).
    pub imports: Vec<String>,
    /// Whether it is (part of) the front end (`@front-end`).
    pub front_end: bool,
    /// Whether it carries `@ask` or `@pre-approve`.
    pub gate_settings: bool,
    /// Whether it is the tracer every edge's tracing middleware reports to
    /// (`@trace`).
    pub tracer: bool,
    /// Whether it may stand on the model edge (`@model-edge`): its replies'
    /// tool calls run as the model's, and it sees every prompt and result.
    pub model_edge: bool,
    /// Whether it may read the sections of the providers it wraps
    /// (`@reads-context`).
    pub reads_context: bool,
    /// Whether it is handed the person's input with the session
    /// (`@sees-input`).
    pub sees_input: bool,
    /// The instance's name in its `let`, for diagnostics.
    pub span: Option<SourceSpan>,
}

/// What an annotation means.
#[derive(Clone, Copy)]
enum Meaning {
    /// `@allow-env`, `@allow-dir`, `@allow-host`.
    Allow(&'static Kind),
    /// `@allow-import NAME...`.
    AllowImport,
    /// `@front-end`.
    FrontEnd,
    /// `@trace`.
    Trace,
    /// `@model-edge`, `@reads-context`, `@sees-input`: an edge's power.
    Power(Power),
    /// `@set NAME=VALUE`.
    Set,
    /// `@ask TOOL...`.
    Ask,
    /// `@pre-approve TOOL...`.
    PreApprove,
}

/// A power of an edge that the recipe grants one instance.
#[derive(Clone, Copy)]
enum Power {
    ModelEdge,
    ReadsContext,
    SeesInput,
}

/// The annotations that are not a guard kind's, and what their values are.
const OTHERS: [(&str, Meaning, &str); 9] = [
    (
        "@allow-import",
        Meaning::AllowImport,
        "interface names such as `wasi:config/store` (with or without a version)",
    ),
    ("@front-end", Meaning::FrontEnd, "no values"),
    ("@trace", Meaning::Trace, "no values"),
    ("@model-edge", Meaning::Power(Power::ModelEdge), "no values"),
    (
        "@reads-context",
        Meaning::Power(Power::ReadsContext),
        "no values",
    ),
    ("@sees-input", Meaning::Power(Power::SeesInput), "no values"),
    (
        "@set",
        Meaning::Set,
        "one `NAME=VALUE`, e.g. `@set ASTERBOT_MODEL=ollama/llama3.2`",
    ),
    (
        "@ask",
        Meaning::Ask,
        "tool names such as `memory_delete`, or `*` for every tool the gate wraps",
    ),
    (
        "@pre-approve",
        Meaning::PreApprove,
        "tool names such as `clock`",
    ),
];

/// Every annotation word, its meaning and what its values are.
fn annotations() -> impl Iterator<Item = (&'static str, Meaning, &'static str)> {
    KINDS
        .iter()
        .filter_map(|kind| {
            kind.annotation
                .map(|word| (word, Meaning::Allow(kind), kind.expects))
        })
        .chain(OTHERS)
}

/// What each `let` of `document` is allowed, by instance name.
pub fn policies(document: &Document) -> Result<BTreeMap<String, InstancePolicy>, ComposeError> {
    let mut policies = BTreeMap::new();
    for statement in &document.statements {
        let Statement::Let(statement) = statement else {
            continue;
        };
        let instance = statement.id.string;
        let mut policy = InstancePolicy {
            span: Some(statement.id.span),
            ..InstancePolicy::default()
        };
        for doc in &statement.docs {
            let mut offset = 0;
            for line in doc.comment.split_inclusive('\n') {
                let span = SourceSpan::new((doc.span.offset() + offset).into(), line.len());
                offset += line.len();
                let text = line.trim().trim_start_matches('/').trim();
                if text.starts_with('@') {
                    annotate(&mut policy, instance, text, span)?;
                }
            }
        }
        policies.insert(instance.to_string(), policy);
    }
    Ok(policies)
}

/// Adds the annotation line `text` (`@word values...`) to `policy`.
fn annotate(
    policy: &mut InstancePolicy,
    instance: &str,
    text: &str,
    span: SourceSpan,
) -> Result<(), ComposeError> {
    let word = text.split_whitespace().next().unwrap_or(text);
    let rest = text[word.len()..].trim();
    let Some((_, meaning, expected)) = annotations().find(|(a, ..)| *a == word) else {
        return Err(annotation_error(
            format!("unknown annotation `{word}` on `{instance}`"),
            span,
            format!("use {}", suggestion(word)),
        ));
    };
    let values: Vec<&str> = rest.split_whitespace().collect();
    let bad = |why: String| {
        annotation_error(
            format!("`{text}` on `{instance}`: {why}"),
            span,
            format!("{word} takes {expected}"),
        )
    };
    match meaning {
        Meaning::FrontEnd if values.is_empty() => policy.front_end = true,
        Meaning::FrontEnd => return Err(bad("it takes no values".to_string())),
        Meaning::Trace if values.is_empty() => policy.tracer = true,
        Meaning::Trace => return Err(bad("it takes no values".to_string())),
        Meaning::Power(power) if values.is_empty() => match power {
            Power::ModelEdge => policy.model_edge = true,
            Power::ReadsContext => policy.reads_context = true,
            Power::SeesInput => policy.sees_input = true,
        },
        Meaning::Power(_) => return Err(bad("it takes no values".to_string())),
        _ if values.is_empty() => {
            return Err(annotation_error(
                format!("`{word}` on `{instance}` names nothing"),
                span,
                format!("list {expected}"),
            ));
        }
        Meaning::Allow(kind) => {
            for value in values {
                if value != "*" {
                    (kind.check)(value).map_err(|why| {
                        annotation_error(
                            format!("`{word} {value}` on `{instance}`: {why}"),
                            span,
                            format!("{word} takes {expected}, or `*` to allow all"),
                        )
                    })?;
                }
                let allowed = policy.allowed.entry(kind.name).or_default();
                allowed.push(value.to_string());
                if kind.one_value && allowed.len() > 1 {
                    return Err(annotation_error(
                        format!(
                            "`{word}` on `{instance}` names more than one value: {}",
                            allowed.join(", ")
                        ),
                        span,
                        format!("{word} takes {expected}: an instance sees the keys of one prefix"),
                    ));
                }
            }
        }
        Meaning::AllowImport => {
            for value in values {
                if !value.contains(':') || value.contains(char::is_whitespace) {
                    return Err(bad(format!("`{value}` is not an interface name")));
                }
                policy.imports.push(value.to_string());
            }
        }
        Meaning::Set => {
            let Some((name, value)) = rest.split_once('=') else {
                return Err(bad("expected NAME=VALUE".to_string()));
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad(format!("`{name}` is not a variable name")));
            }
            if RESERVED_SETTINGS.contains(&name)
                || [ASK_SETTING, PRE_APPROVED_SETTING].contains(&name)
            {
                return Err(bad(format!(
                    "`{name}` is set by asterbot itself (use `@ask` and `@pre-approve` for a gate)"
                )));
            }
            policy
                .settings
                .insert(name.to_string(), value.trim().to_string());
        }
        Meaning::Ask | Meaning::PreApprove => {
            let setting = if matches!(meaning, Meaning::Ask) {
                ASK_SETTING
            } else {
                PRE_APPROVED_SETTING
            };
            for value in &values {
                let tool = value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
                if !tool && *value != "*" {
                    return Err(bad(format!("`{value}` is not a tool name")));
                }
            }
            let list = policy.settings.entry(setting.to_string()).or_default();
            for value in values {
                if !list.is_empty() {
                    list.push(',');
                }
                list.push_str(value);
            }
            policy.gate_settings = true;
        }
    }
    Ok(())
}

/// The known annotation nearest to `word`, or all of them.
fn suggestion(word: &str) -> String {
    let nearest = annotations()
        .map(|(a, ..)| (strsim::levenshtein(a, word), a))
        .min()
        .filter(|(distance, _)| *distance <= 3);
    match nearest {
        Some((_, annotation)) => format!("`{annotation}`"),
        None => {
            let all: Vec<String> = annotations().map(|(a, ..)| format!("`{a}`")).collect();
            format!("one of {}", all.join(", "))
        }
    }
}

fn annotation_error(message: String, span: SourceSpan, help: String) -> ComposeError {
    ComposeError::Annotation {
        message,
        span,
        help,
    }
}
