//! `cargo xtask bench serve-load`: the served offline agent at several
//! loads and store sizes, every store of `asterbot serve` (memory, the
//! embedded file, Redis) against `wasmtime serve` (pooled as asterbot is)
//! in the same run: requests per second and p50/p99 latency of one
//! calculator turn at concurrency 1, 16 and 64, with 10 and with 10,000
//! sessions stored before the measurement (each seeded with one turn over
//! HTTP; the measured requests each start a session of their own, so a
//! turn's work stays the same and only the store's size changes).
//!
//! `wasmtime serve -S keyvalue` keeps nothing from one request to the
//! next, so it has no stored sessions: its rows are measured in each group
//! all the same, as the same run's peer.
//!
//! Each server first answers 256 requests at concurrency 64 (every
//! instance slot used once), then 20 at each concurrency before it is
//! measured.
//!
//! A smoke run measures only the memory store, at concurrency 1, with 10
//! sessions and a few requests: it shows the harness works in seconds.

use crate::bench::ms;
use crate::bench_serve::{Figures, KEY, POOLED, RedisServer, Server, load_at, start};
use crate::report::{Report, Row};
use anyhow::bail;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The loads measured.
const CONCURRENCIES: [usize; 3] = [1, 16, 64];

/// The sessions stored before a measurement.
const STORED: [usize; 2] = [10, 10_000];

/// Requests per measurement, at concurrency 1 and above it.
const REQUESTS_ALONE: usize = 300;
const REQUESTS: usize = 1500;

/// The command, for the report.
const REPRODUCE: &str = "cargo xtask bench serve-load";

/// Starts a server under test on a store.
type Starter = Box<dyn Fn(&str) -> anyhow::Result<Server>>;

/// One server under test: its name, and how to start it on a store.
struct Configuration {
    name: String,
    /// Whether it keeps sessions between requests (seeding means something).
    keeps: bool,
    start: Starter,
    /// Its store, made anew for each group of stored sessions.
    store: Box<dyn Fn(usize) -> String>,
}

