//! A progress indication for work that turns out to be slow.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long work may take before it is shown.
const PATIENCE: Duration = Duration::from_secs(1);

/// Runs `work`; if it takes longer than a second, says so on stderr: a
/// spinner on a terminal, one line otherwise.
pub fn while_slow<T>(label: &str, work: impl FnOnce() -> T) -> T {
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
        tracing::info!(
            "{label} took {:.1} s; later runs load it from the cache",
            started.elapsed().as_secs_f32()
        );
    }
    result
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
