//! Quoting and executing exchanges. A quote states everything a user gives up (the rounding, the
//! remainder forfeited) and is bound to the cycle, the policy version and the snapshot version;
//! execution grants exactly what was quoted or refuses. Platforms that delegate hand off with
//! nothing changed; platforms that refuse say where the exchange can be done. The offer shown
//! with a feature use lives here too: it is a quote with a place to execute it.

use chrono::Duration;
use rust_decimal::{Decimal, RoundingStrategy};

use super::Ctx;
use super::burn::PayOrder;
use super::decision::{
    Balances, Change, Changes, EntryKind, GrantRef, NewGrant, Offer, Outcome, Quote, Reason,
    RuleRef, Staleness,
};
use super::error::RequestError;
use super::quote_key::Bound;
use crate::account::GrantSource;
use crate::expr::Value;
use crate::policy::model::{Exchange, ExchangeCapability, ExchangeId, FeatureId, PlatformId};
use crate::request::QuoteRef;

/// Decides a quote of `exchange` (`None`: the policy's only one).
pub(super) fn decide_quote(
    ctx: &mut Ctx<'_, '_>,
    exchange: Option<&str>,
) -> Result<(), RequestError> {
    let Some(id) = gate(ctx, exchange)? else {
        return Ok(());
    };
    let balances = ctx.account.balances;
    if let Some(q) = quote_or_refuse(ctx, id, &balances)? {
        ctx.decision.quote = Some(q);
        ctx.finish(Outcome::Quoted, None);
    }
    Ok(())
}

/// Decides executing `exchange` (`None`: the policy's only one), accepting the quote `sent` if
/// there is one, once the user has `confirm`ed.
pub(super) fn decide_exchange(
    ctx: &mut Ctx<'_, '_>,
    exchange: Option<&str>,
    sent: Option<&QuoteRef>,
    confirm: bool,
) -> Result<(), RequestError> {
    let Some(id) = gate(ctx, exchange)? else {
        return Ok(());
    };
    let (platform_id, platform) = ctx.platform()?;
    // What Web would refuse (nothing to exchange, not exact, too much, nothing given) is refused
    // here too: handing off to a page that can only say no wastes the user's trip.
    let balances = ctx.account.balances;
    let Some(quote) = quote_or_refuse(ctx, id, &balances)? else {
        return Ok(());
    };
    if let ExchangeCapability::Delegate { to, .. } = platform.exchange {
        ctx.decision.hand_off_to = Some(to);
        let target = ctx_platform_name(ctx, to);
        ctx.trace(
            || format!("platforms.{}.exchange", platform.name),
            None,
            || format!("delegate to {target}"),
        );
        ctx.finish(
            Outcome::HandedOff,
            Some(Reason::PlatformDelegates {
                platform: platform_id,
                to,
            }),
        );
        return Ok(());
    }
    ctx.decision.quote = Some(quote);
    if let Some(sent) = sent {
        if !signed_as_sent(ctx, sent) {
            ctx.finish(Outcome::Denied, Some(Reason::QuoteTampered));
            return Ok(());
        }
        if let Some(why) = staleness(ctx, id, &quote, sent) {
            ctx.finish(Outcome::Denied, Some(Reason::QuoteStale { why }));
            return Ok(());
        }
    }
    if !confirm {
        ctx.finish(
            Outcome::ConfirmRequired,
            Some(Reason::ConfirmationRequired { exchange: id }),
        );
        return Ok(());
    }
    let changes = changes(ctx, id, &quote)?;
    ctx.decision.changes = Some(changes);
    ctx.finish(Outcome::Exchanged, None);
    Ok(())
}

