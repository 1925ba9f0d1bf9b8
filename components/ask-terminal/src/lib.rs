//! `ask-terminal`: the part of the command-line front end that asks the
//! person for approvals. It shows the tool and its arguments on standard
//! error and reads the answer from standard input: `o` (allow once), `s`
//! (allow for this session) or anything else (deny). When standard input
//! is not a terminal (a pipe, a service), nobody can be asked, and it
//! answers `unavailable`. It reads standard input, so a recipe marks it
//! `@front-end`.

use asterbot_sdk::worlds::approver::exports;

use asterbot_sdk::text::truncate_utf8;
use exports::asterbot::agent::approval::{Decision, Guest, Request};
use std::io::{BufRead, Write};

/// Most of the arguments shown in the question, in bytes.
const SHOWN_ARGUMENTS: usize = 2000;

struct Terminal;

/// The decision an answer stands for.
fn decision(answer: &str) -> Decision {
    match answer.trim().to_ascii_lowercase().as_str() {
        "o" | "once" | "y" | "yes" => Decision::AllowOnce,
        "s" | "session" => Decision::AllowSession,
        _ => Decision::Deny,
    }
}

impl Guest for Terminal {
    fn ask(request: Request) -> Decision {
        if wasip2::cli::terminal_stdin::get_terminal_stdin().is_none() {
            return Decision::Unavailable;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\nThe agent wants to run `{}` with {}\nAllow it [o]nce, for this [s]ession, or [d]eny? ",
            request.tool,
            truncate_utf8(&request.arguments, SHOWN_ARGUMENTS)
        );
        let _ = stderr.flush();
        let mut answer = String::new();
        match std::io::stdin().lock().read_line(&mut answer) {
            Ok(0) | Err(_) => Decision::Deny,
            Ok(_) => decision(&answer),
        }
    }
}

asterbot_sdk::export_approver_world!(Terminal);

#[cfg(test)]
mod tests {
    use super::{Decision, decision};

    #[test]
    fn only_a_clear_yes_allows() {
        assert!(matches!(decision("o\n"), Decision::AllowOnce));
        assert!(matches!(decision(" Session "), Decision::AllowSession));
        assert!(matches!(decision("\n"), Decision::Deny));
        assert!(matches!(decision("sure"), Decision::Deny));
    }
}
