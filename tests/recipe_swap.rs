//! Swapping a capability is a one-line recipe change: two recipes that
//! differ only in the tool line behave accordingly.

mod common;

use common::{compose_text, reply, run, swap_one_line};

/// A small agent with one tool, given by the `let tool = ...` line.
const WITH_CALCULATOR: &str = r#"package test:swap;
let llm = new asterbot:llm-script { ... };
let tool = new asterbot:calculator { ... };
let context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: tool.tools, context: context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

#[test]
fn swapping_the_tool_line_swaps_the_behaviour() {
    let with_clock = swap_one_line(WITH_CALCULATOR, "asterbot:calculator", "asterbot:clock");

    let dir = tempfile::tempdir().unwrap();
    let calculator_agent = compose_text(dir.path(), "calculator", WITH_CALCULATOR);
    let clock_agent = compose_text(dir.path(), "clock", &with_clock);

    assert_eq!(
        reply(&run(&calculator_agent, &[], "what is 6 * 7?")),
        "The answer is 42."
    );
    let no_calculator = reply(&run(&clock_agent, &[], "what is 6 * 7?"));
    assert!(
        no_calculator.starts_with("I could not use that tool: unknown tool `calculator`"),
        "{no_calculator}"
    );

    let no_clock = reply(&run(&calculator_agent, &[], "what time is it?"));
    assert!(
        no_clock.starts_with("I could not use that tool: unknown tool `clock`"),
        "{no_clock}"
    );
    assert!(reply(&run(&clock_agent, &[], "what time is it?")).starts_with("It is 20"));
}