/// The checks a quote and an exchange share, in the order a user would want to hear them: the
/// platform, the client version, the cycle, the one-time rule, eligibility. `None` when one of
/// them decided (the decision says why).
fn gate(ctx: &mut Ctx<'_, '_>, exchange: Option<&str>) -> Result<Option<ExchangeId>, RequestError> {
    let (platform_id, platform) = ctx.platform()?;
    let id = resolve(ctx, exchange)?;
    let policy = ctx.policy;
    let x = &policy.exchanges[id.0 as usize];
    let refuses = match ctx.request.kind {
        super::RequestKind::Quote => {
            !platform.offer && platform.exchange == ExchangeCapability::Refuse
        }
        _ => platform.exchange == ExchangeCapability::Refuse,
    };
    ctx.trace(
        || format!("platforms.{}.exchange", platform.name),
        None,
        || platform.exchange.word().to_string(),
    );
    if refuses {
        let executes_on = policy
            .platforms
            .iter()
            .position(|p| p.exchange == ExchangeCapability::Execute)
            .and_then(|i| u16::try_from(i).ok())
            .map(PlatformId);
        ctx.finish(
            Outcome::Denied,
            Some(Reason::PlatformRefuses {
                platform: platform_id,
                executes_on,
            }),
        );
        return Ok(None);
    }
    if !ctx.client_recent_enough(platform) {
        ctx.finish(
            Outcome::Denied,
            Some(Reason::ClientTooOld {
                platform: platform_id,
                version_sent: ctx.request.client_version.is_some(),
            }),
        );
        return Ok(None);
    }
    if !ctx.account.is_current() {
        ctx.finish(Outcome::Denied, Some(ctx.rollover_needed()));
        return Ok(None);
    }
    if x.one_time {
        if let Some(done) = ctx
            .account
            .snapshot
            .exchanges
            .iter()
            .find(|r| r.exchange == x.name)
        {
            ctx.finish(
                Outcome::Denied,
                Some(Reason::ExchangeAlreadyDone {
                    exchange: id,
                    at: done.at,
                }),
            );
            return Ok(None);
        }
    }
    let balances = ctx.account.balances;
    let values = ctx.facts(&balances, None, &[]);
    let eligible = ctx.eval_rule(
        || format!("exchanges.{}.eligible", x.name),
        &x.eligible,
        values,
    );
    ctx.decision.eligibility = Some((id, matches!(eligible, Ok(Value::Bool(true)))));
    match eligible {
        Ok(Value::Bool(true)) => Ok(Some(id)),
        Ok(_) => {
            ctx.finish(
                Outcome::Denied,
                Some(Reason::ExchangeNotEligible { exchange: id }),
            );
            Ok(None)
        }
        Err(e) => {
            ctx.fail(RuleRef::Eligible { exchange: id }, e);
            Ok(None)
        }
    }
}

fn ctx_platform_name<'c>(ctx: &Ctx<'c, '_>, id: PlatformId) -> &'c str {
    let policy: &'c crate::policy::Policy = ctx.policy;
    policy
        .platforms
        .get(id.0 as usize)
        .map_or("", |p| p.name.as_str())
}

