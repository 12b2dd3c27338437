//! Billing-cycle calendar: month-end clamping, leap years, daylight saving in three hemispheres'
//! worth of zones, half-open cycles, long spans, bounds and errors. Every expected boundary is an
//! exact instant written as an RFC 3339 literal.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use quotient::{
    Calendar, Cycle, CycleError, MAX_BOUNDARIES, MAX_CYCLE_INDEX, Period, parse_time_zone,
};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad literal {text}: {e}"))
        .with_timezone(&Utc)
}

fn calendar(anchor: &str, zone: &str, period: Period) -> Calendar {
    Calendar::with_zone_name(at(anchor), zone, period).expect("calendar")
}

/// Cycle k of `calendar` starts at `starts[k]`, and each cycle ends where the next one starts.
fn check_starts(calendar: &Calendar, starts: &[&str]) {
    for (k, pair) in starts.windows(2).enumerate() {
        let index = i64::try_from(k).expect("small index");
        let cycle = calendar.cycle(index).expect("cycle");
        assert_eq!(
            cycle,
            Cycle {
                index,
                start: at(pair[0]),
                end: at(pair[1]),
            },
            "cycle {k}"
        );
        assert_eq!(
            calendar.cycle_at(cycle.start),
            Ok(cycle),
            "cycle_at start {k}"
        );
        let last_instant = cycle.end - TimeDelta::nanoseconds(1);
        assert_eq!(
            calendar.cycle_at(last_instant),
            Ok(cycle),
            "cycle_at end {k}"
        );
    }
}

fn local(t: DateTime<Utc>, zone: &str) -> String {
    let zone: Tz = zone.parse().expect("zone");
    t.with_timezone(&zone).to_rfc3339()
}

#[test]
fn month_end_anchors_in_a_non_leap_february() {
    let anchor_28 = calendar("2027-01-28T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_28,
        &[
            "2027-01-28T12:00:00Z",
            "2027-02-28T12:00:00Z",
            "2027-03-28T12:00:00Z",
            "2027-04-28T12:00:00Z",
        ],
    );
    let anchor_29 = calendar("2027-01-29T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_29,
        &[
            "2027-01-29T12:00:00Z",
            "2027-02-28T12:00:00Z",
            "2027-03-29T12:00:00Z",
            "2027-04-29T12:00:00Z",
        ],
    );
    let anchor_30 = calendar("2027-01-30T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_30,
        &[
            "2027-01-30T12:00:00Z",
            "2027-02-28T12:00:00Z",
            "2027-03-30T12:00:00Z",
            "2027-04-30T12:00:00Z",
        ],
    );
    let anchor_31 = calendar("2027-01-31T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_31,
        &[
            "2027-01-31T12:00:00Z",
            "2027-02-28T12:00:00Z",
            "2027-03-31T12:00:00Z",
            "2027-04-30T12:00:00Z",
            "2027-05-31T12:00:00Z",
        ],
    );
}

#[test]
fn month_end_anchors_in_a_leap_february() {
    let anchor_28 = calendar("2028-01-28T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_28,
        &[
            "2028-01-28T12:00:00Z",
            "2028-02-28T12:00:00Z",
            "2028-03-28T12:00:00Z",
        ],
    );
    let anchor_29 = calendar("2028-01-29T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_29,
        &[
            "2028-01-29T12:00:00Z",
            "2028-02-29T12:00:00Z",
            "2028-03-29T12:00:00Z",
        ],
    );
    let anchor_30 = calendar("2028-01-30T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_30,
        &[
            "2028-01-30T12:00:00Z",
            "2028-02-29T12:00:00Z",
            "2028-03-30T12:00:00Z",
            "2028-04-30T12:00:00Z",
        ],
    );
    let anchor_31 = calendar("2028-01-31T12:00:00Z", "UTC", Period::Monthly);
    check_starts(
        &anchor_31,
        &[
            "2028-01-31T12:00:00Z",
            "2028-02-29T12:00:00Z",
            "2028-03-31T12:00:00Z",
            "2028-04-30T12:00:00Z",
        ],
    );
}

