//! The ledger: typed, immutable records of every change to every grant, in atomic groups (one per
//! transition), with the amounts before and after. Replaying the groups from an account's first
//! snapshot gives exactly its current snapshot; [`replay`] does it and refuses any group that
//! does not follow from the state before it.
//!
//! Ledgers come from outside (a database, a file), so nothing here trusts them: every amount is
//! range-checked when read (at most 10^15), every sum is checked, and a tampered entry (a grant
//! that does not exist, `before - amount != after`, a version that goes backwards or cannot
//! grow) is reported with its group and entry index. Neither [`replay`] nor [`totals`] panics or
//! wraps on any input.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{ExchangeRecord, Grant, GrantSource, Snapshot};
use crate::amount;
use crate::limits::MAX_GRANTS;
pub use crate::request::RequestKind;

/// What kind of change a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A cycle's allowance (or a top-up) is granted: opens a grant.
    Grant,
    /// A feature use takes from a grant.
    Consume,
    /// What is left of a grant that has ended; the grant closes.
    Expire,
    /// What an exchange zeroes without converting it (the remainder).
    Forfeit,
    /// What an exchange converts out of the source unit.
    ConvertOut,
    /// What an exchange grants in the target unit: opens a grant.
    ConvertIn,
    /// Out of a grant (negative change) or into the grant it rolled into (positive).
    Rollover,
}

impl EntryKind {
    /// The word ledgers write (`convert_out`).
    pub fn word(self) -> &'static str {
        match self {
            EntryKind::Grant => "grant",
            EntryKind::Consume => "consume",
            EntryKind::Expire => "expire",
            EntryKind::Forfeit => "forfeit",
            EntryKind::ConvertOut => "convert_out",
            EntryKind::ConvertIn => "convert_in",
            EntryKind::Rollover => "rollover",
        }
    }

    /// Whether an entry of this kind may open a grant.
    fn opens(self) -> bool {
        matches!(
            self,
            EntryKind::Grant | EntryKind::ConvertIn | EntryKind::Rollover
        )
    }

    /// Whether an entry of this kind may take from an existing grant.
    fn debits(self) -> bool {
        matches!(
            self,
            EntryKind::Consume
                | EntryKind::Expire
                | EntryKind::Forfeit
                | EntryKind::ConvertOut
                | EntryKind::Rollover
        )
    }
}

/// The terms of a grant an entry opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Opened {
    /// From when the grant can pay.
    #[serde(deserialize_with = "crate::account::instant::deserialize")]
    pub effective: DateTime<Utc>,
    /// When it stops paying (`None`: never).
    #[serde(
        default,
        deserialize_with = "crate::account::instant::deserialize_option"
    )]
    pub expires: Option<DateTime<Utc>>,
    /// Where it came from.
    pub source: GrantSource,
    /// Its burn-down priority.
    #[serde(default)]
    pub priority: i32,
}

/// One change to one grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// The grant's id.
    pub grant: String,
    /// The grant's unit.
    pub unit: String,
    /// What kind of change.
    pub kind: EntryKind,
    /// How much changed (never negative; `kind` and before/after say which way).
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
    /// The grant's remaining amount before the change.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub before: Decimal,
    /// The grant's remaining amount after the change.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub after: Decimal,
    /// Present when this entry creates the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened: Option<Opened>,
    /// The grant is closed (expired) and leaves the snapshot.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
}

/// A change of the account's mode, recorded with the group that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModeChange {
    /// The mode before.
    pub from: String,
    /// The mode after.
    pub to: String,
}

/// A change of the account's time zone, recorded with the group that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TimeZoneChange {
    /// The zone before.
    pub from: String,
    /// The zone after.
    pub to: String,
    /// The cycle the account was in: it keeps its bounds.
    pub cycle: i64,
    /// The last cycle wholly on `from`'s clock (`cycle`, or the next when a grant expires at
    /// its end); `to` decides every later boundary.
    pub until_cycle: i64,
}

/// The entries of one transition: applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LedgerGroup {
    /// The account's id.
    pub account: String,
    /// The id of the request that made the transition.
    pub request_id: String,
    /// Its kind.
    pub request_kind: RequestKind,
    /// The instant it was decided at.
    #[serde(deserialize_with = "crate::account::instant::deserialize")]
    pub at: DateTime<Utc>,
    /// The policy's name.
    pub policy: String,
    /// The policy version that decided.
    pub policy_version: String,
    /// The account's version before.
    pub version_before: u64,
    /// The account's version after (`version_before + 1`).
    pub version_after: u64,
    /// The changes, in order.
    pub entries: Vec<LedgerEntry>,
    /// The mode switch, when the transition made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeChange>,
    /// The cycle the account was rolled over to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<i64>,
    /// The exchange done, when the transition was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeRecord>,
    /// The time zone change, when the transition was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneChange>,
}

