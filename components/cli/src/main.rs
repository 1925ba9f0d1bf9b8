//! The command-line front end. Exports `wasi:cli/run` (as a WASI command),
//! so any WASI P2 runtime can run a composed agent:
//!
//! - with arguments, they form one message, and the reply is printed;
//! - without, every non-empty line of standard input is one turn.
//!
//! The conversation is `ASTERBOT_SESSION` if that variable is set, else
//! `default`. A failed turn is reported on stderr and the next line still
//! runs; the exit code is 1 if any turn failed.

use asterbot_sdk::worlds::front_end::asterbot;

use asterbot::agent::agent::converse;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// Environment variable naming the conversation.
const SESSION_ENV: &str = "ASTERBOT_SESSION";

fn main() -> ExitCode {
    let session = std::env::var(SESSION_ENV).unwrap_or_else(|_| "default".to_string());
    let words: Vec<String> = std::env::args().skip(1).collect();
    let ok = if words.is_empty() {
        stdin_turns(&session)
    } else {
        turn(&session, &words.join(" "))
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One turn per non-empty stdin line; true if all of them succeeded.
fn stdin_turns(session: &str) -> bool {
    let mut ok = true;
    for line in std::io::stdin().lock().lines() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return false;
            }
        };
        if !line.trim().is_empty() {
            ok &= turn(session, line.trim());
        }
    }
    ok
}

/// Runs one turn and prints the reply (stdout) or the error (stderr).
fn turn(session: &str, input: &str) -> bool {
    match converse(session, input) {
        Ok(reply) => {
            let mut out = std::io::stdout().lock();
            // A closed stdout (e.g. `| head`) is not worth a panic.
            let _ = writeln!(out, "{reply}").and_then(|_| out.flush());
            true
        }
        Err(error) => {
            eprintln!("error: {error}");
            false
        }
    }
}
