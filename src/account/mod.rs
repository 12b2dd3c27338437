//! Account snapshots: the serde format services store and send (JSON or YAML). Only the format:
//! checking a snapshot against a policy is `eval::validate`, reading one from text `document`. A snapshot is plain data; it is never mutated in place, and every
//! transition produces a new one with `version + 1`.

pub mod instant;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amount;

/// One account's entitlement state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub id: String,
    pub plan: String,
    /// `active`, `cancelled`, `past_due`, ... (policies compare it as text).
    pub status: String,
    /// IANA time zone of the account's wall clock, such as `Europe/Berlin`.
    pub time_zone: String,
    /// The instant cycles are counted from.
    #[serde(deserialize_with = "instant::deserialize")]
    pub anchor: DateTime<Utc>,
    /// The allowance mode the plan grants in.
    pub mode: String,
    /// Incremented by every transition; quotes are bound to it.
    pub version: u64,
    /// The cycle whose allowance was last granted (rollover is idempotent per cycle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<i64>,
    /// One-time and repeatable exchanges done, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<ExchangeRecord>,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

/// An exchange the account did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRecord {
    pub exchange: String,
    #[serde(deserialize_with = "instant::deserialize")]
    pub at: DateTime<Utc>,
    /// The policy version that decided it.
    pub policy_version: String,
    #[serde(with = "amount")]
    pub converted: Decimal,
    #[serde(with = "amount")]
    pub received: Decimal,
}

/// Where a grant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    Allowance,
    Exchange,
    TopUp,
    Rollover,
}

/// A lot: an amount of one unit usable in `[effective, expires)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub id: String,
    pub unit: String,
    #[serde(with = "amount")]
    pub amount: Decimal,
    #[serde(with = "amount")]
    pub remaining: Decimal,
    #[serde(deserialize_with = "instant::deserialize")]
    pub effective: DateTime<Utc>,
    /// `None`: never expires.
    #[serde(default, deserialize_with = "instant::deserialize_option")]
    pub expires: Option<DateTime<Utc>>,
    pub source: GrantSource,
    #[serde(default)]
    pub priority: i32,
}

impl Grant {
    /// Whether the grant can pay at `t`: effective, not expired (`expires == t` is expired).
    pub fn is_live(&self, t: DateTime<Utc>) -> bool {
        self.effective <= t && self.expires.is_none_or(|e| t < e)
    }
}
