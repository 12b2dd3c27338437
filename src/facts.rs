//! The values an evaluation exposes to policy expressions and rhai hooks: which [`Fact`] a slot
//! reads, the [`FactValues`] of one request, and [`BoundFacts`], the [`Env`](crate::expr::Env)
//! that answers a slot by matching on its fact, with no string lookup and no allocation.
//!
//! This module sits below both `policy` (which allocates the slots) and `hooks` (which reads the
//! same values as constants), so neither depends on the other for them.

use crate::expr::Slot;
use crate::ids::{ExchangeId, FeatureId, UnitId};

/// One readable fact. `Policy::facts[slot]` says which fact a slot reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    AccountId,
    AccountPlan,
    AccountStatus,
    AccountMode,
    /// Completed cycles since the anchor (tenure).
    AccountCycles,
    /// Whether the account has done this exchange.
    Exchanged(ExchangeId),
    /// The usable balance of a unit now.
    Balance(UnitId),
    /// Index of the current cycle (0 for the first).
    CycleIndex,
    /// Whole days left until the current cycle ends.
    CycleDaysLeft,
    PlatformName,
    ClientVersion,
    RequestKind,
    /// The feature being used (empty text for other requests).
    RequestFeature,
    /// A parameter of the feature being used, by its index in the request.
    Param(u16),
}

/// The values of every fact for one evaluation, borrowed from the snapshot and request. The
/// evaluator fills one per request; nothing here allocates.
#[derive(Debug, Clone, Copy, Default)]
pub struct FactValues<'a> {
    pub account_id: &'a str,
    pub plan: &'a str,
    pub status: &'a str,
    pub mode: &'a str,
    pub cycles: i64,
    /// Bit `i` set: the account has done exchange `i`.
    pub exchanged: u64,
    /// Usable balance per unit, indexed by unit id.
    pub balances: &'a [rust_decimal::Decimal],
    pub cycle_index: i64,
    pub cycle_days_left: i64,
    pub platform: &'a str,
    pub client_version: &'a str,
    pub request_kind: &'a str,
    pub feature: &'a str,
    /// The feature being used, as an id (hooks name its parameters by it).
    pub feature_id: Option<FeatureId>,
    /// The feature's parameters, by declared index.
    pub params: &'a [crate::expr::Value<'a>],
}

/// Facts bound to a policy's slot table: the [`Env`](crate::expr::Env) expressions read.
pub struct BoundFacts<'p, 'a> {
    pub table: &'p [Fact],
    pub values: FactValues<'a>,
}

impl<'a> crate::expr::Env<'a> for BoundFacts<'_, 'a> {
    fn load(&self, slot: Slot) -> crate::expr::Value<'a> {
        use crate::expr::Value;
        let v = &self.values;
        match self.table.get(slot.0 as usize) {
            Some(Fact::AccountId) => Value::str(v.account_id),
            Some(Fact::AccountPlan) => Value::str(v.plan),
            Some(Fact::AccountStatus) => Value::str(v.status),
            Some(Fact::AccountMode) => Value::str(v.mode),
            Some(Fact::AccountCycles) => Value::Int(v.cycles),
            Some(Fact::Exchanged(id)) => {
                Value::Bool(id.0 < 64 && v.exchanged & (1u64 << id.0) != 0)
            }
            Some(Fact::Balance(u)) => {
                Value::Dec(v.balances.get(u.0 as usize).copied().unwrap_or_default())
            }
            Some(Fact::CycleIndex) => Value::Int(v.cycle_index),
            Some(Fact::CycleDaysLeft) => Value::Int(v.cycle_days_left),
            Some(Fact::PlatformName) => Value::str(v.platform),
            Some(Fact::ClientVersion) => Value::str(v.client_version),
            Some(Fact::RequestKind) => Value::str(v.request_kind),
            Some(Fact::RequestFeature) => Value::str(v.feature),
            Some(Fact::Param(i)) => v.params.get(*i as usize).cloned().unwrap_or(Value::Null),
            None => Value::Null,
        }
    }
}
