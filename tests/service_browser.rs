//! The Desktop -> Web hand-off in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, over WebDriver): Desktop gets a hand-off link; the browser opens it, sees
//! the live quote, clicks "Exchange now", sees the final warning, confirms, and sees the new
//! balance, while a Mobile subscriber receives the change. Then the ways a link can go wrong:
//! reopened after use, expired, tampered with, for an account that exchanged meanwhile, and a
//! balance that changed between showing and confirming; and two tabs confirming at once. Each
//! page state is saved as a screenshot under `<target>/tmp/screenshots/<test>/`.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/browser.rs"]
mod browser;
mod common;

use std::time::{Duration, Instant};

use browser::{click, heading, screenshots, session, shot, text_of};
use common::server::{
    ADMIN, Backend, DESKTOP, Database, Http, MOBILE, Options, Server, WEB, sample_account,
    subscribe,
};

const ACCOUNT: &str = "acct-1001";

fn server(db: &Database) -> Server {
    let s = Server::start(
        db,
        &Options {
            extra: vec!["--exchange-page".into(), "self".into()],
            ..Options::default()
        },
    );
    assert_eq!(s.client().import(&sample_account(ACCOUNT)).status, 201);
    s
}

/// Desktop asks to exchange; the hand-off link it gets.
fn handoff_link(http: &Http, idem: &str) -> String {
    let r = http.request(
        ACCOUNT,
        DESKTOP,
        idem,
        &format!(r#"{{"id":"{idem}","kind":"exchange","client_version":"6.1"}}"#),
    );
    let j = r.json();
    assert_eq!(j["outcome"], "handed_off", "{}", r.body);
    let url = j["handoff"]["url"]
        .as_str()
        .expect("a hand-off link")
        .to_string();
    assert_eq!(j["hand_off"]["link"], url.as_str());
    url
}

fn account(http: &Http) -> serde_json::Value {
    http.get(&format!("/v1/accounts/{ACCOUNT}"), MOBILE).json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_hands_off_and_web_exchanges_in_a_real_browser() {
    let Some(driver) = browser::driver("desktop_hands_off") else {
        return;
    };
    let db = Database::new(&Backend::Sqlite, "browser-flow");
    let s = server(&db);
    let http = s.client();
    let dir = screenshots("desktop_hands_off_and_web_exchanges");
    let link = handoff_link(&http, "d-1");
    let c = session(&driver, &db.dir().join("profile")).await;

    c.goto(&link).await.unwrap();
    assert_eq!(text_of(&c, "quote").await, "37 Pro uses = 29 credits");
    assert!(
        text_of(&c, "exact")
            .await
            .contains("exactly 29.6 credits, rounded down to 29")
    );
    assert!(
        text_of(&c, "expires")
            .await
            .contains("Thursday 30 April 2026, 10:00 EDT")
    );
    assert!(
        text_of(&c, "future")
            .await
            .contains("grants credits instead of Pro uses")
    );
    let page = c.source().await.unwrap();
    assert!(page.contains("AI Image Generation"), "value per feature");
    shot(&c, &dir, "1-quote").await;

    click(&c, "exchange-now").await;
    let warning = text_of(&c, "warning").await;
    assert!(
        warning.starts_with("This action is irreversible"),
        "{warning}"
    );
    shot(&c, &dir, "2-warning").await;
    // Confirming without ticking the box is stopped by the browser (the box is required).
    click(&c, "acknowledge").await;

    let events = subscribe(&s.url, ACCOUNT, MOBILE, None, Duration::from_secs(10));
    let confirmed = Instant::now();
    click(&c, "confirm").await;
    assert_eq!(
        text_of(&c, "result").await,
        "You exchanged 37 Pro uses for 29 credits."
    );
    assert!(text_of(&c, "balance").await.contains("29 credits"));
    shot(&c, &dir, "3-done").await;

    // Mobile hears of it at once.
    let e = events
        .recv_timeout(Duration::from_secs(3))
        .expect("Mobile gets the change");
    assert!(e.received.duration_since(confirmed) < Duration::from_secs(2));
    assert_eq!(e.data["mode"], "credits");
    assert_eq!(e.data["balances"]["credit"], "29");
    let a = account(&http);
    assert_eq!(
        (a["mode"].as_str(), a["version"].as_u64()),
        (Some("credits"), Some(8))
    );

    // Reload (the browser re-sends the form): the same result, exchanged once.
    c.refresh().await.unwrap();
    assert_eq!(heading(&c).await, "Exchanged");
    // Reopening the used link says so.
    c.goto(&link).await.unwrap();
    assert_eq!(heading(&c).await, "This link was already used");
    assert!(
        text_of(&c, "next")
            .await
            .contains("Open the offer again in CapCut Desktop")
    );
    shot(&c, &dir, "4-used").await;
    assert_eq!(account(&http)["version"], 8, "nothing more changed");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_that_cannot_be_used_say_why_and_change_nothing() {
    let Some(driver) = browser::driver("links_that_cannot_be_used") else {
        return;
    };
    let db = Database::new(&Backend::Sqlite, "browser-refusals");
    let s = server(&db);
    let http = s.client();
    let dir = screenshots("links_that_cannot_be_used");
    let c = session(&driver, &db.dir().join("profile")).await;

    // A tampered token.
    let link = handoff_link(&http, "d-1");
    let last = link.chars().last().unwrap();
    let tampered = format!(
        "{}{}",
        &link[..link.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    c.goto(&tampered).await.unwrap();
    assert_eq!(heading(&c).await, "This link is not valid");
    shot(&c, &dir, "tampered").await;

    // A balance change between showing and confirming: the new quote, nothing exchanged.
    c.goto(&link).await.unwrap();
    click(&c, "exchange-now").await;
    text_of(&c, "warning").await;
    let r = http.request(
        ACCOUNT,
        MOBILE,
        "m-1",
        r#"{"id":"m1","kind":"use","feature":"ai_image_generation"}"#,
    );
    assert_eq!(r.json()["outcome"], "allowed");
    click(&c, "acknowledge").await;
    click(&c, "confirm").await;
    assert_eq!(text_of(&c, "quote").await, "36 Pro uses = 28 credits");
    assert!(c.source().await.unwrap().contains("Your balance changed"));
    shot(&c, &dir, "balance-changed").await;
    assert_eq!(account(&http)["mode"], "pro_uses", "nothing was exchanged");

    // An account that exchanged meanwhile (from another tab, through another link).
    let other = handoff_link(&http, "d-2");
    c.goto(&other).await.unwrap();
    click(&c, "exchange-now").await;
    click(&c, "acknowledge").await;
    click(&c, "confirm").await;
    assert!(text_of(&c, "result").await.contains("exchanged"));
    c.goto(&link).await.unwrap();
    assert_eq!(heading(&c).await, "There is nothing to exchange");
    assert!(text_of(&c, "message").await.contains("already done"));
    shot(&c, &dir, "already-exchanged").await;
    let a = account(&http);
    assert_eq!(a["version"], 9, "one use and one exchange, nothing else");

    // An expired link: eleven minutes later.
    let db2 = Database::new(&Backend::Sqlite, "browser-expired");
    let s2 = server(&db2);
    let http2 = s2.client();
    let link = handoff_link(&http2, "d-1");
    let r = http2.send(
        "PUT",
        "/v1/admin/clock",
        Some(ADMIN),
        &[],
        Some(r#"{"now":"2026-04-02T10:11:00Z"}"#),
    );
    assert_eq!(r.status, 200);
    c.goto(&link).await.unwrap();
    assert_eq!(heading(&c).await, "This link has expired");
    assert!(text_of(&c, "next").await.contains("CapCut Desktop"));
    shot(&c, &dir, "expired").await;
    assert_eq!(account(&http2)["mode"], "pro_uses");
    c.close().await.unwrap();
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_confirming_one_hand_off_exchange_once() {
    let Some(driver) = browser::driver("two_tabs") else {
        return;
    };
    let db = Database::new(&Backend::Sqlite, "browser-tabs");
    let s = server(&db);
    let http = s.client();
    let dir = screenshots("two_tabs_confirming_one_hand_off");
    let link = handoff_link(&http, "d-1");
    let a = session(&driver, &db.dir().join("profile-a")).await;
    let b = session(&driver, &db.dir().join("profile-b")).await;
    for c in [&a, &b] {
        c.goto(&link).await.unwrap();
        click(c, "exchange-now").await;
        click(c, "acknowledge").await;
    }
    // Both confirm at once.
    let (ra, rb) = tokio::join!(click(&a, "confirm"), click(&b, "confirm"));
    let _ = (ra, rb);
    for (c, name) in [(&a, "tab-a"), (&b, "tab-b")] {
        assert!(
            text_of(c, "result").await.contains("29 credits"),
            "{name} tells the truth"
        );
        assert_eq!(heading(c).await, "Exchanged", "{name}");
        shot(c, &dir, name).await;
    }
    let ledger = http
        .get(&format!("/v1/accounts/{ACCOUNT}/ledger"), WEB)
        .json();
    let exchanges = ledger["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["group"]["request_kind"] == "exchange")
        .count();
    assert_eq!(exchanges, 1, "exactly one exchange");
    a.close().await.unwrap();
    b.close().await.unwrap();
}
