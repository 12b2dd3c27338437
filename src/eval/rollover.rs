//! Rolling an account over to the cycle containing `now`: for each cycle it missed, in order,
//! carry what the policy lets carry out of the allowance grants that just ended (all, a capped
//! amount or a percentage), expire and close every grant that has ended, and grant the new
//! cycle's allowance for the account's mode. Rolling over to a cycle already rolled over to
//! changes nothing. The mode is never changed here, so an exchange's switch is never undone.

use crate::limits::MAX_CATCH_UP_CYCLES;
use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::decision::{Change, Changes, EntryKind, GrantRef, NewGrant, Outcome, Reason, RuleRef};
use super::error::RequestError;
use super::{Ctx, expiry_after};
use crate::account::GrantSource;
use crate::check::UnitId;
use crate::policy::Policy;
use crate::policy::model::{Plan, Rollover};

/// Only accounts with this status receive new allowances; others still expire and carry.
pub const GRANTING_STATUS: &str = "active";

/// A grant as the rollover sees it while it plays the missed cycles.
struct Lot {
    at: GrantRef,
    unit: UnitId,
    amount: Decimal,
    remaining: Decimal,
    expires: Option<DateTime<Utc>>,
    source: GrantSource,
    open: bool,
}

pub(super) fn decide(ctx: &mut Ctx<'_, '_>) -> Result<(), RequestError> {
    let now_cycle = ctx.account.cycle.index;
    let snapshot = ctx.account.snapshot;
    if let Some(c) = snapshot.cycle {
        if c == now_cycle {
            ctx.finish(
                Outcome::Unchanged,
                Some(Reason::RolloverAlreadyDone { cycle: c }),
            );
            return Ok(());
        }
    }
    let first = snapshot.cycle.map_or(now_cycle, |c| c + 1);
    if now_cycle - first + 1 > MAX_CATCH_UP_CYCLES {
        return Err(RequestError::snapshot(
            "cycle",
            format!(
                "the account is {} cycles behind; one rollover catches up at most {MAX_CATCH_UP_CYCLES}",
                now_cycle - first + 1
            ),
        ));
    }
    let policy = ctx.policy;
    let plan = &policy.plans[ctx.account.plan.0 as usize];
    let account = ctx.account;
    let calendar = &account.calendar;
    let mut lots: Vec<Lot> = Vec::with_capacity(snapshot.grants.len() + 4);
    for (i, g) in snapshot.grants.iter().enumerate() {
        lots.push(Lot {
            at: GrantRef::Existing(i),
            unit: policy.unit_id(&g.unit).unwrap_or(UnitId(0)),
            amount: g.amount,
            remaining: g.remaining,
            expires: g.expires,
            source: g.source,
            open: true,
        });
    }
    let mut changes = Changes {
        cycle: Some(now_cycle),
        ..Changes::default()
    };
    let create = |changes: &mut Changes, lots: &mut Vec<Lot>, g: NewGrant| {
        let j = changes.new_grants.len();
        changes.new_grants.push(g);
        changes.steps.push(Change::Create(j));
        lots.push(Lot {
            at: GrantRef::New(j),
            unit: g.unit,
            amount: g.amount,
            remaining: g.amount,
            expires: g.expires,
            source: g.source,
            open: true,
        });
    };
    for k in first..=now_cycle {
        let cycle = calendar.cycle(k).map_err(RequestError::Cycle)?;
        // 1. Carry out of the allowance grants that ended at this boundary.
        let ended: Vec<usize> = (0..lots.len())
            .filter(|&i| {
                let l = &lots[i];
                l.open
                    && l.source == GrantSource::Allowance
                    && l.expires == Some(cycle.start)
                    && l.remaining > Decimal::ZERO
            })
            .collect();
        for i in ended {
            let (unit, amount, remaining, at) =
                (lots[i].unit, lots[i].amount, lots[i].remaining, lots[i].at);
            let Some((carry, expires)) =
                carry(policy, plan, ctx.account.mode, unit, amount, remaining)
            else {
                continue;
            };
            ctx.trace(
                || {
                    format!(
                        "rollover of {} into cycle {k}",
                        policy.units[unit.0 as usize].name
                    )
                },
                None,
                || format!("carry {carry} of {remaining}"),
            );
            lots[i].remaining -= carry;
            changes.steps.push(Change::Debit {
                grant: at,
                kind: EntryKind::Rollover,
                amount: carry,
            });
            create(
                &mut changes,
                &mut lots,
                NewGrant {
                    unit,
                    amount: carry,
                    effective: cycle.start,
                    expires: match expires {
                        crate::policy::model::Expiry::Never => None,
                        _ => Some(cycle.end),
                    },
                    source: GrantSource::Rollover,
                    cycle: k,
                    kind: EntryKind::Rollover,
                },
            );
        }
        // 2. Expire and close every grant that has ended.
        let threshold = if k == now_cycle { ctx.now } else { cycle.start };
        for l in lots.iter_mut() {
            if l.open && l.expires.is_some_and(|e| e <= threshold) {
                l.open = false;
                l.remaining = Decimal::ZERO;
                changes.steps.push(Change::Close(l.at));
            }
        }
        // 3. The new cycle's allowance for the account's mode.
        if snapshot.status != GRANTING_STATUS {
            continue;
        }
        for a in plan
            .allowances
            .iter()
            .filter(|a| a.mode == ctx.account.mode)
        {
            let expires = expiry_after(calendar, k, a.expires)?;
            if expires.is_some_and(|e| e <= threshold) {
                continue; // a missed cycle's allowance that could never be used
            }
            let amount = match a.amount_hook {
                None => a.amount,
                // A hook computes this cycle's amount, seeing the cycle being granted as tenure.
                Some(h) => {
                    let balances = account.balances;
                    let mut values = ctx.facts(&balances, None, &[]);
                    values.cycles = k;
                    values.cycle_index = k;
                    let unit_name = &policy.units[a.unit.0 as usize].name;
                    let rule = crate::policy::model::Rule::Hook(h);
                    match ctx.eval_rule(
                        || format!("allowance of {unit_name} for cycle {k}"),
                        &rule,
                        values,
                    ) {
                        Ok(v) => {
                            match super::to_amount(&v, policy.units[a.unit.0 as usize].decimals) {
                                Ok(amount) => amount,
                                Err(problem) => {
                                    let rule = RuleRef::Allowance { unit: a.unit };
                                    let reason = super::amount_reason(problem, rule);
                                    ctx.finish(Outcome::Error, Some(reason));
                                    return Ok(());
                                }
                            }
                        }
                        Err(e) => {
                            ctx.fail(RuleRef::Allowance { unit: a.unit }, e);
                            return Ok(());
                        }
                    }
                }
            };
            create(
                &mut changes,
                &mut lots,
                NewGrant {
                    unit: a.unit,
                    amount,
                    effective: cycle.start,
                    expires,
                    source: GrantSource::Allowance,
                    cycle: k,
                    kind: EntryKind::Grant,
                },
            );
        }
    }
    ctx.decision.changes = Some(changes);
    ctx.finish(Outcome::RolledOver, None);
    Ok(())
}

