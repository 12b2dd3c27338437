//! The account service over HTTP, on every database this machine runs (SQLite always, a real
//! PostgreSQL at READ COMMITTED and at SERIALIZABLE when `.ci/test` started one): the help
//! page's month across platforms, who may call what, idempotent retries, a rollover applied
//! before the request that needs it, and a policy reload that is refused when the policy does
//! not load. Each test starts its own `quotient serve` on a fresh database.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::server::{
    ADMIN, DESKTOP, Database, MOBILE, Options, Server, WEB, audit, backends, sample_account,
};

const ACCOUNT: &str = "acct-1001";

fn image_use(id: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"use","feature":"ai_image_generation"}}"#)
}

fn server(db: &Database) -> Server {
    let s = Server::start(db, &Options::default());
    let created = s.client().import(&sample_account(ACCOUNT));
    assert_eq!(created.status, 201, "{}", created.body);
    s
}

#[test]
fn the_help_pages_month_across_platforms() {
    for backend in backends("the_help_pages_month_across_platforms") {
        let db = Database::new(&backend, "month");
        let s = server(&db);
        let http = s.client();
        let b = backend.name();
        // Mobile uses an AI feature: paid with a Pro use, no offer on Mobile.
        let r = http.request(ACCOUNT, MOBILE, "m-1", &image_use("m1"));
        assert_eq!(r.status, 200, "{b}: {}", r.body);
        let j = r.json();
        assert_eq!(j["outcome"], "allowed", "{b}");
        assert!(
            j.get("offer").is_none(),
            "{b}: Mobile never shows the offer"
        );
        assert_eq!(j["applied"]["version"], 8, "{b}");
        // Desktop shows the offer; its "Exchange now" hands off to Web and changes nothing.
        let r = http.request(
            ACCOUNT,
            DESKTOP,
            "d-1",
            r#"{"id":"d1","kind":"use","feature":"ai_image_generation","client_version":"6.1"}"#,
        );
        let j = r.json();
        let action = j["offer"]["action"].as_str().unwrap_or("");
        assert!(action.starts_with("open web"), "{b}: {}", r.body);
        let r = http.request(
            ACCOUNT,
            DESKTOP,
            "d-2",
            r#"{"id":"d2","kind":"exchange","client_version":"6.1","confirm":true}"#,
        );
        let j = r.json();
        assert_eq!(j["outcome"], "handed_off", "{b}: {}", r.body);
        assert!(j.get("applied").is_none(), "{b}");
        // Web quotes, then exchanges with the quote: 35 Pro uses = 28 credits.
        let q = http.send(
            "POST",
            &format!("/v1/accounts/{ACCOUNT}/requests"),
            Some(WEB),
            &[],
            Some(r#"{"id":"q1","kind":"quote"}"#),
        );
        let quote = q.json()["quote"].clone();
        assert_eq!(quote["from_amount"], "35", "{b}: {}", q.body);
        assert_eq!(quote["to_amount"], "28", "{b}");
        let exchange = serde_json::json!({
            "id": "x1", "kind": "exchange", "confirm": true,
            "quote": {
                "exchange": quote["exchange"], "cycle": quote["cycle"],
                "policy_version": quote["policy_version"], "balance_version": quote["balance_version"],
                "valid_until": quote["valid_until"], "from_amount": quote["from_amount"],
                "to_amount": quote["to_amount"], "mac": quote["mac"]
            }
        });
        // The quote is signed: stretched by a day, it is refused as tampered.
        let mut stretched = exchange.clone();
        stretched["quote"]["valid_until"] = "2026-04-03T10:15:00Z".into();
        let r = http.request(ACCOUNT, WEB, "x-0", &stretched.to_string());
        assert_eq!(
            r.json()["reasons"][0]["code"],
            "quote.tampered",
            "{b}: {}",
            r.body
        );
        // As it came, after a restart of the server (the key is kept in the database): exchanged.
        let mut s = s;
        s.crash_and_restart();
        let http = s.client();
        let r = http.request(ACCOUNT, WEB, "x-1", &exchange.to_string());
        let j = r.json();
        assert_eq!(j["outcome"], "exchanged", "{b}: {}", r.body);
        // Mobile sees the new balance at once: one account state for every platform.
        let a = http.get(&format!("/v1/accounts/{ACCOUNT}"), MOBILE).json();
        assert_eq!(a["mode"], "credits", "{b}");
        assert_eq!(a["balances"]["credit"], "28", "{b}");
        assert_eq!(a["balances"]["pro_use"], "0", "{b}");
        assert_eq!(a["version"], 10, "{b}");
        // A second exchange is refused, by the engine and (were it reached) by the database.
        let r = http.request(
            ACCOUNT,
            WEB,
            "x-2",
            r#"{"id":"x2","kind":"exchange","confirm":true}"#,
        );
        assert_eq!(
            r.json()["reasons"][0]["code"],
            "exchange.already_done",
            "{b}"
        );
        // The ledger lists the three transitions in order.
        let ledger = http
            .get(&format!("/v1/accounts/{ACCOUNT}/ledger"), WEB)
            .json();
        let seqs: Vec<u64> = ledger["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [8, 9, 10], "{b}");
        drop(s);
        let (code, out) = audit(&db.url);
        assert_eq!(code, 0, "{b}: {out}");
    }
}

#[test]
fn who_may_call_what() {
    for backend in backends("who_may_call_what") {
        let db = Database::new(&backend, "security");
        let s = server(&db);
        let http = s.client();
        let b = backend.name();
        let path = format!("/v1/accounts/{ACCOUNT}/requests");
        let body = image_use("u1");
        // (what, key, headers, body, status, code)
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Vec<(&'a str, &'a str)>,
            String,
            u16,
            &'a str,
        );
        let cases: Vec<Case> = vec![
            (
                "no key",
                None,
                vec![("idempotency-key", "k1")],
                body.clone(),
                401,
                "auth.missing_key",
            ),
            (
                "unknown key",
                Some("not-a-key"),
                vec![("idempotency-key", "k1")],
                body.clone(),
                401,
                "auth.unknown_key",
            ),
            (
                "mobile claiming web",
                Some(MOBILE),
                vec![("idempotency-key", "k1")],
                r#"{"id":"u1","kind":"use","platform":"web","feature":"ai_image_generation"}"#
                    .into(),
                403,
                "auth.platform_mismatch",
            ),
            (
                "admin key on a platform endpoint",
                Some(ADMIN),
                vec![("idempotency-key", "k1")],
                body.clone(),
                403,
                "auth.platform_key_required",
            ),
            (
                "malformed JSON",
                Some(MOBILE),
                vec![("idempotency-key", "k2")],
                "{\"id\": \"u1\", \"kind\":".into(),
                400,
                "request.malformed",
            ),
            (
                "a list",
                Some(MOBILE),
                vec![("idempotency-key", "k2")],
                "[1, 2]".into(),
                400,
                "request.malformed",
            ),
            (
                "oversized body",
                Some(MOBILE),
                vec![("idempotency-key", "k3")],
                " ".repeat(100_000),
                413,
                "request.too_large",
            ),
            (
                "no idempotency key",
                Some(MOBILE),
                vec![],
                body.clone(),
                400,
                "idempotency.key_required",
            ),
            (
                "an unknown feature",
                Some(MOBILE),
                vec![("idempotency-key", "k4")],
                r#"{"id":"u1","kind":"use","feature":"ai_image_generaton"}"#.into(),
                422,
                "request.invalid",
            ),
            (
                "a rollover from a client",
                Some(MOBILE),
                vec![("idempotency-key", "k5")],
                r#"{"id":"r1","kind":"rollover"}"#.into(),
                422,
                "request.invalid",
            ),
        ];
        for (what, key, headers, body, status, code) in cases {
            let r = http.send("POST", &path, key, &headers, Some(&body));
            assert_eq!(
                (r.status, r.code().as_str()),
                (status, code),
                "{b}: {what}: {}",
                r.body
            );
            assert!(
                !r.json()["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty()
            );
        }
        // An unknown feature's error names the field and suggests the right name.
        let r = http.send(
            "POST",
            &path,
            Some(MOBILE),
            &[("idempotency-key", "k6")],
            Some(r#"{"id":"u1","kind":"use","feature":"ai_image_generaton"}"#),
        );
        assert_eq!(r.json()["error"]["field"], "feature", "{b}");
        assert!(r.body.contains("did you mean"), "{b}: {}", r.body);
        // Malformed JSON says where.
        let r = http.send(
            "POST",
            &path,
            Some(MOBILE),
            &[("idempotency-key", "k7")],
            Some("{\"id\":"),
        );
        assert_eq!(
            r.json()["error"]["location"],
            "line 1 column 6",
            "{b}: {}",
            r.body
        );
        // Admin endpoints refuse platform keys; an unknown account is 404 for every route.
        let r = http.send("POST", "/v1/admin/reload", Some(WEB), &[], None);
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "auth.admin_only"),
            "{b}"
        );
        let r = http.send(
            "PUT",
            "/v1/accounts/acct-2",
            Some(MOBILE),
            &[],
            Some(&sample_account("acct-2")),
        );
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "auth.admin_only"),
            "{b}"
        );
        for path in ["/v1/accounts/nobody", "/v1/accounts/nobody/ledger"] {
            let r = http.get(path, WEB);
            assert_eq!(
                (r.status, r.code().as_str()),
                (404, "account.not_found"),
                "{b}: {path}"
            );
        }
        let r = http.request("nobody", WEB, "n-1", &image_use("u1"));
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "account.not_found"),
            "{b}"
        );
        let r = http.get("/v1/nowhere", WEB);
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "route.not_found"),
            "{b}"
        );
        // Importing a snapshot that does not fit the policy lists every problem.
        let mut bad: serde_json::Value = serde_json::from_str(&sample_account("acct-3")).unwrap();
        bad["plan"] = "prro".into();
        bad["grants"][0]["remaining"] = "51".into();
        let r = http.send(
            "PUT",
            "/v1/accounts/acct-3",
            Some(ADMIN),
            &[],
            Some(&bad.to_string()),
        );
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "account.invalid"),
            "{b}: {}",
            r.body
        );
        assert_eq!(
            r.json()["error"]["problems"].as_array().unwrap().len(),
            2,
            "{b}: {}",
            r.body
        );
        // Nothing above changed the account.
        let a = http.get(&format!("/v1/accounts/{ACCOUNT}"), WEB).json();
        assert_eq!(a["version"], 7, "{b}");
        assert!(!s.log().contains("panicked"), "{b}: {}", s.log());
    }
}

