//! The fuzz targets' seed corpus, replayed without a fuzzer: every file in
//! `fuzz/seeds/<target>/` goes through the check `cargo fuzz run <target>` runs (the code in
//! `fuzz/checks/`, mounted here as a module), so CI exercises the checks on every change and a
//! crash a fuzzing run found, added to the seeds once fixed, cannot come back unnoticed. The
//! fuzz crate itself is a workspace of its own and is not built here.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

#[path = "../fuzz/checks/mod.rs"]
mod checks;

/// The seed files of `target`, in name order.
fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// Runs `check` on every seed of `target` and fails with every seed whose check failed.
fn replay(target: &str, check: fn(&[u8]) -> checks::Checked) {
    let failures: Vec<String> = seeds(target)
        .iter()
        .filter_map(|path| {
            let data = std::fs::read(path).expect("a readable seed");
            check(&data)
                .err()
                .map(|violation| format!("{}: {violation}", path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn expr_seeds_pass_the_expr_check() {
    replay("expr", checks::expr::check);
}

#[test]
fn policy_bytes_seeds_pass_the_policy_bytes_check() {
    replay("policy_bytes", checks::policy_bytes::check);
}

#[test]
fn policy_mutations_seeds_pass_the_policy_mutations_check() {
    replay("policy_mutations", checks::policy_mutations::check);
}

#[test]
fn decide_seeds_pass_the_decide_check() {
    replay("decide", checks::decide::check);
}