/// How much of an ended allowance grant carries, and the rule's expiry, if its plan lets any
/// carry. The rule is the allowance of the same unit in the account's mode, else in another mode
/// of the plan (a grant made before a mode switch).
fn carry(
    policy: &Policy,
    plan: &Plan,
    mode: crate::policy::model::ModeId,
    unit: UnitId,
    amount: Decimal,
    remaining: Decimal,
) -> Option<(Decimal, crate::policy::model::Expiry)> {
    let allowance = plan
        .allowances
        .iter()
        .find(|a| a.unit == unit && a.mode == mode)
        .or_else(|| plan.allowances.iter().find(|a| a.unit == unit))?;
    let decimals = policy.units[unit.0 as usize].decimals;
    let (carry, expires) = match &allowance.rollover {
        Rollover::None => return None,
        Rollover::All { expires } => (remaining, *expires),
        Rollover::Capped { max, expires } => (remaining.min(*max), *expires),
        Rollover::Percent { percent, expires } => {
            let cap = amount
                .checked_mul(*percent)?
                .checked_div(Decimal::ONE_HUNDRED)?
                .round_dp_with_strategy(decimals, RoundingStrategy::ToNegativeInfinity);
            (remaining.min(cap), *expires)
        }
    };
    (carry > Decimal::ZERO).then_some((carry, expires))
}
