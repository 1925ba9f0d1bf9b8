//! A program run under a real pseudo-terminal (util-linux `script`), for
//! what only a terminal does: the REPL, and questions asked of a person.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for text that should appear: a deadline that catches
/// a hang, not a timing assertion (a slow machine only waits longer).
const DEADLINE: Duration = Duration::from_secs(180);

/// A program on a terminal, its screen collected as it is written.
pub struct Terminal {
    child: Child,
    stdin: ChildStdin,
    screen: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Terminal {
    /// Starts `command` (a shell command line) on a terminal, or `None`
    /// where `script` cannot be had (see `peer_tool`).
    pub fn start(command: &str) -> Option<Terminal> {
        let mut script = super::peer_tool("script", "util-linux")?;
        let mut child = script
            .args(["-qfec", command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let screen = Arc::new(Mutex::new(String::new()));
        let copy = Arc::clone(&screen);
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                copy.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Some(Terminal {
            child,
            stdin,
            screen,
            reader: Some(reader),
        })
    }

    /// Waits until `text` has appeared `count` times on the screen.
    pub fn wait_for(&self, text: &str, count: usize) {
        let deadline = Instant::now() + DEADLINE;
        while self.screen.lock().unwrap().matches(text).count() < count {
            assert!(
                Instant::now() < deadline,
                "no {text:?} (x{count}) in:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `keys` (`\r` ends a line, `\x04` is Ctrl-D).
    pub fn type_keys(&mut self, keys: &str) {
        self.stdin.write_all(keys.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Everything written to the terminal so far.
    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits for the program to end; whether it succeeded, and the screen.
    pub fn finish(mut self) -> (bool, String) {
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.success(), self.screen())
    }
}
