//! `cargo bench --bench serve_load`: a load on the account service over loopback, run by hand
//! (never in CI). It starts `quotient serve` (release build) on a fresh SQLite file, or on the
//! PostgreSQL database named by `QUOTIENT_LOAD_POSTGRES`, imports 1 000 accounts, and drives
//! feature uses (each with its own idempotency key) from 64 concurrent clients for a fixed
//! number of uses; then prints the throughput and the p50, p90 and p99 latency. Clients and
//! server share this machine's cores, as they would on one box.
//!
//! Settings: `QUOTIENT_LOAD_USES` (default 40 000), `QUOTIENT_LOAD_CLIENTS` (default 64).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 1_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn account(i: usize) -> String {
    serde_json::json!({
        "id": format!("load-{i}"), "plan": "pro", "status": "active",
        "time_zone": "UTC", "anchor": "2026-01-31T15:00:00Z",
        "mode": "credits", "version": 1, "cycle": 2,
        "grants": [{
            "id": "top-up", "unit": "credit", "amount": "100000000", "remaining": "100000000",
            "effective": "2026-03-01T00:00:00Z", "source": "top_up"
        }]
    })
    .to_string()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections_per_host(4)
        .build()
        .into()
}

fn main() {
    let uses = env_usize("QUOTIENT_LOAD_USES", 40_000);
    let clients = env_usize("QUOTIENT_LOAD_CLIENTS", 64);
    let dir = std::env::temp_dir().join(format!("quotient-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (db, backend) = match std::env::var("QUOTIENT_LOAD_POSTGRES") {
        Ok(url) if !url.is_empty() => (url, "PostgreSQL"),
        _ => (
            format!("sqlite://{}", dir.join("load.db").display()),
            "SQLite",
        ),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_quotient"))
        .args([
            "serve",
            "--policy",
            "policies/capcut-pro.yaml",
            "--clients",
            "examples/service/clients.yaml",
            "--db",
            &db,
            "--listen",
            "127.0.0.1:0",
            "--clock",
            "2026-04-02T10:00:00Z",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening")
        .to_string();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });

    let run = format!("{}", std::process::id());
    let a = agent();
    for i in 0..ACCOUNTS {
        let r = a
            .put(&format!("{url}/v1/accounts/load-{i}"))
            .header("authorization", "Bearer demo-admin-key")
            .send(&account(i))
            .expect("import");
        assert!(r.status().as_u16() < 300 || r.status().as_u16() == 409);
    }

    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(uses)));
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (url, next, latencies, failures, run) = (
                url.clone(),
                next.clone(),
                latencies.clone(),
                failures.clone(),
                run.clone(),
            );
            std::thread::spawn(move || {
                let a = agent();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= uses {
                        break;
                    }
                    let body =
                        format!(r#"{{"id":"u{i}","kind":"use","feature":"ai_image_generation"}}"#);
                    let t = Instant::now();
                    let r = a
                        .post(&format!("{url}/v1/accounts/load-{}/requests", i % ACCOUNTS))
                        .header("authorization", "Bearer demo-mobile-key")
                        .header("idempotency-key", &format!("{run}-{i}"))
                        .send(&body);
                    let ok = matches!(&r, Ok(r) if r.status().as_u16() == 200);
                    if let Ok(mut r) = r {
                        let _ = r.body_mut().read_to_string();
                    }
                    mine.push(t.elapsed());
                    if !ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{backend}: {uses} uses from {clients} clients over {ACCOUNTS} accounts in {:.2} s: {:.0} uses/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms; {} failed",
        took.as_secs_f64(),
        uses as f64 / took.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        failures.load(Ordering::Relaxed)
    );
}
