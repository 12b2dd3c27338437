//! Several versions of one policy in a directory: the version in force at an instant decides,
//! and two versions taking effect at the same instant are an error.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quotient::Code;
use quotient::Limits;
use quotient::{Policy, PolicySet};
use std::path::Path;

fn dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inputs/versions")
        .join(name)
}

#[test]
fn the_version_in_force_decides() {
    let loaded = quotient::load_paths(&[dir("capcut")], &Limits::default());
    assert!(
        loaded.diagnostics().is_empty(),
        "{:?}",
        loaded.diagnostics()
    );
    let set = loaded.single().expect("one policy with two versions");
    assert_eq!(set.versions().len(), 2);
    let at = |s: &str| {
        set.at(s.parse().expect("instant"))
            .map(|p| p.version().to_string())
    };
    assert_eq!(
        at("2026-03-01T00:00:00Z"),
        None,
        "nothing is in force before the first version"
    );
    assert_eq!(at("2026-03-16T00:00:00Z").as_deref(), Some("2026.03"));
    assert_eq!(at("2026-05-31T23:59:59Z").as_deref(), Some("2026.03"));
    assert_eq!(at("2026-06-01T00:00:00Z").as_deref(), Some("2026.06"));
    let june = set
        .at("2026-07-01T00:00:00Z".parse().expect("instant"))
        .expect("june version");
    // The ratio is internal to the compiled policy (`unstable`).
    assert_eq!(june.exchanges[0].ratio.to.to_string(), "35");
}

#[test]
fn two_versions_at_the_same_instant_conflict() {
    let loaded = quotient::load_paths(&[dir("conflict")], &Limits::default());
    assert!(loaded.policies().is_empty());
    assert!(
        loaded
            .diagnostics()
            .iter()
            .any(|d| d.code() == Code::VersionConflict),
        "{:?}",
        loaded.diagnostics()
    );
}

#[test]
fn compiled_policies_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    assert_send_sync::<PolicySet>();
}
