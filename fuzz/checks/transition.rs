//! One step of an account, checked: decide a request on a snapshot, apply the decision when it
//! changes state, and hold the transition to the engine's invariants (the new version is the old
//! one plus 1, the new snapshot validates and reads back from its JSON, replaying the ledger
//! group over the old snapshot gives the new one, every unit's balance moves by what the group
//! says, deciding and applying are deterministic, and a decision never applies twice). Also the
//! standard requests a policy that loads is put through (`play_standard`).

use chrono::{DateTime, Duration, Utc};
use quotient::ledger::{self, LedgerGroup};
use quotient::unstable::model::ParamType;
use quotient::{
    ApplyError, DecideOptions, Decimal, ParamValue, Policy, QuoteRef, Request, RequestKind,
    Snapshot, apply, decide,
};

use super::{Checked, Violation, ensure};

/// What a step left: the new snapshot when a transition was applied, and the quote the decision
/// gave (a quote's, or the offer's), for a later exchange to accept.
#[derive(Debug, Default)]
pub struct Stepped {
    /// The snapshot after the transition; `None` when nothing was applied.
    pub snapshot: Option<Snapshot>,
    /// The quote decided, as an exchange request would send it back.
    pub quote: Option<QuoteRef>,
}

/// Decides `request` on `snapshot` at `now` and, when the decision changes state, applies it,
/// checking every invariant of the transition.
pub fn step(
    policy: &Policy,
    snapshot: &Snapshot,
    request: &Request,
    now: DateTime<Utc>,
    options: &DecideOptions,
) -> Result<Stepped, Violation> {
    let decided = decide(policy, snapshot, request, now, options);
    let again = decide(policy, snapshot, request, now, options);
    ensure(again == decided, || {
        format!(
            "the same request on the same snapshot decided twice differently: {decided:?} then {again:?}"
        )
    })?;
    let d = match decided {
        Ok(d) => d,
        Err(e) => {
            ensure(!e.to_string().is_empty(), || {
                format!("a request error says nothing: {e:?}")
            })?;
            return Ok(Stepped::default());
        }
    };
    let report = d.report(policy, snapshot);
    ensure(!report.to_text().is_empty(), || {
        format!("a decision reports no words: {d:?}")
    })?;
    ensure(serde_json::to_string(&report).is_ok(), || {
        format!("a decision report does not serialize: {report:?}")
    })?;
    let mut stepped = Stepped {
        snapshot: None,
        quote: d
            .quote()
            .or_else(|| d.offer().map(|o| o.quote()))
            .map(|q| q.to_ref(policy)),
    };
    let applied = apply(policy, snapshot, &d);
    if !d.changes_state() {
        ensure(
            applied == Err(ApplyError::NothingToApply(d.outcome())),
            || format!("a decision that changes nothing applied as {applied:?}: {d:?}"),
        )?;
        return Ok(stepped);
    }
    let t = match applied {
        Ok(t) => t,
        Err(e) => {
            // Only a snapshot that does not validate, or whose version cannot grow, may refuse.
            let problems = quotient::validate(snapshot, policy);
            ensure(!problems.is_empty() || snapshot.version == u64::MAX, || {
                format!(
                    "apply refused a fresh decision on a valid snapshot: {e}\nsnapshot: {snapshot:?}\nrequest: {request:?} at {now}\ndecision: {d:?}"
                )
            })?;
            return Ok(stepped);
        }
    };
    let context = || format!("\nsnapshot: {snapshot:?}\nrequest: {request:?} at {now}");
    ensure(
        snapshot.version.checked_add(1) == Some(t.snapshot.version),
        || {
            format!(
                "the version went from {} to {}{}",
                snapshot.version,
                t.snapshot.version,
                context()
            )
        },
    )?;
    let problems = quotient::validate(&t.snapshot, policy);
    ensure(problems.is_empty(), || {
        format!(
            "apply wrote a snapshot that does not validate: {problems:?}{}",
            context()
        )
    })?;
    let replayed = ledger::replay(snapshot, std::slice::from_ref(&t.ledger));
    ensure(replayed.as_ref() == Ok(&t.snapshot), || {
        format!(
            "replaying the ledger group gave {replayed:?}, not {:?}\nledger: {:?}{}",
            t.snapshot,
            t.ledger,
            context()
        )
    })?;
    balances_move_by_the_ledger(policy, snapshot, &t.snapshot, &t.ledger)
        .map_err(|Violation(why)| Violation(why + context().as_str()))?;
    let text = serde_json::to_string(&t.snapshot).map_err(|e| Violation(e.to_string()))?;
    let read = Snapshot::from_json(&text);
    ensure(read.as_ref() == Ok(&t.snapshot), || {
        format!("the new snapshot does not read back from {text}: {read:?}")
    })?;
    let text = serde_json::to_string(&t.ledger).map_err(|e| Violation(e.to_string()))?;
    let read = serde_json::from_str::<LedgerGroup>(&text);
    ensure(read.as_ref().ok() == Some(&t.ledger), || {
        format!("the ledger group does not read back from {text}: {read:?}")
    })?;
    let twice = apply(policy, snapshot, &d);
    ensure(twice.as_ref() == Ok(&t), || {
        format!("applying twice gave two transitions{}", context())
    })?;
    let stale = apply(policy, &t.snapshot, &d);
    ensure(
        matches!(stale, Err(ApplyError::StaleSnapshot { .. })),
        || format!("a decision applied again to its own result gave {stale:?}"),
    )?;
    stepped.snapshot = Some(t.snapshot);
    Ok(stepped)
}

