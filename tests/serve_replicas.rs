//! Past one process: two `asterbot serve` replicas behind a round-robin
//! load balancer, sharing one Redis. A conversation whose turns alternate
//! between the replicas keeps its history; killing one replica during a
//! bounded load loses no turn that was answered, and the other replica
//! goes on serving.

mod common;

use common::redis::Redis;
use common::serving::{Balancer, Served, chat, client, try_chat};
use std::time::{Duration, Instant};

/// What the replicas stored.
trait Stored {
    /// What the user said in `session`, from the history the agent stored.
    fn user_turns(&self, session: &str) -> Vec<String>;
}

impl Stored for Redis {
    /// The test key's session `session`, stored under the key's
    /// principal: one key per turn (`history/turn/SESSION/N`), counted by
    /// `history/count/SESSION`.
    fn user_turns(&self, session: &str) -> Vec<String> {
        let principal = common::serving::principal(common::serving::KEY);
        let session = format!("{principal}:{session}");
        let count: u64 = self
            .cli(&["GET", &format!("history/count/{session}")])
            .parse()
            .unwrap_or(0);
        (1..=count)
            .map(|n| self.cli(&["GET", &format!("history/turn/{session}/{n}")]))
            .filter(|text| !text.is_empty())
            .flat_map(|text| common::user_messages(&text))
            .collect()
    }
}

#[test]
fn replicas_sharing_redis_serve_one_conversation_and_survive_losing_one() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let agent = common::serving::serve_agent();
    let store = redis.url();
    let flags = ["--keyvalue", store.as_str()];
    let mut first = Served::asterbot(agent, &flags);
    let second = Served::asterbot(agent, &flags);
    let balancer = Balancer::start(&[&first.url, &second.url]);
    let http = client();

    // One conversation, its turns alternating between the replicas.
    let mut said = String::new();
    for turn in 0..6 {
        if turn % 2 == 0 {
            said = format!("turn {turn} of the shared conversation");
            assert_eq!(chat(&http, &balancer.url, "shared", &said).status, 200);
        } else {
            let reply = chat(&http, &balancer.url, "shared", "what did I say?").reply();
            assert_eq!(reply, format!("Before this, you said: \"{said}\"."));
        }
    }
    assert_eq!((balancer.handed(0), balancer.handed(1)), (3, 3));
    assert_eq!(redis.user_turns("shared").len(), 6);

    // A bounded load through the balancer; one replica is killed midway.
    const WORKERS: usize = 8;
    const TURNS: usize = 30;
    let answered: Vec<(String, Vec<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let url = balancer.url.clone();
                scope.spawn(move || {
                    let http = client();
                    let session = format!("load-{worker}");
                    let mut answered = Vec::new();
                    for turn in 0..TURNS {
                        let text = format!("load {worker} turn {turn}");
                        if let Ok(answer) = try_chat(&http, &url, &session, &text)
                            && answer.status == 200
                        {
                            answered.push(text);
                        }
                    }
                    (session, answered)
                })
            })
            .collect();
        // Kill the first replica once the load is under way.
        let started = Instant::now();
        while balancer.handed(0) < 3 + 20 && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(5));
        }
        first.kill();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(!first.alive());
    let mut total = 0;
    for (session, answered) in &answered {
        total += answered.len();
        let stored = redis.user_turns(session);
        // Every answered turn is stored, in order; a turn cut off by the
        // kill may be stored without its answer, never the other way.
        let missing: Vec<&String> = answered.iter().filter(|t| !stored.contains(t)).collect();
        assert!(
            missing.is_empty(),
            "{session} lost {missing:?}; stored {stored:?}"
        );
        let order: Vec<&String> = stored.iter().filter(|t| answered.contains(t)).collect();
        assert_eq!(order, answered.iter().collect::<Vec<_>>(), "{session}");
    }
    // Only requests in flight at the kill may fail; the rest were served.
    assert!(
        total >= WORKERS * TURNS - WORKERS,
        "{total} of {} answered",
        WORKERS * TURNS
    );
    assert!(balancer.handed(1) > 3 + 20, "the second replica took over");
    // The survivor still holds every conversation.
    assert_eq!(
        chat(&http, &balancer.url, "shared", "what did I say?").reply(),
        format!("Before this, you said: \"what did I say?\".")
    );
}
