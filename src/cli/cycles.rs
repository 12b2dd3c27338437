//! `quotient cycles --anchor <instant> [--tz <zone>] [--period monthly|yearly] [--from <instant>]
//! [--count N] [--format human|json]`: print cycle boundaries, so a person can see when an
//! account's month ends.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::exit;
use super::input::{self, Format};
use quotient::{Calendar, Period};

/// Options of `quotient cycles`.
#[derive(clap::Args)]
pub struct Args {
    /// The instant the first cycle starts (RFC 3339, e.g. 2027-01-31T15:00:00Z).
    #[arg(long, value_name = "INSTANT", value_parser = input::instant)]
    anchor: DateTime<Utc>,
    /// The IANA time zone the cycles follow (e.g. America/New_York).
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = input::time_zone)]
    tz: String,
    /// How long a cycle is.
    #[arg(long, value_enum, default_value_t = PeriodArg::Monthly)]
    period: PeriodArg,
    /// Start listing at the cycle holding this instant (default: the anchor).
    #[arg(long, value_name = "INSTANT", value_parser = input::instant)]
    from: Option<DateTime<Utc>>,
    /// How many cycles to print.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = count)]
    count: usize,
    /// `human`: a table; `json`: an array of `{index, start, end, local_start}`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// The billing period, as the command line names it.
#[derive(Clone, Copy, clap::ValueEnum)]
enum PeriodArg {
    /// One calendar month from the anchor's day (clamped to the month's last day).
    Monthly,
    /// One calendar year.
    Yearly,
}

/// One cycle in `--format json`.
#[derive(serde::Serialize)]
struct Row {
    index: i64,
    start: String,
    end: String,
    local_start: String,
}

/// `--count`: 1 to the library's bound on boundaries.
fn count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=quotient::MAX_BOUNDARIES).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number from 1 to {}, found `{text}`",
            quotient::MAX_BOUNDARIES
        )),
    }
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let period = match args.period {
        PeriodArg::Monthly => Period::Monthly,
        PeriodArg::Yearly => Period::Yearly,
    };
    let zone = args.tz.as_str();
    let calendar = match Calendar::with_zone_name(args.anchor, zone, period) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let cycles = match calendar.boundaries(args.from.unwrap_or(args.anchor), args.count) {
        Ok(cycles) => cycles,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    let utc = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if args.format == Format::Json {
        let rows: Vec<Row> = cycles
            .iter()
            .map(|c| Row {
                index: c.index,
                start: utc(c.start),
                end: utc(c.end),
                local_start: c.start.with_timezone(&calendar.zone()).to_rfc3339(),
            })
            .collect();
        let text = input::pretty_json(&rows)?;
        let _ = writeln!(out, "{text}");
        return Ok(exit::OK);
    }
    let _ = writeln!(
        out,
        "cycle  start (UTC)           end (UTC)             start ({zone})"
    );
    for c in cycles {
        let local = c.start.with_timezone(&calendar.zone());
        let _ = writeln!(
            out,
            "{:>5}  {}  {}  {}",
            c.index,
            utc(c.start),
            utc(c.end),
            local.format("%Y-%m-%d %H:%M %Z")
        );
    }
    Ok(exit::OK)
}
