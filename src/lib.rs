#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// The module map is in ARCHITECTURE.md: diag (diagnostics), syntax (parsing expressions),
// check (names, types, units), expr (compiled programs), policy (YAML policies), cli.

pub mod account;
pub(crate) mod amount;
pub mod apply;
pub mod check;
pub mod cli;
pub mod corpus;
pub mod cycle;
pub mod diag;
pub mod diff;
pub mod document;
pub mod eval;
pub mod expr;
pub(crate) mod facts;
pub mod hooks;
pub(crate) mod ids;
pub mod ledger;
pub mod limits;
pub mod policy;
pub(crate) mod report;
pub(crate) mod request;
pub mod standalone;
pub(crate) mod syntax;
pub mod testing;
pub mod timeline;

pub use account::Snapshot;
pub use apply::{ApplyError, Transition, apply};
pub use diag::{Code, Diagnostic};
pub use eval::{DecideOptions, Decision, Outcome, Request, RequestError, RequestKind, decide};
pub use limits::Limits;
pub use policy::{Loaded, Policy, PolicySet, load_paths, load_str};
