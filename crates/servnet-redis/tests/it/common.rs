//! A real Redis for the tests: the one SERVNET_REDIS_URL names (scripts/test.sh starts
//! one), or a redis-server of the test's own on a free loopback port with AOF in a
//! temporary folder (needed by tests that kill and restart it). Without redis-server
//! these tests fail and say why: they never pass without having run.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The redis-server program: SERVNET_REDIS_SERVER, or redis-server on PATH.
pub fn redis_server_program() -> PathBuf {
    if let Some(p) = std::env::var_os("SERVNET_REDIS_SERVER") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("redis-server"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "redis-server not found on PATH: the Redis ledger's tests need a real Redis. \
             Install it (apt-get install redis-server, or bash scripts/setup.sh), or run \
             bash scripts/test.sh, which starts one"
        )
    })
}

/// A redis-server owned by one test, killed when dropped.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    pub fsync: &'static str,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local address").port()
}

impl RedisServer {
    /// Starts a redis-server with AOF and `appendfsync` = `fsync` (always, everysec).
    pub fn start(fsync: &'static str) -> RedisServer {
        let mut last = String::new();
        // The free port may be taken between the probe and the bind: try another.
        for _ in 0..5 {
            let mut s = RedisServer {
                child: None,
                port: free_port(),
                fsync,
                dir: tempfile::tempdir().expect("temporary folder"),
            };
            match s.spawn() {
                Ok(()) => return s,
                Err(e) => last = e,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new(redis_server_program())
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                self.fsync,
                "--save",
                "",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(self.port) {
                return Ok(());
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    self.child = None;
                    return Err(format!("redis-server exited: {status}"));
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer within 10 s".into())
    }

    /// The ledger URL of `namespace` on this server.
    pub fn url(&self, namespace: &str) -> String {
        format!("redis://127.0.0.1:{}/0?namespace={namespace}", self.port)
    }

    /// kill -9: Redis dies at once, keeping only what its AOF holds.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts Redis again on the same port and folder (it reloads its AOF).
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                // The old socket may linger a moment.
                Err(e) if Instant::now() > deadline => panic!("redis-server did not restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether a Redis answers PING on the loopback port.
pub fn ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// A Redis to test against and a namespace no other test uses.
pub struct TestRedis {
    /// The test's own server, if any: alive (and killed on drop) with the test.
    _own: Option<RedisServer>,
    base: String,
    pub namespace: String,
}

impl TestRedis {
    /// The ledger URL of this test's namespace.
    pub fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}namespace={}", self.base, self.namespace)
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A namespace unique to this process and call.
pub fn unique_namespace(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "test-{name}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// SERVNET_REDIS_URL's Redis, else a redis-server of this test's own.
pub fn redis(name: &str) -> TestRedis {
    let namespace = unique_namespace(name);
    match std::env::var("SERVNET_REDIS_URL") {
        Ok(base) if !base.is_empty() => TestRedis {
            _own: None,
            base,
            namespace,
        },
        _ => {
            let s = RedisServer::start("everysec");
            TestRedis {
                base: format!("redis://127.0.0.1:{}/0", s.port),
                _own: Some(s),
                namespace,
            }
        }
    }
}

/// 60 outlets in 5 cities, 3 skills each, 4 units a skill and 8 an outlet a day, 40
/// tickets, and a 2-day policy starting on the first ticket's day: small enough that
/// capacity runs out.
pub fn small_network(
    seed: u64,
) -> (
    servnet_core::model::Network,
    Vec<servnet_core::model::Ticket>,
    servnet_core::dispatch::Policy,
) {
    use servnet_core::bench::synthetic::{synthetic, SyntheticSpec};
    let spec = SyntheticSpec {
        outlets: 60,
        cities: 5,
        categories: 1,
        skills_per_outlet: 3,
        skill_capacity: 4,
        daily_cap: 8,
        seed,
    };
    let (network, tickets) = synthetic(&spec, 40).unwrap();
    let policy = servnet_core::dispatch::Policy {
        start_date: Some(tickets[0].created_at.date()),
        horizon_days: 2,
        ..servnet_core::dispatch::Policy::default()
    };
    (network, tickets, policy)
}

/// A dispatcher on the Redis ledger `url` names (as one process would open it).
pub fn open_on(
    url: &str,
    network: &servnet_core::model::Network,
    policy: &servnet_core::dispatch::Policy,
) -> servnet_core::dispatch::Dispatcher {
    servnet_core::dispatch::Dispatcher::with_ledger(
        network.clone(),
        policy.clone(),
        Box::new(servnet_redis::RedisLedger::connect(url).unwrap()),
    )
    .unwrap()
}
