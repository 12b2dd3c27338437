//! Internals, for this repository's own tests and benchmarks only: the compiled policy model,
//! a decision's data as ids and amounts, expression values and the fact table. Behind the
//! `unstable` cargo feature, which also makes the fields of `Policy`, `Decision`, `Quote` and
//! `Offer` public (see `internal_fields!`). No stability promise; an embedder needs none of it.
//! Each test that uses it says why at its top.

pub use crate::eval::SmallList;
pub use crate::eval::decision::{Balances, Charge, UseDetail};
pub use crate::eval::{Change, Changes, EntryKind, GrantRef, NewGrant, Reason, Staleness};
pub use crate::expr::Value;
pub use crate::facts::{BoundFacts, FactValues};
pub use crate::ids::{ExchangeId, FeatureId, ModeId, PlatformId, UnitId};
pub use crate::policy::model;
