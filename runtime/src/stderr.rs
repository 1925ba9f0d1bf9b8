//! The agent's standard error, on the terminal where a person is asked to
//! approve calls. Every instance writes there (the stdio guard also sends
//! the standard output of all but the front end there), so a tool could
//! print a fake question and then hide the real one with escape sequences.
//! The runner therefore shows control characters instead of obeying them:
//! every one but `\n` and `\t` is written as text (`\x1b`), the C1 codes
//! and the marks that reorder text included. One sequence passes: the
//! terminal reset `ask-terminal` puts before its question
//! ([`TERMINAL_RESET`]), which can only undo concealment. And it caps what
//! one turn writes ([`TURN_CAP`]), saying once that the rest was cut.
//!
//! Where the runner can tell who writes ([`Writer`], from the backtrace of
//! the write, mapped to recipe instances by the record the composer
//! embeds), each line of an instance starts with its name (`[wild] `, on a
//! terminal only, so that a program reading the lines gets them as written), and
//! asterbot's own front ends (the command line and the question) pass
//! as they are, outside the cap.

use crate::input::TurnInput;
use bytes::Bytes;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::AsyncWrite;
use wasmtime_wasi::async_trait;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// The bytes of standard error one turn may write.
pub const TURN_CAP: usize = 1 << 20;

/// The sequence `ask-terminal` writes before its question
/// (`asterbot_sdk::approval::TERMINAL_RESET`): it leaves the alternate
/// screen, resets the scroll region, attributes and character set, and
/// shows the cursor, so it passes the filter unescaped.
pub const TERMINAL_RESET: &[u8] = b"\x1b[?1049l\x1b7\x1b[r\x1b8\x1b[0m\x1b(B\x1b[?25h\x1b[?7h";

/// Said once a turn's output passed [`TURN_CAP`].
const CUT: &[u8] =
    b"\n[asterbot: this turn wrote more than 1 MiB to standard error; the rest is not shown]\n";

/// Who is writing to standard error now, as the runner's stream
/// functions found out from the call's backtrace (see
/// `agent::attribute_writes`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Writer {
    /// Not known (an artifact without the record of instances, or a write
    /// that did not come through the runner's stream functions): filtered.
    #[default]
    Unknown,
    /// One of asterbot's own front ends (`asterbot:cli`,
    /// `asterbot:ask-terminal`): its text reaches the terminal as it is.
    FrontEnd,
    /// Any other recipe instance: filtered, and each line it starts is
    /// prefixed with its name.
    Instance(String),
}

/// The runner's standard error behind the filter and the cap.
#[derive(Clone)]
pub struct GuardedStderr {
    input: TurnInput,
    state: Arc<Mutex<State>>,
    writer: Arc<Mutex<Writer>>,
    /// Whether an instance's lines start with its name: on a terminal,
    /// where a person reads them; not in a pipe or a file, whose lines
    /// (OTLP spans, say) a program reads.
    name_lines: bool,
}

/// What the current turn wrote.
struct State {
    turn: Instant,
    written: usize,
    cut: bool,
    /// The last byte written as is (to catch a C1 code split over writes).
    last: u8,
    /// Whether the last byte written ended a line (or nothing was written).
    line_start: bool,
    /// Who wrote the current line.
    line_writer: Writer,
}

