//! Who is asking: the gateway's checks before a request reaches the agent.
//! Apart from WASI, and tested natively.
//!
//! - **Host.** The request's `Host` (its authority) must be a loopback
//!   name (`localhost`, `127.0.0.1`, `[::1]`, any port) or on
//!   `ASTERBOT_ALLOWED_HOSTS`, so a page on a rebound DNS name cannot
//!   talk to the agent (`421`).
//! - **Origin.** A request with an `Origin` header must come from the
//!   agent's own origin or one on `ASTERBOT_ALLOWED_ORIGINS` (`403`).
//! - **Body.** A `POST` body must be `application/json` (`415`): no form
//!   or `text/plain` post from another site gets in.
//! - **Keys.** `Authorization: Bearer KEY`, with KEY on
//!   `ASTERBOT_API_KEYS` to ask, or on `ASTERBOT_APPROVER_KEYS` to decide
//!   a waiting call. The two never overlap in use: an approver key cannot
//!   ask, an asking key cannot decide. Without any key configured, the
//!   gateway answers `503` and says how to set one; it is never open.
//!   Keys are compared by their SHA-256, in constant time.
//! - **Principal.** The key that asks is the principal: its sessions are
//!   stored under a name derived from the key's hash, so a session id
//!   reaches only the sessions of the key that names it.

use crate::api::Failure;
use sha2::{Digest, Sha256};

/// The variable listing the keys that may ask (comma separated).
pub const API_KEYS: &str = "ASTERBOT_API_KEYS";
/// The variable listing the keys that may decide waiting calls.
pub const APPROVER_KEYS: &str = "ASTERBOT_APPROVER_KEYS";
/// The variable listing the hosts, beyond loopback, the agent answers as.
pub const ALLOWED_HOSTS: &str = "ASTERBOT_ALLOWED_HOSTS";
/// The variable listing the origins, beyond the agent's own, that may
/// call it from a browser.
pub const ALLOWED_ORIGINS: &str = "ASTERBOT_ALLOWED_ORIGINS";

/// What the operator configured, from the environment.
#[derive(Debug, Default)]
pub struct Policy {
    /// SHA-256 of each key that may ask.
    askers: Vec<[u8; 32]>,
    /// SHA-256 of each key that may decide.
    approvers: Vec<[u8; 32]>,
    /// Extra hosts, lowercase, each `name` (any port) or `name:port`.
    hosts: Vec<String>,
    /// Extra origins, lowercase, as `scheme://host[:port]`.
    origins: Vec<String>,
}

/// The key that asks, as the name its sessions are stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(String);

impl Principal {
    /// The principal's stored name (from its key's SHA-256, never the key).
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The stored id of the principal's session `session`: another key
    /// naming the same id reaches a session of its own.
    pub fn scope(&self, session: &str) -> String {
        asterbot_sdk::session::scoped(&self.0, session)
    }
}

/// The items of a comma-separated list, trimmed, empty ones dropped.
fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Whether `digest` is one of `keys`, looking at every byte of every key.
fn among(digest: &[u8; 32], keys: &[[u8; 32]]) -> bool {
    keys.iter().fold(false, |found, key| {
        let diff = key
            .iter()
            .zip(digest)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b));
        found | (diff == 0)
    })
}

/// `host[:port]` split, lowercase; `[::1]:8080` keeps its brackets.
fn split_authority(authority: &str) -> (String, Option<String>) {
    let authority = authority.trim().to_ascii_lowercase();
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => (
                authority[..=end].to_string(),
                authority[end + 1..].strip_prefix(':').map(str::to_string),
            ),
            None => (authority.clone(), None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port.to_string())),
            None => (authority.clone(), None),
        }
    };
    (host, port)
}

fn unauthorized(message: String) -> Failure {
    Failure::new(401, "authentication_error", "invalid_api_key", message)
}

