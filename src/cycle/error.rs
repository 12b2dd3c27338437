//! What can go wrong when building a billing calendar or asking it for a cycle.
//!
//! Every bound the calendar enforces shows up here as an error rather than a long loop or a
//! panic; messages name the input and the limit, never an internal type.

use chrono::{DateTime, Utc};

/// An error from the billing-cycle calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    /// The time zone name is not in the IANA database.
    #[error("unknown time zone `{zone}`{}", hint(suggestion.as_deref()))]
    UnknownTimeZone {
        /// The name given.
        zone: String,
        /// The nearest known zone name, when there is a plausible one.
        suggestion: Option<String>,
    },
    /// The instant lies before the anchor, so no cycle contains it.
    #[error("`{at}` is before the billing anchor `{anchor}`")]
    BeforeAnchor {
        /// The instant asked about.
        at: DateTime<Utc>,
        /// The account's anchor.
        anchor: DateTime<Utc>,
    },
    /// The cycle index is negative or above the supported maximum.
    #[error("cycle {index} is out of range; cycles are numbered 0 to {max}")]
    IndexOutOfRange {
        /// The index asked for.
        index: i64,
        /// The highest index supported.
        max: i64,
    },
    /// More cycles were asked for at once than allowed.
    #[error("asked for {count} cycles at once; at most {max} are allowed")]
    TooManyCycles {
        /// How many were asked for.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// The cycle's start falls outside the dates the calendar can represent.
    #[error("cycle {index} falls outside the dates the calendar can represent")]
    CycleOutOfRange {
        /// The cycle's index.
        index: i64,
    },
    /// More earlier time zones than a calendar keeps.
    #[error("{count} earlier time zones; an account keeps at most {max}")]
    TooManyEarlierZones {
        /// How many were given.
        count: usize,
        /// The most kept.
        max: usize,
    },
    /// Earlier time zones not in order of their cycles.
    #[error("earlier time zone until cycle {cycle} is not after the one before it")]
    EarlierZonesOutOfOrder {
        /// The cycle out of order.
        cycle: i64,
    },
    /// The instant's local reading falls outside the dates the calendar can represent.
    #[error("`{at}` is outside the dates the calendar can represent")]
    InstantOutOfRange {
        /// The instant.
        at: DateTime<Utc>,
    },
}

fn hint(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(name) => format!("; did you mean `{name}`?"),
        None => String::new(),
    }
}
