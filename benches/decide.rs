//! `cargo bench --bench decide`: deciding a feature use, and deciding plus applying the help
//! page's exchange, on the CapCut policy with the sample account; then a use whose cost is a
//! rhai hook against the same rule as an expression. Timing is `benches/common`'s harness.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Utc};
use quotient::Limits;
use quotient::apply;
use quotient::{DecideOptions, ParamValue, Request, RequestKind, decide};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = quotient::load_paths(&[root.join("policies/capcut-pro.yaml")], &Limits::default());
    let Some(policy) = loaded.single().and_then(|s| s.latest()).cloned() else {
        eprintln!("capcut-pro.yaml did not load");
        std::process::exit(1);
    };
    let text = std::fs::read_to_string(root.join("examples/accounts/pro-midcycle.json"))
        .unwrap_or_default();
    let Ok(snapshot) = quotient::Snapshot::from_json(&text) else {
        eprintln!("the sample account did not read");
        std::process::exit(1);
    };
    let now: DateTime<Utc> = "2026-04-02T10:00:00Z".parse().unwrap_or_default();
    let options = DecideOptions::default();

    let mut use_image = Request::new("r-1", RequestKind::Use).on("web");
    use_image.feature = Some("ai_image_generation".into());
    let ns = common::median_ns_per_iter(100_000, || {
        let d = decide(
            &policy,
            black_box(&snapshot),
            black_box(&use_image),
            now,
            &options,
        );
        black_box(d.is_ok());
    });
    println!("decide: use ai_image_generation on web (offer checked): {ns:.0} ns per decision");

    let mut use_mobile = Request::new("r-2", RequestKind::Use).on("mobile");
    use_mobile.feature = Some("ai_image_generation".into());
    let ns = common::median_ns_per_iter(100_000, || {
        let d = decide(
            &policy,
            black_box(&snapshot),
            black_box(&use_mobile),
            now,
            &options,
        );
        black_box(d.is_ok());
    });
    println!("decide: use ai_image_generation on mobile (no offer): {ns:.0} ns per decision");

    let mut exchange = Request::new("x-1", RequestKind::Exchange).on("web");
    exchange.confirm = true;
    let ns = common::median_ns_per_iter(20_000, || {
        let Ok(d) = decide(
            &policy,
            black_box(&snapshot),
            black_box(&exchange),
            now,
            &options,
        ) else {
            return;
        };
        let t = apply(&policy, &snapshot, &d);
        black_box(t.is_ok());
    });
    println!(
        "decide + apply: the exchange on web (37 Pro uses -> 29 credits): {ns:.0} ns per transition"
    );

    // The largest account that can still exchange: 9 999 grants (the exchange opens one more;
    // `MAX_GRANTS` is 10 000 and more is refused when the snapshot is validated or decided),
    // all Pro uses, exchanged at once.
    let mut crowded = snapshot.clone();
    let template = crowded
        .grants
        .iter()
        .find(|g| g.unit == "pro_use")
        .cloned()
        .expect("the sample account holds Pro uses");
    crowded.grants = (0..quotient::MAX_GRANTS - 1)
        .map(|i| quotient::Grant {
            id: format!("top-up-{i}"),
            amount: quotient::Decimal::ONE,
            remaining: quotient::Decimal::ONE,
            source: quotient::GrantSource::TopUp,
            priority: i32::try_from(i % 7).unwrap_or(0),
            ..template.clone()
        })
        .collect();
    let checked = match decide(&policy, &crowded, &exchange, now, &options) {
        Ok(d) => match apply(&policy, &crowded, &d) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!(
                    "{:?} {:?}: {e}",
                    d.outcome(),
                    d.reason_codes().collect::<Vec<_>>()
                );
                None
            }
        },
        Err(e) => {
            eprintln!("{e}");
            None
        }
    };
    if checked.is_none_or(|t| t.ledger.entries.len() < quotient::MAX_GRANTS - 1) {
        eprintln!("the exchange over 9 999 grants did not convert every grant");
        std::process::exit(1);
    }
    let ns = common::median_ns_per_iter(20, || {
        let Ok(d) = decide(
            &policy,
            black_box(&crowded),
            black_box(&exchange),
            now,
            &options,
        ) else {
            return;
        };
        let t = apply(&policy, &crowded, &d);
        black_box(t.is_ok());
    });
    println!(
        "decide + apply: the exchange over 9 999 grants (the most an account holds, less one): {:.1} ms per transition",
        ns / 1e6
    );

    hook_against_expression(now);
}

/// One pricing rule written twice, as a rhai hook and as an expression (the hooks test's policy).
const SANDBOX_POLICY: &str = include_str!("../tests/inputs/sandbox/sandbox.yaml");

const SANDBOX_ACCOUNT: &str = include_str!("../tests/inputs/sandbox/account.json");

fn hook_against_expression(now: DateTime<Utc>) {
    let loaded = quotient::load_str("sandbox.yaml", SANDBOX_POLICY, &Limits::default());
    let Some(policy) = loaded.single().and_then(|s| s.latest()).cloned() else {
        eprintln!("the sandbox policy did not load");
        std::process::exit(1);
    };
    let Ok(account) = quotient::Snapshot::from_json(SANDBOX_ACCOUNT) else {
        eprintln!("the account did not read");
        std::process::exit(1);
    };
    let options = DecideOptions::default();
    for feature in ["batch_export_expr", "batch_export_hook"] {
        let mut r = Request::new("r", RequestKind::Use).on("studio");
        r.feature = Some(feature.into());
        r.params.insert("images".into(), ParamValue::Int(25));
        let ns = common::median_ns_per_iter(20_000, || {
            let d = decide(&policy, black_box(&account), black_box(&r), now, &options);
            black_box(d.is_ok());
        });
        println!(
            "decide: a use whose cost is {feature} (25 images -> 12 tokens): {ns:.0} ns per decision"
        );
    }
}