/// The exchange the request names, or the policy's only one.
fn resolve(ctx: &Ctx<'_, '_>, exchange: Option<&str>) -> Result<ExchangeId, RequestError> {
    let policy = ctx.policy;
    let names = || policy.exchanges.iter().map(|e| e.name.as_str());
    match exchange {
        Some(name) => policy.exchange_id(name).ok_or_else(|| {
            RequestError::invalid(
                "exchange",
                format!(
                    "unknown exchange `{name}`{}",
                    crate::diag::suggest::hint(name, names())
                ),
            )
        }),
        None if policy.exchanges.len() == 1 => Ok(ExchangeId(0)),
        None => Err(RequestError::invalid(
            "exchange",
            format!(
                "name the exchange: the policy has {}",
                if policy.exchanges.is_empty() {
                    "none".to_string()
                } else {
                    names()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )),
    }
}

/// A quote, or a denial recorded on the decision when there is nothing to quote.
fn quote_or_refuse(
    ctx: &mut Ctx<'_, '_>,
    id: ExchangeId,
    balances: &Balances,
) -> Result<Option<Quote>, RequestError> {
    let x = &ctx.policy.exchanges[id.0 as usize];
    if balances[x.from.0 as usize] <= Decimal::ZERO {
        ctx.finish(
            Outcome::Denied,
            Some(Reason::NothingToExchange { exchange: id }),
        );
        return Ok(None);
    }
    let Some(q) = quote(ctx, id, balances, ctx.account.snapshot.version)? else {
        ctx.finish(
            Outcome::Denied,
            Some(Reason::ExchangeNotExact { exchange: id }),
        );
        return Ok(None);
    };
    if q.to_amount > crate::amount::MAX {
        ctx.finish(
            Outcome::Denied,
            Some(Reason::ExchangeAboveMaximum { exchange: id }),
        );
        return Ok(None);
    }
    if q.to_amount <= Decimal::ZERO && !x.allow_zero {
        ctx.decision.quote = Some(q);
        ctx.finish(
            Outcome::Denied,
            Some(Reason::ExchangeGivesNothing { exchange: id }),
        );
        return Ok(None);
    }
    Ok(Some(q))
}

/// What exchanging the whole usable balance of the source unit in `balances` gives now, bound
/// to `balance_version`, the account version those balances belong to. `None` when the policy
/// asks for an exact conversion and this one is not.
pub(super) fn quote(
    ctx: &Ctx<'_, '_>,
    id: ExchangeId,
    balances: &Balances,
    balance_version: u64,
) -> Result<Option<Quote>, RequestError> {
    let policy = ctx.policy;
    let x: &Exchange = &policy.exchanges[id.0 as usize];
    let from_decimals = policy.units[x.from.0 as usize].decimals;
    let to_decimals = policy.units[x.to.0 as usize].decimals;
    let balance = balances[x.from.0 as usize];
    let too_large = || {
        RequestError::snapshot(
            "grants",
            format!(
                "the `{}` balance {balance} is too large to convert",
                policy.units[x.from.0 as usize].name
            ),
        )
    };
    let Some(conversion) = x.ratio.convert(balance, to_decimals, x.rounding) else {
        return if x.rounding == crate::policy::model::Rounding::Exact {
            Ok(None)
        } else {
            Err(too_large())
        };
    };
    // What `to` costs in the source unit, rounded up to its decimals.
    let cost = |to: Decimal| -> Option<Decimal> {
        Some(
            to.checked_mul(x.ratio.from)?
                .checked_div(x.ratio.to)?
                .round_dp_with_strategy(from_decimals, RoundingStrategy::ToPositiveInfinity),
        )
    };
    let mut to = conversion.amount;
    if !x.forfeit_remainder {
        // Only what the balance can pay for is converted; the rest stays with the account.
        let step = Decimal::new(1, to_decimals);
        for _ in 0..2 {
            if to > Decimal::ZERO && cost(to).ok_or_else(too_large)? > balance {
                to -= step;
            }
        }
    }
    let converted = cost(to).ok_or_else(too_large)?.min(balance);
    let valid_until =
        (ctx.now + Duration::seconds(x.quote_valid_for_secs)).min(ctx.account.cycle.end);
    let mac = ctx.quote_key.map(|k| {
        let hex = k.mac(&Bound {
            account: &ctx.account.snapshot.id,
            exchange: &x.name,
            cycle: ctx.account.cycle.index,
            policy_version: &policy.version,
            balance_version,
            valid_until,
            from_amount: balance,
            to_amount: to,
        });
        let mut m = [0u8; 64];
        for (slot, byte) in m.iter_mut().zip(hex.bytes()) {
            *slot = byte;
        }
        m
    });
    Ok(Some(Quote {
        exchange: id,
        from_amount: balance,
        converted,
        remainder: balance - converted,
        remainder_forfeited: x.forfeit_remainder,
        to_amount: to,
        exact: conversion.exact,
        rounding: x.rounding,
        rounded: to != conversion.exact,
        grant_expires: ctx.expiry_instant(x.grant_expires)?,
        cycle: ctx.account.cycle.index,
        balance_version,
        valid_until,
        mac,
    }))
}

/// Whether the quote sent back carries the MAC its fields were signed with (always true when
/// the embedder gave no key: quotes are then checked field by field only).
fn signed_as_sent(ctx: &Ctx<'_, '_>, sent: &QuoteRef) -> bool {
    let Some(key) = ctx.quote_key else {
        return true;
    };
    let Some(mac) = sent.mac.as_deref() else {
        return false;
    };
    key.verify(
        &Bound {
            account: &ctx.account.snapshot.id,
            exchange: &sent.exchange,
            cycle: sent.cycle,
            policy_version: &sent.policy_version,
            balance_version: sent.balance_version,
            valid_until: sent.valid_until,
            from_amount: sent.from_amount,
            to_amount: sent.to_amount,
        },
        mac,
    )
}

/// Why the quote the user accepted no longer holds, if it does not.
fn staleness(ctx: &Ctx<'_, '_>, id: ExchangeId, now: &Quote, sent: &QuoteRef) -> Option<Staleness> {
    let x = &ctx.policy.exchanges[id.0 as usize];
    if sent.exchange != x.name {
        return Some(Staleness::OtherExchange);
    }
    if sent.policy_version != ctx.policy.version {
        return Some(Staleness::PolicyChanged);
    }
    if sent.cycle != now.cycle {
        return Some(Staleness::NewCycle {
            quoted: sent.cycle,
            now: now.cycle,
        });
    }
    if sent.balance_version != now.balance_version {
        return Some(Staleness::BalanceChanged {
            quoted: sent.balance_version,
            now: now.balance_version,
        });
    }
    if ctx.now >= sent.valid_until {
        return Some(Staleness::Expired {
            valid_until: sent.valid_until,
        });
    }
    if sent.from_amount != now.from_amount || sent.to_amount != now.to_amount {
        return Some(Staleness::AmountsDiffer);
    }
    None
}

/// The changes of an executed exchange: convert out (then forfeit) the source grants in
/// burn-down order, grant what was quoted, switch the mode, record the exchange.
fn changes(ctx: &Ctx<'_, '_>, id: ExchangeId, q: &Quote) -> Result<Changes, RequestError> {
    let policy = ctx.policy;
    let x = &policy.exchanges[id.0 as usize];
    let grants = &ctx.account.snapshot.grants;
    let mut steps = Vec::new();
    let mut to_convert = q.converted;
    for i in PayOrder::new(policy, grants, x.from, ctx.now) {
        let have = grants[i].remaining;
        let out = have.min(to_convert);
        if out > Decimal::ZERO {
            steps.push(Change::Debit {
                grant: GrantRef::Existing(i),
                kind: EntryKind::ConvertOut,
                amount: out,
            });
            to_convert -= out;
        }
        let rest = have - out;
        if x.forfeit_remainder && rest > Decimal::ZERO {
            steps.push(Change::Debit {
                grant: GrantRef::Existing(i),
                kind: EntryKind::Forfeit,
                amount: rest,
            });
        }
    }
    let mut new_grants = Vec::new();
    if q.to_amount > Decimal::ZERO {
        new_grants.push(NewGrant {
            unit: x.to,
            amount: q.to_amount,
            effective: ctx.now,
            expires: q.grant_expires,
            source: GrantSource::Exchange,
            cycle: q.cycle,
            kind: EntryKind::ConvertIn,
        });
        steps.push(Change::Create(0));
    }
    Ok(Changes {
        new_grants,
        steps,
        switch_mode: x.switch_mode,
        cycle: None,
        exchange: Some(*q),
        time_zone: None,
    })
}

/// The exchange offer to show with this use, if any: the platform shows offers (and the client is
/// recent enough), the feature costs the exchange's source unit, and the account is eligible with
/// the balances the use leaves.
pub(super) fn offer(
    ctx: &mut Ctx<'_, '_>,
    feature_id: FeatureId,
    after: &Balances,
    params: &[Value<'_>],
) -> Option<Offer> {
    let (_, platform) = ctx.platform().ok()?;
    if !platform.offer || !ctx.client_recent_enough(platform) {
        return None;
    }
    let feature = &ctx.policy.features[feature_id.0 as usize];
    for (i, x) in ctx.policy.exchanges.iter().enumerate() {
        let id = crate::policy::model::ExchangeId(u16::try_from(i).ok()?);
        if !feature.costs.iter().any(|c| c.unit == x.from) {
            continue;
        }
        if x.one_time && ctx.account.has_exchanged(id) {
            continue;
        }
        let values = ctx.facts(after, Some(feature_id), params);
        let eligible = ctx.eval_rule(
            || format!("exchanges.{}.eligible (offer)", x.name),
            &x.eligible,
            values,
        );
        let is_eligible = matches!(eligible, Ok(Value::Bool(true)));
        if ctx.decision.eligibility.is_none() {
            ctx.decision.eligibility = Some((id, is_eligible));
        }
        if !is_eligible {
            continue;
        }
        // The quote describes the balances after this use, which exist from the version that
        // applying the use makes: it is bound to that version, or it could never be accepted.
        let version = ctx.account.snapshot.version;
        let version = if ctx.decision.changes_state() {
            version.saturating_add(1)
        } else {
            version
        };
        let Ok(Some(quote)) = quote(ctx, id, after, version) else {
            continue;
        };
        if quote.to_amount <= Decimal::ZERO && !x.allow_zero || quote.to_amount > crate::amount::MAX
        {
            continue;
        }
        let hand_off_to = match &platform.exchange {
            crate::policy::model::ExchangeCapability::Delegate { to, .. } => Some(*to),
            _ => None,
        };
        return Some(Offer { quote, hand_off_to });
    }
    None
}
