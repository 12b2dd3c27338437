//! Deciding a feature use: may this platform consume, what does the feature cost in the units
//! the account's mode pays with (first unit that covers it wins; no partial debit), which grants
//! pay in burn-down order, and whether to show an exchange offer.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::burn::PayOrder;
use super::decision::{Charge, Outcome, Reason, RuleRef, UseDetail};
use super::error::RequestError;
use super::{Ctx, to_amount};
use crate::check::UnitId;
use crate::expr::Value;
use crate::policy::model::{Feature, ParamType};
use crate::request::ParamValue;

use crate::limits::MAX_PARAMS;

/// Decides a use of the feature named `name` with `params`.
pub(super) fn decide<'r>(
    ctx: &mut Ctx<'_, 'r>,
    name: &str,
    params: &'r BTreeMap<String, ParamValue>,
) -> Result<(), RequestError> {
    let (platform_id, platform) = ctx.platform()?;
    let policy = ctx.policy;
    let feature_id = policy.feature_id(name).ok_or_else(|| {
        RequestError::invalid(
            "feature",
            format!(
                "unknown feature `{name}`{}",
                crate::diag::suggest::hint(name, policy.features.iter().map(|f| f.name.as_str()))
            ),
        )
    })?;
    let feature = &policy.features[feature_id.0 as usize];
    let params = bind_params(feature, params)?;
    ctx.decision.use_detail = Some(UseDetail {
        feature: feature_id,
        cost: None,
        charges: Default::default(),
        offer: None,
    });
    ctx.trace(
        || format!("platforms.{}.consume", platform.name),
        None,
        || platform.consume.to_string(),
    );
    if !platform.consume {
        ctx.finish(
            Outcome::Denied,
            Some(Reason::PlatformCannotConsume {
                platform: platform_id,
            }),
        );
        return Ok(());
    }
    if !ctx.account.is_current() {
        ctx.finish(Outcome::Denied, Some(ctx.rollover_needed()));
        return Ok(());
    }
    let plan = &policy.plans[ctx.account.plan.0 as usize];
    let pays_with: &[UnitId] = plan
        .pays_with
        .iter()
        .find(|(m, _)| *m == ctx.account.mode)
        .map_or(&[], |(_, units)| units.as_slice());
    ctx.trace(
        || {
            format!(
                "plans.{}.modes.{}.pays_with",
                plan.name, policy.modes[ctx.account.mode.0 as usize]
            )
        },
        None,
        || {
            let names: Vec<&str> = pays_with
                .iter()
                .map(|u| policy.units[u.0 as usize].name.as_str())
                .collect();
            format!("[{}]", names.join(", "))
        },
    );
    // Every unit that could pay but falls short: each is a way to make the use possible.
    let mut shortfalls = crate::eval::SmallList::<Reason, 3>::default();
    let mut paid: Option<(UnitId, Decimal)> = None;
    for &unit in pays_with {
        let Some(cost) = feature.costs.iter().find(|c| c.unit == unit) else {
            continue;
        };
        let balances = ctx.account.balances;
        let values = ctx.facts(&balances, Some(feature_id), &params);
        let rule = RuleRef::Cost {
            feature: feature_id,
            unit,
        };
        let decimals = policy.units[unit.0 as usize].decimals;
        let result = ctx.eval_rule(
            || {
                format!(
                    "features.{}.cost.{}",
                    feature.name, policy.units[unit.0 as usize].name
                )
            },
            &cost.amount,
            values,
        );
        let amount = match result {
            Ok(v) => match to_amount(&v, decimals) {
                Ok(a) => a,
                Err(problem) => {
                    ctx.finish(Outcome::Error, Some(super::amount_reason(problem, rule)));
                    return Ok(());
                }
            },
            Err(e) => {
                ctx.fail(rule, e);
                return Ok(());
            }
        };
        let available = ctx.account.balances[unit.0 as usize];
        if available >= amount {
            paid = Some((unit, amount));
            break;
        }
        shortfalls.push(Reason::BalanceInsufficient {
            unit,
            needed: amount,
            available,
        });
    }
    let mut after = ctx.account.balances;
    match paid {
        Some((unit, amount)) => {
            let mut left = amount;
            let mut charges = crate::eval::SmallList::<Charge, 4>::default();
            let grants = &ctx.account.snapshot.grants;
            for i in PayOrder::new(policy, grants, unit, ctx.now) {
                if left <= Decimal::ZERO {
                    break;
                }
                let take = left.min(grants[i].remaining);
                charges.push(Charge {
                    grant: i,
                    amount: take,
                });
                left -= take;
            }
            after[unit.0 as usize] -= amount;
            if let Some(u) = &mut ctx.decision.use_detail {
                u.cost = Some((unit, amount));
                u.charges = charges;
            }
            ctx.finish(Outcome::Allowed, Some(Reason::Paid { unit, amount }));
        }
        None => match shortfalls.first().copied() {
            None => ctx.finish(
                Outcome::Denied,
                Some(Reason::FeatureNotInPlan {
                    feature: feature_id,
                }),
            ),
            Some(first) => {
                if let (Some(u), Reason::BalanceInsufficient { unit, needed, .. }) =
                    (&mut ctx.decision.use_detail, first)
                {
                    u.cost = Some((unit, needed));
                }
                ctx.decision.outcome = Outcome::Denied;
                for r in shortfalls.iter() {
                    ctx.decision.reasons.push(*r);
                }
            }
        },
    }
    let offer = super::exchange::offer(ctx, feature_id, &after, &params);
    if let Some(u) = &mut ctx.decision.use_detail {
        u.offer = offer;
    }
    Ok(())
}

