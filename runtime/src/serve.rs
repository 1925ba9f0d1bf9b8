//! Serving a composed agent's `wasi:http/incoming-handler` over HTTP, as
//! `wasmtime serve` does, with the runner's grants, limits, compile cache
//! and fault handling: every request gets a fresh instance of the
//! pre-linked component (its own memory, its own limits), and requests run
//! concurrently. A request whose instance traps or runs out of time is
//! answered `500`/`504` with a JSON error in OpenAI's shape; the server
//! goes on serving.
//!
//! The server reports through `tracing`: each fault at `error`. Every
//! request gets one access line on stderr, with a request id the answer
//! echoes (`x-request-id`, the client's if it sent one).
//!
//! Its resources are bounded: a request's head and body must arrive within
//! their timeouts, and an instance slot is taken only once the body is
//! read, so slow clients hold a connection, never an instance; a request
//! that finds every slot busy beyond a short wait is shed (`503` with
//! `Retry-After`); open connections are capped; `GET /healthz` and
//! `/readyz` have slots of their own. A slot is given back only when its
//! instance is gone, so the pool never runs out below `--concurrency`.

use crate::agent::{PoolRoom, beyond_the_pool, compile, limited_store, linker, pooled};
use crate::cache::{CompileCache, Compiled};
use crate::fault;
use crate::grants::Grants;
use crate::host::Host;
use crate::input::TurnInput;
use crate::limits::{LimitHit, Limits};
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use wasmtime_wasi_http::WasiHttpView as _;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// How long a shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// Instances kept for health probes (`GET /healthz`, `/readyz`), beyond
/// `--concurrency`: a probe never waits behind turns.
const PROBES: u32 = 2;

/// Largest request body read before the instance is taken; the front end
/// answers bodies over its own limit (1 MiB) with `413` after reading up
/// to this much, and a larger declared length is handed to it unread.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// How long the server may take to read a request and wait for a slot, and
/// how many connections it keeps open.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// A request's head (line and headers) must arrive within this, from
    /// the moment the connection waits for it: a keep-alive connection
    /// idle this long between requests is closed.
    pub header_timeout: Duration,
    /// A request's body must arrive within this, once its head has.
    pub body_timeout: Duration,
    /// How long a request waits for a free instance before it is answered
    /// `503` with `Retry-After`.
    pub queue_timeout: Duration,
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            queue_timeout: Duration::from_secs(5),
            max_connections: 1024,
        }
    }
}

impl Tuning {
    /// The connection cap, kept under the process's file limit (leaving
    /// room for the store, the cache and the agent's own files).
    fn connections(&self) -> usize {
        let limit = open_files_limit().map_or(usize::MAX, |limit| limit.saturating_sub(128));
        self.max_connections.min(limit).max(1)
    }
}

/// The soft limit of open files, where the system says (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A compiled agent that answers HTTP requests.
pub struct Server {
    pre: ProxyPre<Host>,
    /// Instances that may live at once; a request holds its slot until its
    /// instance is dropped.
    slots: Arc<Semaphore>,
    /// The slots of health probes.
    probes: Arc<Semaphore>,
    concurrency: usize,
    tuning: Tuning,
    metrics: Metrics,
    /// Set when the drain is over: streams still running end with an
    /// error event and `[DONE]`.
    cut: watch::Sender<bool>,
    name: String,
    owners: fault::Owners,
    grants: Grants,
    limits: Limits,
    in_flight: AtomicUsize,
    /// How the compiled code was obtained.
    pub compiled: Compiled,
}

/// A response made by the server itself (not the agent).
type Response = hyper::Response<HyperOutgoingBody>;

