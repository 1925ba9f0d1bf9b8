//! `asterbot run` as a strict, fault-tolerant host: grants from flags and
//! env files, sessions, the compile cache, `--explain`, limits on memory
//! and time, and faults that end a turn but not the conversation.

mod common;

use common::{asterbot, compose_text, failure, offline_agent, reply, run, run_stdin};
use std::path::{Path, PathBuf};

/// An agent with the misbehaving fixture tool and the calculator, driven
/// by a script: "spin", "hog" and "crash" misbehave, "what is X?"
/// calculates. History lives in `dir`, the script in `dir/scripts`.
fn misbehaving_agent(dir: &Path) -> PathBuf {
    compose_text(
        dir,
        "misbehaving",
        r#"package test:faults;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script { ... };
let wild = new test:misbehave { ... };
let calculator = new asterbot:calculator { ... };
let tools = new asterbot:tools-join { first: calculator.tools, rest: wild.tools, ... };
let context = new asterbot:context-end { ... };
/// @allow-dir /state/history
let history = new asterbot:history-file { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: tools.tools, context: context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#,
    )
}

/// The history folder and the script, as runner flags.
fn state_flags(dir: &Path) -> Vec<String> {
    let script = r#"{"rules": [
        {"on": "tool", "tool": "calculator", "reply": "The answer is {result}."},
        {"on": "tool", "reply": "The tool said: {result}"},
        {"match": "^(spin|hog|crash|sleep|hostloop)$", "call": [{"tool": "misbehave", "arguments": {"how": "{1}"}}]},
        {"match": "what is (.+)\\?", "call": [{"tool": "calculator", "arguments": {"expression": "{1}"}}]},
        {"reply": "?"}
    ]}"#;
    let mut flags = vec!["--dir".to_string(), format!("{}::/state", dir.display())];
    flags.extend(common::script_flags(dir, script));
    flags
}

fn with(mut flags: Vec<String>, more: &[&str]) -> Vec<String> {
    flags.extend(more.iter().map(|s| s.to_string()));
    flags
}

#[test]
fn a_component_that_loops_forever_is_stopped_by_the_turn_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let agent = misbehaving_agent(dir.path());
    let flags = with(state_flags(dir.path()), &["--timeout", "1s"]);
    let stderr = failure(&run(&agent, &common::strs(&flags), "spin"));
    assert!(
        stderr.contains("instance `wild` (test:misbehave)")
            && stderr.contains("longer than 1s")
            && stderr.contains("--timeout"),
        "{stderr}"
    );
}

#[test]
fn a_component_that_allocates_without_bound_is_stopped_by_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let agent = misbehaving_agent(dir.path());
    let flags = with(state_flags(dir.path()), &["--max-memory", "64M"]);
    let stderr = failure(&run(&agent, &common::strs(&flags), "hog"));
    assert!(
        stderr.contains("more than 64 MiB") && stderr.contains("--max-memory"),
        "{stderr}"
    );
}

#[test]
fn a_turn_stuck_in_the_host_is_stopped_by_the_wall_clock_and_the_next_turn_runs() {
    let dir = tempfile::tempdir().unwrap();
    let agent = misbehaving_agent(dir.path());
    let flags = with(state_flags(dir.path()), &["--timeout", "2s"]);
    let started = std::time::Instant::now();
    let output = run_stdin(
        &agent,
        &common::strs(&flags),
        "what is 6 * 7?\nsleep\nhostloop\nwhat is 2 + 2?\n",
    );
    let took = started.elapsed();
    // A deadline that catches a hang, not a timing assertion: two turns
    // of 2 s, the compile and the good turns are far below it.
    assert!(took < std::time::Duration::from_secs(120), "took {took:?}");
    eprintln!("two stuck turns under --timeout 2s: the run took {took:?}");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "The answer is 42.\nThe answer is 4."
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("waited on the host")
            && stderr.contains("longer than 2s (raise it with --timeout)"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("longer than 2s").count(), 2, "{stderr}");
    assert_eq!(
        common::user_turns(dir.path(), "default"),
        ["what is 6 * 7?", "what is 2 + 2?"]
    );

    // The control: the compute-time limit alone (the old design) never
    // stops a turn that sleeps in the host.
    let flags = with(
        state_flags(dir.path()),
        &["--cpu-time", "1s", "--timeout", "1h"],
    );
    let mut child = asterbot()
        .arg("run")
        .arg(&agent)
        .args(&flags)
        .arg("sleep")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(6));
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(still_running, "a 1 s compute limit stopped a sleeping turn");
}

