//! Helpers of the service tests: a data folder with tight capacities, the real
//! `servnet serve` binary started on it, and a real HTTP client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bearer token the tests' servers accept.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// Outlets of [`write_data`].
pub const OUTLETS: usize = 8;
/// Skills every outlet of [`write_data`] has.
pub const SKILLS: [&str; 2] = ["repair:tv", "install:tv"];
/// Daily capacity of each skill.
pub const SKILL_CAPACITY: u32 = 10;
/// Daily cap of each outlet (below the sum of its skills: the outlet cap binds too).
pub const OUTLET_CAP: u32 = 15;

/// A small deterministic generator (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a data folder: one region, [`OUTLETS`] outlets around Shanghai with the
/// [`SKILLS`] at [`SKILL_CAPACITY`] units a day and an outlet cap of [`OUTLET_CAP`].
pub fn write_data(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("regions.csv"),
        "code,name,tier,lon,lat,population,max_response_hours,max_travel_km\n\
         R1,Shanghai,A,121.47,31.23,24000000,48,80\n",
    )
    .unwrap();
    let mut outlets = String::from(
        "id,name,lon,lat,status,priority,daily_cap,area_kind,radius_km,area_regions\n",
    );
    let mut skills = String::from(
        "outlet_id,skill,daily_capacity,load,rating_sum,rating_count,cost_per_ticket\n",
    );
    for i in 0..OUTLETS {
        let (lon, lat) = (121.40 + 0.02 * i as f64, 31.20 + 0.01 * i as f64);
        outlets.push_str(&format!(
            "O{i:02},Outlet {i},{lon:.4},{lat:.4},active,50,{OUTLET_CAP},radius,60,\n"
        ));
        for s in SKILLS {
            skills.push_str(&format!(
                "O{i:02},{s},{SKILL_CAPACITY},0,{},10,30\n",
                40 + i
            ));
        }
    }
    std::fs::write(dir.join("outlets.csv"), outlets).unwrap();
    std::fs::write(dir.join("outlet_skills.csv"), skills).unwrap();
}

/// A UTC offset (`+HH:00`) at which it is now around noon, so that no test run crosses
/// the service's midnight (which rolls the days over).
pub fn noon_offset() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let utc_hour = ((secs / 3600) % 24) as i64;
    let mut off = 12 - utc_hour;
    if off > 12 {
        off -= 24;
    }
    if off < -12 {
        off += 24;
    }
    let sign = if off < 0 { '-' } else { '+' };
    format!("{sign}{:02}:00", off.abs())
}

/// Local wall-clock time at `offset` (`+HH:00`), as the service reads times.
pub fn local_now(offset: &str) -> String {
    let hours: i64 = offset.trim_end_matches(":00").parse().unwrap();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        + hours * 3600;
    let t = chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .naive_utc();
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A running `servnet serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// What it printed on standard error (collected by a thread).
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

/// How to start a server.
#[derive(Clone)]
pub struct Launch {
    pub data: PathBuf,
    pub state: Option<PathBuf>,
    /// `--ledger` without a state folder (default `memory`), e.g. a Redis URL.
    pub ledger: Option<String>,
    pub token_file: PathBuf,
    pub utc_offset: String,
    pub extra: Vec<String>,
}

impl Launch {
    /// A launch on `data` with a token file written in `work`.
    pub fn new(work: &Path, data: &Path, state: Option<&Path>) -> Self {
        let token_file = work.join("tokens.txt");
        std::fs::write(&token_file, format!("# the tests' token\n{TOKEN}\n")).unwrap();
        Launch {
            data: data.to_path_buf(),
            state: state.map(Path::to_path_buf),
            ledger: None,
            token_file,
            utc_offset: noon_offset(),
            extra: Vec::new(),
        }
    }

    /// Starts the server on a free loopback port and waits until it listens.
    pub fn start(&self) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_servnet"));
        cmd.arg("serve")
            .arg(&self.data)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--token-file")
            .arg(&self.token_file)
            .arg(format!("--utc-offset={}", self.utc_offset));
        match &self.state {
            Some(s) => {
                cmd.arg("--state").arg(s);
            }
            None => {
                cmd.args(["--ledger", self.ledger.as_deref().unwrap_or("memory")]);
            }
        }
        cmd.args(&self.extra);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start servnet serve: {e}"));
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_str(&format!("{line}\n"));
                if !sent {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                        let _ = tx.send(addr);
                        sent = true;
                    }
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => Server {
                child,
                base: format!("http://{addr}"),
                stderr: log,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "servnet serve did not start:\n{}",
                    log.lock().map(|s| s.clone()).unwrap_or_default()
                )
            }
        }
    }
}

impl Server {
    /// `kill -9`, and waits for the process to end.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A client with the token.
    pub fn client(&self) -> Client {
        Client::new(&self.base, Some(TOKEN))
    }

    /// What it printed on standard error so far.
    pub fn log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A real HTTP/1.1 client (keep-alive), with or without a token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

/// An answer: status and JSON body (`Null` if the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub json: serde_json::Value,
    pub text: String,
}

impl Client {
    /// A client of the server at `base`.
    pub fn new(base: &str, token: Option<&str>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
            token: token.map(str::to_string),
        }
    }

    /// Sends a request; `Err` if no answer came (connection refused or cut).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut res = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()?
            }
            (m, b) => {
                let mut r = match m {
                    "POST" => self.agent.post(&url),
                    "PUT" => self.agent.put(&url),
                    other => panic!("method {other}"),
                };
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.content_type("application/json")
                    .send(b.unwrap_or_default())?
            }
        };
        let status = res.status().as_u16();
        let text = res
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()?;
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Ok(Answer { status, json, text })
    }

    /// `GET path`, which must be answered.
    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `POST path` with a JSON body, which must be answered.
    pub fn post(&self, path: &str, body: &str) -> Answer {
        self.send("POST", path, Some(body.as_bytes()))
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }
}

/// Waits until `f` holds or `limit` passes.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