/// Every unit's balance (the sum of its grants' `remaining`) after the transition is the
/// balance before plus what the group brought in, less what it took out.
fn balances_move_by_the_ledger(
    policy: &Policy,
    before: &Snapshot,
    after: &Snapshot,
    group: &LedgerGroup,
) -> Checked {
    let totals = ledger::totals([group])
        .map_err(|e| Violation(format!("the ledger group does not add up: {e}")))?;
    let balance = |s: &Snapshot, unit: &str| {
        s.grants
            .iter()
            .filter(|g| g.unit == unit)
            .try_fold(Decimal::ZERO, |sum, g| sum.checked_add(g.remaining))
    };
    for unit in policy.units() {
        let net = totals
            .get(unit.name)
            .map_or(Some(Decimal::ZERO), |t| t.net());
        let (old, new) = (balance(before, unit.name), balance(after, unit.name));
        let moved = old.zip(net).and_then(|(o, n)| o.checked_add(n));
        ensure(moved.is_some() && moved == new, || {
            format!(
                "`{}` went from {old:?} to {new:?}, but the ledger group moves it by {net:?}",
                unit.name
            )
        })?;
    }
    Ok(())
}

/// A new account on `plan` in `mode`, anchored at `anchor`, with nothing granted yet.
pub fn fresh(plan: &str, mode: &str, anchor: DateTime<Utc>) -> Snapshot {
    Snapshot {
        id: "acct-fuzz".into(),
        plan: plan.into(),
        status: "active".into(),
        time_zone: "Europe/Berlin".into(),
        earlier_time_zones: Vec::new(),
        anchor,
        mode: mode.into(),
        version: 0,
        cycle: None,
        exchanges: Vec::new(),
        grants: Vec::new(),
    }
}

/// A value a request may send for a parameter of type `ty` (its minimum, when it has one).
pub fn typical(ty: ParamType, min: Option<Decimal>) -> ParamValue {
    match ty {
        ParamType::Int => {
            ParamValue::Int(min.and_then(|m| i64::try_from(m.trunc()).ok()).unwrap_or(1))
        }
        ParamType::Decimal => ParamValue::Text(min.map_or_else(|| "1.5".into(), |m| m.to_string())),
        ParamType::String => ParamValue::Text("a".into()),
        ParamType::Bool => ParamValue::Bool(true),
    }
}

/// The standard requests a policy that loads is put through, for its first two plans: a new
/// account rolled over into its first cycle, the balance, every feature and a quote and
/// confirmed exchange (with the last quote) on every platform, the next cycle with a use and a
/// time zone change, and the cycle after. Every step is checked by [`step`].
pub fn play_standard(policy: &Policy) -> Checked {
    let anchor = policy.effective_from();
    let platforms: Vec<&str> = policy.platforms().map(|p| p.name).collect();
    let plans: Vec<(String, String)> = policy
        .plans()
        .take(2)
        .map(|p| (p.name.to_string(), p.starts_in.to_string()))
        .collect();
    let options = DecideOptions::default();
    for (plan, mode) in plans {
        let mut state = fresh(&plan, &mode, anchor);
        let mut quote: Option<QuoteRef> = None;
        for (hours, request) in standard_requests(policy, &platforms) {
            let mut request = request;
            if request.kind == RequestKind::Exchange && request.confirm {
                request.quote = quote.clone();
            }
            let now = anchor + Duration::hours(hours);
            let stepped = step(policy, &state, &request, now, &options)?;
            if stepped.quote.is_some() {
                quote = stepped.quote;
            }
            if let Some(next) = stepped.snapshot {
                state = next;
            }
        }
    }
    Ok(())
}

/// The requests of [`play_standard`], each with its instant in hours after the anchor.
fn standard_requests(policy: &Policy, platforms: &[&str]) -> Vec<(i64, Request)> {
    let uses: Vec<Request> = policy
        .features
        .iter()
        .map(|f| {
            let mut r = Request::new(format!("use-{}", f.name), RequestKind::Use);
            r.feature = Some(f.name.clone());
            for p in &f.params {
                r.params.insert(p.name.clone(), typical(p.ty, p.min));
            }
            r
        })
        .collect();
    let mut out = vec![(1, Request::new("roll-1", RequestKind::Rollover))];
    for platform in platforms {
        out.push((
            2,
            Request::new("balance", RequestKind::Balance).on(platform),
        ));
        for u in &uses {
            out.push((3, u.clone().on(platform)));
        }
        out.push((4, Request::new("quote", RequestKind::Quote).on(platform)));
        let mut exchange = Request::new("exchange", RequestKind::Exchange).on(platform);
        exchange.confirm = true;
        out.push((5, exchange));
    }
    out.push((33 * 24, Request::new("roll-2", RequestKind::Rollover)));
    if let Some(platform) = platforms.first() {
        for u in &uses {
            out.push((33 * 24 + 1, u.clone().on(platform)));
        }
        let mut zone = Request::new("zone", RequestKind::TimeZone).on(platform);
        zone.time_zone = Some("Asia/Tokyo".into());
        out.push((33 * 24 + 2, zone));
    }
    out.push((70 * 24, Request::new("roll-3", RequestKind::Rollover)));
    out
}