impl Policy {
    /// The policy in the variables `get` reads.
    pub fn from(get: impl Fn(&str) -> Option<String>) -> Policy {
        Policy {
            askers: list(get(API_KEYS)).iter().map(|k| digest(k)).collect(),
            approvers: list(get(APPROVER_KEYS)).iter().map(|k| digest(k)).collect(),
            hosts: list(get(ALLOWED_HOSTS))
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            origins: list(get(ALLOWED_ORIGINS))
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    /// The policy of this instance's environment.
    pub fn from_env() -> Policy {
        Policy::from(|name| std::env::var(name).ok())
    }

    /// The request's authority (`Host`) is one the agent answers as.
    pub fn check_host(&self, authority: Option<&str>) -> Result<(), Failure> {
        let authority = authority.unwrap_or_default();
        let (host, port) = split_authority(authority);
        let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        let listed = self.hosts.iter().any(|allowed| {
            let (name, allowed_port) = split_authority(allowed);
            name == host && (allowed_port.is_none() || allowed_port == port)
        });
        if loopback || listed {
            return Ok(());
        }
        Err(Failure::new(
            421,
            "invalid_request_error",
            "unknown_host",
            format!(
                "this agent does not answer as `{authority}`: it answers loopback names and the hosts on {ALLOWED_HOSTS} (`asterbot serve` adds the address it listens on)"
            ),
        ))
    }

    /// A request from a browser (with `Origin`) comes from the agent's
    /// own origin (`http` or `https` on `authority`) or an allowed one:
    /// the allowed one, to answer with CORS headers, if it is another.
    pub fn check_origin(
        &self,
        origin: Option<&str>,
        authority: Option<&str>,
    ) -> Result<Option<String>, Failure> {
        let Some(origin) = origin else {
            return Ok(None);
        };
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        let own = authority.is_some_and(|authority| {
            let authority = authority.trim().to_ascii_lowercase();
            origin == format!("http://{authority}") || origin == format!("https://{authority}")
        });
        if own {
            return Ok(None);
        }
        if self.origins.contains(&origin) {
            return Ok(Some(origin));
        }
        Err(Failure::new(
            403,
            "permission_error",
            "foreign_origin",
            format!(
                "requests from the origin `{origin}` are refused: only the agent's own page and the origins on {ALLOWED_ORIGINS} may call it from a browser"
            ),
        ))
    }

    /// The key of `authorization` may ask: its principal.
    pub fn asker(&self, authorization: Option<&str>) -> Result<Principal, Failure> {
        if self.askers.is_empty() {
            return Err(not_configured(API_KEYS, "--api-key"));
        }
        let digest = bearer(authorization)?;
        if among(&digest, &self.approvers) {
            return Err(Failure::new(
                403,
                "permission_error",
                "approver_key",
                "this is an approver key: it decides waiting calls (`POST /v1/approvals/{id}`) and cannot ask; use an API key",
            ));
        }
        if !among(&digest, &self.askers) {
            return Err(unauthorized(format!(
                "the API key is not one of {API_KEYS}"
            )));
        }
        let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Principal(format!("k{name}")))
    }

    /// The key of `authorization` may decide waiting calls.
    pub fn approver(&self, authorization: Option<&str>) -> Result<(), Failure> {
        if self.approvers.is_empty() {
            return Err(not_configured(APPROVER_KEYS, "--approver-key"));
        }
        let digest = bearer(authorization)?;
        if among(&digest, &self.approvers) {
            return Ok(());
        }
        if among(&digest, &self.askers) {
            return Err(Failure::new(
                403,
                "permission_error",
                "not_an_approver",
                format!(
                    "a key that asks cannot approve: deciding a waiting call takes an approver key (one of {APPROVER_KEYS})"
                ),
            ));
        }
        Err(unauthorized(format!(
            "the key is not one of {APPROVER_KEYS}"
        )))
    }
}

/// The SHA-256 of the bearer token in `authorization`.
fn bearer(authorization: Option<&str>) -> Result<[u8; 32], Failure> {
    let Some(value) = authorization else {
        return Err(unauthorized(
            "no API key: send `Authorization: Bearer KEY` (`asterbot serve` prints its key when it starts)".to_string(),
        ));
    };
    let value = value.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(unauthorized(
                "the `Authorization` header must be `Bearer KEY`".to_string(),
            ));
        }
    };
    Ok(digest(token))
}

