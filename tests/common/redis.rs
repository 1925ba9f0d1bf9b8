//! A Redis server for a test, on a free loopback port, stopped when
//! dropped: the store replicas of a served agent share.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` that keeps nothing on disk.
pub struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts one, or `None` where redis-server cannot be had and
    /// `ASTERBOT_SKIP_PEERS` names it (a missing one fails, see
    /// `peer_tool`).
    pub fn start() -> Option<Redis> {
        let mut command = super::peer_tool("redis-server", "apt install redis-server")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let redis = Redis { child, port };
        let started = Instant::now();
        while redis.cli(&["PING"]) != "PONG" {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(redis)
    }

    /// The store's address for `asterbot serve --keyvalue`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The server's process id (to pause it with `SIGSTOP`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server now, as an outage would.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `redis-cli` with `args`, its output trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--raw"])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
