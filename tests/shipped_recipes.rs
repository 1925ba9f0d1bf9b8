//! The shipped provider recipes, composed as they are and run against a
//! scripted API on 127.0.0.1: web fetches pass the approval gate only with
//! a person's approval (or the recipe's), and land in the audit log; a
//! provider or a memory swaps in one line.

mod common;

use common::http_peer::{Answer, Peer};
use common::providers::{anthropic_flags, anthropic_text, openai_call, openai_flags, openai_text};
use common::{compose_text, offline_agent, reply, repo, run, run_stdin, strs, swap_one_line};
use std::path::{Path, PathBuf};

fn recipe(name: &str) -> String {
    std::fs::read_to_string(repo().join("recipes").join(name)).unwrap()
}

/// `openai.wac` with its model allowed to reach the scripted API on
/// 127.0.0.1 instead of api.openai.com: the one policy change a test needs.
fn openai_locally() -> String {
    let recipe = recipe("openai.wac");
    assert!(recipe.contains("/// @allow-host api.openai.com\n"));
    recipe.replace(
        "/// @allow-host api.openai.com\n",
        "/// @allow-host 127.0.0.1\n",
    )
}

fn openai_agent(dir: &Path) -> PathBuf {
    compose_text(dir, "openai", &openai_locally())
}

/// As [`openai_agent`], with web fetches pre-approved by the recipe (as
/// for an agent that runs unattended): one more policy line, and the flow
/// policy that forbids exactly that taken out (with it, the recipe does
/// not compose: `tests/flows.rs`).
fn openai_agent_fetching(dir: &Path) -> PathBuf {
    let recipe = openai_locally();
    let gate = "/// @ask http_fetch memory_delete skills_delete persona_update\n";
    let policy = "/// @deny-flow private input -> hosts except provider unless asked\n";
    assert!(recipe.contains(gate) && recipe.contains(policy));
    let recipe = recipe
        .replace(
            gate,
            "/// @ask memory_delete skills_delete persona_update\n",
        )
        .replace(policy, "");
    compose_text(dir, "openai-fetching", &recipe)
}

fn with_state(mut flags: Vec<String>, state: &Path, extra: &[&str]) -> Vec<String> {
    flags.extend(["--dir".to_string(), format!("{}::/state", state.display())]);
    for var in extra {
        flags.extend(["--env".to_string(), var.to_string()]);
    }
    flags
}

#[test]
fn an_approved_web_fetch_reaches_the_model_as_text_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let page_peer = Peer::start(vec![Answer::Raw(
        200,
        vec![("content-type", "text/html; charset=utf-8")],
        "<html><head><script>x()</script></head><body><h1>Green tea</h1><p>Steep at 80 degrees for 2 minutes.</p></body></html>".into(),
    )]);
    let arguments = format!(r#"{{"url":"{}/tea.html"}}"#, page_peer.url);
    let api = Peer::start(vec![
        Answer::Json(200, openai_call("c1", "http_fetch", &arguments)),
        Answer::Json(200, openai_text("Steep it for 2 minutes.")),
    ]);
    let flags = with_state(openai_flags(&api), dir.path(), &[]);
    let output = run(
        &openai_agent_fetching(dir.path()),
        &strs(&flags),
        "how do I make green tea?",
    );
    assert_eq!(reply(&output), "Steep it for 2 minutes.");

    let page = page_peer.received();
    assert_eq!(
        (page[0].method.as_str(), page[0].path.as_str()),
        ("GET", "/tea.html")
    );
    let messages = api.received()[1].json()["messages"].clone();
    let result = messages.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        result["content"],
        "Green tea\n\nSteep at 80 degrees for 2 minutes."
    );

    let audit = std::fs::read_to_string(dir.path().join("audit/log.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{audit}");
    assert_eq!(
        (&lines[0]["event"], &lines[0]["tool"]),
        (&"call".into(), &"http_fetch".into())
    );
    assert_eq!(
        (&lines[1]["event"], &lines[1]["outcome"]),
        (&"result".into(), &"ok".into())
    );
}

