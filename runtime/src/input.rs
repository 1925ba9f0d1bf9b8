//! The agent's standard input, fed one line (one turn) at a time.
//!
//! A worker thread reads a line only when the agent asks for input: from
//! an editor with line history when standard input is a terminal (the
//! REPL; Ctrl-D ends it), else from the pipe. The moment a line is handed
//! over is the start of a turn, which is what `--timeout` counts from. The
//! same source outlives a restarted agent, so after a fault the next turn
//! reads the next line.

use bytes::Bytes;
use std::io::BufRead;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;
use wasmtime_wasi::async_trait;
use wasmtime_wasi::cli::{IsTerminal, StdinStream};
use wasmtime_wasi::p2::{InputStream, Pollable, StreamError, StreamResult};

/// Prompt shown by the REPL.
const PROMPT: &str = "> ";

/// Where turns come from, shared by every stdin stream of every run.
#[derive(Clone)]
pub struct TurnInput {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    lines: tokio::sync::Mutex<UnboundedReceiver<Option<Vec<u8>>>>,
    requests: Mutex<mpsc::Sender<()>>,
    turn_started: Mutex<Instant>,
    /// Lines handed over so far.
    handed: std::sync::atomic::AtomicUsize,
    interactive: bool,
}

/// What has been handed over but not yet read, and where the source is.
#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    requested: bool,
    ended: bool,
}

impl Shared {
    /// Asks the worker for the next line, once.
    fn request(&self, state: &mut State) {
        if !state.requested {
            state.requested = true;
            let _ = self.requests.lock().unwrap().send(());
        }
    }

    /// Takes a line (or the end) the worker delivered into `state`.
    fn accept(state: &mut State, line: Option<Option<Vec<u8>>>) {
        state.requested = false;
        match line {
            Some(Some(line)) => state.buffer = line,
            Some(None) | None => state.ended = true,
        }
    }
}

impl TurnInput {
    /// Turns from this process's standard input: a REPL on a terminal,
    /// lines of the pipe otherwise.
    pub fn stdin() -> TurnInput {
        TurnInput::from_stdin(true)
    }

    /// Standard input for a run whose turn came from its arguments: it
    /// only answers questions (an approval), so a terminal gets line
    /// editing but no word about turns.
    pub fn stdin_for_answers() -> TurnInput {
        TurnInput::from_stdin(false)
    }

    /// Standard input, saying on a terminal that each line is a turn if
    /// `turns`.
    fn from_stdin(turns: bool) -> TurnInput {
        let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
        TurnInput::start(
            interactive,
            move || -> Box<dyn FnMut() -> Option<Vec<u8>>> {
                if interactive {
                    terminal_lines(turns)
                } else {
                    let mut stdin = std::io::stdin().lock();
                    Box::new(move || next_line(&mut stdin))
                }
            },
        )
    }

    /// Turns from `text`, one per line (for tests and embedding).
    pub fn from_text(text: &str) -> TurnInput {
        let text = text.to_string();
        TurnInput::start(false, move || -> Box<dyn FnMut() -> Option<Vec<u8>>> {
            let mut reader = std::io::Cursor::new(text.into_bytes());
            Box::new(move || next_line(&mut reader))
        })
    }