fn not_configured(variable: &str, flag: &str) -> Failure {
    Failure::new(
        503,
        "server_error",
        "no_keys_configured",
        format!(
            "this agent has no keys configured, so it answers no one: set {variable} (comma-separated keys) in its environment, e.g. `wasmtime serve --env {variable}=KEY`, or run it with `asterbot serve` (`{flag} KEY`, or a key it makes and prints); the recipe must let the gateway see it (`/// @allow-env {variable}` on its instance, as `recipes/serve.wac` has)"
        ),
    )
}

/// Whether `content_type` is JSON (`application/json`, any parameters).
pub fn check_json(content_type: Option<&str>) -> Result<(), Failure> {
    let media = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" {
        return Ok(());
    }
    let shown = if media.is_empty() { "none" } else { &media };
    Err(Failure::new(
        415,
        "invalid_request_error",
        "unsupported_media_type",
        format!("the body must be `content-type: application/json` (it is {shown})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(vars: &[(&str, &str)]) -> Policy {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Policy::from(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn keys_ask_approver_keys_decide_and_neither_does_the_other() {
        let p = policy(&[(API_KEYS, "a1, a2"), (APPROVER_KEYS, "z1")]);
        let one = p.asker(Some("Bearer a1")).unwrap();
        let two = p.asker(Some("bearer  a2 ")).unwrap();
        assert_ne!(one, two);
        assert_eq!(one, p.asker(Some("Bearer a1")).unwrap());
        assert_ne!(one.scope("s"), two.scope("s"));
        assert_eq!(p.asker(None).unwrap_err().status, 401);
        assert_eq!(p.asker(Some("Bearer a3")).unwrap_err().status, 401);
        assert_eq!(p.asker(Some("Basic a1")).unwrap_err().status, 401);
        assert_eq!(p.asker(Some("Bearer z1")).unwrap_err().status, 403);
        assert!(p.approver(Some("Bearer z1")).is_ok());
        assert_eq!(p.approver(Some("Bearer a1")).unwrap_err().status, 403);
        assert_eq!(p.approver(Some("Bearer zz")).unwrap_err().status, 401);
        assert_eq!(p.approver(None).unwrap_err().status, 401);
    }

    #[test]
    fn without_keys_nobody_gets_in_and_the_answer_says_how_to_set_one() {
        let p = policy(&[]);
        let failure = p.asker(Some("Bearer anything")).unwrap_err();
        assert_eq!(failure.status, 503);
        assert!(failure.message.contains(API_KEYS), "{}", failure.message);
        assert_eq!(p.approver(Some("Bearer x")).unwrap_err().status, 503);
    }

    #[test]
    fn hosts_are_loopback_or_allowed() {
        let p = policy(&[(ALLOWED_HOSTS, "agent.example.com, 10.0.0.5:8080")]);
        for host in [
            "localhost",
            "127.0.0.1:8080",
            "[::1]:9",
            "LOCALHOST:1",
            "agent.example.com",
            "agent.example.com:443",
            "10.0.0.5:8080",
        ] {
            assert!(p.check_host(Some(host)).is_ok(), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.5:8081",
            "127.0.0.1.evil.example",
            "",
        ] {
            assert_eq!(p.check_host(Some(host)).unwrap_err().status, 421, "{host}");
        }
        assert!(p.check_host(None).is_err());
    }

    #[test]
    fn origins_are_the_agents_own_or_allowed() {
        let p = policy(&[(ALLOWED_ORIGINS, "https://app.example.com/")]);
        let host = Some("127.0.0.1:8080");
        assert_eq!(p.check_origin(None, host).unwrap(), None);
        let own = p.check_origin(Some("http://127.0.0.1:8080"), host);
        assert_eq!(own.unwrap(), None);
        let allowed = p.check_origin(Some("https://app.example.com"), host);
        assert_eq!(allowed.unwrap().as_deref(), Some("https://app.example.com"));
        for origin in ["http://evil.example", "http://127.0.0.1:8081", "null"] {
            assert_eq!(
                p.check_origin(Some(origin), host).unwrap_err().status,
                403,
                "{origin}"
            );
        }
    }

    #[test]
    fn only_json_bodies_are_read() {
        assert!(check_json(Some("application/json")).is_ok());
        assert!(check_json(Some("Application/JSON; charset=utf-8")).is_ok());
        for other in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
        ] {
            assert_eq!(check_json(other).unwrap_err().status, 415, "{other:?}");
        }
    }
}
