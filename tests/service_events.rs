//! Changes are pushed: a Mobile subscriber receives the Web exchange's event (new balances, mode
//! and version) within a second of it, on every database; one that reconnects with
//! `Last-Event-ID` first gets what it missed, in order; and with two servers on one PostgreSQL,
//! a subscriber on one sees a transition made through the other.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::server::{
    Backend, Database, MOBILE, Options, Server, WEB, backends, postgres_url, sample_account,
    subscribe,
};

const ACCOUNT: &str = "acct-1001";
const EXCHANGE: &str = r#"{"id":"x1","kind":"exchange","confirm":true}"#;

fn image_use(id: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"use","feature":"ai_image_generation"}}"#)
}

#[test]
fn a_mobile_subscriber_sees_the_web_exchange_within_a_second() {
    for backend in backends("sse_within_a_second") {
        let b = backend.name();
        let db = Database::new(&backend, "sse");
        let s = Server::start(&db, &Options::default());
        let http = s.client();
        assert_eq!(http.import(&sample_account(ACCOUNT)).status, 201);
        let events = subscribe(&s.url, ACCOUNT, MOBILE, None, Duration::from_secs(5));
        let sent = Instant::now();
        let r = http.request(ACCOUNT, WEB, "x-1", EXCHANGE);
        assert_eq!(r.json()["outcome"], "exchanged", "{b}");
        let e = events
            .recv_timeout(Duration::from_secs(3))
            .expect("an event");
        assert!(
            e.received.duration_since(sent) < Duration::from_secs(1),
            "{b}: the event took {:?}",
            e.received.duration_since(sent)
        );
        assert_eq!(e.id, Some(8), "{b}");
        assert_eq!(e.event.as_deref(), Some("transition"), "{b}");
        assert_eq!(e.data["mode"], "credits", "{b}");
        assert_eq!(e.data["balances"]["credit"], "29", "{b}");
        assert_eq!(e.data["kind"], "exchange", "{b}");
    }
}

#[test]
fn a_reconnect_with_last_event_id_gets_what_it_missed() {
    for backend in backends("sse_last_event_id") {
        let b = backend.name();
        let db = Database::new(&backend, "sse-replay");
        let s = Server::start(&db, &Options::default());
        let http = s.client();
        assert_eq!(http.import(&sample_account(ACCOUNT)).status, 201);
        // Three transitions while nobody listens: versions 8, 9, 10.
        for i in 1..=3 {
            let r = http.request(
                ACCOUNT,
                MOBILE,
                &format!("m-{i}"),
                &image_use(&format!("m{i}")),
            );
            assert_eq!(r.json()["applied"]["version"], 7 + i, "{b}");
        }
        // A client that last saw version 8 reconnects: 9 and 10 first, then the live ones.
        let events = subscribe(&s.url, ACCOUNT, MOBILE, Some(8), Duration::from_secs(5));
        let missed: Vec<_> = (0..2)
            .map(|_| {
                events
                    .recv_timeout(Duration::from_secs(3))
                    .expect("a missed event")
            })
            .collect();
        assert_eq!(
            missed.iter().map(|e| e.id).collect::<Vec<_>>(),
            [Some(9), Some(10)],
            "{b}"
        );
        assert_eq!(missed[1].data["balances"]["pro_use"], "34", "{b}");
        http.request(ACCOUNT, MOBILE, "m-4", &image_use("m4"));
        let live = events
            .recv_timeout(Duration::from_secs(3))
            .expect("a live event");
        assert_eq!(live.id, Some(11), "{b}: nothing twice, nothing skipped");
        // Without Last-Event-ID a subscriber starts from now.
        let fresh = subscribe(&s.url, ACCOUNT, WEB, None, Duration::from_secs(2));
        assert!(
            fresh.recv_timeout(Duration::from_millis(500)).is_err(),
            "{b}"
        );
    }
}

#[test]
fn with_two_servers_on_one_postgres_a_subscriber_sees_the_others_transitions() {
    if postgres_url("sse_two_servers").is_none() {
        return;
    }
    let db = Database::new(&Backend::Postgres, "sse-two");
    let first = Server::start(&db, &Options::default());
    let second = first.another();
    assert_eq!(first.client().import(&sample_account(ACCOUNT)).status, 201);
    let events = subscribe(&first.url, ACCOUNT, MOBILE, None, Duration::from_secs(5));
    let sent = Instant::now();
    let r = second.client().request(ACCOUNT, WEB, "x-1", EXCHANGE);
    assert_eq!(r.json()["outcome"], "exchanged");
    let e = events
        .recv_timeout(Duration::from_secs(3))
        .expect("the other server's event");
    assert!(e.received.duration_since(sent) < Duration::from_secs(1));
    assert_eq!(e.id, Some(8));
    assert_eq!(e.data["mode"], "credits");
}