#[test]
fn retries_with_the_same_idempotency_key_replay_the_first_answer() {
    for backend in backends("retries_replay") {
        let db = Database::new(&backend, "idempotency");
        let s = server(&db);
        let http = s.client();
        let b = backend.name();
        let first = http.request(ACCOUNT, MOBILE, "use-1", &image_use("u1"));
        assert_eq!(first.status, 200, "{b}: {}", first.body);
        // The same key and body: the same bytes, and nothing applied twice.
        let again = http.request(ACCOUNT, MOBILE, "use-1", &image_use("u1"));
        assert_eq!(again.body, first.body, "{b}: replay is byte for byte");
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "{b}");
        let a = http.get(&format!("/v1/accounts/{ACCOUNT}"), MOBILE).json();
        assert_eq!(a["balances"]["pro_use"], "36", "{b}: one use, not two");
        // The same key with another body is refused.
        let other = http.request(ACCOUNT, MOBILE, "use-1", &image_use("u2"));
        assert_eq!(
            (other.status, other.code().as_str()),
            (422, "idempotency.key_reused"),
            "{b}"
        );
        // After other clients changed the account, the key still replays its first answer.
        let r = http.request(
            ACCOUNT,
            WEB,
            "web-1",
            r#"{"id":"x1","kind":"exchange","confirm":true}"#,
        );
        assert_eq!(r.json()["outcome"], "exchanged", "{b}");
        let late = http.request(ACCOUNT, MOBILE, "use-1", &image_use("u1"));
        assert_eq!(late.body, first.body, "{b}: still the first answer");
        // Two concurrent requests with one new key: one applies, the other is a 409 or the replay.
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let http = http.clone();
                std::thread::spawn(move || http.request(ACCOUNT, MOBILE, "use-2", &image_use("u3")))
            })
            .collect();
        let replies: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let ok: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
        assert!(!ok.is_empty(), "{b}: {replies:?}");
        for r in &replies {
            assert!(
                r.status == 200 && r.body == ok[0].body
                    || r.status == 409 && r.code() == "idempotency.in_flight",
                "{b}: {r:?}"
            );
        }
        let ledger = http
            .get(&format!("/v1/accounts/{ACCOUNT}/ledger"), WEB)
            .json();
        let uses = ledger["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["group"]["request_id"] == "u3")
            .count();
        assert_eq!(uses, 1, "{b}: the concurrent pair applied once");
    }
}

