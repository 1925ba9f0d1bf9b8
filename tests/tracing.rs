//! Traces of a served agent: `asterbot compose --trace` puts tracing
//! middleware on every `agent`, `llm` and `tools` edge, and each turn's
//! OpenTelemetry GenAI spans come out as OTLP JSON, on stderr or posted
//! to a collector the recipe allows. The spans are read back with the
//! `opentelemetry-proto` package and checked to form one tree per turn.

mod common;

use common::serving::{Served, chat, client, serve_recipe};

/// Parses OTLP/JSON requests (one per line of stdin) with
/// opentelemetry-proto, as a collector would, and prints each turn's tree:
/// one line per span, indented under its parent, with the attributes a
/// reader of GenAI traces looks for.
const CHECK: &str = r#"
import base64, json, sys
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

def ids_to_base64(value):
    # OTLP/JSON writes ids in hex; protobuf's JSON mapping wants base64.
    if isinstance(value, dict):
        return {k: (base64.b64encode(bytes.fromhex(v)).decode() if k in ("traceId", "spanId", "parentSpanId") else ids_to_base64(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [ids_to_base64(v) for v in value]
    return value

for line in sys.stdin:
    request = json_format.ParseDict(ids_to_base64(json.loads(line)), ExportTraceServiceRequest())
    spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert len({s.trace_id for s in spans}) == 1, "one trace per turn"
    assert all(len(s.trace_id) == 16 and len(s.span_id) == 8 for s in spans)
    by_id = {s.span_id: s for s in spans}
    roots = [s for s in spans if not s.parent_span_id]
    assert len(roots) == 1, [s.name for s in roots]
    assert all(s.parent_span_id in by_id for s in spans if s.parent_span_id), "every parent is in the turn"
    for s in spans:
        assert s.start_time_unix_nano <= s.end_time_unix_nano
        if s.parent_span_id:
            parent = by_id[s.parent_span_id]
            assert parent.start_time_unix_nano <= s.start_time_unix_nano and s.end_time_unix_nano <= parent.end_time_unix_nano
    def attrs(s):
        return {a.key: (a.value.string_value or a.value.int_value) for a in s.attributes}
    def show(span, depth):
        a = attrs(span)
        shown = [f"session={a['gen_ai.conversation.id']}"]
        if "gen_ai.usage.input_tokens" in a:
            shown.append(f"tokens={a['gen_ai.usage.input_tokens']}+{a.get('gen_ai.usage.output_tokens', 0)}")
        if "gen_ai.tool.name" in a:
            shown.append(f"tool={a['gen_ai.tool.name']}")
        if span.status.code == 2:
            shown.append("error")
        print("  " * depth + span.name + " " + " ".join(shown))
        for child in sorted((c for c in spans if c.parent_span_id == span.span_id), key=lambda c: c.start_time_unix_nano):
            show(child, depth + 1)
    show(roots[0], 0)
    print("--")
"#;

/// The trees of the turns in `lines` (OTLP JSON, one request a line),
/// with the test key's principal shown as `KEY`.
fn trees(lines: &[String]) -> Option<String> {
    let mut python =
        common::peer_python_module("opentelemetry.proto", "pip install opentelemetry-proto")?;
    let output = common::with_stdin(python.args(["-c", CHECK]), &(lines.join("\n") + "\n"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A session is stored, and traced, under the asking key's principal.
    let principal = format!("={}:", common::serving::principal(common::serving::KEY));
    Some(String::from_utf8_lossy(&output.stdout).replace(&principal, "=KEY:"))
}

#[test]
fn compose_trace_writes_one_span_tree_per_turn_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo().join("recipes/serve.wac")).unwrap();
    let recipe = serve_recipe(dir.path(), Some(&text));
    let agent = dir.path().join("traced.wasm");
    // The tracing middleware shows in the full table of instances.
    let output = common::compose_with(
        &recipe,
        &agent,
        &["--trace".to_string(), "--verbose".to_string()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for middleware in [
        "trace-http-agent",
        "trace-core-llm",
        "trace-core-tools",
        "tracer",
    ] {
        assert!(printed.contains(middleware), "{middleware}: {printed}");
    }

    let server = Served::asterbot(&agent, &["--keyvalue", "memory"]);
    let http = client();
    assert_eq!(
        chat(&http, &server.url, "t1", "what is 6 * 7?").reply(),
        "The answer is 42."
    );
    assert_eq!(chat(&http, &server.url, "t2", "hello").status, 200);
    let lines = server.log_lines(2, |l| l.starts_with("{\"resourceSpans\""));
    assert_eq!(lines.len(), 2, "{}", server.log());
    let Some(trees) = trees(&lines) else { return };
    assert_eq!(
        trees,
        "invoke_agent asterbot session=KEY:t1
  chat session=KEY:t1 tokens=56+0
  execute_tool calculator session=KEY:t1 tool=calculator
    execute_tool calculator session=KEY:t1 tool=calculator
  chat session=KEY:t1 tokens=57+5
--
invoke_agent asterbot session=KEY:t2
  chat session=KEY:t2 tokens=54+26
--
"
    );
}

/// A collector on loopback: the bodies posted to `/v1/traces`.
fn collector() -> (String, std::sync::mpsc::Receiver<String>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let address = server.server_addr().to_ip().unwrap().to_string();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = String::new();
            let _ = request.as_reader().read_to_string(&mut body);
            if request.url() == "/v1/traces" {
                let _ = sender.send(body);
            }
            let _ = request.respond(tiny_http::Response::from_string("{}"));
        }
    });
    (address, receiver)
}

#[test]
fn a_tracer_the_recipe_allows_a_collector_posts_otlp_json_there() {
    let (address, received) = collector();
    let dir = tempfile::tempdir().unwrap();
    let tracer = |allow: &str| {
        format!(
            "/// Spans of every turn, to the collector.\n/// @trace\n{allow}/// @allow-env ASTERBOT_TRACE_ENDPOINT\n/// @set ASTERBOT_TRACE_ENDPOINT=http://{address}\nlet tracer = new asterbot:tracer {{ ... }};\n\nlet core = new asterbot:core {{"
        )
    };
    let text = std::fs::read_to_string(common::repo().join("recipes/serve.wac")).unwrap();
    let allowed = text.replace(
        "let core = new asterbot:core {",
        &tracer(&format!("/// @allow-host {address}\n")),
    );
    // The control: the same tracer, its host not allowed by the recipe.
    let denied = text.replace("let core = new asterbot:core {", &tracer(""));
    let grant = ["--keyvalue", "memory", "--allow-host", address.as_str()];

    let agent = dir.path().join("allowed.wasm");
    common::compose(&serve_recipe(dir.path(), Some(&allowed)), &agent);
    let server = Served::asterbot(&agent, &grant);
    assert_eq!(
        chat(&client(), &server.url, "c1", "what is 2 + 3?").status,
        200
    );
    let body = received
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the collector got the turn's spans");
    if let Some(trees) = trees(&[body]) {
        assert_eq!(
            trees,
            "invoke_agent asterbot session=KEY:c1
  chat session=KEY:c1 tokens=56+0
  execute_tool calculator session=KEY:c1 tool=calculator
    execute_tool calculator session=KEY:c1 tool=calculator
  chat session=KEY:c1 tokens=57+4
--
"
        );
    }
    drop(server);

    let agent = dir.path().join("denied.wasm");
    common::compose(&serve_recipe(dir.path(), Some(&denied)), &agent);
    let server = Served::asterbot(&agent, &grant);
    assert_eq!(chat(&client(), &server.url, "c2", "hello").status, 200);
    assert!(
        received
            .recv_timeout(std::time::Duration::from_secs(2))
            .is_err(),
        "spans reached a host the recipe does not allow"
    );
    assert!(
        server.log().contains("cannot send this turn's spans"),
        "{}",
        server.log()
    );
}

#[test]
fn two_tracers_are_refused_with_the_place_of_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo().join("recipes/serve.wac"))
        .unwrap()
        .replace(
            "let core = new asterbot:core {",
            "/// @trace\nlet one = new asterbot:tracer { ... };\n/// @trace\nlet two = new asterbot:tracer { ... };\nlet core = new asterbot:core {",
        );
    let recipe = serve_recipe(dir.path(), Some(&text));
    let output = common::compose_with(&recipe, &dir.path().join("x.wasm"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("both marked `@trace`"), "{stderr}");
    assert!(stderr.contains("serve.wac:"), "{stderr}");
}
