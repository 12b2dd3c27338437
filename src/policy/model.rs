//! The checked policy: every name resolved to an index, every expression compiled. This is what
//! the evaluator reads; it is immutable, `Send + Sync`, and shared across threads.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::check::UnitId;
use crate::expr::Program;
use crate::facts::{BoundFacts, Fact, FactValues};
use crate::limits::Limits;

pub use crate::ids::{ExchangeId, FeatureId, ModeId, PlanId, PlatformId};

crate::internal_fields::internal_fields! {
    /// A compiled policy version: every name resolved to an index, every expression compiled. Immutable and `Send + Sync`; share one `Arc<Policy>` across threads.
    #[derive(Debug, Clone)]
    pub struct Policy {
        name: String,
        version: String,
        effective_from: DateTime<Utc>,
        /// The file it was read from.
        file: String,
        units: Vec<Unit>,
        cycle: CycleRule,
        modes: Vec<String>,
        plans: Vec<Plan>,
        features: Vec<Feature>,
        platforms: Vec<Platform>,
        exchanges: Vec<Exchange>,
        burn_down: Vec<BurnKey>,
        /// What each expression slot reads (`Slot(i)` reads `facts[i]`).
        facts: Vec<Fact>,
        /// Compiled rhai hooks and their sandbox.
        hooks: crate::hooks::HookSet,
        /// The limits it was loaded with; deciding uses these, never a default.
        limits: Limits,
    }
}

/// A rule where the policy may write an expression or name a hook.
#[derive(Debug, Clone)]
pub enum Rule {
    Expr(Program),
    Hook(crate::hooks::HookId),
}

/// Why a rule could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    Expr(crate::expr::EvalError),
    Hook(crate::hooks::HookError),
}

/// What a rule gave: its value, and for a hook the call's operations and printed lines.
#[derive(Debug, Clone)]
pub struct RuleValue<'a> {
    pub value: crate::expr::Value<'a>,
    pub hook: Option<crate::hooks::HookOutput>,
}

impl Rule {
    /// The compiled expression, when the rule is one (for the expression benchmark).
    #[cfg(feature = "unstable")]
    pub fn expression(&self) -> Option<&Program> {
        match self {
            Rule::Expr(p) => Some(p),
            Rule::Hook(_) => None,
        }
    }

    /// Evaluates the rule, an expression or a hook, against `values` under the policy's own
    /// limits. The one place that chooses between the two.
    pub fn eval<'a>(
        &self,
        policy: &Policy,
        values: FactValues<'a>,
    ) -> Result<RuleValue<'a>, RuleError> {
        match self {
            Rule::Expr(program) => {
                let env = BoundFacts {
                    table: &policy.facts,
                    values,
                };
                program
                    .eval(&env, &policy.limits)
                    .map(|value| RuleValue { value, hook: None })
                    .map_err(RuleError::Expr)
            }
            Rule::Hook(id) => policy
                .hooks
                .call(*id, &values)
                .map(|out| RuleValue {
                    value: out.value.to_value(),
                    hook: Some(out),
                })
                .map_err(RuleError::Hook),
        }
    }

    /// How `--explain` and messages show the rule: the expression, or `hook <name>`.
    pub fn describe(&self, policy: &Policy) -> String {
        match self {
            Rule::Expr(p) => p.source().to_string(),
            Rule::Hook(h) => format!(
                "hook {}",
                policy.hooks.get(*h).map_or("?", |h| h.name.as_str())
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    /// How people see it ("credits").
    pub display: String,
    /// Fixed number of decimal places every amount of this unit has.
    pub decimals: u32,
}

pub use crate::cycle::Period;

/// Which time zone cycle boundaries are computed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeZoneSource {
    /// The account's own time zone.
    Account,
    /// One fixed IANA zone for every account, such as `UTC`.
    Fixed(String),
}

#[derive(Debug, Clone)]
pub struct CycleRule {
    pub period: Period,
    pub time_zone: TimeZoneSource,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub display: String,
    /// The mode new subscribers start in.
    pub initial_mode: ModeId,
    /// What each cycle grants, per mode.
    pub allowances: Vec<Allowance>,
    /// Which units pay for features in each mode, in order of preference.
    pub pays_with: Vec<(ModeId, Vec<UnitId>)>,
}

#[derive(Debug, Clone)]
pub struct Allowance {
    pub mode: ModeId,
    pub unit: UnitId,
    /// The amount each cycle grants (0 when a hook computes it).
    pub amount: Decimal,
    /// A hook that computes the amount at each rollover instead.
    pub amount_hook: Option<crate::hooks::HookId>,
    pub expires: Expiry,
    pub rollover: Rollover,
}

/// When a grant stops being usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// At the end of the cycle it was granted in.
    CycleEnd,
    /// At the end of the cycle after the one it was granted in.
    NextCycleEnd,
    Never,
}

/// What of an allowance's unused remainder carries into the next cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollover {
    None,
    All {
        expires: Expiry,
    },
    /// At most this amount.
    Capped {
        max: Decimal,
        expires: Expiry,
    },
    /// At most this percentage of the cycle's allowance.
    Percent {
        percent: Decimal,
        expires: Expiry,
    },
}