#[test]
fn waiting_for_the_network_counts_against_the_wall_clock_but_not_the_cpu_time() {
    use common::http_peer::{Answer, Peer};
    use common::providers::{agent_recipe, openai_flags, openai_text};
    let dir = tempfile::tempdir().unwrap();
    let agent = compose_text(dir.path(), "slow", &agent_recipe("llm-openai"));
    let slow = || {
        Peer::start(vec![Answer::Slow(
            std::time::Duration::from_secs(3),
            openai_text("Worth the wait."),
        )])
    };
    let peer = slow();
    let flags = with(openai_flags(&peer), &["--timeout", "1s"]);
    let stderr = failure(&run(&agent, &common::strs(&flags), "hello"));
    assert!(
        stderr.contains("longer than 1s (raise it with --timeout)"),
        "{stderr}"
    );
    let peer = slow();
    let flags = with(openai_flags(&peer), &["--cpu-time", "1s"]);
    assert_eq!(
        reply(&run(&agent, &common::strs(&flags), "hello")),
        "Worth the wait."
    );
}

#[test]
fn after_a_fault_the_next_turn_works_and_the_history_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let agent = misbehaving_agent(dir.path());
    let flags = with(state_flags(dir.path()), &["--timeout", "1s"]);
    let output = run_stdin(
        &agent,
        &common::strs(&flags),
        "what is 6 * 7?\ncrash\nspin\nwhat is 2 + 2?\n",
    );
    // The good turns are answered; the run as a whole reports the failures.
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "The answer is 42.\nThe answer is 4."
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("instance `wild` (test:misbehave)")
            && stderr.contains("crashed (it panicked"),
        "{stderr}"
    );
    assert!(stderr.contains("longer than 1s"), "{stderr}");
    assert_eq!(stderr.matches("starts afresh").count(), 2, "{stderr}");

    assert_eq!(
        common::user_turns(dir.path(), "default"),
        ["what is 6 * 7?", "what is 2 + 2?"]
    );
}

#[test]
fn a_trap_names_the_recipe_instance_the_composer_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let agent = misbehaving_agent(dir.path());
    let flags = state_flags(dir.path());
    let stderr = failure(&run(&agent, &common::strs(&flags), "crash"));
    assert!(
        stderr.contains("this turn ended: instance `wild` (test:misbehave) (at `asterbot:agent/tools@0.2.0#call`) crashed (it panicked or aborted)"),
        "{stderr}"
    );
    // Control: without the composer's record (the section renamed, so
    // the runtime does not find it), only the module's own name is left.
    let mut bytes = std::fs::read(&agent).unwrap();
    let at = bytes
        .windows(b"asterbot-modules".len())
        .position(|w| w == b"asterbot-modules")
        .expect("the artifact records its modules");
    bytes[at + b"asterbot-modules".len() - 1] = b'z';
    let unrecorded = dir.path().join("unrecorded.wasm");
    std::fs::write(&unrecorded, bytes).unwrap();
    let stderr = failure(&run(&unrecorded, &common::strs(&flags), "crash"));
    assert!(
        stderr.contains(
            "this turn ended: component `misbehave` (at `asterbot:agent/tools@0.2.0#call`) crashed"
        ) && !stderr.contains("wild"),
        "{stderr}"
    );
}