/// The request's parameters as values, in the feature's declared order. Every declared
/// parameter must be sent with its declared type; nothing undeclared may be sent.
fn bind_params<'r>(
    feature: &Feature,
    params: &'r BTreeMap<String, ParamValue>,
) -> Result<[Value<'r>; MAX_PARAMS], RequestError> {
    let mut values: [Value<'r>; MAX_PARAMS] = std::array::from_fn(|_| Value::Null);
    if feature.params.len() > MAX_PARAMS || params.len() > MAX_PARAMS {
        return Err(RequestError::invalid(
            "params",
            format!("at most {MAX_PARAMS} parameters are supported"),
        ));
    }
    for name in params.keys() {
        if !feature.params.iter().any(|p| p.name == *name) {
            return Err(RequestError::invalid(
                &format!("params.{name}"),
                format!(
                    "`{}` has no parameter `{name}`{}",
                    feature.name,
                    crate::diag::suggest::hint(
                        name,
                        feature.params.iter().map(|p| p.name.as_str())
                    )
                ),
            ));
        }
    }
    for p in &feature.params {
        let field = || format!("params.{}", p.name);
        let Some(v) = params.get(&p.name) else {
            return Err(RequestError::invalid(
                &field(),
                format!(
                    "`{}` needs the parameter `{}` ({})",
                    feature.name,
                    p.name,
                    type_word(p.ty)
                ),
            ));
        };
        use ParamValue as P;
        let value = match (p.ty, v) {
            (ParamType::Int, P::Int(i)) => Value::Int(*i),
            (ParamType::Decimal, P::Int(i)) => Value::Dec(Decimal::from(*i)),
            (ParamType::Decimal, P::Text(t)) => match Decimal::from_str_exact(t.trim()) {
                Ok(d) => Value::Dec(d),
                Err(_) => {
                    return Err(RequestError::invalid(
                        &field(),
                        format!("`{t}` is not a decimal number"),
                    ));
                }
            },
            (ParamType::String, P::Text(t)) => Value::str(t),
            (ParamType::Bool, P::Bool(b)) => Value::Bool(*b),
            (ty, v) => {
                let found = match v {
                    P::Bool(b) => format!("found {b}"),
                    P::Int(i) => format!("found the whole number {i}"),
                    P::Text(t) if ty == ParamType::Int && t.trim().parse::<i64>().is_ok() => {
                        format!("found text \"{t}\"; write it without quotes")
                    }
                    P::Text(t) => format!("found text \"{t}\""),
                };
                return Err(RequestError::invalid(
                    &field(),
                    format!("`{}` must be {}, {found}", p.name, type_word(ty)),
                ));
            }
        };
        let number = match &value {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Dec(d) => Some(*d),
            _ => None,
        };
        if let Some(n) = number {
            let shown = n.normalize();
            if let Some(min) = p.min.filter(|min| n < *min) {
                return Err(RequestError::invalid(
                    &field(),
                    format!("`{}` must be at least {min}, found {shown}", p.name),
                ));
            }
            if let Some(max) = p.max.filter(|max| n > *max) {
                return Err(RequestError::invalid(
                    &field(),
                    format!("`{}` must be at most {max}, found {shown}", p.name),
                ));
            }
        }
        if let Some(slot) = values.get_mut(p.index as usize) {
            *slot = value;
        }
    }
    Ok(values)
}

fn type_word(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Int => "a whole number",
        ParamType::Decimal => "a decimal number (as text, like \"1.5\")",
        ParamType::String => "text",
        ParamType::Bool => "true or false",
    }
}

