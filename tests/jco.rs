//! The same artifact runs under Node through jco, a third WASI P2 runtime.
//!
//! Skipped (with a note) where `jco` is not installed, except in CI (`CI`
//! set), where `.ci/run` installs it. jco's `run` has no grant flags: the
//! agent gets no state folder there, and degrades as it does without
//! `--dir` (documented in the README).

mod common;

use common::{offline_agent, reply};
use std::process::{Command, Stdio};

fn jco() -> Option<Command> {
    common::peer_tool("jco", "npm install @bytecodealliance/jco")
}

#[test]
fn the_offline_agent_answers_the_same_under_jco() {
    let Some(mut jco) = jco() else {
        return;
    };
    let output = jco
        .arg("run")
        .arg(offline_agent())
        .arg("what is 6 * 7?")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(reply(&output), "The answer is 42.");
}

#[test]
fn jco_reads_turns_from_stdin_too() {
    let Some(mut jco) = jco() else {
        return;
    };
    let output = common::with_stdin(
        jco.arg("run").arg(offline_agent()),
        "what is 2 + 2?\nwhat is 3 * 3?\n",
    );
    assert_eq!(reply(&output), "The answer is 4.\nThe answer is 9.");
}
