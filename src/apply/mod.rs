//! Applying a decision: the new snapshot (version + 1) and its ledger group, or an error and no
//! change at all. Apply works on a copy and hands it out only after checking that every grant
//! stays within `0 ..= amount`, that every unit's ledger balances and that the new snapshot
//! passes [`validate`](crate::validate), so a transition is never half-applied and nothing it
//! writes is refused on the next read. It refuses a decision made for another account, under
//! another policy version or on another snapshot version; the last is what keeps a one-time
//! exchange to one under any interleaving of requests.

use rust_decimal::Decimal;

use crate::account::{ExchangeRecord, Grant, Snapshot};
use crate::eval::{Change, Decision, EntryKind, GrantRef, Outcome};
use crate::ledger::{LedgerEntry, LedgerGroup, ModeChange, Opened};
use crate::policy::Policy;

/// A new snapshot and the ledger group that leads to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    /// The account after the transition (`version + 1`).
    pub snapshot: Snapshot,
    /// The ledger entries that lead to it, as one group.
    pub ledger: LedgerGroup,
}

/// Why a decision was not applied; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The decision was made for another account.
    #[error("the decision was made for account `{decided_for}`, not `{given}`")]
    OtherAccount {
        /// The account it was made for.
        decided_for: String,
        /// The account of the snapshot given to apply.
        given: String,
    },
    /// The decision was made under another policy or policy version.
    #[error("the decision was made under policy {decided_under}, not {given}; decide again")]
    OtherPolicy {
        /// `name version` of the policy that decided.
        decided_under: String,
        /// `name version` of the policy given to apply.
        given: String,
    },
    /// The decision was made on another version of the account.
    #[error(
        "the decision was made on version {decided_on} of the account, which is now at version {now}; decide again"
    )]
    StaleSnapshot {
        /// The version the decision was made on.
        decided_on: u64,
        /// The version of the snapshot given to apply.
        now: u64,
    },
    /// The decision changes nothing (a denial, a quote, a hand-off, ...).
    #[error("a `{}` decision changes nothing to apply", .0.as_str())]
    NothingToApply(Outcome),
    /// The one-time exchange is already recorded.
    #[error("the one-time exchange `{0}` was already done")]
    AlreadyExchanged(String),
    /// The decision does not fit the snapshot.
    #[error("the decision does not fit the snapshot: {0}")]
    Inconsistent(String),
    /// The snapshot the transition would write does not pass validation (it would be refused
    /// when read back); nothing was applied.
    #[error("the transition would write a snapshot that does not validate: {}", list(.0))]
    WouldNotValidate(Vec<crate::eval::SnapshotProblem>),
}