#[derive(Debug, Clone)]
pub struct Feature {
    pub name: String,
    pub display: String,
    pub params: Vec<Param>,
    /// Cost per unit; a feature without a cost in a unit cannot be paid with it.
    pub costs: Vec<Cost>,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
    /// The smallest value a request may send (`int` and `decimal` only).
    pub min: Option<Decimal>,
    /// The largest value a request may send (`int` and `decimal` only).
    pub max: Option<Decimal>,
    /// Index into the per-request parameter array the evaluator builds.
    pub index: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    Int,
    Decimal,
    String,
    Bool,
}

#[derive(Debug, Clone)]
pub struct Cost {
    pub unit: UnitId,
    pub amount: Rule,
}

/// What a platform may do with an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeCapability {
    Execute,
    Delegate {
        to: PlatformId,
        link: Option<String>,
    },
    Refuse,
}

impl ExchangeCapability {
    /// The word the policy file uses: `execute`, `delegate` or `refuse`.
    pub fn word(&self) -> &'static str {
        match self {
            ExchangeCapability::Execute => "execute",
            ExchangeCapability::Delegate { .. } => "delegate",
            ExchangeCapability::Refuse => "refuse",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Platform {
    pub name: String,
    pub display: String,
    /// Oldest client version allowed to show the offer or start an exchange, as numbers
    /// (`6.0` is `[6, 0]`).
    pub min_version: Option<Vec<u32>>,
    pub consume: bool,
    pub show_balance: bool,
    pub offer: bool,
    pub exchange: ExchangeCapability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    Floor,
    Ceiling,
    HalfEven,
    /// Refuse unless the conversion is exact.
    Exact,
}

impl Rounding {
    /// The word the policy file uses: `floor`, `ceiling`, `half_even` or `exact`.
    pub fn word(self) -> &'static str {
        match self {
            Rounding::Floor => "floor",
            Rounding::Ceiling => "ceiling",
            Rounding::HalfEven => "half_even",
            Rounding::Exact => "exact",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ratio {
    /// `from` amount: `50` in `50 pro_use = 40 credit`.
    pub from: Decimal,
    pub to: Decimal,
}

#[derive(Debug, Clone)]
pub struct Exchange {
    pub name: String,
    pub from: UnitId,
    pub to: UnitId,
    pub ratio: Ratio,
    pub rounding: Rounding,
    pub one_time: bool,
    pub eligible: Rule,
    /// Zero what is left of `from` after converting (the help page's "remaining Pro uses are
    /// zeroed").
    pub forfeit_remainder: bool,
    pub grant_expires: Expiry,
    pub switch_mode: Option<ModeId>,
    pub quote_valid_for_secs: i64,
    /// Whether a conversion that gives nothing for something may proceed.
    pub allow_zero: bool,
    pub offer: OfferText,
}

#[derive(Debug, Clone, Default)]
pub struct OfferText {
    pub title: String,
    pub body: String,
    pub confirm: String,
    pub warning: String,
}

/// One key of the burn-down order; together they must make a total order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BurnKey {
    Priority,
    SoonestExpiry,
    Oldest,
    Id,
}

impl Policy {
    /// What `allowance` grants for cycle `index` when there is no account to ask about (the
    /// corpus generator, tests): its amount, or its hook's answer with `account.cycles =
    /// cycle.index = index` and every other fact empty. `None` when the hook fails.
    pub fn allowance_amount(&self, allowance: &Allowance, index: i64) -> Option<Decimal> {
        let Some(h) = allowance.amount_hook else {
            return Some(allowance.amount);
        };
        let balances = [Decimal::ZERO; crate::limits::MAX_UNITS];
        let facts = FactValues {
            cycles: index,
            cycle_index: index,
            balances: &balances,
            ..FactValues::default()
        };
        match Rule::Hook(h).eval(self, facts).ok()?.value {
            crate::expr::Value::Dec(d) => Some(d),
            crate::expr::Value::Int(i) => Some(Decimal::from(i)),
            _ => None,
        }
    }

    pub(crate) fn unit_names(&self) -> Vec<String> {
        self.units.iter().map(|u| u.name.clone()).collect()
    }

    pub(crate) fn unit_id(&self, name: &str) -> Option<UnitId> {
        self.units
            .iter()
            .position(|u| u.name == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(UnitId)
    }

    pub(crate) fn plan_id(&self, name: &str) -> Option<PlanId> {
        self.plans
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(PlanId)
    }

    pub(crate) fn mode_id(&self, name: &str) -> Option<ModeId> {
        self.modes
            .iter()
            .position(|m| m == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(ModeId)
    }

    pub(crate) fn feature_id(&self, name: &str) -> Option<FeatureId> {
        self.features
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(FeatureId)
    }

    pub(crate) fn platform_id(&self, name: &str) -> Option<PlatformId> {
        self.platforms
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(PlatformId)
    }

    pub(crate) fn exchange_id(&self, name: &str) -> Option<ExchangeId> {
        self.exchanges
            .iter()
            .position(|e| e.name == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(ExchangeId)
    }
}
