//! Malformed account snapshots under `tests/inputs/accounts/`: each gets every problem listed
//! with the field it is in (or the line and column for JSON that does not parse). The sample
//! accounts in `examples/accounts/` are valid.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

mod common;

fn capcut() -> std::sync::Arc<quotient::Policy> {
    common::policy("policies/capcut-pro.yaml")
}

fn problems(text: &str, policy: &quotient::Policy) -> Vec<String> {
    match quotient::Snapshot::from_json(text) {
        Ok(s) => quotient::validate(&s, policy)
            .iter()
            .map(ToString::to_string)
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn malformed_snapshots_are_reported_field_by_field() {
    let policy = capcut();
    insta::glob!("inputs/accounts/*.json", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        let found = problems(&text, &policy);
        assert!(!found.is_empty(), "{} should have problems", path.display());
        insta::assert_snapshot!(found.join("\n"));
    });
}

#[test]
fn sample_accounts_are_valid() {
    let policy = capcut();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/accounts");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("examples/accounts exists") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        assert_eq!(
            problems(&text, &policy),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen > 0);
}

/// DOMAIN bounds for hostile sizes: a document past 16 MiB is refused before it is parsed, and an
/// account with more grants than an account may hold is refused by `validate` and by `decide`
/// (so deciding never walks 40 000 grants).
#[test]
fn oversized_snapshots_are_refused_by_documented_bounds() {
    let policy = capcut();
    let grant = |i: usize| {
        format!(
            r#"{{"id": "g{i}", "unit": "credit", "amount": "1", "remaining": "1",
                "effective": "2026-03-31T14:00:00Z", "source": "top_up"}}"#
        )
    };
    let account = |grants: usize, padding: usize| {
        let list: Vec<String> = (0..grants).map(grant).collect();
        format!(
            r#"{{"id": "acct-{}", "plan": "pro", "status": "active", "time_zone": "UTC",
                "anchor": "2026-01-31T15:00:00Z", "mode": "credits", "version": 1, "cycle": 2,
                "grants": [{}]}}"#,
            "x".repeat(padding),
            list.join(",")
        )
    };
    // 100 MB: refused by size, as JSON and through `read`.
    let huge = account(1, 100 << 20);
    let e = quotient::Snapshot::from_json(&huge).expect_err("too large");
    assert!(e.to_string().contains("more than the 16777216"), "{e}");
    let e = quotient::Snapshot::read("huge.json", &huge).expect_err("too large");
    assert!(
        e.to_string().starts_with("huge.json: the document is"),
        "{e}"
    );
    // 40 000 grants (about 6 MB, under the size bound): refused by the grant bound.
    let many = quotient::Snapshot::from_json(&account(40_000, 0)).expect("reads");
    let problems: Vec<String> = quotient::validate(&many, &policy)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p == "grants: 40000 grants, more than the 10000 an account may hold"),
        "{problems:?}"
    );
    let now = "2026-04-02T10:00:00Z".parse().expect("an instant");
    let exchange = quotient::Request::new("x", quotient::RequestKind::Exchange).on("web");
    let refused = quotient::decide(
        &policy,
        &many,
        &exchange,
        now,
        &quotient::DecideOptions::default(),
    )
    .expect_err("refused");
    assert!(refused.to_string().contains("10000"), "{refused}");
}
