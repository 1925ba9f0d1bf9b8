//! Spans as OTLP/JSON (`ExportTraceServiceRequest`, as collectors accept
//! on `/v1/traces`): ids in hex, times as decimal strings of nanoseconds.

use crate::exports::asterbot::agent::tracing::{Attribute, Value};
use serde_json::{Value as Json, json};

/// OTLP's span kinds.
const KIND_INTERNAL: u8 = 1;
const KIND_CLIENT: u8 = 3;

/// OTLP's status code for an error.
const STATUS_ERROR: u8 = 2;

/// One span as the tracer keeps it.
pub struct Span {
    /// The handle the middleware holds.
    pub handle: u64,
    pub name: String,
    pub span_id: String,
    pub parent: Option<String>,
    pub start_nanos: u64,
    pub end_nanos: u64,
    pub attributes: Vec<Attribute>,
    pub error: Option<String>,
}

impl Span {
    pub fn new(
        handle: u64,
        name: String,
        span_id: String,
        parent: Option<String>,
        start_nanos: u64,
    ) -> Span {
        Span {
            handle,
            name,
            span_id,
            parent,
            start_nanos,
            end_nanos: start_nanos,
            attributes: Vec::new(),
            error: None,
        }
    }

    /// A copy of the attribute `key`, if the span has it.
    pub fn attribute(&self, key: &str) -> Option<Attribute> {
        self.attributes.iter().find(|a| a.key == key).cloned()
    }

    /// A model call is a client span; the rest are internal.
    fn kind(&self) -> u8 {
        let chat = self.attributes.iter().any(|a| {
            a.key == "gen_ai.operation.name" && matches!(&a.value, Value::Text(t) if t == "chat")
        });
        if chat { KIND_CLIENT } else { KIND_INTERNAL }
    }
}

fn attribute(attribute: &Attribute) -> Json {
    let value = match &attribute.value {
        Value::Text(text) => json!({"stringValue": text}),
        // OTLP/JSON writes 64-bit integers as strings.
        Value::Integer(number) => json!({"intValue": number.to_string()}),
    };
    json!({"key": attribute.key, "value": value})
}

fn span(trace_id: &str, span: &Span) -> Json {
    let mut value = json!({
        "traceId": trace_id,
        "spanId": span.span_id,
        "name": span.name,
        "kind": span.kind(),
        "startTimeUnixNano": span.start_nanos.to_string(),
        "endTimeUnixNano": span.end_nanos.to_string(),
        "attributes": span.attributes.iter().map(attribute).collect::<Vec<_>>(),
    });
    if let Some(parent) = &span.parent {
        value["parentSpanId"] = json!(parent);
    }
    if let Some(error) = &span.error {
        value["status"] = json!({"code": STATUS_ERROR, "message": error});
    }
    value
}

/// One turn's spans as an `ExportTraceServiceRequest`.
pub fn request(trace_id: &str, spans: &[Span]) -> Json {
    json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "asterbot"}},
        ]},
        "scopeSpans": [{
            "scope": {"name": "asterbot", "version": env!("CARGO_PKG_VERSION")},
            "spans": spans.iter().map(|s| span(trace_id, s)).collect::<Vec<_>>(),
        }],
    }]})
}
