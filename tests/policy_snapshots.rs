//! This repository's own CI snapshot of its policies: every policy decides the standard requests
//! (every feature on every platform, quotes, the exchange, the balance) for every account of a
//! small committed corpus, one line each, so a change to a policy shows up as a reviewable diff.
//! The first test is the README's "Testing policy changes in CI" example, verbatim.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// README example: start
use quotient::testing::corpus;
use quotient::{Limits, testing};

#[test]
fn capcut_pro_decisions_over_the_sample_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = quotient::load_paths(&[root.join("policies/capcut-pro.yaml")], &Limits::default());
    let policy = loaded
        .single()
        .and_then(|set| set.latest())
        .expect("the policy loads");
    let file = std::fs::File::open(root.join("examples/corpus/capcut-pro.jsonl")).expect("corpus");
    let accounts: Vec<_> = corpus::read_jsonl(std::io::BufReader::new(file))
        .collect::<Result<_, _>>()
        .expect("every account reads");
    let at = "2026-04-15T12:00:00Z".parse().expect("an instant");
    let lines = testing::decisions(policy, &accounts, None, at);
    let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n"));
}
// README example: end

#[test]
fn lumen_studio_decisions_over_the_sample_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = quotient::load_paths(
        &[root.join("policies/lumen-studio.yaml")],
        &Limits::default(),
    );
    let policy = loaded
        .single()
        .and_then(|set| set.latest())
        .expect("the policy loads");
    let file =
        std::fs::File::open(root.join("examples/corpus/lumen-studio.jsonl")).expect("corpus");
    let accounts: Vec<_> = corpus::read_jsonl(std::io::BufReader::new(file))
        .collect::<Result<_, _>>()
        .expect("every account reads");
    let at = "2026-04-15T12:00:00Z".parse().expect("an instant");
    let lines = testing::decisions(policy, &accounts, None, at);
    let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n"));
}

#[test]
fn the_readme_shows_this_example_verbatim() {
    let this = include_str!("policy_snapshots.rs");
    let start = this
        .find("// README example: start\n")
        .expect("start marker")
        + 25;
    let end = this.find("// README example: end").expect("end marker");
    let example = &this[start..end];
    let readme = include_str!("../README.md");
    assert!(
        readme.contains(example),
        "README.md's \"Testing policy changes in CI\" example differs from tests/policy_snapshots.rs"
    );
}
