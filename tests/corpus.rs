//! The synthetic account corpus: the same seed gives the same bytes, every account fits its
//! policy and can be decided on, and the population covers what decisions depend on.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, Utc};
use quotient::Policy;
use quotient::testing::corpus;

mod common;

fn policy(file: &str) -> std::sync::Arc<Policy> {
    common::policy(&format!("policies/{file}"))
}

fn at() -> DateTime<Utc> {
    "2026-04-15T12:00:00Z".parse().expect("instant")
}

#[test]
fn the_same_seed_gives_the_same_file() {
    let run = |seed: &str| {
        let (code, out, err) = common::quotient(&[
            "corpus",
            "--policy",
            "policies/capcut-pro.yaml",
            "--count",
            "500",
            "--seed",
            seed,
        ]);
        assert_eq!(code, 0, "{err}");
        out.into_bytes()
    };
    let first = run("42");
    assert_eq!(first, run("42"), "two runs with one seed differ");
    assert_ne!(first, run("43"), "another seed gives the same accounts");
    assert_eq!(first.iter().filter(|b| **b == b'\n').count(), 500);
}

#[test]
fn every_account_fits_its_policy_and_the_population_covers_what_decides() {
    for file in ["capcut-pro.yaml", "lumen-studio.yaml"] {
        let policy = policy(file);
        let mut plans_modes = BTreeSet::new();
        let mut month_end_anchors = BTreeSet::new();
        let (mut first_minute, mut last_minute, mut behind, mut exchanged, mut empty, mut full) =
            (0, 0, 0, 0, 0, 0);
        let mut count = 0;
        for s in corpus::generate(&policy, 3_000, 9, at()) {
            count += 1;
            let problems = quotient::validate(&s, &policy);
            assert!(problems.is_empty(), "{file} {}: {problems:?}", s.id);
            assert!(
                corpus::decidable(&policy, &s, at()),
                "{file} {} does not decide",
                s.id
            );
            plans_modes.insert((s.plan.clone(), s.mode.clone()));
            let calendar = policy.calendar(&s).expect("calendar");
            let cycle = calendar.cycle_at(at()).expect("cycle");
            if at() - cycle.start < Duration::minutes(1) {
                first_minute += 1;
            }
            if cycle.end - at() <= Duration::minutes(1) {
                last_minute += 1;
            }
            let local_day = s.anchor.with_timezone(&calendar.zone()).day();
            if local_day >= 28 {
                month_end_anchors.insert(local_day);
            }
            if s.cycle != Some(cycle.index) {
                behind += 1;
            }
            if !s.exchanges.is_empty() {
                exchanged += 1;
            }
            for g in &s.grants {
                if g.remaining.is_zero() {
                    empty += 1;
                }
                if g.remaining == g.amount {
                    full += 1;
                }
            }
        }
        assert_eq!(count, 3_000, "{file}: every account asked for is generated");
        // Which modes each plan has is internal to the compiled policy (`unstable`).
        let expected: BTreeSet<(String, String)> = policy
            .plans
            .iter()
            .flat_map(|p| {
                p.pays_with
                    .iter()
                    .map(|(m, _)| (p.name.clone(), policy.modes[m.0 as usize].clone()))
            })
            .collect();
        assert_eq!(plans_modes, expected, "{file}: every plan and mode");
        assert_eq!(
            month_end_anchors,
            BTreeSet::from([28, 29, 30, 31]),
            "{file}: month-end anchors"
        );
        for (what, n) in [
            ("first minute", first_minute),
            ("last minute", last_minute),
            ("a cycle behind", behind),
            ("already exchanged", exchanged),
            ("empty grants", empty),
            ("full grants", full),
        ] {
            assert!(n >= 30, "{file}: only {n} accounts {what}");
        }
    }
}

#[test]
fn a_corpus_reads_back_line_by_line() {
    let policy = policy("capcut-pro.yaml");
    let accounts: Vec<_> = corpus::generate(&policy, 50, 3, at()).collect();
    let text: String = accounts
        .iter()
        .map(|a| serde_json::to_string(a).expect("serializes") + "\n")
        .collect();
    let read: Vec<_> = corpus::read_jsonl(text.as_bytes())
        .collect::<Result<_, _>>()
        .expect("reads");
    assert_eq!(read, accounts);
    let broken = format!(
        "{}\n{{\"id\": 1}}\n",
        text.lines().next().unwrap_or_default()
    );
    let errors: Vec<String> = corpus::read_jsonl(broken.as_bytes())
        .filter_map(Result::err)
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("line 2: "), "{}", errors[0]);
}