/// Why a ledger does not replay or add up: which group (its index and request) and which entry
/// (`None` for the group as a whole), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("group {group} (request `{request}`){}: {message}", entry.map(|e| format!(", entry {e}")).unwrap_or_default())]
pub struct LedgerError {
    /// The group's index in the ledger (0 for the first).
    pub group: usize,
    /// The group's request id.
    pub request: String,
    /// The entry's index in the group, when one entry is at fault.
    pub entry: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Replays `groups` onto `start` (normally an account with no grants yet): the snapshot the
/// ledger says the account has now, or the first group or entry that does not follow from the
/// state before it. Never panics, never wraps.
pub fn replay(start: &Snapshot, groups: &[LedgerGroup]) -> Result<Snapshot, LedgerError> {
    let mut s = start.clone();
    for (gi, g) in groups.iter().enumerate() {
        replay_group(&mut s, g).map_err(|(entry, message)| LedgerError {
            group: gi,
            request: g.request_id.clone(),
            entry,
            message,
        })?;
    }
    Ok(s)
}

/// One group onto `s`; on error, the entry at fault (if one is) and what is wrong. `s` may be
/// left half-changed on error: [`replay`] works on its own copy and drops it.
fn replay_group(s: &mut Snapshot, g: &LedgerGroup) -> Result<(), (Option<usize>, String)> {
    let whole = |m: String| (None, m);
    if g.account != s.id {
        return Err(whole(format!(
            "belongs to account `{}`, not `{}`",
            g.account, s.id
        )));
    }
    let Some(next) = s.version.checked_add(1) else {
        return Err(whole(format!(
            "the account is at version {}, which cannot grow",
            s.version
        )));
    };
    if g.version_before != s.version || g.version_after != next {
        return Err(whole(format!(
            "moves version {} to {}, but the account is at {} (a group is missing, repeated or out of order)",
            g.version_before, g.version_after, s.version
        )));
    }
    for (ei, e) in g.entries.iter().enumerate() {
        replay_entry(s, e).map_err(|m| (Some(ei), m))?;
    }
    if let Some(m) = &g.mode {
        if m.from != s.mode {
            return Err(whole(format!(
                "switches mode from `{}`, but the account is in `{}`",
                m.from, s.mode
            )));
        }
        s.mode = m.to.clone();
    }
    if let Some(c) = g.cycle {
        if c < 0 || s.cycle.is_some_and(|now| c < now) {
            return Err(whole(format!(
                "rolls over to cycle {c}, behind the account's cycle {}",
                s.cycle.map_or("none".to_string(), |n| n.to_string())
            )));
        }
        s.cycle = Some(c);
    }
    if let Some(x) = &g.exchange {
        if !amount::in_range(x.converted) || !amount::in_range(x.received) {
            return Err(whole(format!(
                "records exchange `{}` with an amount outside 0 to 10^15",
                x.exchange
            )));
        }
        s.exchanges.push(x.clone());
    }
    if let Some(z) = &g.time_zone {
        if z.from != s.time_zone {
            return Err(whole(format!(
                "changes the time zone from `{}`, but the account is in `{}`",
                z.from, s.time_zone
            )));
        }
        if z.to.parse::<chrono_tz::Tz>().is_err() {
            return Err(whole(format!("changes to unknown time zone `{}`", z.to)));
        }
        if s.cycle != Some(z.cycle) {
            return Err(whole(format!(
                "changes the time zone in cycle {}, but the account is in cycle {}",
                z.cycle,
                s.cycle.map_or("none".to_string(), |n| n.to_string())
            )));
        }
        if z.until_cycle < z.cycle || z.until_cycle > z.cycle.saturating_add(1) {
            return Err(whole(format!(
                "keeps the old time zone until cycle {}, but the change is in cycle {} (it may \
                 keep it until that cycle or the next)",
                z.until_cycle, z.cycle
            )));
        }
        s.change_time_zone(&z.to, z.cycle, z.until_cycle);
    }
    s.version = next;
    Ok(())
}

fn replay_entry(s: &mut Snapshot, e: &LedgerEntry) -> Result<(), String> {
    if !amount::in_range(e.amount) || !amount::in_range(e.before) || !amount::in_range(e.after) {
        return Err(format!(
            "an amount of `{}` is outside 0 to 10^15 ({} - {} = {})",
            e.grant, e.before, e.amount, e.after
        ));
    }
    if let Some(o) = &e.opened {
        if !e.kind.opens() {
            return Err(format!("a `{}` entry cannot open a grant", e.kind.word()));
        }
        if s.grants.iter().any(|x| x.id == e.grant) {
            return Err(format!("opens `{}`, which exists", e.grant));
        }
        if e.before != Decimal::ZERO || e.after != e.amount || e.closed {
            return Err(format!(
                "opens `{}` with {} before and {} after, for an amount of {}",
                e.grant, e.before, e.after, e.amount
            ));
        }
        if o.expires.is_some_and(|x| x <= o.effective) {
            return Err(format!(
                "opens `{}` expiring before it becomes effective",
                e.grant
            ));
        }
        if s.grants.len() >= MAX_GRANTS {
            return Err(format!(
                "opens a grant beyond the limit of {MAX_GRANTS} per account"
            ));
        }
        s.grants.push(Grant {
            id: e.grant.clone(),
            unit: e.unit.clone(),
            amount: e.after,
            remaining: e.after,
            effective: o.effective,
            expires: o.expires,
            source: o.source,
            priority: o.priority,
        });
        return Ok(());
    }
    let Some(pos) = s.grants.iter().position(|x| x.id == e.grant) else {
        return Err(format!("changes `{}`, which does not exist", e.grant));
    };
    let Some(grant) = s.grants.get_mut(pos) else {
        return Err(format!("changes `{}`, which does not exist", e.grant));
    };
    if !e.kind.debits() {
        return Err(format!(
            "a `{}` entry must open a grant, but `{}` exists",
            e.kind.word(),
            e.grant
        ));
    }
    if grant.unit != e.unit {
        return Err(format!(
            "says `{}` is in `{}`, but it is in `{}`",
            e.grant, e.unit, grant.unit
        ));
    }
    if grant.remaining != e.before || e.before.checked_sub(e.amount) != Some(e.after) {
        return Err(format!(
            "`{}` has {} left, the entry says {} - {} = {}",
            e.grant, grant.remaining, e.before, e.amount, e.after
        ));
    }
    if e.closed && e.kind != EntryKind::Expire {
        return Err(format!(
            "closes `{}` with a `{}` entry; only an expiry closes a grant",
            e.grant,
            e.kind.word()
        ));
    }
    grant.remaining = e.after;
    if e.closed {
        s.grants.remove(pos);
    }
    Ok(())
}

/// Totals per unit over a ledger, by kind of entry: the conservation rule says
/// `granted + converted_in = remaining + consumed + expired + forfeited + converted_out`, with
/// rollovers moving amounts between grants of one unit (their net is zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitTotals {
    /// Granted by allowances and top-ups.
    pub granted: Decimal,
    /// Received from exchanges.
    pub converted_in: Decimal,
    /// Taken by feature uses.
    pub consumed: Decimal,
    /// Left when grants ended.
    pub expired: Decimal,
    /// Zeroed by exchanges without being converted.
    pub forfeited: Decimal,
    /// Given up to exchanges.
    pub converted_out: Decimal,
    /// Carried into new grants by rollovers.
    pub rolled_in: Decimal,
    /// Carried out of ended grants by rollovers.
    pub rolled_out: Decimal,
}

