//! `guard-http`: outgoing HTTP of one instance. A request goes out only if
//! its host is allowed by the baked policy: `api.openai.com`,
//! `*.example.com` (subdomains), `127.0.0.1:8080` (that port only), or `*`.
//! Any other request fails with `HTTP-request-denied` before it leaves.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "http", generate_all });

use asterbot::guard::policy;
use exports::wasi::http::outgoing_handler::Guest;
use wasi::http::outgoing_handler as host;
use wasi::http::types::{ErrorCode, FutureIncomingResponse, OutgoingRequest, RequestOptions};

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

struct Guard;

impl Guest for Guard {
    fn handle(
        request: OutgoingRequest,
        options: Option<RequestOptions>,
    ) -> Result<FutureIncomingResponse, ErrorCode> {
        let authority = request.authority().unwrap_or_default();
        let allowed = policy::allowed();
        if !allowed.iter().any(|pattern| allows(pattern, &authority)) {
            return Err(ErrorCode::HttpRequestDenied);
        }
        host::handle(request, options)
    }
}

/// Whether `pattern` allows a request to `authority` (`host[:port]`).
fn allows(pattern: &str, authority: &str) -> bool {
    let authority = authority.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority.as_str(),
    };
    if pattern == "*" || pattern == authority || pattern == host {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(domain) => {
            host.len() > domain.len()
                && host.ends_with(domain)
                && host[..host.len() - domain.len()].ends_with('.')
        }
        None => false,
    }
}

export!(Guard);

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn hosts_wildcards_and_ports() {
        assert!(allows("api.openai.com", "api.openai.com"));
        assert!(allows("api.openai.com", "api.openai.com:443"));
        assert!(!allows("api.openai.com", "evil.com"));
        assert!(allows("*.example.com", "a.example.com"));
        assert!(!allows("*.example.com", "example.com"));
        assert!(!allows("*.example.com", "badexample.com"));
        assert!(allows("127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!allows("127.0.0.1:8080", "127.0.0.1:9090"));
        assert!(allows("*", "anything:1"));
    }
}
