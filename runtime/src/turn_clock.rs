//! The compute time of the current turn, which `--timeout` limits: wall
//! time since the turn's line was handed over, minus the time spent in
//! host calls (waiting for the network, the disk or the user).

use crate::input::TurnInput;
use std::time::{Duration, Instant};

/// Measures one store's turns; fed by wasmtime's call hook.
pub struct TurnClock {
    input: TurnInput,
    turn_start: Instant,
    host_time: Duration,
    in_host_since: Option<Instant>,
}

impl TurnClock {
    /// A clock for the turns handed over by `input`.
    pub fn new(input: &TurnInput) -> TurnClock {
        TurnClock {
            input: input.clone(),
            turn_start: input.turn_started(),
            host_time: Duration::ZERO,
            in_host_since: None,
        }
    }

    /// The guest calls into the host.
    pub fn entering_host(&mut self) {
        self.in_host_since = Some(Instant::now());
    }

    /// The host call returns; its time does not count.
    pub fn leaving_host(&mut self) {
        let Some(since) = self.in_host_since.take() else {
            return;
        };
        let now = Instant::now();
        let start = self.input.turn_started();
        if start != self.turn_start {
            // A new turn began during this call (its line was read).
            self.turn_start = start;
            self.host_time = now.saturating_duration_since(since.max(start));
        } else {
            self.host_time += now.saturating_duration_since(since);
        }
    }

    /// How long the current turn has been computing.
    pub fn computing(&mut self) -> Duration {
        let start = self.input.turn_started();
        if start != self.turn_start {
            self.turn_start = start;
            self.host_time = Duration::ZERO;
        }
        start.elapsed().saturating_sub(self.host_time)
    }
}
