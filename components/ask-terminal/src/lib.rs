//! `ask-terminal`: the part of the command-line front end that asks the
//! person for approvals. It shows the tool and its arguments on standard
//! error and reads the answer from standard input: `o` (allow once), `s`
//! (allow for this session) or anything else (deny). When standard input
//! is not a terminal (a pipe, a service), nobody can be asked, and it
//! answers `unavailable`. It reads standard input, so a recipe marks it
//! `@front-end`.
//!
//! It also exports `person`, so an approver of another kind asks the
//! person through it (its question escaped and marked as an approver's)
//! instead of being handed the terminal: such an approver needs no
//! `@front-end`, and never reads the person's next message.
//!
//! Other instances write to the same terminal, so the question first
//! undoes what their output may have done to hide it
//! ([`TERMINAL_RESET`]), shows the fields that decide where the call
//! reaches (a URL and its host, a name, a path) before anything else,
//! escapes control characters in all it shows, says how many bytes of the
//! arguments it leaves out, and says what "for this session" covers.

use asterbot_sdk::worlds::approver_terminal::exports;

use asterbot_sdk::approval::{
    TERMINAL_RESET, decisive_fields, escape_controls, host_of, session_scope, shown,
};
use exports::asterbot::agent::approval::{Decision, Guest, Request};
use std::io::{BufRead, Write};

/// Most of the arguments shown in the question, in bytes (the decisive
/// fields are shown before them whatever their length).
const SHOWN_ARGUMENTS: usize = 2000;

/// Most of one decisive field shown, in bytes.
const SHOWN_FIELD: usize = 1000;

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
        match put(&question(&request)) {
            None => Decision::Unavailable,
            Some(None) => Decision::Deny,
            Some(Some(answer)) => decision(&answer),
        }
    }
}

/// Another approver's question, through `person`: shown escaped and
/// marked as that approver's, after the same reset as our own.
impl exports::asterbot::agent::person::Guest for Terminal {
    fn ask(question: String) -> Option<String> {
        let text = format!(
            "{TERMINAL_RESET}\nAn approver of this agent asks: {} ",
            escape_controls(&question)
        );
        put(&text)
            .flatten()
            .map(|answer| answer.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// Writes `text` to the terminal in one write (so nothing else lands
/// inside it) and reads the person's line: `None` with no terminal,
/// `Some(None)` when the input ended.
fn put(text: &str) -> Option<Option<String>> {
    wasip2::cli::terminal_stdin::get_terminal_stdin()?;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
    let mut answer = String::new();
    Some(match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(answer),
    })
}

/// The question about `request`, as written to the terminal.
fn question(request: &Request) -> String {
    let mut text = format!(
        "{TERMINAL_RESET}\nThe agent wants to run `{}`",
        escape_controls(&request.tool)
    );
    for (name, value) in decisive_fields(&request.arguments) {
        if name == "url" || name == "uri" {
            let host = host_of(&value).unwrap_or_else(|| "none it could reach".to_string());
            text.push_str(&format!("\n  host: {}", escape_controls(&host)));
        }
        text.push_str(&format!("\n  {name}: {}", shown(&value, SHOWN_FIELD)));
    }
    let arguments = escape_controls(&request.arguments);
    if arguments.len() <= SHOWN_ARGUMENTS {
        text.push_str(&format!("\nwith {arguments}"));
    } else {
        let mut end = SHOWN_ARGUMENTS;
        while !arguments.is_char_boundary(end) {
            end -= 1;
        }
        text.push_str(&format!(
            "\nwith {}...\n  [{} more bytes of the arguments are not shown; the approval gate's audit journal records the call, up to 64 KiB]",
            &arguments[..end],
            arguments.len() - end,
        ));
    }
    text.push_str(&format!(
        "\n\"For this session\" allows {}.\nAllow it [o]nce, for this [s]ession, or [d]eny? ",
        escape_controls(&session_scope(&request.tool, &request.arguments).covers)
    ));
    text
}

asterbot_sdk::export_approver_terminal_world!(Terminal);

#[cfg(test)]
mod tests {
    use super::{Decision, Request, decision, question};

    #[test]
    fn only_a_clear_yes_allows() {
        assert!(matches!(decision("o\n"), Decision::AllowOnce));
        assert!(matches!(decision(" Session "), Decision::AllowSession));
        assert!(matches!(decision("\n"), Decision::Deny));
        assert!(matches!(decision("sure"), Decision::Deny));
    }

    #[test]
    fn the_question_undoes_concealment_and_shows_the_host_whatever_the_padding() {
        let padding = " ".repeat(100_000);
        let text = question(&Request {
            tool: "http_fetch".to_string(),
            arguments: format!(
                r#"{{"note":"{padding}","url":"https://evil.example/x?\u001b[8m"}}"#
            ),
        });
        assert!(text.starts_with(asterbot_sdk::approval::TERMINAL_RESET));
        let shown = &text[asterbot_sdk::approval::TERMINAL_RESET.len()..];
        assert!(!shown.contains('\x1b'), "{shown}");
        assert!(
            shown.contains("\n  host: evil.example\n  url: https://evil.example/x?\\x1b[8m"),
            "{shown}"
        );
        assert!(
            shown.contains("more bytes of the arguments are not shown"),
            "{shown}"
        );
        assert!(
            shown.contains(
                "\"For this session\" allows every call of `http_fetch` to the host evil.example."
            ),
            "{shown}"
        );
        assert!(shown.len() < 5_000, "{}", shown.len());
    }
}
