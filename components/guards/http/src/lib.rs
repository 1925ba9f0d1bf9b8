//! `guard-http`: outgoing HTTP of one instance. A request goes out only if
//! a pattern of the baked policy allows its host and port (the rule of the
//! `host-pattern` crate, which the runner's `--allow-host` follows too):
//! `api.openai.com`, `*.example.com` (subdomains), `127.0.0.1:8080` (that
//! port only), or `*`. Any other request fails with `HTTP-request-denied`
//! before it leaves.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "http", generate_all });

use alloc::string::String;
use asterbot::guard::policy;
use exports::wasi::http::outgoing_handler::Guest;
use host_pattern::HostPattern;
use wasi::http::outgoing_handler as host;
use wasi::http::types::{
    ErrorCode, FutureIncomingResponse, OutgoingRequest, RequestOptions, Scheme,
};

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

struct Guard;

impl Guest for Guard {
    fn handle(
        request: OutgoingRequest,
        options: Option<RequestOptions>,
    ) -> Result<FutureIncomingResponse, ErrorCode> {
        let authority = request.authority().unwrap_or_default();
        let scheme = request.scheme();
        let scheme = scheme.as_ref().map(|scheme| match scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Other(other) => other.as_str(),
        });
        if !allowed(&policy::allowed(), scheme, &authority) {
            return Err(ErrorCode::HttpRequestDenied);
        }
        host::handle(request, options)
    }
}

/// Whether any pattern of the policy allows a request with `scheme` to
/// `authority`; a pattern that does not parse allows nothing.
fn allowed(policy: &[String], scheme: Option<&str>, authority: &str) -> bool {
    policy.iter().any(|pattern| {
        HostPattern::parse(pattern).is_ok_and(|pattern| pattern.allows_request(scheme, authority))
    })
}

export!(Guard);

#[cfg(test)]
mod tests {
    use super::allowed;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn the_guard_follows_the_shared_table() {
        for case in host_pattern::cases::CASES {
            let policy = vec![case.pattern.to_string()];
            assert_eq!(
                allowed(&policy, case.scheme, case.authority),
                case.allowed,
                "{case:?}"
            );
        }
    }
}