#[test]
fn with_nobody_to_approve_a_web_fetch_it_is_refused_without_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let page_peer = Peer::start(Vec::new());
    let arguments = format!(r#"{{"url":"{}/tea.html"}}"#, page_peer.url);
    let api = Peer::start(vec![
        Answer::Json(200, openai_call("c1", "http_fetch", &arguments)),
        Answer::Json(200, openai_text("I may not fetch pages.")),
    ]);
    let flags = with_state(openai_flags(&api), dir.path(), &[]);
    let output = run(&openai_agent(dir.path()), &strs(&flags), "read that page");
    assert_eq!(reply(&output), "I may not fetch pages.");
    let messages = api.received()[1].json()["messages"].clone();
    let result = messages.as_array().unwrap().last().unwrap().clone();
    let result = result["content"].as_str().unwrap();
    assert!(
        result.contains("`http_fetch` needs a person's approval and nobody is at a terminal"),
        "{result}"
    );
    assert!(page_peer.received().is_empty());
    let audit = std::fs::read_to_string(dir.path().join("audit/log.jsonl")).unwrap();
    assert!(audit.contains(r#""decision":"nobody-to-ask""#), "{audit}");
}

#[test]
fn swapping_llm_openai_for_llm_anthropic_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // The key of the other provider is allowed too, so that the swap
    // itself is the one line a reviewer sees.
    let recipe =
        openai_locally().replace(" OPENAI_API_KEY\n", " OPENAI_API_KEY ANTHROPIC_API_KEY\n");
    let swapped = swap_one_line(&recipe, "asterbot:llm-openai", "asterbot:llm-anthropic");
    let agent = compose_text(dir.path(), "swapped", &swapped);
    let api = Peer::start(vec![Answer::Json(
        200,
        anthropic_text("Hello from Claude."),
    )]);
    let flags = with_state(anthropic_flags(&api), dir.path(), &[]);
    assert_eq!(
        reply(&run(&agent, &strs(&flags), "hello")),
        "Hello from Claude."
    );
    assert_eq!(api.received()[0].path, "/v1/messages");
}

#[test]
fn swapping_memory_for_memory_ephemeral_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let swapped = swap_one_line(
        &recipe("offline.wac"),
        "asterbot:memory {",
        "asterbot:memory-ephemeral {",
    );
    let agent = compose_text(dir.path(), "ephemeral", &swapped);
    let turns = "remember that I like green tea\nwhat do you remember?\n";

    // Notes last for the process and need no grant...
    let said = reply(&run_stdin(&agent, &[], turns));
    assert_eq!(said, "I will remember that.\nI remember: I like green tea");
    // ...and are gone in the next one.
    let said = reply(&run(&agent, &[], "what do you remember?"));
    assert!(said.contains("no note named"), "{said}");
    // While the folder-backed memory, without its grant, says it cannot keep them.
    let said = reply(&run(offline_agent(), &[], "remember that I like green tea"));
    assert!(
        said.contains("grant it with `--dir ./state::/state`"),
        "{said}"
    );
}

#[test]
fn two_instances_of_one_provider_each_use_the_settings_the_recipe_gives_them() {
    let dir = tempfile::tempdir().unwrap();
    let openai = Peer::start(vec![Answer::Json(
        401,
        serde_json::json!({"error": {"message": "bad key"}}),
    )]);
    let ollama = Peer::start(vec![Answer::Json(200, openai_text("Hello from llama."))]);
    // The shipped recipe, with each instance pointed at its local peer:
    // the one change a test needs, made in the recipe as a reviewer would
    // see it.
    let recipe = recipe("openai-ollama.wac")
        .replace(
            "/// @allow-host api.openai.com\n",
            &format!(
                "/// @allow-host 127.0.0.1\n/// @set ASTERBOT_BASE_URL={}/v1\n/// @set ASTERBOT_LLM_RETRIES=0\n",
                openai.url
            ),
        )
        .replace(
            "/// @allow-host localhost:11434 127.0.0.1:11434\n",
            &format!("/// @allow-host 127.0.0.1\n/// @set ASTERBOT_BASE_URL={}/v1\n", ollama.url),
        );
    let agent = compose_text(dir.path(), "two", &recipe);
    let flags = [
        "--allow-host",
        "127.0.0.1",
        "--env",
        "OPENAI_API_KEY=sk-test",
        // A runtime value cannot override what the recipe baked.
        "--env",
        "ASTERBOT_MODEL=openai/other",
    ];
    // Ollama, the fallback, answers, and says that OpenAI failed.
    let answer = reply(&run(&agent, &flags, "hello"));
    assert_eq!(answer.lines().last(), Some("Hello from llama."), "{answer}");
    assert!(
        answer.starts_with("[answered by the fallback model: the first model failed:")
            && answer.contains("bad key"),
        "{answer}"
    );
    assert_eq!(openai.received()[0].json()["model"], "gpt-4o-mini");
    assert_eq!(
        openai.received()[0].header("authorization"),
        Some("Bearer sk-test")
    );
    assert_eq!(ollama.received()[0].json()["model"], "llama3.2");
    assert_eq!(ollama.received()[0].header("authorization"), None);

    // The audit shows what is baked and what is granted, per instance.
    let audit = reply(
        &common::asterbot()
            .arg("audit")
            .arg(&agent)
            .output()
            .unwrap(),
    );
    let row = |instance: &str| {
        audit
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{instance} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        row("model").contains("OPENAI_API_KEY")
            && row("model").contains("set ASTERBOT_MODEL=openai/gpt-4o-mini")
    );
    assert!(
        !row("local").contains("OPENAI_API_KEY")
            && row("local").contains("set ASTERBOT_MODEL=ollama/llama3.2")
    );
}
