//! `quotient test`: the reference policies pass their own tests with full rule coverage; a
//! deliberately broken copy fails with each case's `file:line` and a readable difference; too
//! little coverage fails `--min-coverage`; a malformed test file is refused with its location.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// `quotient test <args>`: the exit code and everything printed, as a person sees it.
fn quotient_test(args: &[&str]) -> (i32, String) {
    let (code, out, err) = common::quotient(&[&["test"], args].concat());
    (code, format!("{out}{err}"))
}

#[test]
fn the_reference_policies_pass_with_full_coverage() {
    let (code, out) = quotient_test(&["policies/", "--min-coverage", "100"]);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn a_broken_copy_fails_with_located_differences() {
    let (code, out) = quotient_test(&["tests/inputs/policy_tests/broken"]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn too_little_coverage_fails_the_threshold() {
    let (code, out) = quotient_test(&["tests/inputs/policy_tests/partial", "--min-coverage", "90"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
    assert!(out.contains("is below the required 90.0%"), "{out}");
    let (code, out) = quotient_test(&["tests/inputs/policy_tests/partial"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_malformed_test_file_is_refused_with_its_location() {
    let (code, out) = quotient_test(&["tests/inputs/policy_tests/malformed"]);
    assert_eq!(code, 2, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn the_library_run_is_sorted_and_serializable() {
    let run = quotient::testing::run_paths(
        &[std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies")],
        &quotient::Limits::default(),
    );
    assert_eq!(run.failed(), 0, "{}", run.to_text(false));
    assert!(run.passed() >= 30);
    assert!((run.min_coverage() - 100.0).abs() < f64::EPSILON);
    let json = serde_json::to_string(&run).expect("serializes");
    assert!(json.contains("\"rules\""));
}
