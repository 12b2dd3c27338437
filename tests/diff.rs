//! `quotient diff`: the CapCut policy against a variant (ratio 50 = 35, image generation 3
//! credits) over a committed corpus reports the changed decisions and amounts (Markdown
//! snapshotted, counts checked against a computation that does not use the diff module), and a
//! policy against itself reports nothing and exits 0.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

mod common;

use common::{policy, quotient};

use chrono::{DateTime, Utc};
use quotient::{DecideOptions, Outcome, Request, RequestKind, decide};
use rust_decimal::Decimal;

const CORPUS: &str = "tests/inputs/diff/capcut-accounts.jsonl";
const VARIANT: &str = "tests/inputs/diff/capcut-pro-50-35.yaml";
/// The reference policy against the variant over the committed corpus.
const DIFF: [&str; 7] = [
    "diff",
    "--base",
    "policies/capcut-pro.yaml",
    "--head",
    VARIANT,
    "--accounts",
    CORPUS,
];

#[test]
fn a_ratio_and_cost_change_is_reported_in_markdown() {
    let (code, out, _) = quotient(&DIFF);
    assert_eq!(code, 3, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn the_counts_match_an_independent_computation() {
    let (code, out, _) = quotient(&[&DIFF[..], &["--format", "json"]].concat());
    assert_eq!(code, 3);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let (base, head) = (policy("policies/capcut-pro.yaml"), policy(VARIANT));
    let at: DateTime<Utc> = "2026-04-15T12:00:00Z".parse().expect("instant");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS))
        .expect("corpus");
    let options = DecideOptions::default();
    let (mut quotes_changed, mut exchanges_changed, mut accounts) = (0u64, 0u64, 0u64);
    let mut received: BTreeMap<&str, Decimal> = BTreeMap::new();
    for line in text.lines() {
        let s = quotient::Snapshot::from_json(line).expect("account");
        accounts += 1;
        for platform in ["desktop", "mobile", "web"] {
            for kind in [RequestKind::Quote, RequestKind::Exchange] {
                let mut r = Request::new("r", kind).on(platform);
                r.client_version = Some("999.0".into());
                r.confirm = kind == RequestKind::Exchange;
                let b = decide(&base, &s, &r, at, &options).expect("decides");
                let h = decide(&head, &s, &r, at, &options).expect("decides");
                let amounts =
                    |d: &quotient::Decision<'_>| (d.outcome(), d.quote().map(|q| q.to_amount()));
                if amounts(&b) != amounts(&h) {
                    if kind == RequestKind::Quote {
                        quotes_changed += 1;
                    } else {
                        exchanges_changed += 1;
                    }
                }
                for (name, d) in [("base", &b), ("head", &h)] {
                    if d.outcome() == Outcome::Exchanged {
                        *received.entry(name).or_default() += d.quote().expect("quote").to_amount();
                    }
                }
            }
        }
    }
    assert_eq!(report["accounts"], accounts);
    assert_eq!(report["by_kind"]["quote"][1], quotes_changed);
    assert_eq!(report["by_kind"]["exchange"][1], exchanges_changed);
    assert!(quotes_changed > 0 && exchanges_changed > 0);
    // Credits granted = what exchanges gave + what the next rollovers grant (unchanged here).
    let granted = |side: &str| -> Decimal {
        report["granted"]["credit"][side]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("amount")
    };
    let rollover_credits = granted("base") - received["base"];
    assert_eq!(granted("head") - received["head"], rollover_credits);
    assert!(
        received["head"] < received["base"],
        "50 = 35 gives fewer credits than 50 = 40"
    );
}

#[test]
fn a_policy_against_itself_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("quotient-diff-self-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let corpus = dir.join("accounts.jsonl");
    let corpus = corpus.to_str().expect("utf-8 path");
    for policy in ["policies/capcut-pro.yaml", "policies/lumen-studio.yaml"] {
        let (code, _, _) = quotient(&[
            "corpus", "--policy", policy, "--count", "2000", "--seed", "5", "--out", corpus,
        ]);
        assert_eq!(code, 0);
        let (code, out, _) = quotient(&[
            "diff",
            "--base",
            policy,
            "--head",
            policy,
            "--accounts",
            corpus,
        ]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("**No decision changed**"), "{out}");
        assert!(out.contains("over **2000** accounts"), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
