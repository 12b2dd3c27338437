//! The checks behind the fuzz targets, one module per target, shared by the cargo-fuzz crate in
//! `fuzz/` (its library) and by `tests/fuzz_corpus.rs`, which replays the committed seeds in
//! `fuzz/seeds/<target>/` through the same functions in an ordinary `cargo test`. Each check
//! takes the fuzzer's bytes and returns a [`Violation`] when an invariant does not hold; a panic
//! inside the library is a finding as well, reported by libFuzzer or by the test harness. The
//! checks do no IO: the bundled policies are compiled in with `include_str!`, and they use the
//! public API plus the `unstable` feature (to read a policy's modes and parameters). Paths
//! inside stay relative (`super::`), since `tests/fuzz_corpus.rs` mounts this directory as a
//! module rather than a crate.

pub mod decide;
pub mod expr;
pub mod policy_bytes;
pub mod policy_mutations;

mod bundled;
mod transition;

use std::fmt;

/// An invariant that did not hold, in words, with what the check saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Violation {}

/// What every check returns: `Ok` when every invariant held.
pub type Checked = Result<(), Violation>;

/// `Ok` when `holds`, else a [`Violation`] with the words `why` builds (only then).
fn ensure(holds: bool, why: impl FnOnce() -> String) -> Checked {
    if holds { Ok(()) } else { Err(Violation(why())) }
}