fn list(problems: &[crate::eval::SnapshotProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Applies `decision`, made on `snapshot` under `policy`.
pub fn apply(
    policy: &Policy,
    snapshot: &Snapshot,
    decision: &Decision<'_>,
) -> Result<Transition, ApplyError> {
    if decision.account != snapshot.id {
        return Err(ApplyError::OtherAccount {
            decided_for: decision.account.to_string(),
            given: snapshot.id.clone(),
        });
    }
    if decision.policy != policy.name || decision.policy_version != policy.version {
        return Err(ApplyError::OtherPolicy {
            decided_under: format!("`{}` {}", decision.policy, decision.policy_version),
            given: format!("`{}` {}", policy.name, policy.version),
        });
    }
    if decision.based_on != snapshot.version {
        return Err(ApplyError::StaleSnapshot {
            decided_on: decision.based_on,
            now: snapshot.version,
        });
    }
    if !decision.changes_state() {
        return Err(ApplyError::NothingToApply(decision.outcome));
    }
    let bad = |m: String| ApplyError::Inconsistent(m);
    // The ledger names grants by id: with two grants of one id, replaying the group could debit
    // or close the other one (found by the `decide` fuzz target).
    let mut ids: Vec<&str> = snapshot.grants.iter().map(|g| g.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(bad(format!(
            "grant id `{}` is used twice, so the ledger could not tell the grants apart",
            pair[0]
        )));
    }
    let version_after = snapshot
        .version
        .checked_add(1)
        .ok_or_else(|| bad("the version cannot grow further".into()))?;
    let mut next = snapshot.clone();
    next.version = version_after;
    let mut entries = Vec::new();
    let mut closed = vec![false; snapshot.grants.len()];
    let unit_name = |u: crate::check::UnitId| {
        policy
            .units
            .get(u.0 as usize)
            .map(|u| u.name.clone())
            .ok_or_else(|| bad("unknown unit".into()))
    };

    // Debit one grant; `close` also drops it from the snapshot (an expiry).
    let debit = |next: &mut Snapshot,
                 closed: &mut Vec<bool>,
                 entries: &mut Vec<LedgerEntry>,
                 at: usize,
                 kind: EntryKind,
                 amount: Option<Decimal>|
     -> Result<(), ApplyError> {
        let g = next
            .grants
            .get_mut(at)
            .ok_or_else(|| bad(format!("there is no grant number {at}")))?;
        if closed.get(at).copied().unwrap_or(false) {
            return Err(bad(format!("grant `{}` is already closed", g.id)));
        }
        let amount = amount.unwrap_or(g.remaining);
        let after = g.remaining - amount;
        if amount < Decimal::ZERO || after < Decimal::ZERO || after > g.amount {
            return Err(bad(format!(
                "taking {amount} from `{}` would leave {after} of {}",
                g.id, g.amount
            )));
        }
        entries.push(LedgerEntry {
            grant: g.id.clone(),
            unit: g.unit.clone(),
            kind,
            amount,
            before: g.remaining,
            after,
            opened: None,
            closed: kind == EntryKind::Expire,
        });
        g.remaining = after;
        if kind == EntryKind::Expire {
            if at >= closed.len() {
                closed.resize(at + 1, false);
            }
            closed[at] = true;
        }
        Ok(())
    };

    let mut mode = None;
    let mut cycle = None;
    let mut exchange = None;
    let mut time_zone = None;
    match decision.outcome {
        Outcome::Allowed => {
            let detail = decision
                .use_detail
                .as_ref()
                .ok_or_else(|| bad("an allowed use without charges".into()))?;
            for c in detail.charges.iter() {
                debit(
                    &mut next,
                    &mut closed,
                    &mut entries,
                    c.grant,
                    EntryKind::Consume,
                    Some(c.amount),
                )?;
            }
        }
        _ => {
            let changes = decision
                .changes
                .as_ref()
                .ok_or_else(|| bad("no changes".into()))?;
            let base = snapshot.grants.len();
            let index = |r: GrantRef| match r {
                GrantRef::Existing(i) => i,
                GrantRef::New(j) => base + j,
            };
            for step in &changes.steps {
                match *step {
                    Change::Debit {
                        grant,
                        kind,
                        amount,
                    } => {
                        debit(
                            &mut next,
                            &mut closed,
                            &mut entries,
                            index(grant),
                            kind,
                            Some(amount),
                        )?;
                    }
                    Change::Close(grant) => {
                        debit(
                            &mut next,
                            &mut closed,
                            &mut entries,
                            index(grant),
                            EntryKind::Expire,
                            None,
                        )?;
                    }
                    Change::Create(j) => {
                        let g = changes
                            .new_grants
                            .get(j)
                            .ok_or_else(|| bad(format!("no new grant {j}")))?;
                        if !crate::amount::in_range(g.amount) {
                            return Err(bad(format!(
                                "a new grant of {} is outside 0 to 10^15",
                                g.amount
                            )));
                        }
                        let unit = unit_name(g.unit)?;
                        // Carried amounts pay before a fresh allowance expiring at the same time.
                        let priority = i32::from(g.kind == EntryKind::Rollover);
                        let id = fresh_id(&next, &grant_id(g, &unit, version_after));
                        entries.push(LedgerEntry {
                            grant: id.clone(),
                            unit: unit.clone(),
                            kind: g.kind,
                            amount: g.amount,
                            before: Decimal::ZERO,
                            after: g.amount,
                            opened: Some(Opened {
                                effective: g.effective,
                                expires: g.expires,
                                source: g.source,
                                priority,
                            }),
                            closed: false,
                        });
                        next.grants.push(Grant {
                            id,
                            unit,
                            amount: g.amount,
                            remaining: g.amount,
                            effective: g.effective,
                            expires: g.expires,
                            source: g.source,
                            priority,
                        });
                    }
                }
            }
            if let Some(m) = changes.switch_mode {
                let to = policy
                    .modes
                    .get(m.0 as usize)
                    .ok_or_else(|| bad("unknown mode".into()))?;
                if *to != next.mode {
                    mode = Some(ModeChange {
                        from: next.mode.clone(),
                        to: to.clone(),
                    });
                    next.mode = to.clone();
                }
            }
            if let Some(c) = changes.cycle {
                cycle = Some(c);
                next.cycle = Some(c);
            }
            if let Some(q) = &changes.exchange {
                let x = policy
                    .exchanges
                    .get(q.exchange.0 as usize)
                    .ok_or_else(|| bad("unknown exchange".into()))?;
                if x.one_time && next.exchanges.iter().any(|r| r.exchange == x.name) {
                    return Err(ApplyError::AlreadyExchanged(x.name.clone()));
                }
                let record = ExchangeRecord {
                    exchange: x.name.clone(),
                    at: decision.at,
                    policy_version: policy.version.clone(),
                    converted: q.converted,
                    received: q.to_amount,
                };
                next.exchanges.push(record.clone());
                exchange = Some(record);
            }
            if let Some((zone, until_cycle)) = changes.time_zone {
                let current = next
                    .cycle
                    .ok_or_else(|| bad("a time zone change before the first rollover".into()))?;
                time_zone = Some(crate::ledger::TimeZoneChange {
                    from: next.time_zone.clone(),
                    to: zone.name().to_string(),
                    cycle: current,
                    until_cycle,
                });
                next.change_time_zone(zone.name(), current, until_cycle);
            }
        }
    }
    let mut i = 0;
    next.grants.retain(|_| {
        let keep = !closed.get(i).copied().unwrap_or(false);
        i += 1;
        keep
    });
    check_balanced(snapshot, &next, &entries)?;
    let problems = crate::eval::validate(&next, policy);
    if !problems.is_empty() {
        return Err(ApplyError::WouldNotValidate(problems));
    }
    Ok(Transition {
        ledger: LedgerGroup {
            account: snapshot.id.clone(),
            request_id: decision.request_id.to_string(),
            request_kind: decision.kind,
            at: decision.at,
            policy: policy.name.clone(),
            policy_version: policy.version.clone(),
            version_before: snapshot.version,
            version_after,
            entries,
            mode,
            cycle,
            exchange,
            time_zone,
        },
        snapshot: next,
    })
}

/// A readable id for a new grant: `c3-credit` (cycle 3's allowance), `c3-credit-rollover`,
/// `v8-credit-exchange` (made by the transition to version 8).
fn grant_id(g: &crate::eval::NewGrant, unit: &str, version: u64) -> String {
    match g.kind {
        EntryKind::Rollover => format!("c{}-{unit}-rollover", g.cycle),
        EntryKind::ConvertIn => format!("v{version}-{unit}-exchange"),
        _ => format!("c{}-{unit}", g.cycle),
    }
}

/// `base`, or `base-2`, `base-3`, ... if the snapshot already has it.
fn fresh_id(s: &Snapshot, base: &str) -> String {
    let taken = |id: &str| s.grants.iter().any(|g| g.id == id);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .unwrap_or_else(|| base.to_string())
}

/// Conservation for one transition: per unit, what the entries add and take equals the change
/// in remaining amounts (closed grants count with what they had).
fn check_balanced(
    before: &Snapshot,
    after: &Snapshot,
    entries: &[LedgerEntry],
) -> Result<(), ApplyError> {
    // Checked: a snapshot may hold grants (not live, so not in any balance) whose sum overflows.
    let too_large = |unit: &str| {
        ApplyError::Inconsistent(format!("the `{unit}` amounts are too large to add up"))
    };
    let mut delta: std::collections::BTreeMap<&str, Decimal> = Default::default();
    for e in entries {
        let d = delta.entry(e.unit.as_str()).or_default();
        *d = e
            .after
            .checked_sub(e.before)
            .and_then(|x| d.checked_add(x))
            .ok_or_else(|| too_large(&e.unit))?;
    }
    for (unit, d) in delta {
        let sum = |s: &Snapshot| -> Option<Decimal> {
            s.grants
                .iter()
                .filter(|g| g.unit == unit)
                .try_fold(Decimal::ZERO, |sum, g| sum.checked_add(g.remaining))
        };
        let (Some(sum_after), Some(sum_before)) = (sum(after), sum(before)) else {
            return Err(too_large(unit));
        };
        if sum_after.checked_sub(sum_before) != Some(d) {
            return Err(ApplyError::Inconsistent(format!(
                "the ledger for `{unit}` does not balance"
            )));
        }
    }
    for g in &after.grants {
        if g.remaining < Decimal::ZERO || g.remaining > g.amount {
            return Err(ApplyError::Inconsistent(format!(
                "grant `{}` would have {} of {}",
                g.id, g.remaining, g.amount
            )));
        }
    }
    Ok(())
}