#[test]
fn a_fault_at_start_up_is_reported_once_not_retried_forever() {
    let output = run_stdin(offline_agent(), &["--max-memory", "1M"], "hello\nhello\n");
    let stderr = failure(&output);
    assert_eq!(stderr.matches("this turn ended").count(), 1, "{stderr}");
    assert!(stderr.contains("more than 1 MiB"), "{stderr}");
}

#[test]
fn a_cache_inside_a_granted_directory_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let output = asterbot()
        .env("ASTERBOT_CACHE_DIR", dir.path().join("cache"))
        .arg("run")
        .arg(offline_agent())
        .arg("--dir")
        .arg(format!("{}::/state", dir.path().display()))
        .arg("what is 6 * 7?")
        .output()
        .unwrap();
    assert_eq!(reply(&output), "The answer is 42.");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("inside a directory granted to the agent"),
        "{stderr}"
    );
    assert!(!dir.path().join("cache").exists());
}

#[test]
fn a_relative_cache_key_inside_a_granted_directory_is_seen_there() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let run_with_key = |key: &str| {
        asterbot()
            .current_dir(&state)
            .env("ASTERBOT_CACHE_DIR", dir.path().join("cache"))
            .env("ASTERBOT_CACHE_KEY", key)
            .arg("run")
            .arg(offline_agent())
            .arg("--dir")
            .arg(format!("{}::/state", state.display()))
            .arg("what is 6 * 7?")
            .output()
            .unwrap()
    };
    // `cache.key` in the working directory, which is the granted one.
    let output = run_with_key("cache.key");
    assert_eq!(reply(&output), "The answer is 42.");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("its key is inside a directory granted to the agent"),
        "{stderr}"
    );
    assert!(!state.join("cache.key").exists());
    // Control: a relative key outside the granted directory is used.
    let output = run_with_key("../cache.key");
    assert_eq!(reply(&output), "The answer is 42.");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("inside a directory granted"), "{stderr}");
    assert!(dir.path().join("cache.key").is_file());
}

#[test]
fn sessions_and_env_files_are_grants() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let grant = format!("{}::/state", state.display());
    let env_file = dir.path().join("agent.env");
    std::fs::write(
        &env_file,
        "# the conversation\nexport ASTERBOT_SESSION=\"from-file\"\n",
    )
    .unwrap();
    let env_file = env_file.display().to_string();

    reply(&run(
        offline_agent(),
        &["--dir", &grant, "--env-file", &env_file],
        "hello",
    ));
    assert!(state.join("history/from-file.json").is_file());
    // --session wins over the file.
    let flags = [
        "--dir",
        &grant,
        "--env-file",
        &env_file,
        "--session",
        "trip",
    ];
    reply(&run(offline_agent(), &flags, "hello"));
    assert!(state.join("history/trip.json").is_file());

    std::fs::write(dir.path().join("bad.env"), "A=1\nnot a line\n").unwrap();
    let bad = dir.path().join("bad.env").display().to_string();
    let stderr = failure(&run(offline_agent(), &["--env-file", &bad], "hello"));
    assert!(stderr.contains("bad.env:2: expected KEY=VALUE"), "{stderr}");
}

/// Runs `agent` with `message`, its cache in `cache` vouched for by the
/// key in `key`. Optimised code is compiled first, so no background
/// compile changes the cache behind the test.
fn run_cached(agent: &Path, cache: &Path, key: &Path, message: &str) -> std::process::Output {
    asterbot()
        .env("ASTERBOT_CACHE_DIR", cache)
        .env("ASTERBOT_CACHE_KEY", key)
        .args(["run", "--compile", "optimised"])
        .arg(agent)
        .arg(message)
        .output()
        .unwrap()
}

