//! Deciding requests: a compiled policy, an account snapshot, a request and the instant `now` go
//! in; a [`Decision`] comes out, with its reasons and, for requests that change state, the exact
//! changes [`apply`](crate::apply::apply) will make.
//!
//! Deciding is pure: it borrows its inputs, never mutates them, and reads no clock, file,
//! environment or network. The same inputs give the same decision on every machine. Deciding a
//! feature use does not allocate (a test counts allocations); explaining one (`explain: true`)
//! does, to build the trace.

mod account;
mod asked;
mod burn;
// `Decision` and what it exposes are documented; the reason and change data reachable through
// `unstable` need not be.
#[cfg_attr(feature = "unstable", allow(missing_docs))]
pub mod decision;
mod error;
mod exchange;
mod quote_key;
mod rollover;
mod small;
mod time_zone;
mod use_feature;
mod validate;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

pub use crate::request::{ParamValue, QuoteRef, Request, RequestKind};
pub use decision::{
    Change, Changes, Decision, EntryKind, GrantRef, HandOff, NewGrant, Offer, Outcome, Quote,
    Reason, RuleRef, Staleness, TraceStep,
};
pub use error::RequestError;
pub use quote_key::QuoteKey;
pub use small::SmallList;
pub use use_feature::typical_cost;
pub(crate) use use_feature::{typical_use, typical_value};
pub use validate::{SnapshotProblem, validate};

use crate::account::Snapshot;
use crate::expr::Value;
use crate::facts::FactValues;
use crate::policy::Policy;
use crate::policy::model::{Expiry, FeatureId, Platform, PlatformId, Rule, RuleError, RuleValue};
use account::Account;
use asked::{Asked, check_fields};

/// How to decide. Limits are not here: a compiled policy keeps the [`Limits`](crate::Limits)
/// it was loaded with, and deciding uses those.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DecideOptions<'k> {
    /// Record the rules and expressions that decided (`--explain`). Allocates.
    pub explain: bool,
    /// Sign every quote, and refuse an exchange whose quote was altered (`quote.tampered`).
    pub quote_key: Option<&'k QuoteKey>,
}

impl DecideOptions<'_> {
    /// Options that record the rules and expressions that decided, when `explain` is true.
    pub fn explaining(explain: bool) -> DecideOptions<'static> {
        DecideOptions {
            explain,
            quote_key: None,
        }
    }

    /// The same options, signing quotes with `key`.
    pub fn with_quote_key(self, key: &QuoteKey) -> DecideOptions<'_> {
        DecideOptions {
            explain: self.explain,
            quote_key: Some(key),
        }
    }
}

/// Decides `request` for the account in `snapshot` at `now` under `policy`.
///
/// Errors are for input that cannot be decided on (a malformed request, a snapshot that does not
/// fit the policy, an instant before the account's anchor); everything else, refusals included,
/// is a [`Decision`].
pub fn decide<'a>(
    policy: &'a Policy,
    snapshot: &'a Snapshot,
    request: &'a Request,
    now: DateTime<Utc>,
    options: &DecideOptions,
) -> Result<Decision<'a>, RequestError> {
    let asked = check_fields(request)?;
    let account = Account::resolve(policy, snapshot, now)?;
    let platform = match &request.platform {
        Some(name) => Some(resolve_platform(policy, name)?),
        None => None,
    };
    let mut ctx = Ctx {
        policy,
        account: &account,
        request,
        now,
        quote_key: options.quote_key,
        decision: Decision {
            request_id: &request.id,
            kind: request.kind,
            outcome: Outcome::Denied,
            at: now,
            account: &snapshot.id,
            based_on: snapshot.version,
            policy: &policy.name,
            policy_version: &policy.version,
            cycle: account.cycle,
            platform,
            reasons: SmallList::default(),
            balances: account.balances,
            use_detail: None,
            quote: None,
            hand_off_to: None,
            changes: None,
            eligibility: None,
            hook_error: None,
            trace: options.explain.then(Vec::new),
        },
    };
    match asked {
        Asked::Use { feature, params } => use_feature::decide(&mut ctx, feature, params)?,
        Asked::Quote { exchange: name } => exchange::decide_quote(&mut ctx, name)?,
        Asked::Exchange {
            exchange: name,
            quote,
            confirm,
        } => exchange::decide_exchange(&mut ctx, name, quote, confirm)?,
        Asked::Rollover => rollover::decide(&mut ctx)?,
        Asked::Balance => decide_balance(&mut ctx),
        Asked::TimeZone { zone } => time_zone::decide(&mut ctx, zone)?,
    }
    Ok(ctx.decision)
}

