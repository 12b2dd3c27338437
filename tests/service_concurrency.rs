//! Many clients at once on one account: 200 exchange requests from Web (each with its own
//! idempotency key) race 30 feature uses from Mobile. Exactly one exchange is applied and every
//! other exchange is told `exchange.already_done`; every use answered `allowed` is in the
//! ledger exactly once and every other use is not; `quotient audit` is clean. On SQLite, on
//! PostgreSQL at READ COMMITTED and SERIALIZABLE, and with two server processes sharing one
//! PostgreSQL database (how the service scales out).

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::server::{
    Backend, Database, Http, MOBILE, Options, Server, WEB, audit, backends, sample_account,
};

const ACCOUNT: &str = "acct-1001";
const EXCHANGES: usize = 200;
const USES: usize = 30;
const THREADS: usize = 24;

/// One request to send: which server, which key, its idempotency key and body.
struct Job {
    server: usize,
    key: &'static str,
    idem: String,
    body: String,
}

/// Sends every job from `THREADS` threads at once; the replies by idempotency key.
fn run(clients: &[Http], jobs: Vec<Job>) -> BTreeMap<String, common::server::Reply> {
    let queue = Arc::new(Mutex::new(jobs));
    let replies = Arc::new(Mutex::new(BTreeMap::new()));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let queue = queue.clone();
            let replies = replies.clone();
            let clients = clients.to_vec();
            std::thread::spawn(move || {
                loop {
                    let Some(job) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let r = clients[job.server].request(ACCOUNT, job.key, &job.idem, &job.body);
                    replies.lock().unwrap().insert(job.idem, r);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    Arc::try_unwrap(replies).unwrap().into_inner().unwrap()
}

fn race(backend: &Backend, two_servers: bool) {
    let label = format!("{}{}", backend.name(), if two_servers { " x2" } else { "" });
    let db = Database::new(backend, "race");
    let first = Server::start(&db, &Options::default());
    let second = two_servers.then(|| first.another());
    let mut clients = vec![first.client()];
    if let Some(s) = &second {
        clients.push(s.client());
    }
    assert_eq!(clients[0].import(&sample_account(ACCOUNT)).status, 201);
    let mut jobs = Vec::new();
    for i in 0..EXCHANGES {
        jobs.push(Job {
            server: i % clients.len(),
            key: WEB,
            idem: format!("x-{i}"),
            body: format!(r#"{{"id":"x{i}","kind":"exchange","confirm":true}}"#),
        });
    }
    for i in 0..USES {
        jobs.push(Job {
            server: (i + 1) % clients.len(),
            key: MOBILE,
            idem: format!("u-{i}"),
            body: format!(r#"{{"id":"u{i}","kind":"use","feature":"ai_image_generation"}}"#),
        });
    }
    // Interleave exchanges and uses.
    jobs.sort_by_key(|j| (j.idem.len() % 3, j.idem.clone()));
    let replies = run(&clients, jobs);

    let mut exchanged = 0;
    let mut allowed_uses = Vec::new();
    for (idem, r) in &replies {
        assert_eq!(r.status, 200, "{label}: {idem}: {}", r.body);
        let j = r.json();
        if idem.starts_with("x-") {
            match j["outcome"].as_str() {
                Some("exchanged") => exchanged += 1,
                Some("denied") => assert_eq!(
                    j["reasons"][0]["code"], "exchange.already_done",
                    "{label}: {idem}: {}",
                    r.body
                ),
                other => panic!("{label}: {idem}: unexpected {other:?}: {}", r.body),
            }
        } else if j["outcome"] == "allowed" {
            allowed_uses.push(j["request"].as_str().unwrap().to_string());
        } else {
            assert_eq!(j["outcome"], "denied", "{label}: {}", r.body);
        }
    }
    assert_eq!(exchanged, 1, "{label}: exactly one exchange is applied");

    // The ledger: one exchange group, and each allowed use exactly once.
    let ledger = clients[0]
        .get(&format!("/v1/accounts/{ACCOUNT}/ledger"), WEB)
        .json();
    let groups = ledger["groups"].as_array().unwrap();
    let exchange_groups = groups
        .iter()
        .filter(|g| g["group"]["request_kind"] == "exchange")
        .count();
    assert_eq!(exchange_groups, 1, "{label}");
    let mut in_ledger: Vec<String> = groups
        .iter()
        .filter(|g| g["group"]["request_kind"] == "use")
        .map(|g| g["group"]["request_id"].as_str().unwrap().to_string())
        .collect();
    in_ledger.sort();
    allowed_uses.sort();
    assert_eq!(in_ledger, allowed_uses, "{label}: no use lost or doubled");
    let account = clients[0]
        .get(&format!("/v1/accounts/{ACCOUNT}"), WEB)
        .json();
    assert_eq!(account["mode"], "credits", "{label}");
    assert_eq!(
        account["version"].as_u64(),
        Some(7 + groups.len() as u64),
        "{label}"
    );

    // Retrying every request now replays every answer exactly.
    let again = run(
        &clients,
        replies
            .keys()
            .map(|idem| Job {
                server: 0,
                key: if idem.starts_with("x-") { WEB } else { MOBILE },
                idem: idem.clone(),
                body: if let Some(i) = idem.strip_prefix("x-") {
                    format!(r#"{{"id":"x{i}","kind":"exchange","confirm":true}}"#)
                } else {
                    let i = idem.trim_start_matches("u-");
                    format!(r#"{{"id":"u{i}","kind":"use","feature":"ai_image_generation"}}"#)
                },
            })
            .collect(),
    );
    for (idem, r) in &again {
        assert_eq!(&r.body, &replies[idem].body, "{label}: {idem} replays");
    }
    drop(second);
    drop(first);
    let (code, out) = audit(&db.url);
    assert_eq!(code, 0, "{label}: {out}");
}

#[test]
fn one_exchange_among_two_hundred_concurrent_requests() {
    for backend in backends("one_exchange_among_two_hundred") {
        race(&backend, false);
    }
}

#[test]
fn two_servers_on_one_postgres_database_apply_one_exchange() {
    if common::server::postgres_url("two_servers_on_one_postgres").is_none() {
        return;
    }
    race(&Backend::Postgres, true);
    race(&Backend::PostgresSerializable, true);
}
