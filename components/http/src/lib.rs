//! A small blocking HTTP client for asterbot components, over `wasi:http`.
//!
//! Components that talk to the network (LLM providers, `http-fetch`) send
//! one [`Request`] and get a whole [`Response`] back, or an [`HttpError`]
//! that says in words what went wrong. [`retry`] adds bounded retries with
//! backoff for the answers worth retrying (429 and 5xx).
//!
//! The runner decides which hosts are reachable: `asterbot run
//! --allow-host HOST`, or `wasmtime run -S http`.

mod client;
pub mod retry;
mod url;

pub use client::{HttpError, Method, Request, Response, send};
pub use url::Url;
