//! Flow policies: what a recipe says must never flow, checked against the
//! flows of the composed artifact.
//!
//! A policy is a doc-comment annotation on the recipe's `package` line,
//! so the recipe stays plain WAC and the policy is the agent's as a whole:
//!
//! ```wac
//! /// @deny-flow $OPENAI_API_KEY -> hosts except provider
//! /// @deny-flow private -> * unless asked
//! package asterbot:openai;
//! ```
//!
//! `@deny-flow SOURCE... -> SINK... [except SINK...] [unless asked]`:
//! no data may move from any of the sources to any of the sinks (but the
//! exceptions), or, with `unless asked`, not without a person's approval
//! on the way.
//!
//! - a source is `any`, `private` (folders, key prefixes, secrets),
//!   `untrusted` (results of tools that read from outside), `input` (the
//!   person's input), or one source by its label: `$NAME`, a folder
//!   (`/state/memory`), `keys:PREFIX`, `results:INSTANCE`,
//!   `sections:INSTANCE`;
//! - a sink is `hosts` (every host, and the network), `output` (the
//!   answer), `provider` (the hosts of a model's provider), or one sink
//!   by its label: a host as granted (`api.openai.com`, `*`, `*.example.com`),
//!   a folder, `keys:PREFIX`.

use super::{Flow, Flows, SinkKind, SourceKind};
use miette::SourceSpan;

/// The annotation word.
pub const DENY_FLOW: &str = "@deny-flow";

/// What `@deny-flow` takes, for diagnostics.
pub const SYNTAX: &str = "`@deny-flow SOURCE... -> SINK... [except SINK...] [unless asked]`, e.g. `@deny-flow $OPENAI_API_KEY -> hosts except provider` or `@deny-flow private -> * unless asked`";

/// One `@deny-flow` of a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The annotation as written.
    pub text: String,
    /// Where it is in the recipe.
    pub span: SourceSpan,
    /// The sources it names.
    pub sources: Vec<String>,
    /// The sinks it names.
    pub sinks: Vec<String>,
    /// The sinks it leaves out.
    pub except: Vec<String>,
    /// Whether a flow a person approves is allowed.
    pub unless_asked: bool,
}

/// A flow a policy denies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The policy.
    pub policy: Policy,
    /// The flow.
    pub flow: Flow,
}

/// The policies in the doc comment of `document`'s package line; an
/// annotation that is not `@deny-flow`, or one that does not parse, is an
/// error (`message`, `span`).
pub fn parse(document: &wac_parser::Document) -> Result<Vec<Policy>, (String, SourceSpan)> {
    let mut policies = Vec::new();
    for doc in &document.docs {
        let mut offset = 0;
        for line in doc.comment.split_inclusive('\n') {
            let span = SourceSpan::new((doc.span.offset() + offset).into(), line.len());
            offset += line.len();
            let text = line.trim().trim_start_matches('/').trim();
            if !text.starts_with('@') {
                continue;
            }
            policies.push(parse_one(text).map_err(|why| (why, span)).map(|mut p| {
                p.span = span;
                p
            })?);
        }
    }
    Ok(policies)
}

/// One annotation line.
fn parse_one(text: &str) -> Result<Policy, String> {
    let word = text.split_whitespace().next().unwrap_or(text);
    if word != DENY_FLOW {
        return Err(format!(
            "unknown annotation `{word}` on the package: only `{DENY_FLOW}` goes there (an instance's annotations go above its `let`)"
        ));
    }
    let rest = text[word.len()..].trim();
    let Some((sources, sinks)) = rest.split_once("->") else {
        return Err(format!(
            "`{text}`: no `->` between the sources and the sinks"
        ));
    };
    let mut sinks: Vec<&str> = sinks.split_whitespace().collect();
    let unless_asked = sinks.ends_with(&["unless", "asked"]);
    if unless_asked {
        sinks.truncate(sinks.len() - 2);
    }
    let (sinks, except) = match sinks.iter().position(|w| *w == "except") {
        Some(at) => (sinks[..at].to_vec(), sinks[at + 1..].to_vec()),
        None => (sinks, Vec::new()),
    };
    let owned = |list: Vec<&str>| list.into_iter().map(str::to_string).collect::<Vec<_>>();
    let policy = Policy {
        text: text.to_string(),
        span: SourceSpan::new(0.into(), 0),
        sources: owned(sources.split_whitespace().collect()),
        sinks: owned(sinks),
        except: owned(except),
        unless_asked,
    };
    if policy.sources.is_empty() || policy.sinks.is_empty() {
        return Err(format!("`{text}`: it names no source or no sink"));
    }
    if policy.except.is_empty() && text.split_whitespace().any(|w| w == "except") {
        return Err(format!("`{text}`: `except` names no sink"));
    }
    if let Some(word) = policy
        .sinks
        .iter()
        .chain(&policy.except)
        .chain(&policy.sources)
        .find(|w| ["unless", "asked", "except", "->"].contains(&w.as_str()))
    {
        return Err(format!("`{text}`: `{word}` is out of place"));
    }
    Ok(policy)
}

impl Policy {
    /// Whether the source `label` of `flows` is one this policy names.
    fn names_source(&self, flows: &Flows, label: &str) -> bool {
        let Some(source) = flows.sources.iter().find(|s| s.label == label) else {
            return false;
        };
        self.sources.iter().any(|term| match term.as_str() {
            "any" => true,
            "private" => source.private,
            "untrusted" => source.untrusted,
            "input" => source.kind == SourceKind::Input,
            term => same_label(term, label),
        })
    }

