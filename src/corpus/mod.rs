//! Synthetic account populations for a policy: deterministic (the same policy, seed and instant
//! give the same accounts, byte for byte, on every machine), valid against the policy, and spread
//! over what matters to a decision: every plan and mode, balances from empty to full, positions in
//! the cycle including its first and last minute, anchors on the 28th to 31st, time zones with
//! and without daylight saving, accounts that already exchanged and accounts a cycle behind.
//!
//! Accounts are produced one at a time by an iterator, so a corpus of millions never has to fit
//! in memory; `read_jsonl` reads one back the same way.

mod rng;

use crate::limits::{MAX_ACCOUNTS, MAX_DRAWS};
use std::io::BufRead;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::account::{ExchangeRecord, Grant, GrantSource, Snapshot};
use crate::cycle::{Calendar, parse_time_zone};
use crate::eval::{DecideOptions, Request, RequestKind, decide};
use crate::policy::Policy;
use crate::policy::model::{Expiry, TimeZoneSource};
pub use rng::Rng;

/// Time zones accounts are spread over: with and without daylight saving, both hemispheres,
/// half-hour offsets.
pub const TIME_ZONES: [&str; 8] = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

/// Where in its cycle an account is at the corpus instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    FirstMinute,
    LastMinute,
    Anywhere,
}

/// Generates `count` accounts for `policy`, positioned relative to the instant `at`.
pub fn generate(policy: &Policy, count: u64, seed: u64, at: DateTime<Utc>) -> Accounts<'_> {
    Accounts {
        policy,
        rng: Rng::new(seed),
        at,
        next: 0,
        count: count.min(MAX_ACCOUNTS),
    }
}

/// The accounts of a corpus, one at a time.
pub struct Accounts<'p> {
    policy: &'p Policy,
    rng: Rng,
    at: DateTime<Utc>,
    next: u64,
    count: u64,
}

impl Iterator for Accounts<'_> {
    type Item = Snapshot;

    fn next(&mut self) -> Option<Snapshot> {
        while self.next < self.count {
            let i = self.next;
            self.next += 1;
            // A draw that does not make a valid account (an anchor the calendar cannot place) is
            // drawn again, a bounded number of times.
            for _ in 0..MAX_DRAWS {
                if let Some(s) = account(self.policy, &mut self.rng, i, self.at) {
                    return Some(s);
                }
            }
        }
        None
    }
}

fn account(policy: &Policy, rng: &mut Rng, i: u64, at: DateTime<Utc>) -> Option<Snapshot> {
    let plan = policy
        .plans
        .get(usize::try_from(i % policy.plans.len() as u64).ok()?)?;
    // Every mode of every plan, in turn.
    let modes: Vec<_> = plan.pays_with.iter().map(|(m, _)| *m).collect();
    let mode = *modes
        .get(usize::try_from((i / policy.plans.len() as u64) % modes.len().max(1) as u64).ok()?)?;
    let zone_name = match &policy.cycle.time_zone {
        TimeZoneSource::Fixed(z) => z.clone(),
        TimeZoneSource::Account => (*rng.pick(&TIME_ZONES)?).to_string(),
    };
    let account_zone = match &policy.cycle.time_zone {
        TimeZoneSource::Fixed(_) => (*rng.pick(&TIME_ZONES)?).to_string(),
        TimeZoneSource::Account => zone_name.clone(),
    };
    let zone = parse_time_zone(&zone_name).ok()?;
    let position = match rng.below(6) {
        0 => Position::FirstMinute,
        1 => Position::LastMinute,
        _ => Position::Anywhere,
    };
    let cycles_before = 1 + rng.below(14);
    let anchor = anchor(rng, position, at, cycles_before, policy, zone)?;
    let calendar = Calendar::new(anchor, zone, policy.cycle.period).ok()?;
    let cycle = calendar.cycle_at(at).ok()?;
    let status = match rng.below(20) {
        0 => "cancelled",
        1 => "past_due",
        _ => "active",
    };
    // One account in eight is a cycle behind: its allowance for this cycle is not granted yet.
    let behind = cycle.index > 0 && rng.chance(12);
    let granted_cycle = if behind { cycle.index - 1 } else { cycle.index };
    let granted = calendar.cycle(granted_cycle).ok()?;
    let mode_name = policy.modes.get(mode.0 as usize)?.clone();
    let mut grants = Vec::new();
    for a in plan.allowances.iter().filter(|a| a.mode == mode) {
        let unit = policy.units.get(a.unit.0 as usize)?;
        let amount = policy.allowance_amount(a, granted_cycle)?;
        let remaining = fraction(rng, amount, unit.decimals);
        let expires = match a.expires {
            Expiry::CycleEnd => Some(granted.end),
            Expiry::NextCycleEnd => Some(calendar.cycle(granted_cycle + 1).ok()?.end),
            Expiry::Never => None,
        };
        grants.push(Grant {
            id: format!("c{granted_cycle}-{}", unit.name),
            unit: unit.name.clone(),
            amount,
            remaining,
            effective: granted.start,
            expires,
            source: GrantSource::Allowance,
            priority: 0,
        });
    }
    if rng.chance(15) {
        if let Some(unit) = rng.pick(&policy.units) {
            let amount = Decimal::from(1 + rng.below(50));
            grants.push(Grant {
                id: "top-up-1".into(),
                unit: unit.name.clone(),
                amount,
                remaining: fraction(rng, amount, 0),
                effective: granted.start,
                expires: None,
                source: GrantSource::TopUp,
                priority: 1,
            });
        }
    }
    // Accounts in a mode an exchange switches to have done that exchange (and some others have
    // done a repeatable one).
    let mut exchanges = Vec::new();
    for x in &policy.exchanges {
        let switched_here = x.switch_mode == Some(mode);
        if switched_here || (!x.one_time && rng.chance(20)) {
            let done_at =
                anchor.max(granted.start - Duration::days(1 + i64::try_from(rng.below(60)).ok()?));
            exchanges.push(ExchangeRecord {
                exchange: x.name.clone(),
                at: done_at.max(anchor),
                policy_version: policy.version.clone(),
                converted: Decimal::from(1 + rng.below(50)),
                received: Decimal::from(rng.below(40)),
            });
        }
    }
    Some(Snapshot {
        id: format!("acct-{i:07}"),
        plan: plan.name.clone(),
        status: status.into(),
        time_zone: account_zone,
        earlier_time_zones: Vec::new(),
        anchor,
        mode: mode_name,
        version: 1 + rng.below(1000),
        cycle: Some(granted_cycle),
        exchanges,
        grants,
    })
}