    /// No turns at all: standard input is at its end from the start. For
    /// a request of a served agent, which takes its input from HTTP; no
    /// worker thread is started.
    pub fn empty() -> TurnInput {
        let (request_tx, _) = mpsc::channel::<()>();
        let (_, line_rx) = tokio::sync::mpsc::unbounded_channel();
        TurnInput {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                lines: tokio::sync::Mutex::new(line_rx),
                requests: Mutex::new(request_tx),
                turn_started: Mutex::new(Instant::now()),
                handed: std::sync::atomic::AtomicUsize::new(0),
                interactive: false,
            }),
        }
    }

    /// Starts the worker; `open` makes, on the worker thread, the function
    /// that reads the next line (`None` at the end).
    fn start(
        interactive: bool,
        open: impl FnOnce() -> Box<dyn FnMut() -> Option<Vec<u8>>> + Send + 'static,
    ) -> TurnInput {
        let (request_tx, request_rx) = mpsc::channel::<()>();
        let (line_tx, line_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            lines: tokio::sync::Mutex::new(line_rx),
            requests: Mutex::new(request_tx),
            turn_started: Mutex::new(Instant::now()),
            handed: std::sync::atomic::AtomicUsize::new(0),
            interactive,
        });
        let clock = Arc::clone(&shared);
        std::thread::spawn(move || {
            let mut next = open();
            // A line is read only once the agent asks for one, so the prompt
            // appears after the previous answer.
            while request_rx.recv().is_ok() {
                let line = next();
                *clock.turn_started.lock().unwrap() = Instant::now();
                if line.is_some() {
                    clock
                        .handed
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                let end = line.is_none();
                if line_tx.send(line).is_err() || end {
                    return;
                }
            }
        });
        TurnInput { shared }
    }

    /// When the current turn started: the last line handed to the agent,
    /// or the start of the run.
    pub fn turn_started(&self) -> Instant {
        *self.shared.turn_started.lock().unwrap()
    }

    /// Marks the start of a run (the first turn of a message argument).
    pub fn restart_clock(&self) {
        *self.shared.turn_started.lock().unwrap() = Instant::now();
    }

    /// How many lines have been handed over so far.
    pub fn lines_handed(&self) -> usize {
        self.shared.handed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether every line has been handed over.
    pub fn ended(&self) -> bool {
        self.shared.state.lock().unwrap().ended
    }

    /// Whether the agent is waiting for a line (the person's next turn, or
    /// an answer to a question): no turn's clock runs meanwhile.
    pub fn waiting(&self) -> bool {
        let state = self.shared.state.lock().unwrap();
        state.requested && state.buffer.is_empty() && !state.ended
    }

    /// Whether turns come from a person at a terminal.
    pub fn interactive(&self) -> bool {
        self.shared.interactive
    }
}

/// Lines from a terminal, with editing and history; Ctrl-D ends, Ctrl-C
/// clears the line. With `turns`, says first that each line is a turn.
fn terminal_lines(turns: bool) -> Box<dyn FnMut() -> Option<Vec<u8>>> {
    let Ok(mut editor) = rustyline::DefaultEditor::new() else {
        let mut stdin = std::io::stdin().lock();
        return Box::new(move || next_line(&mut stdin));
    };
    if turns {
        tracing::info!("one line is one turn; Ctrl-D ends the conversation.");
    }
    Box::new(move || {
        loop {
            match editor.readline(PROMPT) {
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => {
                    let _ = editor.add_history_entry(line.as_str());
                    return Some(format!("{line}\n").into_bytes());
                }
                Err(rustyline::error::ReadlineError::Interrupted) => {}
                Err(_) => return None,
            }
        }
    })
}

/// The next line of `reader`, with its newline; `None` at the end.
fn next_line(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

/// One stdin handle of the agent; all handles share the same position,
/// and nothing is read ahead of what the agent asks for.
struct TurnStream {
    shared: Arc<Shared>,
}

impl InputStream for TurnStream {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        let mut state = self.shared.state.lock().unwrap();
        if state.buffer.is_empty() && !state.ended {
            self.shared.request(&mut state);
            let delivered = match self.shared.lines.try_lock() {
                Ok(mut lines) => match lines.try_recv() {
                    Ok(line) => Some(line),
                    Err(TryRecvError::Empty) => return Ok(Bytes::new()),
                    Err(TryRecvError::Disconnected) => None,
                },
                // Another handle is waiting for the line; it will land in
                // the shared buffer.
                Err(_) => return Ok(Bytes::new()),
            };
            Shared::accept(&mut state, delivered);
        }
        if state.buffer.is_empty() {
            return Err(StreamError::Closed);
        }
        let n = size.min(state.buffer.len());
        Ok(Bytes::from(state.buffer.drain(..n).collect::<Vec<u8>>()))
    }
}

#[async_trait]
impl Pollable for TurnStream {
    async fn ready(&mut self) {
        {
            let mut state = self.shared.state.lock().unwrap();
            if !state.buffer.is_empty() || state.ended {
                return;
            }
            self.shared.request(&mut state);
        }
        let mut lines = self.shared.lines.lock().await;
        {
            let state = self.shared.state.lock().unwrap();
            if !state.buffer.is_empty() || state.ended {
                return;
            }
        }
        let line = lines.recv().await;
        Shared::accept(&mut self.shared.state.lock().unwrap(), line);
    }
}

impl IsTerminal for TurnInput {
    fn is_terminal(&self) -> bool {
        self.shared.interactive
    }
}

impl StdinStream for TurnInput {
    fn p2_stream(&self) -> Box<dyn InputStream> {
        Box::new(TurnStream {
            shared: Arc::clone(&self.shared),
        })
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncRead + Send + Sync> {
        // Only WASIp3 guests use this; asterbot agents are WASIp2, which
        // reads through `p2_stream`. Nothing is read ahead here either.
        Box::new(tokio::io::empty())
    }
}
