//! The exchange page's defences, without a browser: every page response (a quote, a refusal,
//! the warning, a confirmation, the stylesheet) carries the security headers; a confirmation
//! without the CSRF token, with another hand-off's, or without the cookie is refused and
//! changes nothing; the hand-off token never appears in the server's logs, even at the most
//! verbose level; and the explicit `POST /v1/accounts/{id}/handoffs` endpoint works for
//! Desktop only.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::server::{
    Backend, DESKTOP, Database, Http, MOBILE, Options, Reply, Server, WEB, sample_account,
};

const ACCOUNT: &str = "acct-1001";

fn server(db: &Database) -> Server {
    let s = Server::start(
        db,
        &Options {
            extra: vec!["--exchange-page".into(), "self".into()],
            env: vec![("QUOTIENT_LOG".into(), "trace".into())],
            ..Options::default()
        },
    );
    assert_eq!(s.client().import(&sample_account(ACCOUNT)).status, 201);
    s
}

/// A fresh hand-off's token, through the explicit endpoint.
fn token(http: &Http) -> String {
    let r = http.send(
        "POST",
        &format!("/v1/accounts/{ACCOUNT}/handoffs"),
        Some(DESKTOP),
        &[("x-client-version", "6.1")],
        None,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_string();
    url.split("t=").nth(1).unwrap().to_string()
}

fn csrf(reply: &Reply) -> String {
    let cookie = reply.header("set-cookie").expect("the CSRF cookie");
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string()
}

fn assert_secure(r: &Reply, what: &str) {
    for (name, want) in [
        ("content-security-policy", "default-src 'none'"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
    ] {
        let got = r
            .header(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"));
        assert!(got.contains(want), "{what}: {name}: {got}");
    }
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'"),
        "{what}"
    );
}

fn form(http: &Http, path: &str, cookie: Option<&str>, body: &str) -> Reply {
    let cookie = cookie.map(|c| format!("quotient_exchange_csrf={c}"));
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if let Some(c) = &cookie {
        headers.push(("cookie", c));
    }
    http.send("POST", path, None, &headers, Some(body))
}

#[test]
fn every_page_is_served_with_the_security_headers() {
    let db = Database::new(&Backend::Sqlite, "page-headers");
    let s = server(&db);
    let http = s.client();
    let t = token(&http);
    let page = http.send("GET", &format!("/exchange?t={t}"), None, &[], None);
    assert_eq!(page.status, 200);
    assert_secure(&page, "the quote page");
    let c = csrf(&page);
    for (what, r) in [
        (
            "an unknown token",
            http.send("GET", "/exchange?t=00", None, &[], None),
        ),
        ("no token", http.send("GET", "/exchange", None, &[], None)),
        (
            "the stylesheet",
            http.send("GET", "/exchange/style.css", None, &[], None),
        ),
        (
            "the warning",
            form(
                &http,
                "/exchange/warning",
                Some(&c),
                &format!("t={t}&csrf={c}"),
            ),
        ),
        (
            "an unconfirmed confirmation",
            form(
                &http,
                "/exchange/confirm",
                Some(&c),
                &format!("t={t}&csrf={c}&version=7&from=37&to=29"),
            ),
        ),
        (
            "a confirmation",
            form(
                &http,
                "/exchange/confirm",
                Some(&c),
                &format!("t={t}&csrf={c}&version=7&from=37&to=29&acknowledge=yes"),
            ),
        ),
        (
            "a used link",
            http.send("GET", &format!("/exchange?t={t}"), None, &[], None),
        ),
        (
            "a refusal",
            form(&http, "/exchange/confirm", None, "t=1&csrf=2"),
        ),
    ] {
        assert_secure(&r, what);
    }
    // The token never reaches the logs, at the most verbose level.
    let log = s.log();
    assert!(log.contains("request"), "the server logged nothing: {log}");
    assert!(!log.contains(&t), "the token is in the server log");
}

#[test]
fn a_confirmation_without_this_hand_offs_csrf_token_is_refused() {
    let db = Database::new(&Backend::Sqlite, "page-csrf");
    let s = server(&db);
    let http = s.client();
    let t = token(&http);
    let other = token(&http);
    let c = csrf(&http.send("GET", &format!("/exchange?t={t}"), None, &[], None));
    let c_other = csrf(&http.send("GET", &format!("/exchange?t={other}"), None, &[], None));
    let confirm = |csrf: &str| format!("t={t}&csrf={csrf}&version=7&from=37&to=29&acknowledge=yes");
    for (what, cookie, body) in [
        (
            "no CSRF token",
            Some(c.as_str()),
            format!("t={t}&version=7&from=37&to=29&acknowledge=yes"),
        ),
        (
            "another hand-off's token",
            Some(c_other.as_str()),
            confirm(&c_other),
        ),
        ("no cookie", None, confirm(&c)),
        (
            "a cookie from another hand-off",
            Some(c_other.as_str()),
            confirm(&c),
        ),
    ] {
        let r = form(&http, "/exchange/confirm", cookie, &body);
        assert_eq!(r.status, 403, "{what}: {}", r.body);
        assert!(r.body.contains("This request was refused"), "{what}");
    }
    let a = http.get(&format!("/v1/accounts/{ACCOUNT}"), MOBILE).json();
    assert_eq!(a["mode"], "pro_uses", "nothing was exchanged");
    // With the right token and cookie it goes through, once.
    let r = form(&http, "/exchange/confirm", Some(&c), &confirm(&c));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("You exchanged 37 Pro uses for 29 credits."));
    let again = form(&http, "/exchange/confirm", Some(&c), &confirm(&c));
    assert_eq!(again.body, r.body, "a double click shows the same result");
    let a = http.get(&format!("/v1/accounts/{ACCOUNT}"), MOBILE).json();
    assert_eq!(
        (a["mode"].as_str(), a["version"].as_u64()),
        (Some("credits"), Some(8))
    );
}

#[test]
fn only_a_platform_that_hands_off_gets_hand_off_links() {
    let db = Database::new(&Backend::Sqlite, "page-endpoint");
    let s = server(&db);
    let http = s.client();
    let path = format!("/v1/accounts/{ACCOUNT}/handoffs");
    for key in [WEB, MOBILE] {
        let r = http.send("POST", &path, Some(key), &[], None);
        assert_eq!(r.status, 403, "{}", r.body);
    }
    // Desktop below 6.0 gets no link: the platform's minimum version holds.
    let r = http.send(
        "POST",
        &path,
        Some(DESKTOP),
        &[("x-client-version", "5.9")],
        None,
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "handoff.not_available"),
        "{}",
        r.body
    );
    let r = http.send(
        "POST",
        &path,
        Some(DESKTOP),
        &[("x-client-version", "6.0")],
        None,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        r.json()["expires_at"] == "2026-04-02T10:10:00Z",
        "{}",
        r.body
    );
    // After the exchange, no more links.
    http.request(
        ACCOUNT,
        WEB,
        "x-1",
        r#"{"id":"x1","kind":"exchange","confirm":true}"#,
    );
    let r = http.send(
        "POST",
        &path,
        Some(DESKTOP),
        &[("x-client-version", "6.1")],
        None,
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "handoff.not_available"),
        "{}",
        r.body
    );
}
