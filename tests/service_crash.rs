//! Crashes lose nothing and apply nothing twice: 10 000 feature uses, each with its own
//! idempotency key, from 8 clients over 10 accounts, while the server is killed with SIGKILL
//! five times and started again on the same database. Every client retries each use until it
//! is answered (a bounded number of times). Afterwards every use answered `allowed` is in the
//! ledger exactly once, no other use is, every retry of an answered use replays its answer, and
//! `quotient audit` is clean. On SQLite, and on PostgreSQL when one runs.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use common::server::{Backend, Database, Http, MOBILE, Options, Server, WEB, audit, backends};

const ACCOUNTS: usize = 10;
const CLIENTS: usize = 8;
const USES: usize = 10_000;
const CRASHES: usize = 5;
/// How many times a client tries one use before the test gives up on the server.
const MAX_TRIES: usize = 3_000;

/// An account in credits mode with a large top-up, so that every use is allowed.
fn account(i: usize) -> String {
    serde_json::json!({
        "id": format!("acct-{i}"), "plan": "pro", "status": "active",
        "time_zone": "America/New_York", "anchor": "2026-01-31T15:00:00Z",
        "mode": "credits", "version": 1, "cycle": 2,
        "grants": [{
            "id": "top-up", "unit": "credit", "amount": "1000000", "remaining": "1000000",
            "effective": "2026-03-01T00:00:00Z", "source": "top_up"
        }]
    })
    .to_string()
}

/// Tries that found the server down or busy (so the crashes really hit clients mid-run).
static INTERRUPTED: AtomicUsize = AtomicUsize::new(0);

/// Sends one use until it is answered; the answer.
fn send_until_answered(url: &RwLock<String>, account: &str, idem: &str, body: &str) -> String {
    for _ in 0..MAX_TRIES {
        let http = Http::new(&url.read().unwrap());
        match http.try_send(
            "POST",
            &format!("/v1/accounts/{account}/requests"),
            Some(MOBILE),
            &[("idempotency-key", idem)],
            Some(body),
        ) {
            Ok(r) if r.status == 200 => return r.body,
            // 409: a retry raced the attempt still running; 503: the server was going down.
            Ok(r) if r.status == 409 || r.status == 503 => {
                INTERRUPTED.fetch_add(1, Ordering::Relaxed);
            }
            Ok(r) => panic!("{idem}: {} {}", r.status, r.body),
            Err(_) => {
                INTERRUPTED.fetch_add(1, Ordering::Relaxed);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{idem} was never answered");
}

fn crash_run(backend: &Backend) {
    let label = backend.name();
    let db = Database::new(backend, "crash");
    let mut server = Server::start(&db, &Options::default());
    for i in 0..ACCOUNTS {
        assert_eq!(server.client().import(&account(i)).status, 201);
    }
    let url = Arc::new(RwLock::new(server.url.clone()));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let url = url.clone();
            let answered = answered.clone();
            std::thread::spawn(move || {
                let mut answers = BTreeMap::new();
                for i in (c..USES).step_by(CLIENTS) {
                    let account = format!("acct-{}", i % ACCOUNTS);
                    let idem = format!("u-{i}");
                    let body =
                        format!(r#"{{"id":"u{i}","kind":"use","feature":"ai_image_generation"}}"#);
                    let answer = send_until_answered(&url, &account, &idem, &body);
                    answered.fetch_add(1, Ordering::Relaxed);
                    answers.insert(i, (account, idem, body, answer));
                }
                answers
            })
        })
        .collect();
    for k in 1..=CRASHES {
        let at = USES * k / (CRASHES + 1);
        let mut waited = 0;
        while answered.load(Ordering::Relaxed) < at && waited < 60_000 {
            std::thread::sleep(Duration::from_millis(5));
            waited += 5;
        }
        server.crash_and_restart();
        *url.write().unwrap() = server.url.clone();
    }
    let mut answers = BTreeMap::new();
    for c in clients {
        answers.extend(c.join().unwrap());
    }
    assert_eq!(answers.len(), USES, "{label}");
    assert!(
        INTERRUPTED.swap(0, Ordering::Relaxed) >= CRASHES,
        "{label}: the crashes did not interrupt the clients"
    );

    // Every allowed use is in its account's ledger exactly once; nothing else is.
    let http = server.client();
    let mut in_ledger: BTreeMap<String, usize> = BTreeMap::new();
    for a in 0..ACCOUNTS {
        let mut after = 0u64;
        loop {
            let page = http
                .get(&format!("/v1/accounts/acct-{a}/ledger?after={after}"), WEB)
                .json();
            let groups = page["groups"].as_array().unwrap();
            let Some(last) = groups.last() else { break };
            after = last["seq"].as_u64().unwrap();
            for g in groups {
                *in_ledger
                    .entry(g["group"]["request_id"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
    }
    let mut allowed = 0;
    for (i, (_, _, _, answer)) in &answers {
        let j: serde_json::Value = serde_json::from_str(answer).unwrap();
        let id = format!("u{i}");
        if j["outcome"] == "allowed" {
            allowed += 1;
            assert_eq!(in_ledger.get(&id), Some(&1), "{label}: {id} applied once");
        } else {
            assert_eq!(in_ledger.get(&id), None, "{label}: {id} was not allowed");
        }
    }
    assert_eq!(allowed, USES, "{label}: every use was allowed");
    assert_eq!(
        in_ledger.len(),
        USES,
        "{label}: nothing else is in the ledger"
    );
    // Retrying a few answered uses replays their answers.
    for (account, idem, body, answer) in answers.values().step_by(997) {
        let r = http.request(account, MOBILE, idem, body);
        assert_eq!(&r.body, answer, "{label}: {idem}");
    }
    drop(server);
    let (code, out) = audit(&db.url);
    assert_eq!(code, 0, "{label}: {out}");
    assert!(
        out.contains(&format!("audited {ACCOUNTS} account(s): 0 difference(s)")),
        "{out}"
    );
}

#[test]
fn killing_the_server_loses_no_acknowledged_use_and_applies_none_twice() {
    for backend in backends("crash")
        .into_iter()
        .filter(|b| *b != Backend::PostgresSerializable)
    {
        crash_run(&backend);
    }
}