/// The one entry in `cache`.
fn only_entry(cache: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[test]
fn compiled_code_is_cached_and_a_damaged_entry_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, key) = (dir.path().join("cache"), dir.path().join("keys/cache.key"));
    let ask = |message: &str| run_cached(offline_agent(), &cache, &key, message);
    assert_eq!(reply(&ask("what is 6 * 7?")), "The answer is 42.");
    let entry = only_entry(&cache);
    let again = ask("what is 2 + 2?");
    assert_eq!(reply(&again), "The answer is 4.");
    assert!(!String::from_utf8_lossy(&again.stderr).contains("rejected"));

    // Flip one byte in the middle of the compiled code.
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    let rebuilt = ask("what is 3 * 3?");
    assert_eq!(reply(&rebuilt), "The answer is 9.");
    let stderr = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(
        stderr.contains("was rejected") && stderr.contains("authentication code"),
        "{stderr}"
    );
    let healed = ask("what is 1 + 1?");
    assert!(!String::from_utf8_lossy(&healed.stderr).contains("rejected"));
}

#[test]
fn a_first_run_compiles_quickly_and_the_optimised_code_follows_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, key) = (dir.path().join("cache"), dir.path().join("keys/cache.key"));
    let quick = asterbot()
        .env("ASTERBOT_CACHE_DIR", &cache)
        .env("ASTERBOT_CACHE_KEY", &key)
        .arg("run")
        .arg(offline_agent())
        .arg("what is 6 * 7?")
        .output()
        .unwrap();
    assert_eq!(reply(&quick), "The answer is 42.");
    // The baseline code the first run stored is replaced by optimised
    // code from `asterbot precompile`, which the run left running.
    let entries = || -> Vec<PathBuf> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|path| {
                ["cwasm", "building"]
                    .iter()
                    .any(|x| path.extension().is_some_and(|e| e == *x))
            })
            .collect();
        entries.sort();
        entries
    };
    let baseline = entries();
    let start = std::time::Instant::now();
    let optimised = loop {
        let now = entries();
        if now.len() == 1 && !baseline.contains(&now[0]) {
            break now[0].clone();
        }
        assert!(
            start.elapsed().as_secs() < 300,
            "no optimised code: {now:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(optimised.extension().is_some_and(|e| e == "cwasm"));
    // Precompiling again finds it cached; the next run uses it as it is.
    let precompile = asterbot()
        .env("ASTERBOT_CACHE_DIR", &cache)
        .env("ASTERBOT_CACHE_KEY", &key)
        .arg("precompile")
        .arg(offline_agent())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&precompile.stderr).contains("its optimised code was cached"),
        "{precompile:?}"
    );
    let warm = run_cached(offline_agent(), &cache, &key, "what is 2 + 2?");
    assert_eq!(reply(&warm), "The answer is 4.");
    assert_eq!(entries(), [optimised]);
}

#[test]
fn a_cache_entry_someone_else_wrote_is_rejected_and_with_the_right_key_it_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (mine, theirs) = (
        dir.path().join("me/cache.key"),
        dir.path().join("them/cache.key"),
    );
    // Someone who can write the cache folder, but has another key, plants
    // the entry.
    assert_eq!(
        reply(&run_cached(
            offline_agent(),
            &cache,
            &theirs,
            "what is 6 * 7?"
        )),
        "The answer is 42."
    );
    let planted = run_cached(offline_agent(), &cache, &mine, "what is 2 + 2?");
    assert_eq!(reply(&planted), "The answer is 4.");
    let stderr = String::from_utf8_lossy(&planted.stderr);
    assert!(stderr.contains("was rejected"), "{stderr}");

    // The control: an entry made with the same key is used as it is.
    let used = run_cached(offline_agent(), &cache, &mine, "what is 3 * 3?");
    assert_eq!(reply(&used), "The answer is 9.");
    assert!(!String::from_utf8_lossy(&used.stderr).contains("rejected"));
}