#[test]
fn month_end_clamps_on_the_local_calendar_not_the_utc_one() {
    // 00:30 on Jan 31 in Tokyo is still Jan 30 in UTC; the clamp follows the local day.
    let tokyo = calendar("2028-01-31T00:30:00+09:00", "Asia/Tokyo", Period::Monthly);
    check_starts(
        &tokyo,
        &[
            "2028-01-30T15:30:00Z",
            "2028-02-28T15:30:00Z",
            "2028-03-30T15:30:00Z",
            "2028-04-29T15:30:00Z",
        ],
    );
    // Berlin, across the start of summer time on 2027-03-28.
    let berlin = calendar(
        "2027-01-31T00:30:00+01:00",
        "Europe/Berlin",
        Period::Monthly,
    );
    check_starts(
        &berlin,
        &[
            "2027-01-30T23:30:00Z",
            "2027-02-27T23:30:00Z",
            "2027-03-30T22:30:00Z",
            "2027-04-29T22:30:00Z",
        ],
    );
}

#[test]
fn yearly_anchor_on_february_29() {
    let yearly = calendar("2028-02-29T10:00:00Z", "UTC", Period::Yearly);
    check_starts(
        &yearly,
        &[
            "2028-02-29T10:00:00Z",
            "2029-02-28T10:00:00Z",
            "2030-02-28T10:00:00Z",
            "2031-02-28T10:00:00Z",
            "2032-02-29T10:00:00Z",
            "2033-02-28T10:00:00Z",
        ],
    );
}

#[test]
fn new_york_keeps_local_time_across_daylight_saving() {
    // EDT from 2027-03-14 to 2027-11-07, and from 2028-03-12.
    let new_york = calendar(
        "2027-01-15T09:00:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    check_starts(
        &new_york,
        &[
            "2027-01-15T14:00:00Z",
            "2027-02-15T14:00:00Z",
            "2027-03-15T13:00:00Z",
            "2027-04-15T13:00:00Z",
            "2027-05-15T13:00:00Z",
            "2027-06-15T13:00:00Z",
            "2027-07-15T13:00:00Z",
            "2027-08-15T13:00:00Z",
            "2027-09-15T13:00:00Z",
            "2027-10-15T13:00:00Z",
            "2027-11-15T14:00:00Z",
            "2027-12-15T14:00:00Z",
            "2028-01-15T14:00:00Z",
            "2028-02-15T14:00:00Z",
            "2028-03-15T13:00:00Z",
        ],
    );
}

#[test]
fn berlin_keeps_local_time_across_daylight_saving() {
    // CEST from 2027-03-28 01:00Z to 2027-10-31 01:00Z.
    let berlin = calendar(
        "2027-01-10T00:30:00+01:00",
        "Europe/Berlin",
        Period::Monthly,
    );
    check_starts(
        &berlin,
        &[
            "2027-01-09T23:30:00Z",
            "2027-02-09T23:30:00Z",
            "2027-03-09T23:30:00Z",
            "2027-04-09T22:30:00Z",
            "2027-05-09T22:30:00Z",
            "2027-06-09T22:30:00Z",
            "2027-07-09T22:30:00Z",
            "2027-08-09T22:30:00Z",
            "2027-09-09T22:30:00Z",
            "2027-10-09T22:30:00Z",
            "2027-11-09T23:30:00Z",
            "2027-12-09T23:30:00Z",
        ],
    );
}

#[test]
fn sydney_keeps_local_time_across_southern_daylight_saving() {
    // AEDT (+11) until 2027-04-04, AEST (+10) until 2027-10-03, then AEDT again.
    let sydney = calendar(
        "2027-01-20T08:00:00+11:00",
        "Australia/Sydney",
        Period::Monthly,
    );
    check_starts(
        &sydney,
        &[
            "2027-01-19T21:00:00Z",
            "2027-02-19T21:00:00Z",
            "2027-03-19T21:00:00Z",
            "2027-04-19T22:00:00Z",
            "2027-05-19T22:00:00Z",
            "2027-06-19T22:00:00Z",
            "2027-07-19T22:00:00Z",
            "2027-08-19T22:00:00Z",
            "2027-09-19T22:00:00Z",
            "2027-10-19T21:00:00Z",
            "2027-11-19T21:00:00Z",
            "2027-12-19T21:00:00Z",
        ],
    );
}

