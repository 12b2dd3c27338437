//! Rhai hooks: broken hooks get located diagnostics (inline, in `.rhai` files, unknown variables,
//! wrong result types, imports); the sandbox ends every runaway script with a clear error for
//! that request only, and the next request on the same compiled policy still succeeds.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::{DateTime, Utc};
use quotient::Limits;
use quotient::{DecideOptions, Outcome, ParamValue, Request, RequestKind, decide};

#[test]
fn broken_hooks_report_located_diagnostics() {
    insta::glob!("inputs/hooks/*.yaml", |path| {
        let name = format!(
            "tests/inputs/hooks/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
        );
        let loaded = quotient::load_paths(
            &[Path::new(env!("CARGO_MANIFEST_DIR")).join(&name)],
            &Limits::default(),
        );
        assert!(loaded.has_errors(), "{name} should not load");
        assert!(loaded.policies().is_empty());
        let text = loaded.render_human();
        // Paths are made relative so the snapshot is the same on every machine.
        let text = text.replace(concat!(env!("CARGO_MANIFEST_DIR"), "/"), "");
        insta::assert_snapshot!(text);
    });
}

/// A policy whose features cost what runaway hooks compute, and one rule written twice.
const SANDBOX_POLICY: &str = include_str!("inputs/sandbox/sandbox.yaml");

const ACCOUNT: &str = include_str!("inputs/sandbox/account.json");

fn use_feature(feature: &str) -> Request {
    let mut r = Request::new(format!("use {feature}"), RequestKind::Use).on("studio");
    r.feature = Some(feature.into());
    if feature.starts_with("batch_export") || feature.starts_with("expression_") {
        r.params.insert("images".into(), ParamValue::Int(25));
    }
    r
}

#[test]
fn runaway_hooks_end_in_a_clear_error_and_the_policy_keeps_working() {
    // A hook that hangs would hang this test: a watchdog ends the run instead (a bound on the
    // test, not an assertion about speed).
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_secs(300));
        eprintln!("a runaway hook hung the sandbox for 5 minutes");
        std::process::exit(101);
    });
    let loaded = quotient::load_str("sandbox.yaml", SANDBOX_POLICY, &Limits::default());
    assert!(!loaded.has_errors(), "{}", loaded.render_human());
    let policy = loaded.single().and_then(|s| s.latest()).expect("loads");
    let account = quotient::Snapshot::from_json(ACCOUNT).expect("account");
    let now: DateTime<Utc> = "2026-04-02T10:00:00Z".parse().expect("instant");
    let options = DecideOptions::default();
    let mut lines = Vec::new();
    for (feature, code) in [
        ("endless_loop", "hook.limit_exceeded"),
        ("deep_recursion", "hook.limit_exceeded"),
        ("huge_string", "hook.limit_exceeded"),
        ("growing_array", "hook.limit_exceeded"),
        ("read_environment", "hook.failed"),
        ("wrong_type_at_run_time", "hook.wrong_result_type"),
        ("too_precise", "hook.wrong_result_type"),
        ("writes_its_input", "hook.failed"),
        // `sleep` costs no operations: the sandbox must not have it at all.
        ("sleeper", "hook.failed"),
        ("exits_early", "hook.failed"),
        // Amounts outside 0..=10^15: a hook's is the wrong type of result, an expression's
        // negative or too large amount each has its own code.
        ("negative_amount", "hook.wrong_result_type"),
        ("expression_negative", "eval.negative_amount"),
        ("above_the_cap", "hook.wrong_result_type"),
        ("expression_above_the_cap", "eval.amount_too_large"),
    ] {
        let request = use_feature(feature);
        let d = decide(policy, &account, &request, now, &options).expect("decides");
        assert_eq!(d.outcome(), Outcome::Error, "{feature}");
        assert_eq!(d.reason_codes().collect::<Vec<_>>(), [code], "{feature}");
        assert!(!d.changes_state(), "{feature}: an error changes nothing");
        let report = d.report(policy, &account);
        lines.push(format!(
            "{feature}: {}: {}",
            report.reasons[0].code, report.reasons[0].message
        ));
        // The same compiled policy answers the next request.
        let ordinary = use_feature("batch_export_expr");
        let next = decide(policy, &account, &ordinary, now, &options).expect("decides");
        assert_eq!(next.outcome(), Outcome::Allowed, "after {feature}");
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn a_hook_and_the_same_rule_as_an_expression_agree_and_explain_shows_the_hook() {
    let loaded = quotient::load_str("sandbox.yaml", SANDBOX_POLICY, &Limits::default());
    let policy = loaded.single().and_then(|s| s.latest()).expect("loads");
    let account = quotient::Snapshot::from_json(ACCOUNT).expect("account");
    let now: DateTime<Utc> = "2026-04-02T10:00:00Z".parse().expect("instant");
    let explain = DecideOptions::explaining(true);
    let (with_hook, with_expr) = (
        use_feature("batch_export_hook"),
        use_feature("batch_export_expr"),
    );
    let hook = decide(policy, &account, &with_hook, now, &explain).expect("decides");
    let expr = decide(policy, &account, &with_expr, now, &explain).expect("decides");
    assert_eq!(hook.outcome(), Outcome::Allowed);
    let cost = |d: &quotient::Decision<'_>| d.cost();
    assert_eq!(cost(&hook), cost(&expr));
    assert_eq!(cost(&hook), Some(12.into()));
    let text = hook.report(policy, &account).to_text();
    assert!(text.contains("hook tiered"), "{text}");
    assert!(text.contains("operations"), "{text}");
    assert!(text.contains("printed: images: 25"), "{text}");
    assert!(text.contains("account.cycles = 3"), "{text}");
}

#[test]
fn the_reference_policy_loyalty_hook_grows_with_tenure() {
    let loaded = quotient::load_paths(
        &[Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lumen-studio.yaml")],
        &Limits::default(),
    );
    let policy = loaded.single().and_then(|s| s.latest()).expect("loads");
    // The allowance a hook computes is internal to the compiled policy (`unstable`).
    let plan = policy
        .plans
        .iter()
        .find(|p| p.name == "creator")
        .expect("creator");
    let allowance = &plan.allowances[0];
    assert!(allowance.amount_hook.is_some());
    let at = |k| policy.allowance_amount(allowance, k).map(|d| d.to_string());
    assert_eq!(at(0).as_deref(), Some("500"));
    assert_eq!(at(5).as_deref(), Some("550"));
    assert_eq!(at(10).as_deref(), Some("600"));
    assert_eq!(at(40).as_deref(), Some("600"));
}
