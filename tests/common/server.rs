//! Running the real service for tests: `quotient serve` started as a process on a fresh
//! database (a SQLite file in a temporary directory, or a new database on the PostgreSQL
//! cluster `.ci/test` started, named by `QUOTIENT_TEST_POSTGRES`), its address read from its
//! first line, killed when the test is done. A small blocking HTTP client talks to it over
//! loopback. Without PostgreSQL the PostgreSQL half of a test says it skipped, and fails under
//! `CI=true`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The demo keys of `examples/service/clients.yaml`.
pub const WEB: &str = "demo-web-key";
pub const DESKTOP: &str = "demo-desktop-key";
pub const MOBILE: &str = "demo-mobile-key";
pub const ADMIN: &str = "demo-admin-key";

/// Which database a server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// PostgreSQL at READ COMMITTED.
    Postgres,
    /// PostgreSQL at SERIALIZABLE (the closest here to a distributed engine).
    PostgresSerializable,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::PostgresSerializable => "postgres-serializable",
        }
    }
}

/// The PostgreSQL cluster's URL, when one runs; `None` (said, and fatal under `CI=true`) when
/// not.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("QUOTIENT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let message = format!(
                "{test}: PostgreSQL half skipped: QUOTIENT_TEST_POSTGRES is not set (run the tests with `.ci/test`, which starts a throwaway cluster)"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}; under CI=true it must run");
            }
            eprintln!("{message}");
            None
        }
    }
}

/// Every backend this machine can run: SQLite always, PostgreSQL when a cluster runs.
pub fn backends(test: &str) -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if postgres_url(test).is_some() {
        out.push(Backend::Postgres);
        out.push(Backend::PostgresSerializable);
    }
    out
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database for one test, and how to remove it.
pub struct Database {
    pub url: String,
    pub backend: Backend,
    dir: PathBuf,
}

impl Database {
    pub fn new(backend: &Backend, test: &str) -> Database {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "q_{}_{}_{n}",
            std::process::id(),
            test.replace(['-', ' '], "_")
        );
        let dir = std::env::temp_dir().join(format!("quotient-test-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.join("quotient.db").display()),
            Backend::Postgres | Backend::PostgresSerializable => {
                let base = postgres_url(test).expect("PostgreSQL");
                create_pg_database(&base, &name);
                replace_database(&base, &name)
            }
        };
        Database {
            url,
            backend: backend.clone(),
            dir,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `base` with its database name replaced by `name`.
fn replace_database(base: &str, name: &str) -> String {
    match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => base.to_string(),
    }
}

/// Creates database `name` on the cluster at `base`.
fn create_pg_database(base: &str, name: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(base)
            .await
            .expect("PostgreSQL connects");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .expect("database created");
    });
}

/// A running `quotient serve`.
pub struct Server {
    child: Child,
    pub url: String,
    pub db_url: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stderr_log: PathBuf,
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Options {
    pub policy: String,
    pub clients: String,
    pub clock: Option<String>,
    pub serializable: bool,
    pub extra: Vec<String>,
    /// Environment variables for the server process (`QUOTIENT_LOG`).
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: "policies/capcut-pro.yaml".into(),
            clients: "examples/service/clients.yaml".into(),
            clock: Some("2026-04-02T10:00:00Z".into()),
            serializable: false,
            extra: Vec::new(),
            env: Vec::new(),
        }
    }
}