/// Everything one decision reads, and the decision being built.
pub(crate) struct Ctx<'c, 'r> {
    pub policy: &'c Policy,
    pub account: &'c Account<'c>,
    /// Read only for what every kind has (id, kind, platform, client version); what a kind
    /// alone reads comes from its `Asked`.
    pub request: &'r Request,
    pub now: DateTime<Utc>,
    /// Signs quotes and checks the ones sent back, when the embedder gave a key.
    pub quote_key: Option<&'c QuoteKey>,
    pub decision: Decision<'r>,
}

impl<'c, 'r> Ctx<'c, 'r> {
    pub fn finish(&mut self, outcome: Outcome, reason: Option<Reason>) {
        self.decision.outcome = outcome;
        if let Some(r) = reason {
            self.decision.reasons.push(r);
        }
    }

    /// Records a trace step when explaining; `result` is only built then.
    pub fn trace(
        &mut self,
        rule: impl FnOnce() -> String,
        expr: Option<&Rule>,
        result: impl FnOnce() -> String,
    ) {
        if let Some(t) = &mut self.decision.trace {
            t.push(TraceStep {
                rule: rule(),
                expression: expr.map(|r| r.describe(self.policy)),
                result: result(),
            });
        }
    }

    /// Evaluates a rule (an expression or a hook) against `values`, recording it in the trace
    /// (a hook's inputs, result, operations and printed lines too) when explaining.
    pub fn eval_rule<'a>(
        &mut self,
        name: impl FnOnce() -> String,
        rule: &Rule,
        values: FactValues<'a>,
    ) -> Result<Value<'a>, RuleError> {
        let policy: &'c Policy = self.policy;
        let result = rule.eval(policy, values);
        self.trace(name, Some(rule), || {
            let hook_inputs = || {
                format!(
                    "inputs: account.cycles = {}, cycle.days_left = {}, balance = [{}], params = [{}]",
                    values.cycles,
                    values.cycle_days_left,
                    policy
                        .units
                        .iter()
                        .zip(values.balances)
                        .map(|(u, b)| format!("{} {}", u.name, b.normalize()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    values
                        .params
                        .iter()
                        .filter(|v| !matches!(v, Value::Null))
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            match &result {
                Ok(RuleValue {
                    value,
                    hook: Some(out),
                }) => format!(
                    "{value} ({} operations; {}{})",
                    out.operations,
                    hook_inputs(),
                    if out.printed.is_empty() {
                        String::new()
                    } else {
                        format!("; printed: {}", out.printed.join(" | "))
                    }
                ),
                Ok(RuleValue { value, hook: None }) => value.to_string(),
                Err(RuleError::Hook(e)) => format!("error: {e} ({})", hook_inputs()),
                Err(RuleError::Expr(e)) => format!("error: {e}"),
            }
        });
        result.map(|r| r.value)
    }

    /// Ends the decision as an error of `rule` (this request only).
    pub fn fail(&mut self, rule: RuleRef, error: RuleError) {
        let reason = match &error {
            RuleError::Expr(e) => Reason::ExpressionFailed {
                rule,
                error: e.kind,
            },
            RuleError::Hook(h) => Reason::HookFailed { rule, kind: h.kind },
        };
        if let RuleError::Hook(h) = error {
            self.decision.hook_error = Some(Box::new(h));
        }
        self.finish(Outcome::Error, Some(reason));
    }

    /// The platform the request names; every kind but `rollover` must name one.
    pub fn platform(&self) -> Result<(PlatformId, &'c Platform), RequestError> {
        let id = self
            .decision
            .platform
            .ok_or_else(|| missing(self.request.kind, "platform"))?;
        let policy: &'c Policy = self.policy;
        let p = policy
            .platforms
            .get(id.0 as usize)
            .ok_or_else(|| RequestError::invalid("platform", "unknown platform"))?;
        Ok((id, p))
    }

    /// The facts expressions read, for this account and request, with `balances`, the feature
    /// being used (if any) and its `params`.
    pub fn facts<'a>(
        &self,
        balances: &'a [Decimal],
        feature: Option<FeatureId>,
        params: &'a [Value<'a>],
    ) -> FactValues<'a>
    where
        'c: 'a,
        'r: 'a,
    {
        let s: &'c Snapshot = self.account.snapshot;
        let policy: &'c Policy = self.policy;
        let request: &'r Request = self.request;
        FactValues {
            account_id: &s.id,
            plan: &s.plan,
            status: &s.status,
            mode: &s.mode,
            cycles: self.account.cycle.index,
            exchanged: self.account.exchanged,
            balances,
            cycle_index: self.account.cycle.index,
            cycle_days_left: i64::try_from(self.account.cycle.days_left(self.now))
                .unwrap_or(i64::MAX),
            platform: self
                .decision
                .platform
                .and_then(|p| policy.platforms.get(p.0 as usize))
                .map_or("", |p| p.name.as_str()),
            client_version: request.client_version.as_deref().unwrap_or(""),
            request_kind: request.kind.as_str(),
            feature: feature
                .and_then(|f| policy.features.get(f.0 as usize))
                .map_or("", |f| f.name.as_str()),
            feature_id: feature,
            params,
        }
    }

    /// Why a use, quote or exchange waits: the account is not rolled over to the current cycle.
    pub fn rollover_needed(&self) -> Reason {
        Reason::RolloverNeeded {
            account_cycle: self.account.snapshot.cycle,
            now_cycle: self.account.cycle.index,
        }
    }

    /// When a grant made now with `expiry` expires.
    pub fn expiry_instant(&self, expiry: Expiry) -> Result<Option<DateTime<Utc>>, RequestError> {
        match expiry {
            // The current cycle is already computed; no need to ask the calendar again.
            Expiry::CycleEnd => Ok(Some(self.account.cycle.end)),
            _ => expiry_after(&self.account.calendar, self.account.cycle.index, expiry),
        }
    }

    /// Whether the client's version meets the platform's `min_version`.
    pub fn client_recent_enough(&self, platform: &Platform) -> bool {
        match &platform.min_version {
            None => true,
            Some(min) => self
                .request
                .client_version
                .as_deref()
                .is_some_and(|v| version_at_least(v, min)),
        }
    }
}

