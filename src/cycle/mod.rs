//! The billing-cycle calendar: where each cycle of a subscription starts and ends, given the
//! anchor instant, the account's IANA time zone and the period (monthly or yearly).
//!
//! Cycle *k* starts at the anchor plus *k* periods on the account's local wall clock, computed
//! from the anchor every time and never by stepping from the previous start: take the anchor's
//! local date-time, add *k* months (12 *k* for yearly), clamp the day to the target month's last
//! day (anchor Jan 31: Feb 28 or 29, Mar 31, Apr 30), keep the time of day, and convert back to
//! UTC. Cycle 0 starts at the anchor itself. Cycles are half-open `[start, end)`; the end of
//! cycle *k* is the start of cycle *k* + 1, so an instant equal to `end` belongs to the next cycle.
//!
//! Daylight saving: a local start time that does not exist (spring-forward gap) is moved forward
//! by the length of the gap, i.e. read with the offset in force before the change (02:30 on a day
//! whose clocks jump from 02:00 to 03:00 becomes 03:30); a local start time that occurs twice
//! (fall-back overlap) is the earlier of the two instants. Starts are at least 28 local days
//! apart, so a change of offset can never skip or repeat a cycle. Offsets come from chrono-tz's
//! tables, whose daylight-saving rules stop after 2099; later years keep the last offset.
//!
//! Time zone changes: an account whose zone changed keeps the bounds of the cycle it was in. The
//! calendar then carries its earlier zones ([`Calendar::with_earlier_zones`]), each with the last
//! cycle that lies wholly on its wall clock: every start up to and including the start of the
//! cycle after that one is computed in the earlier zone, later starts in the account's zone. The
//! cycle the change happened in ends where it always did; the new zone decides the end of the next.
//! Starts stay at least 27 days apart across a change, so none is skipped or repeated.
//!
//! Everything is bounded: cycle indexes run from 0 to [`MAX_CYCLE_INDEX`], and
//! [`Calendar::boundaries`] returns at most [`MAX_BOUNDARIES`] cycles. Finding the cycle that
//! contains an instant estimates the index from the local year and month, then adjusts by at most
//! a few steps. Nothing here reads the clock or panics; every failure is a [`CycleError`].
//! The wall-clock arithmetic lives in `local.rs`.

mod error;
mod local;

use crate::limits::{MAX_BOUNDARIES, MAX_CYCLE_INDEX, MAX_EARLIER_TIME_ZONES};
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;

pub use error::CycleError;

/// How long a billing cycle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One calendar month from the anchor's day (clamped to the month's last day).
    Monthly,
    /// One calendar year.
    Yearly,
}

/// Most adjustments from the estimated index in [`Calendar::cycle_at`]; one or two always suffice.
const MAX_ADJUSTMENTS: usize = 4;

/// One billing cycle: the half-open interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    /// 0 for the cycle that starts at the anchor.
    pub index: i64,
    /// The first instant of the cycle.
    pub start: DateTime<Utc>,
    /// The start of the next cycle; not part of this one.
    pub end: DateTime<Utc>,
}

impl Cycle {
    /// Whether `t` lies in `[start, end)`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// Whole days from `t` until the end of the cycle, rounded down; 0 at or after the end.
    pub fn days_left(&self, t: DateTime<Utc>) -> u64 {
        u64::try_from((self.end - t).num_days()).unwrap_or(0)
    }
}

/// Parses an IANA time zone name such as `Europe/Berlin`, suggesting the nearest known name when
/// it is not one.
pub fn parse_time_zone(name: &str) -> Result<Tz, CycleError> {
    name.parse::<Tz>().map_err(|_| CycleError::UnknownTimeZone {
        zone: name.to_owned(),
        suggestion: crate::diag::did_you_mean(
            name,
            chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name()),
        )
        .map(str::to_owned),
    })
}

/// The cycles of one subscription: an anchor, a time zone and a period (and the account's
/// earlier zones, when it changed zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    anchor: DateTime<Utc>,
    /// The anchor read on the account's wall clock; every start is computed from it.
    local_anchor: NaiveDateTime,
    zone: Tz,
    period: Period,
    /// Earlier zones, oldest first; `None` slots are unused.
    earlier: [Option<Era>; MAX_EARLIER_TIME_ZONES],
}

/// A zone the account had before: starts of cycles up to `until_cycle + 1` are on its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Era {
    zone: Tz,
    local_anchor: NaiveDateTime,
    until_cycle: i64,
}

impl Calendar {
    /// A calendar counting `period`s from `anchor` on the wall clock of `zone`.
    pub fn new(anchor: DateTime<Utc>, zone: Tz, period: Period) -> Result<Self, CycleError> {
        let local_anchor =
            local::to_local(zone, anchor).ok_or(CycleError::InstantOutOfRange { at: anchor })?;
        Ok(Calendar {
            anchor,
            local_anchor,
            zone,
            period,
            earlier: [None; MAX_EARLIER_TIME_ZONES],
        })
    }

