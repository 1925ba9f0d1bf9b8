//! The deployment `docs/serving.md` documents, run for real: the HAProxy
//! configuration printed there (its listener and servers pointed at
//! loopback, its check interval shortened), in front of two `asterbot
//! serve` replicas sharing Redis. HAProxy's own health check brings both
//! up; a request retried with one `Idempotency-Key` is answered once and
//! stored once; a replica killed with SIGKILL costs no request. Control:
//! a bare `option httpchk` (which sends `OPTIONS /`) never brings a
//! replica up, as the documentation warns.
//!
//! Needs HAProxy (Debian's `haproxy`, installed by `.ci/run`) and Redis;
//! fails where they are missing unless `ASTERBOT_SKIP_PEERS` names them.

mod common;

use common::redis::Redis;
use common::serving::{KEY, Served, principal, try_post_chat};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The ```haproxy block of docs/serving.md.
fn documented_config() -> String {
    let docs = std::fs::read_to_string(common::repo().join("docs/serving.md")).unwrap();
    let start = docs
        .find("```haproxy\n")
        .expect("docs/serving.md has the config")
        + 11;
    let end = start + docs[start..].find("```").unwrap();
    docs[start..end].to_string()
}

/// The documented config, listening on `port` of loopback, in front of
/// `servers` (`127.0.0.1:PORT`), checking every 200 ms; `check` replaces
/// its health check line when given.
fn config(port: u16, servers: &[&str], check: Option<&str>) -> String {
    let mut text = documented_config();
    let replace = |text: &mut String, from: &str, to: &str| {
        assert!(
            text.contains(from),
            "docs/serving.md no longer has `{from}`"
        );
        *text = text.replace(from, to);
    };
    replace(
        &mut text,
        "bind :443 ssl crt /etc/haproxy/agent.pem",
        &format!("bind 127.0.0.1:{port}"),
    );
    replace(&mut text, "inter 2s", "inter 200ms");
    replace(
        &mut text,
        "    server a 10.0.0.11:8080\n    server b 10.0.0.12:8080\n",
        &servers
            .iter()
            .enumerate()
            .map(|(i, address)| format!("    server r{i} {address}\n"))
            .collect::<String>(),
    );
    if let Some(check) = check {
        replace(&mut text, "    option httpchk GET /readyz", check);
    }
    text
}

/// HAProxy running `config` in the foreground; killed when dropped.
struct Proxy {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts HAProxy in front of `servers`, or `None` where it is missing.
fn proxy(servers: &[&str], check: Option<&str>) -> Option<Proxy> {
    let mut haproxy = common::peer_tool_probed("haproxy", "-v", "apt-get install haproxy")?;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("haproxy.cfg");
    std::fs::write(&file, config(port, servers, check)).unwrap();
    let child = haproxy
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy starts");
    Some(Proxy {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    })
}

/// A chat turn through `url`, with an idempotency key if given: the
/// status and the body.
fn ask(url: &str, session: &str, text: &str, key: Option<&str>) -> Option<(u16, String)> {
    let body =
        serde_json::json!({"model": "asterbot", "messages": [{"role": "user", "content": text}]});
    let mut headers = vec![("x-asterbot-session", session)];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    try_post_chat(url, &headers, &body)
        .ok()
        .map(|answer| (answer.status, answer.body))
}

/// Waits until a turn through the proxy is answered 200, or `wait` passes.
fn up_within(url: &str, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if ask(url, "probe", "hello", None).is_some_and(|(status, _)| status == 200) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Two replicas sharing `redis`, each taking any port of 127.0.0.1 as its
/// public host (the proxy passes the client's `Host` through).
fn replicas(redis: &Redis) -> (Served, Served) {
    let agent = common::serving::serve_agent();
    let store = redis.url();
    let flags = ["--keyvalue", store.as_str(), "--public-host", "127.0.0.1"];
    (
        Served::asterbot(agent, &flags),
        Served::asterbot(agent, &flags),
    )
}

fn address(served: &Served) -> String {
    served.url.trim_start_matches("http://").to_string()
}

#[test]
fn the_documented_haproxy_backend_serves_and_keeps_turns_exactly_once() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let (mut first, second) = replicas(&redis);
    let (a, b) = (address(&first), address(&second));
    let Some(proxy) = proxy(&[&a, &b], None) else {
        return;
    };
    // HAProxy's check (HTTP/1.0, no Host) brings the replicas up.
    assert!(
        up_within(&proxy.url, Duration::from_secs(60)),
        "no replica came up behind HAProxy:\n{}\n{}",
        first.log(),
        second.log()
    );

    // A POST sent twice with one key is answered once and stored once.
    let once = ask(&proxy.url, "kept", "remember the key", Some("key-1")).unwrap();
    let again = ask(&proxy.url, "kept", "remember the key", Some("key-1")).unwrap();
    assert_eq!(once.0, 200, "{}", once.1);
    assert_eq!(once, again, "the retry is the first answer");
    let session = format!("{}:kept", principal(KEY));
    assert_eq!(
        redis.cli(&["GET", &format!("history/count/{session}")]),
        "1"
    );

    // One replica killed: no request is lost (a failed connection is
    // sent to the other, as the documented retries say).
    first.kill();
    for turn in 0..6 {
        let answer = ask(&proxy.url, "after", &format!("turn {turn}"), None);
        assert_eq!(answer.map(|a| a.0), Some(200), "turn {turn}");
    }
}

#[test]
fn a_bare_httpchk_never_brings_a_replica_up() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let (first, second) = replicas(&redis);
    let (a, b) = (address(&first), address(&second));
    // Control of the check above: `OPTIONS /` is answered 405, so the
    // replicas stay down and HAProxy answers 503 itself.
    let Some(proxy) = proxy(&[&a, &b], Some("    option httpchk")) else {
        return;
    };
    assert!(!up_within(&proxy.url, Duration::from_secs(4)));
    let answer = ask(&proxy.url, "probe", "hello", None);
    assert_eq!(answer.map(|a| a.0), Some(503));
}
