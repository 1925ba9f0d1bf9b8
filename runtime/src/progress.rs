//! A progress indication for work that turns out to be slow.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long work may take before it is shown.
const PATIENCE: Duration = Duration::from_secs(1);

/// Runs `work`; if it takes longer than a second, says so on stderr: a
/// spinner on a terminal, one line otherwise, which says that later runs
/// load the result from the cache only if it is `cached`.
pub fn while_slow<T>(label: &str, cached: bool, work: impl FnOnce() -> T) -> T {
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = Arc::clone(&done);
        let label = label.to_string();
        std::thread::spawn(move || watch(&label, &done))
    };
    let started = Instant::now();
    let result = work();
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    if started.elapsed() > PATIENCE {
        tracing::info!("{}", slow_note(label, started.elapsed(), cached));
    }
    result
}

/// What is said of slow work once it is done.
fn slow_note(label: &str, took: Duration, cached: bool) -> String {
    let later = if cached {
        "later runs load it from the cache"
    } else {
        "it is not cached (--no-cache), so every run compiles it again"
    };
    format!("{label} took {:.1} s; {later}", took.as_secs_f32())
}

fn watch(label: &str, done: &AtomicBool) {
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        if done.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("{label} (first run)..."));
    spinner.enable_steady_tick(Duration::from_millis(100));
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
    spinner.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_work_promises_the_cache_only_when_it_is_kept() {
        let took = Duration::from_millis(2500);
        let cached = slow_note("compiling `a.wasm`", took, true);
        assert_eq!(
            cached,
            "compiling `a.wasm` took 2.5 s; later runs load it from the cache"
        );
        let uncached = slow_note("compiling `a.wasm`", took, false);
        assert!(!uncached.contains("from the cache"), "{uncached}");
        assert!(uncached.contains("--no-cache"), "{uncached}");
    }
}
