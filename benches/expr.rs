//! `cargo bench`: evaluating the help page's eligibility expression against an account's facts.
//!
//! Timing is `benches/common`'s harness: the median of 15 batches after a warm-up.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::hint::black_box;
use std::path::Path;

// An expression on its own, against a fact table, is internal: the benchmark reaches it through
// `unstable`.
use quotient::Limits;
use quotient::unstable::{BoundFacts, FactValues, Value};
use rust_decimal::Decimal;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/capcut-pro.yaml");
    let loaded = quotient::load_paths(&[path], &Limits::default());
    let Some(policy) = loaded.single().and_then(|s| s.latest()).cloned() else {
        eprintln!("capcut-pro.yaml did not load");
        std::process::exit(1);
    };
    let Some(eligible) = policy.exchanges[0].eligible.expression() else {
        eprintln!("the exchange's eligibility is not an expression");
        std::process::exit(1);
    };
    let balances = [Decimal::from(37), Decimal::ZERO];
    let params: [Value<'static>; 0] = [];
    let facts = BoundFacts {
        table: &policy.facts,
        values: FactValues {
            account_id: "acct-1",
            plan: "pro",
            status: "active",
            mode: "pro_uses",
            balances: &balances,
            platform: "web",
            request_kind: "use",
            feature: "ai_image_generation",
            params: &params,
            ..FactValues::default()
        },
    };
    let limits = Limits::default();
    let result = eligible.eval(&facts, &limits);
    assert!(
        matches!(result, Ok(Value::Bool(true))),
        "eligibility should hold: {result:?}"
    );

    let ns = common::median_ns_per_iter(100_000, || {
        let r = black_box(eligible).eval(black_box(&facts), &limits);
        black_box(r.is_ok());
    });
    println!(
        "eligibility (capcut-pro `pro_uses_to_credits.eligible`): {ns:.1} ns per evaluation (median of 15 batches)"
    );

    let Some(cost) = policy.features[1].costs[1].amount.expression() else {
        eprintln!("the script-to-video cost is not an expression");
        std::process::exit(1);
    };
    let params2 = [Value::Int(95)];
    let facts2 = BoundFacts {
        table: &policy.facts,
        values: FactValues {
            params: &params2,
            ..facts.values
        },
    };
    let ns = common::median_ns_per_iter(100_000, || {
        let r = black_box(cost).eval(black_box(&facts2), &limits);
        black_box(r.is_ok());
    });
    println!("cost expression (ai_script_to_video in credits, 95 s): {ns:.1} ns per evaluation");
}