#[test]
fn a_rollover_due_is_applied_before_anyone_sees_the_account() {
    for backend in backends("rollover_first") {
        let db = Database::new(&backend, "rollover");
        let s = server(&db);
        let http = s.client();
        let b = backend.name();
        // Next month: the first read rolls the account over, in the same transaction.
        let r = http.send(
            "PUT",
            "/v1/admin/clock",
            Some(ADMIN),
            &[],
            Some(r#"{"now":"2026-05-02T10:00:00Z"}"#),
        );
        assert_eq!(r.status, 200, "{b}: {}", r.body);
        let a = http.get(&format!("/v1/accounts/{ACCOUNT}"), MOBILE).json();
        assert_eq!(a["cycle"]["index"], 3, "{b}");
        assert_eq!(
            a["balances"]["pro_use"], "50",
            "{b}: this month's allowance, not last month's"
        );
        assert_eq!(a["version"], 8, "{b}");
        // A use the same month rolls over nothing more.
        let r = http
            .request(ACCOUNT, MOBILE, "m-1", &image_use("m1"))
            .json();
        assert!(r.get("rolled_over").is_none(), "{b}: {r}");
        assert_eq!(r["applied"]["version"], 9, "{b}");
        // The month after, the use itself carries the rollover first.
        http.send(
            "PUT",
            "/v1/admin/clock",
            Some(ADMIN),
            &[],
            Some(r#"{"now":"2026-06-02T10:00:00Z"}"#),
        );
        let r = http
            .request(ACCOUNT, MOBILE, "m-2", &image_use("m2"))
            .json();
        assert_eq!(r["rolled_over"]["version"], 10, "{b}: {r}");
        assert_eq!(r["applied"]["version"], 11, "{b}");
        assert_eq!(
            r["balances"]["pro_use"], "50",
            "{b}: decided on the new month"
        );
        drop(s);
        let (code, out) = audit(&db.url);
        assert_eq!(code, 0, "{b}: {out}");
    }
}

#[test]
fn a_policy_that_does_not_load_is_refused_and_the_old_one_stays() {
    let db = Database::new(&common::server::Backend::Sqlite, "reload");
    let dir = db.dir().join("policy");
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("policies/capcut-pro.yaml").unwrap();
    let file = dir.join("capcut-pro.yaml");
    std::fs::write(&file, &good).unwrap();
    let s = Server::start(
        &db,
        &Options {
            policy: dir.display().to_string(),
            ..Options::default()
        },
    );
    let http = s.client();
    assert_eq!(http.import(&sample_account(ACCOUNT)).status, 201);
    std::fs::write(
        &file,
        good.replace("balance.pro_use > 0", "balance.pro_uses > 0"),
    )
    .unwrap();
    let r = http.send("POST", "/v1/admin/reload", Some(ADMIN), &[], None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "policy.invalid"),
        "{}",
        r.body
    );
    let problem = &r.json()["error"]["problems"][0];
    assert_eq!(problem["code"], "E0100", "{}", r.body);
    assert!(problem["line"].as_u64().is_some(), "{}", r.body);
    // The old version still decides.
    let d = http.request(ACCOUNT, WEB, "w-1", &image_use("w1")).json();
    assert_eq!(d["outcome"], "allowed");
    assert!(
        d.get("offer").is_some(),
        "the old eligibility rule still runs"
    );
    // A fixed policy reloads; SIGHUP does the same.
    std::fs::write(
        &file,
        good.replace("version: \"2026.03\"", "version: \"2026.03.1\""),
    )
    .unwrap();
    let r = http.send("POST", "/v1/admin/reload", Some(ADMIN), &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    let h = http.send("GET", "/healthz", None, &[], None).json();
    assert_eq!(h["policy"], "capcut-pro 2026.03.1");
}

#[test]
fn sigterm_lets_the_server_finish_and_exit_cleanly() {
    let db = Database::new(&common::server::Backend::Sqlite, "sigterm");
    let s = server(&db);
    let http = s.client();
    assert_eq!(
        http.request(ACCOUNT, MOBILE, "m-1", &image_use("m1"))
            .status,
        200
    );
    let status = s.terminate().expect("the server exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    let (code, out) = audit(&db.url);
    assert_eq!(code, 0, "{out}");
}
