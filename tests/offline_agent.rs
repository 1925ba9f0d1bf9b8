//! The offline agent end to end: composed from `recipes/offline.wac` and
//! run by `asterbot run`.

mod common;

use common::{offline_agent, reply, run, run_stdin};

#[test]
fn the_model_calls_the_calculator_and_answers_with_its_result() {
    let output = run(offline_agent(), &[], "what is 6 * 7?");
    assert_eq!(reply(&output), "The answer is 42.");
}

#[test]
fn the_clock_tool_gives_the_current_utc_time() {
    let answer = reply(&run(offline_agent(), &[], "what time is it?"));
    // "It is 2026-11-21T21:43:08Z (UTC)."
    let stamp = answer
        .strip_prefix("It is ")
        .and_then(|rest| rest.strip_suffix(" (UTC)."))
        .unwrap_or_else(|| panic!("unexpected answer: {answer}"));
    assert_eq!(stamp.len(), 20, "{stamp}");
    assert!(stamp.starts_with("20") && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T');
}

#[test]
fn a_tool_error_goes_back_to_the_model_and_the_turn_completes() {
    let answer = reply(&run(offline_agent(), &[], "what is 1 / 0"));
    assert_eq!(
        answer,
        "I could not use that tool: the result is not a finite number (division by zero?)"
    );
}

#[test]
fn each_stdin_line_is_one_turn() {
    let output = run_stdin(
        offline_agent(),
        &[],
        "hello\n\nwhat is 2 ^ 10?\nroll 3 dice\n",
    );
    let text = reply(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("Hello!"), "{text}");
    assert_eq!(lines[1], "The answer is 1024.");
    assert!(
        lines[2].starts_with("You rolled ") && lines[2].contains("(total "),
        "{text}"
    );
}

#[test]
fn words_of_a_message_are_joined_into_one_turn() {
    let output = common::asterbot()
        .args(["run"])
        .arg(offline_agent())
        .args(["what", "is", "3", "+", "4?"])
        .output()
        .unwrap();
    assert_eq!(reply(&output), "The answer is 7.");
}

#[test]
fn the_minimal_recipe_talks_and_says_clearly_that_it_has_no_tools() {
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("minimal.wasm");
    common::compose(&common::repo().join("recipes/minimal.wac"), &agent);
    assert!(reply(&run(&agent, &[], "hello")).starts_with("Hello!"));
    let answer = reply(&run(&agent, &[], "what is 6 * 7?"));
    assert!(
        answer.starts_with("I could not use that tool: unknown tool `calculator`"),
        "{answer}"
    );
}
