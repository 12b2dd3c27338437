//! The ledger: typed, immutable records of every change to every grant, in atomic groups (one per
//! transition), with the amounts before and after. Replaying the groups from an account's first
//! snapshot gives exactly its current snapshot; [`replay`] does it and refuses any group that
//! does not follow from the state before it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{ExchangeRecord, Grant, GrantSource, Snapshot};
use crate::amount;
use crate::request::RequestKind;

/// What kind of change a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Grant,
    Consume,
    Expire,
    Forfeit,
    ConvertOut,
    ConvertIn,
    /// Out of a grant (negative change) or into the grant it rolled into (positive).
    Rollover,
}

/// The terms of a grant an entry opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opened {
    pub effective: DateTime<Utc>,
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    pub source: GrantSource,
    #[serde(default)]
    pub priority: i32,
}

/// One change to one grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    pub grant: String,
    pub unit: String,
    pub kind: EntryKind,
    /// How much changed (never negative; `kind` and before/after say which way).
    #[serde(with = "amount")]
    pub amount: Decimal,
    #[serde(with = "amount")]
    pub before: Decimal,
    #[serde(with = "amount")]
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
#[serde(deny_unknown_fields)]
pub struct ModeChange {
    pub from: String,
    pub to: String,
}

/// The entries of one transition: applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerGroup {
    pub account: String,
    pub request_id: String,
    pub request_kind: RequestKind,
    pub at: DateTime<Utc>,
    pub policy: String,
    pub policy_version: String,
    pub version_before: u64,
    pub version_after: u64,
    pub entries: Vec<LedgerEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeChange>,
    /// The cycle the account was rolled over to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeRecord>,
}

/// Why a ledger does not replay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("group {group} (request `{request}`), entry {entry}: {message}")]
pub struct ReplayError {
    pub group: usize,
    pub request: String,
    pub entry: usize,
    pub message: String,
}

/// Replays `groups` onto `start` (normally an account with no grants yet).
pub fn replay(start: &Snapshot, groups: &[LedgerGroup]) -> Result<Snapshot, ReplayError> {
    let mut s = start.clone();
    for (gi, g) in groups.iter().enumerate() {
        let fail = |entry: usize, message: String| ReplayError {
            group: gi,
            request: g.request_id.clone(),
            entry,
            message,
        };
        if g.version_before != s.version || g.version_after != s.version + 1 {
            return Err(fail(
                0,
                format!(
                    "moves version {} to {}, but the account is at {}",
                    g.version_before, g.version_after, s.version
                ),
            ));
        }
        for (ei, e) in g.entries.iter().enumerate() {
            if let Some(o) = &e.opened {
                if s.grants.iter().any(|x| x.id == e.grant) || e.before != Decimal::ZERO {
                    return Err(fail(ei, format!("opens `{}`, which exists", e.grant)));
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
                continue;
            }
            let Some(pos) = s.grants.iter().position(|x| x.id == e.grant) else {
                return Err(fail(
                    ei,
                    format!("changes `{}`, which does not exist", e.grant),
                ));
            };
            let grant = &mut s.grants[pos];
            if grant.remaining != e.before || e.before - e.amount != e.after {
                return Err(fail(
                    ei,
                    format!(
                        "`{}` has {} left, the entry says {} - {} = {}",
                        e.grant, grant.remaining, e.before, e.amount, e.after
                    ),
                ));
            }
            grant.remaining = e.after;
            if e.closed {
                s.grants.remove(pos);
            }
        }
        if let Some(m) = &g.mode {
            s.mode = m.to.clone();
        }
        if let Some(c) = g.cycle {
            s.cycle = Some(c);
        }
        if let Some(x) = &g.exchange {
            s.exchanges.push(x.clone());
        }
        s.version = g.version_after;
    }
    Ok(s)
}

/// Totals per unit over a ledger, by kind of entry: the conservation rule says
/// `granted + converted_in = remaining + consumed + expired + forfeited + converted_out`, with
/// rollovers moving amounts between grants of one unit (their net is zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitTotals {
    pub granted: Decimal,
    pub converted_in: Decimal,
    pub consumed: Decimal,
    pub expired: Decimal,
    pub forfeited: Decimal,
    pub converted_out: Decimal,
    pub rolled_in: Decimal,
    pub rolled_out: Decimal,
}

impl UnitTotals {
    /// What came in less what went out: equals the unit's remaining balance.
    pub fn net(&self) -> Decimal {
        self.granted + self.converted_in + self.rolled_in
            - self.consumed
            - self.expired
            - self.forfeited
            - self.converted_out
            - self.rolled_out
    }
}

/// Sums a ledger per unit.
pub fn totals<'a>(
    groups: impl IntoIterator<Item = &'a LedgerGroup>,
) -> BTreeMap<String, UnitTotals> {
    let mut out: BTreeMap<String, UnitTotals> = BTreeMap::new();
    for g in groups {
        for e in &g.entries {
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
            *slot += e.amount;
        }
    }
    out
}
