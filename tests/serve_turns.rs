//! No answered turn is lost or doubled when one session talks from several
//! clients at once (two browser tabs are enough): four clients send 25
//! turns each into one session, and then the agent itself says what the
//! stored history holds (the script's `{said}`). Every answered turn must
//! be there exactly once, on every store of `asterbot serve` (memory, the
//! embedded file, Redis). (`wasmtime serve -S keyvalue` keeps nothing from
//! one request to the next, so there is no stored history to count.) The
//! control composes
//! the same agent with `test:history-rmw`, which reads, extends and
//! writes a session whole as asterbot did before: turns go missing.

mod common;

use common::redis::Redis;
use common::serving::{Served, chat, client};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Clients talking at once, and the turns each sends.
const CLIENTS: usize = 4;
const TURNS: usize = 25;

/// `recount` answers with every earlier message of the session.
const SCRIPT: &str = r#"{"rules":[
 {"match":"^recount","reply":"{said}"},
 {"reply":"ok"}
]}"#;

/// The shipped serving agent, or the same with the control's history.
fn agent(dir: &Path, control: bool) -> PathBuf {
    let mut recipe = std::fs::read_to_string(common::repo().join("recipes/serve.wac")).unwrap();
    if control {
        recipe = recipe.replace("new asterbot:history-keyvalue {", "new test:history-rmw {");
    }
    let name = if control { "rmw" } else { "serve" };
    let path = dir.join(format!("{name}.wac"));
    std::fs::write(&path, recipe).unwrap();
    let agent = dir.join(format!("{name}.wasm"));
    let output = common::compose_with(&path, &agent, &[]);
    assert!(output.status.success(), "{}", common::failure(&output));
    agent
}

/// The script folder and the variable that names it.
fn script(dir: &Path) -> (String, String) {
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(scripts.join("turns.json"), SCRIPT).unwrap();
    (
        format!("{}::/scripts", scripts.display()),
        "ASTERBOT_SCRIPT=/scripts/turns.json".to_string(),
    )
}

/// Sends the turns from every client at once into session `session`;
/// the messages answered `200`.
fn talk(url: &str, session: &str) -> Vec<String> {
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (url, session) = (url.to_string(), session.to_string());
            std::thread::spawn(move || {
                let client = client();
                (0..TURNS)
                    .map(|t| format!("client {c} turn {t}"))
                    .filter(|message| chat(&client, &url, &session, message).status == 200)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect()
}

/// How often each answered message is in the stored history.
fn stored(url: &str, session: &str, answered: &[String]) -> BTreeMap<String, usize> {
    let said = chat(&client(), url, session, "recount").reply();
    let lines: Vec<&str> = said.lines().collect();
    answered
        .iter()
        .map(|m| (m.clone(), lines.iter().filter(|l| **l == m).count()))
        .collect()
}

/// The messages not stored exactly once.
fn wrong(url: &str, session: &str) -> Vec<(String, usize)> {
    let answered = talk(url, session);
    assert_eq!(answered.len(), CLIENTS * TURNS, "every turn is answered");
    stored(url, session, &answered)
        .into_iter()
        .filter(|(_, times)| *times != 1)
        .collect()
}

#[test]
fn concurrent_turns_of_one_session_are_all_kept_on_every_store() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(dir.path(), false);
    let (scripts, variable) = script(dir.path());
    let file = dir.path().join("state.redb").display().to_string();
    let redis = Redis::start();
    let mut stores = vec!["memory".to_string(), file];
    if let Some(redis) = &redis {
        stores.push(redis.url());
    }
    for store in &stores {
        let served = Served::asterbot(
            &agent,
            &["--keyvalue", store, "--dir", &scripts, "--env", &variable],
        );
        let wrong = wrong(&served.url, "tabs");
        assert!(
            wrong.is_empty(),
            "{store}: not stored exactly once: {wrong:?}"
        );
    }
}

#[test]
fn the_control_a_history_written_whole_loses_concurrent_turns() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(dir.path(), true);
    let (scripts, variable) = script(dir.path());
    let served = Served::asterbot(
        &agent,
        &[
            "--keyvalue",
            "memory",
            "--dir",
            &scripts,
            "--env",
            &variable,
        ],
    );
    let wrong = wrong(&served.url, "tabs");
    assert!(
        wrong.iter().any(|(_, times)| *times == 0),
        "written whole, some turns should have been lost"
    );
}