/// An anchor `cycles_before` periods before `at`, placing `at` in the first or last minute of its
/// cycle or anywhere in it; a third of anchors fall on the 28th to 31st.
fn anchor(
    rng: &mut Rng,
    position: Position,
    at: DateTime<Utc>,
    cycles_before: u64,
    policy: &Policy,
    zone: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let months = match policy.cycle.period {
        crate::policy::Period::Monthly => cycles_before,
        crate::policy::Period::Yearly => cycles_before * 12,
    };
    let back = chrono::Months::new(u32::try_from(months).ok()?);
    use chrono::{Datelike, TimeZone};
    let local = match position {
        // Months are counted on the wall clock the calendar uses, so the boundary lands on the
        // minute (give or take a day-of-month clamp).
        Position::FirstMinute | Position::LastMinute => {
            let (base, extra) = if position == Position::FirstMinute {
                (at - Duration::seconds(30), 0)
            } else {
                (at + Duration::seconds(30), 1)
            };
            base.with_timezone(&zone)
                .naive_local()
                .checked_sub_months(back)?
                .checked_sub_months(chrono::Months::new(extra))?
        }
        // A day of a month `cycles_before` back: the 28th to 31st a third of the time.
        Position::Anywhere => {
            let day = if rng.chance(35) {
                28 + rng.below(4)
            } else {
                1 + rng.below(28)
            };
            let now = at.with_timezone(&zone).naive_local();
            let first = chrono::NaiveDate::from_ymd_opt(now.year(), now.month(), 1)?
                .checked_sub_months(back)?;
            let last = first
                .checked_add_months(chrono::Months::new(1))?
                .pred_opt()?
                .day();
            first
                .with_day(u32::try_from(day).ok()?.min(last))?
                .and_hms_opt(
                    u32::try_from(rng.below(24)).ok()?,
                    u32::try_from(rng.below(60)).ok()?,
                    0,
                )?
        }
    };
    // A wall-clock time in a spring-forward gap names no instant: take the hour after it.
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// An amount in `0 ..= full` with the unit's decimals: empty, full, or in between.
fn fraction(rng: &mut Rng, full: Decimal, decimals: u32) -> Decimal {
    match rng.below(5) {
        0 => Decimal::ZERO,
        1 => full,
        _ => {
            let percent = Decimal::from(rng.below(101));
            (full * percent / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero)
        }
    }
}

/// Reads a JSON Lines corpus one account at a time; each error names the line.
pub fn read_jsonl<R: BufRead>(reader: R) -> impl Iterator<Item = Result<Snapshot, String>> {
    reader
        .lines()
        .enumerate()
        .filter_map(|(n, line)| match line {
            Err(e) => Some(Err(format!("line {}: {e}", n + 1))),
            Ok(l) => read_line(n + 1, &l),
        })
}

/// Reads line `number` of a JSON Lines corpus: nothing for a blank line, else the account or an
/// error naming the line. (For readers that split the lines themselves, to parse in parallel.)
pub fn read_line(number: usize, line: &str) -> Option<Result<Snapshot, String>> {
    if line.trim().is_empty() {
        return None;
    }
    Some(serde_json::from_str::<Snapshot>(line).map_err(|e| {
        format!(
            "line {number}: {}",
            e.to_string()
                .split(" at line ")
                .next()
                .unwrap_or("invalid account")
        )
    }))
}

/// Whether every account of a corpus decides without an input error for a balance request on
/// every platform (a quick check that generated accounts are usable).
pub fn decidable(policy: &Policy, s: &Snapshot, at: DateTime<Utc>) -> bool {
    policy.platforms.iter().all(|p| {
        let r = Request::new("check", RequestKind::Balance).on(&p.name);
        decide(policy, s, &r, at, &DecideOptions::default()).is_ok()
    })
}
