//! An account snapshot resolved against a policy for one instant: plan and mode ids, the cycle
//! containing the instant, which exchanges were done, and the usable balance per unit. Built
//! without allocating; a snapshot that does not fit the policy is refused with every problem.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::decision::{Balances, MAX_UNITS};
use super::error::RequestError;
use crate::account::Snapshot;
use crate::cycle::{Calendar, Cycle};
use crate::eval::validate;
use crate::policy::Policy;
use crate::policy::model::{ModeId, PlanId};

pub(crate) struct Account<'s> {
    pub snapshot: &'s Snapshot,
    pub plan: PlanId,
    pub mode: ModeId,
    pub calendar: Calendar,
    pub cycle: Cycle,
    /// Bit `i`: exchange `i` was done.
    pub exchanged: u64,
    pub balances: Balances,
}

impl<'s> Account<'s> {
    pub fn resolve(
        policy: &Policy,
        snapshot: &'s Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Self, RequestError> {
        let refuse = || RequestError::Snapshot(validate(snapshot, policy));
        let (Some(plan), Some(mode)) = (
            policy.plan_id(&snapshot.plan),
            policy.mode_id(&snapshot.mode),
        ) else {
            return Err(refuse());
        };
        // Loading never compiles more units than this; a hand-built policy could.
        if policy.units.len() > MAX_UNITS {
            return Err(RequestError::Policy(format!(
                "it has more than {MAX_UNITS} units"
            )));
        }
        if snapshot.grants.len() > crate::limits::MAX_GRANTS {
            return Err(refuse());
        }
        let mut balances = [Decimal::ZERO; MAX_UNITS];
        for (i, g) in snapshot.grants.iter().enumerate() {
            let Some(unit) = policy.unit_id(&g.unit) else {
                return Err(refuse());
            };
            if g.remaining < Decimal::ZERO
                || g.remaining > g.amount
                || g.amount > crate::amount::MAX
            {
                return Err(refuse());
            }
            if g.is_live(now) {
                let b = &mut balances[unit.0 as usize];
                *b = b.checked_add(g.remaining).ok_or_else(|| {
                    RequestError::snapshot(
                        format!("grants[{i}].remaining"),
                        format!(
                            "the usable `{}` balance, with this grant, is larger than the \
                             largest amount supported ({})",
                            g.unit,
                            Decimal::MAX
                        ),
                    )
                })?;
            }
        }
        let calendar = match policy.calendar(snapshot) {
            Ok(c) => c,
            Err(crate::cycle::CycleError::UnknownTimeZone { .. }) => return Err(refuse()),
            Err(e) => return Err(RequestError::Cycle(e)),
        };
        // Usually the account is in the cycle it was last rolled over to: check that one first
        // (cycles tile time, so containing `now` makes it the answer) before searching.
        let known = snapshot
            .cycle
            .filter(|c| *c >= 0)
            .and_then(|c| calendar.cycle(c).ok())
            .filter(|c| c.contains(now));
        let cycle = match known {
            Some(c) => c,
            None => calendar.cycle_at(now).map_err(RequestError::Cycle)?,
        };
        if let Some(c) = snapshot.cycle {
            if c < 0 {
                return Err(RequestError::snapshot(
                    "cycle",
                    format!("cycle {c} is negative; cycles are numbered from 0"),
                ));
            }
            if c > cycle.index {
                return Err(RequestError::snapshot(
                    "cycle",
                    format!(
                        "the account was rolled over to cycle {c}, after the cycle {} that contains {}",
                        cycle.index,
                        now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    ),
                ));
            }
        }
        let mut exchanged = 0u64;
        for x in &snapshot.exchanges {
            match policy.exchange_id(&x.exchange) {
                Some(id) if id.0 < 64 => exchanged |= 1 << id.0,
                _ => return Err(refuse()),
            }
        }
        Ok(Account {
            snapshot,
            plan,
            mode,
            calendar,
            cycle,
            exchanged,
            balances,
        })
    }

    pub fn has_exchanged(&self, id: crate::policy::model::ExchangeId) -> bool {
        id.0 < 64 && self.exchanged & (1 << id.0) != 0
    }

    /// Whether the account's allowance for the current cycle has been granted.
    pub fn is_current(&self) -> bool {
        self.snapshot.cycle == Some(self.cycle.index)
    }
}
