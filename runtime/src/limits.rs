//! What one agent may use: memory per linear memory, and time per turn.
//! A component past either limit is stopped, and the error says which
//! limit it hit.

use std::fmt;
use std::time::Duration;
use wasmtime::ResourceLimiter;

/// The limits of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest size of any one linear memory, in bytes.
    pub max_memory: usize,
    /// Longest a turn may take, by the wall clock, from the moment its
    /// line is handed over: waiting on the host (a sleep, the network, a
    /// loop of host calls) counts; waiting for the person does not.
    pub timeout: Duration,
    /// Longest a turn may compute; time in host calls does not count.
    pub cpu_time: Duration,
}

impl Default for Limits {
    /// 512 MiB per memory, 10 minutes per turn, of which 5 computing.
    fn default() -> Limits {
        Limits {
            max_memory: 512 << 20,
            timeout: Duration::from_secs(600),
            cpu_time: Duration::from_secs(300),
        }
    }
}

/// Which limit stopped a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// A memory would have grown past `--max-memory`.
    Memory(usize),
    /// The turn computed for longer than `--cpu-time`.
    CpuTime(Duration),
    /// The turn took longer than `--timeout` by the wall clock.
    WallTime(Duration),
}

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitHit::Memory(max) => write!(
                f,
                "it tried to use more than {} MiB of memory (raise it with --max-memory)",
                max >> 20
            ),
            LimitHit::CpuTime(limit) => write!(
                f,
                "the turn computed for longer than {} (raise it with --cpu-time)",
                humantime::format_duration(*limit)
            ),
            LimitHit::WallTime(limit) => write!(
                f,
                "the turn took longer than {} (raise it with --timeout)",
                humantime::format_duration(*limit)
            ),
        }
    }
}

impl std::error::Error for LimitHit {}

/// The memory limiter of one store; it remembers a refusal, so the trap
/// that follows can be explained.
pub struct MemoryLimiter {
    max: usize,
    /// Set when a growth was refused.
    pub hit: bool,
}

impl MemoryLimiter {
    /// A limiter allowing `max` bytes per memory.
    pub fn new(max: usize) -> MemoryLimiter {
        MemoryLimiter { max, hit: false }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            return Err(LimitHit::Memory(self.max).into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Parses a size: `512M`, `2G`, `65536` (bytes), `1GiB`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = text[digits.len()..].to_ascii_lowercase();
    let scale: usize = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "unknown unit in `{text}`; use K, M or G (e.g. 512M)"
            ));
        }
    };
    let number: usize = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 512M or 2G"))?;
    number
        .checked_mul(scale)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("M").is_err());
    }
}
