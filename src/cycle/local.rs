//! Wall-clock arithmetic in an account's time zone: reading an instant as a local date-time,
//! moving a local date-time by whole months, and turning a local date-time back into an instant.
//!
//! Turning a local reading into an instant is where daylight saving bites. A reading inside a
//! spring-forward gap names no instant; it is read with the offset in force just before the gap,
//! which moves it forward by the length of the gap (02:30 on a day whose clocks jump from 02:00 to
//! 03:00 becomes 03:30). A reading inside a fall-back overlap names two instants; the earlier one
//! wins. This file knows nothing about cycles.

use chrono::{DateTime, MappedLocalTime, Months, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The local wall-clock reading of `t` in `zone`, or `None` when that reading falls outside the
/// dates chrono can represent (only for instants within a day of its limits).
pub(super) fn to_local(zone: Tz, t: DateTime<Utc>) -> Option<NaiveDateTime> {
    let offset = zone.offset_from_utc_datetime(&t.naive_utc()).fix();
    t.naive_utc().checked_add_offset(offset)
}

/// `local` moved `months` calendar months later, keeping the time of day. A day the target month
/// lacks is clamped to its last day (Jan 31 + 1 month is Feb 28, or Feb 29 in a leap year).
pub(super) fn add_months(local: NaiveDateTime, months: u32) -> Option<NaiveDateTime> {
    local.checked_add_months(Months::new(months))
}

/// The instant the local reading `local` names in `zone`: the earlier instant when the reading
/// occurs twice, the reading moved forward by the gap when it does not occur at all.
pub(super) fn resolve(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        MappedLocalTime::Single(t) => Some(t.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        MappedLocalTime::None => after_gap(zone, local),
    }
}

/// Resolves a reading that falls in a spring-forward gap by applying the offset in force before
/// the gap. That offset is the one of an instant safely before the gap; if a second transition
/// sits in between (never seen in practice), nearer probes are tried. The answer is accepted
/// only if it lands after the missing reading, so the result is never earlier than asked for.
fn after_gap(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    const PROBE_HOURS: [i64; 4] = [24, 12, 6, 3];
    for hours in PROBE_HOURS {
        let probe = local.checked_sub_signed(TimeDelta::hours(hours))?;
        let before = zone.offset_from_utc_datetime(&probe).fix();
        let utc = local.checked_sub_offset(before)?.and_utc();
        if to_local(zone, utc).is_some_and(|reading| reading > local) {
            return Some(utc);
        }
    }
    None
}
