//! `cargo xtask bench upstream`: one turn with one tool round as a whole
//! process, asterbot against the upstream asterai runtime running the
//! upstream asterbot components, cold (empty compile caches) and warm,
//! both talking to the same local OpenAI-compatible mock
//! (`bench/upstream/mock.py`). Upstream is set up outside this repository
//! by `bench/upstream/setup.sh DIR`; the rows are left out unless
//! `ASTERBOT_UPSTREAM` names that folder.

use crate::bench::ms;
use crate::bench_run::{alternated, memory_row, ratio};
use crate::report::{Report, Row, Target};
use crate::run;
use anyhow::{Context, bail};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The command that reproduces these rows.
const REPRODUCE: &str =
    "bash bench/upstream/setup.sh DIR; ASTERBOT_UPSTREAM=DIR cargo xtask bench upstream";

/// Where the mock listens; `setup.sh` points upstream's provider there.
const PORT: u16 = 18099;

/// The turn both answer with one tool call.
const MESSAGE: &str = "use a tool, then answer";

/// asterbot's side: a model over HTTP, one tool, history kept in the
/// instance (upstream's set has no history component), the terminal
/// front end.
const RECIPE: &str = r#"package bench:upstream;
/// @allow-env ASTERBOT_MODEL ASTERBOT_BASE_URL OPENAI_API_KEY
/// @allow-host 127.0.0.1
let llm = new asterbot:llm-openai { ... };
let calculator = new asterbot:calculator { ... };
let context = new asterbot:context-end { ... };
let history = new asterbot:history-ephemeral { llm: llm.llm, ... };
let core = new asterbot:core { llm: llm.llm, tools: calculator.tools, context: context.context, history: history.history, ... };
let cli = new asterbot:cli { agent: core.agent, ... };
export cli["wasi:cli/run@0.2.0"];
"#;

/// Runs the comparison if `ASTERBOT_UPSTREAM` names a set-up folder.
pub fn bench_upstream(root: &Path, asterbot: &Path, report: &mut Report) -> anyhow::Result<()> {
    let Some(upstream) = std::env::var_os("ASTERBOT_UPSTREAM").map(PathBuf::from) else {
        println!(
            "\n(ASTERBOT_UPSTREAM is not set: the rows against upstream asterai are left out; `bash bench/upstream/setup.sh DIR` sets it up, see docs/benchmarks.md)"
        );
        return Ok(());
    };
    let cli = upstream.join("asterai");
    if !cli.is_file() {
        bail!(
            "`{}` has no upstream set up (no `asterai` in it): run `bash bench/upstream/setup.sh {}` first",
            upstream.display(),
            upstream.display()
        );
    }
    let out = root.join("target/bench/upstream");
    std::fs::create_dir_all(&out)?;
    let agent = out.join("agent.wasm");
    std::fs::write(out.join("agent.wac"), RECIPE)?;
    run(Command::new(asterbot)
        .args(["compose", "-q", "-o"])
        .arg(&agent)
        .arg(out.join("agent.wac")))?;
    let _mock = Mock::start(root, &upstream)?;

    let (cache, upstream_cache) = (out.join("cache"), upstream.join("home/.cache"));
    let ours = |cache: &Path| {
        let mut command = Command::new(asterbot);
        command
            .env("ASTERBOT_CACHE_DIR", cache)
            .env("ASTERBOT_CACHE_KEY", out.join("cache.key"))
            .args(["run", "--allow-host", "127.0.0.1", "--env"])
            .arg("ASTERBOT_MODEL=openai/mock")
            .arg("--env")
            .arg(format!("ASTERBOT_BASE_URL=http://127.0.0.1:{PORT}/v1"))
            .args(["--env", "OPENAI_API_KEY=sk-mock"])
            .arg(&agent)
            .arg(MESSAGE);
        command
    };
    let theirs = || {
        let mut command = Command::new(&cli);
        command
            .env("HOME", upstream.join("home"))
            .env("XDG_CACHE_HOME", &upstream_cache)
            .env_remove("XDG_CONFIG_HOME")
            .args(["env", "call", "bench:bot", "--allow-dir"])
            .arg(upstream.join("state"))
            .args(["asterbot:agent@1.0.0", "agent/converse", MESSAGE]);
        command
    };
    check_answers(&mut ours(&cache), &mut theirs())?;

    println!("\n## against upstream asterai, one turn with one tool round\n");
    let cold_cache = out.join("cold-cache");
    let ours_cold = || {
        let _ = std::fs::remove_dir_all(&cold_cache);
        ours(&cold_cache)
    };
    let theirs_cold = || {
        let _ = std::fs::remove_dir_all(upstream_cache.join("wasmtime"));
        theirs()
    };
    let cold = alternated(&mut [&ours_cold, &theirs_cold])?;
    let ours_warm = || ours(&cache);
    let warm = alternated(&mut [&ours_warm, &theirs])?;
    for (what, figures, target) in [
        ("cold first run", &cold, Some(0.8)),
        ("warm turn", &warm, None),
    ] {
        let [ours, theirs] = &figures[..] else {
            unreachable!("two commands")
        };
        report.add(Row {
            what: format!("{what}, one tool round, against upstream asterai"),
            ours: ms(ours.time),
            peer: format!("asterai env call: {}", ms(theirs.time)),
            ratio: ratio(ours.time, theirs.time),
            target: target.map(Target::AtMost),
            reproduce: REPRODUCE,
        });
        report.add(memory_row(
            format!("{what}, against upstream asterai"),
            ours,
            ("asterai env call", theirs),
            REPRODUCE,
        ));
    }
    Ok(())
}

/// Both sides must have made their tool call and answered: a turn that
/// failed early would time as fast.
fn check_answers(ours: &mut Command, theirs: &mut Command) -> anyhow::Result<()> {
    for (who, command) in [("asterbot", ours), ("upstream asterai", theirs)] {
        let output = command.stdin(Stdio::null()).output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || !stdout.contains("The tool said:") {
            bail!(
                "{who} did not finish the turn with its tool round ({}):\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    Ok(())
}

/// The mock model, stopped when dropped.
struct Mock(Child);

impl Mock {
    fn start(root: &Path, upstream: &Path) -> anyhow::Result<Mock> {
        let child = Command::new("python3")
            .arg(root.join("bench/upstream/mock.py"))
            .arg(PORT.to_string())
            .arg(upstream.join("state"))
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start bench/upstream/mock.py with python3")?;
        let mock = Mock(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", PORT)).is_err() {
            if start.elapsed() > Duration::from_secs(10) {
                bail!("the mock model does not listen on 127.0.0.1:{PORT}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(mock)
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
