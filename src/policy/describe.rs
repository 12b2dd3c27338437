//! What a compiled policy says, for embedders: its name and version, and the names people see
//! for its units, plans, features, platforms and exchanges (a service lists them, validates its
//! clients file against them, and shows display names on its pages). Read-only views; the
//! model itself stays private.

use chrono::{DateTime, Utc};

use super::model::{ExchangeCapability, Policy, TimeZoneSource};
use crate::cycle::{Calendar, CycleError};
use crate::limits::Limits;

/// A unit, as people see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitInfo<'p> {
    /// The name expressions and snapshots use (`credit`).
    pub name: &'p str,
    /// The name people read (`credits`).
    pub display: &'p str,
    /// Its fixed number of decimal places.
    pub decimals: u32,
}

/// A plan, as people see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanInfo<'p> {
    /// The name snapshots use (`pro`).
    pub name: &'p str,
    /// The name people read (`CapCut Pro`).
    pub display: &'p str,
    /// The mode a new subscriber starts in.
    pub starts_in: &'p str,
}

/// A feature, as people see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureInfo<'p> {
    /// The name requests use (`ai_image_generation`).
    pub name: &'p str,
    /// The name people read (`AI Image Generation`).
    pub display: &'p str,
}

/// A platform, as people see it, and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformInfo<'p> {
    /// The name requests use (`desktop`).
    pub name: &'p str,
    /// The name people read (`CapCut Desktop`).
    pub display: &'p str,
    /// `execute`, `delegate` or `refuse`: what it does with an exchange.
    pub exchange: &'static str,
    /// For a platform that delegates: the platform that executes, and the policy's link.
    pub delegates_to: Option<(&'p str, Option<&'p str>)>,
}

/// An exchange, as an embedder needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeInfo<'p> {
    /// The name requests use (`pro_uses_to_credits`).
    pub name: &'p str,
    /// Whether an account may do it at most once.
    pub one_time: bool,
    /// The unit given up.
    pub from: &'p str,
    /// The unit received.
    pub to: &'p str,
    /// The mode the account switches to for good, when the exchange switches one.
    pub switches_to: Option<&'p str>,
}

impl Policy {
    /// The policy's name; the versions of one policy share it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This version's label, recorded with everything it decides.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// From when this version is in force.
    pub fn effective_from(&self) -> DateTime<Utc> {
        self.effective_from
    }

    /// The file (or name) it was loaded from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The limits it was loaded with, which deciding uses.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Its units, in declaration order.
    pub fn units(&self) -> impl Iterator<Item = UnitInfo<'_>> {
        self.units.iter().map(|u| UnitInfo {
            name: &u.name,
            display: &u.display,
            decimals: u.decimals,
        })
    }

    /// Its plans, in declaration order.
    pub fn plans(&self) -> impl Iterator<Item = PlanInfo<'_>> {
        self.plans.iter().map(|p| PlanInfo {
            name: &p.name,
            display: &p.display,
            starts_in: self
                .modes
                .get(p.initial_mode.0 as usize)
                .map_or("", String::as_str),
        })
    }

    /// Its features, in declaration order.
    pub fn features(&self) -> impl Iterator<Item = FeatureInfo<'_>> {
        self.features.iter().map(|f| FeatureInfo {
            name: &f.name,
            display: &f.display,
        })
    }

    /// Its platforms, in declaration order.
    pub fn platforms(&self) -> impl Iterator<Item = PlatformInfo<'_>> {
        self.platforms.iter().map(|p| PlatformInfo {
            name: &p.name,
            display: &p.display,
            exchange: p.exchange.word(),
            delegates_to: match &p.exchange {
                ExchangeCapability::Delegate { to, link } => Some((
                    self.platforms
                        .get(to.0 as usize)
                        .map_or("", |t| t.name.as_str()),
                    link.as_deref(),
                )),
                _ => None,
            },
        })
    }

    /// The billing calendar of `account` under this policy: its anchor, in the policy's time
    /// zone or the account's own, with the policy's period.
    /// An account's earlier zones count only when the policy uses the account's zone.
    pub fn calendar(&self, account: &crate::account::Snapshot) -> Result<Calendar, CycleError> {
        match &self.cycle.time_zone {
            TimeZoneSource::Fixed(z) => {
                Calendar::with_zone_name(account.anchor, z, self.cycle.period)
            }
            TimeZoneSource::Account => {
                let calendar = Calendar::with_zone_name(
                    account.anchor,
                    &account.time_zone,
                    self.cycle.period,
                )?;
                if account.earlier_time_zones.is_empty() {
                    return Ok(calendar);
                }
                let mut earlier = [(chrono_tz::Tz::UTC, 0); crate::limits::MAX_EARLIER_TIME_ZONES];
                if account.earlier_time_zones.len() > earlier.len() {
                    return Err(CycleError::TooManyEarlierZones {
                        count: account.earlier_time_zones.len(),
                        max: earlier.len(),
                    });
                }
                for (slot, e) in earlier.iter_mut().zip(&account.earlier_time_zones) {
                    *slot = (crate::cycle::parse_time_zone(&e.zone)?, e.until_cycle);
                }
                calendar.with_earlier_zones(&earlier[..account.earlier_time_zones.len()])
            }
        }
    }

    /// Its exchanges, in declaration order.
    pub fn exchanges(&self) -> impl Iterator<Item = ExchangeInfo<'_>> {
        self.exchanges.iter().map(|x| ExchangeInfo {
            name: &x.name,
            one_time: x.one_time,
            from: self
                .units
                .get(x.from.0 as usize)
                .map_or("", |u| u.name.as_str()),
            to: self
                .units
                .get(x.to.0 as usize)
                .map_or("", |u| u.name.as_str()),
            switches_to: x
                .switch_mode
                .and_then(|m| self.modes.get(m.0 as usize))
                .map(String::as_str),
        })
    }
}
