//! `asterbot serve` as a production service: bounded resources, no
//! failure below the configured concurrency, probes a load balancer can
//! use, request ids, metrics, and a drain that refuses new connections.
//! Every probe here runs on loopback, in bounded loops, and asserts only
//! "answered before a generous deadline", never a speed.

mod common;

use common::redis::Redis;
use common::serving::{Served, chat, client, send};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends the head of a chat request announcing a 64-byte body, and one
/// byte of it: a client that then trickles (or stalls).
fn slow_client(url: &str) -> TcpStream {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{{",
        common::serving::KEY
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

/// The status line of what `stream` is answered within `wait`, or None if
/// it is not answered by then.
fn status_within(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buffer = [0u8; 512];
    match stream.read(&mut buffer) {
        Ok(0) => Some("closed".to_string()),
        Ok(n) => Some(
            String::from_utf8_lossy(&buffer[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        ),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        Err(e) => Some(format!("error: {e}")),
    }
}

/// A raw HTTP exchange: `request` as written, the whole answer read.
fn raw(url: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn get(url: &str, path: &str) -> common::serving::Answer {
    send(&client(), "GET", &format!("{url}{path}"), &[], None).unwrap()
}

/// The value of metric line `name` (with its labels) in `/metrics`.
fn metric(url: &str, name: &str) -> Option<f64> {
    let text = get(url, "/metrics").body;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
}

fn serve(flags: &[&str]) -> Served {
    Served::asterbot(common::serving::serve_agent(), flags)
}

#[test]
fn slow_bodies_hold_no_instance_and_are_cut_off_by_the_body_timeout() {
    // Two instances only, and 64 clients trickling a body.
    let served = serve(&[
        "--keyvalue",
        "memory",
        "--concurrency",
        "2",
        "--body-timeout",
        "3s",
    ]);
    let mut slow: Vec<TcpStream> = (0..64).map(|_| slow_client(&served.url)).collect();
    // They hold connections, not instances: a chat and the probes are
    // answered while they trickle.
    for stream in slow.iter_mut().take(8) {
        let _ = stream.write_all(b" ");
    }
    let answered = chat(&client(), &served.url, "other", "what is 6 * 7?");
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert_eq!(get(&served.url, "/healthz").status, 200);
    // No instance is held for them (the chat's is given back once its
    // instance is gone, a moment after its answer).
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(&served.url, "asterbot_instances_in_use") != Some(0.0) {
        assert!(Instant::now() < deadline, "the slow clients hold instances");
        std::thread::sleep(Duration::from_millis(50));
    }
    // And past the body timeout each is answered 408.
    for stream in &mut slow {
        let status = status_within(stream, Duration::from_secs(60));
        assert!(
            status.as_deref().is_some_and(|s| s.contains(" 408 ")),
            "a stalled body is cut off: {status:?}"
        );
    }
}

#[test]
fn the_control_with_a_long_body_timeout_a_stalled_body_keeps_its_connection() {
    let served = serve(&[
        "--keyvalue",
        "memory",
        "--concurrency",
        "2",
        "--body-timeout",
        "10m",
    ]);
    let mut stalled = slow_client(&served.url);
    let answered = chat(&client(), &served.url, "other", "what is 6 * 7?");
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert_eq!(
        status_within(&mut stalled, Duration::from_secs(6)),
        None,
        "with a 10 minute body timeout the stalled client is still waited for"
    );
}

/// Opens `idle` connections that send nothing, then asks for `/healthz`
/// on one more: whether the idle ones were already closed by the server
/// when that answer came.
fn idle_then_probe(max_connections: &str) -> Vec<bool> {
    let served = serve(&[
        "--keyvalue",
        "memory",
        "--max-connections",
        max_connections,
        "--header-timeout",
        "5s",
    ]);
    let address = served.url.trim_start_matches("http://").to_string();
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let answer = raw(&served.url, "GET /healthz HTTP/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    idle.iter_mut()
        .map(|stream| {
            status_within(stream, Duration::from_millis(100)).as_deref() == Some("closed")
        })
        .collect()
}

#[test]
fn connections_beyond_the_cap_wait_for_one_to_close() {
    // Four connections allowed, four taken by idle clients: the probe is
    // answered only once the header timeout has closed them.
    assert_eq!(idle_then_probe("4"), vec![true; 4]);
    // The control: under a cap of 64 it is answered while they are open.
    assert_eq!(idle_then_probe("64"), vec![false; 4]);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let served = serve(&["--keyvalue", "memory", "--header-timeout", "1s"]);
    let mut stream = TcpStream::connect(served.url.trim_start_matches("http://")).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let first = status_within(&mut stream, Duration::from_secs(60));
    assert!(
        first.as_deref().is_some_and(|s| s.contains(" 200 ")),
        "{first:?}"
    );
    // Nothing more is sent: the server closes the idle connection.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut closed = false;
    while Instant::now() < deadline {
        if status_within(&mut stream, Duration::from_secs(5)).as_deref() == Some("closed") {
            closed = true;
            break;
        }
    }
    assert!(closed, "an idle connection is closed");
}

/// Clients at the configured concurrency, each sending plain and streamed
/// chats: every one is answered 200, none runs out of instances.
fn at_the_limit(store: &str) {
    let served = serve(&["--keyvalue", store, "--concurrency", "4"]);
    let threads: Vec<_> = (0..8)
        .map(|c| {
            let url = served.url.clone();
            std::thread::spawn(move || {
                let client = client();
                let mut failed = Vec::new();
                for t in 0..10 {
                    let stream = t % 2 == 0;
                    let body = serde_json::json!({"stream": stream,
                        "messages": [{"role": "user", "content": format!("client {c} turn {t}")}]});
                    let answer = send(
                        &client,
                        "POST",
                        &format!("{url}/v1/chat/completions"),
                        &[],
                        Some(body.to_string().as_bytes()),
                    )
                    .unwrap();
                    if answer.status != 200 || answer.body.contains("concurrent limit") {
                        failed.push(format!("{}: {}", answer.status, answer.body));
                    }
                }
                failed
            })
        })
        .collect();
    let failed: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(
        failed.is_empty(),
        "{store}: {} failed: {failed:?}",
        failed.len()
    );
}

#[test]
fn requests_at_twice_the_concurrency_all_succeed_on_the_memory_store() {
    at_the_limit("memory");
}

#[test]
fn requests_at_twice_the_concurrency_all_succeed_on_the_file_store() {
    let dir = tempfile::tempdir().unwrap();
    at_the_limit(&dir.path().join("state.redb").display().to_string());
}

#[test]
fn requests_at_twice_the_concurrency_all_succeed_on_redis() {
    if let Some(redis) = Redis::start() {
        at_the_limit(&redis.url());
    }
}

/// A streamed chat on a server whose store is Redis, with Redis paused
/// (`SIGSTOP`) if `paused`: the whole body of the answer. The turn limit
/// (300 ms) is shorter than the Redis client's own wait for an answer
/// (500 ms), so a paused store runs the turn into `--timeout`.
fn stream_with_redis(paused: bool) -> Option<String> {
    let redis = Redis::start()?;
    let served = serve(&["--keyvalue", &redis.url(), "--timeout", "300ms"]);
    let signal = |name: &str| {
        let sent = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(redis.pid().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
    };
    let body = r#"{"stream":true,"messages":[{"role":"user","content":"what is 6 * 7?"}]}"#;
    // The stream's headers go out within milliseconds; on a machine so
    // busy that they did not within the limit, the answer is a 504: ask
    // again, a few times.
    for _ in 0..5 {
        if paused {
            signal("STOP");
        }
        let answer = send(
            &client(),
            "POST",
            &format!("{}/v1/chat/completions", served.url),
            &[("x-asterbot-session", "paused")],
            Some(body.as_bytes()),
        )
        .unwrap();
        if paused {
            signal("CONT");
        }
        if answer.status == 200 {
            return Some(answer.body);
        }
        assert_eq!(answer.status, 504, "{}", answer.body);
    }
    panic!("no stream's headers went out within the turn limit");
}

#[test]
fn a_stream_cut_by_the_turn_timeout_ends_with_an_error_event_and_done() {
    // The store hangs, so the turn runs into --timeout after the role
    // chunk went out.
    let Some(cut) = stream_with_redis(true) else {
        return;
    };
    assert!(cut.starts_with("data: {"), "{cut}");
    assert!(cut.contains("\"code\":\"turn_cut_short\""), "{cut}");
    assert!(cut.ends_with("data: [DONE]\n\n"), "{cut}");
    // The control: with the store answering, the turn ends on its own.
    let whole = stream_with_redis(false).unwrap();
    assert!(!whole.contains("turn_cut_short"), "{whole}");
    assert!(whole.contains("\"finish_reason\":\"stop\""), "{whole}");
    assert!(whole.ends_with("data: [DONE]\n\n"), "{whole}");
}

/// Eight clients at once against one instance: with a queue timeout of
/// 1 ms some are shed (`503`, `overloaded`); the control waits up to a
/// minute and sheds none.
fn shed(queue_timeout: &str) -> (usize, usize, Option<f64>) {
    let served = serve(&[
        "--keyvalue",
        "memory",
        "--concurrency",
        "1",
        "--queue-timeout",
        queue_timeout,
    ]);
    let threads: Vec<_> = (0..8)
        .map(|c| {
            let url = served.url.clone();
            std::thread::spawn(move || {
                (0..5)
                    .map(|t| chat(&client(), &url, &format!("c{c}"), &format!("turn {t}")))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let answers: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let shed = answers
        .iter()
        .filter(|a| a.status == 503 && a.json()["error"]["code"] == "overloaded")
        .count();
    assert_eq!(ok + shed, answers.len(), "only answers or sheds");
    (
        ok,
        shed,
        metric(&served.url, "asterbot_requests_shed_total"),
    )
}

#[test]
fn requests_beyond_the_queue_timeout_are_shed_with_503() {
    let (ok, refused, counted) = shed("1ms");
    assert!(refused > 0 && ok > 0, "ok {ok}, shed {refused}");
    assert_eq!(counted, Some(refused as f64));
    let (ok, refused, _) = shed("60s");
    assert_eq!((ok, refused), (40, 0), "the control queues every request");
}

#[test]
fn probes_request_ids_metrics_and_models() {
    let served = serve(&["--keyvalue", "memory"]);
    let url = &served.url;
    // HAProxy's default check: HTTP/1.0, no Host.
    let answer = raw(url, "GET /healthz HTTP/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    let answer = raw(url, "GET /readyz HTTP/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    // The control: the same probe on HTTP/1.1 without Host is refused.
    let answer = raw(url, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    // The client's request id is echoed and logged; else one is made.
    let answer = raw(
        url,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: trace-abc-123\r\nConnection: close\r\n\r\n",
    );
    assert!(
        answer
            .to_lowercase()
            .contains("x-request-id: trace-abc-123"),
        "{answer}"
    );
    let answer = raw(
        url,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    let made = answer
        .lines()
        .find_map(|l| {
            l.to_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_string)
        })
        .expect("an id is made");
    assert_eq!(made.len(), 32, "{made}");
    let logged = served.log_lines(4, |line| line.contains("asterbot: access"));
    assert!(
        logged
            .iter()
            .any(|l| l.contains("trace-abc-123") && l.contains("\"GET /healthz\" 200")),
        "{logged:?}"
    );

    // Metrics count what was answered.
    assert_eq!(chat(&client(), url, "m", "what is 6 * 7?").status, 200);
    let text = get(url, "/metrics");
    assert_eq!(text.status, 200);
    assert!(
        text.content_type.starts_with("text/plain"),
        "{}",
        text.content_type
    );
    assert_eq!(
        metric(
            url,
            "asterbot_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"}"
        ),
        Some(1.0),
        "{}",
        text.body
    );
    assert!(
        text.body
            .contains("asterbot_http_request_duration_seconds_bucket{le=\"+Inf\"}")
    );
    assert_eq!(metric(url, "asterbot_instances_limit"), Some(64.0));

    // The models, with a key only.
    let models = get(url, "/v1/models");
    assert_eq!(models.status, 200, "{}", models.body);
    assert_eq!(models.json()["data"][0]["id"], "asterbot");
    let keyless = send_exactly_get(url, "/v1/models");
    assert_eq!(keyless, 401);

    // n > 1 is refused; a session header that is not UTF-8 is a 400.
    let body = r#"{"n":2,"messages":[{"role":"user","content":"hi"}]}"#;
    let refused = send(
        &client(),
        "POST",
        &format!("{url}/v1/chat/completions"),
        &[],
        Some(body.as_bytes()),
    )
    .unwrap();
    assert_eq!(refused.status, 400, "{}", refused.body);
    let one = r#"{"n":1,"messages":[{"role":"user","content":"hi"}]}"#;
    let control = send(
        &client(),
        "POST",
        &format!("{url}/v1/chat/completions"),
        &[],
        Some(one.as_bytes()),
    )
    .unwrap();
    assert_eq!(control.status, 200, "n = 1 is answered: {}", control.body);
    let body = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nX-Asterbot-Session: caf\u{e9}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        common::serving::KEY,
        body.len()
    );
    // The control: the same request with the header in UTF-8 is answered,
    // in the session it names.
    let answer = raw(url, &request);
    assert!(
        answer.starts_with("HTTP/1.1 400"),
        "é is not a session id: {answer}"
    );
    let plain = raw(url, &request.replace("caf\u{e9}", "cafe"));
    assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
    assert!(plain.contains("x-asterbot-session: cafe"), "{plain}");
    let mut bytes = request.into_bytes();
    // `é` as Latin-1: one byte that is not UTF-8.
    let at = bytes.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    bytes.splice(at..at + 2, [0xe9]);
    let mut stream = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream.write_all(&bytes).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("invalid_header"),
        "not UTF-8 is refused as such: {answer}"
    );
}

fn send_exactly_get(url: &str, path: &str) -> u16 {
    common::serving::send_exactly(&client(), "GET", &format!("{url}{path}"), &[], None)
        .unwrap()
        .status
}

#[test]
fn readiness_follows_the_store_and_liveness_does_not() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let served = serve(&["--keyvalue", &redis.url(), "--timeout", "20s"]);
    assert_eq!(get(&served.url, "/readyz").status, 200);
    redis.stop();
    let ready = get(&served.url, "/readyz");
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert_eq!(
        get(&served.url, "/healthz").status,
        200,
        "alive all the same"
    );
}

#[cfg(unix)]
#[test]
fn on_sigterm_new_connections_are_refused_while_the_drain_goes_on() {
    let mut served = serve(&["--keyvalue", "memory", "--body-timeout", "20s"]);
    let address = served.url.trim_start_matches("http://").to_string();
    // A request in flight (its body still coming) keeps the drain going.
    let mut in_flight = slow_client(&served.url);
    // The control: before the signal, a connection is taken.
    assert!(TcpStream::connect(&address).is_ok());
    served.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        match TcpStream::connect(&address) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break true,
            _ if Instant::now() > deadline => break false,
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(refused, "new connections are refused during the drain");
    assert!(
        served.alive(),
        "the server still drains its request in flight"
    );
    // The request in flight is still answered.
    in_flight.write_all(&[b' '; 62]).unwrap();
    in_flight.write_all(b"}").unwrap();
    let status = status_within(&mut in_flight, Duration::from_secs(60));
    assert!(
        status
            .as_deref()
            .is_some_and(|s| s.starts_with("HTTP/1.1 400")),
        "{status:?}"
    );
}

/// A chat turn of session `kept` saying `text`, with `key` as its
/// `Idempotency-Key`.
fn ask_with_key(url: &str, text: &str, key: &str) -> common::serving::Answer {
    let body = serde_json::json!({"messages": [{"role": "user", "content": text}]});
    send(
        &client(),
        "POST",
        &format!("{url}/v1/chat/completions"),
        &[("x-asterbot-session", "kept"), ("idempotency-key", key)],
        Some(body.to_string().as_bytes()),
    )
    .unwrap()
}

#[test]
fn a_turn_the_store_cannot_keep_is_a_500_and_leaves_its_idempotency_key_free() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let served = serve(&["--keyvalue", &redis.url()]);
    let url = &served.url;
    let stored = || redis.cli(&["KEYS", "history/turn/*kept/*"]).lines().count();
    // The control: with the store whole, a turn is answered and stored.
    let kept = ask_with_key(url, "remember the milk", "first");
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(stored(), 1, "{}", redis.cli(&["KEYS", "*"]));
    // The history becomes read-only (every key readable, only the other
    // instances' writable): the turn is answered but cannot be stored.
    let read_only = [
        "ACL",
        "SETUSER",
        "default",
        "resetkeys",
        "%R~*",
        "~idempotency/*",
        "~approvals/*",
        "~memory/*",
    ];
    assert_eq!(redis.cli(&read_only), "OK");
    let lost = ask_with_key(url, "remember the eggs", "second");
    assert_eq!(
        lost.status, 500,
        "a 200 means the turn is stored: {}",
        lost.body
    );
    assert_eq!(
        lost.json()["error"]["code"],
        "turn_not_stored",
        "{}",
        lost.body
    );
    assert_eq!(stored(), 1);
    // With the store writable again, the retry runs the turn: no answer
    // was kept for its key.
    assert_eq!(
        redis.cli(&["ACL", "SETUSER", "default", "resetkeys", "~*"]),
        "OK"
    );
    let retried = ask_with_key(url, "remember the eggs", "second");
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(stored(), 2);
}

#[test]
fn tool_calls_and_the_calls_a_person_denied_are_counted() {
    let served = serve(&["--keyvalue", "memory"]);
    let url = &served.url;
    let http = client();
    let counted = || {
        (
            metric(url, "asterbot_tool_calls_total"),
            metric(url, "asterbot_approval_denials_total"),
        )
    };
    assert_eq!(counted(), (Some(0.0), Some(0.0)));
    // The calculator, then a note written: two calls.
    assert_eq!(
        chat(&http, url, "t", "what is 6 * 7?").reply(),
        "The answer is 42."
    );
    chat(&http, url, "t", "remember that I like coffee");
    assert_eq!(counted(), (Some(2.0), Some(0.0)));
    // Deleting waits for a person: a call, not a denial (the control).
    let asked = chat(&http, url, "t", "forget facts");
    assert_eq!(counted(), (Some(3.0), Some(0.0)));
    let decide = format!(
        "{url}{}",
        asked.json()["asterbot"]["approvals"][0]["decide"]
            .as_str()
            .unwrap()
    );
    assert_eq!(common::serving::decide(&http, &decide, "deny").status, 200);
    // Asked again, it is refused: a call and a denial.
    chat(&http, url, "t", "forget facts");
    assert_eq!(counted(), (Some(4.0), Some(1.0)));
    // The tally travels in trailers the server takes off.
    let answer = raw(
        url,
        &format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTE: trailers\r\nContent-Length: 51\r\nConnection: close\r\n\r\n{{\"messages\":[{{\"role\":\"user\",\"content\":\"6 * 7?\"}}]}}  ",
            common::serving::KEY
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.contains("asterbot-tool-calls"), "{answer}");
}

#[test]
fn more_idle_connections_than_file_descriptors_do_not_take_the_server_down() {
    // The server may open 256 files; 400 clients connect and send
    // nothing. The connection cap stays under the file limit, so it never
    // runs out of descriptors: the idle ones are closed by the header
    // timeout, and a health probe and a chat turn behind them are served.
    let Some(mut prlimit) = common::peer_tool_probed("prlimit", "--version", "util-linux") else {
        return;
    };
    let base = common::asterbot();
    prlimit
        .arg("--nofile=256:256")
        .arg("--")
        .arg(base.get_program());
    for (name, value) in base.get_envs() {
        if let Some(value) = value {
            prlimit.env(name, value);
        }
    }
    prlimit
        .arg("serve")
        .arg(common::serving::serve_agent())
        .args(["--listen", "127.0.0.1:0", "--keyvalue", "memory"])
        .args(["--header-timeout", "2s", "--max-connections", "100000"])
        .args(common::serving::key_flags());
    let mut served = Served::start(prlimit, "serving");
    let address = served.url.trim_start_matches("http://").to_string();
    let idle: Vec<TcpStream> = (0..400)
        .filter_map(|_| TcpStream::connect(&address).ok())
        .collect();
    assert!(idle.len() > 256, "only {} connected", idle.len());
    let answer = raw(&served.url, "GET /healthz HTTP/1.0\r\n\r\n");
    assert!(
        answer.starts_with("HTTP/1.0 200"),
        "{answer}\n{}",
        served.log()
    );
    let turn = chat(&client(), &served.url, "after", "what is 6 * 7?");
    assert_eq!(turn.reply(), "The answer is 42.");
    assert!(served.alive(), "{}", served.log());
    assert!(
        !served.log().contains("Too many open files"),
        "{}",
        served.log()
    );
    drop(idle);
}