#[test]
fn start_in_a_spring_forward_gap_moves_forward_by_the_gap() {
    // 2027-03-14 02:30 does not exist in New York (02:00 EST jumps to 03:00 EDT): 03:30 EDT.
    let new_york = calendar(
        "2027-01-14T02:30:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    check_starts(
        &new_york,
        &[
            "2027-01-14T07:30:00Z",
            "2027-02-14T07:30:00Z",
            "2027-03-14T07:30:00Z",
            "2027-04-14T06:30:00Z",
        ],
    );
    let gap_start = new_york.cycle(2).expect("cycle").start;
    assert_eq!(
        local(gap_start, "America/New_York"),
        "2027-03-14T03:30:00-04:00"
    );

    // 2027-03-28 02:30 does not exist in Berlin (02:00 CET jumps to 03:00 CEST): 03:30 CEST.
    let berlin = calendar(
        "2027-01-28T02:30:00+01:00",
        "Europe/Berlin",
        Period::Monthly,
    );
    check_starts(
        &berlin,
        &[
            "2027-01-28T01:30:00Z",
            "2027-02-28T01:30:00Z",
            "2027-03-28T01:30:00Z",
            "2027-04-28T00:30:00Z",
        ],
    );
    let gap_start = berlin.cycle(2).expect("cycle").start;
    assert_eq!(
        local(gap_start, "Europe/Berlin"),
        "2027-03-28T03:30:00+02:00"
    );

    // 2027-10-03 02:30 does not exist in Sydney (02:00 AEST jumps to 03:00 AEDT): 03:30 AEDT.
    let sydney = calendar(
        "2027-07-03T02:30:00+10:00",
        "Australia/Sydney",
        Period::Monthly,
    );
    check_starts(
        &sydney,
        &[
            "2027-07-02T16:30:00Z",
            "2027-08-02T16:30:00Z",
            "2027-09-02T16:30:00Z",
            "2027-10-02T16:30:00Z",
            "2027-11-02T15:30:00Z",
        ],
    );
    let gap_start = sydney.cycle(3).expect("cycle").start;
    assert_eq!(
        local(gap_start, "Australia/Sydney"),
        "2027-10-03T03:30:00+11:00"
    );
}

#[test]
fn start_on_a_skipped_day_moves_forward_by_the_whole_day() {
    // Samoa skipped 2011-12-30 entirely (-10 to +14): 09:00 that day becomes 09:00 on Dec 31.
    let apia = calendar("2011-11-30T09:00:00-10:00", "Pacific/Apia", Period::Monthly);
    check_starts(
        &apia,
        &[
            "2011-11-30T19:00:00Z",
            "2011-12-30T19:00:00Z",
            "2012-01-29T19:00:00Z",
        ],
    );
    let skipped = apia.cycle(1).expect("cycle").start;
    assert_eq!(local(skipped, "Pacific/Apia"), "2011-12-31T09:00:00+14:00");
}

#[test]
fn start_in_a_fall_back_overlap_takes_the_earlier_instant() {
    // 2027-11-07 01:30 happens twice in New York: 05:30Z (EDT) and 06:30Z (EST).
    let new_york = calendar(
        "2027-08-07T01:30:00-04:00",
        "America/New_York",
        Period::Monthly,
    );
    check_starts(
        &new_york,
        &[
            "2027-08-07T05:30:00Z",
            "2027-09-07T05:30:00Z",
            "2027-10-07T05:30:00Z",
            "2027-11-07T05:30:00Z",
            "2027-12-07T06:30:00Z",
        ],
    );
    // The second 01:30 is inside the November cycle, not the start of another one.
    let second = new_york
        .cycle_at(at("2027-11-07T06:30:00Z"))
        .expect("cycle");
    assert_eq!(second.index, 3);

    // 2027-10-31 02:30 happens twice in Berlin: 00:30Z (CEST) and 01:30Z (CET). The anchor on
    // May 31 is clamped to Jun 30 and Sep 30 on the way.
    let berlin = calendar(
        "2027-05-31T02:30:00+02:00",
        "Europe/Berlin",
        Period::Monthly,
    );
    check_starts(
        &berlin,
        &[
            "2027-05-31T00:30:00Z",
            "2027-06-30T00:30:00Z",
            "2027-07-31T00:30:00Z",
            "2027-08-31T00:30:00Z",
            "2027-09-30T00:30:00Z",
            "2027-10-31T00:30:00Z",
            "2027-11-30T01:30:00Z",
        ],
    );

    // 2027-04-04 02:30 happens twice in Sydney: 15:30Z the day before (AEDT) and 16:30Z (AEST).
    let sydney = calendar(
        "2027-01-04T02:30:00+11:00",
        "Australia/Sydney",
        Period::Monthly,
    );
    check_starts(
        &sydney,
        &[
            "2027-01-03T15:30:00Z",
            "2027-02-03T15:30:00Z",
            "2027-03-03T15:30:00Z",
            "2027-04-03T15:30:00Z",
            "2027-05-03T16:30:00Z",
        ],
    );
}

