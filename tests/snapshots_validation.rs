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