impl UnitTotals {
    /// What came in less what went out: equals the unit's remaining balance. `None` if the sum
    /// does not fit (impossible for totals [`totals`] returned).
    pub fn net(&self) -> Option<Decimal> {
        [self.granted, self.converted_in, self.rolled_in]
            .into_iter()
            .try_fold(Decimal::ZERO, Decimal::checked_add)
            .and_then(|inflow| {
                [
                    self.consumed,
                    self.expired,
                    self.forfeited,
                    self.converted_out,
                    self.rolled_out,
                ]
                .into_iter()
                .try_fold(inflow, Decimal::checked_sub)
            })
    }
}

/// Sums a ledger per unit, or says which entry cannot be added (an amount outside 0 to 10^15,
/// or a sum that would not fit). Never panics, never wraps.
pub fn totals<'a>(
    groups: impl IntoIterator<Item = &'a LedgerGroup>,
) -> Result<BTreeMap<String, UnitTotals>, LedgerError> {
    let mut out: BTreeMap<String, UnitTotals> = BTreeMap::new();
    for (gi, g) in groups.into_iter().enumerate() {
        for (ei, e) in g.entries.iter().enumerate() {
            let fail = |message: String| LedgerError {
                group: gi,
                request: g.request_id.clone(),
                entry: Some(ei),
                message,
            };
            if !amount::in_range(e.amount) {
                return Err(fail(format!(
                    "amount {} of `{}` is outside 0 to 10^15",
                    e.amount, e.grant
                )));
            }
            let t = out.entry(e.unit.clone()).or_default();
            let slot = match (e.kind, e.opened.is_some()) {
                (EntryKind::Grant, _) => &mut t.granted,
                (EntryKind::ConvertIn, _) => &mut t.converted_in,
                (EntryKind::Rollover, true) => &mut t.rolled_in,
                (EntryKind::Rollover, false) => &mut t.rolled_out,
                (EntryKind::Consume, _) => &mut t.consumed,
                (EntryKind::Expire, _) => &mut t.expired,
                (EntryKind::Forfeit, _) => &mut t.forfeited,
                (EntryKind::ConvertOut, _) => &mut t.converted_out,
            };
            *slot = slot
                .checked_add(e.amount)
                .ok_or_else(|| fail(format!("the `{}` totals are too large to add up", e.unit)))?;
        }
    }
    Ok(out)
}
