//! `guard-stdio`: standard input, output and exit for an instance that is
//! not the front end. Reading standard input or exiting traps, so the
//! instance is stopped as a fault before it takes a line of the person's
//! input or ends the run; what it writes to standard output goes to
//! standard error, where it cannot pass for the agent's answer. The front
//! end is wired to the runtime directly.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "stdio", generate_all });

use exports::wasi::cli::exit::Guest as Exit;
use exports::wasi::cli::stdin::Guest as Stdin;
use exports::wasi::cli::stdout::Guest as Stdout;
use wasi::cli::stderr;
use wasi::io::streams::{InputStream, OutputStream};

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

struct Guard;

impl Stdin for Guard {
    fn get_stdin() -> InputStream {
        only_the_front_end_may_read_standard_input()
    }
}

impl Stdout for Guard {
    fn get_stdout() -> OutputStream {
        stderr::get_stderr()
    }
}

impl Exit for Guard {
    fn exit(_status: Result<(), ()>) {
        only_the_front_end_may_exit()
    }
}

/// Traps; the runner names this function when it reports the fault.
#[inline(never)]
fn only_the_front_end_may_read_standard_input() -> ! {
    trap(1)
}

/// Traps; the runner names this function when it reports the fault.
#[inline(never)]
fn only_the_front_end_may_exit() -> ! {
    trap(2)
}

/// Traps. The `reason` keeps the two callers distinct functions, so the
/// backtrace names the right one.
#[inline(never)]
fn trap(reason: u32) -> ! {
    core::hint::black_box(reason);
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!("a guard only runs as WebAssembly");
}

export!(Guard);
