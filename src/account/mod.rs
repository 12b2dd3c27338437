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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The account's id.
    pub id: String,
    /// The plan it subscribes to (a plan named in the policy).
    pub plan: String,
    /// `active`, `cancelled`, `past_due`, ... (policies compare it as text).
    pub status: String,
    /// IANA time zone of the account's wall clock, such as `Europe/Berlin`.
    pub time_zone: String,
    /// The zones the account had before `time_zone`, oldest first, each with the last cycle that
    /// lies wholly on its clock: a change of zone keeps the current cycle's bounds and takes
    /// effect from the next cycle (see [`Snapshot::change_time_zone`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_time_zones: Vec<EarlierTimeZone>,
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
    /// Its grants (lots), live and not yet live.
    #[serde(default)]
    pub grants: Vec<Grant>,
}

/// A time zone the account had before its current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EarlierTimeZone {
    /// The IANA name.
    pub zone: String,
    /// The last cycle wholly on its wall clock: the starts of cycles up to `until_cycle + 1` are
    /// computed in it.
    pub until_cycle: i64,
}

impl Snapshot {
    /// Records that the account's zone became `zone` while it was in cycle `current_cycle`, the
    /// old zone keeping every start up to that of cycle `until_cycle + 1` (`until_cycle` is the
    /// current cycle, or the next when a grant expires at its end): bounds in use never move.
    /// Keeps only the earlier zones that still decide a bound from the current cycle's start
    /// on, so at most [`crate::limits::MAX_EARLIER_TIME_ZONES`]. A zone whose era already
    /// reaches `until_cycle` is not recorded again.
    pub fn change_time_zone(&mut self, zone: &str, current_cycle: i64, until_cycle: i64) {
        if zone == self.time_zone {
            return;
        }
        self.earlier_time_zones
            .retain(|e| e.until_cycle.saturating_add(1) >= current_cycle);
        if self
            .earlier_time_zones
            .last()
            .is_none_or(|e| e.until_cycle < until_cycle)
        {
            self.earlier_time_zones.push(EarlierTimeZone {
                zone: std::mem::take(&mut self.time_zone),
                until_cycle,
            });
        }
        self.time_zone = zone.to_string();
    }
}

/// An exchange the account did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExchangeRecord {
    /// The exchange's name.
    pub exchange: String,
    /// When it was executed.
    #[serde(deserialize_with = "instant::deserialize")]
    pub at: DateTime<Utc>,
    /// The policy version that decided it.
    pub policy_version: String,
    /// How much of the source unit was converted.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub converted: Decimal,
    /// How much of the target unit was received.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub received: Decimal,
}

/// Where a grant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    /// A cycle's allowance.
    Allowance,
    /// Received from an exchange.
    Exchange,
    /// Bought or given outside the cycle (imported with the snapshot).
    TopUp,
    /// Carried over from an ended allowance.
    Rollover,
}

/// A lot: an amount of one unit usable in `[effective, expires)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The grant's id, unique within the account.
    pub id: String,
    /// The unit it is counted in.
    pub unit: String,
    /// How much was granted.
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
    /// How much is left (`0 ..= amount`).
    #[serde(with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub remaining: Decimal,
    /// From when it can pay.
    #[serde(deserialize_with = "instant::deserialize")]
    pub effective: DateTime<Utc>,
    /// `None`: never expires.
    #[serde(default, deserialize_with = "instant::deserialize_option")]
    pub expires: Option<DateTime<Utc>>,
    /// Where it came from.
    pub source: GrantSource,
    /// Its burn-down priority (higher pays first when the policy orders by priority).
    #[serde(default)]
    pub priority: i32,
}

impl Grant {
    /// Whether the grant can pay at `t`: effective, not expired (`expires == t` is expired).
    pub fn is_live(&self, t: DateTime<Utc>) -> bool {
        self.effective <= t && self.expires.is_none_or(|e| t < e)
    }
}
