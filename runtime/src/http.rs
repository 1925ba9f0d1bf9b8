//! Outgoing HTTP: `wasi:http` requests leave the sandbox only for hosts
//! granted with `--allow-host` (or all of them with `--allow-http`).

use crate::grants::Grants;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The `wasi:http` hooks of one run: requests to hosts outside the grants
/// are refused with `HTTP-request-denied` before any connection is made.
pub struct HostPolicy {
    grants: Grants,
    /// Counts the requests refused, where a server keeps the count.
    pub denied: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl HostPolicy {
    /// A policy allowing exactly the hosts in `grants`.
    pub fn new(grants: &Grants) -> HostPolicy {
        HostPolicy {
            grants: grants.clone(),
            denied: None,
        }
    }
}

type Sent = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for HostPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sent {
        let uri = request.uri();
        let host = uri.host().unwrap_or_default();
        let authority = uri.authority().map_or("", |a| a.as_str());
        if !self.grants.allows_host(uri.scheme_str(), authority) {
            tracing::warn!(
                "denied an HTTP request to `{host}`; grant it with `--allow-host {host}` (or `--allow-http` for any host)"
            );
            if let Some(denied) = &self.denied {
                denied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let default = wasmtime_wasi_http::default_hooks();
        default.send_request(request, options, fut)
    }
}
