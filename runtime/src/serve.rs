//! Serving a composed agent's `wasi:http/incoming-handler` over HTTP, as
//! `wasmtime serve` does, with the runner's grants, limits, compile cache
//! and fault handling: every request gets a fresh instance of the
//! pre-linked component (its own memory, its own limits), and requests run
//! concurrently. A request whose instance traps or runs out of time is
//! answered `500`/`504` with a JSON error in OpenAI's shape; the server
//! goes on serving.
//!
//! The server reports through `tracing`: each answered request at `debug`,
//! each fault at `error`.

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
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiHttpView as _;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// How long a shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// A compiled agent that answers HTTP requests.
pub struct Server {
    pre: ProxyPre<Host>,
    /// Requests that may run at once; the rest wait their turn.
    slots: tokio::sync::Semaphore,
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
        let pool = pooled(limits.max_memory, concurrency, PoolRoom::SERVED);
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
        Ok(Server {
            pre,
            slots: tokio::sync::Semaphore::new(concurrency as usize),
            name: name.to_string(),
            owners: fault::Owners::read(bytes),
            grants,
            limits,
            in_flight: AtomicUsize::new(0),
            compiled,
        })
    }

    /// Serves connections from `listener` until `shutdown` resolves, then
    /// waits (at most 30 s) for the requests in flight.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait, go on.
                        tracing::warn!("cannot accept a connection: {error}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let server = Arc::clone(&self);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let server = Arc::clone(&server);
                    async move { Ok::<_, std::convert::Infallible>(server.answer(request, peer).await) }
                });
                if let Err(error) = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!("connection from {peer} ended: {error}");
                }
            });
        }
        let started = std::time::Instant::now();
        while self.in_flight.load(Ordering::SeqCst) > 0 && started.elapsed() < DRAIN {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Requests being answered now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The agent's answer to `request`, or the server's error answer.
    async fn answer(
        self: Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> Response {
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let response = match self.run(request).await {
            Ok(response) => response,
            Err(failure) => {
                tracing::error!("{method} {path} from {peer}: {}", failure.message);
                failure.response()
            }
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        tracing::debug!("{method} {path} from {peer}: {}", response.status());
        response
    }

    /// Runs the agent's handler on a fresh instance, within the limits.
    async fn run(
        self: &Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<Response, Failure> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| Failure::internal(e.to_string()))?;
        let input = TurnInput::empty();
        let host = Host::new(
            &self.name,
            &[],
            &self.grants,
            &input,
            self.limits.max_memory,
        )
        .map_err(|e| Failure::internal(format!("{e:#}")))?;
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
            outcome.map_err(|error| {
                let memory = store.data().limiter.hit.then_some(server.limits.max_memory);
                let timed_out = matches!(error.downcast_ref(), Some(LimitHit::WallTime(_)));
                (fault::describe(&error, memory, &server.owners), timed_out)
            })
        });
        match receiver.await {
            Ok(Ok(response)) => {
                // A fault after the headers went out cuts the body short;
                // the client sees a truncated answer, the log says why.
                let name = self.name.clone();
                tokio::spawn(async move {
                    if let Ok(Err((fault, _))) = task.await {
                        tracing::error!("`{name}` failed after answering: {fault}");
                    }
                });
                Ok(response)
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

/// An answer the server gives itself, in OpenAI's error shape.
struct Failure {
    status: u16,
    code: &'static str,
    message: String,
}

impl Failure {
    fn internal(message: String) -> Failure {
        Failure {
            status: 500,
            code: "agent_fault",
            message,
        }
    }

    fn timeout(message: String) -> Failure {
        Failure {
            status: 504,
            code: "turn_timeout",
            message,
        }
    }

    fn bad_request(message: String) -> Failure {
        Failure {
            status: 400,
            code: "bad_request",
            message,
        }
    }

    fn response(&self) -> Response {
        let kind = if self.status == 400 {
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
        hyper::Response::builder()
            .status(self.status)
            .header("content-type", "application/json")
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