/// When a grant made in cycle `index` with `expiry` expires.
pub(crate) fn expiry_after(
    calendar: &crate::cycle::Calendar,
    index: i64,
    expiry: Expiry,
) -> Result<Option<DateTime<Utc>>, RequestError> {
    let end_of = |i: i64| {
        calendar
            .cycle(i)
            .map(|c| Some(c.end))
            .map_err(RequestError::Cycle)
    };
    match expiry {
        Expiry::CycleEnd => end_of(index),
        Expiry::NextCycleEnd => end_of(index + 1),
        Expiry::Never => Ok(None),
    }
}

/// `6.1.2` is at least `[6, 0]`; missing parts count as 0. Text that is not a version is not.
pub(crate) fn version_at_least(version: &str, min: &[u32]) -> bool {
    let mut parts = version.trim().split('.');
    for want in min {
        let have = match parts.next() {
            None => 0,
            Some(p) => match p.parse::<u32>() {
                Ok(n) => n,
                Err(_) => return false,
            },
        };
        if have != *want {
            return have > *want;
        }
    }
    parts.all(|p| p.parse::<u32>().is_ok())
}

/// Why a computed amount cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AmountProblem {
    /// Below zero, or not a number at all (a hook can return anything).
    Negative,
    /// Above [`crate::amount::MAX`].
    TooLarge,
}

/// An amount as a policy expression computed it, rounded up to the unit's decimal places, when
/// it is a number from zero to [`crate::amount::MAX`].
pub(crate) fn to_amount(value: &Value<'_>, decimals: u32) -> Result<Decimal, AmountProblem> {
    let d = match value {
        Value::Int(i) => Decimal::from(*i),
        Value::Dec(d) => *d,
        _ => return Err(AmountProblem::Negative),
    };
    let d = d.round_dp_with_strategy(decimals, RoundingStrategy::ToPositiveInfinity);
    if d < Decimal::ZERO {
        Err(AmountProblem::Negative)
    } else if d > crate::amount::MAX {
        Err(AmountProblem::TooLarge)
    } else {
        Ok(d)
    }
}

/// The reason a computed amount is refused with.
pub(crate) fn amount_reason(problem: AmountProblem, rule: RuleRef) -> Reason {
    match problem {
        AmountProblem::Negative => Reason::NegativeAmount { rule },
        AmountProblem::TooLarge => Reason::AmountTooLarge { rule },
    }
}

fn missing(kind: RequestKind, field: &str) -> RequestError {
    RequestError::invalid(
        field,
        format!("a `{}` request needs `{field}`", kind.as_str()),
    )
}

fn resolve_platform(policy: &Policy, name: &str) -> Result<PlatformId, RequestError> {
    policy.platform_id(name).ok_or_else(|| {
        RequestError::invalid(
            "platform",
            format!(
                "unknown platform `{name}`{}",
                crate::diag::suggest::hint(name, policy.platforms.iter().map(|p| p.name.as_str()))
            ),
        )
    })
}

fn decide_balance(ctx: &mut Ctx<'_, '_>) {
    let Ok((id, platform)) = ctx.platform() else {
        return;
    };
    if platform.show_balance {
        ctx.finish(Outcome::Shown, None);
    } else {
        ctx.finish(
            Outcome::Denied,
            Some(Reason::PlatformCannotShowBalance { platform: id }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::version_at_least;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_at_least("6.0", &[6, 0]));
        assert!(version_at_least("6", &[6, 0]));
        assert!(version_at_least("6.10", &[6, 9]));
        assert!(version_at_least("7.0.1", &[6, 0]));
        assert!(!version_at_least("5.9.9", &[6, 0]));
        assert!(!version_at_least("six", &[6, 0]));
        assert!(!version_at_least("6.0-beta", &[6, 0]));
    }
}
