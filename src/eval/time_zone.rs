//! Changing an account's time zone. The change is a transition like any other (version + 1, a
//! ledger group), and it never moves the bounds of the cycle the account is in: that cycle ends
//! where the old zone said, and the new zone decides every later boundary. So a change cannot
//! end a cycle early (granting next month's allowance while this month's is live) or late. The
//! account must be rolled over to the current cycle first, so "the current cycle" is the one
//! the snapshot records.

use super::Ctx;
use super::decision::{Changes, Outcome, Reason};
use super::error::RequestError;

pub(super) fn decide(ctx: &mut Ctx<'_, '_>, zone: &str) -> Result<(), RequestError> {
    let tz = crate::cycle::parse_time_zone(zone.trim())
        .map_err(|e| RequestError::invalid("time_zone", e.to_string()))?;
    if !ctx.account.is_current() {
        ctx.finish(Outcome::Denied, Some(ctx.rollover_needed()));
        return Ok(());
    }
    if tz.name() == ctx.account.snapshot.time_zone {
        ctx.finish(Outcome::Unchanged, Some(Reason::TimeZoneUnchanged));
        return Ok(());
    }
    let from = ctx.account.snapshot.time_zone.as_str();
    let until = last_cycle_in_use(ctx);
    ctx.trace(
        || "time_zone".into(),
        None,
        || {
            format!(
                "`{from}` until the end of cycle {until}, then `{}`",
                tz.name()
            )
        },
    );
    ctx.decision.changes = Some(Changes {
        time_zone: Some((tz, until)),
        ..Changes::default()
    });
    ctx.finish(Outcome::Updated, None);
    Ok(())
}

/// The last cycle whose end is in use, so must stay where the old zone put it: the current
/// cycle, or the next when a live grant expires at the next cycle's end (an allowance that
/// lasts two cycles). Later ends are not in use yet; a grant expiring elsewhere keeps its own
/// instant, which no calendar moves.
fn last_cycle_in_use(ctx: &Ctx<'_, '_>) -> i64 {
    let current = ctx.account.cycle;
    let next_end = ctx
        .account
        .calendar
        .cycle(current.index.saturating_add(1))
        .ok()
        .map(|c| c.end);
    let reaches_next_end = ctx
        .account
        .snapshot
        .grants
        .iter()
        .any(|g| g.is_live(ctx.now) && g.expires.is_some() && g.expires == next_end);
    if reaches_next_end {
        current.index.saturating_add(1)
    } else {
        current.index
    }
}
