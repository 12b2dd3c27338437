//! `quotient cycles --anchor <instant> --tz <zone> [--period monthly|yearly] [--from <instant>]
//! --count N`: print cycle boundaries, so a person can see when an account's month ends.

use std::io::Write;

use super::input::instant;
use super::{Args, exit};
use quotient::{Calendar, Period};

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let anchor = args
        .value("anchor")?
        .ok_or("`cycles` needs `--anchor <instant>`")?;
    let anchor = instant("anchor", &anchor)?;
    let zone = args.value("tz")?.unwrap_or_else(|| "UTC".into());
    let period = match args.value("period")?.as_deref() {
        None | Some("monthly") => Period::Monthly,
        Some("yearly") => Period::Yearly,
        Some(other) => {
            return Err(format!(
                "unknown period `{other}`: use `monthly` or `yearly`"
            ));
        }
    };
    let from = match args.value("from")? {
        Some(t) => instant("from", &t)?,
        None => anchor,
    };
    let count = match args.value("count")? {
        Some(n) => n
            .parse::<usize>()
            .map_err(|_| format!("`--count` must be a whole number, found `{n}`"))?,
        None => 12,
    };
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    let calendar = match Calendar::with_zone_name(anchor, &zone, period) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Ok(exit::ERRORS);
        }
    };
    match calendar.boundaries(from, count) {
        Ok(cycles) => {
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
                    c.start.format("%Y-%m-%dT%H:%M:%SZ"),
                    c.end.format("%Y-%m-%dT%H:%M:%SZ"),
                    local.format("%Y-%m-%d %H:%M %Z")
                );
            }
            Ok(exit::OK)
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            Ok(exit::ERRORS)
        }
    }
}