    /// This calendar for an account that had the zones `earlier` before its current one, oldest
    /// first, each with the last cycle wholly on its clock (see the module documentation). At most
    /// [`MAX_EARLIER_TIME_ZONES`], with strictly increasing cycles from 0 up.
    pub fn with_earlier_zones(mut self, earlier: &[(Tz, i64)]) -> Result<Self, CycleError> {
        if earlier.len() > MAX_EARLIER_TIME_ZONES {
            return Err(CycleError::TooManyEarlierZones {
                count: earlier.len(),
                max: MAX_EARLIER_TIME_ZONES,
            });
        }
        let mut last = -1;
        for (slot, &(zone, until_cycle)) in self.earlier.iter_mut().zip(earlier) {
            check_index(until_cycle)?;
            if until_cycle <= last {
                return Err(CycleError::EarlierZonesOutOfOrder { cycle: until_cycle });
            }
            last = until_cycle;
            let local_anchor = local::to_local(zone, self.anchor)
                .ok_or(CycleError::InstantOutOfRange { at: self.anchor })?;
            *slot = Some(Era {
                zone,
                local_anchor,
                until_cycle,
            });
        }
        Ok(self)
    }

    /// Like [`Calendar::new`], with the time zone given by its IANA name.
    pub fn with_zone_name(
        anchor: DateTime<Utc>,
        zone: &str,
        period: Period,
    ) -> Result<Self, CycleError> {
        Calendar::new(anchor, parse_time_zone(zone)?, period)
    }

    /// The instant cycles are counted from.
    pub fn anchor(&self) -> DateTime<Utc> {
        self.anchor
    }

    /// The time zone of the wall clock boundaries are computed on.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// How long a cycle is.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Cycle number `index` (0 starts at the anchor).
    pub fn cycle(&self, index: i64) -> Result<Cycle, CycleError> {
        check_index(index)?;
        Ok(Cycle {
            index,
            start: self.start(index)?,
            end: self.start(index + 1)?,
        })
    }

    /// The cycle containing `t`. Instants before the anchor belong to no cycle.
    pub fn cycle_at(&self, t: DateTime<Utc>) -> Result<Cycle, CycleError> {
        if t < self.anchor {
            return Err(CycleError::BeforeAnchor {
                at: t,
                anchor: self.anchor,
            });
        }
        let local_t =
            local::to_local(self.zone, t).ok_or(CycleError::InstantOutOfRange { at: t })?;
        // Cycle k starts in local month (anchor month + k periods), so the month difference is
        // the index give or take one (a start later in its month than `t`, a fall-back overlap).
        let months = (i64::from(local_t.year()) - i64::from(self.local_anchor.year())) * 12
            + i64::from(local_t.month())
            - i64::from(self.local_anchor.month());
        let mut index = months.div_euclid(self.months_per_period()).max(0);
        if index > MAX_CYCLE_INDEX + 1 {
            return Err(CycleError::IndexOutOfRange {
                index,
                max: MAX_CYCLE_INDEX,
            });
        }
        for _ in 0..MAX_ADJUSTMENTS {
            let start = self.start(index)?;
            if t < start {
                // Cycle 0 starts at the anchor and t is not before it, so index > 0 here.
                index -= 1;
                continue;
            }
            check_index(index)?;
            let end = self.start(index + 1)?;
            if t >= end {
                index += 1;
                continue;
            }
            return Ok(Cycle { index, start, end });
        }
        Err(CycleError::CycleOutOfRange { index })
    }

    /// The cycle containing `from` and the `count - 1` cycles after it, in order.
    pub fn boundaries(&self, from: DateTime<Utc>, count: usize) -> Result<Vec<Cycle>, CycleError> {
        if count > MAX_BOUNDARIES {
            return Err(CycleError::TooManyCycles {
                count,
                max: MAX_BOUNDARIES,
            });
        }
        let first = self.cycle_at(from)?;
        let mut cycles = Vec::with_capacity(count);
        let mut next = first;
        for _ in 0..count {
            cycles.push(next);
            let index = next.index + 1;
            if cycles.len() < count {
                check_index(index)?;
                next = Cycle {
                    index,
                    start: next.end,
                    end: self.start(index + 1)?,
                };
            }
        }
        Ok(cycles)
    }

    fn months_per_period(&self) -> i64 {
        match self.period {
            Period::Monthly => 1,
            Period::Yearly => 12,
        }
    }

    /// The start of cycle `index`, for 0 ..= MAX_CYCLE_INDEX + 1 (the last one is an end).
    fn start(&self, index: i64) -> Result<DateTime<Utc>, CycleError> {
        if index == 0 {
            return Ok(self.anchor);
        }
        // The earliest zone whose era this start belongs to, else the account's zone.
        let (zone, local_anchor) = self
            .earlier
            .iter()
            .flatten()
            .find(|era| index <= era.until_cycle.saturating_add(1))
            .map_or((self.zone, self.local_anchor), |era| {
                (era.zone, era.local_anchor)
            });
        let out_of_range = CycleError::CycleOutOfRange { index };
        let months = index
            .checked_mul(self.months_per_period())
            .and_then(|m| u32::try_from(m).ok())
            .ok_or_else(|| out_of_range.clone())?;
        local::add_months(local_anchor, months)
            .and_then(|local| local::resolve(zone, local))
            .ok_or(out_of_range)
    }
}

fn check_index(index: i64) -> Result<(), CycleError> {
    if (0..=MAX_CYCLE_INDEX).contains(&index) {
        Ok(())
    } else {
        Err(CycleError::IndexOutOfRange {
            index,
            max: MAX_CYCLE_INDEX,
        })
    }
}