#[test]
fn an_entry_renamed_to_another_artifacts_name_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (key, first, second) = (
        dir.path().join("keys/cache.key"),
        dir.path().join("first"),
        dir.path().join("second"),
    );
    // The same user compiled both: the minimal agent and the offline one.
    let minimal = dir.path().join("minimal.wasm");
    common::compose(&common::repo().join("recipes/minimal.wac"), &minimal);
    reply(&run_cached(&minimal, &first, &key, "hello"));
    reply(&run_cached(offline_agent(), &second, &key, "hello"));
    // Whoever writes the cache folder puts the minimal agent's code under
    // the offline agent's name.
    let minimal_entry = only_entry(&first);
    let offline_entry = only_entry(&second);
    std::fs::copy(&minimal_entry, &offline_entry).unwrap();
    let output = run_cached(offline_agent(), &second, &key, "what is 6 * 7?");
    // The offline agent (which has a calculator) answers, not the minimal.
    assert_eq!(reply(&output), "The answer is 42.");
    assert!(String::from_utf8_lossy(&output.stderr).contains("was rejected"));
}

#[test]
fn a_shared_key_or_one_inside_the_cache_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let inside = run_cached(
        offline_agent(),
        &cache,
        &cache.join("cache.key"),
        "what is 6 * 7?",
    );
    assert_eq!(reply(&inside), "The answer is 42.");
    let stderr = String::from_utf8_lossy(&inside.stderr);
    assert!(stderr.contains("inside the cache folder"), "{stderr}");

    let key = dir.path().join("keys/cache.key");
    reply(&run_cached(offline_agent(), &cache, &key, "hello"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o666)).unwrap();
    let shared = run_cached(offline_agent(), &cache, &key, "hello");
    let stderr = String::from_utf8_lossy(&shared.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

#[test]
fn explain_lists_each_import_with_the_flag_that_grants_it() {
    let output = asterbot()
        .args(["run", "--explain"])
        .arg(offline_agent())
        .output()
        .unwrap();
    let text = reply(&output);
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
            .to_string()
    };
    assert!(line("wasi:filesystem/preopens@").contains("--dir"));
    assert!(line("wasi:cli/environment@").contains("--env"));
    assert!(line("asterbot:agent/types@").contains("only types"));
    assert!(text.contains("Nothing is granted by default"));
}

#[test]
fn without_a_message_a_terminal_gets_a_repl_that_ctrl_d_ends() {
    let command = common::asterbot_command_line(&format!("run {}", offline_agent().display()));
    let Some(mut terminal) = common::pty::Terminal::start(&command) else {
        return;
    };
    terminal.wait_for("> ", 1);
    terminal.type_keys("what is 6 * 7?\r");
    terminal.wait_for("The answer is 42.", 1);
    terminal.wait_for("> ", 2);
    terminal.type_keys("what is 2 + 2?\r");
    terminal.wait_for("The answer is 4.", 1);
    terminal.wait_for("> ", 3);
    terminal.type_keys("\x04");
    let (ok, screen) = terminal.finish();
    assert!(ok, "{screen}");
    assert!(screen.contains("Ctrl-D ends"), "{screen}");
}

#[test]
fn a_one_shot_run_on_a_terminal_answers_without_the_repl_banner() {
    let command = common::asterbot_command_line(&format!(
        "run {} 'what is 6 * 7?'",
        offline_agent().display()
    ));
    let Some(terminal) = common::pty::Terminal::start(&command) else {
        return;
    };
    terminal.wait_for("The answer is 42.", 1);
    let (ok, screen) = terminal.finish();
    assert!(ok, "{screen}");
    // Control: the REPL above says it (`Ctrl-D ends`); a one-shot run
    // takes no turns from the terminal, so it must not.
    assert!(!screen.contains("Ctrl-D ends"), "{screen}");
    assert!(!screen.contains("one line is one turn"), "{screen}");
}