impl Server {
    /// Compiles the component in `bytes` (or loads it from `cache`) and
    /// links it; it must export `wasi:http/incoming-handler`.
    pub fn new(
        name: &str,
        bytes: &[u8],
        cache: Option<&CompileCache>,
        grants: Grants,
        limits: Limits,
        concurrency: u32,
    ) -> anyhow::Result<Server> {
        let pool = pooled(limits.max_memory, concurrency + PROBES, PoolRoom::SERVED);
        let (engine, component, compiled, _) =
            beyond_the_pool(pool, |config| compile(name, bytes, None, cache, config))?;
        let pre = linker(&engine)?
            .instantiate_pre(&component)
            .and_then(ProxyPre::new)
            .map_err(|e| {
                anyhow::Error::from(e).context(format!(
                    "cannot serve `{name}`: it must export `wasi:http/incoming-handler` (compose a recipe with an HTTP front end, such as `recipes/serve.wac`) and import only WASI P2, `wasi:http` and `wasi:keyvalue`"
                ))
            })?;
        if let Some(warning) = crate::unguarded::warning(name, bytes) {
            tracing::warn!("{warning}");
        }
        Ok(Server {
            pre,
            slots: Arc::new(Semaphore::new(concurrency as usize)),
            probes: Arc::new(Semaphore::new(PROBES as usize)),
            concurrency: concurrency as usize,
            tuning: Tuning::default(),
            metrics: Metrics::default(),
            cut: watch::channel(false).0,
            name: name.to_string(),
            owners: fault::Owners::read(bytes),
            grants,
            limits,
            in_flight: AtomicUsize::new(0),
            compiled,
        })
    }

    /// The server with `tuning` in place of the defaults.
    pub fn tuned(mut self, tuning: Tuning) -> Server {
        self.tuning = tuning;
        self
    }