    /// Whether `terms` name the sink `label` of `flows`.
    fn names_sink(terms: &[String], flows: &Flows, label: &str) -> bool {
        let Some(sink) = flows.sinks.iter().find(|s| s.label == label) else {
            return false;
        };
        terms.iter().any(|term| match term.as_str() {
            "hosts" => matches!(sink.kind, SinkKind::Host | SinkKind::Network),
            "output" => sink.kind == SinkKind::Answer,
            "provider" => sink.outward && !sink.provider_of.is_empty(),
            term => same_label(term, label),
        })
    }

    /// Whether this policy denies `flow`.
    fn denies(&self, flows: &Flows, flow: &Flow) -> bool {
        self.names_source(flows, &flow.source)
            && Policy::names_sink(&self.sinks, flows, &flow.sink)
            && !Policy::names_sink(&self.except, flows, &flow.sink)
            && !(self.unless_asked && flow.approved())
    }
}

/// Whether a policy's `term` names the source or sink `label`.
fn same_label(term: &str, label: &str) -> bool {
    if term == label {
        return true;
    }
    let long = if let Some(prefix) = term.strip_prefix("keys:") {
        super::keys_label(prefix)
    } else if let Some(instance) = term.strip_prefix("results:") {
        format!("results of {instance}")
    } else if let Some(instance) = term.strip_prefix("sections:") {
        format!("sections of {instance}")
    } else {
        return false;
    };
    long == label
}

/// Every flow of `flows` that one of `policies` denies.
pub fn check(flows: &Flows, policies: &[Policy]) -> Vec<Violation> {
    let mut found = Vec::new();
    for policy in policies {
        for flow in &flows.flows {
            if policy.denies(flows, flow) {
                found.push(Violation {
                    policy: policy.clone(),
                    flow: flow.clone(),
                });
            }
        }
    }
    found
}

/// Whether each term of a policy names something of `flows` (a term
/// that names nothing is most likely a typo).
pub fn unknown_terms(flows: &Flows, policy: &Policy) -> Vec<String> {
    let keywords = [
        "any",
        "private",
        "untrusted",
        "input",
        "hosts",
        "output",
        "provider",
    ];
    let known = |term: &str| {
        keywords.contains(&term)
            || flows.sources.iter().any(|s| same_label(term, &s.label))
            || flows.sinks.iter().any(|s| same_label(term, &s.label))
    };
    policy
        .sources
        .iter()
        .chain(&policy.sinks)
        .chain(&policy.except)
        .filter(|t| !known(t))
        .cloned()
        .collect()
}

/// Fails on the first term that names nothing in `flows`, then on the
/// first flow a policy denies, naming its path and the lines of the
/// recipe `source` on it.
pub(crate) fn enforce(
    flows: &Flows,
    policies: &[Policy],
    source: &str,
) -> Result<(), crate::ComposeError> {
    for policy in policies {
        let unknown = unknown_terms(flows, policy);
        if !unknown.is_empty() {
            return Err(crate::ComposeError::FlowPolicy {
                message: format!(
                    "`{}` names {} that this agent does not have",
                    policy.text,
                    unknown
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                span: policy.span,
                help: "name sources as `any`, `private`, `untrusted`, `input`, `$NAME`, a folder, `keys:PREFIX` or `results:INSTANCE`, and sinks as `hosts`, `output`, `provider`, a host as granted or a folder (`asterbot flows RECIPE` lists them)".to_string(),
            });
        }
    }
    let violations = check(flows, policies);
    let Some(first) = violations.first() else {
        return Ok(());
    };
    let flow = &first.flow;
    // The lines in the order the path passes them, each once.
    let mut lines: Vec<String> = Vec::new();
    for hop in &flow.hops {
        if let Some(n) = super::let_line(source, hop) {
            let line = format!("line {n} (`{hop}`)");
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    let more = violations.len() - 1;
    Err(crate::ComposeError::FlowPolicy {
        message: format!(
            "the recipe denies `{}`, but the composed wiring lets `{}` reach `{}`{}: {}{}",
            first.policy.text,
            flow.source,
            flow.sink,
            if flow.approved() {
                format!(" (a person approves it at {})", flow.approval.join(", "))
            } else {
                " with no approval on the way".to_string()
            },
            flow.line(),
            if more > 0 {
                format!(
                    " (and {more} more flow{} it denies)",
                    if more == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        ),
        span: first.policy.span,
        help: format!(
            "the recipe lines on that path: {}; close it there (an approval gate that asks about the tool, with `unless asked` in the policy; a narrower grant; another wiring), or change the policy",
            if lines.is_empty() {
                "none".to_string()
            } else {
                lines.join(", ")
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_reads_as_sources_sinks_exceptions_and_approval() {
        let p = parse_one(
            "@deny-flow $KEY /state/memory -> hosts except api.openai.com provider unless asked",
        )
        .unwrap();
        assert_eq!(p.sources, ["$KEY", "/state/memory"]);
        assert_eq!(p.sinks, ["hosts"]);
        assert_eq!(p.except, ["api.openai.com", "provider"]);
        assert!(p.unless_asked);
        let p = parse_one("@deny-flow private -> *").unwrap();
        assert!(!p.unless_asked && p.except.is_empty());
        for bad in [
            "@deny-flow private",
            "@deny-flow -> *",
            "@deny-flow private -> except x",
            "@deny-flow private -> * except",
            "@deny-flow private -> * unless",
            "@allow-host x",
        ] {
            assert!(parse_one(bad).is_err(), "{bad}");
        }
        assert!(same_label("keys:memory", "keys memory*"));
        assert!(same_label("results:fetch", "results of fetch"));
    }
}
