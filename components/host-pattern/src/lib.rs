//! Which hosts an HTTP request may go to. One rule, used by the runner
//! (`asterbot run --allow-host`), by the HTTP guard inside an artifact
//! (`/// @allow-host` in a recipe), and by the composer that checks those
//! annotations, so the three can never disagree. `no_std`, so the guard
//! component can carry it.
//!
//! A pattern is one of:
//!
//! - `*`: any host, any port;
//! - `api.openai.com`, `127.0.0.1`, `[::1]`: that host, any port;
//! - `*.example.com`: any subdomain of `example.com` (not the domain
//!   itself), any port;
//! - any of the above with `:PORT`: that port only. A request that names
//!   no port uses its scheme's (`https`: 443, `http`: 80).
//!
//! Names compare without regard to case and must match exactly otherwise:
//! a trailing dot, user information (`user@host`) or a malformed port in a
//! request is refused, never guessed at.

#![no_std]

extern crate alloc;

use alloc::string::{String, ToString};
use core::fmt;

pub mod cases;

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    host: Host,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    /// `*`.
    Any,
    /// A name or an address, lower case.
    Exact(String),
    /// `*.domain`: the domain, lower case.
    Subdomains(String),
}

/// Why a pattern is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(&'static str);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What a valid pattern looks like, for error messages.
pub const EXAMPLES: &str =
    "a host such as `api.openai.com`, `*.example.com` or `127.0.0.1:8080` (no scheme, no path)";

impl HostPattern {
    /// Parses `text`; see the crate documentation for the forms.
    pub fn parse(text: &str) -> Result<HostPattern, PatternError> {
        let text = text.trim();
        if text == "*" {
            return Ok(HostPattern {
                host: Host::Any,
                port: None,
            });
        }
        if text.contains("://") || text.contains('/') {
            return Err(PatternError("a host has no scheme and no path"));
        }
        if text.contains('@') {
            return Err(PatternError("a host has no user information"));
        }
        let (name, port) = split_port(text).ok_or(PatternError("not a valid port"))?;
        let (wildcard, name) = match name.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, name),
        };
        if !is_host(name) {
            return Err(PatternError("not a host name or address"));
        }
        let name = name.to_ascii_lowercase();
        let host = if wildcard {
            Host::Subdomains(name)
        } else {
            Host::Exact(name)
        };
        Ok(HostPattern { host, port })
    }

    /// Whether a request to `host` on `port` is allowed.
    pub fn allows(&self, host: &str, port: Option<u16>) -> bool {
        if let Some(wanted) = self.port
            && port != Some(wanted)
        {
            return false;
        }
        match &self.host {
            Host::Any => true,
            Host::Exact(name) => host.eq_ignore_ascii_case(name),
            Host::Subdomains(domain) => {
                host.len() > domain.len() + 1
                    && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
                    && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
            }
        }
    }

    /// Whether a request with `scheme` (`None`: the runtime's default,
    /// https) to `authority` (`host[:port]`, as the request carries it) is
    /// allowed. A malformed authority is never allowed.
    pub fn allows_request(&self, scheme: Option<&str>, authority: &str) -> bool {
        match Target::parse(scheme, authority) {
            Some(target) => self.allows(target.host, target.port),
            None => false,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Any => f.write_str("*")?,
            Host::Exact(name) => f.write_str(name)?,
            Host::Subdomains(domain) => write!(f, "*.{domain}")?,
        }
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// Where a request goes: its host and its effective port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    /// The host as written (a name, an IPv4 address or `[v6]`).
    pub host: &'a str,
    /// The port named, else the scheme's; `None` for an unknown scheme
    /// without a port.
    pub port: Option<u16>,
}

impl<'a> Target<'a> {
    /// Parses a request's scheme and authority; `None` if the authority is
    /// not a plain `host[:port]`.
    pub fn parse(scheme: Option<&str>, authority: &'a str) -> Option<Target<'a>> {
        if authority.contains('@') {
            return None;
        }
        let (host, port) = split_port(authority)?;
        if !is_host(host) {
            return None;
        }
        let port = port.or_else(|| default_port(scheme.unwrap_or("https")));
        Some(Target { host, port })
    }
}

/// The port a scheme uses when a URL names none.
pub fn default_port(scheme: &str) -> Option<u16> {
    if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else {
        None
    }
}

/// `host[:port]` → (host, port); `None` if the port is not a number.
fn split_port(text: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        // [v6] or [v6]:port
        let end = rest.find(']')?;
        let after = &rest[end + 1..];
        let host = &text[..end + 2];
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        None => None,
        Some(digits) => {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    Some((host, port))
}

/// Whether `text` is a DNS name (labels of letters, digits and `-`), an
/// IPv4 address, or a bracketed IPv6 address. No trailing dot.
fn is_host(text: &str) -> bool {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl From<PatternError> for String {
    fn from(error: PatternError) -> String {
        error.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_of_the_shared_table_holds() {
        for case in cases::CASES {
            let pattern = HostPattern::parse(case.pattern).unwrap();
            assert_eq!(
                pattern.allows_request(case.scheme, case.authority),
                case.allowed,
                "{case:?}"
            );
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in cases::BAD_PATTERNS {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_print_as_written() {
        for text in ["*", "api.openai.com", "*.example.com:8080", "[::1]:80"] {
            assert_eq!(HostPattern::parse(text).unwrap().to_string(), text);
        }
    }
}
