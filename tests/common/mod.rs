//! Helpers the integration tests share: running the `quotient` binary from the repository root,
//! and loading a policy (its newest version) by its path from the repository root.

// Test helpers may unwrap, expect and panic: a failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Each test crate includes this module and uses only what it needs.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use quotient::Limits;
use quotient::Policy;

/// Runs `quotient <args>` in the repository root: exit code, standard output, standard error.
pub fn quotient(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quotient"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `quotient <args>` in the repository root with `stdin` as its standard input (empty when
/// `None`), colour off: exit code, standard output, standard error.
pub fn quotient_with_stdin(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_quotient"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("a pipe to its standard input");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("standard input is written");
    drop(input);
    let out = child.wait_with_output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The newest version of the policy at `path` (relative to the repository root); fails the
/// test with every diagnostic when it does not load.
pub fn policy(path: &str) -> Arc<Policy> {
    let loaded = quotient::load_paths(
        &[Path::new(env!("CARGO_MANIFEST_DIR")).join(path)],
        &Limits::default(),
    );
    loaded
        .single()
        .and_then(|s| s.latest())
        .cloned()
        .unwrap_or_else(|| panic!("{path} does not load: {:?}", loaded.diagnostics()))
}

pub mod server;