impl GuardedStderr {
    /// The runner's standard error, its budget renewed with each turn of
    /// `input`.
    pub fn new(input: &TurnInput) -> GuardedStderr {
        GuardedStderr {
            input: input.clone(),
            state: Arc::new(Mutex::new(State {
                turn: input.turn_started(),
                written: 0,
                cut: false,
                last: 0,
                line_start: true,
                line_writer: Writer::Unknown,
            })),
            writer: Arc::default(),
            name_lines: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }

    /// Where the runner's stream functions say who writes.
    pub fn writer(&self) -> Arc<Mutex<Writer>> {
        Arc::clone(&self.writer)
    }

    /// Writes `bytes` as [`GuardedStderr::render`] makes them.
    fn pass(&self, bytes: &[u8]) -> std::io::Result<()> {
        let out = self.render(bytes);
        if out.is_empty() {
            return Ok(());
        }
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(&out)?;
        stderr.flush()
    }

    /// What the terminal gets for `bytes`: as they are from a front end;
    /// otherwise filtered, within the turn's budget, an instance's lines
    /// prefixed with its name.
    fn render(&self, bytes: &[u8]) -> Vec<u8> {
        let mut state = self.state.lock().unwrap();
        let turn = self.input.turn_started();
        if turn != state.turn {
            state.turn = turn;
            state.written = 0;
            state.cut = false;
        }
        let writer = self.writer.lock().unwrap().clone();
        let kept = if writer == Writer::FrontEnd {
            bytes
        } else {
            let room = TURN_CAP.saturating_sub(state.written);
            &bytes[..bytes.len().min(room)]
        };
        let mut out = Vec::with_capacity(kept.len() + 32);
        if !state.line_start && state.line_writer != writer && !kept.is_empty() {
            // Another writer's line was left open: this one starts its own.
            out.push(b'\n');
            state.line_start = true;
        }
        if writer == Writer::FrontEnd {
            out.extend_from_slice(kept);
            state.last = kept.last().copied().unwrap_or(state.last);
        } else {
            state.written += kept.len();
            let prefix = match &writer {
                Writer::Instance(name) if self.name_lines => {
                    format!("[{}] ", name.escape_debug())
                }
                _ => String::new(),
            };
            for line in kept.split_inclusive(|b| *b == b'\n') {
                if state.line_start && !prefix.is_empty() {
                    out.extend_from_slice(prefix.as_bytes());
                }
                out.extend(filter(line, &mut state.last));
                state.line_start = line.ends_with(b"\n");
            }
        }
        if let Some(last) = kept.last() {
            state.line_start = *last == b'\n';
            state.line_writer = writer;
        }
        if kept.len() < bytes.len() && !state.cut {
            state.cut = true;
            out.extend_from_slice(CUT);
            state.line_start = true;
        }
        out
    }
}

/// `bytes` with every control character shown as text, but `\n`, `\t`
/// and [`TERMINAL_RESET`]; `last` is the last byte written before them.
pub fn filter(bytes: &[u8], last: &mut u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let b = rest[0];
        if rest.starts_with(TERMINAL_RESET) {
            out.extend_from_slice(TERMINAL_RESET);
            i += TERMINAL_RESET.len();
            *last = b'h';
            continue;
        }
        // A C1 code (U+0080 to U+009F) or a bidirectional mark, in UTF-8.
        let c1 = b == 0xc2 && rest.get(1).is_some_and(|n| (0x80..=0x9f).contains(n));
        let bidi = b == 0xe2
            && matches!(
                (rest.get(1), rest.get(2)),
                (Some(0x80), Some(0x8e | 0x8f | 0xaa..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
            );
        if c1 {
            out.extend_from_slice(format!("\\x{:02x}", rest[1]).as_bytes());
            i += 2;
            *last = b'0';
        } else if bidi {
            let code = u32::from(rest[1] & 0x3f) << 6 | u32::from(rest[2] & 0x3f) | 0x2000;
            out.extend_from_slice(format!("\\u{{{code:x}}}").as_bytes());
            i += 3;
            *last = b'}';
        } else if (b < 0x20 && b != b'\n' && b != b'\t')
            || b == 0x7f
            // A C1 code split over writes, or a lone byte in its range
            // (which a terminal not in UTF-8 takes for one).
            || ((0x80..=0x9f).contains(&b) && (*last < 0x80 || *last == 0xc2))
        {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            i += 1;
            *last = b'0';
        } else {
            out.push(b);
            i += 1;
            *last = b;
        }
    }
    out
}

impl IsTerminal for GuardedStderr {
    fn is_terminal(&self) -> bool {
        std::io::IsTerminal::is_terminal(&std::io::stderr())
    }
}

impl StdoutStream for GuardedStderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for GuardedStderr {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.pass(&bytes)
            .map_err(|e| StreamError::LastOperationFailed(e.into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

#[async_trait]
impl Pollable for GuardedStderr {
    async fn ready(&mut self) {}
}

impl AsyncWrite for GuardedStderr {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.pass(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instances_lines_are_prefixed_and_the_front_ends_pass_as_they_are() {
        let input = TurnInput::from_text("");
        let mut stderr = GuardedStderr::new(&input);
        stderr.name_lines = true;
        let writer = stderr.writer();
        *writer.lock().unwrap() = Writer::Instance("wild".into());
        assert_eq!(stderr.render(b"one\ntwo"), b"[wild] one\n[wild] two");
        assert_eq!(stderr.render(b" more\x1b[8m"), b" more\\x1b[8m");
        *writer.lock().unwrap() = Writer::FrontEnd;
        // The front end's text starts on a line of its own, as it is.
        assert_eq!(stderr.render(b"\x1b[1mAsk\n"), b"\n\x1b[1mAsk\n");
        *writer.lock().unwrap() = Writer::Unknown;
        assert_eq!(stderr.render(b"\x07?\n"), b"\\x07?\n");
        // Front-end bytes are not counted against the cap.
        let written = stderr.state.lock().unwrap().written;
        assert_eq!(written, "one\ntwo more\x1b[8m\x07?\n".len());
    }

    fn filtered(bytes: &[u8]) -> String {
        String::from_utf8_lossy(&filter(bytes, &mut 0)).into_owned()
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            filtered(b"fake\x1b[8m\x1b[2Ahidden\r\x07\x7f\n\tok"),
            "fake\\x1b[8m\\x1b[2Ahidden\\x0d\\x07\\x7f\n\tok"
        );
        assert_eq!(
            filtered("a\u{9b}8m b\u{202e}c é".as_bytes()),
            "a\\x9b8m b\\u{202e}c é"
        );
        // A C1 code split over two writes.
        let mut last = 0;
        let mut out = filter(b"a\xc2", &mut last);
        out.extend(filter(b"\x9b8m", &mut last));
        assert_eq!(out, b"a\xc2\\x9b8m");
        // A lone byte of the C1 range (CSI to a terminal not in UTF-8).
        assert_eq!(filter(b"a\x9b8m", &mut 0), b"a\\x9b8m");
    }

    #[test]
    fn only_the_questions_reset_passes() {
        let mut question = TERMINAL_RESET.to_vec();
        question.extend_from_slice(b"\nThe agent wants to run");
        assert_eq!(filter(&question, &mut 0), question);
        assert_eq!(filtered(b"\x1b[0m"), "\\x1b[0m");
    }

    #[test]
    fn a_turn_writes_at_most_the_cap_and_is_told_once() {
        let input = TurnInput::from_text("");
        let stderr = GuardedStderr::new(&input);
        assert_eq!(stderr.render(&vec![b'x'; TURN_CAP - 1]).len(), TURN_CAP - 1);
        assert_eq!(stderr.render(b"yz"), [b"y".as_slice(), CUT].concat());
        assert!(stderr.render(b"more").is_empty());
        let state = stderr.state.lock().unwrap();
        assert_eq!(state.written, TURN_CAP);
        assert!(state.cut);
    }
}