impl Server {
    /// Starts a server on `db` with `options`.
    pub fn start(db: &Database, options: &Options) -> Server {
        let mut args = vec![
            "serve".to_string(),
            "--policy".into(),
            options.policy.clone(),
            "--clients".into(),
            options.clients.clone(),
            "--db".into(),
            db.url.clone(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        if let Some(c) = &options.clock {
            args.extend(["--clock".into(), c.clone()]);
        }
        if options.serializable || db.backend == Backend::PostgresSerializable {
            args.extend(["--isolation".into(), "serializable".into()]);
        }
        args.extend(options.extra.iter().cloned());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let stderr_log = db.dir().join(format!("server-{n}.log"));
        Server::spawn(args, options.env.clone(), db.url.clone(), stderr_log)
    }

    fn spawn(
        args: Vec<String>,
        env: Vec<(String, String)>,
        db_url: String,
        stderr_log: PathBuf,
    ) -> Server {
        let log = std::fs::File::create(&stderr_log).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_quotient"))
            .args(&args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        let url = match (read, line.strip_prefix("listening on ")) {
            (Ok(_), Some(url)) => url.trim().to_string(),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not start: {line:?}\n{}",
                    std::fs::read_to_string(&stderr_log).unwrap_or_default()
                );
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Server {
            child,
            url,
            db_url,
            args,
            env,
            stderr_log,
        }
    }

    /// A second server process on the same database and policy.
    pub fn another(&self) -> Server {
        let log = self.stderr_log.with_extension("second.log");
        Server::spawn(
            self.args.clone(),
            self.env.clone(),
            self.db_url.clone(),
            log,
        )
    }

    /// Kills the server with SIGKILL (no chance to finish anything) and starts it again on the
    /// same database, listening on a new port.
    pub fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self
            .stderr_log
            .with_extension(format!("{}.log", COUNTER.fetch_add(1, Ordering::Relaxed)));
        let next = Server::spawn(
            self.args.clone(),
            self.env.clone(),
            self.db_url.clone(),
            log,
        );
        *self = next;
    }

    /// Sends SIGTERM and waits (bounded) for the server to exit; its exit status.
    pub fn terminate(mut self) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// What the server wrote to standard error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// A client for this server.
    pub fn client(&self) -> Http {
        Http::new(&self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers we look at, body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error code of an error response.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// A blocking HTTP/1.1 client for one server (loopback only, no TLS).
#[derive(Clone)]
pub struct Http {
    base: String,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(base: &str) -> Http {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Http {
            base: base.trim_end_matches('/').to_string(),
            agent: config.into(),
        }
    }

    /// Sends one request; `Err` only when the server could not be reached.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Reply, String> {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(k) = key {
            builder = builder.header("authorization", format!("Bearer {k}"));
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(body.unwrap_or("").to_string())
            .map_err(|e| e.to_string())?;
        let mut response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok(Reply {
            status,
            body,
            headers,
        })
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        self.try_send(method, path, key, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn get(&self, path: &str, key: &str) -> Reply {
        self.send("GET", path, Some(key), &[], None)
    }

    /// `POST /v1/accounts/{account}/requests` with an idempotency key.
    pub fn request(&self, account: &str, key: &str, idem: &str, body: &str) -> Reply {
        self.send(
            "POST",
            &format!("/v1/accounts/{account}/requests"),
            Some(key),
            &[("idempotency-key", idem)],
            Some(body),
        )
    }

    /// Creates an account from a snapshot file (admin).
    pub fn import(&self, snapshot_json: &str) -> Reply {
        let v: serde_json::Value = serde_json::from_str(snapshot_json).expect("snapshot JSON");
        let id = v["id"].as_str().expect("id");
        self.send(
            "PUT",
            &format!("/v1/accounts/{id}"),
            Some(ADMIN),
            &[],
            Some(snapshot_json),
        )
    }
}

/// The sample account, `examples/accounts/pro-midcycle.json`, with another id if asked.
pub fn sample_account(id: &str) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/accounts/pro-midcycle.json"),
    )
    .expect("sample account");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v["id"] = serde_json::Value::from(id);
    v.to_string()
}

/// Runs `quotient audit` on `db` with the CapCut policy: (exit code, output).
pub fn audit(db_url: &str) -> (i32, String) {
    let (code, out, err) = super::quotient(&[
        "audit",
        "--db",
        db_url,
        "--policy",
        "policies/capcut-pro.yaml",
    ]);
    (code, format!("{out}{err}"))
}

/// One Server-Sent Event as a subscriber received it.
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: Option<u64>,
    pub event: Option<String>,
    pub data: serde_json::Value,
    pub received: Instant,
}

/// Subscribes to `account`'s events with `key` (from `last_event_id`, when given): events
/// arrive on the channel as the server sends them, for at most `listen`. Returns once the
/// stream is open, so that nothing sent afterwards is missed.
pub fn subscribe(
    base: &str,
    account: &str,
    key: &str,
    last_event_id: Option<u64>,
    listen: Duration,
) -> std::sync::mpsc::Receiver<Sse> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let url = format!("{base}/v1/accounts/{account}/events");
    let key = format!("Bearer {key}");
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(listen))
            .build()
            .into();
        let mut req = agent.get(&url).header("authorization", &key);
        let last = last_event_id.map(|v| v.to_string());
        if let Some(v) = &last {
            req = req.header("last-event-id", v);
        }
        let Ok(mut response) = req.call() else {
            let _ = opened_tx.send(false);
            return;
        };
        let _ = opened_tx.send(response.status().as_u16() == 200);
        let reader = BufReader::new(response.body_mut().as_reader());
        let (mut id, mut event, mut data) = (None, None, String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if line.is_empty() {
                if !data.is_empty() {
                    let sse = Sse {
                        id,
                        event: event.take(),
                        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                        received: Instant::now(),
                    };
                    if tx.send(sse).is_err() {
                        return;
                    }
                }
                id = None;
                data.clear();
            } else if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
    });
    assert_eq!(
        opened_rx.recv_timeout(Duration::from_secs(10)),
        Ok(true),
        "the event stream did not open"
    );
    rx
}
