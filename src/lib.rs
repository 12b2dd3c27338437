#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// The public surface is this file: everything an embedder may name is re-exported below, and
// every module is private. The module map is in ARCHITECTURE.md.

mod account;
mod amount;
mod apply;
mod check;
mod corpus;
mod cycle;
mod diag;
mod diff;
mod document;
mod eval;
#[cfg_attr(feature = "unstable", allow(missing_docs))]
mod expr;
#[cfg_attr(feature = "unstable", allow(missing_docs))]
mod facts;
mod hooks;
mod ids;
mod internal_fields;
mod limits;
mod policy;
mod report;
mod request;
mod standalone;
mod syntax;
mod timeline;

pub mod ledger;
pub mod testing;

#[cfg(feature = "unstable")]
pub mod unstable;

// Loading policies.
pub use policy::{
    ExchangeInfo, FeatureInfo, HookScript, HookSource, Loaded, PlanInfo, PlatformInfo, Policy,
    PolicySet, UnitInfo, load_bytes, load_paths, load_str, load_str_with,
};

// Inputs: the account snapshot and the request, their serde formats, and validation.
pub use account::{EarlierTimeZone, ExchangeRecord, Grant, GrantSource, Snapshot};
pub use document::{DocumentError, read as read_document, read_record};
pub use eval::{SnapshotProblem, validate};
pub use request::{ParamValue, QuoteRef, Request, RequestKind};

// Deciding and applying.
pub use apply::{ApplyError, Transition, apply};
pub use eval::{
    DecideOptions, Decision, HandOff, Offer, Outcome, Quote, QuoteKey, RequestError, TraceStep,
    decide,
};

// The decision for the outside world.
pub use report::{
    ChargeReport, CostReport, CycleReport, DecisionReport, FeatureValue, HandOffReport,
    OfferReport, QuoteReport, ReasonReport,
};

// The billing calendar.
pub use cycle::{Calendar, Cycle, CycleError, Period, parse_time_zone};

// Bounds, diagnostics and free-standing expressions.
pub use diag::{Code, Diagnostic, LocatedDiagnostic, LocatedLabel, Severity};
pub use limits::{
    Limits, MAX_ACCOUNTS, MAX_BOUNDARIES, MAX_CATCH_UP_CYCLES, MAX_CYCLE_INDEX, MAX_DOCUMENT_BYTES,
    MAX_EARLIER_TIME_ZONES, MAX_EXCHANGES, MAX_GRANTS, MAX_PARAMS, MAX_UNITS,
};
pub use standalone::{Evaluation, evaluate_expression, evaluate_expression_with_json};

/// The largest amount Quotient accepts anywhere (a grant, a policy amount, a computed cost, a
/// ledger entry read from outside): 10^15.
pub const MAX_AMOUNT: rust_decimal::Decimal = amount::MAX;

/// Exact decimal amounts, as the engine uses them (re-exported so embedders name the same type).
pub use rust_decimal::Decimal;
