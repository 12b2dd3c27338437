//! Building the scopes policy expressions are checked against: which names an expression may
//! read, each resolved to a [`Slot`] that reads one [`Fact`], once, at load time.

use super::model::ParamType;
use crate::check::{Scope, Type, UnitId};
use crate::expr::Slot;
use crate::facts::Fact;
use crate::ids::ExchangeId;

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
        let rows: [(&str, Fact, Type); 11] = [
            ("account.id", Fact::AccountId, Type::Str),
            ("account.plan", Fact::AccountPlan, Type::Str),
            ("account.status", Fact::AccountStatus, Type::Str),
            ("account.mode", Fact::AccountMode, Type::Str),
            ("account.cycles", Fact::AccountCycles, Type::Int),
            ("cycle.index", Fact::CycleIndex, Type::Int),
            ("cycle.days_left", Fact::CycleDaysLeft, Type::Int),
            ("platform.name", Fact::PlatformName, Type::Str),
            ("platform.version", Fact::ClientVersion, Type::Str),
            ("request.kind", Fact::RequestKind, Type::Str),
            ("request.feature", Fact::RequestFeature, Type::Str),
        ];
        for (path, fact, ty) in rows {
            let slot = t.slot(fact);
            t.common.fact(path, slot, ty);
        }
        t.common.group("balance");
        for (i, u) in units.iter().enumerate() {
            let id = UnitId(u8::try_from(i).unwrap_or(u8::MAX));
            let slot = t.slot(Fact::Balance(id));
            t.common
                .fact(&format!("balance.{u}"), slot, Type::Amount(id));
        }
        t.common.group("account");
        t.common.group("account.exchanged");
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
            t.common
                .fact(&format!("account.exchanged.{e}"), slot, Type::Bool);
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
        scope.group("params");
        for (name, ty, index) in params {
            let slot = self.slot(Fact::Param(*index));
            let ty = match ty {
                ParamType::Int => Type::Int,
                ParamType::Decimal => Type::Dec,
                ParamType::String => Type::Str,
                ParamType::Bool => Type::Bool,
            };
            scope.fact(&format!("params.{name}"), slot, ty);
        }
        scope
    }
}