/// What `feature` costs in `unit` for a request's parameters, with no account facts (balances
/// zero, names empty): the figure impact reports use to count affordable operations. `None` when
/// the feature has no cost in that unit or the expression fails.
pub fn typical_cost(
    policy: &crate::policy::Policy,
    request: &super::Request,
    unit: UnitId,
) -> Option<Decimal> {
    let feature_id = policy.feature_id(request.feature.as_deref()?)?;
    let feature = policy.features.get(feature_id.0 as usize)?;
    let cost = feature.costs.iter().find(|c| c.unit == unit)?;
    let params = bind_params(feature, &request.params).ok()?;
    let balances = [Decimal::ZERO; super::decision::MAX_UNITS];
    let values = crate::facts::FactValues {
        balances: &balances,
        feature: &feature.name,
        feature_id: Some(feature_id),
        params: &params,
        request_kind: "use",
        ..Default::default()
    };
    let value = cost.amount.eval(policy, values).ok()?.value;
    to_amount(&value, policy.units.get(unit.0 as usize)?.decimals).ok()
}

/// A typical value for a parameter when the caller gives none: what impact reports and the
/// value per feature price a use at (45 of an int, 2.5 of a decimal, empty text, false).
pub(crate) fn typical_param(ty: ParamType) -> super::ParamValue {
    match ty {
        ParamType::Int => super::ParamValue::Int(45),
        ParamType::Decimal => super::ParamValue::Text("2.5".into()),
        ParamType::String => super::ParamValue::Text(String::new()),
        ParamType::Bool => super::ParamValue::Bool(false),
    }
}

/// A typical value for parameter `p`, within its bounds.
pub(crate) fn typical_value(p: &crate::policy::model::Param) -> super::ParamValue {
    use super::ParamValue as P;
    let clamp = |d: Decimal| {
        let d = p.min.map_or(d, |m| d.max(m));
        p.max.map_or(d, |m| d.min(m))
    };
    match typical_param(p.ty) {
        P::Int(i) => {
            let d = clamp(Decimal::from(i));
            P::Int(i64::try_from(d).unwrap_or(i))
        }
        P::Text(t) if p.ty == ParamType::Decimal => Decimal::from_str_exact(&t)
            .map(|d| P::Text(clamp(d).normalize().to_string()))
            .unwrap_or(P::Text(t)),
        other => other,
    }
}

/// A use of feature `f` with typical parameters (see [`typical_value`]).
pub(crate) fn typical_use(f: &Feature) -> super::Request {
    let mut r = super::Request::new(format!("typical {}", f.name), super::RequestKind::Use);
    r.feature = Some(f.name.clone());
    for p in &f.params {
        r.params.insert(p.name.clone(), typical_value(p));
    }
    r
}
