//! The facts policy expressions can read, and the scopes that expose them by name.
//!
//! Names are resolved to [`Slot`]s once, at load time; at run time the evaluator answers a slot
//! by matching on the [`Fact`] it stands for, with no string lookup.

use super::model::{ExchangeId, ParamType};
use crate::check::{Scope, Type, UnitId};
use crate::expr::Slot;

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

/// Builds the scopes of one policy, allocating a slot per fact.
pub(super) struct FactTable {
    pub facts: Vec<Fact>,
    pub common: Scope,
}

impl FactTable {
    pub fn new(units: &[String], exchanges: &[String]) -> Self {
        let mut t = FactTable {
            facts: Vec::new(),
            common: Scope::new(units.to_vec()),
        };
        let rows: [(&str, Fact, Type, &'static str); 11] = [
            ("account.id", Fact::AccountId, Type::Str, "the account's id"),
            (
                "account.plan",
                Fact::AccountPlan,
                Type::Str,
                "the account's plan name",
            ),
            (
                "account.status",
                Fact::AccountStatus,
                Type::Str,
                "`active`, `cancelled`, ...",
            ),
            (
                "account.mode",
                Fact::AccountMode,
                Type::Str,
                "the account's allowance mode",
            ),
            (
                "account.cycles",
                Fact::AccountCycles,
                Type::Int,
                "completed cycles since the anchor",
            ),
            (
                "cycle.index",
                Fact::CycleIndex,
                Type::Int,
                "index of the current cycle",
            ),
            (
                "cycle.days_left",
                Fact::CycleDaysLeft,
                Type::Int,
                "whole days until the cycle ends",
            ),
            (
                "platform.name",
                Fact::PlatformName,
                Type::Str,
                "the platform asking",
            ),
            (
                "platform.version",
                Fact::ClientVersion,
                Type::Str,
                "the client's version",
            ),
            (
                "request.kind",
                Fact::RequestKind,
                Type::Str,
                "`use`, `quote`, `exchange`, ...",
            ),
            (
                "request.feature",
                Fact::RequestFeature,
                Type::Str,
                "the feature being used",
            ),
        ];
        for (path, fact, ty, doc) in rows {
            let slot = t.slot(fact);
            t.common.fact(path, slot, ty, doc);
        }
        t.common.group("balance", "usable balances per unit");
        for (i, u) in units.iter().enumerate() {
            let id = UnitId(u8::try_from(i).unwrap_or(u8::MAX));
            let slot = t.slot(Fact::Balance(id));
            t.common.fact(
                &format!("balance.{u}"),
                slot,
                Type::Amount(id),
                "usable balance",
            );
        }
        t.common.group("account", "the account");
        t.common
            .group("account.exchanged", "exchanges the account has done");
        t.common
            .members_are("balance", crate::diag::Code::UnknownUnit, "unit");
        t.common.members_are(
            "account.exchanged",
            crate::diag::Code::UnknownExchange,
            "exchange",
        );
        for (i, e) in exchanges.iter().enumerate() {
            let id = ExchangeId(u16::try_from(i).unwrap_or(u16::MAX));
            let slot = t.slot(Fact::Exchanged(id));
            t.common.fact(
                &format!("account.exchanged.{e}"),
                slot,
                Type::Bool,
                "whether the account did this exchange",
            );
        }
        t.common.elsewhere("params", "`params` are only visible in a feature's `cost`, for that feature's declared parameters");
        t
    }

    fn slot(&mut self, fact: Fact) -> Slot {
        if let Some(i) = self.facts.iter().position(|f| *f == fact) {
            return Slot(u16::try_from(i).unwrap_or(u16::MAX));
        }
        self.facts.push(fact);
        Slot(u16::try_from(self.facts.len() - 1).unwrap_or(u16::MAX))
    }

    /// The scope of one feature's cost expressions: the common facts plus its parameters.
    pub fn feature_scope(&mut self, params: &[(String, ParamType, u16)]) -> Scope {
        let mut scope = self.common.clone();
        scope.elsewhere.retain(|(n, _)| n != "params");
        scope.group("params", "this feature's parameters");
        for (name, ty, index) in params {
            let slot = self.slot(Fact::Param(*index));
            let ty = match ty {
                ParamType::Int => Type::Int,
                ParamType::Decimal => Type::Dec,
                ParamType::String => Type::Str,
                ParamType::Bool => Type::Bool,
            };
            scope.fact(
                &format!("params.{name}"),
                slot,
                ty,
                "a parameter of the request",
            );
        }
        scope
    }
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
