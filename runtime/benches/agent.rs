//! In-process costs of a composed agent: instantiating it (pre-linked) and
//! one scripted turn. `cargo xtask bench` composes `recipes/offline.wac`
//! and runs this with `ASTERBOT_BENCH_AGENT` naming the artifact; results
//! go to stderr (the agent's answers go to stdout).

use asterbot_runtime::{Agent, Grants, Limits, TurnInput};
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::var_os("ASTERBOT_BENCH_AGENT") else {
        eprintln!("set ASTERBOT_BENCH_AGENT to a composed agent (cargo xtask bench does)");
        return Ok(());
    };
    let agent = Agent::load(path.as_ref(), None)?;
    let (grants, limits) = (Grants::new(), Limits::default());

    // `ASTERBOT_BENCH_RUNS` (1 in a smoke run) caps the runs of each.
    let cap: usize = std::env::var("ASTERBOT_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(usize::MAX);
    let input = TurnInput::from_text("");
    let instantiate = median_of(cap.min(200), || agent.instantiate(&grants, &limits, &input))?;
    let message = ["what is 6 * 7?".to_string()];
    let turn = median_of(cap.min(50), || {
        agent
            .run(&message, &grants, &limits, &TurnInput::from_text(""))
            .map(|_| ())
    })?;
    eprintln!(
        "| instantiate the composed agent (pre-linked) | {} |",
        us(instantiate)
    );
    eprintln!(
        "| one scripted turn (instantiate + calculator round trip) | {} |",
        us(turn)
    );
    Ok(())
}

fn median_of(
    runs: usize,
    mut work: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Duration> {
    work()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        work()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

fn us(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}