/// Runs the load benchmark on the agent composed by the serve part (or
/// composes it); `asterbot` is a release build (a debug one when smoke).
pub fn bench_serve_load(
    root: &Path,
    asterbot: &Path,
    smoke: bool,
    report: &mut Report,
) -> anyhow::Result<()> {
    let out = root.join("target/bench/serve-load");
    let agent = crate::bench_serve::compose_served_agent(root, asterbot, &out)?;
    let redis = if smoke { None } else { RedisServer::start() };
    let mut configurations = vec![];
    if !smoke {
        let wasmtime = crate::bench_serve::real_wasmtime()?;
        let agent = agent.clone();
        configurations.push(Configuration {
            name: "`wasmtime serve` (pooled)".into(),
            keeps: false,
            start: Box::new(move |_| {
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
            }),
            store: Box::new(|_| String::new()),
        });
    }
    let serve = |asterbot: &Path, agent: &Path| {
        let (asterbot, agent) = (asterbot.to_path_buf(), agent.to_path_buf());
        move |store: &str| {
            let mut command = Command::new(&asterbot);
            command.arg("serve").arg(&agent).args([
                "--listen",
                "127.0.0.1:0",
                "--keyvalue",
                store,
                "--api-key",
                KEY,
            ]);
            start(command, "serving")
        }
    };
    configurations.push(Configuration {
        name: "`asterbot serve --keyvalue memory`".into(),
        keeps: true,
        start: Box::new(serve(asterbot, &agent)),
        store: Box::new(|_| "memory".into()),
    });
    if !smoke {
        let folder = out.clone();
        configurations.push(Configuration {
            name: "`asterbot serve` (embedded file)".into(),
            keeps: true,
            start: Box::new(serve(asterbot, &agent)),
            store: Box::new(move |stored| {
                let file = folder.join(format!("state-{stored}.redb"));
                let _ = std::fs::remove_file(&file);
                file.display().to_string()
            }),
        });
        if let Some(redis) = &redis {
            let url = redis.url();
            configurations.push(Configuration {
                name: "`asterbot serve --keyvalue redis://…`".into(),
                keeps: true,
                start: Box::new(serve(asterbot, &agent)),
                store: Box::new(move |_| url.clone()),
            });
        }
    }
    let (stored_groups, concurrencies): (&[usize], &[usize]) = if smoke {
        (&STORED[..1], &CONCURRENCIES[..1])
    } else {
        (&STORED, &CONCURRENCIES)
    };
    let mut table = String::from(
        "| server | sessions stored | concurrency | requests/s | p50 | p99 | vs wasmtime serve |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for (group, &stored) in stored_groups.iter().enumerate() {
        // The peer's figure at each concurrency, in this group.
        let mut peer: Vec<Option<Figures>> = vec![None; concurrencies.len()];
        for configuration in &configurations {
            let store = (configuration.store)(stored);
            if store.starts_with("redis://") {
                flush(&store);
            }
            let server = (configuration.start)(&store)?;
            if configuration.keeps {
                seed(&server.url, stored, &format!("stored-{group}"))?;
            }
            // Every instance slot used once before anything is measured.
            let warm = if smoke { 5 } else { 256 };
            load_at(&server.url, warm, 64.min(warm), &format!("warm-{group}"))?;
            for (index, &concurrency) in concurrencies.iter().enumerate() {
                let requests = match (smoke, concurrency) {
                    (true, _) => 5,
                    (false, 1) => REQUESTS_ALONE,
                    (false, _) => REQUESTS,
                };
                let prefix = format!("load-{group}-{concurrency}");
                load_at(
                    &server.url,
                    20.min(requests),
                    concurrency,
                    &format!("{prefix}-warm"),
                )?;
                let figures = load_at(&server.url, requests, concurrency, &prefix)?;
                let against = if configuration.keeps {
                    peer[index].map_or("-".to_string(), |p| {
                        format!("{:.2}×", figures.per_second / p.per_second)
                    })
                } else {
                    peer[index] = Some(figures);
                    "peer".to_string()
                };
                println!(
                    "{}: {stored} stored, concurrency {concurrency}: {:.0}/s, p50 {}, p99 {}",
                    configuration.name,
                    figures.per_second,
                    ms(figures.p50),
                    ms(figures.p99)
                );
                table.push_str(&format!(
                    "| {} | {} | {concurrency} | {:.0} | {} | {} | {against} |\n",
                    configuration.name,
                    if configuration.keeps {
                        stored.to_string()
                    } else {
                        "none kept".to_string()
                    },
                    figures.per_second,
                    ms(figures.p50),
                    ms(figures.p99),
                ));
                if let (true, Some(p)) = (configuration.keeps, peer[index]) {
                    report.add(Row {
                        what: format!(
                            "requests per second, {}, {stored} sessions stored, concurrency {concurrency}, against `wasmtime serve`",
                            configuration.name
                        ),
                        ours: format!(
                            "{:.0}/s (p50 {}, p99 {})",
                            figures.per_second,
                            ms(figures.p50),
                            ms(figures.p99)
                        ),
                        peer: format!(
                            "wasmtime serve (pooled): {:.0}/s (p50 {}, p99 {})",
                            p.per_second,
                            ms(p.p50),
                            ms(p.p99)
                        ),
                        ratio: figures.per_second / p.per_second,
                        target: None,
                        reproduce: REPRODUCE,
                    });
                }
            }
        }
    }
    println!("\n## serving under load (`{REPRODUCE}`)\n\n{table}");
    std::fs::write(out.join("table.md"), &table)?;
    Ok(())
}

/// Stores `count` sessions of one turn each, named `<prefix>-<n>`, 32 at
/// a time.
fn seed(url: &str, count: usize, prefix: &str) -> anyhow::Result<()> {
    let next = AtomicUsize::new(0);
    let failed: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..32)
            .map(|_| {
                let next = &next;
                scope.spawn(move || {
                    let http = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .new_agent();
                    loop {
                        let n = next.fetch_add(1, Ordering::SeqCst);
                        if n >= count {
                            return Ok(());
                        }
                        let answer = http
                            .post(format!("{url}/v1/chat/completions"))
                            .header("authorization", format!("Bearer {KEY}"))
                            .header("content-type", "application/json")
                            .header("x-asterbot-session", format!("{prefix}-{n}"))
                            .send(r#"{"messages":[{"role":"user","content":"hello"}]}"#)?;
                        if answer.status() != 200 {
                            bail!("seeding {url} was answered {}", answer.status());
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
    failed.into_iter().collect()
}

/// Empties the Redis store at `url` (`redis://host:port/db`).
fn flush(url: &str) {
    let port = url
        .rsplit(':')
        .next()
        .and_then(|tail| tail.split('/').next())
        .unwrap_or_default();
    let _ = Command::new("redis-cli")
        .args(["-p", port, "FLUSHALL"])
        .output();
}
