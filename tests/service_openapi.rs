//! `/openapi.json` tells the truth: every route the service serves is in it, and a real
//! response of each route (successes and errors) validates against the schema the document
//! gives for that route and status, with a JSON Schema validator.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::server::{ADMIN, Backend, Database, MOBILE, Options, Server, WEB, sample_account};
use serde_json::Value;

/// The schema `doc` gives for `method path` answering `status`, resolvable on its own.
fn schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path}: no {status} response in the document"
    );
    let content = response["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} {status}: no content"));
    let (_, media) = content.iter().next().expect("a media type");
    let mut schema = media["schema"].clone();
    schema["components"] = doc["components"].clone();
    schema
}

fn check(doc: &Value, method: &str, path: &str, reply: &common::server::Reply) {
    let schema = schema(doc, method, path, reply.status);
    let instance: Value = if reply
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        reply.json()
    } else {
        Value::from(reply.body.clone())
    };
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{method} {path}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {}: the response does not match its schema:\n{}\n{}",
        reply.status,
        errors.join("\n"),
        reply.body
    );
}

#[test]
fn every_route_is_documented_and_answers_as_documented() {
    let db = Database::new(&Backend::Sqlite, "openapi");
    let s = Server::start(&db, &Options::default());
    let http = s.client();
    let doc = http.send("GET", "/openapi.json", None, &[], None).json();
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    let documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    let routes = [
        ("put", "/v1/accounts/{id}"),
        ("get", "/v1/accounts/{id}"),
        ("post", "/v1/accounts/{id}/requests"),
        ("get", "/v1/accounts/{id}/ledger"),
        ("get", "/v1/accounts/{id}/events"),
        ("post", "/v1/accounts/{id}/handoffs"),
        ("post", "/v1/admin/reload"),
        ("put", "/v1/admin/clock"),
        ("get", "/openapi.json"),
        ("get", "/healthz"),
        ("get", "/metrics"),
    ];
    for (m, p) in routes {
        assert!(
            documented.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is not in /openapi.json: {documented:?}"
        );
    }

    // The validator does reject what does not match: a decision without its fields.
    let decision = schema(&doc, "post", "/v1/accounts/{id}/requests", 200);
    let validator = jsonschema::validator_for(&decision).expect("compiles");
    assert!(!validator.is_valid(&serde_json::json!({ "outcome": 3 })));

    let account = "acct-1001";
    let created = http.import(&sample_account(account));
    check(&doc, "put", "/v1/accounts/{id}", &created);
    let again = http.import(&sample_account(account));
    assert_eq!(again.status, 200);
    check(&doc, "put", "/v1/accounts/{id}", &again);
    let path = format!("/v1/accounts/{account}");
    check(&doc, "get", "/v1/accounts/{id}", &http.get(&path, MOBILE));
    check(
        &doc,
        "get",
        "/v1/accounts/{id}",
        &http.get("/v1/accounts/nobody", MOBILE),
    );
    // Decisions of every shape: a use with an offer, a hand-off, a quote, an exchange with its
    // changes, a denial, a balance; and errors.
    let requests = [
        (
            WEB,
            "w1",
            r#"{"id":"w1","kind":"use","feature":"ai_image_generation"}"#,
        ),
        (
            "demo-desktop-key",
            "d1",
            r#"{"id":"d1","kind":"exchange","client_version":"6.1","confirm":true}"#,
        ),
        (WEB, "q1", r#"{"id":"q1","kind":"quote"}"#),
        (WEB, "x1", r#"{"id":"x1","kind":"exchange","confirm":true}"#),
        (WEB, "x2", r#"{"id":"x2","kind":"exchange","confirm":true}"#),
        (MOBILE, "b1", r#"{"id":"b1","kind":"balance"}"#),
        (MOBILE, "e1", r#"{"id":"e1","kind":"use","feature":"nope"}"#),
        (MOBILE, "e2", r#"{"id":"e2","kind":"#),
    ];
    for (key, idem, body) in requests {
        let r = http.request(account, key, idem, body);
        check(&doc, "post", "/v1/accounts/{id}/requests", &r);
    }
    let r = http.send(
        "POST",
        &format!("{path}/requests"),
        None,
        &[],
        Some(r#"{"id":"x","kind":"balance"}"#),
    );
    check(&doc, "post", "/v1/accounts/{id}/requests", &r);
    check(
        &doc,
        "get",
        "/v1/accounts/{id}/ledger",
        &http.get(&format!("{path}/ledger"), WEB),
    );
    check(
        &doc,
        "post",
        "/v1/admin/reload",
        &http.send("POST", "/v1/admin/reload", Some(ADMIN), &[], None),
    );
    check(
        &doc,
        "post",
        "/v1/admin/reload",
        &http.send("POST", "/v1/admin/reload", Some(WEB), &[], None),
    );
    check(
        &doc,
        "put",
        "/v1/admin/clock",
        &http.send(
            "PUT",
            "/v1/admin/clock",
            Some(ADMIN),
            &[],
            Some(r#"{"now":"2026-04-03T10:00:00Z"}"#),
        ),
    );
    check(
        &doc,
        "get",
        "/healthz",
        &http.send("GET", "/healthz", None, &[], None),
    );
    check(
        &doc,
        "get",
        "/metrics",
        &http.send("GET", "/metrics", None, &[], None),
    );
    check(
        &doc,
        "get",
        "/openapi.json",
        &http.send("GET", "/openapi.json", None, &[], None),
    );
    let handoff = http.send(
        "POST",
        &format!("{path}/handoffs"),
        Some("demo-desktop-key"),
        &[("x-client-version", "6.1")],
        None,
    );
    check(&doc, "post", "/v1/accounts/{id}/handoffs", &handoff);
    // The events route: its error answers as documented (the stream itself is checked in the
    // event tests).
    check(
        &doc,
        "get",
        "/v1/accounts/{id}/events",
        &http.get("/v1/accounts/nobody/events", WEB),
    );
}
