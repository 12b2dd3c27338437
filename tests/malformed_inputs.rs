//! Malformed requests under `tests/inputs/requests/` and the YAML account snapshots under
//! `tests/inputs/accounts/` (the JSON ones are in `snapshots_validation.rs`), read and decided
//! the way the `eval` command does: each gets an error that says where (`file:line:column` when
//! it does not read, the field path when it reads but is wrong) and what, and nothing panics.
//!
//! Requests are decided against `policies/capcut-pro.yaml` and
//! `examples/accounts/pro-midcycle.json`; those named `lumen_*` against
//! `policies/lumen-studio.yaml` and a small Lumen account, for the parameter types CapCut does
//! not declare. Everything is decided at 2026-04-02T10:00:00Z.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use quotient::Policy;
use quotient::Snapshot;
use quotient::{DecideOptions, Request, decide};

const AT: &str = "2026-04-02T10:00:00Z";

/// A valid Lumen Studio account, to decide the `lumen_*` requests against.
const LUMEN_ACCOUNT: &str = r#"{"id": "lumen-7", "plan": "creator", "status": "active",
  "time_zone": "UTC", "anchor": "2026-01-10T00:00:00Z", "mode": "standard", "version": 3,
  "cycle": 2, "grants": [{"id": "t1", "unit": "token", "amount": "500", "remaining": "120.25",
  "effective": "2026-03-10T00:00:00Z", "expires": "2026-04-10T00:00:00Z", "source": "allowance"}]}"#;

mod common;

fn load(file: &str) -> Arc<Policy> {
    common::policy(file)
}

fn at() -> chrono::DateTime<chrono::Utc> {
    AT.parse().expect("a valid instant")
}

fn sample_account() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/accounts/pro-midcycle.json");
    let text = std::fs::read_to_string(path).expect("readable");
    quotient::read_document("pro-midcycle.json", &text).expect("the sample account reads")
}

/// The file's name alone, so that snapshots do not depend on where the repository is.
fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("a file name")
}

/// Reads and decides one request file; the error it gets, or a panic if it gets none.
fn request_error(path: &Path, policy: &Policy, snapshot: &Snapshot) -> String {
    let name = file_name(path);
    let text = std::fs::read_to_string(path).expect("readable");
    let request: Request = match quotient::read_record(name, &text) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    match decide(policy, snapshot, &request, at(), &DecideOptions::default()) {
        Ok(d) => panic!("{name} should be refused, but was decided: {d:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_requests_get_located_errors() {
    let capcut = load("policies/capcut-pro.yaml");
    let lumen = load("policies/lumen-studio.yaml");
    let capcut_account = sample_account();
    let lumen_account =
        quotient::Snapshot::from_json(LUMEN_ACCOUNT).expect("the Lumen account reads");
    assert!(quotient::validate(&lumen_account, &lumen).is_empty());
    insta::glob!("inputs/requests/*", |path| {
        let (policy, snapshot) = if file_name(path).starts_with("lumen_") {
            (&lumen, &lumen_account)
        } else {
            (&capcut, &capcut_account)
        };
        insta::assert_snapshot!(request_error(path, policy, snapshot));
    });
}

/// The requests the account corpus is decided with: one of every kind.
const EVERY_KIND: [&str; 5] = [
    r#"{ "id": "r1", "kind": "use", "platform": "web", "feature": "ai_image_generation" }"#,
    r#"{ "id": "q1", "kind": "quote", "platform": "web" }"#,
    r#"{ "id": "x1", "kind": "exchange", "platform": "web", "confirm": true }"#,
    r#"{ "id": "ro1", "kind": "rollover" }"#,
    r#"{ "id": "b1", "kind": "balance", "platform": "mobile" }"#,
];

/// Reads a YAML snapshot and lists what validation finds, then what deciding a use and a quote
/// with it says: problems only the instant reveals (a cycle ahead of it, an anchor after it, a
/// balance too large to convert) are found there. Deciding does not run the whole validation
/// (it must not allocate), so it may decide on a snapshot validation refuses.
fn account_errors(path: &Path, policy: &Policy) -> Vec<String> {
    let name = file_name(path);
    let text = std::fs::read_to_string(path).expect("readable");
    let snapshot: Snapshot = match quotient::read_record(name, &text) {
        Ok(s) => s,
        Err(e) => return vec![e.to_string()],
    };
    let mut out: Vec<String> = quotient::validate(&snapshot, policy)
        .iter()
        .map(|p| format!("{name}: {p}"))
        .collect();
    for request in &EVERY_KIND[..2] {
        let request = quotient::Request::from_json(request).expect("the request reads");
        if let Err(e) = decide(policy, &snapshot, &request, at(), &DecideOptions::default()) {
            let kind = request.kind.as_str();
            out.push(format!("{name}: deciding a {kind}: {e}"));
            break;
        }
    }
    out
}

#[test]
fn malformed_yaml_accounts_get_located_errors() {
    let capcut = load("policies/capcut-pro.yaml");
    insta::glob!("inputs/accounts/*.yaml", |path| {
        let errors = account_errors(path, &capcut);
        assert!(!errors.is_empty(), "{} should be refused", path.display());
        insta::assert_snapshot!(errors.join("\n"));
    });
}

/// Deciding never panics, whatever the snapshot: every account of the corpus that reads, valid
/// or not, is decided with a request of every kind.
#[test]
fn every_account_of_the_corpus_decides_or_errs_without_panicking() {
    let capcut = load("policies/capcut-pro.yaml");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/accounts");
    let mut decided = 0;
    for entry in std::fs::read_dir(dir).expect("tests/inputs/accounts exists") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let Ok(snapshot) = quotient::read_document::<Snapshot>(file_name(&path), &text) else {
            continue;
        };
        // Now, and a year later (a rollover catching up, quotes in a later cycle).
        for now in [at(), at() + chrono::Duration::days(365)] {
            for request in EVERY_KIND {
                let request = quotient::Request::from_json(request).expect("the request reads");
                let _ = decide(&capcut, &snapshot, &request, now, &DecideOptions::default());
                decided += 1;
            }
        }
    }
    assert!(decided > 0);
}
