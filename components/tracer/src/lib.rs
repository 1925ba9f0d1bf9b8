//! `tracer`: the spans of a turn, from the tracing middleware that
//! `asterbot compose --trace` puts on the agent's `agent`, `llm` and
//! `tools` edges. Each span opens under the innermost open one, so the
//! middleware needs no ids of its own; every span carries the session
//! (`gen_ai.conversation.id`) of the turn's root span. When the root
//! closes, the turn is exported as one OTLP `ExportTraceServiceRequest`
//! in JSON:
//!
//! - to `ASTERBOT_TRACE_ENDPOINT` (`http://collector:4318`), posted to
//!   `/v1/traces` (the recipe allows the tracer that host);
//! - else as one line on standard error.
//!
//! Error text can carry secrets (a provider's 401 that echoes the key), so
//! a span's status says only that the call failed unless the recipe opts
//! in with `ASTERBOT_TRACE_ERROR_TEXT=1`; even then, and in every name and
//! attribute, bearer tokens, API keys and key-like query parameters are
//! replaced by `[redacted]` (see [`redact`]).

mod otlp;
mod redact;

use redact::redact;

use asterbot_sdk::worlds::tracer::exports;

use exports::asterbot::agent::tracing::{Attribute, Guest, Value};
use otlp::Span;
use std::cell::RefCell;

/// The collector's base URL; spans go to `<it>/v1/traces`.
const ENDPOINT_ENV: &str = "ASTERBOT_TRACE_ENDPOINT";

/// Set to `1` (by the recipe: `@allow-env` and `@set`), span statuses
/// carry the error text, redacted; otherwise only that there was one.
const ERROR_TEXT_ENV: &str = "ASTERBOT_TRACE_ERROR_TEXT";

/// The status message of a failed span when error text is not exported.
const ERROR_WITHHELD: &str =
    "failed (the error text is not exported; ASTERBOT_TRACE_ERROR_TEXT=1 exports it, redacted)";

/// `attributes` with their text redacted.
fn redacted(attributes: Vec<Attribute>) -> Vec<Attribute> {
    attributes
        .into_iter()
        .map(|attribute| Attribute {
            value: match attribute.value {
                Value::Text(text) => Value::Text(redact(&text)),
                other => other,
            },
            key: attribute.key,
        })
        .collect()
}

/// The attribute naming the conversation, copied from the root span to
/// every span of the turn.
const CONVERSATION: &str = "gen_ai.conversation.id";

/// The spans of the current turn: open ones on a stack, closed ones kept
/// until the root closes.
#[derive(Default)]
struct Turn {
    trace_id: String,
    open: Vec<Span>,
    closed: Vec<Span>,
    next: u64,
}

thread_local! {
    static TURN: RefCell<Turn> = RefCell::new(Turn::default());
}

fn random_hex(bytes: u64) -> String {
    wasip2::random::random::get_random_bytes(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

struct Tracer;

impl Guest for Tracer {
    fn start(name: String, attributes: Vec<Attribute>) -> u64 {
        TURN.with_borrow_mut(|turn| {
            if turn.open.is_empty() {
                turn.trace_id = random_hex(16);
                turn.closed.clear();
            }
            turn.next += 1;
            let parent = turn.open.last().map(|span| span.span_id.clone());
            let mut span = Span::new(turn.next, redact(&name), random_hex(8), parent, now_nanos());
            span.attributes = redacted(attributes);
            if let Some(conversation) = turn
                .open
                .first()
                .and_then(|root| root.attribute(CONVERSATION))
                .filter(|_| span.attribute(CONVERSATION).is_none())
            {
                span.attributes.push(conversation);
            }
            turn.open.push(span);
            turn.next
        })
    }

    fn end(handle: u64, attributes: Vec<Attribute>, error: Option<String>) {
        let finished = TURN.with_borrow_mut(|turn| {
            let at = turn.open.iter().rposition(|span| span.handle == handle)?;
            // Spans opened inside it and never closed close with it.
            let mut inner = turn.open.split_off(at);
            let mut span = inner.remove(0);
            let end = now_nanos();
            for mut orphan in inner {
                orphan.end_nanos = end;
                turn.closed.push(orphan);
            }
            span.end_nanos = end;
            span.attributes.extend(redacted(attributes));
            if let Some(error) = error {
                span.attributes.push(Attribute {
                    key: "error.type".to_string(),
                    value: Value::Text("error".to_string()),
                });
                let text = std::env::var(ERROR_TEXT_ENV).is_ok_and(|v| v == "1");
                span.error = Some(if text {
                    redact(&error)
                } else {
                    ERROR_WITHHELD.to_string()
                });
            }
            turn.closed.push(span);
            turn.open
                .is_empty()
                .then(|| (turn.trace_id.clone(), std::mem::take(&mut turn.closed)))
        });
        if let Some((trace_id, spans)) = finished {
            export(&otlp::request(&trace_id, &spans));
        }
    }
}

/// Sends one turn's spans to the collector, or writes them to stderr.
fn export(request: &serde_json::Value) {
    let body = request.to_string();
    let Ok(endpoint) = std::env::var(ENDPOINT_ENV) else {
        eprintln!("{body}");
        return;
    };
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let sent = asterbot_http::Url::parse(&url)
        .map_err(|e| e.to_string())
        .and_then(|url| {
            asterbot_http::send(&asterbot_http::Request::post_json(url, body.into_bytes()))
                .map_err(|e| e.to_string())
        });
    match sent {
        Ok(response) if (200..300).contains(&response.status) => {}
        Ok(response) => eprintln!(
            "asterbot: the trace collector at {url} answered {}; this turn's spans were dropped",
            response.status
        ),
        Err(problem) => eprintln!(
            "asterbot: cannot send this turn's spans to {url} ({problem}); they were dropped"
        ),
    }
}

asterbot_sdk::export_tracer_world!(Tracer);