    /// Serves connections from `listener` until `shutdown` resolves, then
    /// stops listening (new connections are refused), closes idle
    /// connections, and waits (at most 30 s) for the requests in flight;
    /// streams still running then end with an error event and `[DONE]`.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        tokio::pin!(shutdown);
        let connections = Arc::new(Semaphore::new(self.tuning.connections()));
        let (stopping, stop) = watch::channel(false);
        loop {
            let accept = async {
                let permit = Arc::clone(&connections).acquire_owned().await;
                (permit, listener.accept().await)
            };
            let (permit, stream, peer) = tokio::select! {
                (permit, accepted) = accept => match (permit, accepted) {
                    (Ok(permit), Ok((stream, peer))) => (permit, stream, peer),
                    (_, Err(error)) => {
                        // Out of file descriptors and the like: wait, go on.
                        tracing::warn!("cannot accept a connection: {error}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    (Err(_), _) => continue,
                },
                () = &mut shutdown => break,
            };
            // An answer goes out in several writes (head, chunks, the
            // end of the chunked body): without this, Nagle's algorithm
            // holds the last one back until the client acknowledges the
            // others, which it delays by up to 40 ms.
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr().ok();
            let server = Arc::clone(&self);
            let mut stop = stop.clone();
            tokio::spawn(async move {
                let _permit = permit;
                server.metrics.connections.fetch_add(1, Ordering::Relaxed);
                let answering = Arc::clone(&server);
                let service = hyper::service::service_fn(move |request| {
                    let server = Arc::clone(&answering);
                    async move {
                        Ok::<_, std::convert::Infallible>(server.answer(request, peer, local).await)
                    }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .timer(TokioTimer)
                    .header_read_timeout(server.tuning.header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(connection);
                let ended = tokio::select! {
                    ended = connection.as_mut() => ended,
                    () = async { drop(stop.wait_for(|stopping| *stopping).await) } => {
                        // Answer what is in flight, then close.
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(error) = ended {
                    tracing::debug!("connection from {peer} ended: {error}");
                }
                server.metrics.connections.fetch_sub(1, Ordering::Relaxed);
            });
        }
        // Refuse new connections from now on, rather than leave them in the
        // backlog to be reset at exit.
        drop(listener);
        let _ = stopping.send(true);
        let started = Instant::now();
        while (self.in_flight() > 0 || self.slots.available_permits() < self.concurrency)
            && started.elapsed() < DRAIN
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if self.slots.available_permits() < self.concurrency {
            // Streams that could not finish say so before the end.
            let _ = self.cut.send(true);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// Requests being answered now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The agent's answer to `request`, or the server's error answer, with
    /// the request id, counted and logged.
    async fn answer(
        self: Arc<Self>,
        mut request: hyper::Request<hyper::body::Incoming>,
        peer: SocketAddr,
        local: Option<SocketAddr>,
    ) -> Response {
        let started = Instant::now();
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let route = route_label(&path);
        let id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
            .map_or_else(new_request_id, str::to_string);
        let id_value = hyper::header::HeaderValue::from_str(&id)
            .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("-"));
        request.headers_mut().insert(REQUEST_ID, id_value.clone());
        // An HTTP/1.0 probe (HAProxy's default health check) names no host:
        // it is asking this server, at the address it connected to.
        if request.uri().authority().is_none()
            && !request.headers().contains_key(hyper::header::HOST)
            && request.version() <= hyper::Version::HTTP_10
            && let Some(value) = local
                .and_then(|local| hyper::header::HeaderValue::from_str(&local.to_string()).ok())
        {
            request.headers_mut().insert(hyper::header::HOST, value);
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let mut response =
            if route == "/metrics" && matches!(method, hyper::Method::GET | hyper::Method::HEAD) {
                self.metrics_response()
            } else {
                match self.run(request, route).await {
                    Ok(response) => response,
                    Err(failure) => {
                        tracing::error!("{method} {path} from {peer} [{id}]: {}", failure.message);
                        failure.response()
                    }
                }
            };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        response.headers_mut().insert(REQUEST_ID, id_value);
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        self.metrics.observe(route, status, elapsed);
        eprintln!(
            "asterbot: access {peer} {id} \"{method} {path}\" {status} {:.1}ms",
            elapsed.as_secs_f64() * 1000.0
        );
        response
    }

    /// The metrics in Prometheus' text format.
    fn metrics_response(&self) -> Response {
        let in_use = self.concurrency - self.slots.available_permits().min(self.concurrency);
        let text = self.metrics.render(in_use, self.concurrency);
        let body = http_body_util::Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed_unsync();
        hyper::Response::builder()
            .status(200)
            .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
            .body(body)
            .expect("a status and a header always make a response")
    }

    /// Reads the request's body (within `--body-timeout`), then takes an
    /// instance slot (shedding after the queue timeout) and runs the
    /// agent's handler on a fresh instance, within the limits. The slot
    /// is held until the instance is dropped.
    async fn run(
        self: &Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
        route: &'static str,
    ) -> Result<Response, Failure> {
        let probe = matches!(route, "/healthz" | "/readyz")
            && matches!(*request.method(), hyper::Method::GET | hyper::Method::HEAD);
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body: UnsyncBoxBody<Bytes, hyper::Error> = if declared
            .is_some_and(|length| length > MAX_BUFFERED as u64)
        {
            // The front end refuses it at once, unread.
            body.boxed_unsync()
        } else {
            let bytes = match tokio::time::timeout(self.tuning.body_timeout, read_all(body)).await {
                Err(_) => return Err(Failure::body_timeout(self.tuning.body_timeout)),
                Ok(read) => read?,
            };
            http_body_util::Full::new(bytes)
                .map_err(|never| match never {})
                .boxed_unsync()
        };
        let request = hyper::Request::from_parts(parts, body);
        let slots = if probe { &self.probes } else { &self.slots };
        let slot = match tokio::time::timeout(
            self.tuning.queue_timeout,
            Arc::clone(slots).acquire_owned(),
        )
        .await
        {
            Ok(slot) => slot.map_err(|e| Failure::internal(e.to_string()))?,
            Err(_) => {
                self.metrics.shed.fetch_add(1, Ordering::Relaxed);
                return Err(Failure::busy(self.tuning.queue_timeout));
            }
        };
        self.instantiate(request, slot).await
    }

    /// Runs the handler on a fresh instance holding `slot`.
    async fn instantiate(
        self: &Arc<Self>,
        request: hyper::Request<UnsyncBoxBody<Bytes, hyper::Error>>,
        slot: OwnedSemaphorePermit,
    ) -> Result<Response, Failure> {
        let input = TurnInput::empty();
        let mut host = Host::new(
            &self.name,
            &[],
            &self.grants,
            &input,
            self.limits.max_memory,
        )
        .map_err(|e| Failure::internal(format!("{e:#}")))?;
        host.count_denials(Arc::clone(&self.metrics.host_denials));
        let mut store = limited_store(self.pre.engine(), host, &self.limits, &input);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(|e| Failure::bad_request(format!("{e:#}")))?;
        let out = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(|e| Failure::internal(format!("{e:#}")))?;
        let server = Arc::clone(self);
        // The fault of a turn, told to a stream that is still open.
        let (faulted, fault) = tokio::sync::oneshot::channel::<String>();
        // The handler runs on its own task: a streamed body goes on after
        // the headers are sent. The wall-clock limit covers all of it.
        let timeout = self.limits.timeout;
        let task = tokio::spawn(async move {
            let handle = async {
                let proxy = server.pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, request, out)
                    .await
            };
            let outcome = match tokio::time::timeout(timeout, handle).await {
                Ok(outcome) => outcome,
                Err(_) => Err(LimitHit::WallTime(timeout).into()),
            };
            let outcome = outcome.map_err(|error| {
                let memory = store.data().limiter.hit.then_some(server.limits.max_memory);
                let timed_out = matches!(error.downcast_ref(), Some(LimitHit::WallTime(_)));
                (fault::describe(&error, memory, &server.owners), timed_out)
            });
            if let Err((fault, _)) = &outcome {
                let _ = faulted.send(fault.clone());
            }
            // The instance goes first, then its slot: the pool has room
            // for every slot given back.
            drop(store);
            drop(slot);
            outcome
        });
        match receiver.await {
            Ok(Ok(response)) => {
                // The front end's trailers tell what its turns did.
                let (parts, body) = response.into_parts();
                let tallied = Tallied {
                    inner: body,
                    server: Arc::clone(self),
                };
                let response = hyper::Response::from_parts(parts, tallied.boxed_unsync());
                // A fault after the headers went out cuts the body short;
                // a stream says so in an error event, the log says why.
                let name = self.name.clone();
                tokio::spawn(async move {
                    if let Ok(Err((fault, _))) = task.await {
                        tracing::error!("`{name}` failed after answering: {fault}");
                    }
                });
                let streamed = response
                    .headers()
                    .get(hyper::header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
                if !streamed {
                    return Ok(response);
                }
                let mut cut = self.cut.subscribe();
                let reason = async move {
                    tokio::select! {
                        fault = fault => fault.ok(),
                        () = async { drop(cut.wait_for(|cut| *cut).await) } => Some("the server stopped before this turn ended".to_string()),
                    }
                };
                let (parts, body) = response.into_parts();
                let guarded = Guarded::new(body, Box::pin(reason));
                Ok(hyper::Response::from_parts(parts, guarded.boxed_unsync()))
            }
            Ok(Err(code)) => Err(Failure::internal(format!(
                "the agent answered with an HTTP error: {code:?}"
            ))),
            Err(_) => Err(match task.await {
                Ok(Ok(())) => Failure::internal("the agent did not answer the request".to_string()),
                Ok(Err((fault, true))) => Failure::timeout(fault),
                Ok(Err((fault, false))) => Failure::internal(format!("this turn ended: {fault}")),
                Err(join) => Failure::internal(format!("the request's task failed: {join}")),
            }),
        }
    }
}

/// The header carrying the request id.
const REQUEST_ID: &str = "x-request-id";

/// A new request id: 16 random bytes in hex.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        return format!("req-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A body, whole, as long as it is at most [`MAX_BUFFERED`] bytes.
async fn read_all(mut body: hyper::body::Incoming) -> Result<Bytes, Failure> {
    let mut bytes = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Failure::bad_request(format!("the request body could not be read: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_BUFFERED {
                return Err(Failure::too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

/// The route a request is counted under: its path if the front end knows
/// it, so the metrics' labels stay few.
fn route_label(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        "/v1/chat/completions" => "/v1/chat/completions",
        "/v1/responses" => "/v1/responses",
        "/v1/models" => "/v1/models",
        "/mcp" => "/mcp",
        path if path.starts_with("/v1/approvals/") => "/v1/approvals/{id}",
        _ => "other",
    }
}

/// A streamed answer that always ends as a stream: if the turn faults
/// (`--timeout`, a trap) or the server stops before the agent finished,
/// the client gets an error event and `data: [DONE]` instead of a body cut
/// short. The event is both shapes at once: a chat completion stream's
/// error, and an Open Responses `error` event numbered after the events
/// already sent.
struct Guarded {
    inner: HyperOutgoingBody,
    reason: Option<Pin<Box<dyn Future<Output = Option<String>> + Send>>>,
    /// The agent's body broke off.
    broken: bool,
    ended: bool,
    /// Events passed on so far, and whether the last byte was a newline.
    events: u64,
    newline: bool,
}

impl Guarded {
    fn new(
        inner: HyperOutgoingBody,
        reason: Pin<Box<dyn Future<Output = Option<String>> + Send>>,
    ) -> Guarded {
        Guarded {
            inner,
            reason: Some(reason),
            broken: false,
            ended: false,
            events: 0,
            newline: false,
        }
    }

    /// Counts the events (each ends with a blank line) in `data`.
    fn count(&mut self, data: &[u8]) {
        for &byte in data {
            let newline = byte == b'\n';
            if newline && self.newline {
                self.events += 1;
            }
            self.newline = newline && !self.newline;
        }
    }

    fn error_event(&self, message: &str) -> Frame<Bytes> {
        let event = serde_json::json!({
            "type": "error",
            "sequence_number": self.events,
            "error": {
                "message": message,
                "type": "server_error",
                "param": null,
                "code": "turn_cut_short",
            },
        });
        Frame::data(Bytes::from(format!(
            "event: error\ndata: {event}\n\ndata: [DONE]\n\n"
        )))
    }
}

type OutgoingError = <HyperOutgoingBody as Body>::Error;

impl Body for Guarded {
    type Data = Bytes;
    type Error = OutgoingError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutgoingError>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        if !this.broken {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(data) = frame.data_ref() {
                        this.count(data);
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
                Poll::Ready(None) => {
                    // A fault is told before its instance is dropped, so a
                    // body that ended because its instance went has its
                    // reason ready here.
                    this.ended = true;
                    let reason = match this.reason.as_mut().map(|r| r.as_mut().poll(cx)) {
                        Some(Poll::Ready(reason)) => reason,
                        _ => None,
                    };
                    this.reason = None;
                    return Poll::Ready(reason.map(|reason| Ok(this.error_event(&reason))));
                }
                Poll::Ready(Some(Err(_))) => this.broken = true,
                Poll::Pending => {}
            }
        }
        let reason = match this.reason.as_mut() {
            Some(reason) => match reason.as_mut().poll(cx) {
                Poll::Ready(reason) => {
                    this.reason = None;
                    reason
                }
                Poll::Pending => return Poll::Pending,
            },
            None => None,
        };
        match reason {
            Some(reason) => {
                this.ended = true;
                Poll::Ready(Some(Ok(this.error_event(&reason))))
            }
            None if this.broken => {
                this.ended = true;
                Poll::Ready(Some(Ok(this.error_event("the answer broke off"))))
            }
            // The turn ended well: the body ends on its own.
            None => Poll::Pending,
        }
    }
}

/// The trailer in which the front end (`asterbot:http-gateway`) tells the
/// tool calls of a request's turns, and the one telling the calls a person
/// denied.
const TOOL_CALLS_TRAILER: &str = "asterbot-tool-calls";
const DENIALS_TRAILER: &str = "asterbot-denials";

/// An answer of the agent whose tally trailers are counted and taken off:
/// clients get the body (and any other trailers) as they were.
struct Tallied {
    inner: HyperOutgoingBody,
    server: Arc<Server>,
}

impl Body for Tallied {
    type Data = Bytes;
    type Error = OutgoingError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutgoingError>>> {
        let this = &mut *self;
        loop {
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => frame,
                other => return other,
            };
            match frame.into_trailers() {
                Ok(mut trailers) => {
                    let metrics = &this.server.metrics;
                    for (name, counter) in [
                        (TOOL_CALLS_TRAILER, &metrics.tool_calls),
                        (DENIALS_TRAILER, &metrics.approval_denials),
                    ] {
                        let told = trailers.remove(name);
                        let count = told
                            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
                            .unwrap_or(0);
                        counter.fetch_add(count, Ordering::Relaxed);
                    }
                    if !trailers.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
                    }
                }
                Err(frame) => return Poll::Ready(Some(Ok(frame))),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

/// hyper's timers, on tokio.
#[derive(Clone, Copy, Debug)]
struct TokioTimer;

struct TokioSleep(Pin<Box<tokio::time::Sleep>>);

impl Future for TokioSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for TokioSleep {}

impl hyper::rt::Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(TokioSleep(Box::pin(tokio::time::sleep(duration))))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(TokioSleep(Box::pin(tokio::time::sleep_until(
            deadline.into(),
        ))))
    }
}

/// Bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// What `/metrics` reports.
#[derive(Default)]
struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    micros: AtomicU64,
    shed: AtomicU64,
    connections: AtomicUsize,
    /// Tool calls, as the front end tells them.
    tool_calls: AtomicU64,
    /// Calls a person denied, as the front end tells them.
    approval_denials: AtomicU64,
    /// Outgoing HTTP requests the grants refused.
    host_denials: Arc<AtomicU64>,
}

impl Metrics {
    fn observe(&self, route: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route, status)).or_default() += 1;
        }
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, in_use: usize, slots: usize) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        text.push_str("# HELP asterbot_http_requests_total Requests answered, by route and status.\n# TYPE asterbot_http_requests_total counter\n");
        for ((route, status), count) in &requests {
            let _ = writeln!(
                text,
                "asterbot_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        text.push_str("# HELP asterbot_http_request_duration_seconds Time from a request's head to its answer's head.\n# TYPE asterbot_http_request_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                text,
                "asterbot_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            text,
            "asterbot_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\nasterbot_http_request_duration_seconds_sum {}\nasterbot_http_request_duration_seconds_count {count}",
            self.micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let turns: u64 = requests
            .iter()
            .filter(|((route, status), _)| {
                matches!(*route, "/v1/chat/completions" | "/v1/responses") && *status == 200
            })
            .map(|(_, count)| count)
            .sum();
        sample(
            &mut text,
            "asterbot_turns_total",
            "counter",
            "Chat completions and responses answered 200 (replays of an idempotency key included).",
            turns,
        );
        sample(
            &mut text,
            "asterbot_tool_calls_total",
            "counter",
            "Tool calls of the turns answered (and MCP tool calls), as the front end tells them.",
            self.tool_calls.load(Ordering::Relaxed),
        );
        sample(
            &mut text,
            "asterbot_approval_denials_total",
            "counter",
            "Tool calls refused because a person denied them, as the front end tells them.",
            self.approval_denials.load(Ordering::Relaxed),
        );
        sample(
            &mut text,
            "asterbot_host_denials_total",
            "counter",
            "Outgoing HTTP requests the runtime refused: their host is not granted (--allow-host).",
            self.host_denials.load(Ordering::Relaxed),
        );
        sample(
            &mut text,
            "asterbot_requests_shed_total",
            "counter",
            "Requests answered 503 because every instance slot stayed busy.",
            self.shed.load(Ordering::Relaxed),
        );
        sample(
            &mut text,
            "asterbot_instances_in_use",
            "gauge",
            "Instance slots taken now.",
            in_use,
        );
        sample(
            &mut text,
            "asterbot_instances_limit",
            "gauge",
            "Instance slots (--concurrency).",
            slots,
        );
        sample(
            &mut text,
            "asterbot_open_connections",
            "gauge",
            "Client connections open now.",
            self.connections.load(Ordering::Relaxed),
        );
        text
    }
}

/// An answer the server gives itself, in OpenAI's error shape.
struct Failure {
    status: u16,
    code: &'static str,
    message: String,
    /// Extra headers of the answer.
    headers: Vec<(&'static str, String)>,
}

impl Failure {
    fn internal(message: String) -> Failure {
        Failure {
            status: 500,
            code: "agent_fault",
            message,
            headers: Vec::new(),
        }
    }

    fn timeout(message: String) -> Failure {
        Failure {
            status: 504,
            code: "turn_timeout",
            message,
            headers: Vec::new(),
        }
    }

    fn bad_request(message: String) -> Failure {
        Failure {
            status: 400,
            code: "bad_request",
            message,
            headers: Vec::new(),
        }
    }

    /// Every instance stayed busy for the queue timeout.
    fn busy(waited: Duration) -> Failure {
        Failure {
            status: 503,
            code: "overloaded",
            message: format!(
                "every instance stayed busy for {}: retry shortly",
                humantime::format_duration(waited)
            ),
            headers: vec![("retry-after", "1".to_string())],
        }
    }

    /// The body did not arrive within the body timeout.
    fn body_timeout(limit: Duration) -> Failure {
        Failure {
            status: 408,
            code: "body_timeout",
            message: format!(
                "the request body did not arrive within {}",
                humantime::format_duration(limit)
            ),
            headers: vec![("connection", "close".to_string())],
        }
    }

    fn too_large() -> Failure {
        Failure {
            status: 413,
            code: "body_too_large",
            message: format!("the request body is larger than {MAX_BUFFERED} bytes"),
            headers: vec![("connection", "close".to_string())],
        }
    }

    fn response(&self) -> Response {
        let kind = if self.status < 500 {
            "invalid_request_error"
        } else {
            "server_error"
        };
        let body = serde_json::json!({"error": {
            "message": self.message,
            "type": kind,
            "param": null,
            "code": self.code,
        }})
        .to_string();
        let body = http_body_util::Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut response = hyper::Response::builder()
            .status(self.status)
            .header("content-type", "application/json");
        for (name, value) in &self.headers {
            response = response.header(*name, value);
        }
        response
            .body(body)
            .expect("a status and a header always make a response")
    }
}

/// Binds `address` for [`Server::serve`].
pub async fn bind(address: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on `{address}`"))
}

/// Appends one Prometheus sample with its `HELP` and `TYPE` lines.
fn sample(text: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    use std::fmt::Write as _;
    let _ = writeln!(
        text,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &'static str) -> HyperOutgoingBody {
        http_body_util::Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed_unsync()
    }

    async fn text(inner: HyperOutgoingBody, reason: Option<&'static str>) -> String {
        let guarded = Guarded::new(inner, Box::pin(async move { reason.map(str::to_string) }));
        let bytes = guarded.collect().await.ok().unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_stream_cut_by_a_fault_ends_with_an_error_event_and_done() {
        let role = "data: {\"role\"}\n\n";
        let cut = text(body(role), Some("the turn ran out of time")).await;
        assert!(cut.starts_with(role), "{cut}");
        assert!(cut.contains("\"code\":\"turn_cut_short\""), "{cut}");
        assert!(cut.contains("the turn ran out of time"), "{cut}");
        assert!(cut.ends_with("data: [DONE]\n\n"), "{cut}");
        // Numbered after the one event sent, as an Open Responses stream's
        // `error` event is.
        assert!(cut.contains("\"sequence_number\":1"), "{cut}");
        // The control: a turn that ended well is passed on as it is.
        let whole = "data: {\"role\"}\n\ndata: [DONE]\n\n";
        assert_eq!(text(body(whole), None).await, whole);
    }
}