#[test]
fn an_anchor_at_the_second_occurrence_of_a_local_time_starts_cycle_zero() {
    // 06:30Z is the second 01:30 in New York on 2027-11-07; cycle 0 starts exactly there.
    let new_york = calendar("2027-11-07T06:30:00Z", "America/New_York", Period::Monthly);
    check_starts(
        &new_york,
        &[
            "2027-11-07T06:30:00Z",
            "2027-12-07T06:30:00Z",
            "2028-01-07T06:30:00Z",
        ],
    );
}

#[test]
fn cycles_are_half_open() {
    let new_york = calendar(
        "2027-01-15T09:00:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    let first = new_york.cycle(0).expect("cycle");
    let second = new_york.cycle(1).expect("cycle");
    assert_eq!(first.end, at("2027-02-15T14:00:00Z"));
    assert_eq!(first.end, second.start);
    assert!(first.contains(first.start));
    assert!(!first.contains(first.end));
    assert!(second.contains(first.end));
    assert_eq!(new_york.cycle_at(first.end), Ok(second));
    assert_eq!(
        new_york.cycle_at(first.end - TimeDelta::nanoseconds(1)),
        Ok(first)
    );
}

#[test]
fn days_left_rounds_down_and_never_goes_negative() {
    let new_york = calendar(
        "2027-01-15T09:00:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    // [2027-02-15T14:00Z, 2027-03-15T13:00Z): 27 days and 23 hours long.
    let cycle = new_york.cycle(1).expect("cycle");
    assert_eq!(cycle.days_left(cycle.start), 27);
    assert_eq!(cycle.days_left(at("2027-03-14T13:00:00Z")), 1);
    assert_eq!(cycle.days_left(at("2027-03-14T13:00:01Z")), 0);
    assert_eq!(cycle.days_left(cycle.end), 0);
    assert_eq!(cycle.days_left(at("2030-01-01T00:00:00Z")), 0);
}

#[test]
fn cycle_at_far_from_the_anchor_matches_cycle_by_index() {
    let new_york = calendar(
        "2027-01-15T09:00:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    let before = new_york
        .cycle_at(at("2077-01-15T13:59:59Z"))
        .expect("cycle");
    assert_eq!(before.index, 599);
    assert_eq!(new_york.cycle(599), Ok(before));
    assert_eq!(before.start, at("2076-12-15T14:00:00Z"));
    assert_eq!(before.end, at("2077-01-15T14:00:00Z"));
    let fifty_years = new_york
        .cycle_at(at("2077-01-15T14:00:00Z"))
        .expect("cycle");
    assert_eq!(fifty_years.index, 600);
    assert_eq!(new_york.cycle(600), Ok(fifty_years));
    // July 2077 is summer time again: the cycle starts at 09:00 EDT.
    let summer = new_york
        .cycle_at(at("2077-07-20T00:00:00Z"))
        .expect("cycle");
    assert_eq!(summer.index, 606);
    assert_eq!(summer.start, at("2077-07-15T13:00:00Z"));
    assert_eq!(new_york.cycle(606), Ok(summer));

    let yearly = calendar("2028-02-29T10:00:00Z", "UTC", Period::Yearly);
    let century = yearly.cycle_at(at("2128-02-29T09:59:59Z")).expect("cycle");
    assert_eq!(century.index, 99);
    assert_eq!(century.start, at("2127-02-28T10:00:00Z"));
    assert_eq!(century.end, at("2128-02-29T10:00:00Z"));
    assert_eq!(yearly.cycle(99), Ok(century));
}

#[test]
fn boundaries_lists_the_cycle_containing_from_and_the_following_ones() {
    let berlin = calendar(
        "2027-01-10T00:30:00+01:00",
        "Europe/Berlin",
        Period::Monthly,
    );
    let cycles = berlin
        .boundaries(at("2027-03-20T00:00:00Z"), 3)
        .expect("boundaries");
    let expected: Vec<Cycle> = (2..5).map(|k| berlin.cycle(k).expect("cycle")).collect();
    assert_eq!(cycles, expected);
    assert_eq!(cycles[1].start, at("2027-04-09T22:30:00Z"));
    assert_eq!(berlin.boundaries(at("2027-03-20T00:00:00Z"), 0), Ok(vec![]));
    let all = berlin
        .boundaries(at("2027-01-09T23:30:00Z"), MAX_BOUNDARIES)
        .expect("boundaries");
    assert_eq!(all.len(), MAX_BOUNDARIES);
    assert!(all.windows(2).all(|w| w[0].end == w[1].start));
}

#[test]
fn five_hundred_cycles_of_a_january_31_anchor_in_berlin_tile_time() {
    let berlin_zone: Tz = "Europe/Berlin".parse().expect("zone");
    let berlin = calendar(
        "2027-01-31T00:30:00+01:00",
        "Europe/Berlin",
        Period::Monthly,
    );
    let cycles: Vec<Cycle> = (0..501).map(|k| berlin.cycle(k).expect("cycle")).collect();
    for pair in cycles.windows(2) {
        let (this, next) = (pair[0], pair[1]);
        assert_eq!(this.end, next.start, "cycle {}", this.index);
        assert!(this.start < next.start, "cycle {}", this.index);
    }
    for cycle in &cycles[..500] {
        let k = cycle.index;
        assert_eq!(berlin.cycle_at(cycle.start).map(|c| c.index), Ok(k));
        let last_second = cycle.end - TimeDelta::seconds(1);
        assert_eq!(berlin.cycle_at(last_second).map(|c| c.index), Ok(k));
        // Every start is 00:30 local on the 31st, or on the last day of a shorter month.
        let local = cycle.start.with_timezone(&berlin_zone);
        assert_eq!((local.hour(), local.minute()), (0, 30), "cycle {k}");
        let next_day = local.date_naive().succ_opt().expect("next day");
        assert!(local.day() == 31 || next_day.day() == 1, "cycle {k}");
    }
}

#[test]
fn unknown_time_zone_suggests_the_nearest_name() {
    let error =
        Calendar::with_zone_name(at("2027-01-01T00:00:00Z"), "Europe/Berln", Period::Monthly)
            .expect_err("unknown zone");
    assert_eq!(
        error,
        CycleError::UnknownTimeZone {
            zone: "Europe/Berln".to_owned(),
            suggestion: Some("Europe/Berlin".to_owned()),
        }
    );
    assert_eq!(
        error.to_string(),
        "unknown time zone `Europe/Berln`; did you mean `Europe/Berlin`?"
    );
    assert_eq!(
        parse_time_zone("Australia/Sydney"),
        Ok(chrono_tz::Australia::Sydney)
    );
    assert!(matches!(
        parse_time_zone(""),
        Err(CycleError::UnknownTimeZone { .. })
    ));
}

#[test]
fn instant_before_the_anchor_is_an_error() {
    let new_york = calendar(
        "2027-01-15T09:00:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    let error = new_york
        .cycle_at(at("2027-01-15T13:59:59Z"))
        .expect_err("before anchor");
    assert_eq!(
        error,
        CycleError::BeforeAnchor {
            at: at("2027-01-15T13:59:59Z"),
            anchor: at("2027-01-15T14:00:00Z"),
        }
    );
    assert_eq!(
        error.to_string(),
        "`2027-01-15 13:59:59 UTC` is before the billing anchor `2027-01-15 14:00:00 UTC`"
    );
    assert!(matches!(
        new_york.boundaries(at("2020-01-01T00:00:00Z"), 2),
        Err(CycleError::BeforeAnchor { .. })
    ));
}

#[test]
fn indexes_and_counts_are_bounded() {
    let monthly = calendar(
        "2027-01-15T09:00:00-05:00",
        "America/New_York",
        Period::Monthly,
    );
    let out_of_range = |index| CycleError::IndexOutOfRange {
        index,
        max: MAX_CYCLE_INDEX,
    };
    assert_eq!(monthly.cycle(-1), Err(out_of_range(-1)));
    assert_eq!(monthly.cycle(i64::MIN), Err(out_of_range(i64::MIN)));
    assert_eq!(
        monthly.cycle(MAX_CYCLE_INDEX + 1),
        Err(out_of_range(MAX_CYCLE_INDEX + 1))
    );
    assert_eq!(monthly.cycle(i64::MAX), Err(out_of_range(i64::MAX)));
    let last = monthly.cycle(MAX_CYCLE_INDEX).expect("last cycle");
    assert_eq!(monthly.cycle_at(last.start), Ok(last));
    assert!(matches!(
        monthly.cycle_at(last.end),
        Err(CycleError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        monthly.cycle_at(at("9999-12-31T23:59:59Z")),
        Ok(Cycle { index: 95_675, .. })
    ));
    assert!(matches!(
        monthly.cycle_at(DateTime::<Utc>::MAX_UTC),
        Err(CycleError::IndexOutOfRange { .. })
    ));
    assert_eq!(
        monthly.boundaries(at("2027-02-01T00:00:00Z"), MAX_BOUNDARIES + 1),
        Err(CycleError::TooManyCycles {
            count: MAX_BOUNDARIES + 1,
            max: MAX_BOUNDARIES,
        })
    );
    assert!(matches!(
        monthly.boundaries(last.start, 2),
        Err(CycleError::IndexOutOfRange { .. })
    ));

    let yearly = calendar("2028-02-29T10:00:00Z", "UTC", Period::Yearly);
    let last = yearly.cycle(MAX_CYCLE_INDEX).expect("last yearly cycle");
    assert_eq!(last.start.year(), 2028 + 100_000);
    assert_eq!(yearly.cycle_at(last.start), Ok(last));
}

#[test]
fn the_edges_of_the_representable_calendar_are_errors() {
    // Tokyo is ahead of UTC, so the latest instant has no local reading.
    assert_eq!(
        Calendar::with_zone_name(DateTime::<Utc>::MAX_UTC, "Asia/Tokyo", Period::Monthly),
        Err(CycleError::InstantOutOfRange {
            at: DateTime::<Utc>::MAX_UTC
        })
    );
    assert!(matches!(
        Calendar::with_zone_name(DateTime::<Utc>::MIN_UTC, "America/New_York", Period::Yearly),
        Err(CycleError::InstantOutOfRange { .. })
    ));
    // The last representable year is 262142: cycle 141 ends on 262142-01-01, cycle 142 cannot.
    let late_anchor = NaiveDate::from_ymd_opt(262_000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date")
        .and_utc();
    let late = Calendar::with_zone_name(late_anchor, "UTC", Period::Yearly).expect("calendar");
    assert!(late.cycle(141).is_ok());
    assert_eq!(
        late.cycle(142),
        Err(CycleError::CycleOutOfRange { index: 143 })
    );
    let tokyo = calendar("2027-01-01T00:00:00Z", "Asia/Tokyo", Period::Monthly);
    assert_eq!(
        tokyo.cycle_at(DateTime::<Utc>::MAX_UTC),
        Err(CycleError::InstantOutOfRange {
            at: DateTime::<Utc>::MAX_UTC
        })
    );
}

#[test]
fn no_input_panics() {
    let anchors = [
        DateTime::<Utc>::MIN_UTC,
        at("0000-01-01T00:00:00Z"),
        at("1970-01-01T00:00:00Z"),
        at("2027-03-14T07:30:00Z"),
        at("2027-10-31T00:30:00Z"),
        DateTime::<Utc>::MAX_UTC - TimeDelta::days(40),
        DateTime::<Utc>::MAX_UTC,
    ];
    let zones = [
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Australia/Sydney",
        "Pacific/Apia",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
    ];
    let probes = anchors
        .iter()
        .flat_map(|a| {
            [
                Some(*a),
                a.checked_add_signed(TimeDelta::days(40)),
                a.checked_sub_signed(TimeDelta::days(1)),
            ]
        })
        .flatten()
        .collect::<Vec<_>>();
    for anchor in anchors {
        for zone in zones {
            for period in [Period::Monthly, Period::Yearly] {
                let Ok(calendar) = Calendar::with_zone_name(anchor, zone, period) else {
                    continue;
                };
                for index in [0, 1, 2, 1_000, MAX_CYCLE_INDEX, -5, i64::MAX] {
                    if let Ok(cycle) = calendar.cycle(index) {
                        assert!(cycle.start < cycle.end);
                    }
                }
                for &t in &probes {
                    if let Ok(cycle) = calendar.cycle_at(t) {
                        assert!(cycle.contains(t));
                    }
                    if let Ok(cycles) = calendar.boundaries(t, 3) {
                        assert!(cycles.windows(2).all(|w| w[0].end == w[1].start));
                    }
                }
            }
        }
    }
}
